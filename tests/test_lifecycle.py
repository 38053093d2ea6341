"""The lifecycle record: append-only, hash-chained, never forked, never half-written."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend import lifecycle
from backend.db import database
from backend.models import Licence, LifecycleEvent, Shop
from backend.models.lifecycle import AppendOnly
from tests.factories import ApiClient


@pytest.fixture
def shop(make):
    places = make.region_tree()
    return make.shop("owner", places["street_a"])


def _verify(shop_id: int):
    with database.connection_context():
        return lifecycle.verify(Shop.get_by_id(shop_id))


def test_chain_verifies_after_a_mixed_sequence_of_writes(client, make, shop):
    owner = client.login("owner")
    base = f"/api/v1/merchant/shops/{shop.public_id}"
    licence = make.licence(shop, date(2027, 1, 1))
    owner.patch(base, json={"opening_hours": "08:00-20:00"})
    owner.post(f"{base}/licences/{licence.public_id}/renewal", json={"valid_to": "2032-01-01"})
    employee = owner.post(
        f"{base}/employees",
        json={
            "name": "张伟",
            "health_cert_number": "JK20240001",
            "health_cert_expires": "2027-06-01",
        },
    ).get_json()
    owner.post(f"{base}/honours", json={"title": "放心消费示范店", "issuer": "区消保委"})
    owner.delete(f"{base}/employees/{employee['id']}")
    owner.post(f"{base}/code/reissue")
    owner.delete(f"{base}/licences/{licence.public_id}")

    verdict = _verify(shop.id)
    assert verdict.ok and verdict.length >= 10
    types = [e["type"] for e in owner.get(f"{base}/lifecycle?page_size=50").get_json()]
    assert types[-1] == "shop.registered" and types[0] == "licence.removed"
    assert {
        "shop.approved",
        "code.issued",
        "code.reissued",
        "licence.renewed",
        "employee.removed",
        "honour.added",
    } <= set(types)


def test_events_are_numbered_from_one_and_linked(client, shop):
    events = (
        client.login("owner")
        .get(f"/api/v1/merchant/shops/{shop.public_id}/lifecycle?page_size=50")
        .get_json()
    )
    events.reverse()
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["prev_hash"] == "0" * 64
    for before, after in pairwise(events):
        assert after["prev_hash"] == before["hash"]


def test_lifecycle_is_paginated(client, shop):
    response = client.login("owner").get(
        f"/api/v1/merchant/shops/{shop.public_id}/lifecycle?page=1&page_size=1"
    )
    assert len(response.get_json()) == 1
    assert '"total"' in response.headers["X-Pagination"]


def test_no_model_method_updates_or_deletes_an_event(shop):
    with database.connection_context():
        event = LifecycleEvent.select().where(LifecycleEvent.shop == shop.id).first()
        event.type = "shop.closed"
        with pytest.raises(AppendOnly):
            event.save()
        with pytest.raises(AppendOnly):
            event.delete_instance()
        with pytest.raises(AppendOnly):
            LifecycleEvent.update(type="x")
        with pytest.raises(AppendOnly):
            LifecycleEvent.delete()


def _with_params(sql: str) -> str:
    """Raw SQL with the driver's own placeholders: the record is tampered with outside the
    models, which refuse to change an event."""
    return sql.replace("?", database.param)


def test_editing_a_row_in_the_database_is_caught_by_verify(shop):
    with database.connection_context():
        database.execute_sql(
            _with_params("UPDATE lifecycle_event SET payload = ? WHERE shop_id = ? AND seq = 1"),
            ('{"name":"假店"}', shop.id),
        )
    verdict = _verify(shop.id)
    assert not verdict.ok and verdict.first_broken_seq == 1


def test_deleting_the_last_event_is_caught_by_verify(shop):
    with database.connection_context():
        last = Shop.get_by_id(shop.id).lifecycle_seq
        database.execute_sql(
            _with_params("DELETE FROM lifecycle_event WHERE shop_id = ? AND seq = ?"),
            (shop.id, last),
        )
    verdict = _verify(shop.id)
    assert not verdict.ok and verdict.first_broken_seq == last


def test_concurrent_writes_to_one_shop_never_fork_the_chain(app, client, shop):
    owner_tokens = [client.login("owner") for _ in range(4)]
    errors = []

    def edit(worker: ApiClient, n: int):
        for i in range(5):
            response = worker.patch(
                f"/api/v1/merchant/shops/{shop.public_id}",
                json={"opening_hours": f"{n:02d}:{i:02d}-22:00"},
            )
            if response.status_code != 200:
                errors.append(response.get_json())

    threads = [
        threading.Thread(target=edit, args=(ApiClient(app, c.token), n))
        for n, c in enumerate(owner_tokens)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    verdict = _verify(shop.id)
    assert verdict.ok
    with database.connection_context():
        seqs = [
            e.seq
            for e in LifecycleEvent.select()
            .where(LifecycleEvent.shop == shop.id)
            .order_by(LifecycleEvent.seq)
        ]
        assert seqs == list(range(1, len(seqs) + 1))
        changes = (
            LifecycleEvent.select()
            .where(
                (LifecycleEvent.shop == shop.id) & (LifecycleEvent.type == "shop.profile_changed")
            )
            .count()
        )
    assert changes == 20


def test_a_failed_request_leaves_neither_the_change_nor_its_event(client, make, shop):
    owner = client.login("owner")
    licence = make.licence(shop, date(2030, 1, 1))
    with database.connection_context():
        before = Shop.get_by_id(shop.id).lifecycle_seq
    # The renewal validates only after the row is read inside the transaction.
    response = owner.post(
        f"/api/v1/merchant/shops/{shop.public_id}/licences/{licence.public_id}/renewal",
        json={"valid_to": "2029-01-01"},
    )
    assert response.status_code == 422
    assert "valid_to" in response.get_json()["errors"]["json"]
    with database.connection_context():
        assert Shop.get_by_id(shop.id).lifecycle_seq == before
        assert LifecycleEvent.select().where(LifecycleEvent.shop == shop.id).count() == before
    assert _verify(shop.id).ok


def test_a_failure_after_the_event_rolls_the_event_back(app, shop):
    """The event is written first; a later failure in the same unit of work undoes it."""
    from backend.db import write_transaction

    with app.app_context(), database.connection_context():
        before = Shop.get_by_id(shop.id).lifecycle_seq
        with pytest.raises(RuntimeError), write_transaction():
            lifecycle.append(
                Shop.get_by_id(shop.id), "shop.profile_changed", "user:1", {"name": "x"}
            )
            raise RuntimeError("the rest of the request failed")
        assert Shop.get_by_id(shop.id).lifecycle_seq == before
        assert LifecycleEvent.select().where(LifecycleEvent.shop == shop.id).count() == before


def test_a_gap_in_the_sequence_is_reported_as_the_missing_event(make, shop):
    """An event removed from the middle, its successors renumbered by hand, still shows."""
    make.licence(shop, date(2027, 1, 1))
    with database.connection_context():
        length = Shop.get_by_id(shop.id).lifecycle_seq
        database.execute_sql(
            _with_params("DELETE FROM lifecycle_event WHERE shop_id = ? AND seq = ?"), (shop.id, 2)
        )
    verdict = _verify(shop.id)
    assert (verdict.ok, verdict.first_broken_seq, verdict.reason) == (False, 2, "missing event")
    assert verdict.length == 1 < length


def test_an_event_pointing_at_another_predecessor_is_caught_at_that_event(make, shop):
    make.licence(shop, date(2027, 1, 1))
    with database.connection_context():
        database.execute_sql(
            _with_params("UPDATE lifecycle_event SET prev_hash = ? WHERE shop_id = ? AND seq = 2"),
            ("f" * 64, shop.id),
        )
    verdict = _verify(shop.id)
    assert (verdict.ok, verdict.first_broken_seq, verdict.reason) == (
        False,
        2,
        "prev_hash does not match",
    )


def test_an_event_is_appended_only_inside_a_write_and_only_of_a_known_type(app, shop):
    with database.connection_context():
        fresh = Shop.get_by_id(shop.id)
        with pytest.raises(RuntimeError, match="inside a write transaction"):
            lifecycle.append(fresh, "shop.profile_changed", lifecycle.SYSTEM, {})
        with database.atomic(), pytest.raises(ValueError, match="unknown lifecycle event type"):
            lifecycle.append(fresh, "shop.renamed", lifecycle.SYSTEM, {})
    assert _verify(shop.id).ok


def test_a_payload_writes_days_and_moments_as_iso_and_refuses_anything_else():
    from datetime import datetime, timedelta, timezone

    moment = datetime(2026, 12, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    assert lifecycle.canonical({"b": date(2026, 12, 1), "a": moment}) == (
        '{"a":"2026-12-01T00:00:00+00:00","b":"2026-12-01"}'
    )
    with pytest.raises(TypeError, match="set"):
        lifecycle.canonical({"tags": {"干净"}})


# -- every change to the record, not a few ----------------------------------------------------
FIELDS = ("shop", "seq", "type", "occurred_at", "actor", "payload", "prev_hash")
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


@given(JSON)
def test_a_payload_hashes_the_same_after_a_round_trip_and_in_any_key_order(payload):
    body = lifecycle.canonical(payload)
    assert lifecycle.canonical(json.loads(body)) == body
    if isinstance(payload, dict):
        reordered = dict(reversed(list(payload.items())))
        assert lifecycle.canonical(reordered) == body


@given(st.sampled_from(FIELDS), st.data())
def test_the_hash_covers_every_field_of_an_event(field, data):
    event = {
        "shop": "SHOP000001",
        "seq": 3,
        "type": "licence.added",
        "occurred_at": datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
        "actor": "user:7",
        "payload": '{"licence":"L1"}',
        "prev_hash": "a" * 64,
    }
    other = {
        "shop": st.text(min_size=1, max_size=12),
        "seq": st.integers(1, 10_000),
        "type": st.sampled_from(lifecycle.EVENT_TYPES),
        "occurred_at": st.datetimes(timezones=st.just(UTC)),
        "actor": st.text(max_size=12),
        "payload": JSON.map(lifecycle.canonical),
        "prev_hash": st.text("0123456789abcdef", min_size=64, max_size=64),
    }[field]
    changed = {**event, field: data.draw(other.filter(lambda value: value != event[field]))}
    assert lifecycle.event_hash(*changed.values()) != lifecycle.event_hash(*event.values())


def _tamper(kind: str, seq: int, shop_id: int) -> None:
    sql = {
        "type": "UPDATE lifecycle_event SET type = 'shop.closed' WHERE shop_id = ? AND seq = ?",
        "actor": "UPDATE lifecycle_event SET actor = 'system' WHERE shop_id = ? AND seq = ?",
        "payload": "UPDATE lifecycle_event SET payload = '{}' WHERE shop_id = ? AND seq = ?",
        "occurred_at": "UPDATE lifecycle_event SET occurred_at = '2001-01-01 00:00:00' "
        "WHERE shop_id = ? AND seq = ?",
        "prev_hash": "UPDATE lifecycle_event SET prev_hash = hash WHERE shop_id = ? AND seq = ?",
        "hash": "UPDATE lifecycle_event SET hash = prev_hash WHERE shop_id = ? AND seq = ?",
        "removed": "DELETE FROM lifecycle_event WHERE shop_id = ? AND seq = ?",
        "seq": "UPDATE lifecycle_event SET seq = seq + 1000 WHERE shop_id = ? AND seq = ?",
    }[kind]
    database.execute_sql(_with_params(sql), (shop_id, seq))


@pytest.fixture
def chain(make, shop):
    """A shop whose record holds a dozen events."""
    for year in range(2027, 2033):
        make.licence(shop, date(year, 1, 1), number=f"JY1310104{year}")
    with database.connection_context():
        return Shop.get_by_id(shop.id)


@given(
    st.sampled_from(
        ["type", "actor", "payload", "occurred_at", "prev_hash", "hash", "removed", "seq"]
    ),
    st.data(),
)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
def test_any_change_to_any_event_is_found_at_that_event(chain, kind, data):
    seq = data.draw(st.integers(1, chain.lifecycle_seq))
    with database.connection_context(), database.atomic() as transaction:
        _tamper(kind, seq, chain.id)
        verdict = lifecycle.verify(chain)
        transaction.rollback()
    assert (verdict.ok, verdict.first_broken_seq) == (False, seq), (kind, verdict)
    assert verdict.length == seq - 1 or (kind == "removed" and seq == chain.lifecycle_seq)


@given(st.data())
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=30)
def test_two_events_swapped_or_one_slipped_in_break_the_chain_where_it_starts(chain, data):
    first = data.draw(st.integers(1, chain.lifecycle_seq - 1))
    second = data.draw(st.integers(first + 1, chain.lifecycle_seq))
    swap = _with_params("UPDATE lifecycle_event SET seq = ? WHERE shop_id = ? AND seq = ?")
    with database.connection_context(), database.atomic() as transaction:
        for old, new in ((first, -1), (second, first), (-1, second)):
            database.execute_sql(swap, (new, chain.id, old))
        swapped = lifecycle.verify(chain)
        transaction.rollback()
    assert (swapped.ok, swapped.first_broken_seq) == (False, first)

    # A forger who hashes the slipped-in event correctly still breaks the link after it.
    at = data.draw(st.integers(1, chain.lifecycle_seq))
    with database.connection_context(), database.atomic() as transaction:
        later = LifecycleEvent.select().where(
            (LifecycleEvent.shop == chain.id) & (LifecycleEvent.seq >= at)
        )
        for event in sorted(later, key=lambda e: -e.seq):
            database.execute_sql(swap, (event.seq + 1, chain.id, event.seq))
        prev = LifecycleEvent.get_or_none(shop=chain.id, seq=at - 1)
        prev_hash = prev.hash if prev else "0" * 64
        moment = datetime(2026, 12, 1, tzinfo=UTC)
        digest = lifecycle.event_hash(
            chain.public_id, at, "shop.closed", moment, "system", "{}", prev_hash
        )
        insert = (
            "INSERT INTO lifecycle_event (shop_id, seq, type, occurred_at, actor, payload, "
            "prev_hash, hash) VALUES (?, ?, 'shop.closed', ?, 'system', '{}', ?, ?)"
        )
        database.execute_sql(
            _with_params(insert), (chain.id, at, moment.replace(tzinfo=None), prev_hash, digest)
        )
        slipped = lifecycle.verify(chain)
        transaction.rollback()
    assert (slipped.ok, slipped.first_broken_seq) == (False, at + 1)


# -- the encoding an auditor recomputes ------------------------------------------------------
# SHA-256 of the event as DESIGN.md fixes it: the canonical JSON (keys sorted, no spaces,
# UTF-8 as written) of every field but the hash, the time in UTC to the microsecond.
KNOWN_EVENT = {
    "shop": "SHOP000001",
    "seq": 3,
    "type": "licence.added",
    "occurred_at": "2026-12-01T00:30:00.250000Z",
    "actor": "user:7",
    "payload": '{"name":"王记生煎"}',
    "prev_hash": "a" * 64,
}
KNOWN_HASH = "b1c9085110e6863e7ee6865de53d7670811c0368286c40f019dd03b9d3895ea0"


@pytest.fixture
def shanghai_machine(monkeypatch):
    """A server whose local time is Shanghai's: nothing in a record may depend on it."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_hash_is_the_documented_encoding_whatever_the_servers_time_zone(shanghai_machine):
    body = json.dumps(KNOWN_EVENT, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(body.encode()).hexdigest() == KNOWN_HASH
    in_shanghai = datetime(2026, 12, 1, 8, 30, 0, 250000, tzinfo=timezone(timedelta(hours=8)))
    payload = lifecycle.canonical({"name": "王记生煎"})
    assert payload == KNOWN_EVENT["payload"]
    assert (
        lifecycle.event_hash(
            "SHOP000001", 3, "licence.added", in_shanghai, "user:7", payload, "a" * 64
        )
        == KNOWN_HASH
    )
    assert lifecycle.canonical({"at": in_shanghai}) == '{"at":"2026-12-01T00:30:00.250000+00:00"}'


def test_an_append_outside_a_write_says_so(app, shop):
    with database.connection_context(), pytest.raises(RuntimeError) as refused:
        lifecycle.append(Shop.get_by_id(shop.id), "shop.profile_changed", "system", {})
    assert str(refused.value) == "lifecycle.append must run inside a write transaction"


def test_each_shop_has_its_own_chain(app, make, shop):
    other = make.shop("owner_b", _street_of(shop))
    with database.connection_context():
        before = Shop.get_by_id(other.id).lifecycle_head
        with database.atomic():
            lifecycle.append(Shop.get_by_id(shop.id), "shop.profile_changed", "system", {})
        assert Shop.get_by_id(other.id).lifecycle_head == before
        for each in (shop, other):
            verdict = lifecycle.verify(Shop.get_by_id(each.id))
            assert verdict.ok and verdict.length == Shop.get_by_id(each.id).lifecycle_seq


def _street_of(shop):
    with database.connection_context():
        return Shop.get_by_id(shop.id).street


@pytest.mark.parametrize("column", ["lifecycle_seq", "lifecycle_head"])
def test_a_head_that_does_not_match_the_last_event_is_caught(app, shop, column):
    with database.connection_context():
        length = Shop.get_by_id(shop.id).lifecycle_seq
        value = length + 1 if column == "lifecycle_seq" else "b" * 64
        Shop.update({getattr(Shop, column): value}).where(Shop.id == shop.id).execute()
        verdict = lifecycle.verify(Shop.get_by_id(shop.id))
    assert verdict == lifecycle.Verdict(
        False, length, length + 1, "events after the last are missing"
    )


def test_an_altered_event_is_reported_as_altered(app, shop):
    with database.connection_context():
        database.execute_sql(
            _with_params(
                "UPDATE lifecycle_event SET actor = 'system' WHERE shop_id = ? AND seq = 1"
            ),
            (shop.id,),
        )
        verdict = lifecycle.verify(Shop.get_by_id(shop.id))
    assert verdict == lifecycle.Verdict(False, 0, 1, "event was altered")


def test_a_shops_only_child_row_is_read_under_its_lock(app, make, shop):
    only = make.licence(shop, date(2027, 1, 1), number="JY0000000001")
    with database.connection_context(), database.atomic():
        assert lifecycle.locked_with_its_shop(Licence, only.id).number == "JY0000000001"


def test_a_child_row_is_read_under_its_shops_lock_or_is_gone(app, make, shop):
    first = make.licence(shop, date(2027, 1, 1), number="JY0000000001")
    second = make.licence(shop, date(2028, 1, 1), number="JY0000000002")
    with database.connection_context(), database.atomic():
        assert lifecycle.locked_with_its_shop(Licence, second.id).number == "JY0000000002"
        assert lifecycle.locked_with_its_shop(Licence, first.id).number == "JY0000000001"
        assert lifecycle.locked_with_its_shop(Licence, second.id + 100) is None


def test_an_event_keeps_the_moment_it_is_given_and_still_verifies(app, shop):
    # An inspection's event carries the moment the inspection was recorded.
    when = datetime(2026, 11, 30, 23, 59, 30, 123456, tzinfo=UTC)
    with database.connection_context(), database.atomic():
        fresh = Shop.get_by_id(shop.id)
        event = lifecycle.append(fresh, "shop.profile_changed", lifecycle.SYSTEM, {}, when)
    with database.connection_context():
        assert LifecycleEvent.get_by_id(event.id).occurred_at == when
    assert _verify(shop.id).ok


def test_one_event_on_many_chains_continues_each_chain_and_no_other(app, make, shop):
    street = _street_of(shop)
    second, untouched = make.shop("owner_b", street), make.shop("owner_c", street)
    with database.connection_context():
        with database.atomic():  # the first shop's chain is longer than the second's
            lifecycle.append(Shop.get_by_id(shop.id), "shop.profile_changed", "system", {})
        before = {s.id: (s.lifecycle_seq, s.lifecycle_head) for s in Shop.select()}
        chosen = Shop.select(Shop.id).where(Shop.id.in_([shop.id, second.id]))
        with database.atomic():
            count = lifecycle.append_many(chosen, "policy.pushed", "system", {"policy": "p1"})
        assert count == 2
        for each in (shop, second):
            seq, head = before[each.id]
            after = Shop.get_by_id(each.id)
            event = LifecycleEvent.get(
                (LifecycleEvent.shop == each.id) & (LifecycleEvent.seq == seq + 1)
            )
            assert (event.type, event.actor, json.loads(event.payload)) == (
                "policy.pushed",
                "system",
                {"policy": "p1"},
            )
            assert (event.prev_hash, after.lifecycle_seq, after.lifecycle_head) == (
                head,
                seq + 1,
                event.hash,
            )
            assert lifecycle.verify(after).ok
        kept = Shop.get_by_id(untouched.id)
        assert (kept.lifecycle_seq, kept.lifecycle_head) == before[untouched.id]


def test_many_chains_at_once_only_inside_a_write_and_only_of_a_known_type(app, shop):
    every = Shop.select(Shop.id)
    with database.connection_context():
        with pytest.raises(RuntimeError) as outside:
            lifecycle.append_many(every, "policy.pushed", "system")
        assert str(outside.value) == "lifecycle.append_many must run inside a write transaction"
        with database.atomic(), pytest.raises(ValueError) as unknown:
            lifecycle.append_many(every, "policy.invented", "system")
        assert str(unknown.value) == "unknown lifecycle event type 'policy.invented'"
        with database.atomic():
            assert (
                lifecycle.append_many(
                    Shop.select(Shop.id).where(Shop.id < 0), "policy.pushed", "system"
                )
                == 0
            )


def test_more_chains_than_a_statement_takes_still_each_move_on(app, shop):
    """Events and heads are written 500 shops to a statement: past the second batch too."""
    with database.connection_context():
        template = Shop.get_by_id(shop.id)
        with database.atomic():
            Shop.insert_many(
                [
                    {
                        "public_id": f"many{i:08d}",
                        "name": f"店{i}",
                        "credit_code": template.credit_code,
                        "category": "catering",
                        "address": "天平路 1 号",
                        "street": template.street_id,
                        "region_path": template.region_path,
                        "status": "active",
                    }
                    for i in range(1001)
                ]
            ).execute()
        many = Shop.select(Shop.id).where(Shop.public_id.startswith("many"))
        with database.atomic():
            assert lifecycle.append_many(many, "policy.pushed", "system", {}) == 1001
        last = Shop.get(Shop.public_id == "many00001000")
        assert last.lifecycle_seq == 1 and lifecycle.verify(last).ok
