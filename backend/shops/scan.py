"""What a scanned code is, and which view of it the caller gets.

A code is official (current), replaced (revoked) or not official (never issued).
The view of an official shop code depends on who asks: everyone gets the public
view; the shop's own people also get the owner part; an inspector whose scope
covers the shop gets the regulatory part (and one outside it is audited).

Every resident in front of a shop may scan it, so the public view is a handful of
prepared queries: the code with its shop, regions and the caller's ties to it in one,
then the shop's licences, honours and latest comments.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import peewee as pw

from backend import codes, masking, scope
from backend.community import membership
from backend.db import Prepared
from backend.inspections import regulatory_view
from backend.models import (
    Employee,
    Honour,
    Licence,
    Rating,
    Region,
    Shop,
    ShopCode,
    ShopMembership,
    StaffAccount,
    User,
)
from backend.policies import oncode
from backend.ratings import ratings

MESSAGES = {
    "official": "官方认证的二维码",
    "replaced": "此码已被更换，请扫描店内张贴的最新汇商码",
    "not_official": "这不是官方发放的汇商码，请谨慎",
}
# A replaced community code hangs at a residents' committee, not in a shop.
REPLACED_COMMUNITY = "此社区码已被更换，请扫描居委会张贴的最新社区码"


@dataclass
class Scan:
    verdict: str
    kind: str | None = None
    view: str | None = None
    shop: Shop | None = None
    code: ShopCode | None = None
    licences: list = field(default_factory=list)
    honours: list = field(default_factory=list)
    membership: ShopMembership | None = None
    regulatory: dict | None = None
    community: Region | None = None
    community_status: str | None = None
    rating_ticket: str | None = None
    comments: list = field(default_factory=list)
    notices: list = field(default_factory=list)

    @property
    def message(self) -> str:
        if self.verdict == "replaced" and self.kind == "community":
            return REPLACED_COMMUNITY
        return MESSAGES[self.verdict]


Community = Region.alias()
COMMENTS_SHOWN = 5

# The code; its shop with the names of its street and community; the caller's membership
# of the shop; whether the caller has a staff account at all (most callers are residents,
# who then need no staff lookup); and whether the shop has honours or visible comments
# (most have neither, and then need no query for them). A NULL caller matches no row.
_code_with_shop = Prepared(
    lambda code, user_id: (
        ShopCode.select(
            ShopCode,
            Shop,
            Region.id,
            Region.code,
            Region.name,
            Community.id,
            Community.code,
            Community.name,
            ShopMembership,
            StaffAccount.id,
            pw.fn.EXISTS(Honour.select(Honour.id).where(Honour.shop == Shop.id)).alias(
                "has_honours"
            ),
            pw.fn.EXISTS(
                Rating.select(Rating.id).where(
                    (Rating.shop == Shop.id) & (Rating.status == "visible")
                )
            ).alias("has_comments"),
            oncode.in_force_as_json().alias("notices"),
        )
        .join(Shop, pw.JOIN.LEFT_OUTER)
        .join(Region, pw.JOIN.LEFT_OUTER, on=(Shop.street == Region.id))
        .switch(Shop)
        .join(Community, pw.JOIN.LEFT_OUTER, on=(Shop.community == Community.id))
        .switch(Shop)
        .join(
            ShopMembership,
            pw.JOIN.LEFT_OUTER,
            on=(ShopMembership.shop == Shop.id) & (ShopMembership.user == user_id),
            attr="caller_membership",
        )
        .switch(ShopCode)
        .join(
            StaffAccount,
            pw.JOIN.LEFT_OUTER,
            on=(StaffAccount.user == user_id),
            attr="caller_staff_account",
        )
        .where(ShopCode.code == code)
    )
)

_licences = Prepared(
    lambda shop_id: (
        Licence.select().where(Licence.shop == shop_id).order_by(Licence.valid_to, Licence.id)
    )
)

_honours = Prepared(
    lambda shop_id: (
        Honour.select()
        .where(Honour.shop == shop_id)
        .order_by(Honour.awarded_on.desc(nulls="LAST"), Honour.id.desc())
    )
)

_comments = Prepared(lambda shop_id: ratings.visible_comments_query(shop_id, COMMENTS_SHOWN))


def find_code(raw: str, user: User | None = None) -> ShopCode | None:
    """The issued code behind `raw` (any case), with its shop and the caller's ties, or None."""
    if not codes.looks_like_code_id(raw):
        return None
    return _code_with_shop.first(codes.normalise_code_id(raw), user.id if user else None)


def read(raw: str, user: User | None) -> Scan:
    code = find_code(raw, user)
    if code is None:
        return Scan("not_official")
    if code.revoked_at is not None:
        return Scan("replaced", kind=code.kind)
    if code.kind == "community":
        return _community(code, user)
    shop = code.shop
    result = Scan("official", kind=code.kind, view="public", shop=shop, code=code)
    result.licences = _licences.all(shop.id)
    if code.has_honours:
        result.honours = _honours.all(shop.id)
    if code.has_comments:
        result.comments = _comments.all(shop.id)
    result.notices = oncode.in_force(code.notices)
    if user is None:
        return result
    result.membership = shop.caller_membership
    if result.membership is not None:
        result.view = "owner"
    elif shop.status in ratings.RATEABLE:
        # The shop's own people get no ticket: the stars are what customers gave.
        result.rating_ticket = ratings.issue_ticket(user.id, shop.public_id)
    staff = regulatory_view.active_regulator(user) if code.caller_staff_account else None
    if staff is not None:
        if scope.covers(staff, shop.region_path):
            result.view = "regulatory"
            result.regulatory = regulatory_view.regulatory_part(staff, shop, result.licences)
        else:
            regulatory_view.deny(staff, shop)
    return result


def _community(code: ShopCode, user: User | None) -> Scan:
    """A community's printed code: scanning it starts joining that community."""
    result = Scan("official", kind="community", view="public", code=code)
    result.community = membership.community_with_street(code.region_id)
    result.community_status = membership.status_in(user, code.region_id) if user else None
    return result


def community_part(result: Scan) -> dict | None:
    if result.community is None:
        return None
    community = result.community
    return {
        "code": community.code,
        "name": community.name,
        "street": community.parent.name if community.parent_id else None,
        "my_status": result.community_status,
        "join_code": result.code.code,
    }


def owner_part(result: Scan) -> dict | None:
    """The shop's own people also get their whole record and code management."""
    if result.membership is None:
        return None
    shop = result.shop
    return {
        "role": result.membership.role,
        "profile": shop,
        "licences": result.licences,
        "employees": masking.employees_for(
            result.membership.role,
            list(Employee.select().where(Employee.shop == shop).order_by(Employee.id)),
        ),
        "open_rectifications": shop.open_rectifications,
        "code": result.code,
        "can_manage_code": result.membership.role == "owner",
        "policies": oncode.unread_for_owner(result.membership.user_id, shop),
    }


def as_response(result: Scan) -> dict:
    return {
        "verdict": result.verdict,
        "message": result.message,
        "kind": result.kind,
        "view": result.view,
        "shop": result.shop,
        "licences": result.licences,
        "honours": result.honours,
        "owner": owner_part(result),
        "regulatory": result.regulatory,
        "community": community_part(result),
        "rating_ticket": result.rating_ticket,
        "comments": result.comments,
        "notices": result.notices,
    }
