"""Users (one per WeChat openid), their refresh tokens, and staff accounts bound to them."""

from __future__ import annotations

import peewee as pw

from backend.models.base import BaseModel, UTCDateTimeField, created_now, sample_bucket
from backend.models.regions import Department, Region


class User(BaseModel):
    openid = pw.CharField(max_length=64, unique=True)
    unionid = pw.CharField(max_length=64, null=True, index=True)
    # WeChat's session_key is kept for server-side decryption only; no schema dumps it.
    session_key = pw.CharField(max_length=64, null=True)
    phone = pw.CharField(max_length=20, null=True)
    display_name = pw.CharField(max_length=40, null=True)
    # The random `sub` of the personal resident code: never a phone or an openid.
    pseudonym = pw.CharField(max_length=32, null=True, unique=True)
    deleted_at = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField(default=created_now)
    updated_at = UTCDateTimeField(default=created_now)
    last_login_at = UTCDateTimeField(null=True)
    sample_bucket = pw.SmallIntegerField(default=sample_bucket)

    class Meta:
        # A preview's sample of residents is read from the index alone (migration 0030).
        indexes = ((("sample_bucket", "id", "deleted_at"), False),)


class RefreshToken(BaseModel):
    """A refresh token, stored only as its SHA-256; tokens of one login share a family."""

    user = pw.ForeignKeyField(User, backref="refresh_tokens", on_delete="CASCADE")
    family = pw.CharField(max_length=32, index=True)
    token_hash = pw.CharField(max_length=64, unique=True)
    issued_at = UTCDateTimeField(default=created_now)
    expires_at = UTCDateTimeField()
    used_at = UTCDateTimeField(null=True)
    revoked_at = UTCDateTimeField(null=True)


class RevokedSession(BaseModel):
    """A login (a refresh-token family, the `sid` of its access tokens) that has ended.

    Kept until the last access token it could have issued expires; until then that
    token is refused (backend.revocations)."""

    sid = pw.CharField(max_length=32, primary_key=True)
    revoked_at = UTCDateTimeField(default=created_now)
    expires_at = UTCDateTimeField(index=True)


class IdempotentRequest(BaseModel):
    """A creating request sent with an Idempotency-Key, and the answer it got: the same key
    with the same request within a day answers that again (backend.idempotency)."""

    user = pw.ForeignKeyField(User, on_delete="CASCADE")
    key = pw.CharField(max_length=64)
    request_sha256 = pw.CharField(max_length=64)
    # Null until the answer is written, just after the request's own transaction commits.
    status = pw.IntegerField(null=True)
    body = pw.TextField(null=True)
    created_at = UTCDateTimeField(default=created_now, index=True)

    class Meta:
        indexes = ((("user", "key"), True),)


STAFF_ROLES = ("inspector", "cadre", "admin")
# 纪检监察: reads sampling plans and their frozen lists in their region, and nothing else.
AUDITOR = "auditor"
ASSIGNABLE_ROLES = (*STAFF_ROLES, AUDITOR)


class StaffAccount(BaseModel):
    user = pw.ForeignKeyField(User, null=True, unique=True, backref="staff", on_delete="SET NULL")
    name = pw.CharField(max_length=40)
    phone = pw.CharField(max_length=20, null=True)
    role = pw.CharField(max_length=16)
    region = pw.ForeignKeyField(Region, backref="staff", on_delete="RESTRICT")
    # Copied from the region so scope checks on staff are the same prefix match as on data.
    region_path = pw.CharField(max_length=255, index=True)
    department = pw.ForeignKeyField(Department, null=True, backref="staff", on_delete="SET NULL")
    active = pw.BooleanField(default=True)
    # JSON list of tags (食品, 特种设备, …) a sampling plan's pool may require.
    qualifications = pw.TextField(default="[]")
    created_by = pw.ForeignKeyField("self", null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField(default=created_now)


class BindingCode(BaseModel):
    """A one-time code an admin hands to a new staff member to bind their WeChat account."""

    staff = pw.ForeignKeyField(StaffAccount, backref="binding_codes", on_delete="CASCADE")
    code_hash = pw.CharField(max_length=64, unique=True)
    expires_at = UTCDateTimeField()
    used_at = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField(default=created_now)
