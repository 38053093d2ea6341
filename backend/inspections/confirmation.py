"""An inspection recorded away from the shop waits (待确认) for an admin whose scope covers
the shop: confirmed, it takes effect as of then; rejected, it stays on record with none.

The decision is a row beside the inspection (InspectionConfirmation), because the
inspection itself is never changed; each decision is an event in the shop's lifecycle.
"""

from __future__ import annotations

from datetime import date

from backend import audit, clock, i18n, lifecycle, scope
from backend.db import lock_for_update, write_transaction
from backend.errors import Conflict
from backend.i18n import N_
from backend.inspections.corrections import inspection_in_scope
from backend.inspections.recording import pending_before, supersede, take_effect, tell_result
from backend.models import (
    Inspection,
    InspectionConfirmation,
    Shop,
    StaffAccount,
)
from backend.models.inspections import PASSES, corrected_results, counted
from backend.shops import status

# An inspection's decided states (the values of %(…)s in messages), for the catalog.
_WORDS = (N_("confirmed"), N_("rejected"), N_("superseded"))


def inspections_in_scope(staff: StaffAccount, filters: dict | None = None):
    """Inspections of shops in `staff`'s subtree, newest first; `confirmation` picks a state
    ("confirmed" includes every inspection recorded on site)."""
    query = (
        Inspection.select(Inspection, Shop)
        .join(Shop)
        .where(scope.under(Shop.region_path, staff.region_path))
        .order_by(Inspection.recorded_at.desc(), Inspection.id.desc())
    )
    filters = filters or {}
    wanted = filters.get("confirmation")
    if wanted == "confirmed":
        query = query.where(counted())
    elif wanted:
        query = query.where(
            Inspection.id.in_(
                InspectionConfirmation.select(InspectionConfirmation.inspection).where(
                    InspectionConfirmation.state == wanted
                )
            )
        )
    if filters.get("shop_id"):
        query = query.where(Shop.public_id == filters["shop_id"])
    return query


def confirm(staff: StaffAccount, inspection_id: str) -> Inspection:
    """The inspection counts from now: the shop's result, status and grade follow it, the
    order it asked for is made, and the owners are told — as if recorded on site today."""
    actor = lifecycle.actor_for_staff(staff)
    with write_transaction():
        inspection, shop, held = _undecided(staff, inspection_id)
        status.refuse_if_closed(shop)
        corrected = _corrected_result(inspection)
        result = corrected or inspection.result
        superseded = pending_before(shop, inspection.recorded_at)
        event = lifecycle.append(
            shop,
            "inspection.confirmed",
            actor,
            {
                "inspection": inspection.public_id,
                "refers_to_seq": inspection.event_seq,
                "result": result,
                "supersedes": [waiting.inspection.public_id for waiting in superseded],
            },
        )
        _decide(held, "confirmed", staff, event.seq)
        supersede(superseded, event.seq)
        # A correction to a pass would have withdrawn the order: it is not made at all.
        deadline = None if corrected in PASSES else _deadline(held, inspection)
        inspection.order = take_effect(shop, inspection, result, deadline, held.requirements, actor)
        inspection.shop_after = shop
        audit.record(
            "inspection.confirmed",
            "inspection",
            inspection.public_id,
            shop.region_path,
            staff=staff,
            detail={"result": result, "supersedes": len(superseded)},
        )
        tell_result(shop, result, inspection.order)
    return inspection


def reject(staff: StaffAccount, inspection_id: str, reason: str) -> Inspection:
    """The inspection stays on the shop's record, marked rejected, and changes nothing."""
    actor = lifecycle.actor_for_staff(staff)
    with write_transaction():
        inspection, shop, held = _undecided(staff, inspection_id)
        status.refuse_if_closed(shop)
        event = lifecycle.append(
            shop,
            "inspection.rejected",
            actor,
            {
                "inspection": inspection.public_id,
                "refers_to_seq": inspection.event_seq,
                "reason": reason,
            },
        )
        _decide(held, "rejected", staff, event.seq, reason)
        inspection.order, inspection.shop_after = None, shop
        audit.record(
            "inspection.rejected",
            "inspection",
            inspection.public_id,
            shop.region_path,
            staff=staff,
            detail={"reason": reason},
        )
    return inspection


def _undecided(
    staff: StaffAccount, inspection_id: str
) -> tuple[Inspection, Shop, InspectionConfirmation]:
    """The inspection in scope, its shop locked, and its decision still to make.

    The decision row is read after the shop's lock, which every write to it takes first,
    so two admins deciding at once are served one after the other: the second gets 409.
    """
    inspection = inspection_in_scope(staff, inspection_id)
    shop = lock_for_update(Shop.select().where(Shop.id == inspection.shop_id)).get()
    held = InspectionConfirmation.get_or_none(InspectionConfirmation.inspection == inspection.id)
    if held is None:
        raise Conflict(
            "this inspection was recorded at the shop and needs no confirmation",
            key="inspection_needs_no_confirmation",
        )
    if held.state != "pending":
        raise Conflict(
            "this inspection was already %(state)s",
            key="inspection_already_decided",
            params={"state": i18n.Word(held.state)},
        )
    return inspection, shop, held


def _decide(
    held: InspectionConfirmation,
    state: str,
    staff: StaffAccount,
    event_seq: int,
    reason: str | None = None,
) -> None:
    held.state, held.decided_by, held.decided_at = state, staff, clock.now()
    held.event_seq, held.reason = event_seq, reason
    held.save()


def _deadline(held: InspectionConfirmation, inspection: Inspection) -> date | None:
    """The order's deadline, counted from today: the shop hears of the order only now, so
    it gets the days the inspector gave it, not what the wait has left of them."""
    if held.rectify_by is None:
        return None
    given = held.rectify_by - clock.local_date(inspection.recorded_at)
    return clock.today_local() + given


def _corrected_result(inspection: Inspection) -> str | None:
    """The result as the latest correction gives it, if one gave a result while it waited."""
    return corrected_results([inspection.id]).get(inspection.id)
