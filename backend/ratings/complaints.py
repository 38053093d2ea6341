"""Residents' complaints about shops: handled as work orders by the shop's regulator,
answered by the shop, read by staff within their scope.

A complaint may end in the shop's grade, so it needs a reason to be believed: the
resident scanned the shop's code in the last 24 hours (the same ticket a rating needs),
or WeChat verified their phone number. One resident complains about one shop at most
three times a Shanghai day. It goes, as a work order, to the market regulator of the
shop's street, which accepts it or not (with a reason) within 7 working days; an
accepted one ends substantiated or not. Only a substantiated complaint counts in the
grade: a competitor and their friends complaining cannot lower it by themselves.
"""

from __future__ import annotations

from datetime import datetime, time

from backend import audit, clock, contentcheck, i18n, lifecycle, scope
from backend.community.publishing import REPEAT_WINDOW
from backend.db import lock_row, write_transaction
from backend.errors import Conflict, Invalid, NotFound, TooMany
from backend.inspections import risk
from backend.models import Complaint, Region, ServiceCategory, Shop, StaffAccount, User, WorkOrder
from backend.ratings.ratings import has_ticket, rateable_shop
from backend.shops.access import member_shop
from backend.workorders import orders, routing

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
        order = orders.open_order(
            source="complaint",
            category=ServiceCategory.get(ServiceCategory.code == category),
            region=Region.get(Region.path == shop.region_path),
            description=text,
            actor=lifecycle.actor_for_user(user),
            reporter=user,
            shop=shop,
            location={"lat": shop.lat, "lng": shop.lng, "address": shop.address},
            department=routing.regulator_for(shop.region_path),
        )
        complaint = Complaint.create(
            shop=shop, user=user, category=category, text=text, work_order=order
        )
        lifecycle.append(
            shop,
            "complaint.filed",
            lifecycle.RESIDENT,
            {"complaint": complaint.public_id, "category": category},
        )
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


# -- as its regulator decides it (the work order's steps call these) ---------------------
def decided(order: WorkOrder, status: str, actor: str) -> Complaint | None:
    """The complaint behind `order` is now `status`; substantiated, it is on the shop's
    record and in its grade. Inside the step's write transaction."""
    complaint = Complaint.get_or_none(Complaint.work_order == order)
    if complaint is None:
        return None
    complaint.status, complaint.decided_at = status, clock.now()
    complaint.save()
    if status == "substantiated":
        shop = Shop.get_by_id(complaint.shop_id)
        lifecycle.append(
            shop,
            "complaint.substantiated",
            actor,
            {"complaint": complaint.public_id, "order": order.number},
        )
        risk.refresh(shop)
    return complaint


# -- the shop's side -----------------------------------------------------------------------
def about_my_shop(user: User, shop_id: str):
    """Complaints about a shop the user runs, newest first: who made them is not said."""
    shop = member_shop(user, shop_id)
    return Complaint.select().where(Complaint.shop == shop).order_by(Complaint.id.desc())


def answer(user: User, shop_id: str, complaint_id: str, text: str) -> Complaint:
    """The shop's answer, read by its regulator beside the complaint; given again, it
    replaces the first."""
    with write_transaction():
        shop = member_shop(user, shop_id)
        complaint = Complaint.get_or_none(
            (Complaint.shop == shop) & (Complaint.public_id == complaint_id)
        )
        if complaint is None:
            raise NotFound("complaint not found", key="complaint_not_found")
        contentcheck.check(user, text, "text")
        complaint.answer, complaint.answered_at = text.strip(), clock.now()
        complaint.save()
    return complaint


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
