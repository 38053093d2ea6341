"""The risk grade (A best → D worst): one documented rule, kept on the shop row.

Like the UK food hygiene rating or Shanghai's dynamic food-safety grade, the
public sees the letter and the regulator sees why. Points add up from:

| fact                                             | points          |
|--------------------------------------------------|-----------------|
| last inspection within 12 months: fail           | 5               |
|   … rectify                                      | 3               |
|   … pass with remarks                            | 1               |
| never inspected                                  | 2               |
| each expired licence                             | 2               |
| each expired staff health certificate            | 1               |
| each open rectification order                    | 1               |
| each overdue rectification order                 | 3               |
| residents whose complaint was substantiated,     | 1 each, up to 3 |
|   made in the last 90 days                       |                 |

0–1 points → A, 2–3 → B, 4–6 → C, 7 or more → D.
Call `refresh(shop)` in the same transaction as any write that changes a fact.
A licence not yet in force adds nothing: a shop that files its renewal before the old
licence runs out must not lose a grade for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from peewee import fn

from backend import clock
from backend.models import (
    Complaint,
    Employee,
    Inspection,
    Licence,
    RectificationOrder,
    Shop,
)
from backend.models.inspections import OPEN_ORDER_STATUSES, counted

RESULT_POINTS = {"fail": 5, "rectify": 3, "pass_with_remarks": 1, "pass": 0}
RECENT_INSPECTION = timedelta(days=365)
RECENT_COMPLAINTS = timedelta(days=90)
THRESHOLDS = ((7, "D"), (4, "C"), (2, "B"), (0, "A"))


@dataclass
class Facts:
    last_result: str | None = None
    inspected_recently: bool = False
    expired_licences: int = 0
    expired_certificates: int = 0
    open_rectifications: int = 0
    overdue_rectifications: int = 0
    recent_complaints: int = 0


@dataclass
class Grade:
    letter: str
    points: int
    reasons: list = field(default_factory=list)


def grade(facts: Facts) -> Grade:
    """The letter for a set of facts, with a reason for every point."""
    reasons = []
    if facts.last_result is None:
        reasons.append(("never inspected", 2))
    elif facts.inspected_recently and RESULT_POINTS[facts.last_result]:
        reasons.append((f"last inspection: {facts.last_result}", RESULT_POINTS[facts.last_result]))
    if facts.expired_licences:
        reasons.append((f"{facts.expired_licences} expired licence(s)", 2 * facts.expired_licences))
    if facts.expired_certificates:
        reasons.append(
            (
                f"{facts.expired_certificates} expired health certificate(s)",
                facts.expired_certificates,
            )
        )
    if facts.open_rectifications:
        reasons.append(
            (f"{facts.open_rectifications} open rectification order(s)", facts.open_rectifications)
        )
    if facts.overdue_rectifications:
        reasons.append(
            (
                f"{facts.overdue_rectifications} overdue rectification order(s)",
                3 * facts.overdue_rectifications,
            )
        )
    if facts.recent_complaints:
        reasons.append(
            (
                f"substantiated complaints from {facts.recent_complaints} resident(s) in 90 days",
                min(facts.recent_complaints, 3),
            )
        )
    points = sum(p for _, p in reasons)
    letter = next(letter for floor, letter in THRESHOLDS if points >= floor)
    return Grade(letter, points, [{"reason": r, "points": p} for r, p in reasons])


def facts_for(shop: Shop) -> Facts:
    """Today's facts about `shop`; its result is the published one (corrections included),
    from the inspections that count (recorded on site, or confirmed)."""
    today = clock.today_local()
    now = clock.now()
    # Only what counts: an inspection waiting for confirmation has not happened for the grade.
    last_at = (
        Inspection.select(fn.MAX(Inspection.recorded_at))
        .where((Inspection.shop == shop.id) & counted())
        .scalar()
    )
    orders = RectificationOrder.select().where(
        (RectificationOrder.shop == shop.id) & RectificationOrder.status.in_(OPEN_ORDER_STATUSES)
    )
    return Facts(
        last_result=shop.last_inspection_result,
        inspected_recently=last_at is not None and now - last_at <= RECENT_INSPECTION,
        expired_licences=Licence.select()
        .where((Licence.shop == shop.id) & (Licence.valid_to < today))
        .count(),
        expired_certificates=Employee.select()
        .where((Employee.shop == shop.id) & (Employee.health_cert_expires < today))
        .count(),
        open_rectifications=orders.count(),
        overdue_rectifications=orders.where(RectificationOrder.overdue == True).count(),  # noqa: E712  SQL, not Python
        recent_complaints=recent_complaints(shop, now - RECENT_COMPLAINTS),
    )


def recent_complaints(shop: Shop, since) -> int:
    """Residents whose complaint made since `since` the regulator substantiated: one
    resident's ten weigh as one, and one not substantiated weighs nothing. A complaint
    whose author has since deleted their account counts on its own."""
    recent = Complaint.select().where(
        (Complaint.shop == shop.id)
        & (Complaint.created_at >= since)
        & (Complaint.status == "substantiated")
    )
    residents = recent.select(fn.COUNT(Complaint.user.distinct())).scalar()
    return residents + recent.where(Complaint.user.is_null()).count()


def refresh(shop: Shop) -> Grade:
    """Recompute and store the shop's grade and open-order count (caller's transaction)."""
    facts = facts_for(shop)
    result = grade(facts)
    Shop.update(risk_grade=result.letter, open_rectifications=facts.open_rectifications).where(
        Shop.id == shop.id
    ).execute()
    shop.risk_grade, shop.open_rectifications = result.letter, facts.open_rectifications
    return result
