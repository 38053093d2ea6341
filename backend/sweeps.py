"""Scheduled sweeps: licences expiring or expired, health certificates expired.

Each finding is appended to the shop's lifecycle once per validity period (the
date it was noted for is kept on the row), and the message to the shop's owners is
written to the outbox in the same transaction. Each run ends by publishing the risk grade
of every shop whose facts time alone has changed, and the 年度等级 of every shop one of
whose inspections has left its twelve months. The worker runs it daily
(backend/engine.py); `citycode sweep-licences` runs it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app

from backend import clock, lifecycle, notify, progress
from backend.db import lock_for_update, write_transaction
from backend.inspections import grading, risk
from backend.models import Complaint, Employee, Licence, Shop
from backend.shops.facts import EXPIRING_WITHIN, LICENCE_TYPES, STATUS_LABELS

LIVE_SHOPS = ("active", "suspended")
HEALTH_CERTIFICATE = "从业人员健康证"
REGRADE_LOOKBACK = timedelta(days=30)


@dataclass
class SweepReport:
    expiring: list = field(default_factory=list)
    expired: list = field(default_factory=list)
    certificates: list = field(default_factory=list)
    messages: int = 0
    regraded: list = field(default_factory=list)
    # Shops whose 年度等级 changed as an inspection left its twelve months.
    annual_regraded: list = field(default_factory=list)


def _due_licences(today: date):
    live = Licence.select(Licence.id).join(Shop).where(Shop.status.in_(LIVE_SHOPS))
    expired = live.where(
        (Licence.valid_to < today)
        & ((Licence.expired_noted_for.is_null()) | (Licence.expired_noted_for != Licence.valid_to))
    )
    # A licence filed ahead of its start is not in force, so not "expiring" either: it is
    # noted once it starts, as the views show it (facts.validity).
    expiring = live.where(
        (Licence.valid_from <= today)
        & (Licence.valid_to >= today)
        & (Licence.valid_to <= today + EXPIRING_WITHIN)
        & (
            (Licence.expiring_noted_for.is_null())
            | (Licence.expiring_noted_for != Licence.valid_to)
        )
    )
    return [r.id for r in expired], [r.id for r in expiring]


def _note_licence(licence_id: int, kind: str, today: date) -> tuple[Licence | None, int]:
    """Append licence.<kind> once and tell the owners (the licence, and how many were told);
    None if another sweep got there first."""
    with write_transaction():
        licence = lifecycle.locked_with_its_shop(Licence, licence_id)
        if licence is None:
            return None, 0
        column = "expired_noted_for" if kind == "expired" else "expiring_noted_for"
        if getattr(licence, column) == licence.valid_to:
            return None, 0
        lifecycle.append(
            licence.shop,
            f"licence.{kind}",
            lifecycle.SYSTEM,
            {
                "licence": licence.public_id,
                "type": licence.type,
                "valid_to": licence.valid_to,
                "as_of": today,
            },
        )
        setattr(licence, column, licence.valid_to)
        licence.save()
        risk.refresh(licence.shop)
        told = _tell_owners(
            licence.shop,
            f"licence.{kind}",
            LICENCE_TYPES.get(licence.type, licence.type),
            licence.valid_to,
            STATUS_LABELS[kind],
            f"pages/shop/licences?shop={licence.shop.public_id}",
        )
        return licence, told


def _tell_owners(shop: Shop, subject: str, what: str, on: date, label: str, page: str) -> int:
    """The licence notice: the shop, what expires, when, and its state (an employee's
    certificate uses it too, without naming the employee)."""
    data = {"thing1": shop.name[:20], "thing2": what, "date3": on.isoformat(), "phrase4": label}
    template = current_app.config["CITYCODE"].wechat_template_licence
    return len(notify.notify_owners(shop, template, subject, data, page=page))


def sweep_licences(today: date | None = None, shown=progress.quietly) -> SweepReport:
    today = today or clock.today_local()
    report = SweepReport()
    expired_ids, expiring_ids = _due_licences(today)
    for kind, ids, found in (
        ("expired", expired_ids, report.expired),
        ("expiring", expiring_ids, report.expiring),
    ):
        for licence_id in shown(ids, f"licences {kind}"):
            licence, told = _note_licence(licence_id, kind, today)
            if licence is not None:
                found.append(licence.public_id)
                report.messages += told
    for employee, told in _sweep_certificates(today):
        report.certificates.append(employee.public_id)
        report.messages += told
    report.regraded = _regrade()
    report.annual_regraded = grading.age_out()
    return report


def _regrade() -> list[str]:
    """Publish the grade today's facts give, where it differs from the one on the shop.

    Complaints older than 90 days and inspections older than a year stop counting with
    no write to the shop that would refresh its grade; only this sweep notices. Only
    shops with such a fact that passed its window lately are looked at: working out
    every shop's grade costs several queries each, minutes a day for a whole district.
    """
    regraded = []
    for row in list(_aged_out_lately(clock.now())):
        if risk.grade(risk.facts_for(row)).letter == row.risk_grade:
            continue
        with write_transaction():
            shop = lock_for_update(Shop.select().where(Shop.id == row.id)).get()
            before = shop.risk_grade
            if risk.refresh(shop).letter != before:
                regraded.append(shop.public_id)
    return regraded


def _aged_out_lately(now):
    """Live shops where a complaint or the last inspection left the grade's window within
    REGRADE_LOOKBACK; the look-back covers daily runs that were missed."""
    complaints_until = now - risk.RECENT_COMPLAINTS
    inspections_until = now - risk.RECENT_INSPECTION
    aged_complaints = Complaint.select(Complaint.shop).where(
        (Complaint.created_at >= complaints_until - REGRADE_LOOKBACK)
        & (Complaint.created_at < complaints_until)
    )
    return (
        Shop.select()
        .where(
            Shop.status.in_(LIVE_SHOPS)
            & (
                Shop.id.in_(aged_complaints)
                | (
                    (Shop.last_inspection_at >= inspections_until - REGRADE_LOOKBACK)
                    & (Shop.last_inspection_at < inspections_until)
                )
            )
        )
        .order_by(Shop.id)
    )


def _sweep_certificates(today: date) -> list[tuple[Employee, int]]:
    """Expired health certificates, each noted once per expiry date, and how many owners
    were told of each."""
    due = (
        Employee.select(Employee.id)
        .join(Shop)
        .where(
            Shop.status.in_(LIVE_SHOPS)
            & (Employee.health_cert_expires < today)
            & (
                (Employee.expired_noted_for.is_null())
                | (Employee.expired_noted_for != Employee.health_cert_expires)
            )
        )
    )
    noted = []
    for row in list(due):
        with write_transaction():
            employee = lifecycle.locked_with_its_shop(Employee, row.id)
            if employee is None or employee.expired_noted_for == employee.health_cert_expires:
                continue
            lifecycle.append(
                employee.shop,
                "employee.certificate_expired",
                lifecycle.SYSTEM,
                {
                    "employee": employee.public_id,
                    "expired_on": employee.health_cert_expires,
                },
            )
            employee.expired_noted_for = employee.health_cert_expires
            employee.save()
            risk.refresh(employee.shop)
            told = _tell_owners(
                employee.shop,
                "employee.certificate_expired",
                HEALTH_CERTIFICATE,
                employee.health_cert_expires,
                STATUS_LABELS["expired"],
                f"pages/shop/employees?shop={employee.shop.public_id}",
            )
            noted.append((employee, told))
    return noted
