"""An audience compiled to one SQL condition, so matching 100,000 shops is one query,
never a loop; and read back to one recipient as why it matched them."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from datetime import date, datetime, time

import peewee as pw

from backend import clock, scope
from backend.models import (
    CommunityMembership,
    Employee,
    Honour,
    Licence,
    Region,
    ResidentTag,
    Shop,
    User,
)
from backend.policies.audience import CHOICES, REACHABLE_SHOPS
from backend.policies.tags import TAGS
from backend.shops.facts import LICENCE_TYPES

TRUE = pw.SQL("1 = 1")
COMPARE = {"eq": operator.eq, "ne": operator.ne, "gte": operator.ge, "lte": operator.le}


def condition(node: dict, target: str, today: date) -> pw.Expression:
    """The audience as a WHERE condition over Shop (target shops) or User (residents)."""
    if "all" in node:
        parts = [condition(child, target, today) for child in node["all"]]
        return functools.reduce(operator.and_, parts) if parts else TRUE
    if "any" in node:
        return functools.reduce(operator.or_, [condition(c, target, today) for c in node["any"]])
    if "not" in node:
        return ~condition(node["not"], target, today)
    leaf = _shop_leaf if target == "shops" else _resident_leaf
    return leaf(node["field"], node["op"], node["value"], today)


def _choice(column: pw.Field, op: str, value) -> pw.Expression:
    return {
        "eq": lambda: column == value,
        "ne": lambda: column != value,
        "in": lambda: column.in_(value),
        "not_in": lambda: column.not_in(value),
    }[op]()


def _counted(model: type[pw.Model], op: str, value: int) -> pw.Expression:
    count = model.select(pw.fn.COUNT(model.id)).where(model.shop == Shop.id)
    return COMPARE[op](count, value)


def _shop_leaf(field: str, op: str, value, today: date) -> pw.Expression:
    if field == "shop.category":
        return _choice(Shop.category, op, value)
    if field == "shop.status":
        return _choice(Shop.status, op, value)
    if field == "shop.risk_grade":
        return _choice(Shop.risk_grade, op, value)
    if field == "shop.region":
        return scope.under(Shop.region_path, Region.get(Region.code == value).path)
    if field == "shop.licence":
        valid = Licence.select(Licence.id).where(
            (Licence.shop == Shop.id)
            & (Licence.type == value)
            & (Licence.valid_from <= today)
            & (Licence.valid_to >= today)
        )
        return pw.fn.EXISTS(valid) if op == "has" else ~pw.fn.EXISTS(valid)
    if field == "shop.opened":
        start = datetime.combine(date.fromisoformat(value), time(0), tzinfo=clock.SHANGHAI)
        return Shop.created_at >= start if op == "since" else Shop.created_at < start
    if field == "shop.open_rectifications":
        return Shop.open_rectifications > 0 if value else Shop.open_rectifications == 0
    if field == "shop.staff_count":
        return _counted(Employee, op, value)
    return _counted(Honour, op, value)  # shop.honours


def _resident_leaf(field: str, op: str, value, today: date) -> pw.Expression:
    if field == "resident.region":
        path = Region.get(Region.code == value).path
        return pw.fn.EXISTS(_membership_under(path).select(CommunityMembership.id))
    return pw.fn.EXISTS(  # resident.tag: only while its consent stands
        ResidentTag.select(ResidentTag.id).where(
            (ResidentTag.user == User.id)
            & (ResidentTag.tag == value)
            & ResidentTag.withdrawn_at.is_null()
        )
    )


# -- who a policy reaches -----------------------------------------------------------------
def shops(reach_path: str, audience: dict, today: date | None = None) -> pw.ModelSelect:
    """The shops matched: open, inside the policy's reach, and fitting its audience."""
    return Shop.select().where(
        Shop.status.in_(REACHABLE_SHOPS)
        & scope.under(Shop.region_path, reach_path)
        & condition(audience, "shops", today or clock.today_local())
    )


