"""Gate checks of residents' personal codes: online, by staff of the resident's community."""

from __future__ import annotations

import peewee as pw

from backend import audit, masking, metrics, residentcode, scope
from backend.db import write_transaction
from backend.models import (
    CommunityMembership,
    Region,
    ResidentCodeUse,
    StaffAccount,
    User,
)


def verify_resident_code(staff: StaffAccount, code: str) -> dict:
    """A gate's online check: signature, expiry, live membership in scope, and jti once."""
    verdict = _verify(staff, code)
    metrics.RESIDENT_CODE_CHECKS.labels(verdict["reason"]).inc()
    return verdict


def _verify(staff: StaffAccount, code: str) -> dict:
    checked = residentcode.check_signature(code.strip())
    if not checked.ok:
        return {"valid": False, "reason": checked.reason}
    user = User.get_or_none((User.pseudonym == checked.claims["sub"]) & User.deleted_at.is_null())
    if user is None:
        return {"valid": False, "reason": "unknown_resident"}
    membership = (
        CommunityMembership.select(CommunityMembership, Region)
        .join(Region)
        .where(
            (CommunityMembership.user == user)
            & (CommunityMembership.status == "approved")
            & scope.under(CommunityMembership.region_path, staff.region_path)
        )
        .first()
    )
    if membership is None:
        audit.record(
            audit.SCOPE_DENIED,
            "resident_code",
            checked.claims["jti"],
            staff.region_path,
            staff=staff,
            detail={"reason": "not_a_member"},
        )
        return {"valid": False, "reason": "not_a_member"}
    try:
        with write_transaction():
            ResidentCodeUse.create(jti=checked.claims["jti"], staff=staff)
    except pw.IntegrityError:
        return {"valid": False, "reason": "replayed"}
    return {
        "valid": True,
        "reason": "ok",
        "resident": {
            "name": masking.name(user.display_name) if user.display_name else "居民",
            "community": membership.community.name,
            "status": membership.status,
        },
    }
