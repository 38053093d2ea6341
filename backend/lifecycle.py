"""Append to and verify a shop's hash chain (backend/chain.py, owner key "shop"): the only
way a lifecycle event is written."""

from __future__ import annotations

from datetime import datetime

from backend import chain
from backend.chain import Chain
from backend.db import lock_for_update, lock_row
from backend.models import LifecycleEvent, Shop

EVENT_TYPES = (
    "shop.registered",
    "shop.approved",
    "shop.rejected",
    "shop.claimed",
    "shop.imported",
    "shop.profile_changed",
    "shop.status_changed",
    "shop.member_added",
    "shop.member_removed",
    "licence.added",
    "licence.renewed",
    "licence.removed",
    "licence.expiring",
    "licence.expired",
    "licence.verified",
    "employee.added",
    "employee.updated",
    "employee.removed",
    "employee.certificate_expired",
    "honour.added",
    "honour.removed",
    "code.issued",
    "code.reissued",
    "inspection.recorded",
    "inspection.corrected",
    "inspection.imported",
    "inspection.confirmed",
    "inspection.rejected",
    "rectification.ordered",
    "rectification.submitted",
    "rectification.verified",
    "rectification.rejected",
    "rectification.overdue",
    "rectification.withdrawn",
    "rating.posted",
    "rating.replied",
    "rating.released",
    "complaint.filed",
    "complaint.substantiated",
    "policy.pushed",
    "appeal.filed",
    "appeal.decided",
    "reply.published",
    "reply.hidden",
    "rerating.requested",
    "rerating.done",
    "registry.checked",
    "registry.ended",
    "sampling.fulfilled",
)


CHAIN = Chain("lifecycle", Shop, LifecycleEvent, "shop", "public_id", EVENT_TYPES)
canonical = chain.canonical
Verdict = chain.Verdict


def event_hash(shop_public_id, seq, type_, occurred_at, actor, payload, prev_hash) -> str:
    return CHAIN.event_hash(shop_public_id, seq, type_, occurred_at, actor, payload, prev_hash)


def locked_with_its_shop(model, row_id: int):
    """A shop's child row (licence, employee, order, rating) read under its lock, taken
    after the shop's: the order every write to a shop keeps (see db.lock_for_update).
    None if the row is gone."""
    found = model.select(model.id, model.shop).where(model.id == row_id).first()
    if found is None:
        return None
    lock_row(Shop, found.shop_id)
    return lock_for_update(model.select().where(model.id == row_id)).first()


def append(
    shop: Shop,
    type_: str,
    actor: str,
    payload: dict | None = None,
    occurred_at: datetime | None = None,
) -> LifecycleEvent:
    """Add one event to `shop`'s chain. Call inside the caller's write transaction.

    The shop row is re-read under a lock, and `shop` is updated in place with the new
    head, so the caller may go on changing and saving it.
    """
    return CHAIN.append(shop, type_, actor, payload, occurred_at)


def append_many(shops, type_: str, actor: str, payload: dict | None = None) -> int:
    """The same event on the chain of every shop whose id the query `shops` selects."""
    return CHAIN.append_many(shops, type_, actor, payload)


def verify(shop: Shop) -> Verdict:
    """Walk the chain from seq 1 and report the first link that does not hold."""
    return CHAIN.verify(shop)


def actor_for_user(user) -> str:
    return f"user:{user.id}"


def actor_for_staff(staff) -> str:
    return f"staff:{staff.id}"


SYSTEM = "system"
# A resident's rating or complaint is on the shop's record without the account: the shop
# reads its record, and with the hash over every field it could try each user id until
# one matched, and so tell which rater also complained. The rows keep who it was.
RESIDENT = "resident"
