"""Each step an order takes, checked: who may take it, from which states, with what it
needs; then written with its history event (and the reporter's message) in one
transaction.

    received/returned ─dispatch→ dispatched ─sign→ signed ─start→ in_progress ─resolve→
    resolved ─rate/close→ closed;  dispatched ─return→ returned;  transfer, extension,
    reopen, merge and supervision beside them.
"""

from __future__ import annotations

import json
from datetime import timedelta

from backend import clock, i18n, lifecycle, workdays
from backend.db import write_transaction
from backend.errors import Conflict, Invalid
from backend.i18n import N_
from backend.models import ServiceCategory, StaffAccount, User, WorkOrder
from backend.models.workorders import OPEN_STATES
from backend.ratings import complaints
from backend.workorders import history, messages, orders, routing

# A state in the reader's words (the values of %(…)s in messages), for the catalog.
_WORDS = (
    N_("received"),
    N_("dispatched"),
    N_("returned"),
    N_("signed"),
    N_("in_progress"),
    N_("resolved"),
    N_("closed"),
    N_("merged"),
)
REOPEN_WITHIN = timedelta(days=7)
FINDINGS = ("substantiated", "not_substantiated")
# Orders their own procedure decides (an appeal's decision, a re-rating's visit, in
# backend/grades): the generic resolve and reopen are not open to them.
DECIDED_ELSEWHERE = ("appeal", "rerating")


def _from(order: WorkOrder, *states: str) -> None:
    if order.state not in states:
        raise Conflict(
            "this work order is %(state)s; that step is not open to it",
            key="work_order_state",
            params={"state": i18n.Word(order.state)},
        )


def _staff_step(staff: StaffAccount, number: str, states, as_dispatcher: bool) -> WorkOrder:
    order = orders.find(staff, number, lock=True)
    (orders.require_dispatcher if as_dispatcher else orders.require_department)(staff, order)
    _from(order, *states)
    return order


def _not_decided_elsewhere(order: WorkOrder) -> None:
    if order.source in DECIDED_ELSEWHERE:
        raise Conflict(
            "this order is decided by its appeal or re-rating visit, not by this step",
            key="decided_elsewhere",
        )


def settle(order: WorkOrder, actor: str, result: str, detail: dict) -> None:
    """办结 of an order its own procedure has decided, in the caller's transaction."""
    _from(order, *OPEN_STATES)
    order.state, order.resolved_at, order.result = "resolved", clock.now(), result
    orders.set_step_deadline(order, order.resolved_at, None)
    orders.save(order)
    history.append(
        order,
        "order.resolved",
        actor,
        {"result": result, "on_time": orders.resolved_on_time(order), **detail},
    )
    messages.tell_reporter(order, "resolved")


def _reason(text: str | None, field: str = "reason") -> str:
    text = (text or "").strip()
    if not text:
        raise Invalid.field(field, "a reason is needed for this step", key="reason_required")
    return text


# -- the department ------------------------------------------------------------------------
def sign(staff: StaffAccount, number: str) -> WorkOrder:
    with write_transaction():
        order = _staff_step(staff, number, ("dispatched",), as_dispatcher=False)
        now = clock.now()
        order.state, order.signed_at = "signed", now
        orders.set_step_deadline(order, order.dispatched_at, order.resolve_due_at)
        orders.save(order)
        history.append(order, "order.signed", lifecycle.actor_for_staff(staff))
        if order.source == "complaint":  # signing a complaint is accepting it
            complaints.decided(order, "accepted", lifecycle.actor_for_staff(staff))
    return order


def decline(staff: StaffAccount, number: str, reason: str) -> WorkOrder:
    """不予受理: a complaint the regulator does not take up, with why; it is closed and
    its complainant told."""
    with write_transaction():
        order = _staff_step(staff, number, ("dispatched",), as_dispatcher=False)
        if order.source != "complaint":
            raise Conflict(
                "only a complaint is declined; send anything else back", key="not_a_complaint"
            )
        reason = _reason(reason)
        actor = lifecycle.actor_for_staff(staff)
        order.result = f"不予受理：{reason}"
        history.append(order, "order.declined", actor, {"reason": reason})
        complaints.decided(order, "not_accepted", actor)
        _close(order, actor)
    return order


def send_back(staff: StaffAccount, number: str, reason: str) -> WorkOrder:
    """退单: not this department's to handle; back to the dispatchers, with why."""
    with write_transaction():
        order = _staff_step(staff, number, ("dispatched",), as_dispatcher=False)
        reason = _reason(reason)
        department = order.department_id
        order.state, order.department, order.returned = "returned", None, order.returned + 1
        orders.set_step_deadline(order, clock.now(), None)
        orders.save(order)
        history.append(
            order,
            "order.returned",
            lifecycle.actor_for_staff(staff),
            {"department": department, "reason": reason},
        )
    return order


