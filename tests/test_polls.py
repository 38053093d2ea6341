"""Polls: staff ask a region in scope; members vote once (again replaces); results as promised."""

from __future__ import annotations

import threading
from datetime import timedelta

from backend import clock
from backend.db import database
from backend.models import AuditEntry, PollVote
from tests.factories import ApiClient, error_keys
from tests.races import at_once


def create_poll(
    client,
    staff,
    region,
    multiple=False,
    results_visible="after_vote",
    options=("同意", "反对", "弃权"),
    opens_in=timedelta(0),
    lasts=timedelta(days=7),
    title="加装电梯意见征询",
):
    opens = clock.now() + opens_in
    response = client.login(staff).post(
        "/api/v1/admin/polls",
        json={
            "region": region.code,
            "title": title,
            "description": "请各位居民投票",
            "multiple": multiple,
            "options": list(options),
            "results_visible": results_visible,
            "opens_at": opens.isoformat(),
            "closes_at": (opens + lasts).isoformat(),
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def vote(resident, poll, *labels):
    ids = [o["id"] for o in poll["options"] if o["label"] in labels]
    return resident.post(f"/api/v1/resident/polls/{poll['id']}/vote", json={"options": ids})


def counts(results):
    return {o["label"]: o["votes"] for o in results["options"]}


def test_vote_then_see_results_after_voting(client, make, places):
    poll = create_poll(client, "cadre_a", places["community_a"])
    assert poll["state"] == "open" and [o["label"] for o in poll["options"]] == [
        "同意",
        "反对",
        "弃权",
    ]
    alice = client.login("alice")
    before = alice.get(f"/api/v1/resident/polls/{poll['id']}").get_json()
    assert before["results"] is None and before["voted"] is False
    response = vote(alice, poll, "同意")
    assert response.status_code == 200
    body = response.get_json()
    assert body["voted"] is True and body["results"]["voters"] == 1
    assert counts(body["results"]) == {"同意": 1, "反对": 0, "弃权": 0}
    assert [p["voted"] for p in alice.get("/api/v1/resident/polls").get_json()] == [True]


def test_voting_again_replaces_the_previous_vote(client, places):
    poll = create_poll(client, "cadre_a", places["community_a"])
    alice = client.login("alice")
    vote(alice, poll, "同意")
    body = vote(alice, poll, "反对").get_json()
    assert counts(body["results"]) == {"同意": 0, "反对": 1, "弃权": 0}
    assert body["results"]["voters"] == 1
    assert body["my_choices"] == [o["id"] for o in poll["options"] if o["label"] == "反对"]


def test_multiple_choice_replaces_the_whole_set(client, make, places):
    poll = create_poll(
        client,
        "street_admin",
        places["street_a"],
        multiple=True,
        options=("健身器材", "儿童乐园", "停车位", "绿化"),
    )
    make.member("anna", places["community_a"])
    alice, anna = client.login("alice"), client.login("anna")
    vote(alice, poll, "健身器材", "儿童乐园")
    vote(anna, poll, "儿童乐园")
    body = vote(alice, poll, "停车位", "绿化", "儿童乐园").get_json()
    assert counts(body["results"]) == {"健身器材": 0, "儿童乐园": 2, "停车位": 1, "绿化": 1}
    assert body["results"]["voters"] == 2 and len(body["my_choices"]) == 3


def test_single_choice_refuses_two_options(client, places):
    poll = create_poll(client, "cadre_a", places["community_a"])
    response = vote(client.login("alice"), poll, "同意", "反对")
    assert response.status_code == 422
    assert "options" in response.get_json()["errors"]["json"]
    with database.connection_context():
        assert PollVote.select().count() == 0


def test_an_option_of_another_poll_is_refused_naming_the_field(client, places):
    poll = create_poll(client, "cadre_a", places["community_a"])
    other = create_poll(client, "cadre_a", places["community_a"], title="另一个调查")
    alice = client.login("alice")
    response = alice.post(
        f"/api/v1/resident/polls/{poll['id']}/vote", json={"options": [other["options"][0]["id"]]}
    )
    assert response.status_code == 422
    assert "options" in response.get_json()["errors"]["json"]
    assert (
        alice.post(f"/api/v1/resident/polls/{poll['id']}/vote", json={"options": []}).status_code
        == 422
    )


def test_voting_before_open_or_after_close_is_a_conflict(client, places):
    poll = create_poll(
        client,
        "cadre_a",
        places["community_a"],
        opens_in=timedelta(days=1),
        lasts=timedelta(days=2),
    )
    alice = client.login("alice")
    early = vote(alice, poll, "同意")
    assert early.status_code == 409 and error_keys(early) == ["poll_not_open"]
    assert alice.get(f"/api/v1/resident/polls/{poll['id']}").get_json()["state"] == "upcoming"
    clock.travel(timedelta(days=3, minutes=1))
    late = vote(client.login("alice"), poll, "同意")
    assert late.status_code == 409 and error_keys(late) == ["poll_closed"]
    with database.connection_context():
        assert PollVote.select().count() == 0


def test_after_close_results_are_hidden_until_the_poll_closes(client, make, places):
    poll = create_poll(
        client,
        "cadre_a",
        places["community_a"],
        results_visible="after_close",
        lasts=timedelta(days=1),
    )
    make.member("anna", places["community_a"])
    alice = client.login("alice")
    assert vote(alice, poll, "同意").get_json()["results"] is None
    staff_view = client.login("cadre_a").get(f"/api/v1/admin/polls/{poll['id']}").get_json()
    assert counts(staff_view["results"])["同意"] == 1
    clock.travel(timedelta(days=1, seconds=1))
    closed = client.login("anna").get(f"/api/v1/resident/polls/{poll['id']}").get_json()
    assert closed["state"] == "closed" and counts(closed["results"])["同意"] == 1


def test_bad_polls_are_refused_naming_the_field(client, places):
    cadre = client.login("cadre_a")
    now = clock.now()
    base = {
        "region": places["community_a"].code,
        "title": "t",
        "options": ["a", "b"],
        "opens_at": now.isoformat(),
        "closes_at": (now + timedelta(days=1)).isoformat(),
    }
    cases = [
        ({"options": ["只有一个"]}, "options"),
        ({"options": [f"选项{i}" for i in range(21)]}, "options"),
        ({"options": ["同一个", "同一个"]}, "options"),
        ({"closes_at": now.isoformat()}, "closes_at"),
        ({"closes_at": (now - timedelta(days=1)).isoformat()}, "closes_at"),
        ({"results_visible": "never"}, "results_visible"),
    ]
    for change, field in cases:
        response = cadre.post("/api/v1/admin/polls", json={**base, **change})
        assert response.status_code == 422, change
        assert field in response.get_json()["errors"]["json"], change
    outside = cadre.post("/api/v1/admin/polls", json={**base, "region": places["street_a"].code})
    assert outside.status_code == 422 and "region" in outside.get_json()["errors"]["json"]
    assert cadre.get("/api/v1/admin/polls").get_json() == []


def test_poll_on_a_street_reaches_its_communities_only(client, places):
    create_poll(client, "street_admin", places["street_a"], title="街道调查")
    create_poll(client, "district_admin", places["district"], title="全区调查")
    alice = client.login("alice").get("/api/v1/resident/polls").get_json()
    assert [p["title"] for p in alice] == ["全区调查", "街道调查"]
    assert [p["title"] for p in client.login("bob").get("/api/v1/resident/polls").get_json()] == [
        "全区调查"
    ]


def test_staff_list_and_withdraw_polls_with_audit(client, places):
    poll = create_poll(client, "cadre_a", places["community_a"])
    vote(client.login("alice"), poll, "同意")
    assert [
        p["id"] for p in client.login("street_admin").get("/api/v1/admin/polls").get_json()
    ] == [poll["id"]]
    assert client.login("cadre_b").delete(f"/api/v1/admin/polls/{poll['id']}").status_code == 404
    assert client.login("cadre_a").delete(f"/api/v1/admin/polls/{poll['id']}").status_code == 204
    assert client.login("alice").get(f"/api/v1/resident/polls/{poll['id']}").status_code == 404
    with database.connection_context():
        actions = [
            a.action
            for a in AuditEntry.select()
            .where(AuditEntry.target_id == poll["id"])
            .order_by(AuditEntry.id)
        ]
        assert PollVote.select().count() == 0
    assert actions == ["poll.created", "scope.denied", "poll.withdrawn"]


def test_concurrent_votes_by_one_resident_leave_one_ballot(client, app, places):
    poll = create_poll(client, "cadre_a", places["community_a"])
    alice = client.login("alice")
    ids = [o["id"] for o in poll["options"]]
    barrier = threading.Barrier(10)
    statuses = []

    def cast(option_id):
        resident = ApiClient(app, alice.token)
        barrier.wait()
        statuses.append(
            resident.post(
                f"/api/v1/resident/polls/{poll['id']}/vote", json={"options": [option_id]}
            ).status_code
        )

    threads = [threading.Thread(target=cast, args=(ids[i % 3],)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 10
    with database.connection_context():
        assert PollVote.select().where(PollVote.user.is_null(False)).count() == 1


def test_a_residents_deletion_changes_no_closed_result_and_no_past_attendance(client, make, places):
    make.member("carol", places["community_a"])
    poll = create_poll(client, "cadre_a", places["community_a"], lasts=timedelta(hours=1))
    alice = client.login("alice")
    assert vote(alice, poll, "同意").status_code == 200
    assert vote(client.login("carol"), poll, "同意").status_code == 200
    starts = clock.now() + timedelta(minutes=30)
    event = client.login("cadre_a").post(
        "/api/v1/admin/events",
        json={
            "region": places["community_a"].code,
            "title": "领取口罩",
            "per_resident": 2,
            "slots": [
                {
                    "starts_at": starts.isoformat(),
                    "ends_at": (starts + timedelta(minutes=30)).isoformat(),
                    "capacity": 5,
                },
                {
                    "starts_at": (starts + timedelta(days=3)).isoformat(),
                    "ends_at": (starts + timedelta(days=3, minutes=30)).isoformat(),
                    "capacity": 5,
                },
            ],
        },
    )
    event = event.get_json()
    for slot in event["slots"]:
        assert (
            alice.post(
                f"/api/v1/resident/events/{event['id']}/slots/{slot['id']}/bookings"
            ).status_code
            == 201
        )
    clock.travel(timedelta(hours=2))  # the poll has closed and the first slot is over

    cadre = client.login("cadre_a")
    before = cadre.get(f"/api/v1/admin/polls/{poll['id']}").get_json()["results"]
    assert client.login("alice").delete("/api/v1/resident/account").status_code == 204

    after = cadre.get(f"/api/v1/admin/polls/{poll['id']}").get_json()["results"]
    assert after == before and after["voters"] == 2 and counts(after)["同意"] == 2
    slots = cadre.get(f"/api/v1/admin/events/{event['id']}").get_json()["slots"]
    # Who came stays counted; the place she had not used yet is free again.
    assert [s["booked"] for s in slots] == [1, 0]


def test_a_double_tap_on_start_makes_one_poll(app, client, places):
    cadre = client.login("cadre_a")
    now = clock.now()
    body = {
        "region": places["community_a"].code,
        "title": "加装电梯意见征询",
        "options": ["同意", "反对"],
        "opens_at": now.isoformat(),
        "closes_at": (now + timedelta(days=7)).isoformat(),
    }
    answers = at_once(
        *[lambda: ApiClient(app, cadre.token).post("/api/v1/admin/polls", json=body)] * 2
    )
    assert sorted(r.status_code for r in answers) == [201, 409]
    assert len(client.login("alice").get("/api/v1/resident/polls").get_json()) == 1
    another = cadre.post("/api/v1/admin/polls", json={**body, "options": ["同意", "反对", "弃权"]})
    assert another.status_code == 201


def test_a_double_tap_on_withdraw_is_one_withdrawal_on_record(app, client, places):
    poll = create_poll(client, "cadre_a", places["community_a"])
    cadre = client.login("cadre_a")
    answers = at_once(
        *[lambda: ApiClient(app, cadre.token).delete(f"/api/v1/admin/polls/{poll['id']}")] * 2
    )
    assert sorted(r.status_code for r in answers) == [204, 404]
    with database.connection_context():
        assert (
            AuditEntry.select()
            .where((AuditEntry.target_id == poll["id"]) & (AuditEntry.action == "poll.withdrawn"))
            .count()
            == 1
        )
