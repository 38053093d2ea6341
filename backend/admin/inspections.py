"""Inspection rules: recording at the storefront, corrections, and the rectification loop.

An inspection is written in one transaction with its lifecycle event, its
rectification order, the shop's current state and the shopkeeper's notice. Its
content is hashed into the event, so an edit to the row shows up in verify.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

from flask import current_app

from backend import audit, checklists, clock, geo, lifecycle, notify, proofs, risk, scope, uploads
from backend.admin.services import shop_for_update
from backend.db import lock_for_update, write_transaction
from backend.errors import Conflict, Invalid, NotFound
from backend.merchant import services as merchant_services
from backend.models import (
    Finding,
    Inspection,
    InspectionCorrection,
    RectificationOrder,
    RectificationSubmission,
    Shop,
    StaffAccount,
    Upload,
)
from backend.models.base import random_id
from backend.models.inspections import (
    FAR_AWAY_METRES,
    NEEDS_TWO_INSPECTORS,
    OPEN_ORDER_STATUSES,
    PASSES,
)
from backend.shopstate import RESULT_LABELS

INSPECTABLE = ("active", "suspended")
LONGEST_DEADLINE = timedelta(days=365)


# -- the record's fingerprint --------------------------------------------------------------
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
        "findings": [{"code": f.code, "severity": f.severity, "note": f.note,
                      "photo": f.photo_id} for f in findings],
    }


def digest_of(inspection: Inspection, findings: list[Finding]) -> str:
    return hashlib.sha256(lifecycle.canonical(content_of(inspection, findings)).encode()).hexdigest()


# -- recording --------------------------------------------------------------------------------
def _co_inspector(staff: StaffAccount, shop: Shop, co_id: int | None) -> StaffAccount | None:
    if co_id is None:
        return None
    co = StaffAccount.get_or_none((StaffAccount.id == co_id) & (StaffAccount.active == True)  # noqa
                                  & (StaffAccount.role == "inspector"))
    if co is None or co.id == staff.id or not scope.covers(co, shop.region_path):
        raise Invalid.field("co_inspector", "must be another active inspector covering this shop")
    return co


def _findings(shop: Shop, raw: list[dict]) -> list[Finding]:
    findings = []
    for item in raw:
        photo = None
        if item.get("photo"):
            photo = Upload.get_or_none((Upload.public_id == item["photo"]) & (Upload.shop == shop))
            if photo is None:
                raise Invalid.field("findings", f"photo {item['photo']} is not this shop's upload")
        findings.append(Finding(code=item["code"], severity=item["severity"],
                                note=item.get("note"), photo=photo))
    return findings


def _check_result(data: dict, co: StaffAccount | None) -> None:
    result = data["result"]
    if result in NEEDS_TWO_INSPECTORS and co is None:
        raise Invalid.field("co_inspector", f"a '{result}' result needs a second inspector")
    if result == "rectify" and not data.get("rectify_by"):
        raise Invalid.field("rectify_by", "a rectification order needs a deadline")
    if data.get("rectify_by"):
        if result == "pass":
            raise Invalid.field("rectify_by", "a pass orders nothing to put right")
        if not data.get("requirements"):
            raise Invalid.field("requirements", "say what must be put right")
        if data["rectify_by"] <= clock.today_local():
            raise Invalid.field("rectify_by", "must be after today")
        # A deadline years away is a typo, and an order nobody would ever see go overdue.
        if data["rectify_by"] > clock.today_local() + LONGEST_DEADLINE:
            raise Invalid.field("rectify_by",
                                f"must be at most {LONGEST_DEADLINE.days} days from today")


def record(staff: StaffAccount, shop_id: str, data: dict) -> Inspection:
    now = clock.now()
    actor = lifecycle.actor_for_staff(staff)
    with write_transaction():
        shop = shop_for_update(staff, shop_id)
        if shop.status not in INSPECTABLE:
            raise Conflict(f"a {shop.status} shop is not inspected")
        jti = proofs.verify(data["scan_proof"], staff, shop)
        if Inspection.select().where(Inspection.proof_jti == jti).exists():
            raise Conflict("this scan proof was already used; scan the code again")
        co = _co_inspector(staff, shop, data.get("co_inspector"))
        _check_result(data, co)
        template = data.get("template") or checklists.for_category(shop.category)
        answers = checklists.check_answers(template, data["checklist"])
        findings = _findings(shop, data.get("findings", []))
        lat, lng = data["location"]["lat"], data["location"]["lng"]
        distance = round(geo.distance_m(lat, lng, shop.lat, shop.lng)) \
            if shop.lat is not None else None
        inspection = Inspection(
            public_id=random_id(12), shop=shop, inspector=staff, co_inspector=co,
            template=template, checklist=lifecycle.canonical(answers), result=data["result"],
            note=data.get("note"), lat=lat, lng=lng, distance_m=distance,
            far_away=distance is not None and distance > FAR_AWAY_METRES,
            proof_jti=jti, recorded_at=now,
        )
        inspection.digest = digest_of(inspection, findings)
        event = lifecycle.append(shop, "inspection.recorded", actor, {
            "inspection": inspection.public_id, "digest": inspection.digest,
            "result": inspection.result, "distance_m": distance,
            "far_away": inspection.far_away, "co_inspector": co.id if co else None,
            "findings": [{"code": f.code, "severity": f.severity} for f in findings],
        }, occurred_at=now)
        inspection.event_seq = event.seq
        inspection.save(force_insert=True)
        for finding in findings:
            finding.inspection = inspection
            finding.save()
        # What the inspector's answer shows: the order it made and the shop as it is now.
        inspection.order = (_order(shop, inspection, data["rectify_by"],
                                   data.get("requirements") or "", actor)
                            if data.get("rectify_by") else None)
        inspection.shop_after = shop
        if data["result"] == "fail" and shop.status == "active":
            lifecycle.append(shop, "shop.status_changed", actor, {
                "from": "active", "to": "suspended", "reason": f"inspection {inspection.public_id}"})
            shop.status = "suspended"
        shop.last_inspection_at, shop.last_inspection_result = now, data["result"]
        shop.updated_at = now
        shop.save()
        risk.refresh(shop)
        audit.record("inspection.recorded", "shop", shop.public_id, shop.region_path, staff=staff,
                     detail={"inspection": inspection.public_id, "result": inspection.result})
    # Once committed: WeChat may take seconds, and the shop's lock must not wait on it.
    _tell_owners(shop, f"inspection.{data['result']}",
                 f"检查结果：{RESULT_LABELS[data['result']]}", data.get("rectify_by"))
    return inspection


def _order(shop: Shop, inspection: Inspection, deadline: date, requirements: str,
           actor: str) -> RectificationOrder:
    order = RectificationOrder.create(shop=shop, inspection=inspection, deadline=deadline,
                                      requirements=requirements)
    lifecycle.append(shop, "rectification.ordered", actor, {
        "order": order.public_id, "inspection": inspection.public_id,
        "deadline": deadline, "requirements": requirements})
    return order


def _tell_owners(shop: Shop, subject: str, summary: str, deadline: date | None) -> None:
    template = current_app.config["CITYCODE"].wechat_template_inspection
    notify.notify_owners(shop, template, subject, {
        "thing1": shop.name[:20], "thing2": summary[:20],
        "date3": (deadline or clock.today_local()).isoformat(),
    }, page=f"pages/shop/inspections?shop={shop.public_id}")


# -- corrections ------------------------------------------------------------------------------
def inspection_in_scope(staff: StaffAccount, inspection_id: str) -> Inspection:
    found = (Inspection.select(Inspection, Shop).join(Shop)
             .where(scope.under(Shop.region_path, staff.region_path)
                    & (Inspection.public_id == inspection_id)).first())
    if found is None:
        raise scope.not_found(staff, "inspection", inspection_id,
                              Shop.select(Shop.region_path).join(Inspection)
                              .where(Inspection.public_id == inspection_id))
    return found


def correct(staff: StaffAccount, inspection_id: str, note: str, corrected_result: str | None,
            co_inspector: int | None = None) -> InspectionCorrection:
    """Inspections are never edited: a correction is a new event that refers to the old one.

    A correction to a result that needs two inspectors needs them too, and a correction
    of the latest inspection has that result's consequences: the published result and
    grade change, and a shop corrected to 'fail' is suspended. Lifting a suspension
    stays an admin's status change. A correction to a pass withdraws the inspection's
    orders still waiting, whether or not it is the latest.
    """
    actor = lifecycle.actor_for_staff(staff)
    with write_transaction():
        inspection = inspection_in_scope(staff, inspection_id)
        shop = lock_for_update(Shop.select().where(Shop.id == inspection.shop_id)).get()
        _refuse_a_repeat(staff, inspection, note, corrected_result)
        co = None
        if corrected_result in NEEDS_TWO_INSPECTORS:
            co = _co_inspector(staff, shop, co_inspector)
            if co is None:
                raise Invalid.field("co_inspector",
                                    f"a correction to '{corrected_result}' needs a second inspector")
        event = lifecycle.append(shop, "inspection.corrected", actor, {
            "inspection": inspection.public_id, "refers_to_seq": inspection.event_seq,
            "note": note, "corrected_result": corrected_result,
            "co_inspector": co.id if co else None})
        correction = InspectionCorrection.create(
            inspection=inspection, staff=staff, note=note, corrected_result=corrected_result,
            event_seq=event.seq)
        latest = (Inspection.select(Inspection.id).where(Inspection.shop == shop)
                  .order_by(Inspection.recorded_at.desc(), Inspection.id.desc()).first())
        published = corrected_result and latest.id == inspection.id
        withdrawn = _withdraw_orders(shop, inspection, staff, actor) \
            if corrected_result in PASSES else []
        if published:
            if corrected_result == "fail" and shop.status == "active":
                lifecycle.append(shop, "shop.status_changed", actor, {
                    "from": "active", "to": "suspended",
                    "reason": f"correction of inspection {inspection.public_id}"})
                shop.status = "suspended"
            shop.last_inspection_result = corrected_result
            shop.save()
        if published or withdrawn:
            risk.refresh(shop)
        audit.record("inspection.corrected", "inspection", inspection.public_id,
                     shop.region_path, staff=staff,
                     detail={"result": corrected_result, "withdrawn": withdrawn})
    # The owners were told the recorded result and the order; tell them what stands now.
    if published:
        _tell_owners(shop, f"inspection.{corrected_result}",
                     f"检查结果更正：{RESULT_LABELS[corrected_result]}"
                     + ("，整改已撤销" if withdrawn else ""), None)
    elif withdrawn:
        _tell_owners(shop, "rectification.withdrawn", "检查结果更正，整改已撤销", None)
    return correction


def _withdraw_orders(shop: Shop, inspection: Inspection, staff: StaffAccount,
                     actor: str) -> list[str]:
    """A pass orders nothing to put right: the inspection's orders still waiting are withdrawn,
    so the shop does not answer, get graded on, or go overdue for a result that was wrong.
    Evidence waiting for the inspector is settled with its order: nobody will decide it."""
    now = clock.now()
    orders = list(lock_for_update(RectificationOrder.select().where(
        (RectificationOrder.inspection == inspection)
        & RectificationOrder.status.in_(OPEN_ORDER_STATUSES)).order_by(RectificationOrder.id)))
    for order in orders:
        order.status, order.closed_at = "withdrawn", now
        order.save()
        (RectificationSubmission.update(decision="withdrawn", decided_by=staff, decided_at=now)
         .where((RectificationSubmission.order == order)
                & RectificationSubmission.decision.is_null())
         .execute())
        lifecycle.append(shop, "rectification.withdrawn", actor, {
            "order": order.public_id, "inspection": inspection.public_id})
    return [order.public_id for order in orders]


def _refuse_a_repeat(staff: StaffAccount, inspection: Inspection, note: str,
                     corrected_result: str | None) -> None:
    """A double tap or a retry sends the same correction again: one is on record."""
    last = (InspectionCorrection.select().where(InspectionCorrection.inspection == inspection)
            .order_by(InspectionCorrection.id.desc()).first())
    if last is not None and (last.staff_id, last.note, last.corrected_result) == (
            staff.id, note, corrected_result):
        raise Conflict("this correction is already on record")


# -- the rectification loop --------------------------------------------------------------------
def orders_in_scope(staff: StaffAccount):
    return (RectificationOrder.select(RectificationOrder, Shop).join(Shop)
            .where(scope.under(Shop.region_path, staff.region_path)))


def _order_in_scope(staff: StaffAccount, order_id: str, lock: bool = True) -> RectificationOrder:
    order = orders_in_scope(staff).where(RectificationOrder.public_id == order_id).first()
    if order is None:
        raise scope.not_found(staff, "rectification_order", order_id,
                              Shop.select(Shop.region_path).join(RectificationOrder)
                              .where(RectificationOrder.public_id == order_id))
    return lifecycle.locked_with_its_shop(RectificationOrder, order.id) if lock else order


def order_detail(staff: StaffAccount, order_id: str) -> RectificationOrder:
    """An order in scope with the shop's evidence, for the inspector about to decide."""
    return merchant_services.with_submissions(_order_in_scope(staff, order_id, lock=False))