def start(staff: StaffAccount, number: str) -> WorkOrder:
    with write_transaction():
        order = _staff_step(staff, number, ("signed",), as_dispatcher=False)
        order.state = "in_progress"
        orders.save(order)
        history.append(order, "order.started", lifecycle.actor_for_staff(staff))
    return order


def resolve(
    staff: StaffAccount,
    number: str,
    result: str,
    photos: list[str],
    finding: str | None = None,
) -> WorkOrder:
    """办结: what was done, and photos that show it; for a complaint, whether it was
    substantiated (photos then as the case has them)."""
    with write_transaction():
        order = _staff_step(staff, number, ("signed", "in_progress"), as_dispatcher=False)
        _not_decided_elsewhere(order)
        result = (result or "").strip()
        if not result:
            raise Invalid.field("result", "say what was done", key="result_required")
        if order.source == "complaint":
            if finding not in FINDINGS:
                raise Invalid.field(
                    "finding", "say whether the complaint was substantiated", key="finding_required"
                )
            evidence = orders.own_photos(staff.user_id, photos)
            complaints.decided(order, finding, lifecycle.actor_for_staff(staff))
        else:
            evidence = _evidence(staff, photos)
        order.state, order.resolved_at = "resolved", clock.now()
        order.result, order.result_photos = result, json.dumps(evidence)
        orders.set_step_deadline(order, order.resolved_at, None)
        orders.save(order)
        history.append(
            order,
            "order.resolved",
            lifecycle.actor_for_staff(staff),
            {
                "result": result,
                "photos": evidence,
                "on_time": orders.resolved_on_time(order),
                "finding": finding if order.source == "complaint" else None,
            },
        )
        messages.tell_reporter(order, "resolved")
    return order


def _evidence(staff: StaffAccount, photos: list[str]) -> list[str]:
    if not photos:
        raise Invalid.field("photos", "resolving needs a photo of the result", key="photo_required")
    return orders.own_photos(staff.user_id, photos)


def transfer(staff: StaffAccount, number: str, department_id: int, reason: str) -> WorkOrder:
    """转办: to another department, by the one holding it or by a dispatcher."""
    with write_transaction():
        order = orders.find(staff, number, lock=True)
        if order.department_id != staff.department_id:
            orders.require_dispatcher(staff, order)
        _from(order, "dispatched", "signed", "in_progress")
        reason = _reason(reason)
        department = routing.department_for(staff, department_id)
        if department.id == order.department_id:
            raise Invalid.field(
                "department", "the order is with this department already", key="same_department"
            )
        history.append(
            order,
            "order.transferred",
            lifecycle.actor_for_staff(staff),
            {"from": order.department_id, "to": department.id, "reason": reason},
        )
        orders.dispatch_to(order, department, lifecycle.actor_for_staff(staff))
    return order


def ask_extension(staff: StaffAccount, number: str, days: int, reason: str) -> WorkOrder:
    """延期: the department asks for more working days; a dispatcher decides."""
    with write_transaction():
        order = _staff_step(staff, number, ("signed", "in_progress"), as_dispatcher=False)
        reason = _reason(reason)
        if order.extension_asked is not None:
            raise Conflict(
                "an extension is already waiting for a decision", key="extension_waiting"
            )
        order.extension_asked = days
        orders.save(order)
        history.append(
            order,
            "order.extension_asked",
            lifecycle.actor_for_staff(staff),
            {"days": days, "reason": reason},
        )
    return order


def decide_extension(staff: StaffAccount, number: str, grant: bool, note: str | None):
    with write_transaction():
        order = _staff_step(staff, number, ("signed", "in_progress"), as_dispatcher=True)
        if order.extension_asked is None:
            raise Conflict("no extension is waiting for a decision", key="no_extension_waiting")
        days, order.extension_asked = order.extension_asked, None
        if grant:
            # From the end of the day it was due: its N working days come after that one.
            order.resolve_due_at = workdays.calendar().after(
                order.resolve_due_at - timedelta(seconds=1), days
            )
            orders.set_step_deadline(order, order.dispatched_at, order.resolve_due_at)
        orders.save(order)
        history.append(
            order,
            "order.extension_granted" if grant else "order.extension_refused",
            lifecycle.actor_for_staff(staff),
            {"days": days, "note": (note or "").strip() or None, "due": order.resolve_due_at},
        )
    return order


