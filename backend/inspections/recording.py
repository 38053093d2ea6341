"""Recording an inspection at the storefront, and the fingerprint that keeps it honest.

An inspection is written in one transaction with its lifecycle event, its
rectification order, the shop's current state and the shopkeeper's notice. Its
content is hashed into the event, so an edit to the row shows up in verify. One
recorded away from the shop is written but held: it takes effect only when an admin
confirms it (backend.inspections.confirmation).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

from backend import audit, clock, geo, i18n, lifecycle, scope
from backend.db import write_transaction
from backend.errors import Conflict, Invalid
from backend.grades import replies, reratings
from backend.i18n import N_
from backend.inspections import checklists, grading, proofs, risk
from backend.inspections.messages import tell_owners
from backend.models import (
    Finding,
    Inspection,
    InspectionConfirmation,
    RectificationOrder,
    Shop,
    StaffAccount,
    Upload,
)
from backend.models.base import random_id
from backend.models.inspections import FAR_AWAY_METRES, NEEDS_TWO_INSPECTORS
from backend.sampling import tasks as sampling_tasks
from backend.shops import status
from backend.shops.facts import RESULT_LABELS

# An inspection's results (the values of %(…)s in messages), for the catalog.
_WORDS = (N_("pass"), N_("rectify"), N_("fail"))

INSPECTABLE = ("active", "suspended")
LONGEST_DEADLINE = timedelta(days=365)


def content_of(inspection: Inspection, findings: list[Finding]) -> dict:
    """Everything an inspection says, in a stable shape, for hashing."""
    return {
        "inspection": inspection.public_id,
        "shop": inspection.shop_id,
        "inspector": inspection.inspector_id,
        "co_inspector": inspection.co_inspector_id,
        "template": inspection.template,
        "checklist": json.loads(inspection.checklist),
        "result": inspection.result,
        "note": inspection.note,
        "lat": round(inspection.lat, 7),
        "lng": round(inspection.lng, 7),
        "distance_m": inspection.distance_m,
        "far_away": bool(inspection.far_away),
        "recorded_at": inspection.recorded_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "findings": [
            {"code": f.code, "severity": f.severity, "note": f.note, "photo": f.photo_id}
            for f in findings
        ],
    }


def digest_of(inspection: Inspection, findings: list[Finding]) -> str:
    return hashlib.sha256(
        lifecycle.canonical(content_of(inspection, findings)).encode()
    ).hexdigest()


def co_inspector(staff: StaffAccount, shop: Shop, co_id: int | None) -> StaffAccount | None:
    if co_id is None:
        return None
    co = StaffAccount.get_or_none(
        (StaffAccount.id == co_id)
        & (StaffAccount.active == True)  # noqa
        & (StaffAccount.role == "inspector")
    )
    if co is None or co.id == staff.id or not scope.covers(co, shop.region_path):
        raise Invalid.field(
            "co_inspector",
            "must be another active inspector covering this shop",
            key="co_inspector_not_eligible",
        )
    return co


def _findings(shop: Shop, raw: list[dict]) -> list[Finding]:
    findings = []
    for item in raw:
        photo = None
        if item.get("photo"):
            photo = Upload.get_or_none((Upload.public_id == item["photo"]) & (Upload.shop == shop))
            if photo is None:
                raise Invalid.field(
                    "findings",
                    "photo %(photo)s is not this shop's upload",
                    key="not_shop_upload",
                    params={"photo": item["photo"]},
                )
        findings.append(
            Finding(
                code=item["code"], severity=item["severity"], note=item.get("note"), photo=photo
            )
        )
    return findings


def _check_result(data: dict, co: StaffAccount | None) -> None:
    result = data["result"]
    if result in NEEDS_TWO_INSPECTORS and co is None:
        raise Invalid.field(
            "co_inspector",
            "a '%(result)s' result needs a second inspector",
            key="second_inspector_required",
            params={"result": i18n.Word(result)},
        )
    if result == "rectify" and not data.get("rectify_by"):
        raise Invalid.field(
            "rectify_by", "a rectification order needs a deadline", key="deadline_required"
        )
    if data.get("rectify_by"):
        if result == "pass":
            raise Invalid.field(
                "rectify_by", "a pass orders nothing to put right", key="pass_orders_nothing"
            )
        if not data.get("requirements"):
            raise Invalid.field(
                "requirements", "say what must be put right", key="requirements_required"
            )
        if data["rectify_by"] <= clock.today_local():
            raise Invalid.field("rectify_by", "must be after today", key="deadline_not_future")
        # A deadline years away is a typo, and an order nobody would ever see go overdue.
        if data["rectify_by"] > clock.today_local() + LONGEST_DEADLINE:
            raise Invalid.field(
                "rectify_by",
                "must be at most %(days)s days from today",
                key="deadline_too_far",
                params={"days": LONGEST_DEADLINE.days},
            )


def record(staff: StaffAccount, shop_id: str, data: dict) -> Inspection:
    """An inspection of a shop in `staff`'s scope, from a fresh scan of its code, with the
    order it makes and what it changes in the shop's state and grade — or, recorded away
    from the shop, held for an admin's confirmation with neither."""
    actor = lifecycle.actor_for_staff(staff)
    with write_transaction():
        shop = _inspectable_shop(staff, shop_id)
        jti = _unused_proof(data["scan_proof"], staff, shop)
        co = co_inspector(staff, shop, data.get("co_inspector"))
        _check_result(data, co)
        inspection = _new_inspection(staff, shop, co, jti, data)
        findings = _findings(shop, data.get("findings", []))
        inspection.pending = needs_confirmation(inspection)
        superseded = [] if inspection.pending else pending_before(shop, inspection.recorded_at)
        _write(shop, inspection, findings, actor, superseded)
        # What the inspector's answer shows: the order it made and the shop as it is now.
        if inspection.pending:
            _hold(inspection, data)
            inspection.order = None
        else:
            supersede(superseded, inspection.event_seq)
            inspection.order = take_effect(
                shop,
                inspection,
                inspection.result,
                data.get("rectify_by"),
                data.get("requirements"),
                actor,
            )
        inspection.shop_after = shop
        audit.record(
            "inspection.recorded",
            "shop",
            shop.public_id,
            shop.region_path,
            staff=staff,
            detail={"inspection": inspection.public_id, "result": inspection.result},
        )
        # Written with the inspection; the worker sends it once this has committed.
        if not inspection.pending:
            tell_result(shop, inspection.result, inspection.order)
    return inspection


