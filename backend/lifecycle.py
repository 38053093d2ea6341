"""Append to and verify a shop's hash chain: the only way a lifecycle event is written.

hash = SHA-256 of the canonical JSON of every other field (shop, seq, type,
occurred_at, actor, payload, prev_hash). The shop row holds the chain's head and is
locked for the append, so concurrent writers queue instead of forking the chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

from backend import clock
from backend.db import database, lock_for_update, lock_row
from backend.models import LifecycleEvent, Shop
from backend.models.shops import GENESIS_HASH

EVENT_TYPES = (
    "shop.registered",
    "shop.approved",
    "shop.rejected",
    "shop.claimed",
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
    "policy.pushed",
)


def _json_default(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON-serialisable in a lifecycle payload: {type(value).__name__}")


def canonical(value) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    )


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    shop_public_id: str,
    seq: int,
    type_: str,
    occurred_at: datetime,
    actor: str,
    payload: str,
    prev_hash: str,
) -> str:
    body = canonical(
        {
            "shop": shop_public_id,
            "seq": seq,
            "type": type_,
            "occurred_at": _timestamp(occurred_at),
            "actor": actor,
            "payload": payload,
            "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(body.encode()).hexdigest()


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
    if type_ not in EVENT_TYPES:
        raise ValueError(f"unknown lifecycle event type {type_!r}")
    if not database.in_transaction():
        raise RuntimeError("lifecycle.append must run inside a write transaction")
    head = lock_for_update(
        Shop.select(Shop.public_id, Shop.lifecycle_seq, Shop.lifecycle_head).where(
            Shop.id == shop.id
        )
    ).get()
    seq = head.lifecycle_seq + 1
    occurred_at = occurred_at or clock.now()
    body = canonical(payload or {})
    digest = event_hash(head.public_id, seq, type_, occurred_at, actor, body, head.lifecycle_head)
    event = LifecycleEvent.create(
        shop=shop.id,
        seq=seq,
        type=type_,
        occurred_at=occurred_at,
        actor=actor,
        payload=body,
        prev_hash=head.lifecycle_head,
        hash=digest,
    )
    Shop.update(lifecycle_seq=seq, lifecycle_head=digest).where(Shop.id == shop.id).execute()
    shop.lifecycle_seq, shop.lifecycle_head = seq, digest
    return event


@dataclass
class Verdict:
    ok: bool
    length: int
    first_broken_seq: int | None = None
    reason: str | None = None


def verify(shop: Shop) -> Verdict:
    """Walk the chain from seq 1 and report the first link that does not hold."""
    prev = GENESIS_HASH
    expected_seq = 0
    events = (
        LifecycleEvent.select().where(LifecycleEvent.shop == shop.id).order_by(LifecycleEvent.seq)
    )
    for event in events.iterator():
        expected_seq += 1
        if event.seq != expected_seq:
            return Verdict(False, expected_seq - 1, expected_seq, "missing event")
        if event.prev_hash != prev:
            return Verdict(False, expected_seq - 1, event.seq, "prev_hash does not match")
        recomputed = event_hash(
            shop.public_id,
            event.seq,
            event.type,
            event.occurred_at,
            event.actor,
            event.payload,
            event.prev_hash,
        )
        if recomputed != event.hash:
            return Verdict(False, expected_seq - 1, event.seq, "event was altered")
        prev = event.hash
    head = Shop.select(Shop.lifecycle_seq, Shop.lifecycle_head).where(Shop.id == shop.id).get()
    if head.lifecycle_seq != expected_seq or head.lifecycle_head != prev:
        return Verdict(False, expected_seq, expected_seq + 1, "events after the last are missing")
    return Verdict(True, expected_seq)


def actor_for_user(user) -> str:
    return f"user:{user.id}"


def actor_for_staff(staff) -> str:
    return f"staff:{staff.id}"


SYSTEM = "system"
# A resident's rating or complaint is on the shop's record without the account: the shop
# reads its record, and with the hash over every field it could try each user id until
# one matched, and so tell which rater also complained. The rows keep who it was.
RESIDENT = "resident"
