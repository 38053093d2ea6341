"""Input and output of the shopkeeper API."""
from __future__ import annotations

import json

import marshmallow as ma
from flask_smorest.fields import Upload as UploadField
from marshmallow import validate

from backend import clock, masking
from backend.api import Line, Text
from backend.models import ShopRequest
from backend.models.inspections import ORDER_STATUSES, SUBMISSION_DECISIONS
from backend.models.shops import MEMBERSHIP_ROLES
from backend.shopstate import (
    CATEGORIES,
    CERTIFICATE_STATUSES,
    LICENCE_TYPES,
    STATUS_LABELS,
    validity,
)

PHONE = validate.Regexp(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$", error="not a phone number")


class Location(ma.Schema):
    """GCJ-02 coordinates, as WeChat's wx.getLocation({type: 'gcj02'}) returns them."""

    lat = ma.fields.Float(required=True, validate=validate.Range(min=3.8, max=53.6))
    lng = ma.fields.Float(required=True, validate=validate.Range(min=73.5, max=135.1))


class ShopRegistration(ma.Schema):
    name = Line(required=True, validate=validate.Length(min=2, max=100))
    credit_code = ma.fields.String(
        required=True, metadata={"description": "统一社会信用代码, 18 characters"})
    category = ma.fields.String(required=True, validate=validate.OneOf(list(CATEGORIES)))
    address = Line(required=True, validate=validate.Length(min=4, max=200))
    street = ma.fields.String(required=True, metadata={"description": "street region code"})
    community = ma.fields.String(load_default=None,
                                 metadata={"description": "community region code"})
    location = ma.fields.Nested(Location, load_default=None)
    phone = Line(load_default=None, validate=PHONE)
    opening_hours = Line(load_default=None, validate=validate.Length(max=100))
    description = Text(load_default=None, validate=validate.Length(max=1000))


class ProfileChange(ma.Schema):
    name = Line(validate=validate.Length(min=2, max=100))
    category = ma.fields.String(validate=validate.OneOf(list(CATEGORIES)))
    address = Line(validate=validate.Length(min=4, max=200))
    location = ma.fields.Nested(Location)
    phone = Line(allow_none=True, validate=PHONE)
    opening_hours = Line(allow_none=True, validate=validate.Length(max=100))
    description = Text(allow_none=True, validate=validate.Length(max=1000))


class ClaimRequest(ma.Schema):
    credit_code = ma.fields.String(required=True)
    shop_id = ma.fields.String(load_default=None,
                               metadata={"description": "needed when a credit code has several shops"})


CHANGE_DOC = {
    "type": "object", "nullable": True, "additionalProperties": {
        "type": "object", "properties": {"old": {"type": "string"}, "new": {"type": "string"}}},
    "description": "a change only: {name|address: {old, new}}; null for other kinds"}


class ShopRequestOut(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"enum": ["register", "claim", "change"]})
    status = ma.fields.String()
    note = ma.fields.String(allow_none=True)
    shop_id = ma.fields.String(attribute="shop.public_id")
    shop_name = ma.fields.String(attribute="shop.name")
    changes = ma.fields.Function(lambda r: json.loads(r.changes) if r.changes else None,
                                 metadata=CHANGE_DOC)
    created_at = ma.fields.DateTime()
    decided_at = ma.fields.DateTime(allow_none=True)


class LocationOut(ma.Schema):
    lat = ma.fields.Float()
    lng = ma.fields.Float()


def _location(shop):
    return {"lat": shop.lat, "lng": shop.lng} if shop.lat is not None else None


class ShopOut(ma.Schema):
    """A shop as its own people see it."""

    id = ma.fields.String(attribute="public_id")
    name = ma.fields.String()
    credit_code = ma.fields.String()
    category = ma.fields.String()
    address = ma.fields.String()
    street = ma.fields.String(attribute="street.name")
    community = ma.fields.Function(lambda s: s.community.name if s.community_id else None,
                                   metadata={"type": "string", "nullable": True})
    location = ma.fields.Function(_location, metadata={
        "type": "object", "nullable": True, "description": "lat, lng; null if never given"})
    phone = ma.fields.String(allow_none=True)
    opening_hours = ma.fields.String(allow_none=True)
    description = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    risk_grade = ma.fields.String()
    open_rectifications = ma.fields.Integer()
    created_at = ma.fields.DateTime()


class PendingChangeOut(ma.Schema):
    name = ma.fields.String()
    address = ma.fields.String()
    requested_at = ma.fields.DateTime(attribute="created_at")


