"""Shops, the people who run them, and the current-state columns a scan reads."""

from __future__ import annotations

import peewee as pw

from backend.models.base import (
    GENESIS_HASH,
    BaseModel,
    UTCDateTimeField,
    created_now,
    random_id,
    sample_bucket,
)
from backend.models.people import User
from backend.models.regions import Region

SHOP_STATUSES = ("pending", "active", "suspended", "closed")
RISK_GRADES = ("A", "B", "C", "D")


def new_shop_public_id() -> str:
    return random_id(12)


class Shop(BaseModel):
    public_id = pw.CharField(max_length=16, unique=True, default=new_shop_public_id)
    name = pw.CharField(max_length=100)
    credit_code = pw.CharField(max_length=18, index=True)
    category = pw.CharField(max_length=32)
    address = pw.CharField(max_length=200)
    street = pw.ForeignKeyField(Region, backref="street_shops", on_delete="RESTRICT")
    community = pw.ForeignKeyField(
        Region, null=True, backref="community_shops", on_delete="RESTRICT"
    )
    # The deepest region's path: staff scope is a prefix match on it.
    region_path = pw.CharField(max_length=255, index=True)
    lat = pw.DoubleField(null=True)
    lng = pw.DoubleField(null=True)
    phone = pw.CharField(max_length=20, null=True)
    opening_hours = pw.CharField(max_length=100, null=True)
    description = pw.TextField(null=True)
    status = pw.CharField(max_length=16, default="pending", index=True)
    # Why it is suspended or closed (shops.facts.STATUS_CAUSES); None while it trades.
    status_cause = pw.CharField(max_length=32, null=True)

    # Current state, written in the same transaction as the lifecycle event that changes it.
    rating_count = pw.IntegerField(default=0)
    rating_total = pw.IntegerField(default=0)
    rating_histogram = pw.CharField(max_length=64, default="0,0,0,0,0")
    last_inspection_at = UTCDateTimeField(null=True)
    last_inspection_result = pw.CharField(max_length=32, null=True)
    # The regulator's risk measure (inspections.risk): never shown to the public.
    risk_grade = pw.CharField(max_length=1, default="B")
    # The public grades (inspections.scoring): the latest counted inspection's 动态等级
    # and score, the twelve months' 年度等级 and how many inspections it rests on, and
    # the latest three as JSON. A null grade reads 待评级.
    grade = pw.CharField(max_length=1, null=True, index=True)
    grade_score = pw.SmallIntegerField(null=True)
    annual_grade = pw.CharField(max_length=1, null=True)
    annual_score = pw.SmallIntegerField(null=True)
    annual_inspections = pw.SmallIntegerField(default=0)
    grade_history = pw.TextField(default="[]")
    # What the public reads beside the grade: the day an appeal of it was filed while it
    # is open (复核中), and the owner's statement about the latest inspection (masked).
    appeal_filed_on = pw.DateField(null=True)
    reply_text = pw.TextField(null=True)
    reply_on = pw.DateField(null=True)
    # The business registry's last word on its credit code (registry.STATUSES).
    registry_status = pw.CharField(max_length=16, null=True)
    # The Shanghai day the daily re-check last asked (shops.registry_watch).
    registry_checked_on = pw.DateField(null=True)
    open_rectifications = pw.IntegerField(default=0)
    lifecycle_seq = pw.IntegerField(default=0)
    lifecycle_head = pw.CharField(max_length=64, default=GENESIS_HASH)
    sample_bucket = pw.SmallIntegerField(default=sample_bucket)

    created_at = UTCDateTimeField(default=created_now)
    updated_at = UTCDateTimeField(default=created_now)

    class Meta:
        # The search near a place reads the square around it through this, not every shop;
        # a search's page by name walks the names in order instead of sorting every match;
        # a preview's sample is read from the index alone (migration 0030).
        indexes = (
            (("lat", "lng"), False),
            (("name", "id"), False),
            (("sample_bucket", "id", "status", "region_path", "category", "street"), False),
        )


MEMBERSHIP_ROLES = ("owner", "staff")


class ShopMembership(BaseModel):
    shop = pw.ForeignKeyField(Shop, backref="memberships", on_delete="CASCADE")
    user = pw.ForeignKeyField(User, backref="shop_memberships", on_delete="CASCADE")
    role = pw.CharField(max_length=16)
    created_at = UTCDateTimeField(default=created_now)

    class Meta:
        indexes = ((("shop", "user"), True),)


CODE_KINDS = ("shop", "community")


class ShopCode(BaseModel):
    """A printed code id. One current code per shop; a reissue revokes the old one at once."""

    code = pw.CharField(max_length=16, unique=True)
    kind = pw.CharField(max_length=16, default="shop")
    shop = pw.ForeignKeyField(Shop, null=True, backref="codes", on_delete="CASCADE")
    region = pw.ForeignKeyField(Region, null=True, backref="codes", on_delete="CASCADE")
    revoked_at = UTCDateTimeField(null=True)
    issued_at = UTCDateTimeField(default=created_now)


class Upload(BaseModel):
    """A photo stored under a random name, served only to those allowed to see it.

    Shop photos belong to a shop; a resident's report photo has no shop.
    """

    public_id = pw.CharField(max_length=32, unique=True)
    shop = pw.ForeignKeyField(Shop, null=True, backref="uploads", on_delete="CASCADE")
    uploaded_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    content_type = pw.CharField(max_length=32)
    size = pw.IntegerField()
    sha256 = pw.CharField(max_length=64)
    created_at = UTCDateTimeField(default=created_now)


