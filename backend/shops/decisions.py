"""An admin decides the shop requests in their scope: registrations, claims, changes of a
registered name or address. The applicant is told the decision (through the outbox).

Every query starts from `scope`, so a request outside the caller's region subtree is
not found, exactly like one that does not exist.
"""

from __future__ import annotations

import json

from flask import current_app

from backend import audit, clock, codes, i18n, lifecycle, notify, scope
from backend.db import lock_for_update, write_transaction
from backend.errors import Conflict
from backend.i18n import N_
from backend.models import (
    Shop,
    ShopInvite,
    ShopMembership,
    ShopRequest,
    StaffAccount,
    User,
)
from backend.shops import profile, status

# A request's status in the reader's words (the values of %(…)s in messages), for the catalog.
_WORDS = (N_("approved"), N_("rejected"))


def _requests_in_scope(staff: StaffAccount):
    return (
        ShopRequest.select(ShopRequest, Shop)
        .join(Shop)
        .where(scope.under(Shop.region_path, staff.region_path))
        .order_by(ShopRequest.id)
    )


def shop_requests(staff: StaffAccount, status: str | None):
    """With each the applicant, whom the admin sees masked (schemas.ShopRequestReview)."""
    query = _requests_in_scope(staff).select_extend(User).join_from(ShopRequest, User)
    return query.where(ShopRequest.status == status) if status else query


def _pending_request(staff: StaffAccount, request_id: int) -> tuple[ShopRequest, Shop]:
    """The request, still pending, and its shop, both locked."""
    in_scope = _requests_in_scope(staff).where(ShopRequest.id == request_id)
    found = scope.find(
        staff,
        in_scope,
        "shop_request",
        request_id,
        Shop.select(Shop.region_path).join(ShopRequest).where(ShopRequest.id == request_id),
    )
    # The shop's row before the request's, in the order the applicant's account
    # deletion takes them when it withdraws the request: never each waiting on the other.
    # (The shopkeeper may be editing the pending shop's profile right now, too.)
    shop = lock_for_update(Shop.select().where(Shop.id == found.shop_id)).get()
    request = lock_for_update(in_scope, of=ShopRequest).get()
    if request.status != "pending":
        raise Conflict(
            "this request was already %(status)s",
            key="already_decided",
            params={"status": i18n.Word(request.status)},
        )
    return request, shop


def approve_request(staff: StaffAccount, request_id: int) -> ShopRequest:
    """A registration makes the shop active with its code. A claim makes the claimant its
    owner and ends every other owner's membership: the one who left the business keeps no
    access to it, and is told so. A change gives the shop
    the registered name or address its owner asked for."""
    actor = lifecycle.actor_for_staff(staff)
    former_owners: list[User] = []
    with write_transaction():
        request, shop = _pending_request(staff, request_id)
        if request.kind == "register":
            status.move(shop, "active", actor, {"request": request.id}, event="shop.approved")
            shop.save()
            codes.issue_shop_code(shop, actor)
        elif request.kind == "change":
            _apply_change(shop, request, actor)
        else:
            if shop.status == "closed":
                # Claims are taken only on open shops; this one closed while it waited.
                raise Conflict(
                    "this shop has closed since the claim; reject the claim", key="shop_closed"
                )
            _make_owner(shop, request.user_id)
            lifecycle.append(
                shop, "shop.claimed", actor, {"request": request.id, "user": request.user_id}
            )
            former_owners = _end_former_owners(shop, request, actor)
        request.status, request.decided_by, request.decided_at = "approved", staff.id, clock.now()
        request.save()
        detail = {"request": request.id, "kind": request.kind}
        if former_owners:
            detail["former_owners"] = [user.id for user in former_owners]
        audit.record(
            "shop_request.approved",
            "shop",
            shop.public_id,
            shop.region_path,
            staff=staff,
            detail=detail,
        )
        for user in former_owners:
            _tell_former_owner(user, shop)
        _tell_applicant(request, shop)
    return request


def _apply_change(shop: Shop, request: ShopRequest, actor: str) -> None:
    if shop.status == "closed":
        raise Conflict(
            "this shop has closed since the change was asked; reject the change",
            key="shop_closed",
        )
    changed = {field: value["new"] for field, value in json.loads(request.changes).items()}
    profile.apply_change(shop, changed, actor, {"request": request.id})


