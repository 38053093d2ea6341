"""Deleting an account erases the person; what they contributed stays, detached; chains verify."""

from __future__ import annotations

from datetime import timedelta

from backend import clock, lifecycle
from backend.db import database
from backend.models import BookingSlot, Rating, Report, Shop, ShopMembership
from tests.factories import error_keys, valid_credit_code


def _every_value_in_every_table() -> str:
    texts = []
    for table in database.get_tables():
        cursor = database.execute_sql(f'SELECT * FROM "{table}"')  # noqa: S608  names from the schema
        texts.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(texts)


def test_deletion_leaves_no_personal_data_and_chains_verify(client, make, wechat_stub):
    places = make.region_tree()
    shop = make.shop("alice", places["street_a"], name="爱丽丝小店")
    other = make.shop("owner", places["street_a"], name="隔壁面馆")
    code = make.code_of(other)
    make.staff("cadre", "cadre", places["community_a"])
    community_code = (
        client.login("cadre")
        .post(f"/api/v1/admin/communities/{places['community_a'].code}/code")
        .get_json()["code"]
    )

    alice = client.login("alice")
    alice.post("/api/v1/resident/phone", json={"code": "phone-13912345678"})
    alice.patch("/api/v1/resident/profile", json={"display_name": "欧阳娜娜"})
    joined = alice.post("/api/v1/resident/memberships", json={"code": community_code})
    cadre = client.login("cadre")
    cadre.post(f"/api/v1/admin/memberships/{joined.get_json()['id']}/approve", json={})
    alice.get("/api/v1/resident/code")
    community_life = _take_part_in_community_life(alice, cadre, places["community_a"].code)
    ticket = alice.get(f"/api/v1/scan/{code}").get_json()["rating_ticket"]
    rating = alice.post(
        f"/api/v1/resident/shops/{other.public_id}/ratings",
        json={"rating_ticket": ticket, "stars": 5, "text": "好吃"},
    ).get_json()
    alice.post(
        f"/api/v1/resident/shops/{other.public_id}/complaints",
        json={"category": "price", "text": "价格标签与结账不符"},
    )
    with database.connection_context():
        before = _every_value_in_every_table()
    assert "13912345678" in before and "欧阳娜娜" in before and "oStub_alice" in before

    assert alice.delete("/api/v1/resident/account").status_code == 204

    with database.connection_context():
        after = _every_value_in_every_table()
        kept = Rating.get(Rating.public_id == rating["id"])
        verdicts = [lifecycle.verify(s) for s in Shop.select()]
    for personal in ("13912345678", "欧阳娜娜", "oStub_alice", "uStub_alice"):
        assert personal not in after
    assert kept.user_id is None and kept.stars == 5
    with database.connection_context():
        report = Report.get(Report.public_id == community_life["report"])
        slot = BookingSlot.get(BookingSlot.public_id == community_life["slot"])
    assert report.user_id is None and report.text == "路灯坏了好几天了"
    assert slot.booked == 0  # her place is free for a neighbour
    assert all(v.ok for v in verdicts) and len(verdicts) == 2
    assert alice.get("/api/v1/me").status_code == 401
    refreshed = client.http.post(
        "/api/v1/auth/refresh", json={"refresh_token": alice.tokens["refresh_token"]}
    )
    assert refreshed.status_code == 401
    view = client.login("bob").get(f"/api/v1/scan/{code}").get_json()
    assert view["shop"]["rating"]["count"] == 1 and view["comments"][0]["author"] == "匿名用户"
    assert shop.public_id  # the shop alice registered is still on record


def _take_part_in_community_life(alice, cadre, community: str) -> dict:
    """Alice books, votes, fills in a form with her name and phone, and reports a problem."""
    soon = clock.now() + timedelta(days=2)
    event = cadre.post(
        "/api/v1/admin/events",
        json={
            "region": community,
            "title": "领取口罩",
            "slots": [
                {
                    "starts_at": soon.isoformat(),
                    "ends_at": (soon + timedelta(hours=1)).isoformat(),
                    "capacity": 5,
                }
            ],
        },
    ).get_json()
    slot = event["slots"][0]["id"]
    assert (
        alice.post(f"/api/v1/resident/events/{event['id']}/slots/{slot}/bookings").status_code
        == 201
    )
    poll = cadre.post(
        "/api/v1/admin/polls",
        json={
            "region": community,
            "title": "加装电梯",
            "options": ["支持", "不支持"],
            "opens_at": (clock.now() - timedelta(hours=1)).isoformat(),
            "closes_at": soon.isoformat(),
        },
    ).get_json()
    option = alice.get(f"/api/v1/resident/polls/{poll['id']}").get_json()["options"][0]["id"]
    assert (
        alice.post(
            f"/api/v1/resident/polls/{poll['id']}/vote", json={"options": [option]}
        ).status_code
        == 200
    )
    form = cadre.post(
        "/api/v1/admin/forms",
        json={
            "region": community,
            "title": "独居老人登记",
            "fields": [
                {
                    "name": "name",
                    "label": "姓名",
                    "type": "text",
                    "required": True,
                    "personal": True,
                },
                {"name": "phone", "label": "电话", "type": "phone", "required": True},
            ],
        },
    ).get_json()
    assert alice.put(
        f"/api/v1/resident/forms/{form['id']}/submission",
        json={"answers": {"name": "欧阳娜娜", "phone": "13912345678"}},
    ).status_code in (200, 201)
    report = alice.post(
        "/api/v1/resident/reports",
        json={"community": community, "category": "facilities", "text": "路灯坏了好几天了"},
    )
    assert report.status_code == 201
    return {"slot": slot, "report": report.get_json()["id"]}


