"""The rectification loop: an order the shop answers with evidence, an inspector verifies or
rejects, and a sweep marks overdue."""

from __future__ import annotations

from datetime import date

from backend import audit, clock, i18n, lifecycle, progress, scope
from backend.db import lock_for_update, write_transaction
from backend.errors import Conflict, NotFound
from backend.i18n import N_
from backend.inspections import risk
from backend.inspections.messages import tell_owners
from backend.inspections.recording import INSPECTABLE
from backend.models import (
    RectificationOrder,
    RectificationSubmission,
    Region,
    ServiceCategory,
    Shop,
    StaffAccount,
    User,
)
from backend.models.inspections import OPEN_ORDER_STATUSES
from backend.shops.access import member_shop
from backend.shops.photos import own_photo
from backend.workorders import orders as workorders
from backend.workorders import routing

# An order's status in the reader's words (the values of %(…)s in messages), for the catalog.
_WORDS = (N_("submitted"), N_("closed"), N_("withdrawn"))


# -- the shop's side ----------------------------------------------------------------------
def rectifications(user: User, public_id: str, open_only: bool = False):
    shop = member_shop(user, public_id)
    query = (
        RectificationOrder.select()
        .where(RectificationOrder.shop == shop)
        .order_by(RectificationOrder.deadline)
    )
    return query.where(RectificationOrder.status.in_(OPEN_ORDER_STATUSES)) if open_only else query


def rectification(user: User, public_id: str, order_id: str) -> RectificationOrder:
    """One order with every answer the shop gave and what became of it."""
    shop = member_shop(user, public_id)
    order = RectificationOrder.get_or_none(
        (RectificationOrder.shop == shop) & (RectificationOrder.public_id == order_id)
    )
    if order is None:
        raise NotFound("rectification order not found", key="rectification_not_found")
    return with_submissions(order)


def with_submissions(order: RectificationOrder) -> RectificationOrder:
    order.submission_list = list(order.submissions.order_by(RectificationSubmission.id.desc()))
    return order


def submit_rectification(
    user: User, public_id: str, order_id: str, text: str, photo_ids: list[str]
) -> RectificationOrder:
    """The shop answers an order with evidence; an inspector then verifies or rejects it."""
    with write_transaction():
        shop = member_shop(user, public_id)
        order = lock_for_update(
            RectificationOrder.select().where(
                (RectificationOrder.shop == shop) & (RectificationOrder.public_id == order_id)
            )
        ).first()
        if order is None:
            raise NotFound("rectification order not found", key="rectification_not_found")
        if order.status != "open":
            raise Conflict(
                "this order is %(status)s; nothing to submit now",
                key="order_not_open",
                params={"status": i18n.Word(order.status)},
            )
        photos = [own_photo(shop, pid, "photos").public_id for pid in photo_ids]
        submission = RectificationSubmission.create(
            order=order, submitted_by=user, text=text, photos=lifecycle.canonical(photos)
        )
        order.status = "submitted"
        order.save()
        lifecycle.append(
            shop,
            "rectification.submitted",
            lifecycle.actor_for_user(user),
            {"order": order.public_id, "submission": submission.id, "photos": photos},
        )
    return order


# -- the inspector's side ------------------------------------------------------------------
def orders_in_scope(staff: StaffAccount, filters: dict | None = None):
    """Orders of shops in `staff`'s subtree, by deadline, filtered as the list asks."""
    query = (
        RectificationOrder.select(RectificationOrder, Shop)
        .join(Shop)
        .where(scope.under(Shop.region_path, staff.region_path))
        .order_by(RectificationOrder.deadline, RectificationOrder.id)
    )
    filters = filters or {}
    if filters.get("status"):
        query = query.where(RectificationOrder.status == filters["status"])
    if filters.get("overdue") is not None:
        query = query.where(RectificationOrder.overdue == filters["overdue"])
    if filters.get("shop_id"):
        query = query.where(Shop.public_id == filters["shop_id"])
    return query


def _order_in_scope(staff: StaffAccount, order_id: str, lock: bool = True) -> RectificationOrder:
    order = scope.find(
        staff,
        orders_in_scope(staff).where(RectificationOrder.public_id == order_id),
        "rectification_order",
        order_id,
        Shop.select(Shop.region_path)
        .join(RectificationOrder)
        .where(RectificationOrder.public_id == order_id),
    )
    return lifecycle.locked_with_its_shop(RectificationOrder, order.id) if lock else order


