"""What reached me: a shopkeeper's policies (for their shops) and a resident's, unread
first, each with why it matched them; opening one marks it read, and they answer 已办理
or 与我无关. Only the recipient reaches their own deliveries."""

from __future__ import annotations

import json

import peewee as pw

from backend import clock
from backend.db import lock_for_update, write_transaction
from backend.errors import Conflict, Invalid, NotFound
from backend.models import Policy, PolicyDelivery, Region, Shop, ShopMembership, User
from backend.policies import matching

SEPARATOR = " · "
Street = Region.alias()


def _mine(user: User, shops: bool) -> pw.ModelSelect:
    """My deliveries, each read with its policy, its shop and the shop's street: a list
    of them is one query."""
    query = (
        PolicyDelivery.select(PolicyDelivery, Policy, Shop, Street.name)
        .join(Policy)
        .switch(PolicyDelivery)
        .join(Shop, pw.JOIN.LEFT_OUTER)
        .join(Street, pw.JOIN.LEFT_OUTER, on=(Shop.street == Street.id), attr="street_row")
        .where((PolicyDelivery.user == user) & (Policy.status != "draft"))
    )
    if not shops:
        return query.where(PolicyDelivery.shop.is_null())
    owned = ShopMembership.select(ShopMembership.shop).where(
        (ShopMembership.user == user) & (ShopMembership.role == "owner")
    )
    return query.where(PolicyDelivery.shop.in_(owned))


def listed(user: User, shops: bool) -> pw.ModelSelect:
    """Unread first, then the newest."""
    return _mine(user, shops).order_by(
        PolicyDelivery.read_at.is_null(False), PolicyDelivery.pushed_at.desc(), PolicyDelivery.id
    )


def _find(user: User, delivery_id: int, shops: bool, lock: bool = False) -> PolicyDelivery:
    query = _mine(user, shops).where(PolicyDelivery.id == delivery_id)
    found = (lock_for_update(query, of=PolicyDelivery) if lock else query).first()
    if found is None:
        raise NotFound("policy not found", key="policy_not_found")
    return found


def opened(user: User, delivery_id: int, shops: bool) -> PolicyDelivery:
    """The delivery, marked read the first time it is opened."""
    with write_transaction():
        delivery = _find(user, delivery_id, shops, lock=True)
        if delivery.read_at is None:
            delivery.read_at = clock.now()
            PolicyDelivery.update(read_at=delivery.read_at).where(
                PolicyDelivery.id == delivery.id
            ).execute()
    return delivery


def answer(user: User, delivery_id: int, shops: bool, data: dict) -> PolicyDelivery:
    """已办理 (acted, an optional note) or 与我无关 (not me, with a reason); answering
    again replaces the answer. Reading it is implied."""
    if data["answer"] == "not_me" and not data.get("reason"):
        raise Invalid.field("reason", "say why it is not for you", key="reason_required")
    with write_transaction():
        delivery = _find(user, delivery_id, shops, lock=True)
        if delivery.policy.status == "withdrawn":
            raise Conflict("this policy has been withdrawn", key="policy_withdrawn")
        now = clock.now()
        delivery.answer, delivery.answered_at = data["answer"], now
        delivery.reason = data.get("reason") if data["answer"] == "not_me" else None
        delivery.note = data.get("note")
        delivery.read_at = delivery.read_at or now
        delivery.save(
            only=[
                PolicyDelivery.answer,
                PolicyDelivery.answered_at,
                PolicyDelivery.reason,
                PolicyDelivery.note,
                PolicyDelivery.read_at,
            ]
        )
    return delivery


def why(delivery: PolicyDelivery) -> str:
    """Why it matched this recipient, as they fit it when asked: "餐饮服务 · 天平路街道 ·
    持有有效食品经营许可证"."""
    policy = delivery.policy
    audience = json.loads(policy.audience)
    if delivery.shop_id is not None:
        shop = delivery.shop
        place = shop.street_row.name

        def holds(part: dict) -> bool:
            return matching.shops(policy.region_path, part).where(Shop.id == shop.id).exists()

    else:
        shop = None
        place = Region.select(Region.name).where(Region.path == delivery.region_path).scalar()

        def holds(part: dict) -> bool:
            matched = matching.residents(policy.region_path, part)
            return matched.where(User.id == delivery.user_id).exists()

    said = matching.why(audience, shop, holds)
    if place and place not in said:
        said.insert(1 if said else 0, place)
    return SEPARATOR.join(dict.fromkeys(said))
