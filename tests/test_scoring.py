"""An inspection's score and grade from its checklist under a rule version, and a shop's
standing (动态等级, 年度等级, the latest three) from its counted inspections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.errors import Invalid
from backend.inspections import checklists, scoring

FOOD = [f"FS0{n}" for n in range(1, 9)]
RULE = {"version": 1, "cutoffs": {"A": 85, "B": 60}, "key_failures_to_worst": 2}
NOW = datetime(2026, 12, 7, 4, tzinfo=UTC)  # noon in Shanghai


def answers(*failed: str, codes=FOOD) -> list[dict]:
    return [{"code": code, "ok": code not in failed} for code in codes]


def scored(template_name: str, *failed: str) -> scoring.Scored:
    template = checklists.templates()[template_name]
    codes = [item["code"] for item in template["items"]]
    rule = scoring.rule_version(template, 1)
    return scoring.score(template, rule, answers(*failed, codes=codes))


@pytest.mark.parametrize(
    "template, failed, score, grade",
    [
        ("food_safety", (), 100, "A"),
        # FS03 is worth 10: 90 is still 良好.
        ("food_safety", ("FS03",), 90, "A"),
        # 15 + 10 lost: 75, 一般.
        ("food_safety", ("FS06", "FS07"), 75, "B"),
        # One key item (FS02, 15 points) is only its points.
        ("food_safety", ("FS02",), 85, "A"),
        # Two key items: 较差 however high the score.
        ("food_safety", ("FS01", "FS02"), 75, "C"),
        ("food_safety", ("FS03", "FS06", "FS07", "FS08"), 55, "C"),
        ("pharmacy", ("PH03",), 80, "B"),
        ("pharmacy", ("PH01", "PH04"), 45, "C"),
        ("public_places", ("PP04",), 80, "B"),
        ("public_places", (), 100, "A"),
        ("general", ("GN02",), 80, "B"),
        ("general", ("GN04", "GN02"), 60, "B"),
        ("general", ("GN01", "GN03"), 40, "C"),
    ],
)
def test_a_checklist_scores_on_100_and_two_failed_key_items_are_the_worst_grade(
    template, failed, score, grade
):
    result = scored(template, *failed)
    assert (result.score, result.grade, result.version) == (score, grade, 1)


def test_every_template_has_100_points_and_cutoffs_a_resident_can_read():
    for name, template in checklists.templates().items():
        assert sum(item["points"] for item in template["items"]) == 100, name
        assert any(item["key"] for item in template["items"]), name
        rule = scoring.rule_version(template, 1)
        assert rule["cutoffs"]["A"] > rule["cutoffs"]["B"] > 0


def test_a_score_exactly_on_a_cutoff_takes_the_better_grade():
    rule = {"version": 1, "cutoffs": {"A": 85, "B": 60}, "key_failures_to_worst": 2}
    assert [scoring.grade_for(s, rule) for s in (85, 84, 60, 59)] == ["A", "B", "B", "C"]
    assert scoring.grade_for(100, rule, 1) == "A" and scoring.grade_for(100, rule, 2) == "C"
    strictest = {**rule, "key_failures_to_worst": 1}
    assert scoring.grade_for(100, strictest) == "A"  # no failed key item unless told


def test_half_a_point_rounds_up():
    template = {
        "items": [
            {"code": "X1", "points": 1, "key": False},
            {"code": "X2", "points": 1, "key": False},
        ],
        "scoring": [{"version": 1, "cutoffs": {"A": 85, "B": 60}, "key_failures_to_worst": 2}],
    }
    rule = template["scoring"][0]
    half = scoring.score(template, rule, [{"code": "X1", "ok": True}, {"code": "X2", "ok": False}])
    assert half.score == 50
    template["items"].append({"code": "X3", "points": 1, "key": False})
    two_thirds = [{"code": c, "ok": c != "X3"} for c in ("X1", "X2", "X3")]
    assert scoring.score(template, rule, two_thirds).score == 67


def test_a_rule_version_may_set_other_points_and_key_items():
    template = checklists.templates()["food_safety"]
    stricter = {**RULE, "version": 2, "points": {"FS03": 20, "FS08": 0}, "key_items": ["FS03"]}
    items = {i["code"]: i for i in scoring.items_under(template, stricter)}
    assert (items["FS03"]["points"], items["FS03"]["key"]) == (20, True)
    assert (items["FS01"]["points"], items["FS01"]["key"]) == (10, False)
    assert items["FS08"]["points"] == 0
    # Still 100 in all: FS03's 20 lost is 80, and one failed key item is no C.
    result = scoring.score(template, stricter, answers("FS03"))
    assert (result.score, result.grade, result.version, result.failed_key_items) == (
        80,
        "B",
        2,
        ("FS03",),
    )


def test_the_rule_in_force_is_the_latest_begun_and_the_first_before_any():
    template = {
        "scoring": [
            {**RULE, "version": 2, "effective_from": "2027-01-01"},
            {**RULE, "version": 1, "effective_from": "2026-01-01"},
            {**RULE, "version": 3, "effective_from": "2028-01-01"},
        ]
    }
    on = datetime(2027, 1, 1).date()
    assert scoring.rule_in_force(template, on)["version"] == 2
    assert scoring.rule_in_force(template, on - timedelta(days=1))["version"] == 1
    assert scoring.rule_in_force(template, datetime(2025, 1, 1).date())["version"] == 1
    assert scoring.rule_version(template, 3)["effective_from"] == "2028-01-01"
    with pytest.raises(Invalid) as refused:
        scoring.rule_version(template, 4)
    assert refused.value.key == "unknown_rule_version"
    [said] = refused.value.errors["json"]["rule_version"]
    assert said % said.params == "no scoring rule version 4"


def test_no_answered_item_scores_nothing():
    template = {"items": [{"code": "X1", "points": 10, "key": False}], "scoring": [RULE]}
    assert scoring.score(template, RULE, []) == scoring.Scored(0, "C", 1, ())


def test_a_shop_with_no_counted_inspection_stands_awaiting():
    assert scoring.standing([], NOW, RULE) == scoring.Standing()
    assert scoring.Standing().grade is None and scoring.Standing().annual_inspections == 0


def test_the_standing_is_the_latest_grade_the_years_average_and_the_latest_three():
    counted = [
        (NOW - timedelta(days=1), 55, "C"),
        (NOW - timedelta(days=100), 90, "A"),
        (NOW - timedelta(days=365), 71, "B"),  # a year to the minute: still counts
        (NOW - timedelta(days=366), 20, "C"),  # past the year
    ]
    found = scoring.standing(counted, NOW, RULE)
    assert (found.grade, found.score) == ("C", 55)
    # (55 + 90 + 71) / 3 = 72: B; the key-item rule does not apply to the average.
    assert (found.annual_grade, found.annual_score, found.annual_inspections) == ("B", 72, 3)
    assert found.history == [
        {"date": "2026-12-06", "grade": "C", "score": 55},
        {"date": "2026-08-29", "grade": "A", "score": 90},
        {"date": "2025-12-07", "grade": "B", "score": 71},
    ]


def test_an_average_half_way_rounds_up_and_only_old_ones_leave_it_awaiting():
    found = scoring.standing([(NOW, 84, "B"), (NOW, 85, "A")], NOW, RULE)
    assert (found.annual_score, found.annual_grade) == (85, "A")  # 84.5
    old = scoring.standing([(NOW - timedelta(days=400), 95, "A")], NOW, RULE)
    assert (old.grade, old.score) == ("A", 95)  # the latest inspection's, however old
    assert (old.annual_grade, old.annual_score, old.annual_inspections) == (None, None, 0)
    assert len(old.history) == 1


def test_the_published_rules_list_every_template_version_by_version():
    template = {
        "title": "示例",
        "categories": ["other"],
        "items": [{"code": "X1", "text": "一项", "points": 100, "key": True, "extra": 1}],
        "scoring": [
            {**RULE, "version": 2, "effective_from": "2027-01-01", "points": {"X1": 50}},
            {**RULE, "effective_from": "2026-01-01"},
        ],
    }
    [published] = scoring.published({"demo": template})
    assert (published["template"], published["title"], published["categories"]) == (
        "demo",
        "示例",
        ["other"],
    )
    assert [v["version"] for v in published["versions"]] == [1, 2]
    first, second = published["versions"]
    assert first == {
        "version": 1,
        "effective_from": "2026-01-01",
        "cutoffs": {"A": 85, "B": 60},
        "key_failures_to_worst": 2,
        "items": [{"code": "X1", "text": "一项", "points": 100, "key": True}],
    }
    assert second["items"][0]["points"] == 50
