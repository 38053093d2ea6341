"""The SLA sweep: orders past 80 % of a step's time are marked warning, past its deadline
overdue (督办 lists them). Two set-based updates, whatever the number of orders."""

from __future__ import annotations

from datetime import datetime

from backend import clock
from backend.db import write_transaction
from backend.models import WorkOrder
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
