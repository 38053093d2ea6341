"""Residents' complaints about shops, and the staff who read them within their scope."""

from __future__ import annotations

from backend import clock, contentcheck, lifecycle, scope
from backend.community.publishing import REPEAT_WINDOW
from backend.db import lock_row, write_transaction
from backend.errors import Conflict
from backend.inspections import risk
from backend.models import Complaint, Shop, StaffAccount, User
from backend.ratings.ratings import rateable_shop


def complain(user: User, shop_id: str, category: str, text: str) -> Complaint:
    """A resident's complaint about a shop that is open to the public (or suspended)."""
    shop = rateable_shop(shop_id)
    contentcheck.check(user, text, "text")
    with write_transaction():
        # The shop's row first (see db.lock_for_update): inserting the complaint takes a
        # share lock on it, and two complaints upgrading theirs at once deadlock. Held
        # from here, it also lets a double tap's second request find the first.
        lock_row(Shop, shop.id)
        # The same words again within minutes are a double tap; later, the problem again.
        same = (
            Complaint.select(Complaint.public_id)
            .where(
                (Complaint.shop == shop)
                & (Complaint.user == user)
                & (Complaint.category == category)
                & (Complaint.text == text)
                & (Complaint.created_at > clock.now() - REPEAT_WINDOW)
            )
            .first()
        )
        if same is not None:
            raise Conflict(
                f"you already sent this complaint ({same.public_id})",
                errors={"json": {"text": [f"already sent: {same.public_id}"]}},
            )
        complaint = Complaint.create(shop=shop, user=user, category=category, text=text)
        lifecycle.append(
            shop,
            "complaint.filed",
            lifecycle.RESIDENT,
            {"complaint": complaint.public_id, "category": category},
        )
        risk.refresh(shop)
    return complaint


def complaints_in_scope(staff: StaffAccount):
    return (
        Complaint.select(Complaint, Shop)
        .join(Shop)
        .where(scope.under(Shop.region_path, staff.region_path))
        .order_by(Complaint.id.desc())
    )
