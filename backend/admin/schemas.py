"""Input and output of the staff API."""

from __future__ import annotations

import json

import marshmallow as ma
from marshmallow import validate

from backend import masking
from backend.fields import Line, Phone, Text, row_id_field
from backend.models.people import ASSIGNABLE_ROLES
from backend.models.regions import DEPARTMENT_KINDS
from backend.models.shops import REQUEST_STATUSES
from backend.schemas import FreeText, Qualifications, UnmaskedQuery
from backend.shops.schemas import ShopRequestOut


class ApplicantOut(ma.Schema):
    """Who asks, masked: enough to recognise a person the admin has met or called back."""

    name = ma.fields.Function(lambda user: masking.name(user.display_name), allow_none=True)
    phone = ma.fields.Function(lambda user: masking.phone(user.phone), allow_none=True)


class ShopRequestReview(ShopRequestOut):
    """A registration, claim or change as the admin deciding it sees it."""

    applicant = ma.fields.Nested(ApplicantOut, attribute="user")


class RequestFilter(ma.Schema):
    status = ma.fields.String(
        load_default="pending", validate=validate.OneOf(list(REQUEST_STATUSES))
    )


class Rejection(ma.Schema):
    note = Text(
        required=True,
        validate=validate.Length(min=2, max=300),
        metadata={"description": "why, shown to the applicant"},
    )


class StatusChange(ma.Schema):
    status = ma.fields.String(
        required=True, validate=validate.OneOf(["active", "suspended", "closed"])
    )
    reason = Text(required=True, validate=validate.Length(min=2, max=300))


class PrintFormat(ma.Schema):
    format = ma.fields.String(load_default="pdf", validate=validate.OneOf(["pdf", "zip"]))


# -- inspections ----------------------------------------------------------------------------
class DepartmentIn(ma.Schema):
    name = Line(required=True, validate=validate.Length(min=2, max=100))
    kind = ma.fields.String(required=True, validate=validate.OneOf(list(DEPARTMENT_KINDS)))
    region = ma.fields.String(required=True, metadata={"description": "jurisdiction region code"})


class DepartmentOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    kind = ma.fields.String()
    region = ma.fields.String(attribute="region.code")
    region_name = ma.fields.String(attribute="region.name")


class StaffIn(ma.Schema):
    name = Line(required=True, validate=validate.Length(min=1, max=40))
    role = ma.fields.String(
        required=True,
        validate=validate.OneOf(list(ASSIGNABLE_ROLES)),
        metadata={"description": "auditor: 纪检监察, reads sampling plans and their lists"},
    )
    region = ma.fields.String(required=True, metadata={"description": "scope region code"})
    phone = Phone(load_default=None)
    department = row_id_field(load_default=None)
    qualifications = Qualifications(load_default=list)


class QualificationsIn(ma.Schema):
    qualifications = Qualifications(required=True)


class StaffFilter(ma.Schema):
    role = ma.fields.String(load_default=None, validate=validate.OneOf(list(ASSIGNABLE_ROLES)))
    active = ma.fields.Boolean(load_default=None)


class StaffOut(ma.Schema):
    """A colleague as listed: name and phone masked."""

    id = ma.fields.Integer()
    name = ma.fields.Function(lambda s: masking.name(s.name), metadata={"type": "string"})
    phone = ma.fields.Function(
        lambda s: masking.phone(s.phone), metadata={"type": "string", "nullable": True}
    )
    role = ma.fields.String()
    region = ma.fields.String(attribute="region.code")
    region_name = ma.fields.String(attribute="region.name")
    department = ma.fields.Function(
        lambda s: s.department.name if s.department_id else None,
        metadata={"type": "string", "nullable": True},
    )
    qualifications = ma.fields.Function(
        lambda s: json.loads(s.qualifications),
        metadata={"type": "array", "items": {"type": "string"}},
    )
    active = ma.fields.Boolean()
    bound = ma.fields.Function(
        lambda s: s.user_id is not None,
        metadata={"type": "boolean", "description": "a WeChat user has bound the account"},
    )


class StaffDetail(StaffOut):
    """Unmasked; every read of it is audited."""

    name = ma.fields.String()
    phone = ma.fields.String(allow_none=True)


class StaffCreated(ma.Schema):
    staff = ma.fields.Nested(StaffOut)
    binding_code = ma.fields.String(metadata={"description": "one-time; shown only now"})


class AuditFilter(ma.Schema):
    action = ma.fields.String(load_default=None)
    target_type = ma.fields.String(load_default=None)


