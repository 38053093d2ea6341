"""Write to the audit log: staff reads of unmasked personal data, scope denials, staff writes."""

from __future__ import annotations

import peewee as pw
from flask import after_this_request, g, has_request_context, request

from backend.db import database, write_transaction
from backend.lifecycle import canonical
from backend.models import AuditEntry, StaffAccount, User

READ_UNMASKED = "read.unmasked"
SCOPE_DENIED = "scope.denied"


def record(
    action: str,
    target_type: str,
    target_id,
    region_path: str,
    staff: StaffAccount | None = None,
    user: User | None = None,
    detail: dict | None = None,
) -> AuditEntry:
    """Append one entry, inside the caller's transaction when there is one.

    Writes are audited in the transaction that makes them, so an undone write
    leaves no entry; reads and denials get a transaction of their own.
    """
    fields = dict(
        staff=staff,
        user=user or (staff.user if staff is not None else None),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        region_path=region_path,
        detail=canonical(detail or {}),
    )
    if has_request_context():
        fields.update(ip=request.remote_addr, request_id=g.get("request_id"))
    if database.in_transaction():
        return AuditEntry.create(**fields)
    with write_transaction():
        return AuditEntry.create(**fields)


def denied(
    staff: StaffAccount, target_type: str, target_id, region_path: str, detail: dict | None = None
) -> None:
    """A staff member reached for a record outside their scope.

    The request then fails and its write transaction, if any, rolls back; the entry
    is written once the response is made, so the attempt stays on record.
    """
    if has_request_context() and database.in_transaction():

        @after_this_request
        def _record_after_rollback(response):
            record(SCOPE_DENIED, target_type, target_id, region_path, staff=staff, detail=detail)
            return response

        return
    record(SCOPE_DENIED, target_type, target_id, region_path, staff=staff, detail=detail)


def unmasked(query, staff: StaffAccount, target_type: str, target_id, region_path: str):
    """`query`'s rows with the personal data in their free text shown whole (see
    schemas.FreeText), the read on record as any unmasked read is."""
    record(
        READ_UNMASKED, target_type, target_id, region_path, staff=staff, detail={"fields": ["text"]}
    )
    return query.select_extend(pw.Value(True).alias("shown_whole"))
