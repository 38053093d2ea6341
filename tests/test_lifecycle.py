"""The lifecycle record: append-only, hash-chained, never forked, never half-written."""

from __future__ import annotations

import threading
from datetime import date
from itertools import pairwise

import pytest

from backend import lifecycle
from backend.db import database
from backend.models import LifecycleEvent, Shop
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
