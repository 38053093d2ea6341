"""Corrections: an inspection is never edited; a correction is a new event that refers to it."""

from __future__ import annotations

from backend import audit, clock, i18n, lifecycle, scope
from backend.db import lock_for_update, write_transaction
from backend.errors import Conflict, Invalid
from backend.inspections import risk
from backend.inspections.messages import tell_owners
from backend.inspections.recording import co_inspector
from backend.models import (
    Inspection,
    InspectionCorrection,
    RectificationOrder,
    RectificationSubmission,
    Shop,
    StaffAccount,
)
from backend.models.inspections import (
    NEEDS_TWO_INSPECTORS,
    OPEN_ORDER_STATUSES,
    PASSES,
    counted,
)
from backend.shops import status
from backend.shops.facts import RESULT_LABELS


def inspection_in_scope(staff: StaffAccount, inspection_id: str) -> Inspection:
    return scope.find(
        staff,
        Inspection.select(Inspection, Shop)
        .join(Shop)
        .where(
            scope.under(Shop.region_path, staff.region_path)
            & (Inspection.public_id == inspection_id)
        ),
        "inspection",
        inspection_id,
        Shop.select(Shop.region_path).join(Inspection).where(Inspection.public_id == inspection_id),
    )


def correct(
    staff: StaffAccount,
    inspection_id: str,
    note: str,
    corrected_result: str | None,
    co_inspector: int | None = None,
) -> InspectionCorrection:
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
        co = _second_inspector(staff, shop, corrected_result, co_inspector)
        correction = _write(shop, inspection, staff, note, corrected_result, co, actor)
        withdrawn = (
            _withdraw_orders(shop, inspection, staff, actor) if corrected_result in PASSES else []
        )
        published = _publish(shop, inspection, corrected_result, actor)
        if published or withdrawn:
            risk.refresh(shop)
        audit.record(
            "inspection.corrected",
            "inspection",
            inspection.public_id,
            shop.region_path,
            staff=staff,
            detail={"result": corrected_result, "withdrawn": withdrawn},
        )
        _tell_what_stands(shop, corrected_result if published else None, bool(withdrawn))
    return correction


def _second_inspector(
    staff: StaffAccount, shop: Shop, corrected_result: str | None, co_id: int | None
) -> StaffAccount | None:
    if corrected_result not in NEEDS_TWO_INSPECTORS:
        return None
    co = co_inspector(staff, shop, co_id)
    if co is None:
        raise Invalid.field(
            "co_inspector",
            "a correction to '%(result)s' needs a second inspector",
            key="second_inspector_required",
            params={"result": i18n.Word(corrected_result)},
        )
    return co


def _write(
    shop: Shop,
    inspection: Inspection,
    staff: StaffAccount,
    note: str,
    corrected_result: str | None,
    co: StaffAccount | None,
    actor: str,
) -> InspectionCorrection:
    # On the locked shop: append moves its chain head, which the shop's save keeps.
    event = lifecycle.append(
        shop,
        "inspection.corrected",
        actor,
        {
            "inspection": inspection.public_id,
            "refers_to_seq": inspection.event_seq,
            "note": note,
            "corrected_result": corrected_result,
            "co_inspector": co.id if co else None,
        },
    )
    return InspectionCorrection.create(
        inspection=inspection,
        staff=staff,
        note=note,
        corrected_result=corrected_result,
        event_seq=event.seq,
    )


def _publish(shop: Shop, inspection: Inspection, corrected_result: str | None, actor: str) -> bool:
    """A corrected result of the shop's latest inspection that counts is its published
    result now; one still waiting for confirmation is published when it is confirmed."""
    if not corrected_result:
        return False
    latest = (
        Inspection.select(Inspection.id)
        .where((Inspection.shop == shop) & counted())
        .order_by(Inspection.recorded_at.desc(), Inspection.id.desc())
        .first()
    )
    if latest is None or latest.id != inspection.id:
        return False
    if corrected_result == "fail":
        status.suspend_after_failure(
            shop, actor, f"correction of inspection {inspection.public_id}"
        )
    shop.last_inspection_result = corrected_result
    shop.save()
    return True


def _tell_what_stands(shop: Shop, published_result: str | None, withdrawn: bool) -> None:
    """The owners were told the recorded result and the order; tell them what stands now."""
    if published_result:
        tell_owners(
            shop,
            f"inspection.{published_result}",
            f"检查结果更正：{RESULT_LABELS[published_result]}"
            + ("，整改已撤销" if withdrawn else ""),
            None,
        )
    elif withdrawn:
        tell_owners(shop, "rectification.withdrawn", "检查结果更正，整改已撤销", None)


def _withdraw_orders(
    shop: Shop, inspection: Inspection, staff: StaffAccount, actor: str
) -> list[str]:
    """A pass orders nothing to put right: the inspection's orders still waiting are withdrawn,
    so the shop does not answer, get graded on, or go overdue for a result that was wrong.
    Evidence waiting for the inspector is settled with its order: nobody will decide it."""
    now = clock.now()
    orders = list(
        lock_for_update(
            RectificationOrder.select()
            .where(
                (RectificationOrder.inspection == inspection)
                & RectificationOrder.status.in_(OPEN_ORDER_STATUSES)
            )
            .order_by(RectificationOrder.id)
        )
    )
    for order in orders:
        order.status, order.closed_at = "withdrawn", now
        order.save()
        (
            RectificationSubmission.update(decision="withdrawn", decided_by=staff, decided_at=now)
            .where(
                (RectificationSubmission.order == order)
                & RectificationSubmission.decision.is_null()
            )
            .execute()
        )
        lifecycle.append(
            shop,
            "rectification.withdrawn",
            actor,
            {"order": order.public_id, "inspection": inspection.public_id},
        )
    return [order.public_id for order in orders]


def _refuse_a_repeat(
    staff: StaffAccount, inspection: Inspection, note: str, corrected_result: str | None
) -> None:
    """A double tap or a retry sends the same correction again: one is on record."""
    last = (
        InspectionCorrection.select()
        .where(InspectionCorrection.inspection == inspection)
        .order_by(InspectionCorrection.id.desc())
        .first()
    )
    if last is not None and (last.staff_id, last.note, last.corrected_result) == (
        staff.id,
        note,
        corrected_result,
    ):
        raise Conflict("this correction is already on record", key="duplicate_correction")


def correct_score(
    shop: Shop, inspection: Inspection, staff: StaffAccount, note: str, rescored, actor: str
) -> InspectionCorrection:
    """A corrected score and grade (an appeal decided 'changed'), as a correction event:
    the inspection row keeps what was recorded. The caller refreshes the shop's grades."""
    event = lifecycle.append(
        shop,
        "inspection.corrected",
        actor,
        {
            "inspection": inspection.public_id,
            "refers_to_seq": inspection.event_seq,
            "note": note,
            "corrected_score": rescored.score,
            "corrected_grade": rescored.grade,
            "rule_version": rescored.version,
        },
    )
    return InspectionCorrection.create(
        inspection=inspection,
        staff=staff,
        note=note,
        corrected_score=rescored.score,
        corrected_grade=rescored.grade,
        event_seq=event.seq,
    )
