"""Policies (政策找人): what the district publishes, who it is for, what reached whom and
what they did about it; and the tags residents declared, each with its consent."""

from __future__ import annotations

import peewee as pw

from backend.models.base import BaseModel, UTCDateTimeField, created_now
from backend.models.people import StaffAccount, User
from backend.models.regions import Department, Region
from backend.models.shops import OutboxMessage, Shop, new_shop_public_id

KINDS = ("policy", "law", "notice")  # 政策文件, 法律法规, 通知公告
STATUSES = ("draft", "scheduled", "published", "withdrawn")
TARGETS = ("shops", "residents")
ANSWERS = ("acted", "not_me")
NOT_ME_REASONS = ("not_eligible", "already_done", "not_needed", "other")


class Policy(BaseModel):
    public_id = pw.CharField(max_length=16, unique=True, default=new_shop_public_id)
    kind = pw.CharField(max_length=16)
    title = pw.CharField(max_length=100)
    body = pw.TextField()
    # The reach: the publisher's region, or a part of it; no one outside it is matched.
    region = pw.ForeignKeyField(Region, on_delete="RESTRICT")
    region_path = pw.CharField(max_length=255, index=True)
    department = pw.ForeignKeyField(Department, null=True, on_delete="RESTRICT")
    issuer = pw.CharField(max_length=100)
    target = pw.CharField(max_length=16)
    # The audience expression, as JSON: all / any / not over {field, op, value}.
    audience = pw.TextField()
    links = pw.TextField(default="[]")
    # [{id, title}]: PDF uploads, readable by anyone once the policy is out.
    attachments = pw.TextField(default="[]")
    valid_from = pw.DateField(null=True)
    valid_to = pw.DateField(null=True)
    action_text = pw.CharField(max_length=200, null=True)
    action_due = pw.DateField(null=True)
    action_link = pw.CharField(max_length=500, null=True)
    # A law or notice shown on the public face of the codes of the shops it is for; the
    # categories it names, ",catering,retail," (None: every category), find them.
    public = pw.BooleanField(default=False)
    public_categories = pw.CharField(max_length=500, null=True)
    status = pw.CharField(max_length=16, default="draft", index=True)
    publish_at = UTCDateTimeField(null=True)
    published_at = UTCDateTimeField(null=True)
    withdrawn_at = UTCDateTimeField(null=True)
    withdraw_reason = pw.CharField(max_length=200, null=True)
    # A material change is a new version. Whoever holds a delivery of push_from_version or
    # later has it; the publisher asking to push a new version again moves it up.
    version = pw.IntegerField(default=1)
    push_from_version = pw.IntegerField(default=1)
    # Published or edited since its last push: the engine's push is still to run.
    push_pending = pw.BooleanField(default=False, index=True)
    created_by = pw.ForeignKeyField(StaffAccount, on_delete="RESTRICT")
    created_at = UTCDateTimeField(default=created_now)
    updated_at = UTCDateTimeField(default=created_now)


class PolicyDelivery(BaseModel):
    """One recipient a policy reached: a shop's owner (for that shop) or a resident."""

    policy = pw.ForeignKeyField(Policy, backref="deliveries", on_delete="CASCADE")
    version = pw.IntegerField()
    user = pw.ForeignKeyField(User, on_delete="CASCADE")
    shop = pw.ForeignKeyField(Shop, null=True, on_delete="CASCADE")
    # Where and what the recipient was when matched, for the publisher's funnel.
    region_path = pw.CharField(max_length=255)
    category = pw.CharField(max_length=32, null=True)
    message = pw.ForeignKeyField(OutboxMessage, null=True, on_delete="SET NULL")
    pushed_at = UTCDateTimeField(default=created_now)
    read_at = UTCDateTimeField(null=True)
    answer = pw.CharField(max_length=16, null=True)
    reason = pw.CharField(max_length=16, null=True)
    note = pw.CharField(max_length=200, null=True)
    answered_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = (
            (("policy", "version", "user", "shop"), True),
            (("user", "read_at"), False),
        )


class ResidentTag(BaseModel):
    """A tag a resident declared about themselves (年满60周岁, 退役军人…), with the consent
    to be matched by it: given at `consented_at` to the wording of `consent_version`,
    withdrawn at `withdrawn_at`. A withdrawn tag is kept, as the record of the consent."""

    user = pw.ForeignKeyField(User, backref="tags", on_delete="CASCADE")
    tag = pw.CharField(max_length=32)
    consent_version = pw.CharField(max_length=16)
    consented_at = UTCDateTimeField(default=created_now)
    withdrawn_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("tag", "withdrawn_at", "user"), False),)
