"""商户说明: the owner's one short statement about the shop's latest inspection, shown
beside the grade (marked 商户自述，未经核实) until the next inspection counts.

It passes the content check and is published with any phone, ID or e-mail in it masked,
as every public text is. An admin whose region holds the shop may hide it, for a
reason the owner is told; the hiding is audited and on the shop's record.
"""

from __future__ import annotations

from backend import audit, clock, contentcheck, lifecycle, masking, scope
from backend.db import write_transaction
from backend.errors import Conflict, Forbidden, NotFound
from backend.inspections.messages import tell_owners
from backend.models import Inspection, Shop, ShopReply, StaffAccount, User
from backend.models.inspections import counted
from backend.shops.access import OWNER_ONLY, member_shop

MAX_LENGTH = 300
# Why an admin may hide a reply, as the owner is told.
HIDING_LABELS = {"defamatory": "含诋毁内容", "personal_data": "含个人信息"}


def latest_counted(shop: Shop) -> Inspection | None:
    return (
        Inspection.select()
        .where((Inspection.shop == shop) & counted())
        .order_by(Inspection.recorded_at.desc(), Inspection.id.desc())
        .first()
    )


def publish(user: User, shop_id: str, text: str) -> ShopReply:
    with write_transaction():
        shop = member_shop(user, shop_id, OWNER_ONLY)
        inspection = latest_counted(shop)
        if inspection is None:
            raise Conflict(
                "the shop has no inspection to reply about yet", key="nothing_to_reply_to"
            )
        if ShopReply.select().where(ShopReply.inspection == inspection).exists():
            raise Conflict(
                "the shop has replied about this inspection; one reply each",
                key="already_replied",
            )
        contentcheck.check(user, text, "text")
        shown = masking.free_text(text.strip())
        reply = ShopReply.create(inspection=inspection, shop=shop, author=user, text=shown)
        lifecycle.append(
            shop,
            "reply.published",
            lifecycle.actor_for_user(user),
            {"inspection": inspection.public_id, "text": shown},
        )
        _show(shop, shown, clock.today_local())
    return reply


def hide(staff: StaffAccount, shop_id: str, reason: str, note: str) -> ShopReply:
    actor = lifecycle.actor_for_staff(staff)
    with write_transaction():
        if staff.role != "admin":
            raise Forbidden("only an admin hides a shop's reply", key="admin_only")
        shop = scope.shop(staff, shop_id, lock=True)
        reply = current(shop)
        if reply is None:
            raise NotFound("the shop shows no reply", key="reply_not_found")
        reply.hidden_at, reply.hidden_by = clock.now(), staff
        reply.hidden_reason, reply.hidden_note = reason, note
        reply.save()
        lifecycle.append(
            shop,
            "reply.hidden",
            actor,
            {"inspection": reply.inspection.public_id, "reason": reason},
        )
        audit.record(
            "reply.hidden",
            "shop",
            shop.public_id,
            shop.region_path,
            staff=staff,
            detail={"reason": reason, "note": note},
        )
        _show(shop, None, None)
        tell_owners(shop, "reply.hidden", f"商户说明已隐藏：{HIDING_LABELS[reason]}", None)
    return reply


def current(shop: Shop) -> ShopReply | None:
    """The reply the public sees: about the latest counted inspection, not hidden."""
    latest = latest_counted(shop)
    if latest is None:
        return None
    return ShopReply.get_or_none((ShopReply.inspection == latest) & ShopReply.hidden_at.is_null())


def follow_inspection(shop: Shop) -> None:
    """A new inspection counts: the reply about the last one leaves the grade's side."""
    if shop.reply_text is not None:
        _show(shop, None, None)


def _show(shop: Shop, text: str | None, on) -> None:
    Shop.update(reply_text=text, reply_on=on).where(Shop.id == shop.id).execute()
    shop.reply_text, shop.reply_on = text, on


def of_shop(user: User, shop_id: str) -> list[ShopReply]:
    shop = member_shop(user, shop_id)
    return list(
        ShopReply.select(ShopReply, Inspection)
        .join(Inspection)
        .where(ShopReply.shop == shop)
        .order_by(ShopReply.id.desc())
    )
