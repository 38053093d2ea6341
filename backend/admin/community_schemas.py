"""Input and output of the staff's side of notices, polls and reports."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend import masking
from backend.community import polls
from backend.community.reports import CATEGORIES
from backend.community.schemas import (
    AimedAt,
    PollOptionOut,
    PollResults,
    PollSummary,
    ReportOut,
)
from backend.fields import Line, Moment, Text
from backend.models.community import REPORT_STATUSES
from backend.schemas import FreeText, UnmaskedQuery

WHEN = "ISO 8601; without an offset it is read as Shanghai time"


class RegionFilter(ma.Schema):
    region = ma.fields.String(
        load_default=None, metadata={"description": "only those aimed at this region code"}
    )


class NoticeIn(ma.Schema):
    region = ma.fields.String(
        required=True,
        metadata={"description": "code of a district, street or community in my scope"},
    )
    title = Line(required=True, validate=validate.Length(min=1, max=100))
    body = Text(required=True, validate=validate.Length(min=1, max=10000))


class StaffNoticeOut(AimedAt):
    id = ma.fields.String(attribute="public_id")
    title = ma.fields.String()
    body = ma.fields.String()
    published_at = ma.fields.DateTime()
    read_count = ma.fields.Integer(metadata={"description": "residents who opened it"})


class PollIn(ma.Schema):
    region = ma.fields.String(
        required=True,
        metadata={"description": "code of a district, street or community in my scope"},
    )
    title = Line(required=True, validate=validate.Length(min=1, max=100))
    description = ma.fields.String(load_default=None, validate=validate.Length(max=2000))
    multiple = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "false: single choice; true: several options may be chosen"},
    )
    options = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=100)),
        required=True,
        validate=validate.Length(min=2, max=20),
    )
    opens_at = Moment(required=True, metadata={"description": WHEN})
    closes_at = Moment(required=True, metadata={"description": WHEN})
    results_visible = ma.fields.String(
        load_default="after_vote",
        validate=validate.OneOf(list(polls.RESULTS_VISIBLE)),
        metadata={
            "description": "after_vote: a voter sees results at once; "
            "after_close: residents see them once it closes"
        },
    )


class StaffPollOut(PollSummary):
    description = ma.fields.String(allow_none=True)
    options = ma.fields.Function(
        lambda p: PollOptionOut(many=True).dump(polls.options(p)),
        metadata={"type": "array", "items": {"type": "object"}},
    )
    results = ma.fields.Nested(PollResults)


class ReportFilter(UnmaskedQuery):
    status = ma.fields.String(load_default=None, validate=validate.OneOf(list(REPORT_STATUSES)))
    category = ma.fields.String(load_default=None, validate=validate.OneOf(list(CATEGORIES)))
    community = ma.fields.String(load_default=None, metadata={"description": "a community code"})


class StaffReportOut(ReportOut):
    """A report as its cadres see it: the reporter masked, and phone numbers and the like
    in its text, unless asked for whole (audited)."""

    text = FreeText()

    reporter_name = ma.fields.Function(
        lambda r: masking.name(r.user.display_name) if r.user_id and r.user.display_name else None,
        metadata={"type": "string", "nullable": True},
    )
    reporter_phone = ma.fields.Function(
        lambda r: masking.phone(r.user.phone) if r.user_id else None,
        metadata={"type": "string", "nullable": True},
    )


class ReportMove(ma.Schema):
    status = ma.fields.String(
        required=True,
        validate=validate.OneOf(["in_hand", "resolved"]),
        metadata={"description": "forward only: received → in_hand → resolved"},
    )
    reply = ma.fields.String(
        load_default=None,
        validate=validate.Length(max=1000),
        metadata={"description": "what the resident reads; required to resolve"},
    )
