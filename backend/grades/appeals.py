"""申请复核: an owner contests an inspection's grade, and someone who took no part in it
decides.

Within APPEAL_DAYS (21) of the result reaching the owner — the moment the inspection
came to count, when its message was written — the owner may appeal its grade once,
with a reason and photos. The appeal is a work order of the market regulator of the
shop's street, timed as its category says (15 working days, about 21 days), watched and
supervised like any other. Only that department's staff decide it, and never the
inspection's inspector or co-inspector (403, whatever screen asks). The grade stands
(upheld) or is corrected from the decider's answers to the checklist (changed), scored
under the rule version the inspection was recorded with. While it is open the public
sees the grade marked 复核中 with the day it was filed.
"""

from __future__ import annotations

from datetime import timedelta

import peewee as pw
from flask import current_app

from backend import audit, clock, lifecycle
from backend.db import lock_row, write_transaction
from backend.errors import Conflict, Forbidden, Invalid, NotFound
from backend.grades import procedures
from backend.inspections import checklists, corrections, grading, scoring
from backend.models import (
    GradeAppeal,
    Inspection,
    InspectionConfirmation,
    Shop,
    StaffAccount,
    User,
    WorkOrder,
)
from backend.models.inspections import counted
from backend.shops.access import OWNER_ONLY, member_shop
from backend.workorders import orders

OUTCOMES = ("upheld", "changed")


def file(user: User, shop_id: str, inspection_id: str, reason: str, photos: list[str]):
    """The owner's appeal of one of the shop's inspections that counts."""
    with write_transaction():
        shop = member_shop(user, shop_id, OWNER_ONLY)
        inspection = _counted_inspection(shop, inspection_id)
        _refuse_after_the_window(inspection)
        if GradeAppeal.select().where(GradeAppeal.inspection == inspection).exists():
            raise Conflict(
                "this inspection's grade has already been appealed", key="already_appealed"
            )
        order, evidence = procedures.open_order(
            user, shop, "grade_appeal", f"申请复核（检查 {inspection.public_id}）：{reason}", photos
        )
        appeal = GradeAppeal.create(
            inspection=inspection,
            shop=shop,
            filed_by=user,
            reason=reason,
            photos=lifecycle.canonical(evidence),
            work_order=order,
        )
        lifecycle.append(
            shop,
            "appeal.filed",
            lifecycle.actor_for_user(user),
            {"appeal": appeal.public_id, "inspection": inspection.public_id, "order": order.number},
        )
        # 复核中 since the earliest appeal still open.
        since = pw.fn.COALESCE(Shop.appeal_filed_on, clock.today_local())
        Shop.update(appeal_filed_on=since).where(Shop.id == shop.id).execute()
    return appeal


def _counted_inspection(shop: Shop, inspection_id: str) -> Inspection:
    inspection = Inspection.get_or_none(
        (Inspection.shop == shop) & (Inspection.public_id == inspection_id)
    )
    if inspection is None:
        raise NotFound("inspection not found", key="inspection_not_found")
    if not Inspection.select().where((Inspection.id == inspection.id) & counted()).exists():
        raise Conflict(
            "this inspection does not count (yet): there is no grade to appeal",
            key="inspection_not_counted",
        )
    return inspection


def result_reached_owner_at(inspection: Inspection):
    """When the result was written to the owner: on site, at once; held, once confirmed."""
    confirmed = InspectionConfirmation.get_or_none(InspectionConfirmation.inspection == inspection)
    return confirmed.decided_at if confirmed is not None else inspection.recorded_at


def _refuse_after_the_window(inspection: Inspection) -> None:
    days = current_app.config["CITYCODE"].appeal_days
    closes = result_reached_owner_at(inspection) + timedelta(days=days)
    if clock.now() > closes:
        raise Conflict(
            "an appeal is made within %(days)s days of the result; that ended on %(date)s",
            key="appeal_window_closed",
            params={"days": days, "date": clock.local_date(closes).isoformat()},
        )


# -- deciding it ----------------------------------------------------------------------------
def in_scope(staff: StaffAccount) -> pw.ModelSelect:
    """Appeals whose work order `staff` reaches (their department's, their region's),
    open first, then by the order's deadline."""
    return (
        GradeAppeal.select(GradeAppeal, Inspection, Shop, WorkOrder)
        .join(Inspection, on=(GradeAppeal.inspection == Inspection.id))
        .switch(GradeAppeal)
        .join(Shop, on=(GradeAppeal.shop == Shop.id))
        .switch(GradeAppeal)
        .join(WorkOrder, on=(GradeAppeal.work_order == WorkOrder.id))
        .where(GradeAppeal.work_order.in_(orders.visible(staff).select(WorkOrder.id)))
        .order_by(GradeAppeal.state != "open", WorkOrder.resolve_due_at, GradeAppeal.id)
    )


