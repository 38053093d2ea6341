"""A shop's licences: its people add, renew and remove them; a regulator verifies one."""

from __future__ import annotations

from backend import audit, clock, lifecycle, scope
from backend.db import write_transaction
from backend.errors import Conflict, Invalid, NotFound
from backend.inspections import risk
from backend.models import Licence, Shop, StaffAccount, User
from backend.shops.access import member_shop
from backend.shops.photos import own_photo


def _check_dates(valid_from, valid_to) -> None:
    if valid_to < valid_from:
        raise Invalid.field("valid_to", "is before valid_from", key="ends_before_starts")


def add_licence(user: User, public_id: str, data: dict) -> Licence:
    _check_dates(data["valid_from"], data["valid_to"])
    with write_transaction():
        shop = member_shop(user, public_id)
        # The shop's row is locked above, so a double tap's second request sees the first.
        _refuse_a_held_licence(shop, data["type"], data["number"])
        licence = Licence.create(
            shop=shop,
            type=data["type"],
            number=data["number"],
            issuer=data["issuer"],
            valid_from=data["valid_from"],
            valid_to=data["valid_to"],
            scope=data.get("scope"),
            photo=own_photo(shop, data.get("photo")),
        )
        lifecycle.append(
            shop,
            "licence.added",
            lifecycle.actor_for_user(user),
            {
                "licence": licence.public_id,
                "type": licence.type,
                "number": licence.number,
                "valid_to": licence.valid_to,
            },
        )
        risk.refresh(shop)
    return licence


def _refuse_a_held_licence(
    shop: Shop, type_: str, number: str, renewing: Licence | None = None
) -> None:
    """One paper, one entry: a renewal may keep its own number, not take another's."""
    same = (Licence.shop == shop) & (Licence.type == type_) & (Licence.number == number)
    if renewing is not None:
        same &= Licence.id != renewing.id
    if Licence.select().where(same).exists():
        raise Conflict.field(
            "number",
            "this shop already holds this licence; renew it instead",
            key="duplicate_licence",
        )


def _licence(shop: Shop, licence_id: str) -> Licence:
    licence = Licence.get_or_none((Licence.public_id == licence_id) & (Licence.shop == shop))
    if licence is None:
        raise NotFound("licence not found", key="licence_not_found")
    return licence


def licences(user: User, public_id: str):
    shop = member_shop(user, public_id)
    return Licence.select().where(Licence.shop == shop).order_by(Licence.valid_to)


def renew_licence(user: User, public_id: str, licence_id: str, data: dict) -> Licence:
    with write_transaction():
        shop = member_shop(user, public_id)
        licence = _licence(shop, licence_id)
        valid_from = data.get("valid_from", licence.valid_from)
        _check_dates(valid_from, data["valid_to"])
        if data["valid_to"] <= licence.valid_to:
            raise Invalid.field(
                "valid_to", "a renewal must extend the licence", key="renewal_not_later"
            )
        if data.get("number", licence.number) != licence.number:
            _refuse_a_held_licence(shop, licence.type, data["number"], renewing=licence)
        licence.valid_from, licence.valid_to = valid_from, data["valid_to"]
        licence.number = data.get("number", licence.number)
        licence.photo = own_photo(shop, data.get("photo")) or licence.photo
        # A renewed licence is unverified again until a regulator sees the new paper.
        licence.verified_at = None
        licence.updated_at = clock.now()
        licence.save()
        lifecycle.append(
            shop,
            "licence.renewed",
            lifecycle.actor_for_user(user),
            {
                "licence": licence.public_id,
                "number": licence.number,
                "valid_to": licence.valid_to,
            },
        )
        risk.refresh(shop)
    return licence


def remove_licence(user: User, public_id: str, licence_id: str) -> None:
    with write_transaction():
        shop = member_shop(user, public_id)
        licence = _licence(shop, licence_id)
        lifecycle.append(
            shop,
            "licence.removed",
            lifecycle.actor_for_user(user),
            {
                "licence": licence.public_id,
                "type": licence.type,
                "number": licence.number,
            },
        )
        licence.delete_instance()
        risk.refresh(shop)


def verify_licence(staff: StaffAccount, shop_id: str, licence_id: str) -> Licence:
    with write_transaction():
        shop = scope.shop(staff, shop_id, lock=True)
        licence = Licence.get_or_none((Licence.shop == shop) & (Licence.public_id == licence_id))
        if licence is None:
            raise NotFound("licence not found", key="licence_not_found")
        licence.verified_at = clock.now()
        licence.save()
        lifecycle.append(
            shop,
            "licence.verified",
            lifecycle.actor_for_staff(staff),
            {"licence": licence.public_id, "number": licence.number},
        )
        audit.record(
            "licence.verified", "licence", licence.public_id, shop.region_path, staff=staff
        )
    return licence
