"""The shapes of a shop's records that its people, staff and the scan all read."""

from __future__ import annotations

import json

import marshmallow as ma

from backend import clock, masking
from backend.shops.facts import (
    CERTIFICATE_STATUSES,
    LICENCE_TYPES,
    STATUS_LABELS,
    validity,
)
from backend.shops.registry_check import STATE_LABELS

CHANGE_DOC = {
    "type": "object",
    "nullable": True,
    "additionalProperties": {
        "type": "object",
        "properties": {"old": {"type": "string"}, "new": {"type": "string"}},
    },
    "description": "a change only: {name|address: {old, new}}; null for other kinds",
}


class ShopRequestOut(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"enum": ["register", "claim", "change"]})
    status = ma.fields.String()
    note = ma.fields.String(allow_none=True)
    shop_id = ma.fields.String(attribute="shop.public_id")
    shop_name = ma.fields.String(attribute="shop.name")
    shop_address = ma.fields.String(attribute="shop.address")
    changes = ma.fields.Function(
        lambda r: json.loads(r.changes) if r.changes else None, metadata=CHANGE_DOC
    )
    created_at = ma.fields.DateTime()
    decided_at = ma.fields.DateTime(allow_none=True)
    registry_state = ma.fields.String(
        metadata={
            "enum": list(STATE_LABELS),
            "description": "what the business registry said: verified; mismatch (name or "
            "address not the registry's: see registry.differences); unverified (it did not "
            "answer; asked again every 15 minutes); ended or not_found (found on a re-check)",
        }
    )
    registry_state_label = ma.fields.Function(
        lambda r: STATE_LABELS.get(r.registry_state), metadata={"type": "string"}
    )
    registry = ma.fields.Function(
        lambda r: json.loads(r.registry) if r.registry else None,
        metadata={
            "type": "object",
            "nullable": True,
            "description": "the registry's name, address, status, entity_type, "
            "representative (masked), established, differences and checked_at, beside "
            "the shop's own",
        },
    )


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
    community = ma.fields.Function(
        lambda s: s.community.name if s.community_id else None,
        metadata={"type": "string", "nullable": True},
    )
    location = ma.fields.Function(
        _location,
        metadata={
            "type": "object",
            "nullable": True,
            "description": "lat, lng; null if never given",
        },
    )
    phone = ma.fields.String(allow_none=True)
    opening_hours = ma.fields.String(allow_none=True)
    description = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    risk_grade = ma.fields.String()
    open_rectifications = ma.fields.Integer()
    created_at = ma.fields.DateTime()


def licence_status(licence) -> str:
    return validity(licence.valid_to, clock.today_local(), licence.valid_from)


class LicenceOut(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    type = ma.fields.String()
    type_label = ma.fields.Function(
        lambda lic: LICENCE_TYPES.get(lic.type, lic.type), metadata={"type": "string"}
    )
    number = ma.fields.String()
    issuer = ma.fields.String()
    valid_from = ma.fields.Date()
    valid_to = ma.fields.Date()
    scope = ma.fields.String(allow_none=True)
    photo = ma.fields.Function(
        lambda lic: lic.photo.public_id if lic.photo_id else None,
        metadata={"type": "string", "nullable": True, "description": "an upload id"},
    )
    status = ma.fields.Function(
        licence_status, metadata={"type": "string", "enum": list(STATUS_LABELS)}
    )
    verified = ma.fields.Function(
        lambda lic: lic.verified_at is not None, metadata={"type": "boolean"}
    )


class PublicLicenceOut(ma.Schema):
    """A licence as a passer-by sees it: the number partly hidden."""

    type = ma.fields.String()
    type_label = ma.fields.Function(
        lambda lic: LICENCE_TYPES.get(lic.type, lic.type), metadata={"type": "string"}
    )
    number = ma.fields.Function(
        lambda lic: masking.number(lic.number), metadata={"type": "string", "description": "masked"}
    )
    issuer = ma.fields.String()
    valid_to = ma.fields.Date()
    status = ma.fields.Function(
        licence_status, metadata={"type": "string", "enum": list(STATUS_LABELS)}
    )


class EmployeeOut(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    name = ma.fields.String()
    position = ma.fields.String(allow_none=True)
    health_cert_number = ma.fields.String()
    health_cert_expires = ma.fields.Date()
    health_cert_status = ma.fields.Function(
        lambda e: validity(e.health_cert_expires, clock.today_local()),
        metadata={"type": "string", "enum": CERTIFICATE_STATUSES},
    )


class HonourOut(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    title = ma.fields.String()
    issuer = ma.fields.String()
    awarded_on = ma.fields.Date(allow_none=True)
