"""The work order behind an appeal or a re-rating: opened for the owner to the market
regulator of the shop's street, and settled by the step that decides it (the appeal's
decision, the visit's inspection), not by the generic resolve."""

from __future__ import annotations

from backend import lifecycle
from backend.db import lock_for_update
from backend.models import Region, Shop, User, WorkOrder
from backend.shops.photos import own_photo
from backend.workorders import orders, routing, transitions


def open_order(
    user: User, shop: Shop, category: str, description: str, photos: list[str]
) -> tuple[WorkOrder, list[str]]:
    """The order, dispatched to the shop's regulator, and the shop's photos it carries."""
    evidence = [own_photo(shop, upload_id, "photos").public_id for upload_id in photos]
    order = orders.open_order(
        source="appeal" if category == "grade_appeal" else "rerating",
        category=routing.category(category),
        region=Region.get(Region.path == shop.region_path),
        description=description,
        actor=lifecycle.actor_for_user(user),
        reporter=user,
        shop=shop,
        location={"lat": shop.lat, "lng": shop.lng, "address": shop.address},
        photos=evidence,
        department=routing.regulator_for(shop.region_path),
    )
    return order, evidence


def locked_shop(shop_id: int) -> Shop:
    return lock_for_update(Shop.select().where(Shop.id == shop_id)).get()


def settle(order: WorkOrder, actor: str, result: str, detail: dict) -> None:
    """办结 the order: its procedure has decided it."""
    transitions.settle(WorkOrder.get_by_id(order.id), actor, result, detail)
