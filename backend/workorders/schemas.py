"""How a work order is shown: to staff (the reporter masked, the history with staff names
masked) and to the person who raised it (departments named, a timeline in Chinese)."""

from __future__ import annotations

import json

import marshmallow as ma

from backend import masking
from backend.models.workorders import PRIORITIES, RATINGS, SLA_MARKS, SOURCES, STATES
from backend.schemas import FreeText

STATE_LABELS = {
    "received": "待派发",
    "dispatched": "待签收",
    "returned": "已退回",
    "signed": "已签收",
    "in_progress": "处理中",
    "resolved": "已办结",
    "closed": "已关闭",
    "merged": "已合并",
}


def _location(order) -> dict | None:
    if order.lat is None:
        return None
    return {"lat": order.lat, "lng": order.lng, "address": order.address}


def _photos(value: str | None) -> list[str]:
    return json.loads(value) if value else []


class CategoryOut(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    group = ma.fields.String()
    description = ma.fields.String()
    sign_working_days = ma.fields.Integer()
    resolve_working_days = ma.fields.Integer()


class _OrderBase(ma.Schema):
    number = ma.fields.String(metadata={"example": "GD20261207000001"})
    source = ma.fields.String(metadata={"enum": list(SOURCES)})
    category = ma.fields.String(attribute="category.code")
    category_name = ma.fields.String(attribute="category.name")
    region = ma.fields.String(attribute="region.code")
    region_name = ma.fields.String(attribute="region.name")
    location = ma.fields.Function(_location, metadata={"type": "object", "nullable": True})
    shop = ma.fields.Function(
        lambda o: o.shop.public_id if o.shop_id else None,
        metadata={"type": "string", "nullable": True},
    )
    state = ma.fields.String(metadata={"enum": list(STATES)})
    state_label = ma.fields.Function(lambda o: STATE_LABELS[o.state])
    department = ma.fields.Function(
        lambda o: o.department.name if o.department_id else None,
        metadata={"type": "string", "nullable": True},
    )
    resolve_due_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime()
    resolved_at = ma.fields.DateTime(allow_none=True)
    closed_at = ma.fields.DateTime(allow_none=True)
    result = ma.fields.String(allow_none=True)
    rating = ma.fields.String(allow_none=True, metadata={"enum": list(RATINGS)})


class StaffOrderOut(_OrderBase):
    """An order as staff see it: the reporter masked, personal data in the text masked."""

    description = FreeText()
    department_id = ma.fields.Integer(allow_none=True)
    priority = ma.fields.String(metadata={"enum": list(PRIORITIES)})
    self_handled = ma.fields.Boolean(metadata={"description": "自行处置: the community's own"})
    sla = ma.fields.String(metadata={"enum": list(SLA_MARKS)})
    due_at = ma.fields.DateTime(allow_none=True)
    sign_due_at = ma.fields.DateTime(allow_none=True)
    reporter_phone = ma.fields.Function(
        lambda o: masking.phone(o.reporter.phone) if o.reporter_id else None,
        metadata={"type": "string", "nullable": True},
    )
    returned = ma.fields.Integer()
    reopened = ma.fields.Integer()
    supervised = ma.fields.Integer()
    extension_asked = ma.fields.Integer(allow_none=True)
    merged_into = ma.fields.Function(
        lambda o: o.merged_into.number if o.merged_into_id else None,
        metadata={"type": "string", "nullable": True},
    )


class DuplicateOut(StaffOrderOut):
    distance_m = ma.fields.Integer(metadata={"description": "from the order asked about"})


class StaffStep(ma.Schema):
    seq = ma.fields.Integer()
    at = ma.fields.DateTime()
    step = ma.fields.String()
    label = ma.fields.String()
    by = ma.fields.String(metadata={"description": "staff names masked"})
    detail = ma.fields.Dict()


class StaffOrderDetail(StaffOrderOut):
    photos = ma.fields.Function(lambda o: _photos(o.photos), metadata={"type": "array"})
    result_photos = ma.fields.Function(
        lambda o: _photos(o.result_photos), metadata={"type": "array"}
    )
    history = ma.fields.Nested(StaffStep, many=True, metadata={"description": "oldest first"})


class ReporterStep(ma.Schema):
    at = ma.fields.DateTime()
    step = ma.fields.String()
    label = ma.fields.String()
    department = ma.fields.String(allow_none=True)
    detail = ma.fields.String(allow_none=True)


class MyOrderOut(_OrderBase):
    description = ma.fields.String()


class MyOrderDetail(MyOrderOut):
    photos = ma.fields.Function(lambda o: _photos(o.photos), metadata={"type": "array"})
    result_photos = ma.fields.Function(
        lambda o: _photos(o.result_photos), metadata={"type": "array"}
    )
    timeline = ma.fields.Nested(ReporterStep, many=True, metadata={"description": "oldest first"})
