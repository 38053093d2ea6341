"""Input and output of the resident's community features: notices, polls, reports."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.community import polls
from backend.community.reports import CATEGORIES
from backend.community.schemas import AimedAt, PollOptionOut, PollResults, PollSummary
from backend.fields import Text
from backend.schemas import Location


class NoticeOut(AimedAt):
    id = ma.fields.String(attribute="public_id")
    title = ma.fields.String()
    body = ma.fields.String()
    published_at = ma.fields.DateTime()
    read = ma.fields.Function(lambda n: bool(n.is_read), metadata={"type": "boolean"})


class ResidentPollSummary(PollSummary):
    voted = ma.fields.Function(lambda p: bool(p.has_voted), metadata={"type": "boolean"})


class ResidentPollOut(ResidentPollSummary):
    description = ma.fields.String(allow_none=True)
    options = ma.fields.Function(
        lambda p: PollOptionOut(many=True).dump(polls.options(p)),
        metadata={"type": "array", "items": {"type": "object"}},
    )
    my_choices = ma.fields.List(
        ma.fields.Integer(), metadata={"description": "the option ids I voted for"}
    )
    results = ma.fields.Nested(
        PollResults,
        allow_none=True,
        metadata={"description": "null until the poll's results_visible rule lets me see them"},
    )


class VoteIn(ma.Schema):
    options = ma.fields.List(
        ma.fields.Integer(),
        required=True,
        validate=validate.Length(min=1, max=20),
        metadata={"description": "option ids; exactly one unless multiple"},
    )


class ReportIn(ma.Schema):
    community = ma.fields.String(
        required=True, metadata={"description": "code of one of my approved communities"}
    )
    category = ma.fields.String(
        required=True,
        validate=validate.OneOf(list(CATEGORIES)),
        metadata={"description": ", ".join(f"{k} ({v})" for k, v in CATEGORIES.items())},
    )
    text = Text(required=True, validate=validate.Length(min=5, max=1000))
    photo = ma.fields.String(
        load_default=None,
        metadata={"description": "id of a photo I uploaded to /api/v1/resident/uploads"},
    )
    location = ma.fields.Nested(Location, load_default=None)
