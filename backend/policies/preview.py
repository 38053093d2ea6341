"""Whom a policy would reach, before anyone is told: counts by street and category (for
residents, by street), and a small de-identified sample. Never who holds a tag."""

from __future__ import annotations

import peewee as pw

from backend import masking, scope
from backend.models import Region, Shop, StaffAccount, User
from backend.policies import audience, matching, publishing
from backend.shops.facts import CATEGORIES

SAMPLE = 10


def preview(staff: StaffAccount, data: dict) -> dict:
    reach = publishing.reach_of(staff, data.get("region"))
    audience.check(data["audience"], data["target"], reach)
    if data["target"] == "shops":
        return _shops(matching.shops(reach.path, data["audience"]))
    return _residents(matching.residents(reach.path, data["audience"]), reach.path)


def _shops(matched: pw.ModelSelect) -> dict:
    rows = list(
        matched.select(Shop.street, Shop.category, pw.fn.COUNT(Shop.id).alias("n"))
        .group_by(Shop.street, Shop.category)
        .tuples()
    )
    names = {r.id: r.name for r in Region.select().where(Region.id.in_({s for s, _, _ in rows}))}
    sample = matched.select(Shop.name, Shop.category, Shop.street).order_by(pw.fn.RANDOM())
    return {
        "total": sum(n for _, _, n in rows),
        "by_street": _summed((names[s], n) for s, _, n in rows),
        "by_category": _summed((CATEGORIES.get(c, c), n) for _, c, n in rows),
        "sample": [
            {
                "name": masking.name(s.name),
                "category": CATEGORIES.get(s.category, s.category),
                "street": names.get(s.street_id),
            }
            for s in sample.limit(SAMPLE)
        ],
    }


def _residents(matched: pw.ModelSelect, reach_path: str) -> dict:
    """Counts by street only, and no sample: a masked name beside a tag such as 残疾人
    would still say who holds it."""
    home = matching.home(reach_path)
    rows = matched.select(home.alias("home"), pw.fn.COUNT(User.id).alias("n")).group_by(
        pw.SQL("home")
    )
    streets: dict[str, int] = {}
    for path, n in rows.tuples():
        street = scope.street_path(path)
        streets[street] = streets.get(street, 0) + n
    names = {r.path: r.name for r in Region.select().where(Region.path.in_(list(streets)))}
    return {
        "total": sum(streets.values()),
        "by_street": _summed((names.get(p, p), n) for p, n in streets.items()),
        "by_category": [],
        "sample": [],
    }


def _summed(pairs) -> list[dict]:
    counts: dict[str, int] = {}
    for name, n in pairs:
        counts[name] = counts.get(name, 0) + n
    return [{"name": k, "count": v} for k, v in sorted(counts.items(), key=lambda kv: -kv[1])]