class Licence(BaseModel):
    public_id = pw.CharField(max_length=16, unique=True, default=new_shop_public_id)
    shop = pw.ForeignKeyField(Shop, backref="licences", on_delete="CASCADE")
    type = pw.CharField(max_length=32)
    number = pw.CharField(max_length=64)
    issuer = pw.CharField(max_length=100)
    valid_from = pw.DateField()
    valid_to = pw.DateField(index=True)
    scope = pw.CharField(max_length=300, null=True)
    photo = pw.ForeignKeyField(Upload, null=True, on_delete="SET NULL")
    verified_at = UTCDateTimeField(null=True)
    # The sweep appends licence.expiring / licence.expired once per validity period.
    expiring_noted_for = pw.DateField(null=True)
    expired_noted_for = pw.DateField(null=True)
    created_at = UTCDateTimeField(default=created_now)
    updated_at = UTCDateTimeField(default=created_now)


class Employee(BaseModel):
    public_id = pw.CharField(max_length=16, unique=True, default=new_shop_public_id)
    shop = pw.ForeignKeyField(Shop, backref="employees", on_delete="CASCADE")
    name = pw.CharField(max_length=40)
    position = pw.CharField(max_length=40, null=True)
    health_cert_number = pw.CharField(max_length=40)
    health_cert_expires = pw.DateField(index=True)
    expired_noted_for = pw.DateField(null=True)
    created_at = UTCDateTimeField(default=created_now)


class Honour(BaseModel):
    public_id = pw.CharField(max_length=16, unique=True, default=new_shop_public_id)
    shop = pw.ForeignKeyField(Shop, backref="honours", on_delete="CASCADE")
    title = pw.CharField(max_length=100)
    issuer = pw.CharField(max_length=100)
    awarded_on = pw.DateField(null=True)
    photo = pw.ForeignKeyField(Upload, null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField(default=created_now)


REQUEST_KINDS = ("register", "claim", "change")
REQUEST_STATUSES = ("pending", "approved", "rejected")


class ShopRequest(BaseModel):
    """A registration, a claim or a change of an open shop's registered name or address,
    waiting for an admin whose scope covers the shop's street."""

    kind = pw.CharField(max_length=16)
    shop = pw.ForeignKeyField(Shop, backref="requests", on_delete="CASCADE")
    user = pw.ForeignKeyField(User, backref="shop_requests", on_delete="CASCADE")
    status = pw.CharField(max_length=16, default="pending", index=True)
    note = pw.CharField(max_length=300, null=True)
    decided_by = pw.IntegerField(null=True)
    decided_at = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField(default=created_now)
    # A change only: JSON {field: {"old": …, "new": …}}, the values it replaces kept so a
    # decided change still reads as what it was.
    changes = pw.TextField(null=True)
    # What the business registry said (shops.registry_check): the verdict, and as JSON
    # the registered name, address and status beside the differences found.
    registry_state = pw.CharField(max_length=16, default="unverified", index=True)
    registry = pw.TextField(null=True)


class ShopInvite(BaseModel):
    """A one-time code a shop owner gives a new member of staff."""

    shop = pw.ForeignKeyField(Shop, backref="invites", on_delete="CASCADE")
    code_hash = pw.CharField(max_length=64, unique=True)
    created_by = pw.ForeignKeyField(User, on_delete="CASCADE")
    expires_at = UTCDateTimeField()
    used_at = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField(default=created_now)


# pending until WeChat takes it (sent), says the user has no subscription left (refused,
# 43101), or has failed it on its last try (failed); or until what it tells of is taken
# back before it went (withdrawn: a policy withdrawn).
OUTBOX_STATUSES = ("pending", "sent", "refused", "failed", "withdrawn")
FINAL_OUTBOX_STATUSES = OUTBOX_STATUSES[1:]


class OutboxMessage(BaseModel):
    """A subscribe message, written in the transaction of the change that causes it and
    delivered by the worker after the commit; then how WeChat answered."""

    user = pw.ForeignKeyField(User, backref="outbox_messages", on_delete="CASCADE")
    shop = pw.ForeignKeyField(Shop, null=True, backref="outbox_messages", on_delete="CASCADE")
    template = pw.CharField(max_length=64)
    subject = pw.CharField(max_length=64)
    status = pw.CharField(max_length=16, default="pending")
    errcode = pw.IntegerField(null=True)
    created_at = UTCDateTimeField(default=created_now)
    # What it says, kept only until it is final: a message's text can hold a resident's words.
    data = pw.TextField(null=True)
    page = pw.CharField(max_length=255, null=True)
    attempts = pw.IntegerField(default=0)
    next_attempt_at = UTCDateTimeField(null=True)
    # A worker sending it holds it until then; past it, the message is another's to try.
    claimed_until = UTCDateTimeField(null=True)
    sent_at = UTCDateTimeField(null=True)
    # A caller that may write the same message twice names it, and it is written once.
    idempotency_key = pw.CharField(max_length=128, null=True, unique=True)

    class Meta:
        table_name = "outbox"
        indexes = ((("status", "next_attempt_at"), False),)


class ShopGram(BaseModel):
    """Each two characters that follow one another in a shop's name or address: a search
    for 面馆 or 天平路 finds its shops through this index on both databases, where a
    LIKE '%面馆%' would read every shop (backend/shops/search_index.py)."""

    gram = pw.CharField(max_length=2)
    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")

    class Meta:
        primary_key = pw.CompositeKey("gram", "shop")
        indexes = ((("shop",), False),)
