"""The shapes of community records that residents and staff both read."""

from __future__ import annotations

import json

import marshmallow as ma

from backend.community import forms, polls
from backend.community.reports import CATEGORIES
from backend.models.community import FIELD_TYPES, REPORT_STATUSES

POLL_STATES = ["upcoming", "open", "closed"]


class AimedAt(ma.Schema):
    """Where a notice or poll is aimed: a community, or a street or district above it."""

    region = ma.fields.String(attribute="region.code")
    region_name = ma.fields.String(attribute="region.name")
    region_level = ma.fields.String(
        attribute="region.level", metadata={"enum": ["district", "street", "community"]}
    )


class PollOptionOut(ma.Schema):
    id = ma.fields.Integer()
    label = ma.fields.String()


class PollOptionResult(PollOptionOut):
    votes = ma.fields.Integer()


class PollResults(ma.Schema):
    voters = ma.fields.Integer(metadata={"description": "residents who voted"})
    options = ma.fields.List(ma.fields.Nested(PollOptionResult))


class PollSummary(AimedAt):
    id = ma.fields.String(attribute="public_id")
    title = ma.fields.String()
    multiple = ma.fields.Boolean(metadata={"description": "more than one option may be chosen"})
    opens_at = ma.fields.DateTime()
    closes_at = ma.fields.DateTime()
    state = ma.fields.Function(polls.state, metadata={"enum": POLL_STATES})
    results_visible = ma.fields.String(metadata={"enum": list(polls.RESULTS_VISIBLE)})


def _location(report):
    return {"lat": report.lat, "lng": report.lng} if report.lat is not None else None


class ReportOut(ma.Schema):
    """My own report, with how it stands."""

    id = ma.fields.String(attribute="public_id")
    community = ma.fields.String(attribute="community.code")
    community_name = ma.fields.String(attribute="community.name")
    category = ma.fields.String(metadata={"enum": list(CATEGORIES)})
    text = ma.fields.String()
    photo = ma.fields.Function(
        lambda r: r.photo.public_id if r.photo_id else None,
        metadata={"type": "string", "nullable": True},
    )
    location = ma.fields.Function(_location, metadata={"type": "object", "nullable": True})
    status = ma.fields.String(metadata={"enum": list(REPORT_STATUSES)})
    reply = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class EventSummary(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    region = ma.fields.String(attribute="region.code")
    region_name = ma.fields.String(attribute="region.name")
    title = ma.fields.String()
    description = ma.fields.String(allow_none=True)
    per_resident = ma.fields.Integer(
        metadata={"description": "how many bookings one resident may hold for this event"}
    )
    created_at = ma.fields.DateTime()


class FormField(ma.Schema):
    name = ma.fields.String()
    label = ma.fields.String()
    type = ma.fields.String(metadata={"enum": list(FIELD_TYPES)})
    required = ma.fields.Boolean()
    choices = ma.fields.List(ma.fields.String(), allow_none=True)
    personal = ma.fields.Boolean(metadata={"description": "masked for staff who read it"})


class FormSummary(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    region = ma.fields.String(attribute="region.code")
    region_name = ma.fields.String(attribute="region.name")
    title = ma.fields.String()
    description = ma.fields.String(allow_none=True)
    closes_at = ma.fields.DateTime(allow_none=True)
    open = ma.fields.Function(forms.is_open, metadata={"type": "boolean"})
    created_at = ma.fields.DateTime()


class StoredList(ma.fields.List):
    """A list kept in the database as JSON text."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(json.loads(value) if value else [], attr, obj, **kwargs)


class FormOut(FormSummary):
    fields = StoredList(ma.fields.Nested(FormField))
