"""Input and output of the staff API's inspections: recording, correcting, confirming, and
the rectification orders they make."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.fields import Line, Text, row_id_field
from backend.inspections.schemas import (
    ChecklistAnswer,
    InspectionOut,
    RectificationDetail,
    RectificationOut,
)
from backend.models.inspections import (
    CONFIRMATION_STATES,
    ORDER_STATUSES,
    RESULTS,
    SEVERITIES,
)


class LocationIn(ma.Schema):
    """Where the inspector stands, GCJ-02 (wx.getLocation type 'gcj02')."""

    lat = ma.fields.Float(required=True, validate=validate.Range(min=3.8, max=53.6))
    lng = ma.fields.Float(required=True, validate=validate.Range(min=73.5, max=135.1))


class FindingIn(ma.Schema):
    code = Line(required=True, validate=validate.Length(min=2, max=32))
    severity = ma.fields.String(required=True, validate=validate.OneOf(list(SEVERITIES)))
    note = Text(load_default=None, validate=validate.Length(max=500))
    photo = ma.fields.String(load_default=None, metadata={"description": "an upload id"})


class InspectionIn(ma.Schema):
    scan_proof = ma.fields.String(
        required=True, metadata={"description": "from scanning the shop's code"}
    )
    location = ma.fields.Nested(LocationIn, required=True)
    co_inspector = row_id_field(
        load_default=None, metadata={"description": "staff id of the second inspector"}
    )
    template = ma.fields.String(
        load_default=None, metadata={"description": "checklist; default by industry"}
    )
    checklist = ma.fields.List(
        ma.fields.Nested(ChecklistAnswer), required=True, validate=validate.Length(min=1)
    )
    findings = ma.fields.List(ma.fields.Nested(FindingIn), load_default=list)
    result = ma.fields.String(required=True, validate=validate.OneOf(list(RESULTS)))
    rectify_by = ma.fields.Date(
        load_default=None,
        metadata={
            "description": "the order's deadline: after today and at most 365 days ahead "
            "(Shanghai date)"
        },
    )
    requirements = Text(load_default=None, validate=validate.Length(max=1000))
    note = Text(load_default=None, validate=validate.Length(max=2000))


class ShopState(ma.Schema):
    risk_grade = ma.fields.String()
    status = ma.fields.String()
    last_inspection_at = ma.fields.DateTime(allow_none=True)
    last_inspection_result = ma.fields.String(allow_none=True)
    open_rectifications = ma.fields.Integer()
    lifecycle_seq = ma.fields.Integer()
    lifecycle_head = ma.fields.String()


class RecordedInspection(InspectionOut):
    """The inspection and what it changed, in the same response."""

    rectification = ma.fields.Nested(
        RectificationOut,
        attribute="order",
        allow_none=True,
        metadata={"description": "the order it made, if any"},
    )
    shop_state = ma.fields.Nested(ShopState, attribute="shop_after")


class CorrectionIn(ma.Schema):
    note = Text(required=True, validate=validate.Length(min=2, max=1000))
    corrected_result = ma.fields.String(load_default=None, validate=validate.OneOf(list(RESULTS)))
    co_inspector = row_id_field(
        load_default=None,
        metadata={
            "description": "staff id of a second inspector; needed to correct to rectify or fail"
        },
    )


class CorrectionOut(ma.Schema):
    inspection_id = ma.fields.String(attribute="inspection.public_id")
    note = ma.fields.String()
    corrected_result = ma.fields.String(allow_none=True)
    lifecycle_seq = ma.fields.Integer(attribute="event_seq")
    created_at = ma.fields.DateTime()


class StaffRectificationOut(RectificationOut):
    """An order as an inspector works through the list: which shop it is, and where."""

    shop_name = ma.fields.String(attribute="shop.name")
    shop_address = ma.fields.String(attribute="shop.address")


class StaffRectificationDetail(RectificationDetail, StaffRectificationOut):
    pass


class RectificationFilter(ma.Schema):
    status = ma.fields.String(load_default=None, validate=validate.OneOf(list(ORDER_STATUSES)))
    overdue = ma.fields.Boolean(load_default=None)
    shop_id = ma.fields.String(load_default=None)


class InspectionFilter(ma.Schema):
    confirmation = ma.fields.String(
        load_default=None, validate=validate.OneOf(list(CONFIRMATION_STATES))
    )
    shop_id = ma.fields.String(load_default=None)


class RejectionReason(ma.Schema):
    reason = Text(required=True, validate=validate.Length(min=2, max=500))


# -- people and oversight -------------------------------------------------------------------
