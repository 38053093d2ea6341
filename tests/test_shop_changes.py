"""An approved shop's registered name and address change only when an admin approves.

The landing page shows them so a resident can tell a sticker belongs to the shop in
front of them; a shopkeeper must not be able to make a shop match a sticker elsewhere.
"""

from __future__ import annotations

import pytest

from backend.db import database
from backend.models import Shop

ADMIN = "/api/v1/admin"


@pytest.fixture
def places(make):
    return make.region_tree()


@pytest.fixture
def shop(make, places):
    return make.shop("owner", places["street_a"], name="老王面馆")


def _base(shop):
    return f"/api/v1/merchant/shops/{shop.public_id}"


def _scanned(client, make, shop):
    return client.login("passer_by").get(f"/api/v1/scan/{make.code_of(shop)}").get_json()["shop"]


def _admin(client, places):
    return client.login(f"approver_{places['street_a'].code}")


def _waiting_change(admin):
    return [r for r in admin.get(f"{ADMIN}/shop-requests").get_json() if r["kind"] == "change"]


def _invite_staff(client, shop, member):
    code = client.login("owner").post(f"{_base(shop)}/invites").get_json()["code"]
    staff = client.login(member)
    accepted = staff.post("/api/v1/merchant/invites/accept", json={"code": code})
    assert accepted.status_code == 200, accepted.get_json()
    return staff


def _told(wechat_stub, user):
    return [
        m["body"]["data"]
        for m in wechat_stub.sent("subscribe/send")
        if m["body"]["touser"] == f"oStub_{user}"
    ]


def test_a_new_name_waits_for_the_admin_and_the_scan_shows_it_only_once_approved(
    client, make, places, shop, wechat_stub
):
    owner = client.login("owner")
    response = owner.patch(_base(shop), json={"name": "老张面馆", "address": "衡山路 9 号"})

    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["address"]) == ("老王面馆", "天平路 88 号")
    assert body["pending_change"]["name"] == "老张面馆"
    assert body["pending_change"]["address"] == "衡山路 9 号"
    assert body["pending_change"]["requested_at"]
    assert _scanned(client, make, shop)["name"] == "老王面馆"

    admin = _admin(client, places)
    [change] = _waiting_change(admin)
    assert change["shop_id"] == shop.public_id
    assert change["changes"] == {
        "name": {"old": "老王面馆", "new": "老张面馆"},
        "address": {"old": "天平路 88 号", "new": "衡山路 9 号"},
    }

    assert admin.post(f"{ADMIN}/shop-requests/{change['id']}/approve").status_code == 200

    scanned = _scanned(client, make, shop)
    assert (scanned["name"], scanned["address"]) == ("老张面馆", "衡山路 9 号")
    assert owner.get(_base(shop)).get_json()["pending_change"] is None
    [event] = [
        e
        for e in owner.get(f"{_base(shop)}/lifecycle").get_json()
        if e["type"] == "shop.profile_changed"
    ]
    assert event["payload"]["name"] == "老张面馆" and event["actor"].startswith("staff:")
    [told] = _told(wechat_stub, "owner")[-1:]
    assert told["thing1"]["value"] == "老张面馆" and "通过" in told["thing2"]["value"]
    assert admin.post(f"{ADMIN}/shop-requests/{change['id']}/approve").status_code == 409


def test_a_rejected_change_keeps_the_old_name_and_tells_the_owner_why(
    client, make, places, shop, wechat_stub
):
    owner = client.login("owner")
    assert owner.patch(_base(shop), json={"name": "老张面馆"}).status_code == 200
    admin = _admin(client, places)
    [change] = _waiting_change(admin)

    rejected = admin.post(
        f"{ADMIN}/shop-requests/{change['id']}/reject", json={"note": "与营业执照不符"}
    )

    assert rejected.status_code == 200 and rejected.get_json()["note"] == "与营业执照不符"
    assert _scanned(client, make, shop)["name"] == "老王面馆"
    assert owner.get(_base(shop)).get_json()["pending_change"] is None
    [told] = _told(wechat_stub, "owner")[-1:]
    assert told["thing2"]["value"] == "变更未通过：与营业执照不符"
    [mine] = [r for r in owner.get("/api/v1/merchant/claims").get_json() if r["kind"] == "change"]
    assert mine["status"] == "rejected" and mine["changes"]["name"]["new"] == "老张面馆"


