"""The public view most scans get is read in one statement and written without the schema:
it must be, field for field, the body that scan.read and ScanResult write."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from backend import clock
from backend.db import database
from backend.models import Shop, User
from backend.ratings.schemas import PublicComment
from backend.scan import schemas
from backend.shops import scan
from backend.shops.schemas import HonourOut, PublicLicenceOut
from tests.factories import error_keys


@pytest.fixture
def places(make):
    return make.region_tree()


def _through_the_schema(app, code: str, openid: str) -> dict:
    """What the full path answers `openid` for `code`, as JSON."""
    with app.test_request_context(), database.connection_context():
        user = User.get(User.openid == openid)
        result = scan.read(code, user)
        return json.loads(app.json.dumps(schemas.ScanResult().dump(scan.as_response(result))))


def _claims(ticket: str) -> dict:
    claims = jwt.decode(ticket, options={"verify_signature": False})
    return {k: v for k, v in claims.items() if k not in ("jti", "iat", "exp")}


def _same_body(fast: dict, full: dict) -> None:
    assert _claims(fast.pop("rating_ticket")) == _claims(full.pop("rating_ticket"))
    assert fast == full
    assert list(fast) == list(full)
    assert list(fast["shop"]) == list(full["shop"])


def _rate(
    client,
    user: str,
    shop: Shop,
    code: str,
    stars: int,
    text: str | None,
    display_name: str | None = "欧阳娜娜",
    tags: tuple = (),
):
    resident = client.login(user)
    if display_name:
        resident.patch("/api/v1/resident/profile", json={"display_name": display_name})
    ticket = resident.get(f"/api/v1/scan/{code}").get_json()["rating_ticket"]
    response = resident.post(
        f"/api/v1/resident/shops/{shop.public_id}/ratings",
        json={"rating_ticket": ticket, "stars": stars, "text": text, "tags": list(tags)},
    )
    assert response.status_code == 201, response.get_json()


def test_a_shop_with_everything_reads_the_same_both_ways(app, client, make, places):
    shop = make.shop("owner", places["street_a"], places["community_a"])
    today = clock.today_local()
    make.licence(shop, today - timedelta(days=1), number="JY13101040000001")
    make.licence(
        shop, today + timedelta(days=10), type_="business_licence", number="91310104MA1FL0XX3N"
    )
    make.licence(shop, today + timedelta(days=10), number="AB1234")  # same day, short number
    make.licence(shop, today + timedelta(days=400), type_="health_permit")
    make.licence(
        shop,
        today + timedelta(days=800),
        type_="public_health",
        number="WS0000000001",
        valid_from=today + timedelta(days=1),
    )
    code = make.code_of(shop)
    owner = client.login("owner")
    for title, awarded_on in (
        ("诚信经营示范店", None),
        ("放心消费单位", "2025-03-15"),
        ("文明商户", "2026-01-10"),
        ("食品安全示范店", "2026-01-10"),
    ):
        assert (
            owner.post(
                f"/api/v1/merchant/shops/{shop.public_id}/honours",
                json={"title": title, "issuer": "区消保委", "awarded_on": awarded_on},
            ).status_code
            == 201
        )
    _rate(client, "alice", shop, code, 5, "面很好吃", tags=("干净", "实惠"))
    _rate(client, "bob", shop, code, 2, "等了很久", display_name="王")
    _rate(client, "dave", shop, code, 4, None, display_name=None)
    with database.connection_context():
        # 01:30 in Shanghai on 6 September is still the 5th in UTC.
        Shop.update(
            last_inspection_at=datetime(2026, 9, 5, 17, 30, tzinfo=UTC),
            last_inspection_result="pass_with_remarks",
            risk_grade="C",
            status="suspended",
        ).where(Shop.id == shop.id).execute()

    carol = client.login("carol")
    fast = carol.get(f"/api/v1/scan/{code.lower()}").get_json()
    full = _through_the_schema(app, code, "oStub_carol")

    assert fast["view"] == "public" and fast["shop"]["status_label"] == "停业整顿"
    assert fast["shop"]["last_inspection"] == {
        "date": "2026-09-06",
        "result": "pass_with_remarks",
        "result_label": "基本合格",
        "rectification": None,
    }
    assert fast["shop"]["rating"] == {"count": 3, "mean": 3.67, "histogram": [0, 1, 0, 1, 1]}
    assert [lic["status"] for lic in fast["licences"]] == [
        "expired",
        "expiring",
        "expiring",
        "valid",
        "not_yet_valid",
    ]
    assert "AB****" in [lic["number"] for lic in fast["licences"]]
    # Latest first, the same day by the later entry, undated last.
    assert [h["title"] for h in fast["honours"]] == [
        "食品安全示范店",
        "文明商户",
        "放心消费单位",
        "诚信经营示范店",
    ]
    assert [(c["author"], c["tags"]) for c in fast["comments"]] == [
        ("匿名用户", []),
        ("*", []),
        ("欧***", ["干净", "实惠"]),
    ]
    _same_body(fast, full)


def test_a_bare_shop_reads_the_same_both_ways(app, client, make, places):
    shop = make.shop(
        "owner", places["street_b"], None, name="小张便利店", category="general_retail"
    )
    code = make.code_of(shop)
    fast = client.login("carol").get(f"/api/v1/scan/{code}").get_json()
    full = _through_the_schema(app, code, "oStub_carol")
    assert fast["shop"]["community"] is None and fast["shop"]["last_inspection"] is None
    assert fast["licences"] == [] and fast["honours"] == [] and fast["comments"] == []
    _same_body(fast, full)


def _declared(schema) -> list[str]:
    return list(schema._declared_fields)


def test_the_fast_body_has_exactly_the_fields_its_schemas_declare(client, make, places):
    """A field added to a schema and not to the hand-written body, or the other way round,
    fails here even where no other test's data would show the difference."""
    shop = make.shop("owner", places["street_a"], places["community_a"])
    make.licence(shop, clock.today_local() + timedelta(days=90))
    code = make.code_of(shop)
    assert (
        client.login("owner")
        .post(
            f"/api/v1/merchant/shops/{shop.public_id}/honours",
            json={"title": "文明商户", "issuer": "区消保委", "awarded_on": "2026-01-10"},
        )
        .status_code
        == 201
    )
    _rate(client, "alice", shop, code, 4, "不错")
    fast = client.login("carol").get(f"/api/v1/scan/{code}").get_json()
    assert fast["view"] == "public"
    assert list(fast) == _declared(schemas.ScanResult)
    assert list(fast["shop"]) == _declared(schemas.ShopPublic)
    assert [list(item) for item in fast["licences"]] == [_declared(PublicLicenceOut)]
    assert [list(item) for item in fast["honours"]] == [_declared(HonourOut)]
    assert [list(item) for item in fast["comments"]] == [_declared(PublicComment)]


