"""The SLA sweep: orders past 80 % of a step's time are marked warning, past its deadline
overdue (督办 lists them). Two set-based updates, whatever the number of orders."""

from __future__ import annotations

from datetime import datetime

import peewee as pw

from backend import clock
from backend.db import write_transaction
from backend.models import Department, WorkOrder
from backend.models.workorders import OPEN_STATES
from backend.workorders.orders import TIMED_STATES


def sweep(now: datetime | None = None) -> tuple[int, int]:
    """(marked warning, marked overdue) now."""
    now = now or clock.now()
    timed = WorkOrder.state.in_(TIMED_STATES)
    with write_transaction():
        overdue = (
            WorkOrder.update(sla="overdue")
            .where(timed & (WorkOrder.due_at < now) & (WorkOrder.sla != "overdue"))
            .execute()
        )
        warning = (
            WorkOrder.update(sla="warning")
            .where(timed & (WorkOrder.warn_at <= now) & (WorkOrder.sla == "on_time"))
            .execute()
        )
    return warning, overdue


def open_by_department() -> dict[tuple[str, str], tuple[int, int]]:
    """Open orders and the overdue among them, by department (its id, and its name for
    people: two streets may each have a 城管中队); ("", "unassigned") for those not
    dispatched yet. The district's SLA at a glance."""
    overdue = pw.fn.SUM(pw.Case(None, [(WorkOrder.sla == "overdue", 1)], 0))
    rows = (
        WorkOrder.select(
            Department.id,
            Department.name,
            pw.fn.COUNT(WorkOrder.id).alias("open"),
            overdue.alias("overdue"),
        )
        .join(Department, pw.JOIN.LEFT_OUTER)
        .where(WorkOrder.state.in_(OPEN_STATES))
        .group_by(Department.id, Department.name)
        .tuples()
    )
    return {
        (str(department_id or ""), name or "unassigned"): (open_count, int(overdue_count or 0))
        for department_id, name, open_count, overdue_count in rows
    }
