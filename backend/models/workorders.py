"""Work orders (工单): a problem found, dispatched to the department that owns it, handled,
rated by whoever raised it, and closed; the rules that route them; their categories."""

from __future__ import annotations

import peewee as pw

from backend.models.base import (
    GENESIS_HASH,
    BaseModel,
    ChainedEvent,
    UTCDateTimeField,
    created_now,
)
from backend.models.people import StaffAccount, User
from backend.models.regions import Department, Region
from backend.models.shops import Shop

SOURCES = (
    "report",
    "complaint",
    "rectification",
    "referral",
    "device",
    "open311",
    "appeal",
    "rerating",
    "registry",
)
PRIORITIES = ("normal", "urgent")
# dispatched → signed → in_progress → resolved → closed; returned waits for a dispatcher;
# merged follows another order.
STATES = (
    "received",
    "dispatched",
    "returned",
    "signed",
    "in_progress",
    "resolved",
    "closed",
    "merged",
)
# Categories of the orders the shop's own procedures open (backend/grades): no one files
# them as a problem, through Open311 or a referral.
PROCEDURE_CATEGORIES = ("grade_appeal", "rerating")
OPEN_STATES = ("received", "dispatched", "returned", "signed", "in_progress")
SLA_MARKS = ("on_time", "warning", "overdue")
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")


class ServiceCategory(BaseModel):
    """What a work order is about, with the time its department has (Open311's services)."""

    code = pw.CharField(max_length=32, unique=True)
    name = pw.CharField(max_length=64)
    description = pw.CharField(max_length=255)
    group = pw.CharField(max_length=64)
    sign_working_days = pw.IntegerField(default=1)
    resolve_working_days = pw.IntegerField(default=15)


class RoutingRule(BaseModel):
    """Orders of `category` (any, when null) in `region`'s subtree go to `department`; of
    the rules that match, a category's beats any category's, then the deepest region."""

    category = pw.ForeignKeyField(ServiceCategory, null=True, on_delete="CASCADE")
    region = pw.ForeignKeyField(Region, on_delete="RESTRICT")
    region_path = pw.CharField(max_length=255, index=True)
    department = pw.ForeignKeyField(Department, on_delete="RESTRICT")
    created_by = pw.ForeignKeyField(StaffAccount, null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField(default=created_now)

    class Meta:
        indexes = ((("category", "region"), True),)


class WorkOrder(BaseModel):
    # GD + the Shanghai date it was made + its number that day: what a caller reads out.
    number = pw.CharField(max_length=24, unique=True)
    source = pw.CharField(max_length=16)
    category = pw.ForeignKeyField(ServiceCategory, on_delete="RESTRICT")
    region = pw.ForeignKeyField(Region, on_delete="RESTRICT")
    region_path = pw.CharField(max_length=255, index=True)
    lat = pw.DoubleField(null=True)
    lng = pw.DoubleField(null=True)
    address = pw.CharField(max_length=255, null=True)
    shop = pw.ForeignKeyField(Shop, null=True, on_delete="RESTRICT")
    description = pw.TextField()
    photos = pw.TextField(default="[]")
    reporter = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    # The member of staff who referred it, who follows it like its department.
    referred_by = pw.ForeignKeyField(StaffAccount, null=True, on_delete="SET NULL")
    department = pw.ForeignKeyField(Department, null=True, index=True, on_delete="RESTRICT")
    priority = pw.CharField(max_length=8, default="normal")
    state = pw.CharField(max_length=16, default="dispatched")
    # The deadline of the step the order is at (signing, then resolving), and when it
    # warns: at 80 % of the time. The SLA sweep moves `sla` on; null once resolved.
    due_at = UTCDateTimeField(null=True)
    warn_at = UTCDateTimeField(null=True)
    sla = pw.CharField(max_length=8, default="on_time")
    sign_due_at = UTCDateTimeField(null=True)
    resolve_due_at = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField(default=created_now)
    dispatched_at = UTCDateTimeField(null=True)
    signed_at = UTCDateTimeField(null=True)
    resolved_at = UTCDateTimeField(null=True)
    closed_at = UTCDateTimeField(null=True)
    result = pw.TextField(null=True)
    result_photos = pw.TextField(null=True)
    rating = pw.CharField(max_length=24, null=True)
    rating_comment = pw.CharField(max_length=500, null=True)
    reopened = pw.IntegerField(default=0)
    # Taken in hand by the community itself (自行处置) rather than by a department.
    self_handled = pw.BooleanField(default=False)
    returned = pw.IntegerField(default=0)
    supervised = pw.IntegerField(default=0)
    # Days of an extension the department asked for and the dispatcher has not decided.
    extension_asked = pw.IntegerField(null=True)
    merged_into = pw.ForeignKeyField("self", null=True, on_delete="RESTRICT")
    # What an Open311 client may ask about the request by (GET tokens/{token}.json).
    open311_token = pw.CharField(max_length=32, null=True, unique=True)
    media_url = pw.CharField(max_length=500, null=True)
    lifecycle_seq = pw.IntegerField(default=0)
    lifecycle_head = pw.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        indexes = ((("state", "due_at"), False), (("state", "warn_at"), False))


class WorkOrderEvent(ChainedEvent):
    """One step of an order's history, hash-chained like a shop's lifecycle."""

    order = pw.ForeignKeyField(WorkOrder, backref="events", on_delete="RESTRICT")

    class Meta:
        table_name = "work_order_event"
        indexes = ((("order", "seq"), True),)


class DailyCounter(BaseModel):
    """The last number given out under `name` on a Shanghai `day`: order numbers count
    from 1 each day, without gaps from a race (each take is one upsert)."""

    name = pw.CharField(max_length=16)
    day = pw.DateField()
    last = pw.IntegerField(default=0)

    class Meta:
        indexes = ((("name", "day"), True),)


CLIENT_KINDS = ("device", "open311")


class ClientKey(BaseModel):
    """A key another system calls us with (a camera, an Open311 client): shown once when
    made, kept only as its SHA-256; it speaks for `region`."""

    kind = pw.CharField(max_length=16)
    name = pw.CharField(max_length=64)
    region = pw.ForeignKeyField(Region, on_delete="RESTRICT")
    key_hash = pw.CharField(max_length=64, unique=True)
    created_at = UTCDateTimeField(default=created_now)
    revoked_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("kind", "name"), True),)


class DeviceEvent(BaseModel):
    """What a device reported, once per its own event id, and the order it opened or
    closed."""

    device = pw.ForeignKeyField(ClientKey, on_delete="RESTRICT")
    event_id = pw.CharField(max_length=64)
    type = pw.CharField(max_length=32)
    status = pw.CharField(max_length=16)
    lat = pw.DoubleField()
    lng = pw.DoubleField()
    occurred_at = UTCDateTimeField()
    order = pw.ForeignKeyField(WorkOrder, null=True, on_delete="RESTRICT")
    created_at = UTCDateTimeField(default=created_now)

    class Meta:
        indexes = ((("device", "event_id"), True),)
