"""Open data: the shops as a GeoJSON layer anyone may read, in WGS 84, with only what the
sticker's page shows, cacheable with an ETag."""

from __future__ import annotations

import json

import pytest

from backend.db import database
from backend.models import Shop
from backend.opendata.coordinates import wgs84_from_gcj02
from tests.factories import error_keys

# The factories' shops stand at GCJ-02 (31.2001, 121.4402), on 天平路.
BOX = "121.40,31.15,121.50,31.25"


@pytest.fixture
def shops(make):
    places = make.region_tree()
    made = {
        "open": make.shop("wang", places["street_a"], name="老王面馆"),
        "suspended": make.shop("li", places["street_a"], name="李记小吃"),
        "pending": make.shop("zhao", places["street_a"], name="赵家百货", approved=False),
        "closed": make.shop("qian", places["street_b"], name="钱记"),
        "far": make.shop("sun", places["street_b"], name="孙记馄饨"),
    }
    with database.connection_context():
        Shop.update(status="suspended").where(Shop.id == made["suspended"].id).execute()
        Shop.update(status="closed").where(Shop.id == made["closed"].id).execute()
        Shop.update(lat=31.30, lng=121.60).where(Shop.id == made["far"].id).execute()
    return made


def test_the_layer_is_geojson_in_wgs84_with_only_the_open_shops_in_the_box(client, make, shops):
    answer = client.http.get(f"/api/v1/public/shops.geojson?bbox={BOX}")
    assert answer.status_code == 200 and answer.mimetype == "application/geo+json"
    layer = answer.get_json()
    assert layer["type"] == "FeatureCollection" and layer["truncated"] is False
    names = sorted(f["properties"]["name"] for f in layer["features"])
    assert names == ["李记小吃", "老王面馆"]  # not the pending, the closed, nor the far one
    feature = next(f for f in layer["features"] if f["properties"]["name"] == "老王面馆")
    lat, lng = wgs84_from_gcj02(31.2001, 121.4402)
    assert feature["geometry"] == {"type": "Point", "coordinates": [round(lng, 6), round(lat, 6)]}
    assert abs(feature["geometry"]["coordinates"][1] - 31.2001) > 0.001  # converted, not stored
    assert feature["id"] == shops["open"].public_id
    assert feature["properties"]["grade_label"] == "食品安全等级"
    assert feature["properties"]["page"].endswith("/S/" + make.code_of(shops["open"]).upper())
    assert not {"phone", "owner", "credit_code", "lat", "lng"} & set(feature["properties"])


def test_a_box_is_four_numbers_in_order(client, shops):
    for bad in ("121.5,31.1,121.4,31.2", "a,b,c,d", "121.4,31.1,121.5", "121,95,122,96"):
        answer = client.http.get(f"/api/v1/public/shops.geojson?bbox={bad}")
        assert answer.status_code == 422 and "bad_bbox" in error_keys(answer), bad
    missing = client.http.get("/api/v1/public/shops.geojson")
    assert missing.status_code == 422 and "required" in error_keys(missing)


