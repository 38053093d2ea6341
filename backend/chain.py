"""Hash chains: an owner's append-only record, each event sealing the one before it. A
shop's lifecycle (backend/lifecycle.py) and a work order's history are two of them.

hash = SHA-256 of the canonical JSON of every other field (the owner's public id under
the chain's owner key, seq, type, occurred_at, actor, payload, prev_hash). The owner's
row holds the chain's head and is locked for the append, so concurrent writers queue
instead of forking the chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

import peewee as pw

from backend import clock
from backend.db import database, lock_for_update
from backend.models.base import GENESIS_HASH


def _json_default(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON-serialisable in a chained payload: {type(value).__name__}")


def canonical(value) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    )


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Verdict:
    ok: bool
    length: int
    first_broken_seq: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Chain:
    """Which rows make one kind of chain. `owner_key` names the owner in each event's
    hashed body and is the events' foreign key to it; `public_id` is the owner's column
    hashed there; `types` the event types it may hold; `name` is what errors call it."""

    name: str
    owner: type[pw.Model]
    events: type[pw.Model]
    owner_key: str
    public_id: str
    types: tuple[str, ...]
    seq_field: str = "lifecycle_seq"
    head_field: str = "lifecycle_head"

    def event_hash(self, owner_public_id, seq, type_, occurred_at, actor, payload, prev_hash):
        body = canonical(
            {
                self.owner_key: owner_public_id,
                "seq": seq,
                "type": type_,
                "occurred_at": _timestamp(occurred_at),
                "actor": actor,
                "payload": payload,
                "prev_hash": prev_hash,
            }
        )
        return hashlib.sha256(body.encode()).hexdigest()

    def append(self, owner, type_: str, actor: str, payload=None, occurred_at=None):
        """Add one event to `owner`'s chain, inside the caller's write transaction; the
        owner row is re-read under a lock, and `owner` updated in place with the new
        head, so the caller may go on changing and saving it."""
        if type_ not in self.types:
            raise ValueError(f"unknown {self.name} event type {type_!r}")
        if not database.in_transaction():
            raise RuntimeError(f"{self.name}.append must run inside a write transaction")
        seq_column = getattr(self.owner, self.seq_field)
        head_column = getattr(self.owner, self.head_field)
        public_column = getattr(self.owner, self.public_id)
        head = lock_for_update(
            self.owner.select(public_column, seq_column, head_column).where(
                self.owner.id == owner.id
            )
        ).get()
        seq = getattr(head, self.seq_field) + 1
        prev = getattr(head, self.head_field)
        occurred_at = occurred_at or clock.now()
        body = canonical(payload or {})
        public_id = getattr(head, self.public_id)
        digest = self.event_hash(public_id, seq, type_, occurred_at, actor, body, prev)
        event = self.events.create(
            **{self.owner_key: owner.id},
            seq=seq,
            type=type_,
            occurred_at=occurred_at,
            actor=actor,
            payload=body,
            prev_hash=prev,
            hash=digest,
        )
        self.owner.update({seq_column: seq, head_column: digest}).where(
            self.owner.id == owner.id
        ).execute()
        setattr(owner, self.seq_field, seq)
        setattr(owner, self.head_field, digest)
        return event

    def append_many(self, owners: pw.SelectQuery, type_: str, actor: str, payload=None) -> int:
        """The same event on the chain of each owner whose id `owners` selects, inside the
        caller's write transaction: the heads read under lock (in id order, so two runs
        cannot deadlock), the events written in batches. How many were appended."""
        if type_ not in self.types:
            raise ValueError(f"unknown {self.name} event type {type_!r}")
        if not database.in_transaction():
            raise RuntimeError(f"{self.name}.append_many must run inside a write transaction")
        seq_column = getattr(self.owner, self.seq_field)
        head_column = getattr(self.owner, self.head_field)
        public_column = getattr(self.owner, self.public_id)
        heads = lock_for_update(
            self.owner.select(self.owner.id, public_column, seq_column, head_column)
            .where(self.owner.id.in_(owners))
            .order_by(self.owner.id)
        ).tuples()
        occurred_at, body = clock.now(), canonical(payload or {})
        stored_at = self.events.occurred_at.db_value(occurred_at)
        events, moved = [], []
        for owner_id, public_id, seq, prev in heads:
            digest = self.event_hash(public_id, seq + 1, type_, occurred_at, actor, body, prev)
            events.append((owner_id, seq + 1, type_, stored_at, actor, body, prev, digest))
            moved.append((owner_id, seq + 1, digest))
        # Names from the models, values as parameters.
        owner_column = getattr(self.events, self.owner_key).column_name
        insert = (
            f'INSERT INTO "{{table}}" ("{owner_column}", "seq", "type", "occurred_at", '  # noqa: S608
            '"actor", "payload", "prev_hash", "hash") VALUES {rows}'
        )
        self._execute_rows(insert, self.events, events)
        # UPDATE … FROM VALUES: both databases name a VALUES list's columns column1, …
        seq, head = seq_column.column_name, head_column.column_name
        update = (
            f'UPDATE "{{table}}" SET "{seq}" = v.column2, "{head}" = v.column3 '  # noqa: S608
            'FROM (VALUES {rows}) AS v WHERE "{table}"."id" = v.column1'
        )
        self._execute_rows(update, self.owner, moved)
        return len(moved)

    @staticmethod
    def _execute_rows(statement: str, model: type[pw.Model], rows: list[tuple]) -> None:
        """`statement` once for each 500 of `rows`, written into it as a VALUES list: one
        round trip for many rows, and no query builder spending longer than the database."""
        mark = database.param
        for batch in pw.chunked(rows, 500):
            values = ", ".join(["(" + ", ".join([mark] * len(batch[0])) + ")"] * len(batch))
            database.execute_sql(
                statement.format(table=model._meta.table_name, rows=values),
                [value for row in batch for value in row],
            )

    def verify(self, owner) -> Verdict:
        """Walk the chain from seq 1 and report the first link that does not hold."""
        prev = GENESIS_HASH
        expected_seq = 0
        owned = getattr(self.events, self.owner_key) == owner.id
        for event in self.events.select().where(owned).order_by(self.events.seq).iterator():
            expected_seq += 1
            if event.seq != expected_seq:
                return Verdict(False, expected_seq - 1, expected_seq, "missing event")
            if event.prev_hash != prev:
                return Verdict(False, expected_seq - 1, event.seq, "prev_hash does not match")
            recomputed = self.event_hash(
                getattr(owner, self.public_id),
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
        seq_column = getattr(self.owner, self.seq_field)
        head_column = getattr(self.owner, self.head_field)
        head = self.owner.select(seq_column, head_column).where(self.owner.id == owner.id).get()
        if getattr(head, self.seq_field) != expected_seq or getattr(head, self.head_field) != prev:
            return Verdict(
                False, expected_seq, expected_seq + 1, "events after the last are missing"
            )
        return Verdict(True, expected_seq)
