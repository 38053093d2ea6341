"""How departments and regions handle their orders, over the orders received in a period:
the figures a 12345 centre reports (签收及时率, 办结及时率, 满意率 …), as JSON or CSV."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from backend import clock, scope, spreadsheet, workdays
from backend.models import Department, Region, StaffAccount, WorkOrder
from backend.workorders import orders

SATISFIED = ("satisfied", "basically_satisfied")
COLUMNS = (
    ("received", "受理量"),
    ("signed_on_time_pct", "签收及时率%"),
    ("resolved_on_time_pct", "办结及时率%"),
    ("overdue_now", "当前超期"),
    ("returned_pct", "退单率%"),
    ("reopened_pct", "重办率%"),
    ("satisfaction_pct", "满意率%"),
    ("median_working_days", "办结用时中位数(工作日)"),
)


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _figures(rows: list[WorkOrder]) -> dict:
    calendar = workdays.calendar()
    signed = [r for r in rows if r.signed_at is not None and r.sign_due_at is not None]
    resolved = [r for r in rows if r.resolved_at is not None and r.dispatched_at is not None]
    rated = [r for r in rows if r.rating is not None]
    days = [calendar.between(r.dispatched_at, r.resolved_at) for r in resolved]
    return {
        "received": len(rows),
        "signed_on_time_pct": _pct(sum(r.signed_at <= r.sign_due_at for r in signed), len(signed)),
        "resolved_on_time_pct": _pct(
            sum(orders.resolved_on_time(r) for r in resolved),
            len(resolved),
        ),
        "overdue_now": sum(r.sla == "overdue" and r.state in orders.TIMED_STATES for r in rows),
        "returned_pct": _pct(sum(r.returned > 0 for r in rows), len(rows)),
        "reopened_pct": _pct(sum(r.reopened > 0 for r in rows), len(rows)),
        "satisfaction_pct": _pct(sum(r.rating in SATISFIED for r in rated), len(rated)),
        "median_working_days": statistics.median(days) if days else None,
    }


def stats(staff: StaffAccount, since: date, until: date) -> dict:
    """Figures by department and by street, over the orders the staff member reaches that
    were received from `since` to `until` (Shanghai days, both included)."""
    start = datetime.combine(since, time(), clock.SHANGHAI)
    end = datetime.combine(until + timedelta(days=1), time(), clock.SHANGHAI)
    rows = list(
        orders.visible(staff).where((WorkOrder.created_at >= start) & (WorkOrder.created_at < end))
    )
    by_department, by_street = defaultdict(list), defaultdict(list)
    for row in rows:
        by_department[row.department_id].append(row)
        by_street[scope.street_path(row.region_path)].append(row)
    departments = {
        d.id: d.name for d in Department.select().where(Department.id.in_(list(by_department)))
    }
    regions = {r.path: r for r in Region.select().where(Region.path.in_(list(by_street)))}
    return {
        "since": since,
        "until": until,
        "total": _figures(rows),
        "by_department": [
            {"department_id": key, "department": departments.get(key, "待派发"), **_figures(group)}
            for key, group in sorted(by_department.items(), key=lambda kv: kv[0] or 0)
        ],
        "by_region": [
            {"region": regions[path].code, "region_name": regions[path].name, **_figures(group)}
            for path, group in sorted(by_street.items())
            if path in regions
        ],
    }


def stats_csv(staff: StaffAccount, since: date, until: date) -> bytes:
    figures = stats(staff, since, until)
    header = ["分组", "名称", *[label for _, label in COLUMNS]]
    rows = [["全部", "", *[figures["total"][key] for key, _ in COLUMNS]]]
    rows += [
        ["部门", d["department"], *[d[key] for key, _ in COLUMNS]] for d in figures["by_department"]
    ]
    rows += [
        ["街道", r["region_name"], *[r[key] for key, _ in COLUMNS]] for r in figures["by_region"]
    ]
    return spreadsheet.csv_document(header, rows)