def test_an_unchanged_layer_is_a_304_and_a_changed_one_is_not(client, shops):
    first = client.http.get(f"/api/v1/public/shops.geojson?bbox={BOX}")
    assert first.headers["Cache-Control"] == "public, max-age=60" and first.headers["ETag"]
    again = client.http.get(
        f"/api/v1/public/shops.geojson?bbox={BOX}", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""
    with database.connection_context():
        Shop.update(name="王记面馆").where(Shop.id == shops["open"].id).execute()
    changed = client.http.get(
        f"/api/v1/public/shops.geojson?bbox={BOX}", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]


def _found(client, query: str) -> list[str]:
    answer = client.http.get(f"/api/v1/public/shops?{query}")
    assert answer.status_code == 200, answer.get_json()
    return [s["name"] for s in answer.get_json()]


def test_the_search_finds_any_part_of_a_name_or_address_and_only_open_shops(client, shops):
    assert _found(client, "q=面馆") == ["老王面馆"]
    assert sorted(_found(client, "q=天平路 88")) == ["孙记馄饨", "李记小吃", "老王面馆"]
    assert sorted(_found(client, "q=记")) == ["孙记馄饨", "李记小吃"]  # one character: read
    assert _found(client, "q=钱记") == []  # closed
    assert _found(client, "q=百货") == []  # pending approval
    assert _found(client, "q=面店") == []  # both characters, not side by side
    # Words come first registered first, unless another order is asked for.
    assert _found(client, "q=天平路") == ["老王面馆", "李记小吃", "孙记馄饨"]
    assert _found(client, "q=天平路&sort=name") == ["孙记馄饨", "李记小吃", "老王面馆"]
    assert _found(client, "sort=registered") == ["老王面馆", "李记小吃", "孙记馄饨"]


def test_a_new_name_is_found_once_approved_and_the_old_one_no_more(client, make, shops):
    owner = client.login("wang")
    base = f"/api/v1/merchant/shops/{shops['open'].public_id}"
    assert owner.patch(base, json={"name": "老张拉面"}).status_code == 200
    admin = client.login(f"approver_{shops['open'].street.code}")
    [change] = [
        r for r in admin.get("/api/v1/admin/shop-requests").get_json() if r["kind"] == "change"
    ]
    assert admin.post(f"/api/v1/admin/shop-requests/{change['id']}/approve").status_code == 200
    assert _found(client, "q=拉面") == ["老张拉面"]
    assert _found(client, "q=老王") == []


def test_the_search_filters_and_sorts_as_asked(client, make, shops):
    street_a = shops["open"].street.code
    with database.connection_context():
        Shop.update(grade="A", grade_score=92).where(Shop.id == shops["suspended"].id).execute()
        # The regulator's risk letter is not what the public filters by.
        Shop.update(risk_grade="A").where(Shop.id == shops["open"].id).execute()
    assert sorted(_found(client, f"street={street_a}")) == ["李记小吃", "老王面馆"]
    assert _found(client, "grade=A") == ["李记小吃"]
    assert _found(client, f"street={street_a}&grade=awaiting") == ["老王面馆"]
    assert _found(client, "category=general_retail") == []
    # A first, 待评级 last.
    assert _found(client, f"street={street_a}&sort=grade") == ["李记小吃", "老王面馆"]
    unknown = client.http.get("/api/v1/public/shops?street=310104999")
    assert unknown.status_code == 422 and "unknown_region" in error_keys(unknown)
    half = client.http.get("/api/v1/public/shops?lat=31.2&lng=121.44")
    assert half.status_code == 422 and "place_incomplete" in error_keys(half)
    far_sort = client.http.get("/api/v1/public/shops?sort=distance")
    assert far_sort.status_code == 422 and "needs_place" in error_keys(far_sort)


def test_near_a_place_the_nearest_come_first_with_their_distance(client, shops):
    with database.connection_context():
        Shop.update(lat=31.2010, lng=121.4402).where(Shop.id == shops["suspended"].id).execute()
    answer = client.http.get("/api/v1/public/shops?lat=31.2011&lng=121.4402&radius_m=500")
    near = [(s["name"], s["distance_m"]) for s in answer.get_json()]
    assert near == [("李记小吃", 11), ("老王面馆", 111)]  # 孙记馄饨 is 15 km away
    by_name = client.http.get("/api/v1/public/shops?lat=31.2011&lng=121.4402&radius_m=50")
    assert [s["name"] for s in by_name.get_json()] == ["李记小吃"]


def test_a_search_near_a_place_reads_the_square_around_it_through_the_index(client, shops):
    from backend.db import is_sqlite
    from tests.test_scan_queries import sqlite_plan, statements

    if not is_sqlite():
        pytest.skip("PostgreSQL plans from table statistics; SQLite's plan is fixed by indexes")
    with database.connection_context():
        # As a district's database knows it: nearly every shop is open, so their status
        # narrows nothing down and the place must.
        database.execute_sql("ANALYZE")
    with statements() as sql:
        client.http.get("/api/v1/public/shops?lat=31.2011&lng=121.4402&radius_m=500")
    square = next(i for i, statement in enumerate(sql) if "BETWEEN" in statement)
    plan = sqlite_plan(sql, square)
    # Not every shop of the district: a million of them took 113 ms to read on PostgreSQL.
    assert any("INDEX shop_lat_lng" in step for step in plan), plan


def test_pages_are_counted_in_the_pagination_header(client, shops):
    first = client.http.get("/api/v1/public/shops?page=1&page_size=2")
    second = client.http.get("/api/v1/public/shops?page=2&page_size=2")
    assert json.loads(first.headers["X-Pagination"])["total"] == 3
    names = [s["name"] for s in first.get_json()] + [s["name"] for s in second.get_json()]
    assert (len(first.get_json()), sorted(names)) == (2, ["孙记馄饨", "李记小吃", "老王面馆"])


def test_a_search_past_its_count_says_so_and_pages_no_further_than_it_counted(app, config, shops):
    from backend import create_app

    capped = create_app(config.replace(search_count_cap=2)).test_client()
    first = capped.get("/api/v1/public/shops?page_size=1")
    paging = json.loads(first.headers["X-Pagination"])
    # Three open shops, two counted: "2+", and two pages of one.
    assert (paging["total"], paging["total_capped"], paging["last_page"]) == (2, True, 2)
    assert [s["name"] for s in first.get_json()] == ["孙记馄饨"]  # by name, the first
    second = capped.get("/api/v1/public/shops?page_size=1&page=2")
    assert [s["name"] for s in second.get_json()] == ["李记小吃"]
    past = capped.get("/api/v1/public/shops?page_size=1&page=3")
    assert past.status_code == 422 and "past_counted_results" in error_keys(past)
    assert "缩小" in past.get_json()["details"][0]["message"]
    # Within the cap the count is whole and the header says nothing more.
    few = capped.get("/api/v1/public/shops?q=面馆")
    assert json.loads(few.headers["X-Pagination"]) == {
        "total": 1,
        "total_pages": 1,
        "first_page": 1,
        "last_page": 1,
        "page": 1,
    }
    empty_past = capped.get("/api/v1/public/shops?q=面馆&page=3")
    assert empty_past.status_code == 200 and empty_past.get_json() == []
    # Words are counted as far, through the pairs' postings.
    words = capped.get("/api/v1/public/shops?q=天平路&page_size=1&page=2")
    assert json.loads(words.headers["X-Pagination"])["total_capped"] is True
    assert [s["name"] for s in words.get_json()] == ["李记小吃"]
    past_words = capped.get("/api/v1/public/shops?q=天平路&page_size=1&page=3")
    assert past_words.status_code == 422 and "past_counted_results" in error_keys(past_words)


def test_words_are_read_a_batch_of_postings_at_a_time_until_enough_are_found(app, make, shops):
    from backend.opendata.search import PUBLIC_STATUSES
    from backend.shops.search_index import first_holding

    zhou = make.shop("zhou", shops["open"].street, name="周记面馆")
    with app.app_context(), database.connection_context():
        public = Shop.select(Shop.id).where(Shop.status.in_(PUBLIC_STATUSES))
        ids = {s: shops[s].id for s in ("open", "suspended", "far")} | {"zhou": zhou.id}

        def found(words, wanted, batch_size=1):
            return first_holding(words, public, wanted, batch_size=batch_size)

        # Postings one at a time: the closed and the pending shop are passed over.
        assert found("天平路", 10) == [ids["open"], ids["suspended"], ids["far"], ids["zhou"]]
        assert found("天平路", 2) == [ids["open"], ids["suspended"]]
        assert found("面馆", 10) == found("面馆", 10, batch_size=5) == [ids["open"], ids["zhou"]]
        assert found("王面馆", 10) == [ids["open"]]  # every pair checked as the words
        assert found("记", 2) == [ids["suspended"], ids["far"]]  # one character: no pairs


def test_a_word_is_found_through_one_pair_and_checked_whole(client, make, shops):
    assert _found(client, "q=老王面馆") == ["老王面馆"]
    make.shop("zhou", shops["open"].street, name="王面坊老馆")  # every pair, not the word
    assert _found(client, "q=老王面馆") == ["老王面馆"]


def test_one_shop_shows_what_its_page_shows_and_its_last_three_inspections(client, make, shops):
    make.staff("inspector", "inspector", shops["open"].street, name="郑直")
    code = make.code_of(shops["open"])
    for result in ("pass_with_remarks", "pass_with_remarks", "pass", "pass_with_remarks"):
        view = client.login("inspector").get(f"/api/v1/scan/{code}").get_json()
        recorded = client.login("inspector").post(
            f"/api/v1/admin/shops/{shops['open'].public_id}/inspections",
            json={
                "scan_proof": view["regulatory"]["scan_proof"]["token"],
                "location": {"lat": 31.2001, "lng": 121.4402},
                "result": result,
                "checklist": [{"code": f"FS0{n}", "ok": True} for n in range(1, 9)],
            },
        )
        assert recorded.status_code == 201, recorded.get_json()
    shop = client.http.get(f"/api/v1/public/shops/{shops['open'].public_id}").get_json()
    # The last three, newest first: not the first one.
    assert [i["result_label"] for i in shop["inspections"]] == ["基本合格", "合格", "基本合格"]
    assert shop["last_inspection"]["result"] == "pass_with_remarks"
    assert (shop["name"], shop["grade"]["label"]) == ("老王面馆", "食品安全等级")
    assert shop["location"] == {"lat": 31.2001, "lng": 121.4402, "datum": "GCJ-02"}
    assert not {"phone", "credit_code", "owner"} & set(shop)
    listed = client.http.get("/api/v1/public/shops?q=面馆").get_json()
    assert listed[0]["last_inspection"]["result_label"] == "基本合格"
    for hidden in ("pending", "closed"):
        gone = client.http.get(f"/api/v1/public/shops/{shops[hidden].public_id}")
        assert gone.status_code == 404 and "shop_not_found" in error_keys(gone)


def test_a_corrected_inspection_shows_its_corrected_result(client, make, shops):
    make.staff("inspector", "inspector", shops["open"].street, name="郑直")
    make.staff("inspector2", "inspector", shops["open"].street, name="钱多")
    view = client.login("inspector").get(f"/api/v1/scan/{make.code_of(shops['open'])}").get_json()
    recorded = (
        client.login("inspector")
        .post(
            f"/api/v1/admin/shops/{shops['open'].public_id}/inspections",
            json={
                "scan_proof": view["regulatory"]["scan_proof"]["token"],
                "location": {"lat": 31.2001, "lng": 121.4402},
                "result": "pass_with_remarks",
                "checklist": [{"code": f"FS0{n}", "ok": True} for n in range(1, 9)],
            },
        )
        .get_json()
    )
    corrected = client.login("inspector2").post(
        f"/api/v1/admin/inspections/{recorded['id']}/corrections",
        json={"note": "录入错误，应为合格", "corrected_result": "pass"},
    )
    assert corrected.status_code == 201, corrected.get_json()
    shop = client.http.get(f"/api/v1/public/shops/{shops['open'].public_id}").get_json()
    assert shop["last_inspection"]["result"] == "pass"
    assert [(i["result"], i["result_label"]) for i in shop["inspections"]] == [("pass", "合格")]
