"""Input of the staff API's work orders, routing rules and departments."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.fields import Line, Text, row_id_field
from backend.i18n import reason
from backend.models.workorders import PRIORITIES, SLA_MARKS, STATES

PHOTOS = ma.fields.List(
    ma.fields.String(validate=validate.Length(max=32)),
    load_default=list,
    validate=validate.Length(max=9),
    metadata={"description": "upload ids (POST /api/v1/admin/uploads), at most 9"},
)


class CategoryTimesIn(ma.Schema):
    sign_working_days = ma.fields.Integer(load_default=None, validate=validate.Range(min=1, max=30))
    resolve_working_days = ma.fields.Integer(
        load_default=None, validate=validate.Range(min=1, max=90)
    )


class OrderFilter(ma.Schema):
    state = ma.fields.String(load_default=None, validate=validate.OneOf(list(STATES)))
    department = row_id_field(load_default=None)
    category = Line(load_default=None, validate=validate.Length(max=32))
    sla = ma.fields.String(load_default=None, validate=validate.OneOf(list(SLA_MARKS)))
    region = Line(load_default=None, validate=validate.Length(max=32))


class OrderLocationIn(ma.Schema):
    lat = ma.fields.Float(required=True, validate=validate.Range(min=3.8, max=53.6))
    lng = ma.fields.Float(required=True, validate=validate.Range(min=73.5, max=135.1))
    address = Line(load_default=None, validate=validate.Length(max=255))


class ReferralIn(ma.Schema):
    category = Line(required=True, validate=validate.Length(max=32))
    description = Text(required=True, validate=validate.Length(min=5, max=2000))
    shop = Line(load_default=None, validate=validate.Length(max=16))
    region = Line(load_default=None, validate=validate.Length(max=32))
    location = ma.fields.Nested(OrderLocationIn, load_default=None)
    photos = PHOTOS
    priority = ma.fields.String(load_default="normal", validate=validate.OneOf(list(PRIORITIES)))


class ReasonIn(ma.Schema):
    reason = Text(required=True, validate=validate.Length(min=2, max=500))


class NoteIn(ma.Schema):
    note = Text(required=True, validate=validate.Length(min=2, max=500))


class ResolutionIn(ma.Schema):
    result = Text(required=True, validate=validate.Length(min=2, max=1000))
    photos = ma.fields.List(
        ma.fields.String(validate=validate.Length(max=32)),
        load_default=list,
        validate=validate.Length(max=9),
        metadata={"description": "upload ids showing the result: 1 to 9 (a complaint: 0 to 9)"},
    )
    finding = ma.fields.String(
        load_default=None,
        validate=validate.OneOf(["substantiated", "not_substantiated"]),
        metadata={"description": "a complaint's: whether it was substantiated (required)"},
    )


class DispatchIn(ma.Schema):
    department = row_id_field(required=True)


class TransferIn(ma.Schema):
    department = row_id_field(required=True)
    reason = Text(required=True, validate=validate.Length(min=2, max=500))


class ExtensionIn(ma.Schema):
    days = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=30))
    reason = Text(required=True, validate=validate.Length(min=2, max=500))


class ExtensionDecisionIn(ma.Schema):
    grant = ma.fields.Boolean(required=True)
    note = Text(load_default=None, validate=validate.Length(max=500))


class MergeIn(ma.Schema):
    into = Line(required=True, validate=validate.Length(max=24))


class RuleIn(ma.Schema):
    category = Line(
        load_default=None,
        validate=validate.Length(max=32),
        metadata={"description": "a category code; none: the region's default department"},
    )
    region = Line(required=True, validate=validate.Length(max=32))
    department = row_id_field(required=True)


class RuleOut(ma.Schema):
    id = ma.fields.Integer()
    category = ma.fields.Function(
        lambda r: r.category.code if r.category_id else None,
        metadata={"type": "string", "nullable": True},
    )
    region = ma.fields.String(attribute="region.code")
    region_name = ma.fields.String(attribute="region.name")
    department = ma.fields.Integer(attribute="department.id")
    department_name = ma.fields.String(attribute="department.name")
    created_at = ma.fields.DateTime()


class StatsQuery(ma.Schema):
    since = ma.fields.Date(
        required=True, metadata={"description": "first Shanghai day, 2026-12-01"}
    )
    until = ma.fields.Date(required=True, metadata={"description": "last Shanghai day, included"})

    @ma.validates_schema
    def _in_order(self, data, **kwargs):
        if data["until"] < data["since"]:
            raise ma.ValidationError(
                reason("period_reversed", "the period ends before it starts"), "until"
            )
        if (data["until"] - data["since"]).days > 366:
            raise ma.ValidationError(reason("period_too_long", "at most a year at a time"), "until")


class Figures(ma.Schema):
    received = ma.fields.Integer()
    signed_on_time_pct = ma.fields.Float(allow_none=True)
    resolved_on_time_pct = ma.fields.Float(allow_none=True)
    overdue_now = ma.fields.Integer()
    returned_pct = ma.fields.Float(allow_none=True)
    reopened_pct = ma.fields.Float(allow_none=True)
    satisfaction_pct = ma.fields.Float(
        allow_none=True, metadata={"description": "satisfied and basically satisfied, of rated"}
    )
    median_working_days = ma.fields.Float(allow_none=True)


class DepartmentFigures(Figures):
    department_id = ma.fields.Integer(allow_none=True)
    department = ma.fields.String()


class RegionFigures(Figures):
    region = ma.fields.String()
    region_name = ma.fields.String()


class StatsOut(ma.Schema):
    since = ma.fields.Date()
    until = ma.fields.Date()
    total = ma.fields.Nested(Figures)
    by_department = ma.fields.Nested(DepartmentFigures, many=True)
    by_region = ma.fields.Nested(RegionFigures, many=True)
