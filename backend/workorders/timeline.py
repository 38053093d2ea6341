"""An order's history told in Chinese: what the person who raised it reads (departments
named, staff not), and what staff read (staff names masked)."""

from __future__ import annotations

import json

from backend import masking
from backend.models import Department, StaffAccount, WorkOrder, WorkOrderEvent
from backend.workorders import history

LABELS = {
    "order.created": "已受理",
    "order.dispatched": "已派发",
    "order.signed": "承办部门已签收",
    "order.self_handled": "社区自行处置",
    "order.returned": "承办部门退回，重新派发中",
    "order.declined": "不予受理",
    "order.started": "处理中",
    "order.resolved": "已办结",
    "order.rated": "已评价",
    "order.closed": "已关闭",
    "order.transferred": "已转办",
    "order.extension_asked": "承办部门申请延期",
    "order.extension_granted": "延期已批准",
    "order.extension_refused": "延期未批准",
    "order.reopened": "重新办理",
    "order.merged": "已并入相同问题的工单",
    "order.duplicate_merged": "合并了相同问题的工单",
    "order.supervised": "已督办",
}
# What a reporter reads of each step, beside its label: never a reason a department
# gave another, nor a supervision note.
SHOWN_TO_REPORTER = {
    "order.resolved": "result",
    "order.merged": "into",
    "order.declined": "reason",
}


# The steps a department takes, named with the department that holds the order then.
DEPARTMENT_STEPS = {
    "order.dispatched",
    "order.signed",
    "order.returned",
    "order.declined",
    "order.started",
    "order.resolved",
    "order.extension_asked",
}


def for_reporter(order: WorkOrder) -> list[dict]:
    events = history.events(order)
    departments = _departments(events)
    holding = None
    steps = []
    for event in events:
        payload = _payload(event)
        if event.type == "order.dispatched":
            holding = departments.get(payload.get("department"))
        steps.append(
            {
                "at": event.occurred_at,
                "step": event.type.removeprefix("order."),
                "label": LABELS[event.type],
                "department": holding if event.type in DEPARTMENT_STEPS else None,
                "detail": payload.get(SHOWN_TO_REPORTER.get(event.type, "")),
            }
        )
    return steps


def for_staff(order: WorkOrder) -> list[dict]:
    events = history.events(order)
    staff_names = _staff_names(events)
    return [
        {
            "seq": event.seq,
            "at": event.occurred_at,
            "step": event.type.removeprefix("order."),
            "label": LABELS[event.type],
            "by": staff_names.get(event.actor, "系统" if event.actor == "system" else "报告人"),
            "detail": _payload(event),
        }
        for event in events
    ]


def _payload(event: WorkOrderEvent) -> dict:
    return json.loads(event.payload)


def _departments(events) -> dict[int, str]:
    ids = {_payload(e).get("department") for e in events} - {None}
    return {d.id: d.name for d in Department.select().where(Department.id.in_(ids))}


def _staff_names(events) -> dict[str, str]:
    ids = {int(e.actor.split(":")[1]) for e in events if e.actor.startswith("staff:")}
    return {
        f"staff:{s.id}": masking.name(s.name)
        for s in StaffAccount.select(StaffAccount.id, StaffAccount.name).where(
            StaffAccount.id.in_(ids)
        )
    }
