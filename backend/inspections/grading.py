"""The public grades on the shop row, kept in step with its inspections (see scoring):
refreshed in the transaction that records, confirms or corrects an inspection, and by
the daily sweep as inspections leave the twelve months the 年度等级 averages."""

from __future__ import annotations

from datetime import timedelta

import orjson

from backend import clock
from backend.db import lock_for_update, write_transaction
from backend.inspections import checklists, scoring
from backend.models import Inspection, Shop
from backend.models.inspections import corrected_grades, counted
from backend.registry import ENDED

# The sweep looks back this far past the window, so a day it missed is caught up.
CATCH_UP = timedelta(days=7)


def score(template_name: str, answers: list[dict]) -> scoring.Scored:
    """An inspection recorded now, under the rule in force today."""
    template = checklists.templates()[template_name]
    return scoring.score(template, scoring.rule_in_force(template, clock.today_local()), answers)


def standing(shop: Shop) -> scoring.Standing:
    """The grades the shop's counted inspections give it today, corrections applied."""
    rows = list(
        Inspection.select(Inspection.id, Inspection.recorded_at, Inspection.score, Inspection.grade)
        .where((Inspection.shop == shop.id) & counted() & Inspection.score.is_null(False))
        .order_by(Inspection.recorded_at.desc(), Inspection.id.desc())
        .tuples()
    )
    corrected = corrected_grades([row[0] for row in rows])
    template = checklists.templates()[checklists.for_category(shop.category)]
    return scoring.standing(
        [(at, *corrected.get(id_, (value, letter))) for id_, at, value, letter in rows],
        clock.now(),
        scoring.rule_in_force(template, clock.today_local()),
    )


def refresh(shop: Shop) -> scoring.Standing | None:
    """Store the shop's grades as its inspections give them (caller's transaction). A shop
    whose business the registry says has ended keeps the grade it had: frozen."""
    if shop.registry_status in ENDED:
        return None
    found = standing(shop)
    changes = {
        "grade": found.grade,
        "grade_score": found.score,
        "annual_grade": found.annual_grade,
        "annual_score": found.annual_score,
        "annual_inspections": found.annual_inspections,
        "grade_history": orjson.dumps(found.history).decode(),
    }
    Shop.update(**changes).where(Shop.id == shop.id).execute()
    for name, value in changes.items():
        setattr(shop, name, value)
    return found


def age_out() -> list[str]:
    """Refresh the shops one of whose counted inspections has just left the window, so
    their 年度等级 stops counting it; the public ids of those whose grade changed."""
    now = clock.now()
    edge = now - scoring.ANNUAL_WINDOW
    shop_ids = (
        Shop.select(Shop.id)
        .where(
            Shop.id.in_(
                Inspection.select(Inspection.shop).where(
                    (Inspection.recorded_at <= edge)
                    & (Inspection.recorded_at > edge - CATCH_UP)
                    & counted()
                )
            )
        )
        .order_by(Shop.id)
        .tuples()
    )
    changed = []
    for (shop_id,) in list(shop_ids):
        with write_transaction():
            shop = lock_for_update(Shop.select().where(Shop.id == shop_id)).get()
            before = (shop.annual_grade, shop.annual_score, shop.annual_inspections)
            found = refresh(shop)
            if found is None:  # frozen
                continue
            if (found.annual_grade, found.annual_score, found.annual_inspections) != before:
                changed.append(shop.public_id)
    return changed


def rules() -> dict:
    """The grading rules as published: the grades, how the 年度等级 is made, and every
    template's items, points, key items and cut-offs, version by version."""
    return {
        "grades": [{"value": letter, **about} for letter, about in scoring.GRADES.items()],
        "awaiting": scoring.AWAITING,
        "annual_window_days": scoring.ANNUAL_WINDOW.days,
        "templates": scoring.published(checklists.templates()),
    }