def _pending_change(shop):
    waiting = ShopRequest.get_or_none((ShopRequest.shop == shop.id)
                                      & (ShopRequest.kind == "change")
                                      & (ShopRequest.status == "pending"))
    if waiting is None:
        return None
    asked = json.loads(waiting.changes)
    return PendingChangeOut().dump({
        field: asked[field]["new"] if field in asked else getattr(shop, field)
        for field in ("name", "address")} | {"created_at": waiting.created_at})


class OwnShopOut(ShopOut):
    """As its owner and staff manage it: with the change of registered name or address
    that waits for an admin."""

    pending_change = ma.fields.Function(_pending_change, metadata={
        "type": "object", "nullable": True,
        "properties": {"name": {"type": "string"}, "address": {"type": "string"},
                       "requested_at": {"type": "string", "format": "date-time"}},
        "description": "the name and address the shop will have once an admin approves "
                       "the change asked for, and when it was asked; null if none waits"})


class MyShopOut(ma.Schema):
    role = ma.fields.String(validate=validate.OneOf(MEMBERSHIP_ROLES))
    shop = ma.fields.Nested(OwnShopOut)


def licence_status(licence) -> str:
    return validity(licence.valid_to, clock.today_local(), licence.valid_from)


class LicenceIn(ma.Schema):
    type = ma.fields.String(required=True, validate=validate.OneOf(list(LICENCE_TYPES)))
    number = Line(required=True, validate=validate.Length(min=4, max=64))
    issuer = Line(required=True, validate=validate.Length(min=2, max=100))
    valid_from = ma.fields.Date(required=True)
    valid_to = ma.fields.Date(required=True)
    scope = ma.fields.String(load_default=None, validate=validate.Length(max=300))
    photo = ma.fields.String(load_default=None, metadata={"description": "an upload id"})


class LicenceRenewal(ma.Schema):
    valid_to = ma.fields.Date(required=True)
    valid_from = ma.fields.Date()
    number = Line(validate=validate.Length(min=4, max=64))
    photo = ma.fields.String(metadata={"description": "an upload id of the new paper"})


