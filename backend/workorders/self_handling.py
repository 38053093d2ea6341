"""自行处置: a community's cadre takes a resident's report in hand and resolves it
themselves, as cadres always have through the report API (backend/community/reports.py),
rather than leave it to a department. The order records it as the community's own
handling; a report a department has already signed is that department's to resolve."""

from __future__ import annotations

from backend import clock, lifecycle, workdays
from backend.db import lock_for_update
from backend.errors import Conflict
from backend.models import ServiceCategory, StaffAccount, WorkOrder
from backend.workorders import history, messages, orders


def handle(
    staff: StaffAccount, order_id: int, status: str, reply: str | None, tell: bool = True
) -> WorkOrder:
    """Inside the caller's write transaction, which has checked the report's scope and
    that `status` moves it forward. `tell=False`: the reporter already knows it is in hand."""
    order = lock_for_update(WorkOrder.select().where(WorkOrder.id == order_id)).get()
    if order.state in ("signed", "in_progress") and not order.self_handled:
        raise Conflict(
            "a department is handling this report; it will resolve it",
            key="department_handling",
        )
    actor = lifecycle.actor_for_staff(staff)
    now = clock.now()
    if not order.self_handled:
        category = ServiceCategory.get_by_id(order.category_id)
        due = order.resolve_due_at or workdays.calendar().after(now, category.resolve_working_days)
        order.self_handled, order.state, order.signed_at = True, "in_progress", now
        order.department, order.resolve_due_at = staff.department_id, due
        orders.set_step_deadline(order, order.dispatched_at or now, due)
        orders.save(order)
        history.append(order, "order.self_handled", actor, {"community": order.region_id})
        if status == "in_hand" and tell:
            messages.tell_reporter(order, "self_handled")
    if status == "resolved":
        order.state, order.result, order.resolved_at = "resolved", reply, now
        orders.set_step_deadline(order, now, None)
        orders.save(order)
        history.append(
            order,
            "order.resolved",
            actor,
            {
                "result": reply,
                "photos": [],
                "on_time": orders.resolved_on_time(order),
                "self_handled": True,
            },
        )
        messages.tell_reporter(order, "resolved")
    return order
