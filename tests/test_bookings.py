"""Bookings: limited places never overbooked, a per-resident share, cancelling frees a place."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from functools import partial

import pytest

from backend import clock
from backend.db import database
from backend.models import AuditEntry, Booking, BookingSlot, Region
from tests.factories import ApiClient, error_keys
from tests.races import at_once


def slot(hours_from_now: float, capacity: int, length_hours: float = 1) -> dict:
    starts = clock.now() + timedelta(hours=hours_from_now)
    return {
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=length_hours)).isoformat(),
        "capacity": capacity,
    }


def publish(
    client,
    staff: str,
    region: Region,
    slots: list[dict],
    per_resident: int = 1,
    title: str = "口罩领取",
) -> dict:
    response = client.login(staff).post(
        "/api/v1/admin/events",
        json={
            "region": region.code,
            "title": title,
            "description": "凭本人到居委会领取",
            "per_resident": per_resident,
            "slots": slots,
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def book(resident: ApiClient, event: dict, slot_index: int = 0):
    return resident.post(
        f"/api/v1/resident/events/{event['id']}/slots/{event['slots'][slot_index]['id']}/bookings"
    )


def stored_slot(slot_id: str) -> BookingSlot:
    with database.connection_context():
        return BookingSlot.get(BookingSlot.public_id == slot_id)


def test_two_hundred_residents_racing_for_fifty_places_get_exactly_fifty(app, client, make, places):
    event = publish(client, "cadre_a", places["community_a"], [slot(24, 50)])
    residents = []
    for i in range(200):
        make.member(f"racer{i}", places["community_a"])
        residents.append(ApiClient(app, client.login(f"racer{i}").token))

    responses = at_once(*[lambda r=r: book(r, event) for r in residents])

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 50, 409: 150}
    assert {tuple(error_keys(r)) for r in responses if r.status_code == 409} == {("slot_full",)}
    assert stored_slot(event["slots"][0]["id"]).booked == 50
    with database.connection_context():
        assert Booking.select().count() == 50
        assert len({b.user_id for b in Booking.select()}) == 50
    seen = residents[0].get(f"/api/v1/resident/events/{event['id']}").get_json()
    assert seen["slots"][0]["remaining"] == 0


def test_one_resident_gets_one_booking_per_event(client, places):
    event = publish(client, "cadre_a", places["community_a"], [slot(24, 10), slot(48, 10)])
    alice = client.login("alice")
    first = book(alice, event, 0)
    assert first.status_code == 201
    assert book(alice, event, 0).status_code == 409
    refused = book(alice, event, 1)
    assert refused.status_code == 409 and error_keys(refused) == ["booking_limit"]
    assert "1" in refused.get_json()["message"]
    assert stored_slot(event["slots"][1]["id"]).booked == 0
    mine = alice.get("/api/v1/resident/bookings").get_json()
    assert [b["id"] for b in mine] == [first.get_json()["id"]]
    assert mine[0]["event_title"] == "口罩领取"


@pytest.mark.parametrize("per_resident", [1, 2])
def test_one_residents_parallel_requests_stay_within_the_share(app, client, places, per_resident):
    event = publish(
        client,
        "cadre_a",
        places["community_a"],
        [slot(24 + i, 5) for i in range(6)],
        per_resident=per_resident,
    )
    token = client.login("alice").token
    workers = [ApiClient(app, token) for _ in range(12)]

    responses = at_once(*[lambda w=w, i=i: book(w, event, i % 6) for i, w in enumerate(workers)])

    assert Counter(r.status_code for r in responses) == {201: per_resident, 409: 12 - per_resident}
    with database.connection_context():
        assert Booking.select().count() == per_resident
        assert sum(s.booked for s in BookingSlot.select()) == per_resident


def test_cancelling_frees_the_place(client, places, make):
    make.member("carol", places["community_a"])
    event = publish(client, "cadre_a", places["community_a"], [slot(24, 1)])
    alice, carol = client.login("alice"), client.login("carol")
    booking = book(alice, event).get_json()
    full = book(carol, event)
    assert full.status_code == 409 and error_keys(full) == ["slot_full"]

    assert alice.delete(f"/api/v1/resident/bookings/{booking['id']}").status_code == 204
    assert stored_slot(event["slots"][0]["id"]).booked == 0
    assert alice.delete(f"/api/v1/resident/bookings/{booking['id']}").status_code == 404
    assert alice.get("/api/v1/resident/bookings").get_json() == []
    assert book(carol, event).status_code == 201
    assert stored_slot(event["slots"][0]["id"]).booked == 1


def test_no_cancelling_once_the_slot_has_started(client, places):
    event = publish(client, "cadre_a", places["community_a"], [slot(2, 5)])
    alice = client.login("alice")
    booking = book(alice, event).get_json()
    clock.travel(timedelta(hours=3))
    response = client.login("alice").delete(f"/api/v1/resident/bookings/{booking['id']}")
    assert response.status_code == 409
    assert stored_slot(event["slots"][0]["id"]).booked == 1


def test_a_started_slot_takes_no_more_bookings(client, places):
    event = publish(client, "cadre_a", places["community_a"], [slot(1, 5)])
    clock.travel(timedelta(hours=2))
    assert book(client.login("alice"), event).status_code == 409


def test_someone_elses_booking_cannot_be_cancelled(client, make, places):
    make.member("carol", places["community_a"])
    event = publish(client, "cadre_a", places["community_a"], [slot(24, 5)])
    booking = book(client.login("alice"), event).get_json()
    assert (
        client.login("carol").delete(f"/api/v1/resident/bookings/{booking['id']}").status_code
        == 404
    )
    assert stored_slot(event["slots"][0]["id"]).booked == 1


def test_residents_see_events_of_their_community_and_regions_above(client, places):
    publish(client, "street_admin", places["street_a"], [slot(24, 5)], title="街道助餐报名")
    publish(client, "cadre_a", places["community_a"], [slot(24, 5)], title="口罩领取")
    publish(client, "cadre_b", places["community_b"], [slot(24, 5)], title="复中活动")
    titles = [e["title"] for e in client.login("alice").get("/api/v1/resident/events").get_json()]
    assert titles == ["口罩领取", "街道助餐报名"]
    titles = [e["title"] for e in client.login("bob").get("/api/v1/resident/events").get_json()]
    assert titles == ["复中活动"]
    assert client.login("stranger").get("/api/v1/resident/events").get_json() == []


def test_event_shows_places_left_and_mine(client, make, places):
    make.member("carol", places["community_a"])
    event = publish(
        client, "cadre_a", places["community_a"], [slot(24, 3), slot(48, 3)], per_resident=2
    )
    book(client.login("carol"), event, 0)
    alice = client.login("alice")
    book(alice, event, 1)
    seen = alice.get(f"/api/v1/resident/events/{event['id']}").get_json()
    assert [(s["remaining"], s["mine"]) for s in seen["slots"]] == [(2, False), (2, True)]
    assert seen["my_bookings"] == 1 and seen["per_resident"] == 2


def test_staff_see_bookings_masked(client, places):
    event = publish(client, "cadre_a", places["community_a"], [slot(24, 5)])
    book(client.login("alice"), event)
    cadre = client.login("cadre_a")
    listed = cadre.get(f"/api/v1/admin/events/{event['id']}/bookings").get_json()
    assert [b["resident"] for b in listed] == [{"name": "张**", "phone": "138****5678"}]
    detail = cadre.get(f"/api/v1/admin/events/{event['id']}").get_json()
    assert detail["slots"][0]["booked"] == 1 and detail["slots"][0]["remaining"] == 4
    street = client.login("street_admin").get("/api/v1/admin/events").get_json()
    assert [e["id"] for e in street] == [event["id"]]


def test_a_double_tap_on_publish_gives_out_the_places_once(app, client, places):
    cadre = client.login("cadre_a")
    body = {
        "region": places["community_a"].code,
        "title": "口罩领取",
        "per_resident": 1,
        "slots": [slot(5, 50)],
    }
    answers = at_once(
        *[lambda: ApiClient(app, cadre.token).post("/api/v1/admin/events", json=body)] * 2
    )
    assert sorted(r.status_code for r in answers) == [201, 409]
    assert len(client.login("alice").get("/api/v1/resident/events").get_json()) == 1
    moved = cadre.post("/api/v1/admin/events", json={**body, "slots": [slot(6, 50)]})
    assert moved.status_code == 201


def test_publishing_validates_slots_and_region(client, places):
    cadre = client.login("cadre_a")
    bad_times = slot(24, 5)
    bad_times["ends_at"] = bad_times["starts_at"]
    response = cadre.post(
        "/api/v1/admin/events",
        json={"region": places["community_a"].code, "title": "口罩领取", "slots": [bad_times]},
    )
    assert response.status_code == 422 and "slots" in response.get_json()["errors"]["json"]
    response = cadre.post(
        "/api/v1/admin/events",
        json={"region": places["community_a"].code, "title": "口罩领取", "slots": [slot(24, 0)]},
    )
    assert response.status_code == 422 and "slots" in response.get_json()["errors"]["json"]
    response = cadre.post(
        "/api/v1/admin/events",
        json={"region": places["community_b"].code, "title": "口罩领取", "slots": [slot(24, 5)]},
    )
    assert response.status_code == 422 and "region" in response.get_json()["errors"]["json"]
    assert (
        client.login("inspector")
        .post(
            "/api/v1/admin/events",
            json={"region": places["district"].code, "title": "口罩领取", "slots": [slot(24, 5)]},
        )
        .status_code
        == 403
    )
    with database.connection_context():
        assert BookingSlot.select().count() == 0
        assert AuditEntry.select().where(AuditEntry.action == "booking_event.created").count() == 0
    publish(client, "cadre_a", places["community_a"], [slot(24, 5)])
    with database.connection_context():
        assert AuditEntry.select().where(AuditEntry.action == "booking_event.created").count() == 1


def test_cancelling_while_deleting_the_account_frees_the_place_once(app, client, make, places):
    make.member("carol", places["community_a"])
    event = publish(client, "cadre_a", places["community_a"], [slot(24, 20)])
    assert book(client.login("carol"), event).status_code == 201
    for i in range(8):
        make.member(f"leaver{i}", places["community_a"])
        token = client.login(f"leaver{i}").token
        booking = book(ApiClient(app, token), event).get_json()
        canceller, deleter = ApiClient(app, token), ApiClient(app, token)

        cancelled, deleted = at_once(
            *[
                partial(canceller.delete, f"/api/v1/resident/bookings/{booking['id']}"),
                partial(deleter.delete, "/api/v1/resident/account"),
            ]
        )

        assert deleted.status_code == 204
        assert cancelled.status_code in (204, 401, 404)  # 401: the account went first

        # Carol still holds her place: the count never drops below the bookings left.
        assert stored_slot(event["slots"][0]["id"]).booked == 1
