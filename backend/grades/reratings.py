"""申请复查: after putting things right, the owner asks for a new inspection.

Once per inspection (the latest that counts), after RERATING_COOLOFF_DAYS (none by
default) and with no rectification order still open, with evidence. It becomes a work
order of the shop's regulator, due by its category's working days (60: about three
months); inspectors see it in their list with that deadline. The visit is unannounced:
the owner is told it is accepted (已受理) and by when, never a day. The next inspection
of the shop that counts is the visit, whatever its grade, up or down; it settles the
order and the owner is told.
"""

from __future__ import annotations

from datetime import timedelta

import peewee as pw
from flask import current_app

from backend import clock, lifecycle, scope
from backend.db import write_transaction
from backend.errors import Conflict
from backend.grades import procedures
from backend.grades.replies import latest_counted
from backend.models import (
    Inspection,
    RectificationOrder,
    RerateRequest,
    Shop,
    StaffAccount,
    User,
    WorkOrder,
)
from backend.models.inspections import OPEN_ORDER_STATUSES
from backend.shops.access import OWNER_ONLY, member_shop

ACCEPTED_LABEL = "已受理"


def request(user: User, shop_id: str, evidence: str, photos: list[str]) -> RerateRequest:
    with write_transaction():
        shop = member_shop(user, shop_id, OWNER_ONLY)
        inspection = latest_counted(shop)
        if inspection is None:
            raise Conflict(
                "the shop has not been inspected: there is no grade to re-rate",
                key="nothing_to_rerate",
            )
        _refuse_too_soon_or_again(shop, inspection)
        order, shown = procedures.open_order(
            user, shop, "rerating", f"申请复查（检查 {inspection.public_id}）：{evidence}", photos
        )
        due = clock.local_date(order.resolve_due_at) if order.resolve_due_at else None
        asked = RerateRequest.create(
            inspection=inspection,
            shop=shop,
            requested_by=user,
            evidence=evidence,
            photos=lifecycle.canonical(shown),
            work_order=order,
            due_on=due or clock.today_local(),
        )
        lifecycle.append(
            shop,
            "rerating.requested",
            lifecycle.actor_for_user(user),
            {"request": asked.public_id, "inspection": inspection.public_id, "order": order.number},
        )
    return asked


def _refuse_too_soon_or_again(shop: Shop, inspection: Inspection) -> None:
    if RerateRequest.select().where(RerateRequest.inspection == inspection).exists():
        raise Conflict(
            "a re-rating was already asked for after this inspection", key="already_requested"
        )
    open_orders = RectificationOrder.select().where(
        (RectificationOrder.shop == shop) & RectificationOrder.status.in_(OPEN_ORDER_STATUSES)
    )
    if open_orders.exists():
        raise Conflict(
            "put right what the rectification order asks first", key="rectification_open"
        )
    days = current_app.config["CITYCODE"].rerating_cooloff_days
    allowed = inspection.recorded_at + timedelta(days=days)
    if clock.now() < allowed:
        raise Conflict(
            "a re-rating may be asked for from %(date)s",
            key="rerating_too_soon",
            params={"date": clock.local_date(allowed).isoformat()},
        )


def visited(shop: Shop, inspection: Inspection, actor: str) -> None:
    """An inspection of the shop now counts: it is the visit any waiting request asked
    for. In the inspection's transaction, after the shop's grades are refreshed."""
    waiting = list(
        RerateRequest.select().where(
            (RerateRequest.shop == shop) & (RerateRequest.state == "accepted")
        )
    )
    for asked in waiting:
        asked.state, asked.visit, asked.done_at = "done", inspection, clock.now()
        asked.save()
        lifecycle.append(
            shop,
            "rerating.done",
            actor,
            {
                "request": asked.public_id,
                "visit": inspection.public_id,
                "grade": shop.grade,
                "score": shop.grade_score,
            },
        )
        said = f"复查完成：等级{shop.grade}（{shop.grade_score}分）"
        procedures.settle(asked.work_order, actor, said, {"visit": inspection.public_id})


def waiting_in_scope(staff: StaffAccount) -> pw.ModelSelect:
    """Requests waiting for their visit in `staff`'s subtree, soonest deadline first."""
    return (
        RerateRequest.select(RerateRequest, Shop, WorkOrder)
        .join(Shop, on=(RerateRequest.shop == Shop.id))
        .switch(RerateRequest)
        .join(WorkOrder, on=(RerateRequest.work_order == WorkOrder.id))
        .where(
            (RerateRequest.state == "accepted") & scope.under(Shop.region_path, staff.region_path)
        )
        .order_by(RerateRequest.due_on, RerateRequest.id)
    )


def of_shop(user: User, shop_id: str) -> pw.ModelSelect:
    shop = member_shop(user, shop_id)
    return (
        RerateRequest.select(RerateRequest, Inspection)
        .join(Inspection, on=(RerateRequest.inspection == Inspection.id))
        .where(RerateRequest.shop == shop)
        .order_by(RerateRequest.id.desc())
    )
