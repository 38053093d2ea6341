"""Input and output of the shopkeeper API."""

from __future__ import annotations

import json

import marshmallow as ma
from marshmallow import validate

from backend import masking
from backend.fields import Line, Phone, Text
from backend.models import ShopRequest
from backend.models.shops import MEMBERSHIP_ROLES
from backend.schemas import Location
from backend.shops.facts import CATEGORIES, LICENCE_TYPES
from backend.shops.schemas import HonourOut, ShopOut


class ShopRegistration(ma.Schema):
    name = Line(required=True, validate=validate.Length(min=2, max=100))
    credit_code = ma.fields.String(
        required=True, metadata={"description": "统一社会信用代码, 18 characters"}
    )
    category = ma.fields.String(required=True, validate=validate.OneOf(list(CATEGORIES)))
    address = Line(required=True, validate=validate.Length(min=4, max=200))
    street = ma.fields.String(required=True, metadata={"description": "street region code"})
    community = ma.fields.String(
        load_default=None, metadata={"description": "community region code"}
    )
    location = ma.fields.Nested(Location, load_default=None)
    phone = Phone(landline=True, load_default=None)
    opening_hours = Line(load_default=None, validate=validate.Length(max=100))
    description = Text(load_default=None, validate=validate.Length(max=1000))


class ProfileChange(ma.Schema):
    name = Line(validate=validate.Length(min=2, max=100))
    category = ma.fields.String(validate=validate.OneOf(list(CATEGORIES)))
    address = Line(validate=validate.Length(min=4, max=200))
    location = ma.fields.Nested(Location)
    phone = Phone(landline=True, allow_none=True)
    opening_hours = Line(allow_none=True, validate=validate.Length(max=100))
    description = Text(allow_none=True, validate=validate.Length(max=1000))


class ClaimRequest(ma.Schema):
    credit_code = ma.fields.String(required=True)
    shop_id = ma.fields.String(
        load_default=None, metadata={"description": "needed when a credit code has several shops"}
    )


class PendingChangeOut(ma.Schema):
    name = ma.fields.String()
    address = ma.fields.String()
    requested_at = ma.fields.DateTime(attribute="created_at")


def _pending_change(shop):
    waiting = ShopRequest.get_or_none(
        (ShopRequest.shop == shop.id)
        & (ShopRequest.kind == "change")
        & (ShopRequest.status == "pending")
    )
    if waiting is None:
        return None
    asked = json.loads(waiting.changes)
    return PendingChangeOut().dump(
        {
            field: asked[field]["new"] if field in asked else getattr(shop, field)
            for field in ("name", "address")
        }
        | {"created_at": waiting.created_at}
    )


class OwnShopOut(ShopOut):
    """As its owner and staff manage it: with the change of registered name or address
    that waits for an admin."""

    pending_change = ma.fields.Function(
        _pending_change,
        metadata={
            "type": "object",
            "nullable": True,
            "properties": {
                "name": {"type": "string"},
                "address": {"type": "string"},
                "requested_at": {"type": "string", "format": "date-time"},
            },
            "description": "the name and address the shop will have once an admin approves "
            "the change asked for, and when it was asked; null if none waits",
        },
    )


class MyShopOut(ma.Schema):
    role = ma.fields.String(validate=validate.OneOf(MEMBERSHIP_ROLES))
    shop = ma.fields.Nested(OwnShopOut)


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


class HonourIn(ma.Schema):
    title = Line(required=True, validate=validate.Length(min=2, max=100))
    issuer = Line(required=True, validate=validate.Length(min=2, max=100))
    awarded_on = ma.fields.Date(load_default=None)
    photo = ma.fields.String(load_default=None, metadata={"description": "an upload id"})


class ShopHonourOut(HonourOut):
    """An honour as the shop's own people keep it: with the photo of its certificate."""

    photo = ma.fields.Function(
        lambda h: h.photo.public_id if h.photo_id else None,
        metadata={"type": "string", "nullable": True, "description": "an upload id"},
    )


class InviteOut(ma.Schema):
    code = ma.fields.String(metadata={"description": "give this to the new member; shown once"})
    expires_at = ma.fields.DateTime()


class InviteAccept(ma.Schema):
    code = ma.fields.String(required=True, validate=validate.Length(min=6, max=32))


class MemberOut(ma.Schema):
    user_id = ma.fields.Integer(attribute="user.id")
    display_name = ma.fields.Function(
        lambda m: masking.name(m.user.display_name),
        metadata={"type": "string", "nullable": True, "description": "masked: 张*"},
    )
    phone = ma.fields.Function(
        lambda m: masking.phone(m.user.phone),
        metadata={"type": "string", "nullable": True, "description": "masked: 138****5678"},
    )
    role = ma.fields.String()
    since = ma.fields.DateTime(attribute="created_at")


class CodeOut(ma.Schema):
    code = ma.fields.String()
    url = ma.fields.String(metadata={"description": "the URL the QR code holds, upper case"})
    issued_at = ma.fields.DateTime()


class RectificationAnswer(ma.Schema):
    text = Text(required=True, validate=validate.Length(min=2, max=2000))
    photos = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1)),
        load_default=list,
        validate=validate.Length(max=9),
        metadata={"description": "upload ids of the evidence"},
    )


class OpenFilter(ma.Schema):
    open = ma.fields.Boolean(load_default=False, metadata={"description": "only unclosed orders"})


class ReplyIn(ma.Schema):
    text = Text(required=True, validate=validate.Length(min=1, max=500))
