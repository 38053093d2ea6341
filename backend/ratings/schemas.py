"""The shapes of ratings and complaints that residents, shopkeepers and the scan all read."""

from __future__ import annotations

import json

import marshmallow as ma

from backend import masking
from backend.models.ratings import COMPLAINT_STATUSES
from backend.schemas import FreeText


class RatingOut(ma.Schema):
    """A rating as its author wrote it."""

    id = ma.fields.String(attribute="public_id")
    shop_id = ma.fields.String(attribute="shop.public_id")
    stars = ma.fields.Integer()
    text = ma.fields.String(allow_none=True)
    tags = ma.fields.Function(lambda r: json.loads(r.tags), metadata={"type": "array"})
    status = ma.fields.String(metadata={"enum": ["visible", "held"]})
    reply = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class ShopRatingOut(RatingOut):
    """A rating as the rated shop reads it: phone numbers and the like in it masked."""

    text = FreeText(allow_none=True)


def comment_author(user_id: int | None, display_name: str | None) -> str:
    """How a rating's author is shown to others: a masked name, or anonymous."""
    return masking.name(display_name) if user_id and display_name else "匿名用户"


class PublicComment(ma.Schema):
    """A rating as other residents see it: no one's identity."""

    stars = ma.fields.Integer()
    text = FreeText(allow_none=True)
    tags = ma.fields.Function(lambda r: json.loads(r.tags), metadata={"type": "array"})
    author = ma.fields.Function(
        lambda r: comment_author(r.user_id, r.user.display_name if r.user_id else None),
        metadata={"type": "string", "description": "masked (张*), or 匿名用户"},
    )
    reply = ma.fields.String(allow_none=True)
    at = ma.fields.DateTime(attribute="updated_at")


class ComplaintOut(ma.Schema):
    """A complaint as its author wrote it."""

    id = ma.fields.String(attribute="public_id")
    shop_id = ma.fields.String(attribute="shop.public_id")
    category = ma.fields.String()
    text = ma.fields.String()
    status = ma.fields.String(metadata={"enum": list(COMPLAINT_STATUSES)})
    created_at = ma.fields.DateTime()
    work_order = ma.fields.Function(
        lambda c: c.work_order.number if c.work_order_id else None,
        metadata={"type": "string", "nullable": True, "description": "follow it there"},
    )


class ShopComplaintOut(ma.Schema):
    """A complaint as the shop reads it: what was said (phone numbers and the like masked),
    how its regulator decided it, and the shop's answer; never who said it."""

    id = ma.fields.String(attribute="public_id")
    category = ma.fields.String()
    text = FreeText()
    status = ma.fields.String(metadata={"enum": list(COMPLAINT_STATUSES)})
    created_at = ma.fields.DateTime()
    answer = ma.fields.String(allow_none=True)
    answered_at = ma.fields.DateTime(allow_none=True)


class SeenComplaintOut(ComplaintOut):
    """A complaint as staff read it: phone numbers and the like in it masked, unless asked
    for whole (audited)."""

    text = FreeText()
