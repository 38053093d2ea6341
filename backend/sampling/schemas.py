"""Input and output of sampling plans, tasks and conflicts, for staff and the public."""

from __future__ import annotations

import json

import marshmallow as ma
from marshmallow import validate

from backend import clock
from backend.fields import Line, Text
from backend.sampling import due
from backend.schemas import Qualifications
from backend.shops.facts import CATEGORIES, RESULT_LABELS

STATE_LABELS = {"draft": "草稿", "committed": "已公示承诺值，待抽取", "drawn": "已抽取"}


class Ratios(ma.Schema):
    A = ma.fields.Float(validate=validate.Range(min=0, max=100))
    B = ma.fields.Float(validate=validate.Range(min=0, max=100))
    C = ma.fields.Float(validate=validate.Range(min=0, max=100))
    D = ma.fields.Float(validate=validate.Range(min=0, max=100))


class PlanIn(ma.Schema):
    title = Line(required=True, validate=validate.Length(min=2, max=100))
    region = ma.fields.String(load_default=None, metadata={"description": "default: mine"})
    items = ma.fields.List(
        ma.fields.String(), required=True, validate=validate.Length(min=1, max=20)
    )
    categories = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(list(CATEGORIES))), load_default=list
    )
    ratios = ma.fields.Nested(
        Ratios,
        load_default=None,
        metadata={"description": "percent of each risk grade drawn; default D 30, C 10, B 2, A 1"},
    )
    department = ma.fields.Integer(load_default=None)
    qualifications = Qualifications(
        load_default=list, metadata={"description": "tags every inspector in the pool holds"}
    )
    team_size = ma.fields.Integer(load_default=2, validate=validate.Range(min=2, max=5))
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(required=True)
    recusal_days = ma.fields.Integer(load_default=365, validate=validate.Range(min=0, max=1095))


class CommitIn(ma.Schema):
    public_value_name = Line(
        required=True,
        validate=validate.Length(min=4, max=200),
        metadata={"example": "中国体育彩票超级大乐透第 26141 期开奖号码"},
    )


class DrawIn(ma.Schema):
    public_value = Line(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "as published, e.g. 03 11 19 25 31 + 05 09"},
    )


class ConflictIn(ma.Schema):
    shop_id = ma.fields.String(required=True)
    reason = Text(required=True, validate=validate.Length(min=2, max=200))


class ConflictOut(ma.Schema):
    shop_id = ma.fields.String(attribute="shop.public_id")
    shop_name = ma.fields.String(attribute="shop.name")
    reason = ma.fields.String()
    created_at = ma.fields.DateTime()


