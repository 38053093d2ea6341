"""A change of the scoring rules is a new version: what is recorded after it is scored
under it, what was recorded before keeps the score and version it had."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from backend import clock
from backend.inspections import checklists
from backend.models import Shop
from tests.test_grades import ADMIN, inspect, make_scene


@pytest.fixture
def scene(make):
    return make_scene(make)


@pytest.fixture
def config(config, tmp_path):
    """A district whose rules have a second version, stricter, from 30 days from now."""
    rules = json.loads(checklists.SHIPPED.read_text("utf-8"))
    start = (clock.today_local() + timedelta(days=30)).isoformat()
    rules["food_safety"]["scoring"].append(
        {
            "version": 2,
            "effective_from": start,
            "cutoffs": {"A": 95, "B": 80},
            "key_failures_to_worst": 1,
            "points": {"FS03": 20, "FS08": 0},
        }
    )
    path = tmp_path / "checklists.json"
    path.write_text(json.dumps(rules, ensure_ascii=False), "utf-8")
    return config.replace(checklists_file=str(path))


def test_a_new_rule_version_scores_what_comes_after_and_leaves_the_past_alone(client, scene):
    before = inspect(client, scene, "FS03")
    assert (before["score"], before["grade"], before["rule_version"]) == (90, "A", 1)
    clock.travel(timedelta(days=31))
    after = inspect(client, scene, "FS03")
    # FS03 is worth 20 of 100 now, and 90 would be under the new 良好 line anyway.
    assert (after["score"], after["grade"], after["rule_version"]) == (80, "B", 2)
    listed = client.login("inspector").get(f"{ADMIN}/shops/{scene['shop'].public_id}/inspections")
    assert [(i["score"], i["rule_version"]) for i in listed.get_json()] == [(80, 2), (90, 1)]
    # One failed key item is enough for 较差 under version 2.
    assert inspect(client, scene, "FS02")["grade"] == "C"
    rules = client.get("/api/v1/public/grading-rules").get_json()
    food = next(t for t in rules["templates"] if t["template"] == "food_safety")
    assert [v["version"] for v in food["versions"]] == [1, 2]
    assert {i["code"]: i["points"] for i in food["versions"][1]["items"]}["FS03"] == 20
    assert Shop.get_by_id(scene["shop"].id).annual_inspections == 3
