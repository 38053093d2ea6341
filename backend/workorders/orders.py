"""Opening a work order, numbering it, its deadlines, and who may reach it: a dispatcher
(an admin) the orders of their region's subtree, a department's staff their
department's orders."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import peewee as pw

from backend import clock, lifecycle, scope, uploads
from backend.db import lock_for_update, write_transaction
from backend.errors import Forbidden, Invalid, NotFound
from backend.models import (
    DailyCounter,
    Department,
    Region,
    Report,
    ServiceCategory,
    Shop,
    StaffAccount,
    Upload,
    User,
    WorkOrder,
)
from backend.models.workorders import PROCEDURE_CATEGORIES
from backend.workdays import calendar
from backend.workorders import history, messages, routing, timeline

URGENT_SIGN_HOURS = 2
COMPLAINT_DECISION_DAYS = 7
# States whose step has a deadline: waiting to be signed, or to be resolved.
TIMED_STATES = ("dispatched", "signed", "in_progress")
WARN_AT = 0.8  # of the time a step has


def _next_number(now: datetime) -> str:
    """GD + the Shanghai date + the day's count, six digits: one upsert, so two orders
    made at once get two numbers."""
    day = now.astimezone(clock.SHANGHAI).date()
    taken = (
        DailyCounter.insert(name="work_order", day=day, last=1)
        .on_conflict(
            conflict_target=[DailyCounter.name, DailyCounter.day],
            update={DailyCounter.last: DailyCounter.last + 1},
        )
        .returning(DailyCounter.last)
        .execute()
    )
    last = next(iter(taken))
    last = last[0] if isinstance(last, tuple) else last.last
    return f"GD{day:%Y%m%d}{last:06d}"


def open_order(
    *,
    source: str,
    category: ServiceCategory,
    region: Region,
    description: str,
    actor: str,
    reporter: User | None = None,
    referred_by: StaffAccount | None = None,
    shop: Shop | None = None,
    location: dict | None = None,
    photos: list[str] = (),
    priority: str = "normal",
    department: Department | None = None,
    dispatch: bool = True,
    filed_at: datetime | None = None,
) -> WorkOrder:
    """A new order, in the caller's write transaction, dispatched at once to `department`
    or else by the rules; with no rule for it, it waits for a dispatcher. `dispatch=False`
    leaves that to the caller (`send_on`), who links the order to its source first.
    `filed_at`: when a problem filed before orders existed was really raised."""
    now = clock.now()
    location = location or {}
    order = WorkOrder.create(
        number=_next_number(now),
        source=source,
        category=category,
        region=region,
        region_path=shop.region_path if shop is not None else region.path,
        lat=location.get("lat"),
        lng=location.get("lng"),
        address=location.get("address"),
        shop=shop,
        description=description,
        photos=json.dumps(list(photos)),
        reporter=reporter,
        referred_by=referred_by,
        priority=priority,
        state="received",
        created_at=now,
    )
    created = {"source": source, "category": category.code, "priority": priority}
    if filed_at is not None:
        created["filed_at"] = filed_at.isoformat()
    history.append(order, "order.created", actor, created)
    if dispatch:
        send_on(order, department)
    return order


def send_on(order: WorkOrder, department: Department | None = None) -> None:
    """Dispatch a new order to `department`, or by the rules; none: it waits."""
    by_rule = department is None
    category = ServiceCategory.get_by_id(order.category_id)
    department = department or routing.route(category, order.region_path)
    if department is not None:
        dispatch_to(order, department, "system", by_rule=by_rule)


def dispatch_to(order: WorkOrder, department: Department, actor: str, by_rule=False) -> None:
    """Send `order` to `department` with fresh deadlines: to sign, and to resolve."""
    now = clock.now()
    category = ServiceCategory.get_by_id(order.category_id)
    if order.priority == "urgent":
        sign_due = now + timedelta(hours=URGENT_SIGN_HOURS)
    elif order.source == "complaint":  # accepted or not, with a reason, in 7 working days
        sign_due = calendar().after(now, COMPLAINT_DECISION_DAYS)
    else:
        sign_due = calendar().after(now, category.sign_working_days)
    order.department = department
    order.state = "dispatched"
    order.dispatched_at = now
    order.sign_due_at = sign_due
    order.resolve_due_at = calendar().after(now, category.resolve_working_days)
    set_step_deadline(order, now, sign_due)
    save(order)
    history.append(
        order,
        "order.dispatched",
        actor,
        {"department": department.id, "department_name": department.name, "by_rule": by_rule},
    )
    messages.tell_reporter(order, "dispatched")


# A report's status as its resident reads it (received → in_hand → resolved), from the
# state of the order it became.
REPORT_STATUS = {
    "received": "received",
    "dispatched": "received",
    "returned": "received",
    "signed": "in_hand",
    "in_progress": "in_hand",
    "merged": "in_hand",
    "resolved": "resolved",
    "closed": "resolved",
}


def save(order: WorkOrder) -> None:
    """Save the order; the report it came from follows it (status and reply)."""
    order.save()
    if order.source == "report":
        Report.update(
            status=REPORT_STATUS[order.state], reply=order.result, updated_at=clock.now()
        ).where(Report.work_order == order.id).execute()


def resolved_on_time(order: WorkOrder) -> bool:
    """Resolved by its deadline (one with no deadline is never late)."""
    return order.resolve_due_at is None or order.resolved_at <= order.resolve_due_at


def set_step_deadline(order: WorkOrder, started: datetime, due: datetime | None) -> None:
    """The deadline of the step the order is now at, its warning at WARN_AT of the time,
    and its SLA mark as of now."""
    order.due_at = due
    order.warn_at = started + (due - started) * WARN_AT if due is not None else None
    now = clock.now()
    if due is None:
        return
    order.sla = "overdue" if now > due else "warning" if now >= order.warn_at else "on_time"


# -- who reaches which order --------------------------------------------------------------
def visible(staff: StaffAccount) -> pw.ModelSelect:
    """A dispatcher's region's orders; and for any staff, their department's orders and
    those they referred."""
    reach = WorkOrder.referred_by == staff.id
    if staff.department_id:
        reach |= WorkOrder.department == staff.department_id
    if staff.role == "admin":
        reach |= scope.under(WorkOrder.region_path, staff.region_path)
    return WorkOrder.select().where(reach)


def find(staff: StaffAccount, number: str, lock: bool = False) -> WorkOrder:
    query = visible(staff).where(WorkOrder.number == number)
    return scope.find(
        staff,
        lock_for_update(query) if lock else query,
        "work_order",
        number,
        WorkOrder.select(WorkOrder.region_path).where(WorkOrder.number == number),
    )


def require_department(staff: StaffAccount, order: WorkOrder) -> None:
    if order.department_id is None or order.department_id != staff.department_id:
        raise Forbidden(
            "only the department this order is dispatched to may do this",
            key="not_your_department",
        )


def require_dispatcher(staff: StaffAccount, order: WorkOrder) -> None:
    if staff.role != "admin" or not scope.covers(staff, order.region_path):
        raise Forbidden(
            "only a dispatcher of this order's region may do this", key="dispatcher_only"
        )


def mine(user: User, number: str, lock: bool = False) -> WorkOrder:
    """An order the user raised; any other is not found."""
    query = my_orders(user).where(WorkOrder.number == number)
    found = (lock_for_update(query) if lock else query).first()
    if found is None:
        raise NotFound("work order not found", key="work_order_not_found")
    return found


# -- reading -----------------------------------------------------------------------------
def in_scope(staff: StaffAccount, filters: dict) -> pw.ModelSelect:
    """Orders the staff member reaches, newest first, filtered."""
    query = visible(staff).order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())
    if filters.get("state"):
        query = query.where(WorkOrder.state == filters["state"])
    if filters.get("department"):
        query = query.where(WorkOrder.department == filters["department"])
    if filters.get("category"):
        query = query.where(
            WorkOrder.category.in_(
                ServiceCategory.select(ServiceCategory.id).where(
                    ServiceCategory.code == filters["category"]
                )
            )
        )
    if filters.get("sla"):
        query = query.where(WorkOrder.sla == filters["sla"])
    if filters.get("region"):
        region = scope.region(staff, filters["region"], "region")
        query = query.where(scope.under(WorkOrder.region_path, region.path))
    return query


def detail(staff: StaffAccount, number: str) -> WorkOrder:
    return with_history(find(staff, number))


def with_history(order: WorkOrder) -> WorkOrder:
    """The order with its history for staff: what a step answers, even one (a return, a
    transfer) after which its taker no longer reaches the order."""
    order.history = timeline.for_staff(order)
    return order


def my_orders(user: User) -> pw.ModelSelect:
    return (
        WorkOrder.select()
        .where(WorkOrder.reporter == user)
        .order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())
    )


def my_detail(user: User, number: str) -> WorkOrder:
    order = mine(user, number)
    order.timeline = timeline.for_reporter(order)
    return order


def upload_photo(staff: StaffAccount, stream) -> Upload:
    """A photo for an order (what was found, what was done); it belongs to no shop."""
    return uploads.store_personal(staff.user, stream)


def own_photos(user_id: int, photos: list[str]) -> list[str]:
    """`photos`, when every one is an upload of `user_id` that belongs to no shop."""
    return [upload.public_id for upload in uploads.personal(user_id, photos, "photos")]


def refer(staff: StaffAccount, data: dict) -> WorkOrder:
    """A finding outside the staff member's remit, sent on as an order (转交): about a
    shop in their scope, or a place in their region."""
    with write_transaction():
        if data["category"] in PROCEDURE_CATEGORIES:  # its own procedure opens one
            raise Invalid.field("category", "no such category", key="unknown_category")
        category = routing.category(data["category"])
        shop = scope.shop(staff, data["shop"]) if data.get("shop") else None
        if shop is not None:
            region = Region.get(Region.path == shop.region_path)
            location = {"lat": shop.lat, "lng": shop.lng, "address": shop.address}
        else:
            if not data.get("region"):
                raise Invalid.field("region", "name a region or a shop", key="region_required")
            region = scope.region(staff, data["region"])
            location = data.get("location")
        return open_order(
            source="referral",
            category=category,
            region=region,
            description=data["description"],
            actor=lifecycle.actor_for_staff(staff),
            referred_by=staff,
            shop=shop,
            location=location,
            photos=own_photos(staff.user_id, data.get("photos") or []),
            priority=data.get("priority", "normal"),
        )


def verify_in_scope(staff: StaffAccount, number: str):
    """Walk the order's history chain: ok, or the first link that does not hold."""
    return history.verify(find(staff, number))
