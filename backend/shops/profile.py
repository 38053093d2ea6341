"""A shop's profile: most fields change at once, its registered name and address by request."""

from __future__ import annotations

import json

from backend import clock, i18n, lifecycle
from backend.db import lock_for_update, write_transaction
from backend.errors import Forbidden
from backend.models import Shop, ShopMembership, ShopRequest, User
from backend.shops import search_index
from backend.shops.access import membership_of

PROFILE_FIELDS = (
    "name",
    "address",
    "phone",
    "opening_hours",
    "description",
    "lat",
    "lng",
    "category",
)


# What the landing page shows so a resident can tell a sticker belongs to the shop in
# front of them: once a shop is approved, changing it is a request an admin decides.
REGISTERED_FIELDS = ("name", "address")


REVIEWED_STATUSES = ("active", "suspended")


def update_profile(user: User, public_id: str, changes: dict) -> Shop:
    """Most fields change at once. The registered name and address of an approved shop
    change only when an admin approves (decisions.approve_request); until then the
    shop answers with its old values and the proposal as `pending_change`."""
    with write_transaction():
        membership = membership_of(user, public_id)
        shop = membership.shop
        location = changes.pop("location", None)
        if location is not None:
            changes.update(lat=location["lat"], lng=location["lng"])
        changed = {
            k: v for k, v in changes.items() if k in PROFILE_FIELDS and getattr(shop, k) != v
        }
        if shop.status in REVIEWED_STATUSES:
            asked = {k: changed.pop(k) for k in REGISTERED_FIELDS if k in changed}
            if asked:
                _ask_for_change(membership, asked)
        if changed:
            apply_change(shop, changed, lifecycle.actor_for_user(user))
    return shop


def apply_change(shop: Shop, changed: dict, actor: str, why: dict | None = None) -> None:
    """`changed` written to the shop with its `shop.profile_changed` event (`why` beside
    the new values: the request, the feed), and the search index kept in step. Every
    change of a shop's profile goes through here. Call inside the caller's write
    transaction."""
    for field, value in changed.items():
        setattr(shop, field, value)
    shop.updated_at = clock.now()
    lifecycle.append(shop, "shop.profile_changed", actor, {**changed, **(why or {})})
    shop.save()
    if {"name", "address"} & set(changed):
        search_index.refresh(shop)


def _ask_for_change(membership: ShopMembership, asked: dict) -> None:
    """One change waits per shop: asking again replaces the values it names and keeps
    the others, so the admin decides the owner's latest wish in one go."""
    shop = membership.shop
    waiting = lock_for_update(
        ShopRequest.select().where(
            (ShopRequest.shop == shop)
            & (ShopRequest.kind == "change")
            & (ShopRequest.status == "pending")
        )
    ).first()
    proposal = json.loads(waiting.changes) if waiting else {}
    wanted = {
        **proposal,
        **{field: {"old": getattr(shop, field), "new": value} for field, value in asked.items()},
    }
    if wanted == proposal:
        return
    if membership.role != "owner":
        owner_only = i18n.reason("owner_only", "only the owner may change it")
        raise Forbidden(
            "only the shop's owner may ask to change its registered name or address",
            key="owner_only",
            errors={"json": {field: [owner_only] for field in asked}},
        )
    if waiting is None:
        ShopRequest.create(
            kind="change",
            shop=shop,
            user=membership.user_id,
            changes=json.dumps(wanted, ensure_ascii=False),
        )
        return
    waiting.changes = json.dumps(wanted, ensure_ascii=False)
    waiting.user, waiting.created_at = membership.user_id, clock.now()
    waiting.save()
