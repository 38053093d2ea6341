"""How policies are shown: to their publisher, to those they reached (with why), and on
the public face of shops' codes."""

from __future__ import annotations

import json

import marshmallow as ma

from backend.fields import Text
from backend.models.policies import ANSWERS, KINDS, NOT_ME_REASONS, STATUSES, TARGETS
from backend.policies import inbox
from backend.policies.labels import ANSWER_LABELS, KIND_LABELS, REASON_LABELS, STATUS_LABELS

AUDIENCE_DOC = {
    "type": "object",
    "description": (
        "all / any / not over conditions {field, op, value}; fields: shop.category, "
        "shop.region, shop.status, shop.risk_grade, shop.licence, shop.opened, "
        "shop.open_rectifications, shop.staff_count, shop.honours (for shops); "
        "resident.region, resident.tag (for residents)"
    ),
    "example": {
        "all": [
            {"field": "shop.category", "op": "in", "value": ["catering"]},
            {"field": "shop.licence", "op": "has", "value": "food_business"},
        ]
    },
}


class LinkOut(ma.Schema):
    title = ma.fields.String()
    url = ma.fields.String()


ATTACHMENT_PATH = "/api/v1/public/policy-attachments/"


class AttachmentOut(ma.Schema):
    id = ma.fields.String()
    title = ma.fields.String()
    url = ma.fields.Function(lambda a: ATTACHMENT_PATH + a["id"])


class ActionOut(ma.Schema):
    text = ma.fields.String(attribute="action_text", allow_none=True)
    due = ma.fields.Date(attribute="action_due", allow_none=True)
    link = ma.fields.String(attribute="action_link", allow_none=True)


class _PolicyBase(ma.Schema):
    id = ma.fields.String(attribute="public_id")
    kind = ma.fields.String(metadata={"enum": list(KINDS)})
    kind_label = ma.fields.Function(lambda p: KIND_LABELS[p.kind], metadata={"type": "string"})
    title = ma.fields.String()
    body = ma.fields.String()
    issuer = ma.fields.String()
    links = ma.fields.Function(lambda p: json.loads(p.links), metadata={"type": "array"})
    attachments = ma.fields.Function(
        lambda p: AttachmentOut(many=True).dump(json.loads(p.attachments)),
        metadata={"type": "array", "description": "PDFs: GET their url"},
    )
    valid_from = ma.fields.Date(allow_none=True)
    valid_to = ma.fields.Date(allow_none=True)
    action = ma.fields.Function(lambda p: ActionOut().dump(p), metadata={"type": "object"})
    status = ma.fields.String(metadata={"enum": list(STATUSES)})
    status_label = ma.fields.Function(
        lambda p: STATUS_LABELS[p.status], metadata={"type": "string"}
    )
    version = ma.fields.Integer()
    published_at = ma.fields.DateTime(allow_none=True)


class PolicyOut(_PolicyBase):
    """A policy as its publisher and their colleagues see it."""

    region = ma.fields.String(attribute="region.code")
    region_name = ma.fields.String(attribute="region.name")
    target = ma.fields.String(metadata={"enum": list(TARGETS)})
    audience = ma.fields.Function(lambda p: json.loads(p.audience), metadata=AUDIENCE_DOC)
    public = ma.fields.Boolean()
    publish_at = ma.fields.DateTime(allow_none=True)
    withdrawn_at = ma.fields.DateTime(allow_none=True)
    withdraw_reason = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class ReceivedPolicy(_PolicyBase):
    """The policy as it reached a recipient: 已撤回 once withdrawn."""


class DeliveryOut(ma.Schema):
    id = ma.fields.Integer(metadata={"description": "this delivery, in the paths below"})
    policy = ma.fields.Nested(ReceivedPolicy)
    shop = ma.fields.Function(
        lambda d: {"id": d.shop.public_id, "name": d.shop.name} if d.shop_id else None,
        metadata={"type": "object", "nullable": True},
    )
    why = ma.fields.Function(
        inbox.why, metadata={"type": "string", "description": "why it matched me"}
    )
    updated = ma.fields.Function(
        lambda d: d.version < d.policy.version,
        metadata={"type": "boolean", "description": "changed since it reached me"},
    )
    pushed_at = ma.fields.DateTime()
    read_at = ma.fields.DateTime(allow_none=True)
    answer = ma.fields.String(allow_none=True, metadata={"enum": list(ANSWERS)})
    answer_label = ma.fields.Function(
        lambda d: ANSWER_LABELS.get(d.answer), metadata={"type": "string", "nullable": True}
    )
    reason = ma.fields.String(allow_none=True, metadata={"enum": list(NOT_ME_REASONS)})
    reason_label = ma.fields.Function(
        lambda d: REASON_LABELS.get(d.reason), metadata={"type": "string", "nullable": True}
    )
    note = ma.fields.String(allow_none=True)
    answered_at = ma.fields.DateTime(allow_none=True)


class AnswerIn(ma.Schema):
    answer = ma.fields.String(required=True, validate=ma.validate.OneOf(list(ANSWERS)))
    reason = ma.fields.String(load_default=None, validate=ma.validate.OneOf(list(NOT_ME_REASONS)))
    note = Text(load_default=None, validate=ma.validate.Length(max=200))


class PublicNotice(ma.Schema):
    id = ma.fields.String()
    kind = ma.fields.String(metadata={"enum": list(KINDS)})
    kind_label = ma.fields.String()
    title = ma.fields.String()
    issuer = ma.fields.String()
    date = ma.fields.Date()
    link = ma.fields.String(allow_none=True)


class UnreadPolicy(PublicNotice):
    delivery = ma.fields.Integer(metadata={"description": "GET /api/v1/merchant/policies/{id}"})


class TagIn(ma.Schema):
    tag = ma.fields.String(required=True, validate=ma.validate.Length(max=32))
    consent_version = ma.fields.String(
        required=True,
        validate=ma.validate.Length(max=16),
        metadata={"description": "the version of consent_text I was shown and agree to"},
    )


class TagOffered(ma.Schema):
    tag = ma.fields.String()
    label = ma.fields.String()


class TagHeld(TagOffered):
    consented_at = ma.fields.DateTime()


class TagsOut(ma.Schema):
    consent_version = ma.fields.String()
    consent_text = ma.fields.String()
    offered = ma.fields.Nested(TagOffered, many=True)
    held = ma.fields.Nested(TagHeld, many=True)