def upload_evidence(staff: StaffAccount, shop_id: str, stream) -> Upload:
    """A photo the inspector takes at the shop, kept with the shop's own (its people see it)."""
    with write_transaction():
        shop = scope.shop(staff, shop_id)
        return uploads.store(shop, staff.user, stream)


def shop_upload(staff: StaffAccount, shop_id: str, upload_id: str) -> Upload:
    shop = scope.shop(staff, shop_id)
    upload = Upload.get_or_none((Upload.public_id == upload_id) & (Upload.shop == shop))
    if upload is None:
        raise NotFound("upload not found")
    return upload


def _latest_submission(order: RectificationOrder) -> RectificationSubmission:
    submission = (RectificationSubmission.select()
                  .where((RectificationSubmission.order == order)
                         & RectificationSubmission.decision.is_null())
                  .order_by(RectificationSubmission.id.desc()).first())
    if order.status != "submitted" or submission is None:
        raise Conflict("the shop has not submitted evidence for this order yet")
    return submission


def verify_order(staff: StaffAccount, order_id: str) -> RectificationOrder:
    with write_transaction():
        order = _order_in_scope(staff, order_id)
        submission = _latest_submission(order)
        now = clock.now()
        submission.decision, submission.decided_by, submission.decided_at = "verified", staff, now
        submission.save()
        order.status, order.closed_at = "closed", now
        order.save()
        shop = order.shop
        lifecycle.append(shop, "rectification.verified", lifecycle.actor_for_staff(staff),
                         {"order": order.public_id, "submission": submission.id})
        risk.refresh(shop)
        audit.record("rectification.verified", "rectification", order.public_id,
                     shop.region_path, staff=staff)
    # The shop was told of the order and of every rejection; it hears the loop close too.
    _tell_owners(shop, "rectification.verified", "整改已通过验收", None)
    return order