class AuditOut(ma.Schema):
    id = ma.fields.Integer()
    at = ma.fields.DateTime()
    staff_id = ma.fields.Integer(attribute="staff_id", allow_none=True)
    action = ma.fields.String()
    target_type = ma.fields.String()
    target_id = ma.fields.String()
    region_path = ma.fields.String()
    detail = ma.fields.Function(lambda a: json.loads(a.detail), metadata={"type": "object"})
    ip = ma.fields.String(allow_none=True)
    request_id = ma.fields.String(allow_none=True)


class Stats(ma.Schema):
    region = ma.fields.String()
    shops = ma.fields.Integer()
    shops_by_status = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    shops_by_risk_grade = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    licences_expiring_30_days = ma.fields.Integer(
        metadata={"description": "of active and suspended shops, as the licence sweep counts them"}
    )
    licences_expired = ma.fields.Integer(
        metadata={"description": "of active and suspended shops, as the licence sweep counts them"}
    )
    inspections_this_month = ma.fields.Integer()
    pass_rate_this_month = ma.fields.Float(allow_none=True)
    rectifications_open = ma.fields.Integer()
    rectifications_overdue = ma.fields.Integer()


class VerifyOut(ma.Schema):
    ok = ma.fields.Boolean()
    length = ma.fields.Integer(metadata={"description": "events checked"})
    first_broken_seq = ma.fields.Integer(allow_none=True)
    reason = ma.fields.String(allow_none=True)


class Contact(ma.Schema):
    role = ma.fields.String()
    display_name = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)


class ShopFilter(ma.Schema):
    status = ma.fields.String(
        load_default=None, validate=validate.OneOf(["pending", "active", "suspended", "closed"])
    )
    risk_grade = ma.fields.String(load_default=None, validate=validate.OneOf(list("ABCD")))
    street = ma.fields.String(load_default=None, metadata={"description": "street region code"})
    q = ma.fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "part of the name"},
    )


# -- residents --------------------------------------------------------------------------------
class MembershipFilter(ma.Schema):
    status = ma.fields.String(
        load_default="pending", validate=validate.OneOf(["pending", "approved", "rejected", "left"])
    )


class MembershipDecision(ma.Schema):
    note = ma.fields.String(load_default=None, validate=validate.Length(max=200))


class CommunityMemberOut(ma.Schema):
    """A member or applicant as a cadre sees them: masked."""

    id = ma.fields.Integer()
    community = ma.fields.String(attribute="community.code")
    community_name = ma.fields.String(attribute="community.name")
    status = ma.fields.String()
    display_name = ma.fields.Function(lambda m: masking.name(m.user.display_name))
    phone = ma.fields.Function(lambda m: masking.phone(m.user.phone))
    phone_bound = ma.fields.Function(lambda m: bool(m.user.phone))
    created_at = ma.fields.DateTime()


class CommunityCodeOut(ma.Schema):
    code = ma.fields.String()
    url = ma.fields.String()
    issued_at = ma.fields.DateTime()


class ResidentCodeCheck(ma.Schema):
    code = ma.fields.String(
        required=True,
        validate=validate.Length(min=10, max=2000),
        metadata={"description": "the scanned SQR1:… text"},
    )


class ResidentSeen(ma.Schema):
    name = ma.fields.String(metadata={"description": "masked"})
    community = ma.fields.String()
    status = ma.fields.String()


class ResidentCodeVerdict(ma.Schema):
    valid = ma.fields.Boolean(required=True)
    reason = ma.fields.String(
        required=True,
        metadata={
            "enum": [
                "ok",
                "malformed",
                "unknown_kid",
                "wrong_key",
                "bad_signature",
                "wrong_kind",
                "expired",
                "replayed",
                "unknown_resident",
                "not_a_member",
            ]
        },
    )
    resident = ma.fields.Nested(ResidentSeen, allow_none=True)


class RatingFilter(UnmaskedQuery):
    status = ma.fields.String(load_default="held", validate=validate.OneOf(["held", "visible"]))


class StaffRatingOut(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    shop_id = ma.fields.String(attribute="shop.public_id")
    shop_name = ma.fields.String(attribute="shop.name")
    stars = ma.fields.Integer()
    text = FreeText(allow_none=True)
    status = ma.fields.String()
    created_at = ma.fields.DateTime()


class StaffComplaintOut(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    shop_id = ma.fields.String(attribute="shop.public_id")
    shop_name = ma.fields.String(attribute="shop.name")
    category = ma.fields.String()
    text = FreeText()
    status = ma.fields.String()
    created_at = ma.fields.DateTime()


class OutboxStats(ma.Schema):
    by_status = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        required=True,
        metadata={"description": "pending, sent, refused (43101), failed, withdrawn"},
    )
    by_template = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer()),
        required=True,
    )
    oldest_pending_seconds = ma.fields.Float(
        required=True, metadata={"description": "how long the oldest pending message has waited"}
    )
