"""The open shops and their inspections as a LIVES feed: read back by a CSV reader against
the spec's columns, served as a ZIP anyone may download, with nothing personal in it, and
imported again without losing a thing."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest

from backend import clock, engine
from backend.db import database
from backend.models import ImportedBusiness, Shop, StaffAccount
from backend.opendata import lives
from backend.opendata.coordinates import wgs84_from_gcj02


@pytest.fixture
def district(make, client):
    places = make.region_tree()
    shops = {
        "open": make.shop("wang", places["street_a"], name="老王面馆"),
        "suspended": make.shop("li", places["street_a"], name="李记, 小吃"),
        "pending": make.shop("zhao", places["street_a"], name="赵家百货", approved=False),
    }
    with database.connection_context():
        Shop.update(status="suspended", phone="13812345678").where(
            Shop.id == shops["suspended"].id
        ).execute()
    make.staff("inspector", "inspector", places["street_a"], name="郑直")
    make.staff("inspector2", "inspector", places["street_a"], name="钱多")
    return {"places": places, **shops}


def inspect(client, make, shop, result, failed=(), findings=()):
    code = make.code_of(shop)
    view = client.login("inspector").get(f"/api/v1/scan/{code}").get_json()
    body = {
        "scan_proof": view["regulatory"]["scan_proof"]["token"],
        "location": {"lat": 31.2001, "lng": 121.4402},
        "result": result,
        "checklist": [{"code": f"FS0{n}", "ok": f"FS0{n}" not in failed} for n in range(1, 9)],
        "findings": list(findings),
        "note": "店主张三说明天改",
    }
    if result in ("rectify", "fail"):
        with database.connection_context():
            body["co_inspector"] = StaffAccount.get(StaffAccount.name == "钱多").id
        body["rectify_by"] = (clock.today_local() + timedelta(days=14)).isoformat()
        body["requirements"] = "清理后厨"
    answer = client.login("inspector").post(
        f"/api/v1/admin/shops/{shop.public_id}/inspections", json=body
    )
    assert answer.status_code == 201, answer.get_json()


def read_feed(folder: Path) -> dict[str, list[dict]]:
    feed = {}
    for name, columns in lives.COLUMNS.items():
        with open(folder / name, encoding="utf-8", newline="") as file:
            reader = csv.DictReader(file)
            assert tuple(reader.fieldnames) == columns, name
            feed[name] = list(reader)
    return feed


def export(app, folder: Path) -> dict[str, list[dict]]:
    result = app.test_cli_runner().invoke(args=["export-lives", str(folder)])
    assert result.exit_code == 0, result.output
    return read_feed(folder)


def test_the_feed_reads_back_against_the_spec_with_nothing_personal(
    app, client, make, district, tmp_path
):
    inspect(
        client,
        make,
        district["open"],
        "rectify",
        failed=("FS03",),
        findings=[
            {"code": "FS03", "severity": "major"},
            {"code": "FS05", "severity": "minor", "note": "过期牛奶两盒"},
        ],
    )
    inspect(client, make, district["open"], "pass")
    feed = export(app, tmp_path / "feed")
    businesses = {b["business_id"]: b for b in feed["businesses.csv"]}
    assert set(businesses) == {district["open"].public_id, district["suspended"].public_id}
    wang = businesses[district["open"].public_id]
    lat, lng = wgs84_from_gcj02(31.2001, 121.4402)
    assert (wang["name"], wang["address"], wang["city"]) == ("老王面馆", "天平路 88 号", "徐汇区")
    assert (float(wang["latitude"]), float(wang["longitude"])) == (round(lat, 6), round(lng, 6))
    assert businesses[district["suspended"].public_id]["name"] == "李记, 小吃"  # quoted, read back
    day = feed["inspections.csv"][0]["date"]
    assert len(day) == 8 and day.isdigit()
    # Two inspections on one day: LIVES keys by (business, date), so the later one stands,
    # a follow-up of the first.
    assert feed["inspections.csv"] == [
        {
            "business_id": wang["business_id"],
            "score": "100",
            "date": day,
            "description": "合格 · 良好",
            "type": "followup",
        }
    ]
    everything = (tmp_path / "feed").glob("*.csv")
    text = " ".join(path.read_text("utf-8") for path in everything)
    for personal in ("郑直", "钱多", "张三", "13812345678", "过期牛奶"):
        assert personal not in text
    assert feed["feed_info.csv"][0]["feed_version"] == "1.0"
    assert feed["feed_info.csv"][0]["municipality_name"] == "徐汇区"
    legend = [(int(r["minimum_score"]), int(r["maximum_score"])) for r in feed["legend.csv"]]
    assert legend == [(85, 100), (60, 84), (0, 59)]


def test_followups_and_violations_say_what_the_checklist_says(
    app, client, make, district, tmp_path
):
    inspect(
        client,
        make,
        district["open"],
        "rectify",
        failed=("FS03",),
        findings=[{"code": "FS03", "severity": "major"}, {"code": "FS05", "severity": "critical"}],
    )
    clock.travel(timedelta(days=3))
    inspect(client, make, district["open"], "pass_with_remarks")
    feed = export(app, tmp_path / "feed")
    kinds = [(r["type"], r["score"], r["description"]) for r in feed["inspections.csv"]]
    # The score is the checklist's: FS03 (10 points) failed, then nothing.
    assert kinds == [("initial", "90", "限期整改 · 良好"), ("followup", "100", "基本合格 · 良好")]
    first_day = feed["inspections.csv"][0]["date"]
    assert [(v["date"], v["code"], v["description"]) for v in feed["violations.csv"]] == [
        (first_day, "FS03", "加工场所清洁，防蝇防鼠设施完好"),
        (first_day, "FS05", "【重大】食品原料进货查验记录完整，无过期食品"),
    ]


def test_the_zip_is_served_to_anyone_cacheable_and_made_again_each_night(
    app, client, make, district
):
    first = client.http.get("/api/v1/public/lives.zip")
    assert first.status_code == 200 and first.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(first.data)) as feed:
        assert sorted(feed.namelist()) == sorted(lives.COLUMNS)
        assert (
            feed.read("inspections.csv").decode() == "business_id,score,date,description,type\r\n"
        )
    again = client.http.get(
        "/api/v1/public/lives.zip", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    inspect(client, make, district["open"], "pass")
    unchanged = client.http.get("/api/v1/public/lives.zip")
    assert unchanged.data == first.data  # the feed is the night's, not the minute's
    engine.publish_lives_daily.call_local()
    made = client.http.get(
        "/api/v1/public/lives.zip", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert made.status_code == 200
    with zipfile.ZipFile(io.BytesIO(made.data)) as feed:
        assert len(feed.read("inspections.csv").decode().splitlines()) == 2


def test_a_feed_exported_and_imported_elsewhere_exports_the_same(
    app, client, make, district, tmp_path
):
    inspect(client, make, district["open"], "fail", failed=("FS02", "FS04"))
    first = export(app, tmp_path / "first")
    moved = app.test_cli_runner().invoke(
        args=["import-lives", str(tmp_path / "first"), "--region", "310104004001", "--json"]
    )
    assert moved.exit_code == 0, moved.output
    summary = json.loads(moved.output)
    assert summary["businesses.csv"]["imported"] == 2 and summary["rejected"] == []
    second = export(app, tmp_path / "second")
    with database.connection_context():
        new_id = {row.business_id: row.shop.public_id for row in ImportedBusiness.select()}

    def moved_rows(name, columns):
        return sorted(
            tuple([new_id[r["business_id"]]] + [r[c] for c in columns]) for r in first[name]
        )

    def copies(name, columns):
        return sorted(
            tuple([r["business_id"]] + [r[c] for c in columns])
            for r in second[name]
            if r["business_id"] in new_id.values()
        )

    assert copies("inspections.csv", ("score", "date", "description", "type")) == moved_rows(
        "inspections.csv", ("score", "date", "description", "type")
    )
    assert copies("violations.csv", ("date", "code", "description")) == moved_rows(
        "violations.csv", ("date", "code", "description")
    )
    assert len(copies("violations.csv", ("code",))) == 2
    back = {r["business_id"]: r for r in second["businesses.csv"]}
    for row in first["businesses.csv"]:
        copy = back[new_id[row["business_id"]]]
        assert (copy["name"], copy["address"]) == (row["name"], row["address"])
        assert abs(float(copy["latitude"]) - float(row["latitude"])) < 2e-6
        assert abs(float(copy["longitude"]) - float(row["longitude"])) < 2e-6


def test_before_its_first_night_the_feed_is_asked_of_the_engine(config, tmp_path):
    from backend import create_app

    app = create_app(config.replace(task_queue_url=f"sqlite:///{tmp_path / 'tasks.db'}"))
    http = app.test_client()
    first = http.get("/api/v1/public/lives.zip")  # no worker runs here: not made yet
    assert first.status_code == 404 and first.headers["Retry-After"] == "60"
    assert first.get_json()["details"][0]["key"] == "feed_not_ready"
    assert engine.huey.storage.queue_size() == 1  # the engine was asked to make it
    http.get("/api/v1/public/lives.zip")
    assert engine.huey.storage.queue_size() == 1  # and asked once, not on every request
