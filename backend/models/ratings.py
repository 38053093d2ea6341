"""Residents' ratings of shops and complaints about them."""

from __future__ import annotations

import peewee as pw

from backend.models.base import BaseModel, UTCDateTimeField, created_now
from backend.models.people import StaffAccount, User
from backend.models.shops import Shop, new_shop_public_id
from backend.models.workorders import WorkOrder

RATING_STATUSES = ("visible", "held")


class Rating(BaseModel):
    public_id = pw.CharField(max_length=16, unique=True, default=new_shop_public_id)
    shop = pw.ForeignKeyField(Shop, backref="ratings", on_delete="RESTRICT")
    # Kept, detached, when the resident deletes their account.
    user = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    stars = pw.SmallIntegerField()
    text = pw.TextField(null=True)
    tags = pw.TextField(default="[]")
    status = pw.CharField(max_length=16, default="visible", index=True)
    reply = pw.TextField(null=True)
    replied_at = UTCDateTimeField(null=True)
    released_by = pw.ForeignKeyField(StaffAccount, null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField(default=created_now, index=True)
    updated_at = UTCDateTimeField(default=created_now)

    class Meta:
        # A shop's visible ratings, latest first: whether a scan shows comments, and which.
        # Without it SQLite walked every visible rating of the district to find a shop's.
        indexes = ((("shop", "status", "updated_at"), False),)


COMPLAINT_STATUSES = (
    "received",
    "accepted",
    "not_accepted",
    "substantiated",
    "not_substantiated",
)
COMPLAINT_CATEGORIES = ("food_safety", "price", "licence", "service", "other")


class Complaint(BaseModel):
    public_id = pw.CharField(max_length=16, unique=True, default=new_shop_public_id)
    shop = pw.ForeignKeyField(Shop, backref="complaints", on_delete="RESTRICT")
    user = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    category = pw.CharField(max_length=32)
    text = pw.TextField()
    # received → accepted or not_accepted → substantiated or not_substantiated: decided by
    # the regulator its work order went to. Only a substantiated one counts in the grade.
    status = pw.CharField(max_length=20, default="received")
    created_at = UTCDateTimeField(default=created_now, index=True)
    work_order = pw.ForeignKeyField(WorkOrder, null=True, on_delete="RESTRICT")
    decided_at = UTCDateTimeField(null=True)
    # The shop's answer, which its regulator reads beside the complaint.
    answer = pw.TextField(null=True)
    answered_at = UTCDateTimeField(null=True)