class PlanOut(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    title = ma.fields.String()
    state = ma.fields.String(metadata={"enum": list(STATE_LABELS)})
    state_label = ma.fields.Function(lambda p: STATE_LABELS[p.state], metadata={"type": "string"})
    items = ma.fields.Function(lambda p: json.loads(p.items), metadata={"type": "array"})
    categories = ma.fields.Function(lambda p: json.loads(p.categories), metadata={"type": "array"})
    ratios = ma.fields.Function(lambda p: json.loads(p.ratios), metadata={"type": "object"})
    qualifications = ma.fields.Function(
        lambda p: json.loads(p.qualifications), metadata={"type": "array"}
    )
    team_size = ma.fields.Integer()
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()
    recusal_days = ma.fields.Integer()
    commitment = ma.fields.String(allow_none=True)
    public_value_name = ma.fields.String(allow_none=True)
    public_value = ma.fields.String(allow_none=True)
    committed_at = ma.fields.DateTime(allow_none=True)
    drawn_at = ma.fields.DateTime(allow_none=True)


class TaskOut(ma.Schema):
    plan_id = ma.fields.String(attribute="plan.public_id")
    plan_title = ma.fields.String(attribute="plan.title")
    shop_id = ma.fields.String(attribute="shop.public_id")
    shop_name = ma.fields.String(attribute="shop.name")
    address = ma.fields.String(attribute="shop.address")
    deadline = ma.fields.Date()
    done = ma.fields.Function(lambda t: t.done_at is not None, metadata={"type": "boolean"})
    overdue = ma.fields.Function(
        lambda t: t.done_at is None and t.deadline < clock.today_local(),
        metadata={"type": "boolean"},
    )
    publish_by = ma.fields.Date(
        allow_none=True, metadata={"description": "once done: the last day to publish it"}
    )
    published = ma.fields.Function(
        lambda t: t.published_at is not None, metadata={"type": "boolean"}
    )
    published_late_on = ma.fields.Date(
        allow_none=True, metadata={"description": "the day the daily check found it late"}
    )


class PublicPlanSummary(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    title = ma.fields.String()
    state = ma.fields.String(metadata={"enum": ["committed", "drawn"]})
    state_label = ma.fields.Function(lambda p: STATE_LABELS[p.state], metadata={"type": "string"})
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()
    commitment = ma.fields.String()
    public_value_name = ma.fields.String()


def _published(task):
    """The task's inspection once its result is published (一公开); None before."""
    return task.inspection if task.published_at and task.inspection_id else None


def _result(read, schema_type: str, **metadata):
    def value(task):
        inspection = _published(task)
        return read(inspection) if inspection else None

    return ma.fields.Function(value, metadata={"type": schema_type, "nullable": True, **metadata})


class PublicResult(ma.Schema):
    """A drawn shop; its result once the department has published it."""

    shop_id = ma.fields.String(attribute="shop.public_id")
    shop_name = ma.fields.String(attribute="shop.name")
    address = ma.fields.String(attribute="shop.address")
    rank = ma.fields.Integer()
    published_on = ma.fields.Function(
        lambda t: clock.local_date(t.published_at).isoformat() if t.published_at else None,
        metadata={"type": "string", "format": "date", "nullable": True},
    )
    inspected_on = _result(
        lambda i: clock.local_date(i.recorded_at).isoformat(), "string", format="date"
    )
    result = _result(lambda i: i.result, "string")
    result_label = _result(lambda i: RESULT_LABELS.get(i.result), "string")
    items_checked = _result(
        lambda i: len(json.loads(i.checklist)), "integer", description="checklist items answered"
    )
    grade = _result(lambda i: i.grade, "string")
    score = _result(lambda i: i.score, "integer")


class ListHashes(ma.Schema):
    candidates = ma.fields.String()
    pool = ma.fields.String()
    recusals = ma.fields.String()


class PublicPlan(ma.Schema):
    """A committed or drawn plan as anyone reads it: enough to check the draw."""

    id = ma.fields.String()
    title = ma.fields.String()
    state = ma.fields.String(metadata={"enum": ["committed", "drawn"]})
    state_label = ma.fields.Function(
        lambda d: STATE_LABELS[d["state"]], metadata={"type": "string"}
    )
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()
    commitment = ma.fields.String()
    public_value_name = ma.fields.String()
    public_value = ma.fields.String(allow_none=True, metadata={"description": "once drawn"})
    salt = ma.fields.String(allow_none=True, metadata={"description": "revealed once drawn"})
    hashes = ma.fields.Nested(ListHashes, metadata={"description": "SHA-256 of each frozen list"})
    candidates = ma.fields.Integer(metadata={"description": "how many shops it drew from"})
    results = ma.fields.Nested(PublicResult, many=True)


class PlanDocument(ma.Schema):
    """Everything the draw is a function of, and what it gave (`citycode verify-draw`)."""

    plan = ma.fields.String()
    ratios = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float())
    team_size = ma.fields.Integer()
    commitment = ma.fields.String(allow_none=True)
    public_value_name = ma.fields.String(allow_none=True)
    public_value = ma.fields.String(allow_none=True)
    salt = ma.fields.String(allow_none=True, metadata={"description": "once drawn"})
    candidates = ma.fields.List(
        ma.fields.List(ma.fields.String()),
        metadata={"description": "[shop public id, risk grade], sorted"},
    )
    pool = ma.fields.List(ma.fields.Integer(), metadata={"description": "staff ids, sorted"})
    recusals = ma.fields.List(
        ma.fields.List(ma.fields.Raw()),
        metadata={"description": "[shop public id, staff id], sorted"},
    )
    drawn = ma.fields.Dict(
        allow_none=True,
        metadata={"description": "shops (in rank order) and teams ({shop id: [staff id]})"},
    )


class StreetProgress(ma.Schema):
    street = ma.fields.String()
    drawn = ma.fields.Integer()
    done = ma.fields.Integer()
    overdue = ma.fields.Integer()
    published = ma.fields.Integer()
    late = ma.fields.Integer(metadata={"description": "results published late or not yet"})


class PlanProgress(ma.Schema):
    drawn = ma.fields.Integer()
    done = ma.fields.Integer()
    overdue = ma.fields.Integer()
    published = ma.fields.Integer()
    late = ma.fields.Integer(metadata={"description": "results published late or not yet"})
    by_street = ma.fields.Nested(StreetProgress, many=True)


class DueFilter(ma.Schema):
    street = ma.fields.String(load_default=None, metadata={"description": "a street's code"})


class DueShop(ma.Schema):
    """A shop due a routine inspection by its risk grade's frequency (staff only)."""

    id = ma.fields.String(attribute="public_id")
    name = ma.fields.String()
    address = ma.fields.String()
    street = ma.fields.String(attribute="street_name")
    risk_grade = ma.fields.String()
    last_inspected_on = ma.fields.Function(
        lambda s: (
            clock.local_date(s.last_inspection_at).isoformat() if s.last_inspection_at else None
        ),
        metadata={"type": "string", "format": "date", "nullable": True},
    )
    due_on = ma.fields.Function(
        lambda s: due.due_on(s).isoformat() if s.last_inspection_at else None,
        metadata={
            "type": "string",
            "format": "date",
            "nullable": True,
            "description": "null: never inspected",
        },
    )
