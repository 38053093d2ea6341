"""Registering and claiming a shop, approved by an admin whose scope covers its street."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend import clock
from backend.db import database
from backend.models import LifecycleEvent, Shop, User
from tests.factories import valid_credit_code


@pytest.fixture
def places(make):
    return make.region_tree()


def _register(client, user, street, credit_code=None, name="新开小馆"):
    return client.login(user).post(
        "/api/v1/merchant/shops",
        json={
            "name": name,
            "credit_code": credit_code or valid_credit_code(),
            "category": "catering",
            "address": "天平路 1 号",
            "street": street.code,
            "location": {"lat": 31.2, "lng": 121.44},
        },
    )


def test_registered_shop_is_pending_and_has_no_code(client, places):
    response = _register(client, "newbie", places["street_a"])
    assert response.status_code == 201
    shop = response.get_json()
    assert shop["status"] == "pending"
    code = client.login("newbie").get(f"/api/v1/merchant/shops/{shop['id']}/code")
    assert code.status_code == 409


def test_admin_of_the_street_approves_and_the_shop_gets_its_code(client, make, places):
    shop = _register(client, "newbie", places["street_a"]).get_json()
    make.staff("admin_a", "admin", places["street_a"])
    admin = client.login("admin_a")
    pending = admin.get("/api/v1/admin/shop-requests").get_json()
    assert [r["shop_id"] for r in pending] == [shop["id"]]
    approved = admin.post(f"/api/v1/admin/shop-requests/{pending[0]['id']}/approve")
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    owner = client.login("newbie")
    assert owner.get(f"/api/v1/merchant/shops/{shop['id']}").get_json()["status"] == "active"
    code = owner.get(f"/api/v1/merchant/shops/{shop['id']}/code").get_json()
    assert code["url"] == f"HTTPS://C.EXAMPLE.CN/S/{code['code']}"
    again = admin.post(f"/api/v1/admin/shop-requests/{pending[0]['id']}/approve")
    assert again.status_code == 409


def test_admin_of_another_street_neither_sees_nor_approves(client, make, places):
    _register(client, "newbie", places["street_a"])
    make.staff("admin_b", "admin", places["street_b"])
    make.staff("admin_a", "admin", places["street_a"])
    request_id = client.login("admin_a").get("/api/v1/admin/shop-requests").get_json()[0]["id"]
    admin_b = client.login("admin_b")
    assert admin_b.get("/api/v1/admin/shop-requests").get_json() == []
    assert admin_b.post(f"/api/v1/admin/shop-requests/{request_id}/approve").status_code == 404
    assert (
        admin_b.post(
            f"/api/v1/admin/shop-requests/{request_id}/reject", json={"note": "不行"}
        ).status_code
        == 404
    )


def test_an_inspector_cannot_approve(client, make, places):
    _register(client, "newbie", places["street_a"])
    make.staff("insp", "inspector", places["street_a"])
    assert client.login("insp").get("/api/v1/admin/shop-requests").status_code == 403


def test_a_resident_cannot_use_the_admin_api(client, places):
    assert client.login("resident").get("/api/v1/admin/shop-requests").status_code == 403


def test_rejection_closes_the_registration_with_a_reason(client, make, places):
    shop = _register(client, "newbie", places["street_a"]).get_json()
    make.staff("admin_a", "admin", places["street_a"])
    admin = client.login("admin_a")
    request_id = admin.get("/api/v1/admin/shop-requests").get_json()[0]["id"]
    rejected = admin.post(
        f"/api/v1/admin/shop-requests/{request_id}/reject", json={"note": "地址与执照不符"}
    )
    assert rejected.status_code == 200
    mine = client.login("newbie").get("/api/v1/merchant/claims").get_json()
    assert mine[0]["status"] == "rejected" and mine[0]["note"] == "地址与执照不符"
    with database.connection_context():
        assert Shop.get(Shop.public_id == shop["id"]).status == "closed"


def test_claiming_an_existing_shop_by_credit_code(client, make, places):
    credit_code = valid_credit_code()
    shop = make.shop("first_owner", places["street_a"], credit_code=credit_code)
    claim = client.login("heir").post("/api/v1/merchant/claims", json={"credit_code": credit_code})
    assert claim.status_code == 201 and claim.get_json()["kind"] == "claim"
    assert (
        client.login("heir")
        .post("/api/v1/merchant/claims", json={"credit_code": credit_code})
        .status_code
        == 409
    )
    admin = client.login(f"approver_{places['street_a'].code}")
    request_id = next(
        r["id"] for r in admin.get("/api/v1/admin/shop-requests").get_json() if r["kind"] == "claim"
    )
    assert admin.post(f"/api/v1/admin/shop-requests/{request_id}/approve").status_code == 200
    mine = client.login("heir").get("/api/v1/merchant/shops").get_json()
    assert [(m["role"], m["shop"]["id"]) for m in mine] == [("owner", shop.public_id)]
    with database.connection_context():
        assert (
            LifecycleEvent.select()
            .where((LifecycleEvent.shop == shop.id) & (LifecycleEvent.type == "shop.claimed"))
            .exists()
        )


def test_claim_with_an_unknown_credit_code_names_the_field(client, places):
    response = client.login("heir").post(
        "/api/v1/merchant/claims", json={"credit_code": valid_credit_code()}
    )
    assert response.status_code == 422
    assert "credit_code" in response.get_json()["errors"]["json"]


def test_unknown_street_names_the_field(client, places):
    response = client.login("newbie").post(
        "/api/v1/merchant/shops",
        json={
            "name": "新开小馆",
            "credit_code": valid_credit_code(),
            "category": "catering",
            "address": "天平路 1 号",
            "street": "999999999",
        },
    )
    assert response.status_code == 422
    assert "street" in response.get_json()["errors"]["json"]


def test_suspending_a_shop_is_scoped_and_recorded(client, make, places):
    shop = make.shop("owner", places["street_a"])
    make.staff("admin_b", "admin", places["street_b"])
    assert (
        client.login("admin_b")
        .post(
            f"/api/v1/admin/shops/{shop.public_id}/status",
            json={"status": "suspended", "reason": "无证经营"},
        )
        .status_code
        == 404
    )
    admin_a = client.login(f"approver_{places['street_a'].code}")
    response = admin_a.post(
        f"/api/v1/admin/shops/{shop.public_id}/status",
        json={"status": "suspended", "reason": "无证经营"},
    )
    assert response.status_code == 200 and response.get_json()["status"] == "suspended"
    bad = admin_a.post(
        f"/api/v1/admin/shops/{shop.public_id}/status",
        json={"status": "pending", "reason": "重新审核"},
    )
    assert bad.status_code == 422 and "status" in bad.get_json()["errors"]["json"]


def test_the_same_registration_sent_twice_is_one_shop(client, places):
    credit_code = valid_credit_code()
    first = _register(client, "newbie", places["street_a"], credit_code)
    again = client.login("newbie").post(
        "/api/v1/merchant/shops",
        json={
            "name": "新开小馆",
            "credit_code": credit_code,
            "category": "catering",
            "address": "天平路1号",
            "street": places["street_a"].code,
        },
    )  # spaces aside, same place
    assert again.status_code == 409 and "credit_code" in again.get_json()["errors"]["json"]
    assert first.get_json()["id"] in again.get_json()["message"]
    # A second shop of the same business elsewhere is fine.
    branch = client.login("newbie").post(
        "/api/v1/merchant/shops",
        json={
            "name": "新开小馆二店",
            "credit_code": credit_code,
            "category": "catering",
            "address": "天平路 99 号",
            "street": places["street_a"].code,
        },
    )
    assert branch.status_code == 201
    mine = client.login("newbie").get("/api/v1/merchant/shops").get_json()
    assert len(mine) == 2


def test_an_approved_claim_makes_the_claimant_owner_even_if_they_joined_as_staff(
    client, make, places
):
    shop = make.shop("first_owner", places["street_a"])
    heir = client.login("heir")
    assert (
        heir.post("/api/v1/merchant/claims", json={"credit_code": shop.credit_code}).status_code
        == 201
    )
    # While the claim waits, the current owner takes them on as staff.
    code = (
        client.login("first_owner")
        .post(f"/api/v1/merchant/shops/{shop.public_id}/invites")
        .get_json()["code"]
    )
    assert heir.post("/api/v1/merchant/invites/accept", json={"code": code}).status_code == 200
    admin = client.login(f"approver_{places['street_a'].code}")
    request_id = next(
        r["id"] for r in admin.get("/api/v1/admin/shop-requests").get_json() if r["kind"] == "claim"
    )
    assert admin.post(f"/api/v1/admin/shop-requests/{request_id}/approve").status_code == 200
    mine = client.login("heir").get("/api/v1/merchant/shops").get_json()
    assert [(m["role"], m["shop"]["id"]) for m in mine] == [("owner", shop.public_id)]
    assert (
        client.login("heir")
        .post(f"/api/v1/merchant/shops/{shop.public_id}/code/reissue")
        .status_code
        == 201
    )


def test_a_rejection_needs_a_reason_the_applicant_can_read(client, make, places):
    shop = _register(client, "newbie", places["street_a"]).get_json()
    make.staff("admin_a", "admin", places["street_a"])
    admin = client.login("admin_a")
    [request] = admin.get("/api/v1/admin/shop-requests").get_json()
    blank = admin.post(f"/api/v1/admin/shop-requests/{request['id']}/reject", json={"note": "   "})
    assert blank.status_code == 422 and "note" in blank.get_json()["errors"]["json"]
    owner = client.login("newbie")
    assert owner.get(f"/api/v1/merchant/shops/{shop['id']}").get_json()["status"] == "pending"


def test_a_claim_on_a_shop_closed_while_it_waited_cannot_be_approved(client, make, places):
    shop = make.shop("first_owner", places["street_a"])
    assert (
        client.login("heir")
        .post("/api/v1/merchant/claims", json={"credit_code": shop.credit_code})
        .status_code
        == 201
    )
    admin = client.login(f"approver_{places['street_a'].code}")
    assert (
        admin.post(
            f"/api/v1/admin/shops/{shop.public_id}/status",
            json={"status": "closed", "reason": "停止经营"},
        ).status_code
        == 200
    )
    request_id = next(
        r["id"] for r in admin.get("/api/v1/admin/shop-requests").get_json() if r["kind"] == "claim"
    )

    response = admin.post(f"/api/v1/admin/shop-requests/{request_id}/approve")

    assert response.status_code == 409
    assert client.login("heir").get("/api/v1/merchant/shops").get_json() == []
    assert (
        admin.post(
            f"/api/v1/admin/shop-requests/{request_id}/reject", json={"note": "店铺已关闭"}
        ).status_code
        == 200
    )


def test_a_member_of_staff_taking_over_the_business_can_claim_it(client, make, places):
    shop = make.shop("first_owner", places["street_a"])
    code = (
        client.login("first_owner")
        .post(f"/api/v1/merchant/shops/{shop.public_id}/invites")
        .get_json()["code"]
    )
    son = client.login("son")
    assert son.post("/api/v1/merchant/invites/accept", json={"code": code}).status_code == 200

    claim = son.post("/api/v1/merchant/claims", json={"credit_code": shop.credit_code})

    assert claim.status_code == 201, claim.get_json()
    admin = client.login(f"approver_{places['street_a'].code}")
    assert (
        admin.post(f"/api/v1/admin/shop-requests/{claim.get_json()['id']}/approve").status_code
        == 200
    )
    mine = client.login("son").get("/api/v1/merchant/shops").get_json()
    assert [(m["role"], m["shop"]["id"]) for m in mine] == [("owner", shop.public_id)]
    # The owner has nothing to claim.
    again = son.post("/api/v1/merchant/claims", json={"credit_code": shop.credit_code})
    assert again.status_code == 409


def test_an_admin_sees_who_claims_a_shop_masked(client, make, places):
    shop = make.shop("first_owner", places["street_a"])
    with database.connection_context():
        User.update(display_name="王小明", phone="13912345678").where(
            User.id == make.user("heir").id
        ).execute()
    assert (
        client.login("heir")
        .post("/api/v1/merchant/claims", json={"credit_code": shop.credit_code})
        .status_code
        == 201
    )
    admin = client.login(f"approver_{places['street_a'].code}")
    [claim] = [
        r for r in admin.get("/api/v1/admin/shop-requests").get_json() if r["kind"] == "claim"
    ]
    assert claim["applicant"] == {"name": "王**", "phone": "139****5678"}


def test_an_approved_claim_ends_the_former_owners_access_and_tells_them(
    client, make, places, wechat_stub
):
    shop = make.shop("first_owner", places["street_a"])
    base = f"/api/v1/merchant/shops/{shop.public_id}"
    former = client.login("first_owner")
    code = former.post(f"{base}/invites").get_json()["code"]
    assert (
        client.login("clerk")
        .post("/api/v1/merchant/invites/accept", json={"code": code})
        .status_code
        == 200
    )
    spare_invite = former.post(f"{base}/invites").get_json()["code"]
    claim = (
        client.login("heir")
        .post("/api/v1/merchant/claims", json={"credit_code": shop.credit_code})
        .get_json()
    )
    admin = client.login(f"approver_{places['street_a'].code}")
    told_before = len(wechat_stub.sent("subscribe/send"))

    assert admin.post(f"/api/v1/admin/shop-requests/{claim['id']}/approve").status_code == 200

    assert former.get(base).status_code == 404
    assert former.post(f"{base}/code/reissue").status_code == 404
    assert client.login("first_owner").get("/api/v1/merchant/shops").get_json() == []
    assert (
        client.login("stranger")
        .post("/api/v1/merchant/invites/accept", json={"code": spare_invite})
        .status_code
        == 422
    )
    people = client.login("heir").get(f"{base}/members").get_json()
    assert sorted(p["role"] for p in people) == ["owner", "staff"]  # the clerk stays
    events = client.login("heir").get(f"{base}/lifecycle").get_json()
    removed = [e for e in events if e["type"] == "shop.member_removed"]
    assert [e["payload"]["role"] for e in removed] == ["owner"]
    told = [m["body"] for m in wechat_stub.sent("subscribe/send")[told_before:]]
    assert sorted(m["touser"] for m in told) == ["oStub_first_owner", "oStub_heir"]
    [former_told] = [m for m in told if m["touser"] == "oStub_first_owner"]
    assert former_told["data"]["thing1"]["value"] == shop.name


def test_a_rejected_registration_records_when_its_shop_closed(client, make, places):
    shop = _register(client, "newbie", places["street_a"]).get_json()
    make.staff("admin_a", "admin", places["street_a"])
    clock.travel(timedelta(days=3))
    decided = clock.now()
    admin = client.login("admin_a")
    request_id = admin.get("/api/v1/admin/shop-requests").get_json()[0]["id"]
    assert (
        admin.post(
            f"/api/v1/admin/shop-requests/{request_id}/reject", json={"note": "地址与执照不符"}
        ).status_code
        == 200
    )
    with database.connection_context():
        assert Shop.get(Shop.public_id == shop["id"]).updated_at >= decided


def _told(wechat_stub, user):
    return [
        m["body"]["data"]
        for m in wechat_stub.sent("subscribe/send")
        if m["body"]["touser"] == f"oStub_{user}"
    ]


def test_the_applicant_is_told_once_their_registration_is_approved(
    client, make, places, wechat_stub
):
    _register(client, "newbie", places["street_a"], name="新开小馆")
    make.staff("admin_a", "admin", places["street_a"])
    admin = client.login("admin_a")
    request_id = admin.get("/api/v1/admin/shop-requests").get_json()[0]["id"]

    assert admin.post(f"/api/v1/admin/shop-requests/{request_id}/approve").status_code == 200
    assert admin.post(f"/api/v1/admin/shop-requests/{request_id}/approve").status_code == 409

    [told] = _told(wechat_stub, "newbie")
    assert told["thing1"]["value"] == "新开小馆"
    assert "通过" in told["thing2"]["value"] and "未通过" not in told["thing2"]["value"]


def test_the_applicant_is_told_why_their_claim_was_rejected(client, make, places, wechat_stub):
    shop = make.shop("first_owner", places["street_a"])
    claim = (
        client.login("heir")
        .post("/api/v1/merchant/claims", json={"credit_code": shop.credit_code})
        .get_json()
    )
    admin = client.login(f"approver_{places['street_a'].code}")
    owner_told_before = len(_told(wechat_stub, "first_owner"))

    assert (
        admin.post(
            f"/api/v1/admin/shop-requests/{claim['id']}/reject", json={"note": "材料不全"}
        ).status_code
        == 200
    )

    [told] = _told(wechat_stub, "heir")
    assert told["thing1"]["value"] == shop.name
    assert told["thing2"]["value"] == "认领未通过：材料不全"
    assert len(_told(wechat_stub, "first_owner")) == owner_told_before


def test_someone_else_registering_a_business_on_record_is_sent_to_claim_it(client, places):
    credit_code = valid_credit_code()
    first = _register(client, "founder", places["street_a"], credit_code)
    assert first.status_code == 201
    second = _register(client, "heir", places["street_a"], credit_code, name="另一个名字")
    assert second.status_code == 409, second.get_json()
    assert second.get_json()["errors"] == {"json": {"credit_code": ["registered_by_someone_else"]}}
    assert "/api/v1/merchant/claims" in second.get_json()["message"]
    # Nothing of the founder's shop is told to a stranger, and nothing new was made.
    assert first.get_json()["id"] not in second.get_json()["message"]
    assert client.login("heir").get("/api/v1/merchant/shops").get_json() == []
    claim = client.login("heir").post("/api/v1/merchant/claims", json={"credit_code": credit_code})
    assert claim.status_code == 201
