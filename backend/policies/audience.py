"""A policy's audience, declared as data: `all` / `any` / `not` over conditions
`{field, op, value}`. It is checked once (with the reason in the publisher's language),
compiled to one SQL condition over shops or residents, and read back to a recipient as
why it matched them ("餐饮服务 · 天平路街道 · 持有有效食品经营许可证").

A resident is matched only by their community and the tags they consented to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from backend.errors import Invalid
from backend.i18n import N_
from backend.models import (
    Region,
)
from backend.policies.tags import TAGS
from backend.shops.facts import CATEGORIES, LICENCE_TYPES, RISK_MEANINGS, SHOP_STATUS_LABELS

MAX_DEPTH = 5
MAX_CONDITIONS = 30
MAX_CHOICES = 50
EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)
# Shops a policy can reach: open for business, or suspended and working to reopen.
REACHABLE_SHOPS = ("active", "suspended")


@dataclass(frozen=True)
class Field:
    target: str
    ops: tuple[str, ...]
    kind: str  # what the value is: one of CHOICES' keys, or region, date, count, flag


FIELDS = {
    "shop.category": Field("shops", ("eq", "ne", "in", "not_in"), "category"),
    "shop.region": Field("shops", ("under",), "region"),
    "shop.status": Field("shops", ("eq", "ne", "in", "not_in"), "status"),
    "shop.risk_grade": Field("shops", ("eq", "ne", "in", "not_in"), "grade"),
    "shop.licence": Field("shops", ("has", "lacks"), "licence"),
    "shop.opened": Field("shops", ("since", "before"), "date"),
    "shop.open_rectifications": Field("shops", ("eq",), "flag"),
    "shop.staff_count": Field("shops", ("eq", "gte", "lte"), "count"),
    "shop.honours": Field("shops", ("eq", "gte", "lte"), "count"),
    "resident.region": Field("residents", ("under",), "region"),
    "resident.tag": Field("residents", ("has",), "tag"),
}
CHOICES = {
    "category": CATEGORIES,
    "status": {s: SHOP_STATUS_LABELS[s] for s in REACHABLE_SHOPS},
    "grade": RISK_MEANINGS,
    "licence": LICENCE_TYPES,
    "tag": TAGS,
}


# -- checking -----------------------------------------------------------------------------
def _refuse(where: str, message: str, key: str, **params):
    raise Invalid.field("audience", message, key=key, params={"where": where, **params})


def check(expression, target: str, reach: Region) -> dict:
    """`expression`, if it is a well-formed audience for `target` inside `reach`."""
    count = [0]
    _check(expression, target, reach, "audience", 1, count)
    return expression


def _check(node, target, reach, where, depth, count) -> None:
    if depth > MAX_DEPTH:
        _refuse(
            where, N_("%(where)s: nested deeper than %(depth)s levels"), "too_deep", depth=MAX_DEPTH
        )
    if not isinstance(node, dict) or len(node) != 1 and "field" not in node:
        _refuse(where, N_("%(where)s: expected all, any, not or a condition"), "bad_audience")
    count[0] += 1  # every node, so that no list of empty ones is unbounded either
    if count[0] > MAX_CONDITIONS:
        _refuse(
            where, N_("%(where)s: more than %(count)s conditions"), "too_many", count=MAX_CONDITIONS
        )
    if "field" in node:
        _check_condition(node, target, reach, where)
        return
    [(word, inner)] = node.items()
    if word in ("all", "any"):
        if not isinstance(inner, list) or (word == "any" and not inner):
            _refuse(
                where,
                N_("%(where)s: %(word)s takes a list of conditions"),
                "bad_audience",
                word=word,
            )
        for i, child in enumerate(inner):
            _check(child, target, reach, f"{where}.{word}[{i}]", depth + 1, count)
    elif word == "not":
        _check(inner, target, reach, f"{where}.not", depth + 1, count)
    else:
        _refuse(where, N_("%(where)s: expected all, any, not or a condition"), "bad_audience")


def _check_condition(node: dict, target: str, reach: Region, where: str) -> None:
    if set(node) != {"field", "op", "value"} or not all(
        isinstance(node[k], str) for k in ("field", "op")
    ):
        _refuse(where, N_("%(where)s: a condition has field, op and value"), "bad_condition")
    field = FIELDS.get(node["field"])
    if field is None:
        _refuse(where, N_("%(where)s: no such field"), "unknown_field_name")
    if field.target != target:
        _refuse(
            where, N_("%(where)s: this field is not about the policy's recipients"), "wrong_target"
        )
    if node["op"] not in field.ops:
        _refuse(
            where,
            N_("%(where)s: this field takes the operators %(ops)s"),
            "bad_operator",
            ops=", ".join(field.ops),
        )
    _check_value(field, node["op"], node["value"], reach, where)


def _check_value(field: Field, op: str, value, reach: Region, where: str) -> None:
    if field.kind in CHOICES:
        choices = CHOICES[field.kind]
        values = value if op in ("in", "not_in") else [value]
        if not isinstance(values, list) or not 0 < len(values) <= MAX_CHOICES:
            _refuse(
                where,
                N_("%(where)s: a list of one to %(count)s values"),
                "bad_value",
                count=MAX_CHOICES,
            )
        if any(not isinstance(v, str) or v not in choices for v in values):
            _refuse(
                where, N_("%(where)s: one of %(choices)s"), "bad_value", choices=", ".join(choices)
            )
    elif field.kind == "region":
        found = Region.get_or_none(Region.code == value) if isinstance(value, str) else None
        if found is None or not found.path.startswith(reach.path):
            _refuse(
                where,
                N_("%(where)s: no region with this code inside the policy's reach"),
                "region_not_in_scope",
            )
    elif field.kind == "date":
        try:
            day = date.fromisoformat(value)
        except (TypeError, ValueError):
            day = None
        if day is None or not EARLIEST <= day <= LATEST:
            _refuse(where, N_("%(where)s: a date such as 2026-01-01"), "bad_value")
    elif field.kind == "count":
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10000:
            _refuse(where, N_("%(where)s: a whole number from 0 to 10000"), "bad_value")
    elif not isinstance(value, bool):  # flag
        _refuse(where, N_("%(where)s: true or false"), "bad_value")
