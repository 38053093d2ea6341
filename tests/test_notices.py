"""Notices: staff publish to a region in scope; residents see their communities' and those above."""

from __future__ import annotations

from datetime import timedelta

from backend import clock
from backend.db import database
from backend.models import AuditEntry, CommunityMembership, Region
from tests.factories import ApiClient
from tests.races import at_once


def publish(client, staff: str, region: Region, title: str, body: str = "请周知。"):
    response = client.login(staff).post(
        "/api/v1/admin/notices", json={"region": region.code, "title": title, "body": body}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_resident_sees_own_community_and_regions_above_newest_first(client, places):
    publish(client, "district_admin", places["district"], "区通知")
    clock.travel(timedelta(minutes=1))
    publish(client, "street_admin", places["street_a"], "街道通知")
    clock.travel(timedelta(minutes=1))
    publish(client, "cadre_a", places["community_a"], "居委通知")
    publish(client, "cadre_b", places["community_b"], "复中通知")
    publish(client, "district_admin", places["street_b"], "湖南路街道通知")

    alice = client.login("alice").get("/api/v1/resident/notices")
    assert [n["title"] for n in alice.get_json()] == ["居委通知", "街道通知", "区通知"]
    assert alice.get_json()[0]["region_level"] == "community"
    bob = client.login("bob").get("/api/v1/resident/notices").get_json()
    assert sorted(n["title"] for n in bob) == ["区通知", "复中通知", "湖南路街道通知"]


def test_non_member_and_pending_member_see_no_notices(client, make, places):
    publish(client, "district_admin", places["district"], "区通知")
    with database.connection_context():
        CommunityMembership.create(
            user=make.user("carol"),
            community=places["community_a"],
            region_path=places["community_a"].path,
            status="pending",
        )
    assert client.login("carol").get("/api/v1/resident/notices").get_json() == []
    assert client.login("dave").get("/api/v1/resident/notices").get_json() == []


def test_opening_a_notice_marks_it_read_for_that_resident_only(client, make, places):
    notice = publish(client, "cadre_a", places["community_a"], "停水通知", "明天 9 点停水")
    make.member("anna", places["community_a"])
    alice = client.login("alice")
    assert alice.get("/api/v1/resident/notices").get_json()[0]["read"] is False
    opened = alice.get(f"/api/v1/resident/notices/{notice['id']}")
    assert opened.status_code == 200
    assert opened.get_json()["body"] == "明天 9 点停水" and opened.get_json()["read"] is True
    assert alice.get(f"/api/v1/resident/notices/{notice['id']}").status_code == 200
    assert alice.get("/api/v1/resident/notices").get_json()[0]["read"] is True
    assert client.login("anna").get("/api/v1/resident/notices").get_json()[0]["read"] is False
    staff_view = client.login("cadre_a").get(f"/api/v1/admin/notices/{notice['id']}").get_json()
    assert staff_view["read_count"] == 1


def test_notices_are_paginated(client, places):
    for i in range(3):
        publish(client, "cadre_a", places["community_a"], f"通知 {i}")
    page = client.login("alice").get("/api/v1/resident/notices?page=2&page_size=2")
    assert [n["title"] for n in page.get_json()] == ["通知 0"]
    assert '"total": 3' in page.headers["X-Pagination"]


def test_staff_cannot_publish_outside_scope_and_the_answer_names_nothing(client, places):
    response = client.login("cadre_a").post(
        "/api/v1/admin/notices",
        json={"region": places["street_a"].code, "title": "越权", "body": "x"},
    )
    assert response.status_code == 422 and "region" in response.get_json()["errors"]["json"]
    assert places["street_a"].code not in response.get_data(as_text=True)
    assert "天平路" not in response.get_data(as_text=True)
    unknown = client.login("cadre_a").post(
        "/api/v1/admin/notices", json={"region": "999999", "title": "越权", "body": "x"}
    )
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"] == response.get_json()["errors"]
    assert (
        client.login("inspector")
        .post(
            "/api/v1/admin/notices",
            json={"region": places["district"].code, "title": "t", "body": "b"},
        )
        .status_code
        == 403
    )
    assert client.login("alice").get("/api/v1/resident/notices").get_json() == []


def test_bad_notice_is_refused_naming_the_field(client, places):
    response = client.login("cadre_a").post(
        "/api/v1/admin/notices",
        json={"region": places["community_a"].code, "title": "", "body": "b"},
    )
    assert response.status_code == 422 and "title" in response.get_json()["errors"]["json"]


def test_staff_list_their_scope_and_withdraw_with_an_audit_entry(client, places):
    publish(client, "district_admin", places["district"], "区通知")
    ours = publish(client, "cadre_a", places["community_a"], "居委通知")
    publish(client, "cadre_b", places["community_b"], "复中通知")
    street = client.login("street_admin").get("/api/v1/admin/notices").get_json()
    assert [n["title"] for n in street] == ["居委通知"]
    district = (
        client.login("district_admin")
        .get(f"/api/v1/admin/notices?region={places['community_b'].code}")
        .get_json()
    )
    assert [n["title"] for n in district] == ["复中通知"]

    alice = client.login("alice")
    alice.get(f"/api/v1/resident/notices/{ours['id']}")
    assert (
        client.login("street_admin").delete(f"/api/v1/admin/notices/{ours['id']}").status_code
        == 204
    )
    assert alice.get(f"/api/v1/resident/notices/{ours['id']}").status_code == 404
    assert [n["title"] for n in alice.get("/api/v1/resident/notices").get_json()] == ["区通知"]
    with database.connection_context():
        actions = [
            a.action
            for a in AuditEntry.select()
            .where(AuditEntry.target_id == ours["id"])
            .order_by(AuditEntry.id)
        ]
    assert actions == ["notice.published", "notice.withdrawn"]


def test_a_double_tap_on_publish_sends_residents_one_notice(app, client, places):
    cadre = client.login("cadre_a")
    notice = {"region": places["community_a"].code, "title": "停水通知", "body": "明天停水。"}
    answers = at_once(
        *[lambda: ApiClient(app, cadre.token).post("/api/v1/admin/notices", json=notice)] * 2
    )
    assert sorted(r.status_code for r in answers) == [201, 409]
    assert [
        n["title"] for n in client.login("alice").get("/api/v1/resident/notices").get_json()
    ] == ["停水通知"]
    clock.travel(timedelta(hours=1))
    publish(client, "cadre_a", places["community_a"], "停水通知", body="明天停水。")


def test_a_double_tap_on_withdraw_is_one_withdrawal_on_record(app, client, places):
    notice = publish(client, "cadre_a", places["community_a"], "停水通知")
    cadre = client.login("cadre_a")
    answers = at_once(
        *[lambda: ApiClient(app, cadre.token).delete(f"/api/v1/admin/notices/{notice['id']}")] * 2
    )
    assert sorted(r.status_code for r in answers) == [204, 404]
    with database.connection_context():
        assert (
            AuditEntry.select()
            .where(
                (AuditEntry.target_id == notice["id"]) & (AuditEntry.action == "notice.withdrawn")
            )
            .count()
            == 1
        )


def test_resident_who_leaves_stops_seeing_the_community_notices(client, places):
    notice = publish(client, "cadre_a", places["community_a"], "居委通知")
    alice = client.login("alice")
    membership = alice.get("/api/v1/resident/memberships").get_json()[0]
    assert alice.delete(f"/api/v1/resident/memberships/{membership['id']}").status_code == 204
    assert alice.get("/api/v1/resident/notices").get_json() == []
    assert alice.get(f"/api/v1/resident/notices/{notice['id']}").status_code == 404
