"""How people reach a shop: its own people through their membership, staff through scope.

A shopkeeper reaches shops only through their memberships, so a shop id from someone
else's URL is simply not found; staff reach them only inside their region subtree
(scope.shop).
"""

from __future__ import annotations

from backend import scope
from backend.db import database, lock_for_update
from backend.errors import Forbidden, NotFound
from backend.models import Region, Shop, ShopMembership, StaffAccount, User
from backend.shops import status

OWNER_ONLY = ("owner",)
ANY_MEMBER = ("owner", "staff")


def member_shop(user: User, public_id: str, roles=ANY_MEMBER) -> Shop:
    """`user`'s shop `public_id`: 404 if they are not one of its people, 403 if the role is short.

    Inside a write the shop's row is locked as it is read, so writes to one shop take
    turns from their first read: none saves what another has just changed, and none
    waits on the chain's head while holding a row the other needs. Every write to a
    shop starts here, so here a closed shop refuses them all (status.refuse_if_closed).
    """
    return membership_of(user, public_id, roles).shop


def membership_of(user: User, public_id: str, roles=ANY_MEMBER) -> ShopMembership:
    query = (
        ShopMembership.select(ShopMembership, Shop)
        .join(Shop)
        .where((ShopMembership.user == user) & (Shop.public_id == public_id))
    )
    writing = database.in_transaction()
    if writing:
        query = lock_for_update(query, of=Shop)  # the shop's row only: it comes first
    row = query.first()
    if row is None:
        raise NotFound("shop not found", key="shop_not_found")
    if row.role not in roles:
        raise Forbidden("only the shop's owner may do this", key="owner_only")
    if writing:
        status.refuse_if_closed(row.shop)
    return row


def my_shops(user: User):
    return (
        ShopMembership.select(ShopMembership, Shop)
        .join(Shop)
        .where(ShopMembership.user == user)
        .order_by(ShopMembership.id)
    )


def shops_in_scope(staff: StaffAccount, filters: dict):
    """Shops in `staff`'s subtree, filtered as the admin's list asks."""
    query = scope.shops(staff).order_by(Shop.id)
    if filters.get("status"):
        query = query.where(Shop.status == filters["status"])
    if filters.get("risk_grade"):
        query = query.where(Shop.risk_grade == filters["risk_grade"])
    if filters.get("street"):
        query = query.join(Region, on=(Shop.street == Region.id)).where(
            Region.code == filters["street"]
        )
    if filters.get("q"):
        query = query.where(Shop.name.contains(filters["q"]))
    return query
