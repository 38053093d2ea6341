"""The append-only audit log of staff reads of personal data, scope denials and writes."""

from __future__ import annotations

import peewee as pw

from backend.models.base import BaseModel, UTCDateTimeField, created_now
from backend.models.people import StaffAccount, User


class AppendOnlyAudit(Exception):
    pass


class AuditEntry(BaseModel):
    staff = pw.ForeignKeyField(StaffAccount, null=True, on_delete="RESTRICT")
    user = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    action = pw.CharField(max_length=48, index=True)
    target_type = pw.CharField(max_length=32)
    target_id = pw.CharField(max_length=64)
    # The target's region, so admins read the entries about their own subtree.
    region_path = pw.CharField(max_length=255, index=True)
    detail = pw.TextField(default="{}")
    ip = pw.CharField(max_length=64, null=True)
    request_id = pw.CharField(max_length=64, null=True)
    at = UTCDateTimeField(default=created_now, index=True)

    def save(self, *args, **kwargs):
        if self.id is not None:
            raise AppendOnlyAudit("audit entries are never changed")
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        raise AppendOnlyAudit("audit entries are never deleted")
