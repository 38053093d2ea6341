"""An inspection's score and grade (动态等级) from its checklist, under published rules.

Each checklist template (data/checklists.json) gives every item its points (they add
up to 100) and marks the key items (关键项). Its `scoring` list holds the versions of
the rule, each in force from a date: the cut-offs (a score at or above `A` is 良好, at
or above `B` 一般, below it 较差) and how many failed key items make an inspection
较差 whatever its score. A version may also set other points or key items for the
items it names. A new version never rescores the past: an inspection keeps the score
and version it was recorded with.

Two failed key items give 较差 rather than no grade at all, as the national 2012
guidance (餐饮服务食品安全量化分级管理指导意见) would have it: a shop refused a grade
would read 待评级 and tell residents nothing of a serious failure, where 较差 does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from backend.clock import local_date
from backend.errors import Invalid

# The three grades, best first: the meaning residents read, the face Shanghai's sticker
# shows, and that face's colour.
GRADES = {
    "A": {"meaning": "良好", "face": "笑脸", "colour": "green"},
    "B": {"meaning": "一般", "face": "平脸", "colour": "yellow"},
    "C": {"meaning": "较差", "face": "哭脸", "colour": "red"},
}
AWAITING = "待评级"
# The 年度等级 averages the inspections of the last twelve months.
ANNUAL_WINDOW = timedelta(days=365)
HISTORY_SHOWN = 3


@dataclass(frozen=True)
class Scored:
    score: int
    grade: str
    version: int
    failed_key_items: tuple[str, ...]


def rule_in_force(template: dict, on: date) -> dict:
    """The template's latest rule version in force on `on` (its first, before any)."""
    versions = sorted(template["scoring"], key=lambda r: r["version"])
    in_force = [r for r in versions if date.fromisoformat(r["effective_from"]) <= on]
    return in_force[-1] if in_force else versions[0]


def rule_version(template: dict, version: int) -> dict:
    for rule in template["scoring"]:
        if rule["version"] == version:
            return rule
    raise Invalid.field(
        "rule_version",
        "no scoring rule version %(version)s",
        key="unknown_rule_version",
        params={"version": version},
    )


def items_under(template: dict, rule: dict) -> list[dict]:
    """The template's items with the points and key flag this rule gives them."""
    points, keys = rule.get("points", {}), rule.get("key_items")
    return [
        {
            **item,
            "points": points.get(item["code"], item["points"]),
            "key": item["code"] in keys if keys is not None else item["key"],
        }
        for item in template["items"]
    ]


def score(template: dict, rule: dict, answers: list[dict]) -> Scored:
    """Points of the items answered yes over the points of all answered, on 100 (rounded
    half up), and the grade they give."""
    items = {item["code"]: item for item in items_under(template, rule)}
    answered = [(items[a["code"]], a["ok"]) for a in answers if a["code"] in items]
    total = sum(item["points"] for item, _ in answered)
    earned = sum(item["points"] for item, ok in answered if ok)
    value = (200 * earned + total) // (2 * total) if total else 0
    failed_keys = tuple(item["code"] for item, ok in answered if item["key"] and not ok)
    return Scored(value, grade_for(value, rule, len(failed_keys)), rule["version"], failed_keys)


def grade_for(value: float, rule: dict, failed_key_items: int = 0) -> str:
    """The letter a score gives under `rule`; too many failed key items give the worst."""
    if failed_key_items >= rule["key_failures_to_worst"]:
        return "C"
    cutoffs = rule["cutoffs"]
    if value >= cutoffs["A"]:
        return "A"
    return "B" if value >= cutoffs["B"] else "C"


def published(templates: dict) -> list[dict]:
    """Every template's rules as anyone may read them: items, points, key items, and each
    version's cut-offs, oldest first."""
    return [
        {
            "template": name,
            "title": template["title"],
            "categories": template["categories"],
            "versions": [
                {
                    "version": rule["version"],
                    "effective_from": rule["effective_from"],
                    "cutoffs": rule["cutoffs"],
                    "key_failures_to_worst": rule["key_failures_to_worst"],
                    "items": [
                        {k: item[k] for k in ("code", "text", "points", "key")}
                        for item in items_under(template, rule)
                    ],
                }
                for rule in sorted(template["scoring"], key=lambda r: r["version"])
            ],
        }
        for name, template in templates.items()
    ]


@dataclass
class Standing:
    """A shop's grades as its counted inspections give them: the latest one's (动态等级),
    the twelve months' average (年度等级), and the latest few. None: 待评级."""

    grade: str | None = None
    score: int | None = None
    annual_grade: str | None = None
    annual_score: int | None = None
    annual_inspections: int = 0
    history: list[dict] = field(default_factory=list)


def standing(counted: list[tuple[datetime, int, str]], now: datetime, rule: dict) -> Standing:
    """`counted`: (recorded at, score, grade) of the inspections that count, newest first,
    corrections applied. The annual average goes through `rule`'s cut-offs alone: the
    key-item rule has already spoken in each inspection's own grade."""
    if not counted:
        return Standing()
    recent = [value for at, value, _ in counted if now - at <= ANNUAL_WINDOW]
    annual = (2 * sum(recent) + len(recent)) // (2 * len(recent)) if recent else None
    return Standing(
        grade=counted[0][2],
        score=counted[0][1],
        annual_grade=grade_for(annual, rule) if recent else None,
        annual_score=annual,
        annual_inspections=len(recent),
        history=[
            {"date": local_date(at).isoformat(), "grade": letter, "score": value}
            for at, value, letter in counted[:HISTORY_SHOWN]
        ],
    )
