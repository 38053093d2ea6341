"""The views of a scanned code: one schema per audience."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app

from backend import clock, codes, masking
from backend.inspections.schemas import InspectionOut, RectificationOut
from backend.policies.schemas import PublicNotice, UnreadPolicy
from backend.ratings.schemas import PublicComment, SeenComplaintOut
from backend.schemas import LifecycleEventOut
from backend.shops import facts
from backend.shops.schemas import (
    EmployeeOut,
    HonourOut,
    LicenceOut,
    PublicLicenceOut,
    ShopOut,
)

GRADE_DOC = {
    "type": "object",
    "description": "the public grade, from inspections alone: value (动态等级 of the latest "
    "counted inspection: A 良好 笑脸, B 一般 平脸, C 较差 哭脸; null reads 待评级), label "
    "(食品安全等级 for food, 经营规范等级 elsewhere), meaning, face, score (0–100), annual "
    "(年度等级: value, meaning, score, inspections of the last 12 months), history (the "
    "latest three: date, grade, score), appeal (label 复核中 and filed_on while an appeal is "
    "open), reply (the owner's statement: text, date, note 商户自述，未经核实), legend. "
    "The rules: GET /api/v1/public/grading-rules",
}


class ShopPublic(ma.Schema):
    """What anyone who scans the code sees."""

    id = ma.fields.String(attribute="public_id")
    name = ma.fields.String()
    category = ma.fields.String()
    category_label = ma.fields.Function(
        lambda s: facts.CATEGORIES.get(s.category), metadata={"type": "string"}
    )
    address = ma.fields.String()
    street = ma.fields.String(attribute="street.name")
    community = ma.fields.Function(
        lambda s: s.community.name if s.community_id else None,
        metadata={"type": "string", "nullable": True},
    )
    status = ma.fields.String()
    status_label = ma.fields.Function(
        lambda s: facts.SHOP_STATUS_LABELS.get(s.status), metadata={"type": "string"}
    )
    status_text = ma.fields.Function(
        facts.status_text,
        metadata={
            "type": "string",
            "description": "what the page leads with: 该商户已注销, 停业整改中（检查不合格）…",
        },
    )
    grade = ma.fields.Function(facts.grade, metadata=GRADE_DOC)
    rating = ma.fields.Function(
        facts.rating_summary,
        metadata={
            "type": "object",
            "description": "count, mean (null before the first rating), histogram (1★ … 5★)",
        },
    )
    last_inspection = ma.fields.Function(
        facts.last_inspection,
        allow_none=True,
        metadata={
            "type": "object",
            "description": "date (YYYY-MM-DD, in Shanghai), result, result_label, "
            "rectification (after a 限期整改: open while an order is, then done, labelled 已整改)",
        },
    )


class CodeInfo(ma.Schema):
    code = ma.fields.String()
    url = ma.fields.Function(
        lambda c: codes.printed_url(current_app.config["CITYCODE"].public_base_url, c.code),
        metadata={"type": "string", "description": "the URL the QR code holds, upper case"},
    )
    issued_at = ma.fields.DateTime()


class OwnerPart(ma.Schema):
    """What the shop's own people see in addition."""

    role = ma.fields.String(metadata={"enum": ["owner", "staff"]})
    profile = ma.fields.Nested(ShopOut)
    licences = ma.fields.List(ma.fields.Nested(LicenceOut))
    employees = ma.fields.List(ma.fields.Nested(EmployeeOut))
    open_rectifications = ma.fields.Integer()
    code = ma.fields.Nested(CodeInfo)
    can_manage_code = ma.fields.Boolean()
    policies = ma.fields.List(
        ma.fields.Nested(UnreadPolicy), metadata={"description": "reached me for it, unread"}
    )


