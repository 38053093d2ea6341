"""Random-sampling inspection plans (双随机): the items inspected, the plans, the frozen lists
they were drawn from, the tasks they made, and the conflicts inspectors declared."""

from __future__ import annotations

import peewee as pw

from backend.models.base import BaseModel, UTCDateTimeField, created_now
from backend.models.inspections import Inspection
from backend.models.people import StaffAccount
from backend.models.regions import Department, Region
from backend.models.shops import Shop, new_shop_public_id

# draft → committed (lists frozen, commitment published) → drawn (salt revealed, tasks).
PLAN_STATES = ("draft", "committed", "drawn")


class SamplingItem(BaseModel):
    """抽查事项清单: what may be inspected, on what legal basis, with which checklist."""

    code = pw.CharField(max_length=32, unique=True)
    name = pw.CharField(max_length=100)
    legal_basis = pw.CharField(max_length=255)
    template = pw.CharField(max_length=32)


class SamplingPlan(BaseModel):
    public_id = pw.CharField(max_length=16, unique=True, default=new_shop_public_id)
    title = pw.CharField(max_length=100)
    region = pw.ForeignKeyField(Region, on_delete="RESTRICT")
    region_path = pw.CharField(max_length=255, index=True)
    # JSON: the items' codes, the categories of shops (empty: all), the percentage drawn
    # of each risk grade.
    items = pw.TextField()
    categories = pw.TextField(default="[]")
    ratios = pw.TextField()
    department = pw.ForeignKeyField(Department, null=True, on_delete="RESTRICT")
    qualifications = pw.TextField(default="[]")  # JSON: tags every pooled inspector holds
    team_size = pw.SmallIntegerField(default=2)
    starts_on = pw.DateField()
    ends_on = pw.DateField()
    recusal_days = pw.SmallIntegerField(default=365)
    state = pw.CharField(max_length=16, default="draft", index=True)
    created_by = pw.ForeignKeyField(StaffAccount, on_delete="RESTRICT")
    created_at = UTCDateTimeField(default=created_now)
    # The draw: which public value will seed it, the commitment to the frozen lists and
    # the salt (secret until drawn), then the value and the frozen lists themselves.
    public_value_name = pw.CharField(max_length=200, null=True)
    public_value = pw.CharField(max_length=200, null=True)
    salt = pw.CharField(max_length=64, null=True)
    commitment = pw.CharField(max_length=64, null=True)
    frozen = pw.TextField(null=True)
    committed_at = UTCDateTimeField(null=True)
    drawn_at = UTCDateTimeField(null=True)


class SamplingTask(BaseModel):
    plan = pw.ForeignKeyField(SamplingPlan, backref="tasks", on_delete="RESTRICT")
    shop = pw.ForeignKeyField(Shop, on_delete="RESTRICT")
    rank = pw.IntegerField()  # the place in the draw: tens of thousands in a large district
    deadline = pw.DateField()
    inspection = pw.ForeignKeyField(Inspection, null=True, on_delete="RESTRICT")
    done_at = UTCDateTimeField(null=True)
    # 一公开: due 20 working days after the inspection; late when the daily check found
    # it unpublished past that day.
    publish_by = pw.DateField(null=True)
    published_at = UTCDateTimeField(null=True)
    published_late_on = pw.DateField(null=True)

    class Meta:
        indexes = ((("plan", "shop"), True),)


class SamplingTaskMember(BaseModel):
    task = pw.ForeignKeyField(SamplingTask, backref="members", on_delete="CASCADE")
    staff = pw.ForeignKeyField(StaffAccount, on_delete="RESTRICT")

    class Meta:
        indexes = ((("task", "staff"), True),)


class InspectorConflict(BaseModel):
    """回避: a shop an inspector declared they must not be drawn for."""

    staff = pw.ForeignKeyField(StaffAccount, on_delete="CASCADE")
    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    reason = pw.CharField(max_length=200)
    created_at = UTCDateTimeField(default=created_now)

    class Meta:
        indexes = ((("staff", "shop"), True),)
