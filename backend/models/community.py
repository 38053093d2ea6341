"""The resident side: community membership, notices, polls, bookings, forms and reports."""

from __future__ import annotations

import peewee as pw

from backend.models.base import BaseModel, UTCDateTimeField, created_now
from backend.models.people import StaffAccount, User
from backend.models.regions import Region
from backend.models.shops import Upload, new_shop_public_id
from backend.models.workorders import WorkOrder

MEMBERSHIP_STATUSES = ("pending", "approved", "rejected", "left")


class CommunityMembership(BaseModel):
    user = pw.ForeignKeyField(User, backref="communities", on_delete="CASCADE")
    community = pw.ForeignKeyField(Region, backref="members", on_delete="RESTRICT")
    region_path = pw.CharField(max_length=255, index=True)
    status = pw.CharField(max_length=16, default="pending", index=True)
    note = pw.CharField(max_length=200, null=True)
    decided_by = pw.ForeignKeyField(StaffAccount, null=True, on_delete="SET NULL")
    decided_at = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField(default=created_now)


class ResidentCodeUse(BaseModel):
    """A resident code's jti, once accepted at a gate: a second showing is a replay."""

    jti = pw.CharField(max_length=64, unique=True)
    staff = pw.ForeignKeyField(StaffAccount, null=True, on_delete="SET NULL")
    used_at = UTCDateTimeField(default=created_now)


class Notice(BaseModel):
    public_id = pw.CharField(max_length=16, unique=True, default=new_shop_public_id)
    region = pw.ForeignKeyField(Region, on_delete="RESTRICT")
    region_path = pw.CharField(max_length=255, index=True)
    title = pw.CharField(max_length=100)
    body = pw.TextField()
    author = pw.ForeignKeyField(StaffAccount, null=True, on_delete="SET NULL")
    published_at = UTCDateTimeField(default=created_now, index=True)


class NoticeRead(BaseModel):
    notice = pw.ForeignKeyField(Notice, backref="reads", on_delete="CASCADE")
    user = pw.ForeignKeyField(User, on_delete="CASCADE")
    read_at = UTCDateTimeField(default=created_now)

    class Meta:
        indexes = ((("notice", "user"), True),)


class Poll(BaseModel):
    public_id = pw.CharField(max_length=16, unique=True, default=new_shop_public_id)
    region = pw.ForeignKeyField(Region, on_delete="RESTRICT")
    region_path = pw.CharField(max_length=255, index=True)
    title = pw.CharField(max_length=100)
    description = pw.TextField(null=True)
    multiple = pw.BooleanField(default=False)
    opens_at = UTCDateTimeField()
    closes_at = UTCDateTimeField()
    # "after_vote": a voter sees results at once; "after_close": everyone, once it closes.
    results_visible = pw.CharField(max_length=16, default="after_vote")
    author = pw.ForeignKeyField(StaffAccount, null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField(default=created_now)


class PollOption(BaseModel):
    poll = pw.ForeignKeyField(Poll, backref="options", on_delete="CASCADE")
    position = pw.IntegerField()
    label = pw.CharField(max_length=100)


class PollVote(BaseModel):
    poll = pw.ForeignKeyField(Poll, backref="votes", on_delete="CASCADE")
    option = pw.ForeignKeyField(PollOption, backref="votes", on_delete="CASCADE")
    user = pw.ForeignKeyField(User, on_delete="CASCADE")
    voted_at = UTCDateTimeField(default=created_now)

    class Meta:
        indexes = ((("poll", "user", "option"), True),)


class BookingEvent(BaseModel):
    public_id = pw.CharField(max_length=16, unique=True, default=new_shop_public_id)
    region = pw.ForeignKeyField(Region, on_delete="RESTRICT")
    region_path = pw.CharField(max_length=255, index=True)
    title = pw.CharField(max_length=100)
    description = pw.TextField(null=True)
    per_resident = pw.IntegerField(default=1)
    author = pw.ForeignKeyField(StaffAccount, null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField(default=created_now)


class BookingSlot(BaseModel):
    public_id = pw.CharField(max_length=16, unique=True, default=new_shop_public_id)
    event = pw.ForeignKeyField(BookingEvent, backref="slots", on_delete="CASCADE")
    starts_at = UTCDateTimeField()
    ends_at = UTCDateTimeField()
    capacity = pw.IntegerField()
    # Incremented only by a conditional UPDATE (booked < capacity): never overbooked.
    booked = pw.IntegerField(default=0)


class Booking(BaseModel):
    public_id = pw.CharField(max_length=16, unique=True, default=new_shop_public_id)
    slot = pw.ForeignKeyField(BookingSlot, backref="bookings", on_delete="CASCADE")
    event = pw.ForeignKeyField(BookingEvent, backref="bookings", on_delete="CASCADE")
    user = pw.ForeignKeyField(User, backref="bookings", on_delete="CASCADE")
    created_at = UTCDateTimeField(default=created_now)


FIELD_TYPES = ("text", "number", "date", "choice", "phone")


class Form(BaseModel):
    public_id = pw.CharField(max_length=16, unique=True, default=new_shop_public_id)
    region = pw.ForeignKeyField(Region, on_delete="RESTRICT")
    region_path = pw.CharField(max_length=255, index=True)
    title = pw.CharField(max_length=100)
    description = pw.TextField(null=True)
    # [{"name", "label", "type", "required", "choices", "personal"}]
    fields = pw.TextField()
    closes_at = UTCDateTimeField(null=True)
    author = pw.ForeignKeyField(StaffAccount, null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField(default=created_now)


class FormSubmission(BaseModel):
    form = pw.ForeignKeyField(Form, backref="submissions", on_delete="CASCADE")
    user = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    community = pw.ForeignKeyField(Region, on_delete="RESTRICT")
    region_path = pw.CharField(max_length=255, index=True)
    answers = pw.TextField()
    created_at = UTCDateTimeField(default=created_now)


REPORT_STATUSES = ("received", "in_hand", "resolved")


class Report(BaseModel):
    """随手拍: a resident's report of a problem in the community."""

    public_id = pw.CharField(max_length=16, unique=True, default=new_shop_public_id)
    user = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    community = pw.ForeignKeyField(Region, on_delete="RESTRICT")
    region_path = pw.CharField(max_length=255, index=True)
    category = pw.CharField(max_length=32)
    text = pw.TextField()
    photo = pw.ForeignKeyField(Upload, null=True, on_delete="SET NULL")
    lat = pw.DoubleField(null=True)
    lng = pw.DoubleField(null=True)
    status = pw.CharField(max_length=16, default="received", index=True)
    reply = pw.TextField(null=True)
    handled_by = pw.ForeignKeyField(StaffAccount, null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField(default=created_now)
    updated_at = UTCDateTimeField(default=created_now)
    # The work order it became; its status and reply follow the order's.
    work_order = pw.ForeignKeyField(WorkOrder, null=True, on_delete="RESTRICT")
