"""Open data: the shops as a GeoJSON layer anyone may read, in WGS 84, with only what the
sticker's page shows, cacheable with an ETag."""

from __future__ import annotations

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
