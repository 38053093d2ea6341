"""Input of the staff API's policies."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload as UploadField
from marshmallow import validate

from backend.fields import Line, Moment, Text
from backend.i18n import reason
from backend.models.policies import KINDS, STATUSES, TARGETS
from backend.policies.schemas import AUDIENCE_DOC
from backend.schemas import Flag

WEB_ADDRESS = r"^https?://[^\s/?#]+\S*$"
# Where a call to action sends its reader: a page of the mini-program, or the web.
ACTION_LINK = r"^(pages/[\w/-]+(\?\S*)?|https?://[^\s/?#]+\S*)$"


class LinkIn(ma.Schema):
    title = Line(required=True, validate=validate.Length(min=1, max=100))
    url = Line(
        required=True,
        validate=[
            validate.Length(max=500),
            validate.Regexp(WEB_ADDRESS, error=reason("not_web_address", "not a web address")),
        ],
    )


class AttachmentIn(ma.Schema):
    id = Line(
        required=True,
        validate=validate.Length(max=32),
        metadata={"description": "a PDF from POST /api/v1/admin/policy-attachments"},
    )
    title = Line(required=True, validate=validate.Length(min=1, max=100))


class ActionIn(ma.Schema):
    text = Line(required=True, validate=validate.Length(min=2, max=200))
    due = ma.fields.Date(load_default=None)
    link = Line(
        load_default=None,
        validate=[
            validate.Length(max=500),
            validate.Regexp(
                ACTION_LINK,
                error=reason("not_action_link", "a mini-program page (pages/…) or a web address"),
            ),
        ],
    )


class _PolicyFields(ma.Schema):
    title = Line(validate=validate.Length(min=2, max=100))
    body = Text(validate=validate.Length(min=2, max=20000))
    links = ma.fields.List(ma.fields.Nested(LinkIn), validate=validate.Length(max=10))
    attachments = ma.fields.List(ma.fields.Nested(AttachmentIn), validate=validate.Length(max=5))
    valid_from = ma.fields.Date(allow_none=True)
    valid_to = ma.fields.Date(allow_none=True)
    action = ma.fields.Nested(ActionIn, allow_none=True)
    public = Flag(metadata={"description": "a law or notice for shops, shown on their codes"})


class PolicyIn(_PolicyFields):
    kind = ma.fields.String(required=True, validate=validate.OneOf(list(KINDS)))
    title = Line(required=True, validate=validate.Length(min=2, max=100))
    body = Text(required=True, validate=validate.Length(min=2, max=20000))
    region = Line(
        load_default=None,
        validate=validate.Length(max=32),
        metadata={"description": "the reach: my region (the default) or one inside it"},
    )
    target = ma.fields.String(required=True, validate=validate.OneOf(list(TARGETS)))
    audience = ma.fields.Dict(required=True, metadata=AUDIENCE_DOC)
    links = ma.fields.List(
        ma.fields.Nested(LinkIn), load_default=list, validate=validate.Length(max=10)
    )
    attachments = ma.fields.List(
        ma.fields.Nested(AttachmentIn), load_default=list, validate=validate.Length(max=5)
    )
    public = Flag(load_default=False)


class PolicyChange(_PolicyFields):
    kind = ma.fields.String(validate=validate.OneOf(list(KINDS)))
    target = ma.fields.String(validate=validate.OneOf(list(TARGETS)))
    audience = ma.fields.Dict(metadata=AUDIENCE_DOC)
    material = Flag(
        load_default=False, metadata={"description": "a new version of a published policy"}
    )
    push_again = Flag(
        load_default=False,
        metadata={"description": "send the new version to those who had the last one too"},
    )


class PreviewIn(ma.Schema):
    region = Line(load_default=None, validate=validate.Length(max=32))
    target = ma.fields.String(required=True, validate=validate.OneOf(list(TARGETS)))
    audience = ma.fields.Dict(required=True, metadata=AUDIENCE_DOC)


class Counted(ma.Schema):
    name = ma.fields.String()
    count = ma.fields.Integer()


class MaskedSample(ma.Schema):
    name = ma.fields.String(metadata={"description": "masked"})
    category = ma.fields.String()
    street = ma.fields.String(allow_none=True)


class PreviewOut(ma.Schema):
    total = ma.fields.Integer(
        metadata={"description": "exact, or estimated from a random sample (see exact)"}
    )
    exact = ma.fields.Boolean(
        metadata={"description": "false: total and every count are estimates (show 约)"}
    )
    margin = ma.fields.Integer(
        metadata={"description": "the estimate's 95 % interval is total ± margin; 0 if exact"}
    )
    sampled_share = ma.fields.Float(
        metadata={"description": "the share of everyone in reach that was read, 0–1"}
    )
    by_street = ma.fields.Nested(Counted, many=True)
    by_category = ma.fields.Nested(Counted, many=True)
    sample = ma.fields.Nested(
        MaskedSample, many=True, metadata={"description": "shops only; never residents"}
    )


class PublishIn(ma.Schema):
    publish_at = Moment(load_default=None, metadata={"description": "later: scheduled"})


class WithdrawIn(ma.Schema):
    reason = Text(required=True, validate=validate.Length(min=2, max=200))


class PolicyFilter(ma.Schema):
    status = ma.fields.String(load_default=None, validate=validate.OneOf(list(STATUSES)))


class FunnelFigures(ma.Schema):
    matched = ma.fields.Integer()
    delivered = ma.fields.Integer()
    read = ma.fields.Integer()
    acted = ma.fields.Integer()
    refused = ma.fields.Integer(metadata={"description": "no subscription left (43101)"})
    failed = ma.fields.Integer()
    pending = ma.fields.Integer()
    stopped = ma.fields.Integer(metadata={"description": "not sent: withdrawn first"})
    not_me = ma.fields.Integer()


class FunnelGroup(FunnelFigures):
    name = ma.fields.String()


class NotMeReason(ma.Schema):
    reason = ma.fields.String()
    label = ma.fields.String()
    count = ma.fields.Integer()


class FunnelOut(ma.Schema):
    policy = ma.fields.String()
    title = ma.fields.String()
    total = ma.fields.Nested(FunnelFigures)
    by_street = ma.fields.Nested(FunnelGroup, many=True)
    by_category = ma.fields.Nested(FunnelGroup, many=True)
    not_me_reasons = ma.fields.Nested(NotMeReason, many=True)


class DocumentUpload(ma.Schema):
    file = UploadField(required=True, metadata={"description": "a PDF, at most 5 MB"})