def order_detail(staff: StaffAccount, order_id: str) -> RectificationOrder:
    """An order in scope with the shop's evidence, for the inspector about to decide."""
    return with_submissions(_order_in_scope(staff, order_id, lock=False))


def _latest_submission(order: RectificationOrder) -> RectificationSubmission:
    submission = (
        RectificationSubmission.select()
        .where(
            (RectificationSubmission.order == order) & RectificationSubmission.decision.is_null()
        )
        .order_by(RectificationSubmission.id.desc())
        .first()
    )
    if order.status != "submitted" or submission is None:
        raise Conflict(
            "the shop has not submitted evidence for this order yet", key="nothing_submitted"
        )
    return submission


def verify_order(staff: StaffAccount, order_id: str) -> RectificationOrder:
    with write_transaction():
        order = _order_in_scope(staff, order_id)
        submission = _latest_submission(order)
        now = clock.now()
        submission.decision, submission.decided_by, submission.decided_at = "verified", staff, now
        submission.save()
        order.status, order.closed_at = "closed", now
        order.save()
        shop = order.shop
        lifecycle.append(
            shop,
            "rectification.verified",
            lifecycle.actor_for_staff(staff),
            {"order": order.public_id, "submission": submission.id},
        )
        risk.refresh(shop)
        audit.record(
            "rectification.verified",
            "rectification",
            order.public_id,
            shop.region_path,
            staff=staff,
        )
        # The shop was told of the order and of every rejection; it hears the loop close too.
        tell_owners(shop, "rectification.verified", "整改已通过验收", None)
    return order


def reject_order(staff: StaffAccount, order_id: str, reason: str) -> RectificationOrder:
    with write_transaction():
        order = _order_in_scope(staff, order_id)
        submission = _latest_submission(order)
        submission.decision, submission.decided_by = "rejected", staff
        submission.decided_at, submission.reason = clock.now(), reason
        submission.save()
        order.status = "open"
        order.save()
        lifecycle.append(
            order.shop,
            "rectification.rejected",
            lifecycle.actor_for_staff(staff),
            {"order": order.public_id, "submission": submission.id, "reason": reason},
        )
        audit.record(
            "rectification.rejected",
            "rectification",
            order.public_id,
            order.shop.region_path,
            staff=staff,
            detail={"reason": reason},
        )
        tell_owners(order.shop, "rectification.rejected", f"整改未通过：{reason}", order.deadline)
    return order


def sweep_overdue(today: date | None = None, shown=progress.quietly) -> list[str]:
    """Mark orders past their deadline, once each; the shop's grade goes up and its
    owners are told, once per order.

    Only an order still waiting for the shop is overdue: one whose evidence came in
    on time and waits for the inspector is not the shop's delay, and a closed shop
    has nobody left to answer it.
    """
    today = today or clock.today_local()
    due = (
        RectificationOrder.select(RectificationOrder.id)
        .join(Shop)
        .where(
            (RectificationOrder.status == "open")
            & (RectificationOrder.overdue == False)  # noqa
            & (RectificationOrder.deadline < today)
            & Shop.status.in_(INSPECTABLE)
        )
    )
    marked = []
    for row in shown(list(due), "overdue orders"):
        with write_transaction():
            order = lifecycle.locked_with_its_shop(RectificationOrder, row.id)
            if order.overdue or order.status != "open" or order.shop.status not in INSPECTABLE:
                continue
            order.overdue = True
            order.save()
            lifecycle.append(
                order.shop,
                "rectification.overdue",
                lifecycle.SYSTEM,
                {"order": order.public_id, "deadline": order.deadline},
            )
            risk.refresh(order.shop)
            marked.append(order.public_id)
            tell_owners(
                order.shop, "rectification.overdue", "整改已逾期，请尽快整改", order.deadline
            )
            _escalate(order)
    return marked


def _escalate(order: RectificationOrder) -> None:
    """An overdue order goes on, as a work order, to the shop's regulator to follow up."""
    shop = order.shop
    workorders.open_order(
        source="rectification",
        category=ServiceCategory.get(ServiceCategory.code == "rectification_overdue"),
        region=Region.get(Region.path == shop.region_path),
        description=f"整改单 {order.public_id} 要求：{order.requirements}；"
        f"期限 {order.deadline} 已过，商户仍未整改",
        actor=lifecycle.SYSTEM,
        shop=shop,
        location={"lat": shop.lat, "lng": shop.lng, "address": shop.address},
        department=routing.regulator_for(shop.region_path),
    )
