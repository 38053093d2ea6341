"""What a device sends and what it is answered."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.fields import Line, Moment
from backend.workorders import devices

STATUSES = ("detected", "cleared")


class DeviceKeyHeader(ma.Schema):
    key = ma.fields.String(
        data_key="X-Device-Key",
        load_default=None,
        metadata={"description": "the key `citycode device-key` printed for this device"},
    )


class DeviceEventLocation(ma.Schema):
    lat = ma.fields.Float(required=True, validate=validate.Range(min=3.8, max=53.6))
    lng = ma.fields.Float(required=True, validate=validate.Range(min=73.5, max=135.1))


class DeviceEventIn(ma.Schema):
    event_id = Line(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "the device's own id for the event: sent again, taken once"},
    )
    type = ma.fields.String(required=True, validate=validate.OneOf(list(devices.EVENT_CATEGORIES)))
    status = ma.fields.String(required=True, validate=validate.OneOf(list(STATUSES)))
    location = ma.fields.Nested(
        DeviceEventLocation, required=True, metadata={"description": "GCJ-02"}
    )
    occurred_at = Moment(load_default=None)


class DeviceEventOut(ma.Schema):
    event_id = ma.fields.String()
    type = ma.fields.String()
    status = ma.fields.String()
    order = ma.fields.Function(
        lambda e: e.order.number if e.order_id else None,
        metadata={
            "type": "string",
            "nullable": True,
            "description": "the order it opened or closed",
        },
    )
    order_state = ma.fields.Function(
        lambda e: e.order.state if e.order_id else None,
        metadata={"type": "string", "nullable": True},
    )
    created_at = ma.fields.DateTime()