def test_signing_in_again_after_deletion_starts_a_new_account(client):
    alice = client.login("alice")
    first_id = alice.get("/api/v1/me").get_json()["id"]
    alice.delete("/api/v1/resident/account")
    again = client.login("alice").get("/api/v1/me").get_json()
    assert again["id"] != first_id and again["phone"] is None


def test_deletion_withdraws_the_users_pending_registrations_and_claims(client, make):
    places = make.region_tree()
    credit_code = valid_credit_code()
    claimed = make.shop("first_owner", places["street_a"], credit_code=credit_code)
    alice = client.login("alice")
    registered = alice.post(
        "/api/v1/merchant/shops",
        json={
            "name": "新开小馆",
            "credit_code": valid_credit_code(),
            "category": "catering",
            "address": "天平路 1 号",
            "street": places["street_a"].code,
        },
    ).get_json()
    assert (
        alice.post("/api/v1/merchant/claims", json={"credit_code": credit_code}).status_code == 201
    )
    admin = client.login(f"approver_{places['street_a'].code}")
    waiting = admin.get("/api/v1/admin/shop-requests").get_json()
    assert len(waiting) == 2

    assert alice.delete("/api/v1/resident/account").status_code == 204

    assert admin.get("/api/v1/admin/shop-requests").get_json() == []
    for request in waiting:
        approved = admin.post(f"/api/v1/admin/shop-requests/{request['id']}/approve")
        assert approved.status_code == 409
    closed = admin.get("/api/v1/admin/shop-requests", query_string={"status": "rejected"})
    assert {r["note"] for r in closed.get_json()} == {"the applicant deleted their account"}
    with database.connection_context():
        assert Shop.get(Shop.public_id == registered["id"]).status == "closed"
        assert lifecycle.verify(Shop.get(Shop.public_id == registered["id"])).ok
        owners = [
            m.user.openid for m in ShopMembership.select().where(ShopMembership.shop == claimed.id)
        ]
    assert owners == ["oStub_first_owner"]


def test_a_staff_member_cannot_erase_their_account_from_the_resident_app(client, make):
    places = make.region_tree()
    make.staff("district_admin", "admin", places["district"], name="王建国")
    admin = client.login("district_admin")

    refused = admin.delete("/api/v1/resident/account")

    assert refused.status_code == 409
    body = refused.get_json()
    assert error_keys(refused) == ["bound_to_staff"]
    assert body["details"][0]["field"] == "account"
    assert "王建国" in body["message"] and "解除绑定" in body["message"]
    me = client.login("district_admin").get("/api/v1/me").get_json()
    assert me["staff"]["role"] == "admin" and "admin" in me["roles"]


def test_the_last_active_admin_of_a_region_cannot_be_disabled(client, make):
    places = make.region_tree()
    make.staff("district_admin", "admin", places["district"], name="王建国")
    make.staff("street_admin", "admin", places["street_a"], name="钱进")
    district = client.login("district_admin")
    street_admin = next(
        s for s in district.get("/api/v1/admin/staff").get_json() if s["name"] == "钱*"
    )

    refused = district.post(f"/api/v1/admin/staff/{street_admin['id']}/disable")
    assert refused.status_code == 409, refused.get_json()
    assert error_keys(refused) == ["last_admin"]

    second = district.post(
        "/api/v1/admin/staff",
        json={"name": "孙立", "role": "admin", "region": places["street_a"].code},
    )
    assert second.status_code == 201
    assert district.post(f"/api/v1/admin/staff/{street_admin['id']}/disable").status_code == 200
    replacement = second.get_json()["staff"]["id"]
    assert district.post(f"/api/v1/admin/staff/{replacement}/disable").status_code == 409
