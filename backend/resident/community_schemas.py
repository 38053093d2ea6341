"""Input and output of the resident's community features: notices, polls, reports, photos."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.api import Text
from backend.merchant.schemas import Location, PhotoUpload, UploadOut  # noqa: F401
from backend.models.community import REPORT_STATUSES
from backend.resident import polls
from backend.resident.reports import CATEGORIES

POLL_STATES = ["upcoming", "open", "closed"]


class AimedAt(ma.Schema):
    """Where a notice or poll is aimed: a community, or a street or district above it."""

    region = ma.fields.String(attribute="region.code")
    region_name = ma.fields.String(attribute="region.name")
    region_level = ma.fields.String(attribute="region.level",
                                    metadata={"enum": ["district", "street", "community"]})


class NoticeOut(AimedAt):
    id = ma.fields.String(attribute="public_id")
    title = ma.fields.String()
    body = ma.fields.String()
    published_at = ma.fields.DateTime()
    read = ma.fields.Function(lambda n: bool(n.is_read), metadata={"type": "boolean"})


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


class ResidentPollSummary(PollSummary):
    voted = ma.fields.Function(lambda p: bool(p.has_voted), metadata={"type": "boolean"})


class ResidentPollOut(ResidentPollSummary):
    description = ma.fields.String(allow_none=True)
    options = ma.fields.Function(lambda p: PollOptionOut(many=True).dump(polls.options(p)),
                                 metadata={"type": "array", "items": {"type": "object"}})
    my_choices = ma.fields.List(ma.fields.Integer(),
                                metadata={"description": "the option ids I voted for"})
    results = ma.fields.Nested(PollResults, allow_none=True, metadata={
        "description": "null until the poll's results_visible rule lets me see them"})


class VoteIn(ma.Schema):
    options = ma.fields.List(ma.fields.Integer(), required=True,
                             validate=validate.Length(min=1, max=20),
                             metadata={"description": "option ids; exactly one unless multiple"})


class ReportIn(ma.Schema):
    community = ma.fields.String(required=True, metadata={
        "description": "code of one of my approved communities"})
    category = ma.fields.String(required=True, validate=validate.OneOf(list(CATEGORIES)),
                                metadata={"description": ", ".join(
                                    f"{k} ({v})" for k, v in CATEGORIES.items())})
    text = Text(required=True, validate=validate.Length(min=5, max=1000))
    photo = ma.fields.String(load_default=None, metadata={
        "description": "id of a photo I uploaded to /api/v1/resident/uploads"})
    location = ma.fields.Nested(Location, load_default=None)


def _location(report):
    return {"lat": report.lat, "lng": report.lng} if report.lat is not None else None


class ReportOut(ma.Schema):
    """My own report, with how it stands."""

    id = ma.fields.String(attribute="public_id")
    community = ma.fields.String(attribute="community.code")
    community_name = ma.fields.String(attribute="community.name")
    category = ma.fields.String(metadata={"enum": list(CATEGORIES)})
    text = ma.fields.String()
    photo = ma.fields.Function(lambda r: r.photo.public_id if r.photo_id else None,
                               metadata={"type": "string", "nullable": True})
    location = ma.fields.Function(_location, metadata={"type": "object", "nullable": True})
    status = ma.fields.String(metadata={"enum": list(REPORT_STATUSES)})
    reply = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
