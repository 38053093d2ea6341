"""A shop's status, and the one rule for changing it: pending → active or closed by the
decision on its registration; active ⇄ suspended and either → closed by an admin, and
active → suspended by a failed inspection. Closed is the end: its record is history.

Every change goes through `move`, which writes the lifecycle event in the caller's
transaction; the caller holds the shop's row lock and saves the shop.
"""

from __future__ import annotations

from backend import audit, clock, i18n, lifecycle, scope
from backend.db import write_transaction
from backend.errors import Conflict, Invalid
from backend.i18n import N_
from backend.models import Shop, StaffAccount

# A shop's status in the reader's words (the values of %(…)s in messages), for the catalog.
_WORDS = (N_("pending"), N_("active"), N_("suspended"), N_("closed"))

MOVES = {
    "pending": ("active", "closed"),
    "active": ("suspended", "closed"),
    "suspended": ("active", "closed"),
    "closed": (),
}
# An admin moves an approved shop; a pending one moves only by the decision on its request.
MOVED_BY_ADMINS = ("active", "suspended")
STATUS_CHANGED = "shop.status_changed"


def move(
    shop: Shop,
    to: str,
    actor: str,
    payload: dict,
    event: str = STATUS_CHANGED,
    cause: str | None = None,
) -> None:
    """Record `event` with `payload` on the shop's chain and give it status `to`, for
    `cause` (facts.STATUS_CAUSES) when it is suspended or closed."""
    if to not in MOVES[shop.status]:
        raise _not_allowed(shop.status, to)
    lifecycle.append(shop, event, actor, payload)
    shop.status, shop.updated_at = to, clock.now()
    shop.status_cause = cause if to in ("suspended", "closed") else None


def _not_allowed(status: str, to: str) -> Invalid:
    return Invalid.field(
        "status",
        "a %(status)s shop cannot become %(to)s",
        key="status_change_not_allowed",
        params={"status": i18n.Word(status), "to": i18n.Word(to)},
    )


def change(staff: StaffAccount, shop_id: str, to: str, reason: str) -> Shop:
    """An admin's decision to suspend, reopen or close a shop in their scope."""
    with write_transaction():
        shop = scope.shop(staff, shop_id, lock=True)
        if shop.status not in MOVED_BY_ADMINS:
            raise _not_allowed(shop.status, to)
        move(
            shop,
            to,
            lifecycle.actor_for_staff(staff),
            {"from": shop.status, "to": to, "reason": reason},
            cause="admin_decision",
        )
        shop.save()
        audit.record(
            "shop.status_changed",
            "shop",
            shop.public_id,
            shop.region_path,
            staff=staff,
            detail={"to": to, "reason": reason},
        )
    return shop


def suspend_after_failure(shop: Shop, actor: str, reason: str) -> None:
    """A failed inspection suspends a trading shop (a suspended one stays so); lifting it
    stays an admin's decision."""
    if shop.status == "active":
        payload = {"from": "active", "to": "suspended", "reason": reason}
        move(shop, "suspended", actor, payload, cause="inspection_failed")


def refuse_if_closed(shop) -> None:
    """A closed shop's record is history: its people still read it, nobody changes it.

    A pending shop is not refused: its owner gathers licences, staff and honours before
    an admin approves it (only its code waits for the approval)."""
    if shop.status == "closed":
        raise Conflict(
            "this shop is closed: its record can be read but no longer changed",
            key="shop_closed",
            errors={"path": {"shop_id": ["closed"]}},
        )
