"""Input and output of the resident's bookings and registration forms."""

from __future__ import annotations

import json

import marshmallow as ma

from backend.community.schemas import EventSummary


class SlotOut(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    starts_at = ma.fields.DateTime()
    ends_at = ma.fields.DateTime()
    capacity = ma.fields.Integer()
    remaining = ma.fields.Function(
        lambda s: max(s.capacity - s.booked, 0), metadata={"type": "integer"}
    )
    mine = ma.fields.Boolean(metadata={"description": "I hold a booking in this slot"})


class EventOut(EventSummary):
    slots = ma.fields.List(ma.fields.Nested(SlotOut), attribute="slot_list")
    my_bookings = ma.fields.Integer()


class BookingOut(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    event_id = ma.fields.String(attribute="event.public_id")
    event_title = ma.fields.String(attribute="event.title")
    slot_id = ma.fields.String(attribute="slot.public_id")
    starts_at = ma.fields.DateTime(attribute="slot.starts_at")
    ends_at = ma.fields.DateTime(attribute="slot.ends_at")
    created_at = ma.fields.DateTime()


class SubmissionIn(ma.Schema):
    answers = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Raw(allow_none=True),
        required=True,
        metadata={
            "description": "field name → answer (text, number or "
            "ISO date); a second submission replaces "
            "the first"
        },
    )


class MySubmissionOut(ma.Schema):
    """My own answers: nothing masked."""

    form_id = ma.fields.String(attribute="form.public_id")
    community = ma.fields.String(attribute="community.name")
    answers = ma.fields.Function(lambda s: json.loads(s.answers), metadata={"type": "object"})
    submitted_at = ma.fields.DateTime(attribute="created_at")
