"""Joining a community by scanning its printed code; cadres approve; residents may leave."""

from __future__ import annotations

import threading

import pytest

from backend.db import database
from backend.models import CommunityMembership, Region, ShopCode, User
from tests.factories import ApiClient, error_keys
from tests.races import at_once


@pytest.fixture
def community(client, make):
    places = make.region_tree()
    make.staff("cadre", "cadre", places["community_a"], name="周敏")
    make.staff("cadre_b", "cadre", places["community_b"], name="吴芳")
    code = (
        client.login("cadre")
        .post(f"/api/v1/admin/communities/{places['community_a'].code}/code")
        .get_json()
    )
    return {"places": places, "code": code}


def test_scanning_a_community_code_offers_to_join(client, community):
    code = community["code"]["code"]
    assert community["code"]["url"] == f"HTTPS://C.EXAMPLE.CN/S/{code}"
    view = client.login("alice").get(f"/api/v1/scan/{code}").get_json()
    assert view["verdict"] == "official" and view["kind"] == "community"
    assert view["community"]["name"] == "建业里居委会" and view["community"]["my_status"] is None
    page = client.http.get(f"/S/{code}")
    assert page.status_code == 200 and "建业里居委会" in page.get_data(as_text=True)


def test_join_then_cadre_approves(client, community):
    alice = client.login("alice")
    joined = alice.post("/api/v1/resident/memberships", json={"code": community["code"]["url"]})
    assert joined.status_code == 201 and joined.get_json()["status"] == "pending"
    assert (
        alice.post(
            "/api/v1/resident/memberships", json={"code": community["code"]["code"]}
        ).status_code
        == 409
    )
    cadre = client.login("cadre")
    pending = cadre.get("/api/v1/admin/memberships").get_json()
    assert len(pending) == 1 and pending[0]["status"] == "pending"
    assert (
        cadre.post(f"/api/v1/admin/memberships/{pending[0]['id']}/approve", json={}).status_code
        == 200
    )
    mine = alice.get("/api/v1/resident/memberships").get_json()
    assert [m["status"] for m in mine] == ["approved"]


def test_cadre_of_another_community_cannot_see_or_decide(client, community):
    client.login("alice").post(
        "/api/v1/resident/memberships", json={"code": community["code"]["code"]}
    )
    other = client.login("cadre_b")
    assert other.get("/api/v1/admin/memberships").get_json() == []
    membership_id = client.login("cadre").get("/api/v1/admin/memberships").get_json()[0]["id"]
    assert (
        other.post(f"/api/v1/admin/memberships/{membership_id}/approve", json={}).status_code == 404
    )


def test_bound_phone_is_auto_approved_where_the_community_allows(client, community):
    with database.connection_context():
        Region.update(auto_approve_bound_phone=True).where(
            Region.id == community["places"]["community_a"].id
        ).execute()
    alice = client.login("alice")
    assert (
        alice.post("/api/v1/resident/phone", json={"code": "phone-13812345678"}).get_json()["phone"]
        == "13812345678"
    )
    joined = alice.post("/api/v1/resident/memberships", json={"code": community["code"]["code"]})
    assert joined.get_json()["status"] == "approved"
    bob = client.login("bob")
    assert (
        bob.post(
            "/api/v1/resident/memberships", json={"code": community["code"]["code"]}
        ).get_json()["status"]
        == "pending"
    )


def test_reissued_community_code_replaces_the_old(client, community):
    old = community["code"]["code"]
    client.login("cadre").post(
        f"/api/v1/admin/communities/{community['places']['community_a'].code}/code"
    )
    response = client.login("alice").post("/api/v1/resident/memberships", json={"code": old})
    assert response.status_code == 422 and error_keys(response) == ["community_code_replaced"]
    scanned = client.login("alice").get(f"/api/v1/scan/{old}").get_json()
    assert scanned["verdict"] == "replaced" and "社区码" in scanned["message"]
    assert "店" not in scanned["message"]
    page = client.http.get(f"/S/{old}").get_data(as_text=True)
    assert "居委会" in page and "店铺" not in page


def test_a_resident_can_belong_to_two_communities_and_leave_one(client, community):
    places = community["places"]
    code_b = (
        client.login("cadre_b")
        .post(f"/api/v1/admin/communities/{places['community_b'].code}/code")
        .get_json()["code"]
    )
    alice = client.login("alice")
    first = alice.post(
        "/api/v1/resident/memberships", json={"code": community["code"]["code"]}
    ).get_json()
    alice.post("/api/v1/resident/memberships", json={"code": code_b})
    assert len(alice.get("/api/v1/resident/memberships").get_json()) == 2
    assert alice.delete(f"/api/v1/resident/memberships/{first['id']}").status_code == 204
    left = alice.get("/api/v1/resident/memberships").get_json()
    assert [m["community"] for m in left] == [places["community_b"].code]
    assert (
        client.login("bob").delete(f"/api/v1/resident/memberships/{first['id']}").status_code == 404
    )