def _membership_under(path: str) -> pw.ModelSelect:
    """The resident's approved memberships of communities under `path`, correlated with
    the User of the query it is put in."""
    return CommunityMembership.select().where(
        (CommunityMembership.user == User.id)
        & (CommunityMembership.status == "approved")
        & scope.under(CommunityMembership.region_path, path)
    )


def home(path: str) -> pw.ModelSelect:
    """A resident's first approved community under `path` (a correlated subquery)."""
    return _membership_under(path).select(pw.fn.MIN(CommunityMembership.region_path))


def residents(reach_path: str, audience: dict, today: date | None = None) -> pw.ModelSelect:
    """The residents matched: members of a community inside the reach, fitting the
    audience by their community and their consented tags only."""
    member = _membership_under(reach_path).select(CommunityMembership.id)
    return User.select().where(
        User.deleted_at.is_null()
        & pw.fn.EXISTS(member)
        & condition(audience, "residents", today or clock.today_local())
    )


# -- why it matched -----------------------------------------------------------------------
def why(node: dict, subject, holds: Callable[[dict], bool]) -> list[str]:
    """What in `node` this recipient fits, in Chinese; `subject` is their shop (None for
    a resident), `holds(part)` asks the database whether they fit a part of it."""
    if "all" in node:
        return [said for child in node["all"] for said in why(child, subject, holds)]
    if "any" in node:
        fitting = [child for child in node["any"] if holds(child)] or node["any"][:1]
        return [said for child in fitting for said in why(child, subject, holds)]
    if "not" in node:
        # What it is not, in the condition's own words: never this recipient's own values.
        return ["不属于（" + "，".join(why(node["not"], None, lambda _: True)) + "）"]
    return [_phrase(node["field"], node["op"], node["value"], subject)]


def _labels(kind: str, values) -> str:
    values = values if isinstance(values, list) else [values]
    return "、".join(CHOICES[kind][v] for v in values)


OWN = {
    "shop.category": ("category", "category"),
    "shop.status": ("status", "status"),
    "shop.risk_grade": ("grade", "risk_grade"),
}


def _phrase(field: str, op: str, value, shop) -> str:
    if field in OWN:
        kind, column = OWN[field]
        mine = getattr(shop, column) if shop is not None else None
        if op in ("eq", "in") and mine:
            return f"风险等级 {mine}" if kind == "grade" else CHOICES[kind].get(mine, mine)
        if op in ("eq", "in"):
            return _labels(kind, value)
        return "非" + _labels(kind, value)
    if field in ("shop.region", "resident.region"):
        return Region.get(Region.code == value).name
    if field == "shop.licence":
        return ("持有有效" if op == "has" else "未持有有效") + LICENCE_TYPES[value]
    if field == "shop.opened":
        return f"{value} {'以后' if op == 'since' else '以前'}开业"
    if field == "shop.open_rectifications":
        return "有未完成的整改" if value else "无未完成的整改"
    if field in ("shop.staff_count", "shop.honours"):
        what, unit = ("从业人员", "人") if field == "shop.staff_count" else ("获得荣誉", "项")
        return f"{what}{ {'eq': '为', 'gte': '不少于', 'lte': '不超过'}[op] }{value}{unit}"
    return TAGS[value]  # resident.tag


def by_category_only(node: dict) -> bool:
    """Whether the audience names nothing but categories (eq or in) at its top: all a
    shop's public face may go by, since anyone scanning reads it."""
    parts = node.get("all", [node])
    return all(p.get("field") == "shop.category" and p.get("op") in ("eq", "in") for p in parts)


def public_categories(node: dict) -> str | None:
    """The categories a public law or notice names at its top level, ",a,b,"; None when
    it names none (it is for every category)."""
    parts = node.get("all", [node]) if "field" in node or "all" in node else []
    named = None
    for part in parts:
        if part.get("field") == "shop.category" and part.get("op") in ("eq", "in"):
            values = set(part["value"] if part["op"] == "in" else [part["value"]])
            named = values if named is None else named & values
    return None if named is None else "," + ",".join(sorted(named)) + ","
