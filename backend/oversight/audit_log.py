"""The audit log as an admin reads it: entries about records in their subtree, newest first."""

from __future__ import annotations

from backend import scope
from backend.models import AuditEntry, StaffAccount


def entries_in_scope(admin: StaffAccount, action: str | None, target_type: str | None):
    query = (
        AuditEntry.select()
        .where(scope.under(AuditEntry.region_path, admin.region_path))
        .order_by(AuditEntry.id.desc())
    )
    if action:
        query = query.where(AuditEntry.action == action)
    if target_type:
        query = query.where(AuditEntry.target_type == target_type)
    return query