class LicenceOut(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    type = ma.fields.String()
    type_label = ma.fields.Function(lambda lic: LICENCE_TYPES.get(lic.type, lic.type),
                                    metadata={"type": "string"})
    number = ma.fields.String()
    issuer = ma.fields.String()
    valid_from = ma.fields.Date()
    valid_to = ma.fields.Date()
    scope = ma.fields.String(allow_none=True)
    photo = ma.fields.Function(lambda lic: lic.photo.public_id if lic.photo_id else None,
                               metadata={"type": "string", "nullable": True,
                                         "description": "an upload id"})
    status = ma.fields.Function(licence_status, metadata={
        "type": "string", "enum": list(STATUS_LABELS)})
    verified = ma.fields.Function(lambda lic: lic.verified_at is not None,
                                  metadata={"type": "boolean"})


class PublicLicenceOut(ma.Schema):
    """A licence as a passer-by sees it: the number partly hidden."""

    type = ma.fields.String()
    type_label = ma.fields.Function(lambda lic: LICENCE_TYPES.get(lic.type, lic.type),
                                    metadata={"type": "string"})
    number = ma.fields.Function(lambda lic: masking.number(lic.number),
                                metadata={"type": "string", "description": "masked"})
    issuer = ma.fields.String()
    valid_to = ma.fields.Date()
    status = ma.fields.Function(licence_status, metadata={
        "type": "string", "enum": list(STATUS_LABELS)})


class EmployeeIn(ma.Schema):
    name = Line(required=True, validate=validate.Length(min=1, max=40))
    position = Line(load_default=None, validate=validate.Length(max=40))
    health_cert_number = Line(required=True, validate=validate.Length(min=4, max=40))
    health_cert_expires = ma.fields.Date(required=True)


class EmployeeChange(ma.Schema):
    name = Line(validate=validate.Length(min=1, max=40))
    position = Line(allow_none=True, validate=validate.Length(max=40))
    health_cert_number = Line(validate=validate.Length(min=4, max=40))
    health_cert_expires = ma.fields.Date()


class EmployeeOut(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    name = ma.fields.String()
    position = ma.fields.String(allow_none=True)
    health_cert_number = ma.fields.String()
    health_cert_expires = ma.fields.Date()
    health_cert_status = ma.fields.Function(
        lambda e: validity(e.health_cert_expires, clock.today_local()),
        metadata={"type": "string", "enum": CERTIFICATE_STATUSES})


class HonourIn(ma.Schema):
    title = Line(required=True, validate=validate.Length(min=2, max=100))
    issuer = Line(required=True, validate=validate.Length(min=2, max=100))
    awarded_on = ma.fields.Date(load_default=None)
    photo = ma.fields.String(load_default=None, metadata={"description": "an upload id"})


class HonourOut(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    title = ma.fields.String()
    issuer = ma.fields.String()
    awarded_on = ma.fields.Date(allow_none=True)


class ShopHonourOut(HonourOut):
    """An honour as the shop's own people keep it: with the photo of its certificate."""

    photo = ma.fields.Function(lambda h: h.photo.public_id if h.photo_id else None,
                               metadata={"type": "string", "nullable": True,
                                         "description": "an upload id"})


class InviteOut(ma.Schema):
    code = ma.fields.String(metadata={"description": "give this to the new member; shown once"})
    expires_at = ma.fields.DateTime()


class InviteAccept(ma.Schema):
    code = ma.fields.String(required=True, validate=validate.Length(min=6, max=32))


class MemberOut(ma.Schema):
    user_id = ma.fields.Integer(attribute="user.id")
    display_name = ma.fields.Function(lambda m: masking.name(m.user.display_name), metadata={
        "type": "string", "nullable": True, "description": "masked: 张*"})
    phone = ma.fields.Function(lambda m: masking.phone(m.user.phone), metadata={
        "type": "string", "nullable": True, "description": "masked: 138****5678"})
    role = ma.fields.String()
    since = ma.fields.DateTime(attribute="created_at")


class PhotoUpload(ma.Schema):
    file = UploadField(required=True, metadata={"description": "JPEG or PNG, at most 5 MB"})


class UploadOut(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    content_type = ma.fields.String()
    size = ma.fields.Integer()


class CodeOut(ma.Schema):
    code = ma.fields.String()
    url = ma.fields.String(metadata={"description": "the URL the QR code holds, upper case"})
    issued_at = ma.fields.DateTime()


class PngSize(ma.Schema):
    size = ma.fields.Integer(load_default=600, validate=validate.Range(min=150, max=3000),
                             metadata={"description": "width in pixels"})


class LifecycleEventOut(ma.Schema):
    seq = ma.fields.Integer()
    type = ma.fields.String()
    occurred_at = ma.fields.DateTime()
    actor = ma.fields.String()
    payload = ma.fields.Function(lambda e: json.loads(e.payload),
                                 metadata={"type": "object"})
    prev_hash = ma.fields.String()
    hash = ma.fields.String()


class RectificationOut(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    shop_id = ma.fields.String(attribute="shop.public_id")
    inspection_id = ma.fields.String(attribute="inspection.public_id")
    status = ma.fields.String(metadata={"enum": list(ORDER_STATUSES)})
    deadline = ma.fields.Date()
    overdue = ma.fields.Boolean()
    requirements = ma.fields.String()
    created_at = ma.fields.DateTime()
    closed_at = ma.fields.DateTime(allow_none=True)



class EvidenceOut(ma.Schema):
    """One answer of the shop to an order, and what the inspector decided about it."""

    text = ma.fields.String()
    photos = ma.fields.Function(lambda s: json.loads(s.photos), metadata={
        "type": "array", "items": {"type": "string"},
        "description": "upload ids; the shop's people and regulators in scope can open them"})
    submitted_at = ma.fields.DateTime(attribute="created_at")
    decision = ma.fields.String(allow_none=True, metadata={
        "enum": [*SUBMISSION_DECISIONS, None],
        "description": "null while it waits; withdrawn when its order was withdrawn first"})
    reason = ma.fields.String(allow_none=True, metadata={"description": "why it was rejected"})
    decided_at = ma.fields.DateTime(allow_none=True)


class RectificationDetail(RectificationOut):
    submissions = ma.fields.List(ma.fields.Nested(EvidenceOut), attribute="submission_list",
                                 metadata={"description": "newest first"})


class RectificationAnswer(ma.Schema):
    text = Text(required=True, validate=validate.Length(min=2, max=2000))
    photos = ma.fields.List(ma.fields.String(validate=validate.Length(min=1)), load_default=list,
                            validate=validate.Length(max=9),
                            metadata={"description": "upload ids of the evidence"})


class OpenFilter(ma.Schema):
    open = ma.fields.Boolean(load_default=False, metadata={"description": "only unclosed orders"})


class ReplyIn(ma.Schema):
    text = Text(required=True, validate=validate.Length(min=1, max=500))
