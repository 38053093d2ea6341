"""Shops due a routine inspection by their risk grade, separate from random plans: China's
2016 food-safety risk-grading rule (食品生产经营风险分级管理办法) has an A shop inspected
at least once a year, B once or twice, C two or three times, D three or four. A shop is
due once the least of its grade's visits has had its interval since its last counted
inspection, or at once if it never had one."""

from __future__ import annotations

from datetime import timedelta

import peewee as pw

from backend import clock, scope
from backend.models import Region, Shop, StaffAccount

# Days between the visits of the least frequency each risk grade allows.
INTERVAL_DAYS = {"A": 365, "B": 365, "C": 182, "D": 121}
LIVE = ("active", "suspended")


def due(staff: StaffAccount, street: str | None = None) -> pw.ModelSelect:
    """Live shops in `staff`'s scope due an inspection, never inspected first, then the
    longest since their last."""
    now = clock.now()
    overdue = Shop.last_inspection_at.is_null()
    for grade, days in INTERVAL_DAYS.items():
        overdue |= (Shop.risk_grade == grade) & (
            Shop.last_inspection_at < now - timedelta(days=days)
        )
    query = (
        Shop.select(Shop, Region.name.alias("street_name"))
        .join(Region, on=(Shop.street == Region.id))
        .where(scope.under(Shop.region_path, staff.region_path) & Shop.status.in_(LIVE) & overdue)
        .order_by(Shop.last_inspection_at.asc(nulls="FIRST"), Shop.id)
    )
    if street:
        query = query.where(Region.code == street)
    return query


def due_on(shop: Shop):
    """The day the shop fell due (Shanghai); None: never inspected, due since it opened."""
    if shop.last_inspection_at is None:
        return None
    return clock.local_date(shop.last_inspection_at) + timedelta(
        days=INTERVAL_DAYS.get(shop.risk_grade, 365)
    )
