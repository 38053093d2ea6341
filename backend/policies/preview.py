"""Whom a policy would reach, before anyone is told: counts by street and category (for
residents, by street), and a small de-identified sample. Never who holds a tag.

Over a large district the counts are estimated, so that a preview costs as much at a
million shops as at a hundred thousand: every shop and user drew a bucket when it was made
(models.base.SAMPLE_BUCKETS), the rows of the lowest buckets are a uniform sample, and a
widening share of them is read until it holds enough matches, then scaled up, with the
margin of a 95 % interval. A small district, or an audience too rare to estimate well, is
read whole and counted exactly."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import peewee as pw
from flask import current_app

from backend import masking, scope
from backend.models import Region, Shop, StaffAccount, User
from backend.models.base import SAMPLE_BUCKETS
from backend.policies import audience, matching, publishing
from backend.shops.facts import CATEGORIES

SAMPLE = 10
# The buckets read after each step: 1 % of everyone, about 3 %, 10 %, 32 %, all.
STEPS = (100, 316, 1000, 3162, SAMPLE_BUCKETS)
Z_95 = 1.96


def preview(staff: StaffAccount, data: dict) -> dict:
    reach = publishing.reach_of(staff, data.get("region"))
    audience.check(data["audience"], data["target"], reach)
    enough = current_app.config["CITYCODE"].preview_sample_matches
    if data["target"] == "shops":
        return _shops(matching.shops(reach.path, data["audience"]), enough)
    return _residents(matching.residents(reach.path, data["audience"]), reach.path, enough)


@dataclass(frozen=True)
class Counts:
    """Matches counted by key in the buckets below `read`: a share read / SAMPLE_BUCKETS."""

    by_key: dict[tuple, int]
    read: int

    def scaled(self, n: int) -> int:
        return round(n * SAMPLE_BUCKETS / self.read)

    def summary(self) -> dict:
        matched = sum(self.by_key.values())
        share = self.read / SAMPLE_BUCKETS
        margin = Z_95 * math.sqrt(matched * (1 - share)) / share
        return {
            "total": self.scaled(matched),
            "exact": self.read == SAMPLE_BUCKETS,
            "margin": math.ceil(margin),
            "sampled_share": share,
        }


def _counted(
    grouped: Callable[[pw.Expression], Iterable[tuple]], bucket: pw.Field, enough: int
) -> Counts:
    """`grouped(condition)` gives `(key…, n)` for the matches in the buckets it names;
    summed over a widening share until `enough` are found (0: everyone, at once)."""
    counts: dict[tuple, int] = {}
    low = 0
    for high in STEPS if enough else STEPS[-1:]:
        for *key, n in grouped((bucket >= low) & (bucket < high)):
            counts[tuple(key)] = counts.get(tuple(key), 0) + n
        low = high
        if enough and sum(counts.values()) >= enough:
            break
    return Counts(counts, low)


def _shops(matched: pw.ModelSelect, enough: int) -> dict:
    counts = _counted(
        lambda share: (
            matched.where(share)
            .select(Shop.street, Shop.category, pw.fn.COUNT(Shop.id))
            .group_by(Shop.street, Shop.category)
            .tuples()
        ),
        Shop.sample_bucket,
        enough,
    )
    streets = {s for s, _ in counts.by_key}
    names = {r.id: r.name for r in Region.select().where(Region.id.in_(streets))}
    # The lowest buckets first: ten matches drawn at random, the same ten each time.
    sample = (
        matched.where(Shop.sample_bucket < counts.read)
        .select(Shop.name, Shop.category, Shop.street)
        .order_by(Shop.sample_bucket, Shop.id)
        .limit(SAMPLE)
    )
    pairs = counts.by_key.items()
    return {
        **counts.summary(),
        "by_street": _summed(((names[s], n) for (s, _), n in pairs), counts),
        "by_category": _summed(((CATEGORIES.get(c, c), n) for (_, c), n in pairs), counts),
        "sample": [
            {
                "name": masking.name(s.name),
                "category": CATEGORIES.get(s.category, s.category),
                "street": names.get(s.street_id),
            }
            for s in sample
        ],
    }


def _residents(matched: pw.ModelSelect, reach_path: str, enough: int) -> dict:
    """Counts by street only, and no sample: a masked name beside a tag such as 残疾人
    would still say who holds it."""
    home = matching.home(reach_path)
    counts = _counted(
        lambda share: (
            matched.where(share)
            .select(home.alias("home"), pw.fn.COUNT(User.id))
            .group_by(pw.SQL("home"))
            .tuples()
        ),
        User.sample_bucket,
        enough,
    )
    streets = [(scope.street_path(path), n) for (path,), n in counts.by_key.items()]
    names = {
        r.path: r.name for r in Region.select().where(Region.path.in_([p for p, _ in streets]))
    }
    return {
        **counts.summary(),
        "by_street": _summed(((names.get(p, p), n) for p, n in streets), counts),
        "by_category": [],
        "sample": [],
    }


def _summed(pairs, counts: Counts) -> list[dict]:
    """Counts added up by name, scaled to the whole, largest first."""
    by_name: dict[str, int] = {}
    for name, n in pairs:
        by_name[name] = by_name.get(name, 0) + n
    ordered = sorted(by_name.items(), key=lambda kv: -kv[1])
    return [{"name": k, "count": counts.scaled(v)} for k, v in ordered]
