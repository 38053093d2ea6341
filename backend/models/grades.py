"""What a shop may do about its grade: appeal an inspection's grade (申请复核), publish a
short reply beside it (商户说明), or ask to be inspected again (申请复查)."""

from __future__ import annotations

import peewee as pw

from backend.models.base import BaseModel, UTCDateTimeField, created_now
from backend.models.inspections import Inspection
from backend.models.people import StaffAccount, User
from backend.models.shops import Shop, new_shop_public_id
from backend.models.workorders import WorkOrder

# open → upheld (the grade stands) or changed (a corrected score).
APPEAL_STATES = ("open", "upheld", "changed")
# accepted → done, by the next inspection of the shop that counts.
RERATING_STATES = ("accepted", "done")
HIDING_REASONS = ("defamatory", "personal_data")


class GradeAppeal(BaseModel):
    """One per inspection: decided, as a work order of the shop's market regulator, by
    someone who took no part in the inspection."""

    public_id = pw.CharField(max_length=16, unique=True, default=new_shop_public_id)
    inspection = pw.ForeignKeyField(Inspection, unique=True, on_delete="RESTRICT")
    shop = pw.ForeignKeyField(Shop, backref="appeals", on_delete="RESTRICT")
    filed_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    reason = pw.TextField()
    photos = pw.TextField(default="[]")
    work_order = pw.ForeignKeyField(WorkOrder, on_delete="RESTRICT")
    state = pw.CharField(max_length=16, default="open", index=True)
    filed_at = UTCDateTimeField(default=created_now)
    decided_by = pw.ForeignKeyField(StaffAccount, null=True, on_delete="RESTRICT")
    decided_at = UTCDateTimeField(null=True)
    decision_note = pw.TextField(null=True)
    corrected_score = pw.SmallIntegerField(null=True)
    corrected_grade = pw.CharField(max_length=1, null=True)


class ShopReply(BaseModel):
    """The owner's one statement about an inspection, masked as it was published; shown
    beside the grade until the next inspection, unless an admin hid it."""

    inspection = pw.ForeignKeyField(Inspection, unique=True, on_delete="RESTRICT")
    shop = pw.ForeignKeyField(Shop, backref="replies", on_delete="RESTRICT")
    author = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    # As published, masked: masking may lengthen what was typed, so not a CharField(300).
    text = pw.TextField()
    published_at = UTCDateTimeField(default=created_now)
    hidden_at = UTCDateTimeField(null=True)
    hidden_by = pw.ForeignKeyField(StaffAccount, null=True, on_delete="RESTRICT")
    hidden_reason = pw.CharField(max_length=16, null=True)
    hidden_note = pw.TextField(null=True)


class RerateRequest(BaseModel):
    """An owner's request, once per inspection, for an unannounced visit by a deadline."""

    public_id = pw.CharField(max_length=16, unique=True, default=new_shop_public_id)
    inspection = pw.ForeignKeyField(Inspection, unique=True, on_delete="RESTRICT")
    shop = pw.ForeignKeyField(Shop, backref="rerate_requests", on_delete="RESTRICT")
    requested_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    evidence = pw.TextField()
    photos = pw.TextField(default="[]")
    work_order = pw.ForeignKeyField(WorkOrder, on_delete="RESTRICT")
    state = pw.CharField(max_length=16, default="accepted", index=True)
    created_at = UTCDateTimeField(default=created_now)
    due_on = pw.DateField()
    visit = pw.ForeignKeyField(Inspection, null=True, on_delete="RESTRICT", backref="rerated")
    done_at = UTCDateTimeField(null=True)
