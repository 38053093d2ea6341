"""The shapes of inspections and rectification orders that shops, staff and the scan read."""

from __future__ import annotations

import json

import marshmallow as ma
from marshmallow import validate

from backend import masking
from backend.fields import Text
from backend.models import InspectionConfirmation
from backend.models.inspections import (
    CONFIRMATION_STATES,
    FAR_AWAY_METRES,
    ORDER_STATUSES,
    SUBMISSION_DECISIONS,
    corrected_results,
)

CONFIRMATION_LABELS = {
    "pending": "待确认",
    "confirmed": "已确认",
    "rejected": "已驳回",
    "superseded": "已被后续检查取代",
}


class ChecklistAnswer(ma.Schema):
    code = ma.fields.String(required=True)
    ok = ma.fields.Boolean(required=True)
    note = Text(load_default=None, validate=validate.Length(max=300))


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
    photos = ma.fields.Function(
        lambda s: json.loads(s.photos),
        metadata={
            "type": "array",
            "items": {"type": "string"},
            "description": "upload ids; the shop's people and regulators in scope can open them",
        },
    )
    submitted_at = ma.fields.DateTime(attribute="created_at")
    decision = ma.fields.String(
        allow_none=True,
        metadata={
            "enum": [*SUBMISSION_DECISIONS, None],
            "description": "null while it waits; withdrawn when its order was withdrawn first",
        },
    )
    reason = ma.fields.String(allow_none=True, metadata={"description": "why it was rejected"})
    decided_at = ma.fields.DateTime(allow_none=True)


class RectificationDetail(RectificationOut):
    submissions = ma.fields.List(
        ma.fields.Nested(EvidenceOut),
        attribute="submission_list",
        metadata={"description": "newest first"},
    )


class FindingOut(ma.Schema):
    code = ma.fields.String()
    severity = ma.fields.String()
    note = ma.fields.String(allow_none=True)
    photo = ma.fields.Function(lambda f: f.photo.public_id if f.photo_id else None)


def _corrected_result(inspection) -> str | None:
    return corrected_results([inspection.id]).get(inspection.id)


def _held(inspection) -> InspectionConfirmation | None:
    """The decision row of an inspection that needed one (read once per inspection)."""
    if not hasattr(inspection, "held"):
        inspection.held = InspectionConfirmation.get_or_none(
            InspectionConfirmation.inspection == inspection.id
        )
    return inspection.held


def _confirmation(inspection) -> str:
    held = _held(inspection)
    return held.state if held else "confirmed"


def _deferred_order(inspection) -> dict | None:
    held = _held(inspection)
    if held is None or held.state != "pending" or held.rectify_by is None:
        return None
    return {"deadline": held.rectify_by.isoformat(), "requirements": held.requirements}


class InspectionOut(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    shop_id = ma.fields.String(attribute="shop.public_id")
    inspector = ma.fields.Function(
        lambda i: masking.name(i.inspector.name),
        metadata={"type": "string", "description": "masked"},
    )
    co_inspector = ma.fields.Function(
        lambda i: masking.name(i.co_inspector.name) if i.co_inspector_id else None,
        metadata={"type": "string", "nullable": True, "description": "masked"},
    )
    template = ma.fields.String()
    checklist = ma.fields.Function(
        lambda i: json.loads(i.checklist), metadata={"type": "array", "items": {"type": "object"}}
    )
    findings = ma.fields.Function(
        lambda i: FindingOut(many=True).dump(getattr(i, "finding_list", None) or list(i.findings)),
        metadata={"type": "array", "items": {"type": "object"}},
    )
    result = ma.fields.String()
    score = ma.fields.Integer(
        allow_none=True, metadata={"description": "the checklist's score on 100, as recorded"}
    )
    grade = ma.fields.String(
        allow_none=True, metadata={"description": "动态等级 the score gave: A 良好, B 一般, C 较差"}
    )
    rule_version = ma.fields.Integer(
        allow_none=True, metadata={"description": "the scoring rule's version it was scored under"}
    )
    note = ma.fields.String(allow_none=True)
    distance_m = ma.fields.Integer(allow_none=True)
    far_away = ma.fields.Boolean(
        metadata={"description": f"recorded over {FAR_AWAY_METRES} m away"}
    )
    confirmation = ma.fields.Function(
        _confirmation,
        metadata={
            "type": "string",
            "enum": list(CONFIRMATION_STATES),
            "description": "pending: recorded away from the shop (or the shop has no location), "
            "it changes nothing until an admin confirms it; superseded: a later inspection "
            "counted first",
        },
    )
    confirmation_label = ma.fields.Function(
        lambda i: CONFIRMATION_LABELS[_confirmation(i)], metadata={"type": "string"}
    )
    rejection_reason = ma.fields.Function(
        lambda i: _held(i).reason if _confirmation(i) == "rejected" else None,
        metadata={"type": "string", "nullable": True},
    )
    deferred_order = ma.fields.Function(
        _deferred_order,
        metadata={
            "type": "object",
            "nullable": True,
            "properties": {
                "deadline": {"type": "string", "format": "date"},
                "requirements": {"type": "string"},
            },
            "description": "while pending, the order the inspector asked for; made on "
            "confirmation, its deadline moved on by the days the inspection waited",
        },
    )
    recorded_at = ma.fields.DateTime()
    lifecycle_seq = ma.fields.Integer(attribute="event_seq")
    corrected_result = ma.fields.Function(
        _corrected_result,
        metadata={
            "type": "string",
            "nullable": True,
            "description": "the result as the latest correction gives it; null if never corrected",
        },
    )