def test_phone_code_errors_name_the_field(client):
    response = client.login("alice").post("/api/v1/resident/phone", json={"code": "nonsense"})
    assert response.status_code == 422 and "code" in response.get_json()["errors"]["json"]
    with database.connection_context():
        assert User.get(User.openid == "oStub_alice").phone is None


def test_risky_display_name_is_refused(client):
    alice = client.login("alice")
    response = alice.patch("/api/v1/resident/profile", json={"display_name": "赌博王"})
    assert response.status_code == 422 and "display_name" in response.get_json()["errors"]["json"]
    ok = alice.patch("/api/v1/resident/profile", json={"display_name": "小李"})
    assert ok.get_json()["display_name"] == "小李"


def test_a_double_tap_on_join_asks_once(app, client, community):
    def double_tap(resident):
        join = "/api/v1/resident/memberships"
        body = {"code": community["code"]["code"]}
        answers = at_once(*[lambda: ApiClient(app, resident.token).post(join, json=body)] * 2)
        assert sorted(a.status_code for a in answers) == [201, 409]
        assert len(resident.get("/api/v1/resident/memberships").get_json()) == 1

    for round_ in range(4):
        double_tap(client.login(f"tapper{round_}"))


def test_a_double_tap_on_reissue_leaves_one_live_code(app, client, community):
    """Only the code the cadre is shown (and prints) may still open the join page."""
    community_a = community["places"]["community_a"]
    cadre = client.login("cadre")
    reissue = f"/api/v1/admin/communities/{community_a.code}/code"
    for _ in range(4):
        issued = at_once(*[lambda: ApiClient(app, cadre.token).post(reissue)] * 2)
        assert [r.status_code for r in issued] == [201, 201]
        with database.connection_context():
            live = [
                c.code
                for c in ShopCode.select().where(
                    (ShopCode.region == community_a) & ShopCode.revoked_at.is_null()
                )
            ]
        current = cadre.get(reissue).get_json()
        assert live == [current["code"]]


def test_leaving_while_the_cadre_approves_keeps_who_approved(app, client, community):
    cadre = client.login("cadre")

    def leave_while_approved(resident):
        joined = resident.post(
            "/api/v1/resident/memberships", json={"code": community["code"]["code"]}
        ).get_json()
        approve = f"/api/v1/admin/memberships/{joined['id']}/approve"
        leave = f"/api/v1/resident/memberships/{joined['id']}"
        approved, left = at_once(
            lambda: ApiClient(app, cadre.token).post(approve, json={}),
            lambda: ApiClient(app, resident.token).delete(leave),
        )
        assert left.status_code == 204
        with database.connection_context():
            stored = CommunityMembership.get_by_id(joined["id"])
        assert stored.status == "left"
        if approved.status_code == 200:  # approved first, then left: the approval stays on record
            assert stored.decided_by_id is not None and stored.decided_at is not None
        else:
            assert approved.status_code == 409

    for round_ in range(6):
        leave_while_approved(client.login(f"hesitant{round_}"))


def test_an_approval_does_not_wait_for_the_residents_own_write(app, client, community):
    """A resident's request holding their own row (joining elsewhere, booking) must not
    hold up the cadre, nor the approval hold up every write of that resident."""
    if not app.config["CITYCODE"].database_url.startswith("postgres"):
        pytest.skip("SQLite takes one writer at a time; row locks are PostgreSQL's")
    alice = client.login("alice")
    joined = alice.post(
        "/api/v1/resident/memberships", json={"code": community["code"]["code"]}
    ).get_json()
    cadre = client.login("cadre")
    answers = []
    approval = threading.Thread(
        target=lambda: answers.append(
            cadre.post(f"/api/v1/admin/memberships/{joined['id']}/approve", json={}).status_code
        )
    )
    with database.connection_context(), database.atomic():
        user = User.get(User.openid == "oStub_alice")
        User.select().where(User.id == user.id).for_update().get()  # her write in flight
        approval.start()
        approval.join(timeout=5)
        assert answers == [200]
    approval.join()


def test_a_cadre_decides_without_a_body_since_the_note_is_optional(client, community):
    alice = client.login("alice")
    alice.post("/api/v1/resident/memberships", json={"code": community["code"]["code"]})
    cadre = client.login("cadre")
    pending = cadre.get("/api/v1/admin/memberships").get_json()
    response = cadre.post(f"/api/v1/admin/memberships/{pending[0]['id']}/approve")
    assert response.status_code == 200 and response.get_json()["status"] == "approved"
