"""The daily re-check of every live shop's credit code against the business registry.

Shops are asked about in id order, those not yet asked today first, at most
REGISTRY_LOOKUPS_PER_SECOND: a run that is killed or finds the registry down leaves the
rest for the next, which goes on where it stopped (the day each shop was last asked is
on its row). A shop whose business the registry now lists as 注销, 吊销 or 撤销 gets a
lifecycle event, says so on its public page, keeps the grade it had (grading skips it),
and a work order waits for its street's dispatcher to close it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from flask import current_app

from backend import clock, lifecycle
from backend.db import lock_for_update, write_transaction
from backend.models import Region, ServiceCategory, Shop
from backend.registry import ENDED, STATUSES, Registration, RegistryNotFound, RegistryUnavailable
from backend.workorders import orders

LIVE = ("active", "suspended")


@dataclass
class WatchReport:
    asked: int = 0
    ended: list = field(default_factory=list)
    stopped_early: bool = False


def recheck(limit: int | None = None) -> WatchReport:
    report = WatchReport()
    settings = current_app.config["CITYCODE"]
    client = current_app.extensions["citycode.registry"]
    if not client.configured:
        return report
    gap = 1 / settings.registry_lookups_per_second
    today = clock.today_local()
    due = (
        Shop.select(Shop.id, Shop.credit_code)
        .where(
            Shop.status.in_(LIVE)
            & (Shop.registry_checked_on.is_null() | (Shop.registry_checked_on < today))
        )
        .order_by(Shop.id)
    )
    for shop_id, credit_code in (due.limit(limit) if limit else due).tuples().iterator():
        started = time.monotonic()
        try:
            found = client.lookup(credit_code)
        except RegistryNotFound:
            found = None
        except RegistryUnavailable:
            report.stopped_early = True
            break
        if _note(shop_id, found, today):
            report.ended.append(shop_id)
        report.asked += 1
        time.sleep(max(0.0, gap - (time.monotonic() - started)))
    return report


def _note(shop_id: int, found: Registration | None, today) -> bool:
    """Keep what the registry said; True when it says the business has just ended."""
    with write_transaction():
        shop = lock_for_update(Shop.select().where(Shop.id == shop_id)).get()
        before = shop.registry_status
        shop.registry_checked_on = today
        if found is None:
            shop.save()
            return False
        shop.registry_status = found.status
        shop.save()
        if found.status not in ENDED or before in ENDED:
            return False
        lifecycle.append(shop, "registry.ended", lifecycle.SYSTEM, found.snapshot())
        _ask_to_close(shop, found)
        return True


def _ask_to_close(shop: Shop, found: Registration) -> None:
    """A work order for the street's dispatcher: the shop is still open on our books."""
    orders.open_order(
        source="registry",
        category=ServiceCategory.get(ServiceCategory.code == "licence"),
        region=Region.get(Region.path == shop.region_path),
        description=f"工商登记显示{shop.name}（{shop.credit_code}）已{STATUSES[found.status]}，"
        "请核实后关闭该商户",
        actor=lifecycle.SYSTEM,
        shop=shop,
        location={"lat": shop.lat, "lng": shop.lng, "address": shop.address},
        dispatch=False,
    )