def shop_inspections(staff: StaffAccount, shop_id: str):
    """A shop's inspections, newest first, for staff whose scope covers it."""
    shop = scope.shop(staff, shop_id)
    return (
        Inspection.select()
        .where(Inspection.shop == shop)
        .order_by(Inspection.recorded_at.desc(), Inspection.id.desc())
    )


def _inspectable_shop(staff: StaffAccount, shop_id: str) -> Shop:
    shop = scope.shop(staff, shop_id, lock=True)
    if shop.status not in INSPECTABLE:
        raise Conflict(
            "a %(status)s shop is not inspected",
            key="shop_not_inspectable",
            params={"status": i18n.Word(shop.status)},
        )
    return shop


def _unused_proof(token: str, staff: StaffAccount, shop: Shop) -> str:
    """The proof's id, once: an inspection needs its own scan of the code."""
    jti = proofs.verify(token, staff, shop)
    if Inspection.select().where(Inspection.proof_jti == jti).exists():
        raise Conflict(
            "this scan proof was already used; scan the code again", key="scan_proof_used"
        )
    return jti


def _new_inspection(
    staff: StaffAccount, shop: Shop, co: StaffAccount | None, jti: str, data: dict
) -> Inspection:
    """The inspection as recorded now, where it was recorded, not saved yet."""
    template = data.get("template") or checklists.for_category(shop.category)
    answers = checklists.check_answers(template, data["checklist"])
    scored = grading.score(template, answers)
    lat, lng = data["location"]["lat"], data["location"]["lng"]
    distance = round(geo.distance_m(lat, lng, shop.lat, shop.lng)) if shop.lat is not None else None
    return Inspection(
        public_id=random_id(12),
        shop=shop,
        inspector=staff,
        co_inspector=co,
        template=template,
        checklist=lifecycle.canonical(answers),
        result=data["result"],
        score=scored.score,
        rule_version=scored.version,
        grade=scored.grade,
        note=data.get("note"),
        lat=lat,
        lng=lng,
        distance_m=distance,
        far_away=distance is not None and distance > FAR_AWAY_METRES,
        proof_jti=jti,
        recorded_at=clock.now(),
    )


