"""A shop's honours (荣誉): titles from an issuer, shown on its code's public view."""

from __future__ import annotations

from backend import lifecycle
from backend.db import write_transaction
from backend.errors import Conflict, NotFound
from backend.models import Honour, Shop, User
from backend.shops.access import member_shop
from backend.shops.photos import own_photo


def member_honours(user: User, public_id: str):
    return honours(member_shop(user, public_id))


def honours(shop: Shop):
    return (
        Honour.select()
        .where(Honour.shop == shop)
        .order_by(Honour.awarded_on.desc(nulls="LAST"), Honour.id.desc())
    )


def add_honour(user: User, public_id: str, data: dict) -> Honour:
    with write_transaction():
        shop = member_shop(user, public_id)
        # The same title from the same issuer may come again another year, not twice in one.
        same = (
            (Honour.shop == shop)
            & (Honour.title == data["title"])
            & (Honour.issuer == data["issuer"])
        )
        awarded_on = data.get("awarded_on")
        same &= (
            Honour.awarded_on.is_null() if awarded_on is None else (Honour.awarded_on == awarded_on)
        )
        if Honour.select().where(same).exists():
            raise Conflict.field(
                "title", "this shop already lists this honour", key="duplicate_honour"
            )
        honour = Honour.create(
            shop=shop,
            title=data["title"],
            issuer=data["issuer"],
            awarded_on=data.get("awarded_on"),
            photo=own_photo(shop, data.get("photo")),
        )
        lifecycle.append(
            shop,
            "honour.added",
            lifecycle.actor_for_user(user),
            {
                "honour": honour.public_id,
                "title": honour.title,
                "issuer": honour.issuer,
            },
        )
    return honour


def remove_honour(user: User, public_id: str, honour_id: str) -> None:
    with write_transaction():
        shop = member_shop(user, public_id)
        honour = Honour.get_or_none((Honour.public_id == honour_id) & (Honour.shop == shop))
        if honour is None:
            raise NotFound("honour not found", key="honour_not_found")
        lifecycle.append(
            shop,
            "honour.removed",
            lifecycle.actor_for_user(user),
            {"honour": honour.public_id, "title": honour.title},
        )
        honour.delete_instance()
