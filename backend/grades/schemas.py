"""Input and output of appeals, replies and re-ratings, for the shop and for staff."""

from __future__ import annotations

import json

import marshmallow as ma
from marshmallow import validate

from backend import clock, masking
from backend.fields import Text
from backend.grades.appeals import OUTCOMES
from backend.grades.replies import HIDING_LABELS, MAX_LENGTH
from backend.grades.reratings import ACCEPTED_LABEL
from backend.inspections.schemas import ChecklistAnswer

APPEAL_LABELS = {"open": "复核中", "upheld": "维持原等级", "changed": "已更正等级"}
PHOTOS = ma.fields.List(
    ma.fields.String(),
    load_default=list,
    validate=validate.Length(max=9),
    metadata={"description": "ids of the shop's uploads"},
)


class AppealIn(ma.Schema):
    reason = Text(required=True, validate=validate.Length(min=5, max=1000))
    photos = PHOTOS


class AppealDecision(ma.Schema):
    outcome = ma.fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    note = Text(required=True, validate=validate.Length(min=2, max=1000))
    checklist = ma.fields.List(
        ma.fields.Nested(ChecklistAnswer),
        load_default=None,
        metadata={
            "description": "changed: every item of the inspection's checklist as it "
            "should have been answered; scored under the inspection's rule version"
        },
    )


class AppealFilter(ma.Schema):
    overdue = ma.fields.Boolean(
        load_default=False, metadata={"description": "only open ones past their deadline"}
    )


class AppealOut(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    inspection_id = ma.fields.String(attribute="inspection.public_id")
    inspected_on = ma.fields.Function(
        lambda a: clock.local_date(a.inspection.recorded_at).isoformat(),
        metadata={"type": "string", "format": "date"},
    )
    grade = ma.fields.String(attribute="inspection.grade", allow_none=True)
    score = ma.fields.Integer(attribute="inspection.score", allow_none=True)
    reason = ma.fields.String()
    photos = ma.fields.Function(lambda a: json.loads(a.photos), metadata={"type": "array"})
    state = ma.fields.String(metadata={"enum": ["open", *OUTCOMES]})
    state_label = ma.fields.Function(lambda a: APPEAL_LABELS[a.state], metadata={"type": "string"})
    filed_at = ma.fields.DateTime()
    due_at = ma.fields.DateTime(
        attribute="work_order.resolve_due_at", allow_none=True, metadata={"description": "by"}
    )
    work_order = ma.fields.String(attribute="work_order.number")
    decided_at = ma.fields.DateTime(allow_none=True)
    decision_note = ma.fields.String(allow_none=True)
    corrected_score = ma.fields.Integer(allow_none=True)
    corrected_grade = ma.fields.String(allow_none=True)


class AppealStaffOut(AppealOut):
    shop_id = ma.fields.String(attribute="shop.public_id")
    shop_name = ma.fields.String(attribute="shop.name")
    overdue = ma.fields.Function(
        lambda a: (
            a.state == "open"
            and a.work_order.resolve_due_at is not None
            and a.work_order.resolve_due_at < clock.now()
        ),
        metadata={"type": "boolean"},
    )


class GradeReplyIn(ma.Schema):
    text = Text(required=True, validate=validate.Length(min=1, max=MAX_LENGTH))


class HideReply(ma.Schema):
    reason = ma.fields.String(
        required=True,
        validate=validate.OneOf(list(HIDING_LABELS)),
        metadata={"description": "defamatory (诋毁) or personal_data (个人信息)"},
    )
    note = Text(required=True, validate=validate.Length(min=2, max=500))


class GradeReplyOut(ma.Schema):
    inspection_id = ma.fields.String(attribute="inspection.public_id")
    text = ma.fields.Function(lambda r: masking.free_text(r.text), metadata={"type": "string"})
    published_at = ma.fields.DateTime()
    hidden = ma.fields.Function(lambda r: r.hidden_at is not None, metadata={"type": "boolean"})
    hidden_reason = ma.fields.String(allow_none=True)
    hidden_reason_label = ma.fields.Function(
        lambda r: HIDING_LABELS.get(r.hidden_reason),
        metadata={"type": "string", "nullable": True},
    )


class RerateIn(ma.Schema):
    evidence = Text(required=True, validate=validate.Length(min=5, max=1000))
    photos = PHOTOS


class RerateOut(ma.Schema):
    """What the owner reads: accepted and by when; never the day of the visit."""

    id = ma.fields.String(attribute="public_id")
    inspection_id = ma.fields.String(attribute="inspection.public_id")
    state = ma.fields.String(metadata={"enum": ["accepted", "done"]})
    state_label = ma.fields.Function(
        lambda r: ACCEPTED_LABEL if r.state == "accepted" else "已复查",
        metadata={"type": "string"},
    )
    due_on = ma.fields.Date(metadata={"description": "the visit comes unannounced by then"})
    evidence = ma.fields.String()
    created_at = ma.fields.DateTime()
    work_order = ma.fields.String(attribute="work_order.number")


class RerateStaffOut(RerateOut):
    shop_id = ma.fields.String(attribute="shop.public_id")
    shop_name = ma.fields.String(attribute="shop.name")
    address = ma.fields.String(attribute="shop.address")