def test_asking_again_replaces_what_it_names_in_the_change_that_waits(client, places, shop):
    owner = client.login("owner")
    owner.patch(_base(shop), json={"name": "老张面馆", "address": "衡山路 9 号"})

    again = owner.patch(_base(shop), json={"name": "老李面馆"}).get_json()

    assert again["pending_change"]["name"] == "老李面馆"
    assert again["pending_change"]["address"] == "衡山路 9 号"
    [change] = _waiting_change(_admin(client, places))
    assert change["changes"]["name"] == {"old": "老王面馆", "new": "老李面馆"}


def test_staff_cannot_ask_to_rename_the_shop(client, make, places, shop):
    staff = _invite_staff(client, shop, "clerk")

    response = staff.patch(_base(shop), json={"name": "老张面馆", "phone": "13812345678"})

    assert response.status_code == 403 and "name" in response.get_json()["errors"]["json"]
    assert _waiting_change(_admin(client, places)) == []
    with database.connection_context():
        assert Shop.get_by_id(shop.id).phone is None
    # Sending the name the shop already has, as a whole form does, is no request.
    kept = staff.patch(_base(shop), json={"name": "老王面馆", "opening_hours": "08:00-20:00"})
    assert kept.status_code == 200 and kept.get_json()["opening_hours"] == "08:00-20:00"


def test_phone_and_hours_still_change_at_once(client, make, places, shop):
    owner = client.login("owner")

    response = owner.patch(
        _base(shop),
        json={"name": "老张面馆", "phone": "13812345678", "opening_hours": "10:00-22:00"},
    )

    assert response.status_code == 200
    assert response.get_json()["phone"] == "13812345678"
    assert response.get_json()["opening_hours"] == "10:00-22:00"
    assert _scanned(client, make, shop)["name"] == "老王面馆"


def test_a_suspended_shop_also_asks(client, make, places, shop):
    admin = _admin(client, places)
    assert (
        admin.post(
            f"{ADMIN}/shops/{shop.public_id}/status",
            json={"status": "suspended", "reason": "整改期间"},
        ).status_code
        == 200
    )

    client.login("owner").patch(_base(shop), json={"address": "衡山路 9 号"})

    with database.connection_context():
        assert Shop.get_by_id(shop.id).address == "天平路 88 号"
    assert len(_waiting_change(admin)) == 1


def test_a_shop_not_yet_approved_changes_its_name_at_once(client, make, places):
    pending = make.shop("newbie", places["street_a"], approved=False, name="新开小馆")

    response = client.login("newbie").patch(_base(pending), json={"name": "新开面馆"})

    assert response.status_code == 200 and response.get_json()["name"] == "新开面馆"
    assert response.get_json()["pending_change"] is None


def test_an_admin_of_another_street_cannot_decide_the_change(client, make, places, shop):
    client.login("owner").patch(_base(shop), json={"name": "老张面馆"})
    make.staff("admin_b", "admin", places["street_b"])
    admin_b = client.login("admin_b")
    [change] = _waiting_change(_admin(client, places))

    assert _waiting_change(admin_b) == []
    assert admin_b.post(f"{ADMIN}/shop-requests/{change['id']}/approve").status_code == 404
    assert (
        admin_b.post(
            f"{ADMIN}/shop-requests/{change['id']}/reject", json={"note": "不行"}
        ).status_code
        == 404
    )
    assert _scanned(client, make, shop)["name"] == "老王面馆"
    assert len(_waiting_change(_admin(client, places))) == 1


def test_a_new_owner_does_not_inherit_the_former_owners_change(client, make, places, shop):
    client.login("owner").patch(_base(shop), json={"name": "老张面馆"})
    claim = (
        client.login("heir")
        .post("/api/v1/merchant/claims", json={"credit_code": shop.credit_code})
        .get_json()
    )
    admin = _admin(client, places)
    [change] = _waiting_change(admin)

    assert admin.post(f"{ADMIN}/shop-requests/{claim['id']}/approve").status_code == 200

    assert _waiting_change(admin) == []
    assert admin.post(f"{ADMIN}/shop-requests/{change['id']}/approve").status_code == 409
    assert client.login("heir").get(_base(shop)).get_json()["name"] == "老王面馆"
