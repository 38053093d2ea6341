"""Inspection checklists, shipped as data (data/checklists.json), one template per industry,
with each item's points and the versions of the scoring rule (see scoring). A district
with its own standard points CHECKLISTS_FILE at its own copy."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from flask import current_app, has_app_context

from backend.errors import Invalid

DEFAULT = "food_safety"
SHIPPED = Path(__file__).parent.parent / "data" / "checklists.json"


def templates() -> dict:
    configured = has_app_context() and current_app.config["CITYCODE"].checklists_file
    return _read(configured or str(SHIPPED))


@lru_cache(maxsize=4)
def _read(path: str) -> dict:
    return json.loads(Path(path).read_text("utf-8"))


def for_category(category: str) -> str:
    for name, template in templates().items():
        if category in template["categories"]:
            return name
    return DEFAULT


def check_answers(template_name: str, answers: list[dict]) -> list[dict]:
    """Every item of the template answered once, nothing else; returned in template order."""
    template = templates().get(template_name)
    if template is None:
        raise Invalid.field(
            "template",
            "no checklist named %(template)s",
            key="unknown_checklist",
            params={"template": template_name},
        )
    by_code = {a["code"]: a for a in answers}
    if len(by_code) != len(answers):
        raise Invalid.field("checklist", "an item is answered twice", key="duplicate_answer")
    codes = [item["code"] for item in template["items"]]
    unknown = sorted(set(by_code) - set(codes))
    if unknown:
        raise Invalid.field(
            "checklist",
            "not in %(template)s: %(items)s",
            key="unknown_checklist_item",
            params={"template": template_name, "items": ", ".join(unknown)},
        )
    missing = [c for c in codes if c not in by_code]
    if missing:
        raise Invalid.field(
            "checklist",
            "unanswered: %(items)s",
            key="unanswered_items",
            params={"items": ", ".join(missing)},
        )
    return [{"code": c, "ok": by_code[c]["ok"], "note": by_code[c].get("note")} for c in codes]