# -- the dispatcher ------------------------------------------------------------------------
def dispatch(staff: StaffAccount, number: str, department_id: int) -> WorkOrder:
    """By hand: an order no rule caught, one sent back, or one to send elsewhere before
    it is signed."""
    with write_transaction():
        order = _staff_step(staff, number, ("received", "returned", "dispatched"), True)
        department = routing.department_for(staff, department_id)
        orders.dispatch_to(order, department, lifecycle.actor_for_staff(staff))
    return order


def supervise(staff: StaffAccount, number: str, note: str) -> WorkOrder:
    """督办: a dispatcher's note on an order running late, counted, on its history, and
    sent to the staff of the department that holds it."""
    with write_transaction():
        order = _staff_step(staff, number, OPEN_STATES, as_dispatcher=True)
        note = _reason(note, "note")
        order.supervised += 1
        orders.save(order)
        history.append(
            order,
            "order.supervised",
            lifecycle.actor_for_staff(staff),
            {"note": note, "sla": order.sla, "department": order.department_id},
        )
        messages.tell_department(order, note)
    return order


def close(staff: StaffAccount, number: str) -> WorkOrder:
    """A resolved order whose reporter has not rated it (or that has no reporter)."""
    with write_transaction():
        order = _staff_step(staff, number, ("resolved",), as_dispatcher=True)
        _close(order, lifecycle.actor_for_staff(staff))
    return order


def _close(order: WorkOrder, actor: str) -> None:
    order.state, order.closed_at = "closed", clock.now()
    orders.save(order)
    history.append(order, "order.closed", actor)
    messages.tell_reporter(order, "closed")


def merge(staff: StaffAccount, number: str, into: str) -> WorkOrder:
    """A duplicate joins the order it repeats: its reporter follows that one from now."""
    with write_transaction():
        order = _staff_step(staff, number, OPEN_STATES, as_dispatcher=True)
        survivor = orders.find(staff, into, lock=True)
        orders.require_dispatcher(staff, survivor)
        if survivor.id == order.id:
            raise Invalid.field("into", "an order cannot be merged into itself", key="same_order")
        _from(survivor, *OPEN_STATES)
        order.state, order.merged_into = "merged", survivor
        orders.set_step_deadline(order, clock.now(), None)
        orders.save(order)
        actor = lifecycle.actor_for_staff(staff)
        history.append(order, "order.merged", actor, {"into": survivor.number})
        history.append(survivor, "order.duplicate_merged", actor, {"duplicate": order.number})
        messages.tell_reporter(order, "merged")
    return order


# -- the person who raised it --------------------------------------------------------------
def rate(user: User, number: str, rating: str, comment: str | None) -> WorkOrder:
    """回访: the reporter says how satisfied they are, which closes the order."""
    with write_transaction():
        order = orders.mine(user, number, lock=True)
        _from(order, "resolved")
        order.rating, order.rating_comment = rating, (comment or "").strip() or None
        history.append(order, "order.rated", lifecycle.actor_for_user(user), {"rating": rating})
        _close(order, lifecycle.actor_for_user(user))
    return order


def reopen_mine(user: User, number: str, reason: str) -> WorkOrder:
    """Unsatisfied, the reporter may reopen it once, within REOPEN_WITHIN of closing."""
    with write_transaction():
        order = orders.mine(user, number, lock=True)
        _from(order, "closed")
        _not_decided_elsewhere(order)
        if order.rating != "unsatisfied" or order.reopened:
            raise Conflict("this order cannot be reopened", key="reopen_not_allowed")
        if clock.now() - order.closed_at > REOPEN_WITHIN:
            raise Conflict("an order is reopened within 7 days of closing", key="reopen_too_late")
        _reopen(order, lifecycle.actor_for_user(user), _reason(reason))
    return order


def reopen(staff: StaffAccount, number: str, reason: str) -> WorkOrder:
    with write_transaction():
        order = _staff_step(staff, number, ("resolved", "closed"), as_dispatcher=True)
        _not_decided_elsewhere(order)
        _reopen(order, lifecycle.actor_for_staff(staff), _reason(reason))
    return order


def _reopen(order: WorkOrder, actor: str, reason: str) -> None:
    """Back to its department, in progress, with a fresh time to resolve it."""
    now = clock.now()
    category = ServiceCategory.get_by_id(order.category_id)
    order.state, order.reopened = "in_progress", order.reopened + 1
    order.closed_at = order.resolved_at = order.rating = None
    order.resolve_due_at = workdays.calendar().after(now, category.resolve_working_days)
    orders.set_step_deadline(order, now, order.resolve_due_at)
    orders.save(order)
    history.append(order, "order.reopened", actor, {"reason": reason})
    messages.tell_reporter(order, "reopened")
