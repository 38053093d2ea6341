"""The dashboard: the counts an admin watches over their region subtree."""

from __future__ import annotations

from datetime import UTC, datetime, time

import peewee as pw

from backend import clock, scope
from backend.clock import SHANGHAI
from backend.models import (
    Inspection,
    InspectionCorrection,
    Licence,
    RectificationOrder,
    Shop,
    StaffAccount,
)
from backend.models.inspections import OPEN_ORDER_STATUSES, PASSES
from backend.shops.facts import EXPIRING_WITHIN
from backend.sweeps import LIVE_SHOPS


def _month_start() -> datetime:
    local = clock.now().astimezone(SHANGHAI)
    start = datetime.combine(local.date().replace(day=1), time(0), tzinfo=SHANGHAI)
    return start.astimezone(UTC)


def stats(staff: StaffAccount) -> dict:
    """The dashboard for the caller's subtree: every count goes through the same scope."""
    shops = scope.shops(staff)
    in_scope = scope.under(Shop.region_path, staff.region_path)
    today = clock.today_local()

    def grouped(column):
        rows = Shop.select(column, pw.fn.COUNT(Shop.id)).where(in_scope).group_by(column).tuples()
        return {key: count for key, count in rows}

    # Counted as the sweeps count them: shops that trade, not one still waiting for
    # approval, nor one closed.
    live = in_scope & Shop.status.in_(LIVE_SHOPS)
    live_licences = Licence.select().join(Shop).where(live)
    month = (
        Inspection.select().join(Shop).where(in_scope & (Inspection.recorded_at >= _month_start()))
    )
    inspected = month.count()
    passed = month.where(_result_as_corrected().in_(PASSES)).count()
    # A closed shop's unanswered order is over with the shop, like its licences.
    orders = (
        RectificationOrder.select()
        .join(Shop)
        .where(live & RectificationOrder.status.in_(OPEN_ORDER_STATUSES))
    )
    return {
        "region": staff.region.name,
        "shops": shops.count(),
        "shops_by_status": grouped(Shop.status),
        "shops_by_risk_grade": grouped(Shop.risk_grade),
        # Not one filed ahead of its start: the sweep and the views call it not yet valid.
        "licences_expiring_30_days": live_licences.where(
            (Licence.valid_from <= today)
            & (Licence.valid_to >= today)
            & (Licence.valid_to <= today + EXPIRING_WITHIN)
        ).count(),
        "licences_expired": live_licences.where(Licence.valid_to < today).count(),
        "inspections_this_month": inspected,
        "pass_rate_this_month": round(passed / inspected, 3) if inspected else None,
        "rectifications_open": orders.count(),
        "rectifications_overdue": orders.where(RectificationOrder.overdue == True).count(),  # noqa
    }


def _result_as_corrected() -> pw.Node:
    """An inspection's result as its latest correction gives it, else as recorded."""
    latest = (
        InspectionCorrection.select(InspectionCorrection.corrected_result)
        .where(
            (InspectionCorrection.inspection == Inspection.id)
            & InspectionCorrection.corrected_result.is_null(False)
        )
        .order_by(InspectionCorrection.id.desc())
        .limit(1)
    )
    return pw.fn.COALESCE(latest, Inspection.result)
