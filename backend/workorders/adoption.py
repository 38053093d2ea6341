"""Reports and complaints filed before work orders existed become work orders, once, when
the operator runs `citycode adopt-open-reports` after upgrading: an open report or an
undecided complaint must not wait forever in a queue nobody works any more. Deadlines
count from the adoption, when the department first hears of it; the first step of the
order's history keeps when it was really filed."""

from __future__ import annotations

from collections.abc import Callable

from backend import lifecycle
from backend.db import lock_for_update, write_transaction
from backend.models import Complaint, Region, Report, ServiceCategory, Shop, StaffAccount
from backend.workorders import orders, routing, self_handling


def adopt_open(shown: Callable = lambda items, **_: items) -> dict[str, int]:
    """Adopt every open report and undecided complaint that has no order; each in its own
    transaction, so a run stopped half-way is taken up where it stopped."""
    reports = Report.select(Report.id).where(
        Report.work_order.is_null() & (Report.status != "resolved")
    )
    complaints = Complaint.select(Complaint.id).where(
        Complaint.work_order.is_null() & (Complaint.status == "received")
    )
    adopted = {"reports": 0, "complaints": 0}
    for report_id in shown([r.id for r in reports], label="reports"):
        adopted["reports"] += _adopt_report(report_id)
    for complaint_id in shown([c.id for c in complaints], label="complaints"):
        adopted["complaints"] += _adopt_complaint(complaint_id)
    return adopted


def _adopt_report(report_id: int) -> int:
    with write_transaction():
        report = lock_for_update(Report.select().where(Report.id == report_id)).get()
        if report.work_order_id is not None or report.status == "resolved":
            return 0  # adopted, or resolved, since the list was read
        report.work_order = orders.open_order(
            source="report",
            category=_category(report.category),
            region=Region.get_by_id(report.community_id),
            description=report.text,
            actor=lifecycle.SYSTEM,
            reporter=report.user,
            location={"lat": report.lat, "lng": report.lng},
            photos=[report.photo.public_id] if report.photo_id else [],
            dispatch=False,
            filed_at=report.created_at,
        )
        report.save()
        cadre = StaffAccount.get_or_none(StaffAccount.id == report.handled_by_id)
        if report.status == "in_hand" and cadre is not None:
            # Already in a cadre's hands: the community goes on handling it itself.
            self_handling.handle(cadre, report.work_order_id, "in_hand", None, tell=False)
        else:
            orders.send_on(report.work_order)
        return 1


def _adopt_complaint(complaint_id: int) -> int:
    with write_transaction():
        complaint = lock_for_update(Complaint.select().where(Complaint.id == complaint_id)).get()
        if complaint.work_order_id is not None or complaint.status != "received":
            return 0
        shop = Shop.get_by_id(complaint.shop_id)
        complaint.work_order = orders.open_order(
            source="complaint",
            category=_category(complaint.category),
            region=Region.get(Region.path == shop.region_path),
            description=complaint.text,
            actor=lifecycle.SYSTEM,
            reporter=complaint.user,
            shop=shop,
            location={"lat": shop.lat, "lng": shop.lng, "address": shop.address},
            department=routing.regulator_for(shop.region_path),
            filed_at=complaint.created_at,
        )
        complaint.save()
        return 1


def _category(code: str) -> ServiceCategory:
    """Old rows may carry a category since retired: they go to 其他."""
    found = ServiceCategory.get_or_none(ServiceCategory.code == code)
    return found or ServiceCategory.get(ServiceCategory.code == "other")