def test_a_deleted_account_cannot_scan_with_its_old_token(client, make, places):
    shop = make.shop("owner", places["street_a"], places["community_a"])
    code = make.code_of(shop)
    alice = client.login("alice")
    assert alice.get(f"/api/v1/scan/{code}").status_code == 200
    assert alice.delete("/api/v1/resident/account").status_code == 204
    for scanned in (code, "HTTP://C.EXAMPLE.CN/S/ZZZZZZZZZZ", "ZZZZZZZZZZ"):
        response = alice.get(f"/api/v1/scan/{scanned.rsplit('/', 1)[-1]}")
        assert response.status_code == 401, (scanned, response.get_json())
        assert error_keys(response) == ["token_invalid"]


def test_a_scan_without_a_valid_token_is_refused(client, make, places):
    shop = make.shop("owner", places["street_a"], places["community_a"])
    code = make.code_of(shop)
    assert client.http.get(f"/api/v1/scan/{code}").status_code == 401
    forged = client.http.get(
        f"/api/v1/scan/{code}", headers={"Authorization": "Bearer not.a.token"}
    )
    assert forged.status_code == 401


def test_the_shops_own_people_and_staff_still_get_more_than_the_public_view(client, make, places):
    shop = make.shop("owner", places["street_a"], places["community_a"])
    code = make.code_of(shop)
    make.staff("cadre_b", "cadre", places["street_b"])
    assert client.login("owner").get(f"/api/v1/scan/{code}").get_json()["view"] == "owner"
    # A staff account outside the shop's street still sees only the public view.
    outside = client.login("cadre_b").get(f"/api/v1/scan/{code}").get_json()
    assert outside["view"] == "public" and outside["regulatory"] is None