class MaskedEmployee(ma.Schema):
    """An employee as an inspector sees them at the counter: enough to check, not to copy."""

    id = ma.fields.String(attribute="public_id")
    name = ma.fields.Function(
        lambda e: masking.name(e.name), metadata={"type": "string", "description": "masked: 张*"}
    )
    position = ma.fields.String(allow_none=True)
    health_cert_number = ma.fields.Function(
        lambda e: masking.number(e.health_cert_number, 2, 2),
        metadata={"type": "string", "description": "masked"},
    )
    health_cert_expires = ma.fields.Date()
    health_cert_status = ma.fields.Function(
        lambda e: facts.validity(e.health_cert_expires, clock.today_local()),
        metadata={"type": "string", "enum": facts.CERTIFICATE_STATUSES},
    )


class RiskReason(ma.Schema):
    reason = ma.fields.String()
    points = ma.fields.Integer()


class Risk(ma.Schema):
    grade = ma.fields.String(
        metadata={"description": "the published grade, the one on the shop and its public view"}
    )
    grade_today = ma.fields.String(
        metadata={
            "description": "what today's facts give; the published grade follows at the shop's "
            "next write or the daily sweep (a licence may have expired since)"
        }
    )
    points = ma.fields.Integer(metadata={"description": "today's points"})
    reasons = ma.fields.List(
        ma.fields.Nested(RiskReason), metadata={"description": "today's reasons"}
    )


class ScanProof(ma.Schema):
    token = ma.fields.String(metadata={"description": "present it when recording an inspection"})
    expires_at = ma.fields.DateTime()


class ChecklistItem(ma.Schema):
    code = ma.fields.String()
    text = ma.fields.String()


class Checklist(ma.Schema):
    template = ma.fields.String(metadata={"description": "send back as the inspection's template"})
    title = ma.fields.String()
    items = ma.fields.List(ma.fields.Nested(ChecklistItem))


class RegulatoryPart(ma.Schema):
    """What an inspector whose scope covers the shop sees, in one response."""

    profile = ma.fields.Nested(ShopOut)
    licences = ma.fields.List(ma.fields.Nested(LicenceOut))
    employees = ma.fields.List(ma.fields.Nested(MaskedEmployee))
    inspections = ma.fields.List(ma.fields.Nested(InspectionOut))
    open_rectifications = ma.fields.List(ma.fields.Nested(RectificationOut))
    risk = ma.fields.Nested(Risk)
    low_ratings = ma.fields.List(ma.fields.Nested(PublicComment))
    complaints = ma.fields.List(ma.fields.Nested(SeenComplaintOut))
    lifecycle_tail = ma.fields.List(ma.fields.Nested(LifecycleEventOut))
    scan_proof = ma.fields.Nested(ScanProof)
    checklist = ma.fields.Nested(Checklist)


class CommunityPart(ma.Schema):
    code = ma.fields.String(metadata={"description": "region code"})
    name = ma.fields.String()
    street = ma.fields.String(allow_none=True)
    my_status = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "your membership: pending, approved, rejected — or null: ask to join"
        },
    )
    join_code = ma.fields.String(metadata={"description": "send it to POST /resident/memberships"})


class ScanResult(ma.Schema):
    verdict = ma.fields.String(
        required=True, metadata={"enum": ["official", "replaced", "not_official"]}
    )
    message = ma.fields.String(required=True)
    # null for a code that is not official or was replaced: there is nothing to view.
    kind = ma.fields.String(allow_none=True, metadata={"enum": ["shop", "community", None]})
    view = ma.fields.String(
        allow_none=True, metadata={"enum": ["public", "owner", "regulatory", None]}
    )
    shop = ma.fields.Nested(ShopPublic, allow_none=True)
    licences = ma.fields.List(ma.fields.Nested(PublicLicenceOut))
    honours = ma.fields.List(ma.fields.Nested(HonourOut))
    owner = ma.fields.Nested(OwnerPart, allow_none=True)
    regulatory = ma.fields.Nested(RegulatoryPart, allow_none=True)
    community = ma.fields.Nested(CommunityPart, allow_none=True)
    rating_ticket = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "present it to rate this shop within 24 hours; "
            "null for the shop's own people and for a closed shop"
        },
    )
    comments = ma.fields.List(ma.fields.Nested(PublicComment))
    notices = ma.fields.List(
        ma.fields.Nested(PublicNotice),
        metadata={"description": "laws and notices in force for shops of its category here"},
    )
