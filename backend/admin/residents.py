"""Staff's side of the resident app: gate checks of resident codes, held ratings, complaints."""
from __future__ import annotations

import peewee as pw

from backend import audit, lifecycle, masking, residentcode, scope
from backend.db import write_transaction
from backend.errors import NotFound
from backend.models import (
    CommunityMembership,
    Complaint,
    Rating,
    Region,
    ResidentCodeUse,
    Shop,
    StaffAccount,
    User,
)
from backend.resident import ratings


def verify_resident_code(staff: StaffAccount, code: str) -> dict:
    """A gate's online check: signature, expiry, live membership in scope, and jti once."""
    checked = residentcode.check_signature(code.strip())
    if not checked.ok:
        return {"valid": False, "reason": checked.reason}
    user = User.get_or_none((User.pseudonym == checked.claims["sub"]) & User.deleted_at.is_null())
    if user is None:
        return {"valid": False, "reason": "unknown_resident"}
    membership = (CommunityMembership.select(CommunityMembership, Region).join(Region)
                  .where((CommunityMembership.user == user)
                         & (CommunityMembership.status == "approved")
                         & scope.under(CommunityMembership.region_path, staff.region_path))
                  .first())
    if membership is None:
        audit.record(audit.SCOPE_DENIED, "resident_code", checked.claims["jti"],
                     staff.region_path, staff=staff, detail={"reason": "not_a_member"})
        return {"valid": False, "reason": "not_a_member"}
    try:
        with write_transaction():
            ResidentCodeUse.create(jti=checked.claims["jti"], staff=staff)
    except pw.IntegrityError:
        return {"valid": False, "reason": "replayed"}
    return {"valid": True, "reason": "ok", "resident": {
        "name": masking.name(user.display_name) if user.display_name else "居民",
        "community": membership.community.name, "status": membership.status}}


def ratings_in_scope(staff: StaffAccount, status: str | None):
    query = (Rating.select(Rating, Shop).join(Shop)
             .where(scope.under(Shop.region_path, staff.region_path))
             .order_by(Rating.id.desc()))
    return query.where(Rating.status == status) if status else query


def release_rating(staff: StaffAccount, rating_id: str) -> Rating:
    with write_transaction():
        # Read under the lock: two moderators releasing at once must not both see "held".
        found = ratings_in_scope(staff, None).where(Rating.public_id == rating_id).first()
        if found is None:
            raise NotFound("rating not found")
        rating = lifecycle.locked_with_its_shop(Rating, found.id)
        released = ratings.release(rating, lifecycle.actor_for_staff(staff))
        Rating.update(released_by=staff).where(Rating.id == rating.id).execute()
        audit.record("rating.released", "rating", rating.public_id, rating.shop.region_path,
                     staff=staff)
    return released


def complaints_in_scope(staff: StaffAccount):
    return (Complaint.select(Complaint, Shop).join(Shop)
            .where(scope.under(Shop.region_path, staff.region_path))
            .order_by(Complaint.id.desc()))
