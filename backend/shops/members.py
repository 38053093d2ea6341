"""A shop's people: the owner invites staff, who join by code; an inspector may reach them."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from backend import audit, clock, lifecycle, scope
from backend.db import write_transaction
from backend.errors import Conflict, Invalid, NotFound
from backend.models import ShopInvite, ShopMembership, StaffAccount, User
from backend.shops.access import OWNER_ONLY, member_shop
from backend.shops.status import refuse_if_closed

INVITE_LIFETIME = timedelta(days=2)


def _invite_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def invite_staff(user: User, public_id: str) -> tuple[str, ShopInvite]:
    with write_transaction():
        shop = member_shop(user, public_id, OWNER_ONLY)
        code = secrets.token_hex(5).upper()
        invite = ShopInvite.create(
            shop=shop,
            code_hash=_invite_hash(code),
            created_by=user,
            expires_at=clock.now() + INVITE_LIFETIME,
        )
    return code, invite


def accept_invite(user: User, code: str) -> ShopMembership:
    now = clock.now()
    unusable = Invalid.field("code", "unknown, used or expired invitation", key="invite_unusable")
    with write_transaction():
        found = (
            ShopInvite.select(ShopInvite.id)
            .where(ShopInvite.code_hash == _invite_hash(code))
            .first()
        )
        if found is None:
            raise unusable
        # Locked, the shop's row first (an approval of a claim takes it before adding an
        # owner): two people entering one code at once must not both get in.
        invite = lifecycle.locked_with_its_shop(ShopInvite, found.id)
        if invite is None:
            raise unusable
        # A member is told so even when the code has stopped working meanwhile: the code a
        # former owner handed out ends with their ownership, perhaps as its holder claims it.
        if ShopMembership.get_or_none(
            (ShopMembership.shop == invite.shop_id) & (ShopMembership.user == user)
        ):
            raise Conflict("you already belong to this shop", key="already_shop_member")
        if invite.used_at is not None or invite.expires_at <= now:
            raise unusable
        shop = invite.shop
        refuse_if_closed(shop)
        invite.used_at = now
        invite.save()
        membership = ShopMembership.create(shop=shop, user=user, role="staff")
        lifecycle.append(
            shop,
            "shop.member_added",
            lifecycle.actor_for_user(user),
            {"user": user.id, "role": "staff"},
        )
    return membership


def members(user: User, public_id: str):
    shop = member_shop(user, public_id, OWNER_ONLY)
    return (
        ShopMembership.select(ShopMembership, User)
        .join(User)
        .where(ShopMembership.shop == shop)
        .order_by(ShopMembership.id)
    )


def remove_member(user: User, public_id: str, member_user_id: int) -> None:
    with write_transaction():
        shop = member_shop(user, public_id, OWNER_ONLY)
        membership = ShopMembership.get_or_none(
            (ShopMembership.shop == shop) & (ShopMembership.user == member_user_id)
        )
        if membership is None:
            raise NotFound("member not found", key="member_not_found")
        if membership.role == "owner":
            raise Conflict("an owner cannot be removed here", key="owner_not_removable")
        lifecycle.append(
            shop, "shop.member_removed", lifecycle.actor_for_user(user), {"user": member_user_id}
        )
        membership.delete_instance()


def shop_contacts(staff: StaffAccount, shop_id: str) -> list[dict]:
    """The shop's owners and staff, unmasked, for an inspector who must reach them: audited."""
    shop = scope.shop(staff, shop_id)
    people = (
        ShopMembership.select(ShopMembership, User)
        .join(User)
        .where(ShopMembership.shop == shop)
        .order_by(ShopMembership.id)
    )
    audit.record(
        audit.READ_UNMASKED,
        "shop",
        shop.public_id,
        shop.region_path,
        staff=staff,
        detail={"fields": ["display_name", "phone"], "of": "shop members"},
    )
    return [
        {"role": m.role, "display_name": m.user.display_name, "phone": m.user.phone} for m in people
    ]
