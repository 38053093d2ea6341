"""Writes to one shop that arrive at the same moment: a double tap, two people editing, a
resident rating while the shopkeeper edits. Each must leave what every answer promised.

On PostgreSQL these race for real (row locks decide); SQLite takes one writer at a time,
so there they check the same outcome without the race.
"""

from __future__ import annotations

from functools import partial

from backend import lifecycle
from backend.db import database
from backend.models import Rating, Shop, ShopCode, ShopMembership, ShopRequest
from tests.factories import ApiClient
from tests.races import at_once

MERCHANT = "/api/v1/merchant"


def test_two_people_editing_the_profile_at_once_both_keep_their_change(app, client, make):
    places = make.region_tree()
    shop = make.shop("owner", places["street_a"])
    code = (
        client.login("owner").post(f"{MERCHANT}/shops/{shop.public_id}/invites").get_json()["code"]
    )
    assert (
        client.login("clerk").post(f"{MERCHANT}/invites/accept", json={"code": code}).status_code
        == 200
    )
    owner, clerk = (ApiClient(app, client.login(user).token) for user in ("owner", "clerk"))
    base = f"{MERCHANT}/shops/{shop.public_id}"

    for round_ in range(4):
        phone, hours = f"1381234567{round_}", f"0{round_}:00-21:00"
        answers = at_once(
            partial(owner.patch, base, json={"phone": phone}),
            partial(clerk.patch, base, json={"opening_hours": hours}),
        )
        assert [a.status_code for a in answers] == [200, 200]
        with database.connection_context():
            fresh = Shop.get_by_id(shop.id)
        assert (fresh.phone, fresh.opening_hours) == (phone, hours), round_
    with database.connection_context():
        assert lifecycle.verify(Shop.get_by_id(shop.id)).ok


def test_a_double_tapped_rename_waits_as_one_change(app, client, make):
    places = make.region_tree()
    shop = make.shop("owner", places["street_a"])
    taps = [ApiClient(app, client.login("owner").token) for _ in range(2)]
    base = f"{MERCHANT}/shops/{shop.public_id}"

    answers = at_once(*(lambda tap=tap: tap.patch(base, json={"name": "老张面馆"}) for tap in taps))

    assert [a.status_code for a in answers] == [200, 200]
    with database.connection_context():
        waiting = ShopRequest.select().where(
            (ShopRequest.shop == shop.id) & (ShopRequest.status == "pending")
        )
        assert [r.kind for r in waiting] == ["change"]


def test_a_profile_edit_does_not_undo_a_rating_that_lands_with_it(app, client, make):
    places = make.region_tree()
    shop = make.shop("owner", places["street_a"])
    code = make.code_of(shop)
    owner = ApiClient(app, client.login("owner").token)
    residents = [ApiClient(app, client.login(f"resident{n}").token) for n in range(4)]

    for n, resident in enumerate(residents):
        ticket = resident.get(f"/api/v1/scan/{code}").get_json()["rating_ticket"]
        edited, rated = at_once(
            partial(
                owner.patch,
                f"{MERCHANT}/shops/{shop.public_id}",
                json={"opening_hours": f"0{n}:00-22:00"},
            ),
            partial(
                resident.post,
                f"/api/v1/resident/shops/{shop.public_id}/ratings",
                json={"rating_ticket": ticket, "stars": 4},
            ),
        )
        assert (edited.status_code, rated.status_code) == (200, 201)
    with database.connection_context():
        fresh = Shop.get_by_id(shop.id)
        ratings = Rating.select().where(Rating.shop == shop.id).count()
    assert (fresh.rating_count, fresh.rating_total, ratings) == (4, 16, 4)
    scanned = residents[0].get(f"/api/v1/scan/{code}").get_json()
    assert scanned["shop"]["rating"]["count"] == 4


def test_a_double_tap_on_reissue_leaves_one_current_code(app, client, make):
    places = make.region_tree()
    shop = make.shop("owner", places["street_a"])
    owner = ApiClient(app, client.login("owner").token)
    url = f"{MERCHANT}/shops/{shop.public_id}/code/reissue"

    answers = at_once(*[partial(owner.post, url) for _ in range(4)])

    assert [a.status_code for a in answers] == [201] * 4
    with database.connection_context():
        current = [
            c.code
            for c in ShopCode.select().where(
                (ShopCode.shop == shop.id) & ShopCode.revoked_at.is_null()
            )
        ]
        assert lifecycle.verify(Shop.get_by_id(shop.id)).ok
    assert len(current) == 1
    assert owner.get(f"{MERCHANT}/shops/{shop.public_id}/code").get_json()["code"] == current[0]