def reject_order(staff: StaffAccount, order_id: str, reason: str) -> RectificationOrder:
    with write_transaction():
        order = _order_in_scope(staff, order_id)
        submission = _latest_submission(order)
        submission.decision, submission.decided_by = "rejected", staff
        submission.decided_at, submission.reason = clock.now(), reason
        submission.save()
        order.status = "open"
        order.save()
        lifecycle.append(order.shop, "rectification.rejected", lifecycle.actor_for_staff(staff),
                         {"order": order.public_id, "submission": submission.id,
                          "reason": reason})
        audit.record("rectification.rejected", "rectification", order.public_id,
                     order.shop.region_path, staff=staff, detail={"reason": reason})
    _tell_owners(order.shop, "rectification.rejected", f"整改未通过：{reason}", order.deadline)
    return order


def sweep_overdue(today: date | None = None) -> list[str]:
    """Mark orders past their deadline, once each; the shop's grade goes up and its
    owners are told, once per order.

    Only an order still waiting for the shop is overdue: one whose evidence came in
    on time and waits for the inspector is not the shop's delay, and a closed shop
    has nobody left to answer it.
    """
    today = today or clock.today_local()
    due = (RectificationOrder.select(RectificationOrder.id).join(Shop)
           .where((RectificationOrder.status == "open") & (RectificationOrder.overdue == False)  # noqa
                  & (RectificationOrder.deadline < today) & Shop.status.in_(INSPECTABLE)))
    marked = []
    for row in list(due):
        with write_transaction():
            order = lifecycle.locked_with_its_shop(RectificationOrder, row.id)
            if order.overdue or order.status != "open" or order.shop.status not in INSPECTABLE:
                continue
            order.overdue = True
            order.save()
            lifecycle.append(order.shop, "rectification.overdue", lifecycle.SYSTEM,
                             {"order": order.public_id, "deadline": order.deadline})
            risk.refresh(order.shop)
            marked.append(order.public_id)
        # After the commit, as everywhere: the shop's lock must not wait on WeChat.
        _tell_owners(order.shop, "rectification.overdue", "整改已逾期，请尽快整改", order.deadline)
    return marked
