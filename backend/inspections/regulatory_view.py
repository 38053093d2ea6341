"""The regulatory view of a scanned shop: its whole record, for an inspector whose scope
covers it."""

from __future__ import annotations

from backend import audit
from backend.inspections import checklists, proofs, risk
from backend.models import (
    Complaint,
    Employee,
    Finding,
    Inspection,
    InspectionConfirmation,
    LifecycleEvent,
    RectificationOrder,
    Shop,
    StaffAccount,
)
from backend.models.inspections import OPEN_ORDER_STATUSES
from backend.ratings import ratings

REGULATORS = ("inspector", "admin")
RECENT_INSPECTIONS = 5
LIFECYCLE_TAIL = 10
RECENT_COMPLAINTS = 10


def active_regulator(user) -> StaffAccount | None:
    if user is None:
        return None
    return (
        StaffAccount.select()
        .where(
            (StaffAccount.user == user)
            & (StaffAccount.active == True)  # noqa: E712
            & StaffAccount.role.in_(REGULATORS)
        )
        .first()
    )


def deny(staff: StaffAccount, shop: Shop) -> None:
    """An inspector scanned a shop outside their scope: they get the public view, on record."""
    audit.record(
        audit.SCOPE_DENIED,
        "shop",
        shop.public_id,
        shop.region_path,
        staff=staff,
        detail={"via": "scan"},
    )


def regulatory_part(staff: StaffAccount, shop: Shop, licences: list) -> dict:
    inspections = list(
        Inspection.select()
        .where(Inspection.shop == shop)
        .order_by(Inspection.recorded_at.desc(), Inspection.id.desc())
        .limit(RECENT_INSPECTIONS)
    )
    findings = {}
    for finding in Finding.select().where(Finding.inspection.in_([i.id for i in inspections])):
        findings.setdefault(finding.inspection_id, []).append(finding)
    held = {
        h.inspection_id: h
        for h in InspectionConfirmation.select().where(
            InspectionConfirmation.inspection.in_([i.id for i in inspections])
        )
    }
    for inspection in inspections:
        inspection.finding_list = findings.get(inspection.id, [])
        # None: recorded on site. InspectionOut reads its confirmation from here.
        inspection.held = held.get(inspection.id)
    grade = risk.grade(risk.facts_for(shop))
    token, expires = proofs.issue(staff, shop)
    audit.record("scan.regulatory", "shop", shop.public_id, shop.region_path, staff=staff)
    template = checklists.for_category(shop.category)
    return {
        "profile": shop,
        "licences": licences,
        "employees": list(Employee.select().where(Employee.shop == shop).order_by(Employee.id)),
        "inspections": inspections,
        "open_rectifications": list(
            RectificationOrder.select()
            .where(
                (RectificationOrder.shop == shop)
                & RectificationOrder.status.in_(OPEN_ORDER_STATUSES)
            )
            .order_by(RectificationOrder.deadline)
        ),
        "risk": {
            "grade": shop.risk_grade,
            "grade_today": grade.letter,
            "points": grade.points,
            "reasons": grade.reasons,
        },
        "low_ratings": ratings.visible_comments(shop, limit=5, max_stars=2),
        "complaints": list(
            Complaint.select()
            .where(Complaint.shop == shop)
            .order_by(Complaint.id.desc())
            .limit(RECENT_COMPLAINTS)
        ),
        "lifecycle_tail": list(
            LifecycleEvent.select()
            .where(LifecycleEvent.shop == shop)
            .order_by(LifecycleEvent.seq.desc())
            .limit(LIFECYCLE_TAIL)
        ),
        "scan_proof": {"token": token, "expires_at": expires},
        # The form the inspector fills in for this shop's industry, so recording needs no
        # second round trip from the storefront.
        "checklist": {"template": template, **checklists.templates()[template]},
    }
