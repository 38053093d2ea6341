"""A shopkeeper reaches only their own shops; shop staff cannot manage the code or people."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from PIL import Image

from backend import clock
from backend.db import database
from backend.models import LifecycleEvent, Shop
from tests.factories import error_keys


@pytest.fixture
def two_shops(make):
    places = make.region_tree()
    shop_a = make.shop("owner_a", places["street_a"], name="甲店")
    shop_b = make.shop("owner_b", places["street_b"], name="乙店")
    licence_b = make.licence(shop_b, date(2031, 1, 1))
    return shop_a, shop_b, licence_b


READS = [
    "",
    "/licences",
    "/employees",
    "/honours",
    "/members",
    "/code",
    "/code.svg",
    "/code.png",
    "/lifecycle",
]


@pytest.mark.parametrize("suffix", READS)
def test_owner_of_a_cannot_read_shop_b(client, two_shops, suffix):
    _, shop_b, _ = two_shops
    owner_a = client.login("owner_a")
    response = owner_a.get(f"/api/v1/merchant/shops/{shop_b.public_id}{suffix}")
    assert response.status_code == 404
    assert "乙店" not in response.get_data(as_text=True)


def test_owner_of_a_cannot_change_shop_b(client, two_shops):
    _, shop_b, licence_b = two_shops
    owner_a = client.login("owner_a")
    base = f"/api/v1/merchant/shops/{shop_b.public_id}"
    with database.connection_context():
        seq_before = Shop.get_by_id(shop_b.id).lifecycle_seq
    attempts = [
        owner_a.patch(base, json={"name": "被改了"}),
        owner_a.post(
            f"{base}/licences",
            json={
                "type": "other",
                "number": "X1234567",
                "issuer": "某机关",
                "valid_from": "2024-01-01",
                "valid_to": "2030-01-01",
            },
        ),
        owner_a.post(
            f"{base}/licences/{licence_b.public_id}/renewal", json={"valid_to": "2035-01-01"}
        ),
        owner_a.delete(f"{base}/licences/{licence_b.public_id}"),
        owner_a.post(f"{base}/code/reissue"),
        owner_a.post(f"{base}/invites"),
    ]
    assert [r.status_code for r in attempts] == [404] * len(attempts)
    with database.connection_context():
        shop = Shop.get_by_id(shop_b.id)
        assert shop.name == "乙店"
        assert shop.lifecycle_seq == seq_before


def test_a_licence_of_shop_b_cannot_be_reached_through_shop_a(client, two_shops):
    shop_a, _, licence_b = two_shops
    owner_a = client.login("owner_a")
    response = owner_a.delete(
        f"/api/v1/merchant/shops/{shop_a.public_id}/licences/{licence_b.public_id}"
    )
    assert response.status_code == 404


def _invite_staff(client, shop, owner, member):
    code = (
        client.login(owner)
        .post(f"/api/v1/merchant/shops/{shop.public_id}/invites")
        .get_json()["code"]
    )
    staff = client.login(member)
    accepted = staff.post("/api/v1/merchant/invites/accept", json={"code": code})
    assert accepted.status_code == 200, accepted.get_json()
    return staff


def test_shop_staff_edit_the_profile_but_not_the_code_or_people(client, two_shops):
    shop_a, _, _ = two_shops
    staff = _invite_staff(client, shop_a, "owner_a", "clerk")
    base = f"/api/v1/merchant/shops/{shop_a.public_id}"
    assert staff.patch(base, json={"opening_hours": "09:00-21:00"}).status_code == 200
    assert staff.get(f"{base}/code").status_code == 200
    assert staff.post(f"{base}/code/reissue").status_code == 403
    assert staff.post(f"{base}/invites").status_code == 403
    assert staff.get(f"{base}/members").status_code == 403
    me = staff.get("/api/v1/me").get_json()
    assert me["shops"] == [
        {"id": shop_a.public_id, "name": "甲店", "status": "active", "role": "staff"}
    ]


def test_invite_code_works_once(client, two_shops):
    shop_a, _, _ = two_shops
    code = (
        client.login("owner_a")
        .post(f"/api/v1/merchant/shops/{shop_a.public_id}/invites")
        .get_json()["code"]
    )
    assert (
        client.login("clerk")
        .post("/api/v1/merchant/invites/accept", json={"code": code})
        .status_code
        == 200
    )
    again = client.login("thief").post("/api/v1/merchant/invites/accept", json={"code": code})
    assert again.status_code == 422 and "code" in again.get_json()["errors"]["json"]


def test_owner_removes_staff_and_they_lose_access(client, two_shops):
    shop_a, _, _ = two_shops
    staff = _invite_staff(client, shop_a, "owner_a", "clerk")
    owner = client.login("owner_a")
    members = owner.get(f"/api/v1/merchant/shops/{shop_a.public_id}/members").get_json()
    clerk = next(m for m in members if m["role"] == "staff")
    assert (
        owner.delete(
            f"/api/v1/merchant/shops/{shop_a.public_id}/members/{clerk['user_id']}"
        ).status_code
        == 204
    )
    assert staff.get(f"/api/v1/merchant/shops/{shop_a.public_id}").status_code == 404


def test_profile_edit_is_a_lifecycle_event(client, two_shops):
    shop_a, _, _ = two_shops
    owner = client.login("owner_a")
    response = owner.patch(
        f"/api/v1/merchant/shops/{shop_a.public_id}",
        json={"opening_hours": "07:00-19:00", "phone": "13812345678"},
    )
    assert response.status_code == 200 and response.get_json()["phone"] == "13812345678"
    events = owner.get(f"/api/v1/merchant/shops/{shop_a.public_id}/lifecycle").get_json()
    assert events[0]["type"] == "shop.profile_changed"
    assert events[0]["payload"]["opening_hours"] == "07:00-19:00"


def test_bad_profile_input_names_the_field_and_changes_nothing(client, two_shops):
    shop_a, _, _ = two_shops
    owner = client.login("owner_a")
    response = owner.patch(
        f"/api/v1/merchant/shops/{shop_a.public_id}",
        json={"name": "甲店二", "phone": "not-a-phone"},
    )
    assert response.status_code == 422
    assert "phone" in response.get_json()["errors"]["json"]
    with database.connection_context():
        assert Shop.get_by_id(shop_a.id).name == "甲店"
        assert (
            LifecycleEvent.select()
            .where(LifecycleEvent.shop == shop_a.id, LifecycleEvent.type == "shop.profile_changed")
            .count()
            == 0
        )


@pytest.mark.parametrize(
    "field, value", [("opening_hours", "9:00-\n21:00"), ("description", "家常\x01面馆")]
)
def test_profile_text_with_control_characters_is_refused_naming_the_field(
    client, two_shops, field, value
):
    shop_a, _, _ = two_shops
    response = client.login("owner_a").patch(
        f"/api/v1/merchant/shops/{shop_a.public_id}", json={field: value}
    )
    assert response.status_code == 422 and field in response.get_json()["errors"]["json"]
    with database.connection_context():
        assert getattr(Shop.get_by_id(shop_a.id), field) is None


def test_a_phone_typed_with_a_trailing_line_break_is_stored_without_it(client, two_shops):
    shop_a, _, _ = two_shops
    response = client.login("owner_a").patch(
        f"/api/v1/merchant/shops/{shop_a.public_id}", json={"phone": "13800138000\n"}
    )
    assert response.status_code == 200 and response.get_json()["phone"] == "13800138000"


def test_shop_staff_see_their_colleagues_personal_data_masked(client, make, two_shops):
    shop_a, _, _ = two_shops
    staff = _invite_staff(client, shop_a, "owner_a", "clerk")
    owner = client.login("owner_a")
    url = f"/api/v1/merchant/shops/{shop_a.public_id}/employees"
    added = owner.post(
        url,
        json={
            "name": "张三丰",
            "position": "厨师",
            "health_cert_number": "310104199001011234",
            "health_cert_expires": "2030-01-01",
        },
    )
    assert added.status_code == 201

    [seen_by_owner] = owner.get(url).get_json()
    [seen_by_staff] = staff.get(url).get_json()

    assert (seen_by_owner["name"], seen_by_owner["health_cert_number"]) == (
        "张三丰",
        "310104199001011234",
    )
    assert seen_by_staff["name"] != "张三丰" and seen_by_staff["name"].startswith("张")
    assert "310104199001011234" not in staff.get(url).get_data(as_text=True)
    assert seen_by_staff["health_cert_expires"] == "2030-01-01"
    assert seen_by_staff["position"] == "厨师"
    # Nor through the shop's scan view, or the answer to an edit.
    code = make.code_of(shop_a)
    edited = staff.patch(f"{url}/{seen_by_staff['id']}", json={"position": "面点师"})
    assert edited.status_code == 200
    for body in (
        staff.get(f"/api/v1/scan/{code}").get_data(as_text=True),
        edited.get_data(as_text=True),
    ):
        assert "310104199001011234" not in body and "张三丰" not in body
    assert "310104199001011234" in owner.get(f"/api/v1/scan/{code}").get_data(as_text=True)


def test_a_licence_number_of_spaces_is_no_number(client, two_shops):
    shop_a, _, _ = two_shops
    owner = client.login("owner_a")
    url = f"/api/v1/merchant/shops/{shop_a.public_id}/licences"
    licence = {
        "type": "food_business",
        "issuer": "区市场监管局",
        "valid_from": "2024-01-01",
        "valid_to": "2029-01-01",
    }
    blank = owner.post(url, json={**licence, "number": "      "})
    assert blank.status_code == 422 and "number" in blank.get_json()["errors"]["json"]
    padded = owner.post(url, json={**licence, "number": "  JY13101040012345 "})
    assert padded.status_code == 201 and padded.get_json()["number"] == "JY13101040012345"


def test_an_honours_certificate_photo_comes_back_to_the_shop(client, two_shops):
    shop_a, _, _ = two_shops
    owner = client.login("owner_a")
    base = f"/api/v1/merchant/shops/{shop_a.public_id}"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, format="PNG")
    photo = owner.post(
        f"{base}/uploads",
        data={"file": (io.BytesIO(buffer.getvalue()), "a.png")},
        content_type="multipart/form-data",
    ).get_json()["id"]
    added = owner.post(
        f"{base}/honours", json={"title": "诚信商户", "issuer": "区商务委", "photo": photo}
    )
    assert added.status_code == 201 and added.get_json()["photo"] == photo
    assert owner.get(f"{base}/honours").get_json()[0]["photo"] == photo


def test_an_employee_edit_that_changes_nothing_adds_nothing_to_the_record(client, two_shops):
    shop_a, _, _ = two_shops
    owner = client.login("owner_a")
    url = f"/api/v1/merchant/shops/{shop_a.public_id}/employees"
    employee = owner.post(
        url,
        json={
            "name": "李四",
            "health_cert_number": "JK20240001",
            "health_cert_expires": "2030-01-01",
        },
    ).get_json()
    with database.connection_context():
        seq = Shop.get_by_id(shop_a.id).lifecycle_seq

    for body in ({}, {"name": "李四", "health_cert_expires": "2030-01-01"}):
        again = owner.patch(f"{url}/{employee['id']}", json=body)
        assert again.status_code == 200 and again.get_json()["name"] == "李四"

    with database.connection_context():
        assert Shop.get_by_id(shop_a.id).lifecycle_seq == seq


def _close(client, shop):
    with database.connection_context():
        street = Shop.get_by_id(shop.id).street
    admin = client.login(f"approver_{street.code}")
    assert (
        admin.post(
            f"/api/v1/admin/shops/{shop.public_id}/status",
            json={"status": "closed", "reason": "停止经营"},
        ).status_code
        == 200
    )


def test_a_closed_shops_people_change_nothing_but_still_read_its_history(client, make, two_shops):
    shop_a, _, _ = two_shops
    staff = _invite_staff(client, shop_a, "owner_a", "clerk")
    owner = client.login("owner_a")
    base = f"/api/v1/merchant/shops/{shop_a.public_id}"
    licence = make.licence(shop_a, date(2031, 1, 1))
    employee = owner.post(
        f"{base}/employees",
        json={
            "name": "李四",
            "health_cert_number": "JK20240001",
            "health_cert_expires": "2030-01-01",
        },
    ).get_json()
    honour = owner.post(
        f"{base}/honours", json={"title": "诚信商户", "issuer": "区商务委"}
    ).get_json()
    invite = owner.post(f"{base}/invites").get_json()["code"]
    resident = client.login("alice")
    ticket = resident.get(f"/api/v1/scan/{make.code_of(shop_a)}").get_json()["rating_ticket"]
    rating = resident.post(
        f"/api/v1/resident/shops/{shop_a.public_id}/ratings",
        json={"rating_ticket": ticket, "stars": 4},
    ).get_json()
    clerk_id = next(
        m["user_id"] for m in owner.get(f"{base}/members").get_json() if m["role"] == "staff"
    )
    _close(client, shop_a)
    with database.connection_context():
        seq = Shop.get_by_id(shop_a.id).lifecycle_seq
    png = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(png, format="PNG")

    attempts = [
        owner.patch(base, json={"name": "新名字"}),
        owner.post(
            f"{base}/licences",
            json={
                "type": "other",
                "number": "X1234567",
                "issuer": "某机关",
                "valid_from": "2024-01-01",
                "valid_to": "2030-01-01",
            },
        ),
        owner.post(f"{base}/licences/{licence.public_id}/renewal", json={"valid_to": "2035-01-01"}),
        owner.delete(f"{base}/licences/{licence.public_id}"),
        owner.post(
            f"{base}/employees",
            json={
                "name": "王五",
                "health_cert_number": "JK20240002",
                "health_cert_expires": "2030-01-01",
            },
        ),
        staff.patch(f"{base}/employees/{employee['id']}", json={"name": "李五"}),
        owner.delete(f"{base}/employees/{employee['id']}"),
        staff.post(f"{base}/honours", json={"title": "文明商户", "issuer": "街道"}),
        owner.delete(f"{base}/honours/{honour['id']}"),
        owner.post(f"{base}/invites"),
        client.login("bob").post("/api/v1/merchant/invites/accept", json={"code": invite}),
        owner.delete(f"{base}/members/{clerk_id}"),
        owner.post(f"{base}/code/reissue"),
        staff.post(
            f"{base}/uploads",
            data={"file": (io.BytesIO(png.getvalue()), "a.png")},
            content_type="multipart/form-data",
        ),
        owner.post(f"{base}/ratings/{rating['id']}/reply", json={"text": "谢谢"}),
    ]
    assert [r.status_code for r in attempts] == [409] * len(attempts)
    assert all(error_keys(r) == ["shop_closed"] for r in attempts)
    with database.connection_context():
        assert Shop.get_by_id(shop_a.id).lifecycle_seq == seq
    for suffix in ("", "/licences", "/employees", "/honours", "/lifecycle", "/ratings"):
        assert staff.get(f"{base}{suffix}").status_code == 200


def test_a_pending_shops_owner_keeps_its_papers_before_approval(client, make):
    places = make.region_tree()
    shop = make.shop("newcomer", places["street_a"], approved=False)
    owner = client.login("newcomer")
    base = f"/api/v1/merchant/shops/{shop.public_id}"
    added = owner.post(
        f"{base}/licences",
        json={
            "type": "business_licence",
            "number": "X1234567",
            "issuer": "区市场监管局",
            "valid_from": "2024-01-01",
            "valid_to": "2030-01-01",
        },
    )
    assert added.status_code == 201
    assert (
        owner.post(
            f"{base}/employees",
            json={
                "name": "李四",
                "health_cert_number": "JK20240001",
                "health_cert_expires": "2030-01-01",
            },
        ).status_code
        == 201
    )
    assert owner.post(f"{base}/code/reissue").status_code == 409


def test_a_licence_not_yet_in_force_is_shown_so_and_costs_no_grade(client, make, two_shops):
    shop_a, _, _ = two_shops
    with database.connection_context():
        make.staff("inspector_a", "inspector", Shop.get_by_id(shop_a.id).street)
    today = clock.today_local()
    inspector = client.login("inspector_a")
    make.licence(shop_a, today + timedelta(days=20), number="JY00000000000009")
    before = inspector.get(f"/api/v1/scan/{make.code_of(shop_a)}").get_json()
    # The renewal, filed before the licence it follows runs out.
    make.licence(shop_a, today + timedelta(days=3 * 365), valid_from=today + timedelta(days=21))
    owner = client.login("owner_a")
    statuses = [
        lic["status"]
        for lic in owner.get(f"/api/v1/merchant/shops/{shop_a.public_id}/licences").get_json()
    ]
    assert sorted(statuses) == ["expiring", "not_yet_valid"]
    view = inspector.get(f"/api/v1/scan/{make.code_of(shop_a)}").get_json()
    assert view["view"] == "regulatory"
    assert [lic["status"] for lic in view["licences"]] == ["expiring", "not_yet_valid"]
    assert view["regulatory"]["risk"] == before["regulatory"]["risk"]


def test_a_renewal_cannot_take_the_number_of_another_licence_of_its_type(client, make, two_shops):
    shop_a, _, _ = two_shops
    make.licence(shop_a, date(2031, 1, 1), number="JY00000000000001")
    second = make.licence(shop_a, date(2030, 1, 1), number="JY00000000000002")
    owner = client.login("owner_a")
    base = f"/api/v1/merchant/shops/{shop_a.public_id}/licences"
    taken = owner.post(
        f"{base}/{second.public_id}/renewal",
        json={"valid_to": "2035-01-01", "number": "JY00000000000001"},
    )
    assert taken.status_code == 409 and "number" in taken.get_json()["errors"]["json"]
    numbers = sorted(lic["number"] for lic in owner.get(base).get_json())
    assert numbers == ["JY00000000000001", "JY00000000000002"]
    own = owner.post(
        f"{base}/{second.public_id}/renewal",
        json={"valid_to": "2035-01-01", "number": "JY00000000000002"},
    )
    assert own.status_code == 200


def test_an_employee_edit_cannot_take_a_colleagues_certificate_number(client, two_shops):
    shop_a, _, _ = two_shops
    owner = client.login("owner_a")
    url = f"/api/v1/merchant/shops/{shop_a.public_id}/employees"
    owner.post(
        url,
        json={
            "name": "李四",
            "health_cert_number": "JK20240001",
            "health_cert_expires": "2030-01-01",
        },
    )
    other = owner.post(
        url,
        json={
            "name": "王五",
            "health_cert_number": "JK20240002",
            "health_cert_expires": "2030-01-01",
        },
    ).get_json()
    taken = owner.patch(f"{url}/{other['id']}", json={"health_cert_number": "JK20240001"})
    assert taken.status_code == 409
    assert "health_cert_number" in taken.get_json()["errors"]["json"]
    assert sorted(e["health_cert_number"] for e in owner.get(url).get_json()) == [
        "JK20240001",
        "JK20240002",
    ]
