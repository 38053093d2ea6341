"""A city moving its records in from a LIVES feed: the messy feeds real cities publish are
survived and what was skipped is named; what is not LIVES at all is refused whole; the
same feed twice changes nothing; a newer one updates, an older one is refused."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from backend.db import database
from backend.models import (
    ImportedFeed,
    ImportedInspection,
    LifecycleEvent,
    Shop,
)
from backend.shops.record import verify_all

FEEDS = Path(__file__).parent / "data" / "lives"


@pytest.fixture
def street(make):
    return make.region_tree()["street_b"]


def run_import(app, path, region="310104004", *extra) -> tuple[int, dict]:
    result = app.test_cli_runner().invoke(
        args=["import-lives", str(path), "--region", region, "--json", *extra]
    )
    return result.exit_code, json.loads(result.output)


def imported_shops() -> dict[str, Shop]:
    with database.connection_context():
        return {
            shop.name: shop
            for shop in Shop.select().where(Shop.credit_code == "").order_by(Shop.id)
        }


def imported_rows(shop: Shop) -> list[tuple]:
    with database.connection_context():
        rows = ImportedInspection.select().where(ImportedInspection.shop == shop.id)
        return [
            (r.date.isoformat(), r.score, r.type, json.loads(r.violations))
            for r in rows.order_by(ImportedInspection.date)
        ]


def test_a_messy_feed_is_imported_and_every_row_it_skipped_is_named(app, street):
    code, summary = run_import(app, FEEDS / "messy")
    assert code == 0, summary
    assert summary["feed"]["name"] == "Springfield Health Department"
    assert summary["feed"]["date"] == "2024-06-15" and summary["feed"]["missing"] == ["legend.csv"]
    assert summary["businesses.csv"] == {"imported": 3, "updated": 0, "skipped": 2}
    assert summary["inspections.csv"] == {"imported": 4, "updated": 0, "skipped": 3}
    assert summary["violations.csv"] == {"imported": 3, "updated": 0, "skipped": 2}
    rejected = {(r["file"], r["line"], r["reason"]) for r in summary["rejected"]}
    assert rejected == {
        ("businesses.csv", 4, "duplicate_business"),
        ("businesses.csv", 5, "no_name"),
        ("inspections.csv", 3, "duplicate_inspection"),  # the one of the day without a score
        ("inspections.csv", 7, "bad_date"),
        ("inspections.csv", 8, "unknown_business"),
        ("violations.csv", 3, "duplicate_violation"),
        ("violations.csv", 7, "no_inspection"),
    }
    assert all(r["message"] for r in summary["rejected"])  # said in Chinese too
    shops = imported_shops()
    assert sorted(shops) == ["Golden Dragon, Inc.", "Joe's Diner", "Taco Town"]
    dragon, diner = shops["Golden Dragon, Inc."], shops["Joe's Diner"]
    assert (dragon.status, dragon.street_id, dragon.category) == ("active", street.id, "catering")
    assert dragon.phone is None and dragon.lat == pytest.approx(39.7817, abs=0.01)
    assert diner.lat is None and diner.lng is None  # 0.0000000000 is no place at all
    assert diner.address == '200 "Old" Rd' and diner.phone == "+1 217 555 0100"
    assert imported_rows(dragon) == [
        (
            "2024-01-15",
            92,
            "routine",
            [{"code": "V01", "description": "Hand washing sink blocked"}],
        ),
        (
            "2024-03-07",
            85,
            "followup",
            [{"code": "V07", "description": "Food held at 12 C, above 5 C"}],
        ),
    ]
    assert imported_rows(diner) == [
        ("2024-02-01", None, "routine", []),
        ("2024-03-01", 77, None, [{"code": "V02", "description": "Mouse droppings in storage"}]),
    ]
    with database.connection_context():
        events = LifecycleEvent.select().where(LifecycleEvent.shop == dragon.id)
        payloads = {e.type: json.loads(e.payload) for e in events}
        assert set(payloads) == {"shop.imported", "inspection.imported"}
        assert payloads["inspection.imported"]["source"] == "Springfield Health Department"
        assert payloads["inspection.imported"]["feed_date"] == "2024-06-15"
        assert all(verdict.ok for _, verdict in verify_all())


def test_the_same_feed_again_changes_nothing(app, street):
    assert run_import(app, FEEDS / "messy")[0] == 0
    with database.connection_context():
        events = LifecycleEvent.select().count()
    code, again = run_import(app, FEEDS / "messy")
    assert code == 0
    for spec, skipped in (("businesses.csv", 5), ("inspections.csv", 7), ("violations.csv", 5)):
        assert again[spec] == {"imported": 0, "updated": 0, "skipped": skipped}
    with database.connection_context():
        assert LifecycleEvent.select().count() == events
    assert len(imported_shops()) == 3


def _feed_copy(tmp_path, feed_date: str) -> Path:
    copy = tmp_path / "feed"
    shutil.copytree(FEEDS / "messy", copy)
    info = copy / "feed_info.csv"
    info.write_text(info.read_text().replace("20240615", feed_date))
    return copy


def test_a_newer_feed_updates_what_changed_and_an_older_one_is_refused(app, street, tmp_path):
    assert run_import(app, FEEDS / "messy")[0] == 0
    newer = _feed_copy(tmp_path, "20240715")
    businesses = newer / "businesses.csv"
    businesses.write_bytes(businesses.read_bytes().replace(b"Taco Town", b"Taco Town II"))
    inspections = newer / "inspections.csv"
    inspections.write_text(inspections.read_text().replace("102,77,20240301", "102,79,20240301"))
    code, summary = run_import(app, newer)
    assert code == 0
    assert summary["businesses.csv"] == {"imported": 0, "updated": 1, "skipped": 4}
    assert summary["inspections.csv"] == {"imported": 0, "updated": 1, "skipped": 6}
    shops = imported_shops()
    assert "Taco Town II" in shops and "Taco Town" not in shops
    assert imported_rows(shops["Joe's Diner"])[1][1] == 79
    older = _feed_copy(tmp_path / "older", "20240101")
    code, refused = run_import(app, older)
    assert code == 2 and refused["refused"]["reason"] == "older_feed"
    assert imported_rows(imported_shops()["Joe's Diner"])[1][1] == 79


def test_latin1_bytes_and_missing_optional_files(app, street):
    code, summary = run_import(app, FEEDS / "latin1")
    assert code == 0, summary
    assert summary["feed"]["name"] == "latin1"  # no feed_info.csv: the folder's name
    # Only the businesses have a byte outside ASCII.
    assert summary["feed"]["encodings"] == {"businesses.csv": "latin-1", "inspections.csv": "utf-8"}
    assert summary["feed"]["missing"] == ["violations.csv", "feed_info.csv", "legend.csv"]
    shops = imported_shops()
    assert sorted(shops) == ["Café René", "Crêperie Noël"]
    assert imported_rows(shops["Café René"]) == [("2023-09-10", 95, "initial", [])]


def test_san_franciscos_plus_files_and_never_an_owner(app, street):
    code, summary = run_import(app, FEEDS / "sf_plus")
    assert code == 0, summary
    assert summary["feed"]["files"]["inspections.csv"] == "inspections_plus.csv"
    kitchen = imported_shops()["TIRAMISU KITCHEN"]
    assert imported_rows(kitchen) == [
        (
            "2014-07-29",
            94,
            "routine",
            [
                {"code": "103129", "description": "Insufficient hot water or running water"},
                {
                    "code": "103144",
                    "description": "Unapproved or unmaintained equipment or utensils",
                },
            ],
        ),
        ("2014-08-08", None, "followup", []),
    ]
    with database.connection_context():
        record = " ".join(e.payload for e in LifecycleEvent.select())
    assert "Tiramisu LLC" not in record and "24 Hour Fitness" not in record


def test_the_flattened_one_file_variant(app, street):
    code, summary = run_import(app, FEEDS / "flattened.csv")
    assert code == 0, summary
    assert summary["businesses.csv"]["imported"] == 2
    assert summary["inspections.csv"]["imported"] == 3
    assert summary["violations.csv"]["imported"] == 3 and summary["rejected"] == []
    school = imported_shops()["John Chin Elementary School"]
    assert [(d, s, t, [v["code"] for v in vs]) for d, s, t, vs in imported_rows(school)] == [
        ("2017-10-17", 98, "routine", ["103149", "103154"])
    ]
    pub = imported_shops()["Sutter Pub and Restaurant"]
    assert [row[:3] for row in imported_rows(pub)] == [
        ("2017-07-25", 88, "routine"),
        ("2017-08-02", None, "followup"),
    ]


def test_a_zip_is_read_like_its_folder(app, street, tmp_path):
    archive = tmp_path / "springfield.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in (FEEDS / "messy").iterdir():
            out.write(path, f"feed/{path.name}")  # inside a folder, as zips often are
    code, summary = run_import(app, archive)
    assert code == 0 and summary["businesses.csv"]["imported"] == 3


@pytest.mark.parametrize(
    ("feed", "file", "line", "reason"),
    [
        ("conflict", "businesses.csv", 3, "merge_conflict"),
        ("no_header", "businesses.csv", 1, "no_header"),
        ("empty_id", "inspections.csv", 3, "empty_business_id"),
    ],
)
def test_what_is_not_lives_is_refused_whole(app, street, feed, file, line, reason):
    code, summary = run_import(app, FEEDS / feed)
    assert code == 2
    assert {k: summary["refused"][k] for k in ("file", "line", "reason")} == {
        "file": file,
        "line": line,
        "reason": reason,
    }
    with database.connection_context():
        assert Shop.select().count() == 0 and ImportedFeed.select().count() == 0


def test_a_feed_goes_into_a_street_or_community_that_exists(app, street):
    code, summary = run_import(app, FEEDS / "messy", "310104")
    assert code == 2 and summary["refused"]["reason"] == "not_street_or_community"
    code, summary = run_import(app, FEEDS / "messy", "999")
    assert code == 2 and summary["refused"]["reason"] == "unknown_region"
    human = app.test_cli_runner().invoke(
        args=["import-lives", str(FEEDS / "conflict"), "--region", "310104004"]
    )
    assert human.exit_code == 2 and "第 3 行" in human.output


def test_an_imported_shop_shows_its_history_to_the_public(app, client, street):
    assert run_import(app, FEEDS / "messy")[0] == 0
    [found] = client.http.get("/api/v1/public/shops?q=Dragon").get_json()
    assert found["name"] == "Golden Dragon, Inc." and found["page"] is None  # no sticker yet
    shop = client.http.get(f"/api/v1/public/shops/{found['id']}").get_json()
    assert shop["inspections"] == [
        {
            "date": "2024-03-07",
            "result": None,
            "result_label": "Follow-up same day",
            "score": 85,
            "grade": None,
            "source": "Springfield Health Department",
        },
        {
            "date": "2024-01-15",
            "result": None,
            "result_label": "Routine inspection",
            "score": 92,
            "grade": None,
            "source": "Springfield Health Department",
        },
    ]