def one(staff: StaffAccount, appeal_id: str) -> GradeAppeal:
    found = in_scope(staff).where(GradeAppeal.public_id == appeal_id).first()
    if found is None:
        raise NotFound("appeal not found", key="appeal_not_found")
    return found


def may_decide(staff: StaffAccount, appeal: GradeAppeal) -> None:
    """The department the appeal went to decides it, and not the inspection's own people."""
    orders.require_department(staff, appeal.work_order)
    if staff.id in (appeal.inspection.inspector_id, appeal.inspection.co_inspector_id):
        raise Forbidden(
            "you took part in this inspection: someone who did not decides its appeal",
            key="took_part_in_inspection",
        )


def decide(
    staff: StaffAccount, appeal_id: str, outcome: str, note: str, answers: list[dict] | None
) -> GradeAppeal:
    actor = lifecycle.actor_for_staff(staff)
    with write_transaction():
        appeal = one(staff, appeal_id)
        may_decide(staff, appeal)
        shop = procedures.locked_shop(appeal.shop_id)
        lock_row(GradeAppeal, appeal.id)  # after the shop's: one decision, not two
        if GradeAppeal.get_by_id(appeal.id).state != "open":
            raise Conflict("this appeal has been decided", key="appeal_decided")
        inspection = appeal.inspection
        if outcome == "changed":
            rescored = _rescored(inspection, answers)
            corrections.correct_score(shop, inspection, staff, note, rescored, actor)
            appeal.corrected_score, appeal.corrected_grade = rescored.score, rescored.grade
            said = f"复核结果：等级改为{rescored.grade}（{rescored.score}分）"
        else:
            said = "复核结果：维持原等级"
        appeal.state, appeal.decided_by, appeal.decided_at = outcome, staff, clock.now()
        appeal.decision_note = note
        appeal.save()
        lifecycle.append(
            shop,
            "appeal.decided",
            actor,
            {
                "appeal": appeal.public_id,
                "inspection": inspection.public_id,
                "outcome": outcome,
                "corrected_score": appeal.corrected_score,
                "corrected_grade": appeal.corrected_grade,
            },
        )
        _clear_the_mark(shop)
        grading.refresh(shop)
        procedures.settle(appeal.work_order, actor, said, {"appeal": outcome})
        audit.record(
            "appeal.decided",
            "shop",
            shop.public_id,
            shop.region_path,
            staff=staff,
            detail={"appeal": appeal.public_id, "outcome": outcome},
        )
    return appeal


def _rescored(inspection: Inspection, answers: list[dict] | None) -> scoring.Scored:
    """The decider's answers to the inspection's own checklist, scored under its version."""
    if not answers:
        raise Invalid.field(
            "checklist", "a changed grade needs the checklist as it should read", key="required"
        )
    template = checklists.templates()[inspection.template]
    checked = checklists.check_answers(inspection.template, answers)
    rule = scoring.rule_version(template, inspection.rule_version or 1)
    return scoring.score(template, rule, checked)


def _clear_the_mark(shop: Shop) -> None:
    """复核中 goes once no appeal of the shop is open; another open one keeps its day."""
    earliest = (
        GradeAppeal.select(GradeAppeal.filed_at)
        .where((GradeAppeal.shop == shop) & (GradeAppeal.state == "open"))
        .order_by(GradeAppeal.filed_at)
        .first()
    )
    filed_on = clock.local_date(earliest.filed_at) if earliest is not None else None
    Shop.update(appeal_filed_on=filed_on).where(Shop.id == shop.id).execute()
    shop.appeal_filed_on = filed_on


def overdue(staff: StaffAccount) -> pw.ModelSelect:
    """Open appeals past their deadline, for supervision."""
    return in_scope(staff).where(
        (GradeAppeal.state == "open") & (WorkOrder.resolve_due_at < clock.now())
    )


def of_shop(user: User, shop_id: str) -> pw.ModelSelect:
    shop = member_shop(user, shop_id)
    return (
        GradeAppeal.select(GradeAppeal, Inspection, WorkOrder)
        .join(Inspection, on=(GradeAppeal.inspection == Inspection.id))
        .switch(GradeAppeal)
        .join(WorkOrder, on=(GradeAppeal.work_order == WorkOrder.id))
        .where(GradeAppeal.shop == shop)
        .order_by(GradeAppeal.id.desc())
    )
