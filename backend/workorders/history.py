"""A work order's history: a hash chain (backend/chain.py, owner key "order", hashed with
the order's number), verifiable like a shop's lifecycle record."""

from __future__ import annotations

from backend import progress
from backend.chain import Chain, Verdict
from backend.models import WorkOrder, WorkOrderEvent

EVENT_TYPES = (
    "order.created",
    "order.dispatched",
    "order.signed",
    "order.self_handled",
    "order.returned",
    "order.declined",
    "order.started",
    "order.resolved",
    "order.rated",
    "order.closed",
    "order.transferred",
    "order.extension_asked",
    "order.extension_granted",
    "order.extension_refused",
    "order.reopened",
    "order.merged",
    "order.duplicate_merged",
    "order.supervised",
)

CHAIN = Chain("work order", WorkOrder, WorkOrderEvent, "order", "number", EVENT_TYPES)


def append(order: WorkOrder, type_: str, actor: str, payload: dict | None = None):
    return CHAIN.append(order, type_, actor, payload)


def verify(order: WorkOrder) -> Verdict:
    return CHAIN.verify(order)


def events(order: WorkOrder) -> list[WorkOrderEvent]:
    return list(
        WorkOrderEvent.select().where(WorkOrderEvent.order == order).order_by(WorkOrderEvent.seq)
    )


def verify_all(shown=progress.quietly) -> list[tuple[WorkOrder, Verdict]]:
    orders = WorkOrder.select().order_by(WorkOrder.id)
    return [(order, verify(order)) for order in shown(orders, "work order chains")]
