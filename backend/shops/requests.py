"""What a shopkeeper asks of an admin: to register a shop, or to claim one on record.

Registrations, claims and changes of a registered name or address wait in one queue
of shop requests (decisions.py decides them); deleting an account withdraws its own."""

from __future__ import annotations

import peewee as pw

from backend import clock, creditcode, i18n, lifecycle
from backend.db import lock_for_update, lock_row, write_transaction
from backend.errors import Conflict, Invalid
from backend.models import Region, Shop, ShopMembership, ShopRequest, User
from backend.shops import registry_check, search_index, status

WITHDRAWN_NOTE = "the applicant deleted their account"


def _valid_credit_code(raw: str) -> str:
    code = creditcode.normalise(raw)
    problem = creditcode.problem(code)
    if problem:
        raise Invalid.field("credit_code", problem, key=problem.key)
    return code


def _place(street_code: str, community_code: str | None) -> tuple[Region, Region | None]:
    street = Region.get_or_none((Region.code == street_code) & (Region.level == "street"))
    if street is None:
        raise Invalid.field("street", "no street with this code", key="unknown_street")
    community = None
    if community_code:
        community = Region.get_or_none(
            (Region.code == community_code)
            & (Region.level == "community")
            & (Region.parent == street)
        )
        if community is None:
            raise Invalid.field(
                "community", "no community with this code in that street", key="unknown_community"
            )
    return street, community


def register_shop(user: User, data: dict) -> Shop:
    """A new shop, pending an admin's approval. One business may run several shops under
    one credit code, but not two at one address: the same registration sent twice
    (a double tap, a retry) is refused, naming the shop already on record."""
    credit_code = _valid_credit_code(data["credit_code"])
    found = registry_check.consult(credit_code)  # before the transaction: a network call
    with write_transaction():
        lock_row(User, user.id)  # a double tap's two requests take turns
        _refuse_a_second_registration(user, credit_code, data["address"])
        street, community = _place(data["street"], data.get("community"))
        location = data.get("location") or {}
        shop = Shop.create(
            name=data["name"],
            credit_code=credit_code,
            category=data["category"],
            address=data["address"],
            street=street,
            community=community,
            region_path=(community or street).path,
            lat=location.get("lat"),
            lng=location.get("lng"),
            phone=data.get("phone"),
            opening_hours=data.get("opening_hours"),
            description=data.get("description"),
            status="pending",
        )
        search_index.refresh(shop)
        ShopMembership.create(shop=shop, user=user, role="owner")
        request = ShopRequest.create(kind="register", shop=shop, user=user)
        lifecycle.append(
            shop,
            "shop.registered",
            lifecycle.actor_for_user(user),
            {
                "name": shop.name,
                "credit_code": credit_code,
                "category": shop.category,
                "address": shop.address,
                "region": shop.region_path,
            },
        )
        registry_check.record(request, shop, found, lifecycle.actor_for_user(user))
    return shop


def _refuse_a_second_registration(user: User, credit_code: str, address: str) -> None:
    """One business at one address is one shop, whoever registers it: a second
    registration is refused, and someone else's sends its sender to claim it."""
    same = (
        Shop.select(Shop.id, Shop.public_id)
        .where((Shop.credit_code == credit_code) & (Shop.status != "closed"))
        .where(pw.fn.REPLACE(Shop.address, " ", "") == address.replace(" ", ""))
        .first()
    )
    if same is None:
        return
    mine = ShopMembership.select().where(
        (ShopMembership.shop == same.id) & (ShopMembership.user == user)
    )
    if mine.exists():
        registered = i18n.reason(
            "already_registered", "already registered: %(id)s", id=same.public_id
        )
        raise Conflict(
            "you already registered this shop at this address (%(id)s)",
            key="already_registered",
            params={"id": same.public_id},
            errors={"json": {"credit_code": [registered]}},
        )
    raise Conflict(
        "this business is already registered at this address; if it is yours, claim it "
        "(POST /api/v1/merchant/claims) and an admin of the street will decide",
        key="registered_by_someone_else",
        errors={"json": {"credit_code": ["registered_by_someone_else"]}},
    )


def claim_shop(user: User, credit_code: str, shop_id: str | None = None) -> ShopRequest:
    """Ask to be recognised as the owner of a shop already on record."""
    code = _valid_credit_code(credit_code)
    query = Shop.select().where((Shop.credit_code == code) & (Shop.status != "closed"))
    if shop_id:
        query = query.where(Shop.public_id == shop_id)
    candidates = list(query.limit(2))
    if not candidates:
        raise Invalid.field(
            "credit_code",
            "no open shop is registered with this credit code",
            key="no_shop_with_credit_code",
        )
    if len(candidates) > 1:
        raise Invalid.field(
            "shop_id", "several shops share this credit code; say which one", key="several_shops"
        )
    shop = candidates[0]
    found = registry_check.consult(code)
    with write_transaction():
        # The shop's row first, as every write to a shop: a double tap's second claim
        # waits here and then finds the first one waiting.
        lock_row(Shop, shop.id)
        # Staff may claim: the one who takes over a business often worked in it.
        if ShopMembership.get_or_none(
            (ShopMembership.shop == shop)
            & (ShopMembership.user == user)
            & (ShopMembership.role == "owner")
        ):
            raise Conflict("you already own this shop", key="already_owner")
        if ShopRequest.get_or_none(
            (ShopRequest.shop == shop)
            & (ShopRequest.user == user)
            & (ShopRequest.status == "pending")
        ):
            raise Conflict(
                "your claim on this shop is already waiting for review", key="claim_pending"
            )
        request = ShopRequest.create(kind="claim", shop=shop, user=user)
        registry_check.record(request, shop, found, lifecycle.actor_for_user(user))
        return request


def withdraw_requests(user: User) -> None:
    """Close the user's registrations, claims and changes still waiting, inside the caller's
    transaction: approved later, they would make a shop with no owner, or an owner
    who no longer exists. A shop that was only registered closes with its request."""
    waiting = (ShopRequest.user == user) & (ShopRequest.status == "pending")
    shops = {
        shop.id: shop
        for shop in lock_for_update(
            Shop.select().join(ShopRequest).where(waiting).order_by(Shop.id), of=Shop
        )
    }
    actor = lifecycle.actor_for_user(user)
    for request in lock_for_update(ShopRequest.select().where(waiting).order_by(ShopRequest.id)):
        shop = shops.get(request.shop_id)
        if request.kind == "register" and shop is not None and shop.status == "pending":
            status.move(
                shop,
                "closed",
                actor,
                {"request": request.id, "note": WITHDRAWN_NOTE},
                event="shop.rejected",
            )
            shop.save()
        request.status, request.note, request.decided_at = "rejected", WITHDRAWN_NOTE, clock.now()
        request.save()


def my_requests(user: User):
    return (
        ShopRequest.select(ShopRequest, Shop)
        .join(Shop)
        .where(ShopRequest.user == user)
        .order_by(ShopRequest.id.desc())
    )
