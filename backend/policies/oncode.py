"""Policies on a shop's code, as 汇商码 shows them: on its public face, the laws and
notices in force that their publisher made public for shops of its category and region;
to its owner, the policies that reached them for it and are still unread."""

from __future__ import annotations

import json
from datetime import date

import peewee as pw

from backend import clock
from backend.db import json_rows, rows_of, stored_time
from backend.models import Policy, PolicyDelivery, Shop
from backend.policies.labels import KIND_LABELS

SHOWN = 5
# The newest this many are read; those not yet or no longer in force are dropped after,
# so the public scan's one prepared statement holds no date.
CONSIDERED = 20


COLUMNS = (
    Policy.public_id,
    Policy.kind,
    Policy.title,
    Policy.issuer,
    Policy.published_at,
    Policy.links,
    Policy.action_link,
    Policy.valid_from,
    Policy.valid_to,
)


def in_force_query(region_path, category) -> pw.ModelSelect:
    """The newest public laws and notices for shops of `category` at `region_path`
    (values, or the columns of a shop in an outer query): published by its region or a
    region above it, for every category or for this one."""
    named = pw.Value("%,").concat(category).concat(",%")
    return (
        Policy.select(*COLUMNS)
        .where(
            Policy.public
            & (Policy.status == "published")
            & (pw.fn.SUBSTR(region_path, 1, pw.fn.LENGTH(Policy.region_path)) == Policy.region_path)
            # ILIKE is SQLite's LIKE (its LIKE is peewee's GLOB): a category code is lower case.
            & (
                Policy.public_categories.is_null()
                | pw.Expression(Policy.public_categories, "ILIKE", named)
            )
        )
        .order_by(Policy.published_at.desc(), Policy.id.desc())
        .limit(CONSIDERED)
    )


def in_force_as_json() -> pw.Node:
    """in_force_query for the shop of an outer query, as one JSON aggregate: the scan
    reads a shop's notices in the statement that reads the shop."""
    latest = in_force_query(Shop.region_path, Shop.category).alias("notices")
    return pw.Select([latest], [json_rows(*(latest.c[f.name] for f in COLUMNS))])


def in_force(aggregated) -> list[dict]:
    """Title, kind, issuer, date and link of the notices in_force_as_json read that are in
    force today, newest first."""
    today, shown = clock.today_local(), []
    for row in rows_of(aggregated):
        public_id, kind, title, issuer, published_at, links, link, valid_from, valid_to = row
        if (
            _day(valid_from)
            and _day(valid_from) > today
            or _day(valid_to)
            and _day(valid_to) < today
        ):
            continue
        links = json.loads(links or "[]")
        shown.append(
            {
                "id": public_id,
                "kind": kind,
                "kind_label": KIND_LABELS[kind],
                "title": title,
                "issuer": issuer,
                "date": clock.local_date(stored_time(published_at)),
                "link": links[0]["url"] if links else link,
            }
        )
    shown.sort(key=lambda n: n["date"], reverse=True)
    return shown[:SHOWN]


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def unread_for_owner(user_id: int, shop: Shop) -> list[dict]:
    """The policies that reached this owner for this shop and that they have not opened."""
    rows = (
        PolicyDelivery.select(
            PolicyDelivery.id,
            PolicyDelivery.pushed_at,
            Policy.public_id,
            Policy.kind,
            Policy.title,
            Policy.issuer,
            Policy.action_link,
        )
        .join(Policy)
        .where(
            (PolicyDelivery.user == user_id)
            & (PolicyDelivery.shop == shop.id)
            & PolicyDelivery.read_at.is_null()
            & (Policy.status == "published")
        )
        .order_by(PolicyDelivery.pushed_at.desc(), PolicyDelivery.id.desc())
        .limit(20)
    )
    return [
        {
            "delivery": d.id,
            "id": d.policy.public_id,
            "kind": d.policy.kind,
            "kind_label": KIND_LABELS[d.policy.kind],
            "title": d.policy.title,
            "issuer": d.policy.issuer,
            "date": clock.local_date(d.pushed_at),
            "link": d.policy.action_link,
        }
        for d in rows
    ]