FORMER_OWNERS_CHANGE_NOTE = "the shop has a new owner"


def _end_former_owners(shop: Shop, request: ShopRequest, actor: str) -> list[User]:
    """Remove every owner but the claimant; the codes they handed out and nobody used
    stop working with them, and a change of name or address they asked for is dropped.
    Staff stay: the new owner decides about them."""
    memberships = list(
        lock_for_update(
            ShopMembership.select(ShopMembership, User)
            .join(User)
            .where(
                (ShopMembership.shop == shop)
                & (ShopMembership.role == "owner")
                & (ShopMembership.user != request.user_id)
            )
            .order_by(ShopMembership.id),
            of=ShopMembership,
        )
    )
    now = clock.now()
    for membership in memberships:
        lifecycle.append(
            shop,
            "shop.member_removed",
            actor,
            {"user": membership.user_id, "role": "owner", "request": request.id},
        )
        (
            ShopInvite.update(expires_at=now)
            .where(
                (ShopInvite.shop == shop)
                & (ShopInvite.created_by == membership.user_id)
                & ShopInvite.used_at.is_null()
                & (ShopInvite.expires_at > now)
            )
            .execute()
        )
        membership.delete_instance()
    if memberships:
        # Only owners ask for a change, and none of them runs the shop any more.
        (
            ShopRequest.update(status="rejected", note=FORMER_OWNERS_CHANGE_NOTE, decided_at=now)
            .where(
                (ShopRequest.shop == shop)
                & (ShopRequest.kind == "change")
                & (ShopRequest.status == "pending")
            )
            .execute()
        )
    return [membership.user for membership in memberships]


def _tell_former_owner(user: User, shop: Shop) -> None:
    template = current_app.config["CITYCODE"].wechat_template_shop
    notify.send(
        user,
        shop,
        template,
        "shop.ownership_ended",
        {
            "thing1": shop.name[:20],
            "thing2": "店铺已由新经营者认领，您的管理权限已结束",
            "time3": clock.now().astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M"),
        },
    )


DECISIONS = {
    ("register", "approved"): "店铺登记已通过，店铺码已生成",
    ("claim", "approved"): "认领已通过，您已成为经营者",
    ("change", "approved"): "名称地址变更已通过",
    ("register", "rejected"): "登记未通过：",
    ("claim", "rejected"): "认领未通过：",
    ("change", "rejected"): "变更未通过：",
}


def _tell_applicant(request: ShopRequest, shop: Shop) -> None:
    """The applicant waits on this decision and has no other way to learn of it than
    opening the app. An account deleted since then is not written to."""
    applicant = User.get_by_id(request.user_id)
    if applicant.deleted_at is not None:
        return
    outcome = DECISIONS[(request.kind, request.status)]
    if request.status == "rejected":
        outcome += request.note or ""
    template = current_app.config["CITYCODE"].wechat_template_shop
    notify.send(
        applicant,
        shop,
        template,
        f"shop_request.{request.status}",
        {
            "thing1": shop.name[:20],
            "thing2": outcome[:20],
            "time3": clock.now().astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M"),
        },
    )


def _make_owner(shop: Shop, user_id: int) -> None:
    # The claimant may have joined as staff while the claim waited: approval is ownership.
    membership = lock_for_update(
        ShopMembership.select().where(
            (ShopMembership.shop == shop) & (ShopMembership.user == user_id)
        )
    ).first()
    if membership is None:
        ShopMembership.create(shop=shop, user=user_id, role="owner")
    elif membership.role != "owner":
        membership.role = "owner"
        membership.save()


def reject_request(staff: StaffAccount, request_id: int, note: str) -> ShopRequest:
    with write_transaction():
        request, shop = _pending_request(staff, request_id)
        if request.kind == "register":
            status.move(
                shop,
                "closed",
                lifecycle.actor_for_staff(staff),
                {"request": request.id, "note": note},
                event="shop.rejected",
            )
            shop.save()
        request.status, request.note = "rejected", note
        request.decided_by, request.decided_at = staff.id, clock.now()
        request.save()
        audit.record(
            "shop_request.rejected",
            "shop",
            shop.public_id,
            shop.region_path,
            staff=staff,
            detail={"request": request.id, "kind": request.kind},
        )
        _tell_applicant(request, shop)
    return request
