"""Residents' complaints about shops, and the staff who read them within their scope.

A complaint counts in a shop's grade, so it needs a reason to be believed: the
resident scanned the shop's code in the last 24 hours (the same ticket a rating needs),
or WeChat verified their phone number. One resident complains about one shop at most
three times a Shanghai day.
"""

from __future__ import annotations

from datetime import datetime, time

from backend import audit, clock, contentcheck, i18n, lifecycle, scope
from backend.community.publishing import REPEAT_WINDOW
from backend.db import lock_row, write_transaction
from backend.errors import Conflict, Invalid, TooMany
from backend.inspections import risk
from backend.models import Complaint, Shop, StaffAccount, User
from backend.ratings.ratings import has_ticket, rateable_shop

PER_DAY = 3


def complain(
    user: User, shop_id: str, category: str, text: str, ticket: str | None = None
) -> Complaint:
    """A resident's complaint about a shop that is open to the public (or suspended)."""
    shop = rateable_shop(shop_id)
    if not user.phone and not has_ticket(ticket, user, shop):
        raise Invalid.field(
            "rating_ticket",
            "scan the shop's code in the last 24 hours to complain "
            "(or bind your phone number first)",
            key="scan_required",
        )
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
            sent = i18n.reason("already_sent", "already sent: %(id)s", id=same.public_id)
            raise Conflict(
                "you already sent this complaint (%(id)s)",
                key="already_sent",
                params={"id": same.public_id},
                errors={"json": {"text": [sent]}},
            )
        _refuse_beyond_the_days_limit(user, shop)
        complaint = Complaint.create(shop=shop, user=user, category=category, text=text)
        lifecycle.append(
            shop,
            "complaint.filed",
            lifecycle.RESIDENT,
            {"complaint": complaint.public_id, "category": category},
        )
        risk.refresh(shop)
    return complaint


def _refuse_beyond_the_days_limit(user: User, shop: Shop) -> None:
    today = datetime.combine(clock.today_local(), time(0), tzinfo=clock.SHANGHAI)
    made = (
        Complaint.select()
        .where(
            (Complaint.shop == shop) & (Complaint.user == user) & (Complaint.created_at >= today)
        )
        .count()
    )
    if made >= PER_DAY:
        limit = i18n.reason(
            "complaint_limit", "at most %(count)s complaints a day about one shop", count=PER_DAY
        )
        raise TooMany(
            "you have complained about this shop %(count)s times today; "
            "add what else you saw tomorrow",
            key="complaint_limit",
            params={"count": PER_DAY},
            errors={"json": {"text": [limit]}},
        )


def complaints_in_scope(staff: StaffAccount, whole: bool = False):
    """Complaints about shops in `staff`'s subtree; `whole` shows the personal data in their
    text (audited)."""
    query = (
        Complaint.select(Complaint, Shop)
        .join(Shop)
        .where(scope.under(Shop.region_path, staff.region_path))
        .order_by(Complaint.id.desc())
    )
    return audit.unmasked(query, staff, "complaints", "*", staff.region_path) if whole else query