def test_one_invitation_lets_one_person_in_however_many_try_at_once(app, client, make):
    places = make.region_tree()
    shop = make.shop("owner", places["street_a"])
    code = (
        client.login("owner").post(f"{MERCHANT}/shops/{shop.public_id}/invites").get_json()["code"]
    )
    people = [ApiClient(app, client.login(f"clerk{n}").token) for n in range(4)]

    answers = at_once(
        *[
            lambda person=person: person.post(f"{MERCHANT}/invites/accept", json={"code": code})
            for person in people
        ]
    )

    assert sorted(a.status_code for a in answers) == [200, 422, 422, 422]
    with database.connection_context():
        staff = (
            ShopMembership.select()
            .where((ShopMembership.shop == shop.id) & (ShopMembership.role == "staff"))
            .count()
        )
    assert staff == 1


def test_a_double_tap_on_add_makes_one_licence_and_one_employee(app, client, make):
    places = make.region_tree()
    shop = make.shop("owner", places["street_a"])
    owner = ApiClient(app, client.login("owner").token)
    base = f"{MERCHANT}/shops/{shop.public_id}"
    licence = {
        "type": "food_business",
        "number": "JY13101040099999",
        "issuer": "区市场监管局",
        "valid_from": "2024-01-01",
        "valid_to": "2029-01-01",
    }
    employee = {
        "name": "王五",
        "health_cert_number": "JK20240007",
        "health_cert_expires": "2027-01-01",
    }

    for path, body, field in (
        ("licences", licence, "number"),
        ("employees", employee, "health_cert_number"),
    ):
        answers = at_once(*[partial(owner.post, f"{base}/{path}", json=body) for _ in range(3)])
        assert sorted(a.status_code for a in answers) == [201, 409, 409], path
        refused = next(a for a in answers if a.status_code == 409).get_json()
        assert field in refused["errors"]["json"]
        assert len(owner.get(f"{base}/{path}").get_json()) == 1


def test_a_double_tap_on_add_honour_lists_it_once(app, client, make):
    places = make.region_tree()
    shop = make.shop("owner", places["street_a"])
    owner = ApiClient(app, client.login("owner").token)
    url = f"{MERCHANT}/shops/{shop.public_id}/honours"
    honour = {"title": "诚信经营示范店", "issuer": "区市场监管局", "awarded_on": "2024-03-15"}

    answers = at_once(*[partial(owner.post, url, json=honour) for _ in range(3)])

    assert sorted(a.status_code for a in answers) == [201, 409, 409]
    assert owner.post(url, json={**honour, "awarded_on": "2025-03-15"}).status_code == 201
    assert len(owner.get(url).get_json()) == 2


def _waiting_claims(app, client, make, rounds: int):
    """Shops of one street, each with a newcomer's claim waiting for the street's
    approver: (approver, shop, claimant, claim) for each of `rounds` shops."""
    places = make.region_tree()
    make.approver(places["street_a"])
    admin = ApiClient(app, client.login(f"approver_{places['street_a'].code}").token)
    for n in range(rounds):
        shop = make.shop(f"owner{n}", places["street_a"])
        heir = ApiClient(app, client.login(f"heir{n}").token)
        claim = heir.post(f"{MERCHANT}/claims", json={"credit_code": shop.credit_code}).get_json()
        yield admin, shop, heir, claim


def test_a_claim_approved_while_the_claimant_joins_as_staff_leaves_them_owner(app, client, make):
    for n, (admin, shop, heir, claim) in enumerate(_waiting_claims(app, client, make, 8)):
        code = (
            client.login(f"owner{n}")
            .post(f"{MERCHANT}/shops/{shop.public_id}/invites")
            .get_json()["code"]
        )

        approved, joined = at_once(
            partial(admin.post, f"/api/v1/admin/shop-requests/{claim['id']}/approve"),
            partial(heir.post, f"{MERCHANT}/invites/accept", json={"code": code}),
        )

        assert approved.status_code == 200, approved.get_json()
        assert joined.status_code in (200, 409), joined.get_json()
        roles = [m["role"] for m in heir.get(f"{MERCHANT}/shops").get_json()]
        assert roles == ["owner"]


def test_a_double_tap_on_claim_leaves_one_waiting_claim(app, client, make):
    places = make.region_tree()
    for n in range(6):
        shop = make.shop(f"owner{n}", places["street_a"])
        heir = ApiClient(app, client.login(f"heir{n}").token)
        claim = {"credit_code": shop.credit_code}

        answers = at_once(*[partial(heir.post, f"{MERCHANT}/claims", json=claim) for _ in range(2)])

        assert sorted(a.status_code for a in answers) == [201, 409]
        assert len(heir.get(f"{MERCHANT}/claims").get_json()) == 1


def test_an_approval_and_the_applicants_account_deletion_at_once_both_finish(app, client, make):
    for admin, shop, heir, claim in _waiting_claims(app, client, make, 8):
        approved, deleted = at_once(
            partial(admin.post, f"/api/v1/admin/shop-requests/{claim['id']}/approve"),
            partial(heir.delete, "/api/v1/resident/account"),
        )

        assert deleted.status_code == 204, deleted.get_json()
        assert approved.status_code in (200, 409), approved.get_json()
        with database.connection_context():
            assert lifecycle.verify(Shop.get_by_id(shop.id)).ok