def needs_confirmation(inspection: Inspection) -> bool:
    """Recorded too far from the shop, or at a shop with no location to measure from."""
    return inspection.distance_m is None or bool(inspection.far_away)


def _write(
    shop: Shop,
    inspection: Inspection,
    findings: list[Finding],
    actor: str,
    superseded: list[InspectionConfirmation],
) -> None:
    """The inspection, its findings and its event, the event carrying their digest."""
    inspection.digest = digest_of(inspection, findings)
    event = lifecycle.append(
        shop,
        "inspection.recorded",
        actor,
        {
            "inspection": inspection.public_id,
            "digest": inspection.digest,
            "result": inspection.result,
            "score": inspection.score,
            "grade": inspection.grade,
            "rule_version": inspection.rule_version,
            "distance_m": inspection.distance_m,
            "far_away": inspection.far_away,
            "confirmation": "pending" if inspection.pending else "confirmed",
            "supersedes": [held.inspection.public_id for held in superseded],
            "co_inspector": inspection.co_inspector_id,
            "findings": [{"code": f.code, "severity": f.severity} for f in findings],
        },
        occurred_at=inspection.recorded_at,
    )
    inspection.event_seq = event.seq
    inspection.save(force_insert=True)
    for finding in findings:
        finding.inspection = inspection
        finding.save()


def _hold(inspection: Inspection, data: dict) -> None:
    """Pending: the order the inspector asked for waits with it, to be made on confirmation."""
    InspectionConfirmation.create(
        inspection=inspection,
        state="pending",
        rectify_by=data.get("rectify_by"),
        requirements=data.get("requirements") if data.get("rectify_by") else None,
    )


def pending_before(shop: Shop, recorded_at) -> list[InspectionConfirmation]:
    """The shop's inspections still waiting for an admin, recorded before `recorded_at`."""
    return list(
        InspectionConfirmation.select(InspectionConfirmation, Inspection)
        .join(Inspection)
        .where(
            (Inspection.shop == shop)
            & (Inspection.recorded_at < recorded_at)
            & (InspectionConfirmation.state == "pending")
        )
        .order_by(Inspection.recorded_at, Inspection.id)
    )


def supersede(held: list[InspectionConfirmation], event_seq: int) -> None:
    """A later inspection that counts says how the shop stands: the earlier ones still
    waiting have nothing left to decide, so an admin cannot confirm them over it."""
    now = clock.now()
    for waiting in held:
        waiting.state, waiting.decided_at, waiting.event_seq = "superseded", now, event_seq
        waiting.save()


def take_effect(
    shop: Shop,
    inspection: Inspection,
    result: str,
    rectify_by: date | None,
    requirements: str | None,
    actor: str,
) -> RectificationOrder | None:
    """What an inspection that counts does: the order it asked for, then the shop's
    published state."""
    order = _order(shop, inspection, rectify_by, requirements or "", actor) if rectify_by else None
    _publish(shop, inspection, result, actor)
    return order


def tell_result(shop: Shop, result: str, order: RectificationOrder | None) -> None:
    """The owners hear the result that counts, with the order's deadline if it made one."""
    tell_owners(
        shop,
        f"inspection.{result}",
        f"检查结果：{RESULT_LABELS[result]}",
        order.deadline if order else None,
    )


def _publish(shop: Shop, inspection: Inspection, result: str, actor: str) -> None:
    """The shop's state as the inspection leaves it: status, last result, its grades."""
    if result == "fail":
        status.suspend_after_failure(shop, actor, f"inspection {inspection.public_id}")
    shop.last_inspection_at = inspection.recorded_at
    shop.updated_at = clock.now()
    shop.last_inspection_result = result
    shop.save()
    risk.refresh(shop)
    grading.refresh(shop)
    replies.follow_inspection(shop)
    reratings.visited(shop, inspection, actor)
    sampling_tasks.fulfil(shop, inspection, actor)


def _order(
    shop: Shop, inspection: Inspection, deadline: date, requirements: str, actor: str
) -> RectificationOrder:
    order = RectificationOrder.create(
        shop=shop, inspection=inspection, deadline=deadline, requirements=requirements
    )
    lifecycle.append(
        shop,
        "rectification.ordered",
        actor,
        {
            "order": order.public_id,
            "inspection": inspection.public_id,
            "deadline": deadline,
            "requirements": requirements,
        },
    )
    return order
