"""Staff rules: approving shops and claims, shop status, printing a street's codes.

Every query starts from `scope`, so a record outside the caller's region subtree is
not found, exactly like one that does not exist.
"""
from __future__ import annotations

import io
import json
import re
import zipfile

from flask import current_app

from backend import audit, clock, codes, lifecycle, notify, scope
from backend.db import lock_for_update, write_transaction
from backend.errors import Conflict, Invalid, NotFound
from backend.models import (
    Licence,
    Region,
    Shop,
    ShopCode,
    ShopInvite,
    ShopMembership,
    ShopRequest,
    StaffAccount,
    User,
)

STATUS_MOVES = {
    "active": ("suspended", "closed"),
    "suspended": ("active", "closed"),
    "pending": (),
    "closed": (),
}


def shop_for_update(staff: StaffAccount, shop_id: str) -> Shop:
    """A shop in scope, read under a row lock (call inside a write transaction).

    A write that saves the shop row must start from its current values: read without
    the lock, a concurrent rating's tally or status change would be written back stale.
    """
    shop = lock_for_update(scope.shops(staff).where(Shop.public_id == shop_id)).first()
    if shop is None:
        raise scope.not_found(staff, "shop", shop_id,
                              Shop.select(Shop.region_path).where(Shop.public_id == shop_id))
    return shop


def _requests_in_scope(staff: StaffAccount):
    return (ShopRequest.select(ShopRequest, Shop).join(Shop)
            .where(scope.under(Shop.region_path, staff.region_path))
            .order_by(ShopRequest.id))


def shop_requests(staff: StaffAccount, status: str | None):
    """With each the applicant, whom the admin sees masked (schemas.ShopRequestReview)."""
    query = (_requests_in_scope(staff).select_extend(User)
             .join_from(ShopRequest, User))
    return query.where(ShopRequest.status == status) if status else query


def _pending_request(staff: StaffAccount, request_id: int) -> tuple[ShopRequest, Shop]:
    """The request, still pending, and its shop, both locked."""
    in_scope = _requests_in_scope(staff).where(ShopRequest.id == request_id)
    found = in_scope.first()
    if found is None:
        raise scope.not_found(staff, "shop_request", request_id,
                              Shop.select(Shop.region_path).join(ShopRequest)
                              .where(ShopRequest.id == request_id))
    # The shop's row before the request's, in the order the applicant's account
    # deletion takes them when it withdraws the request: never each waiting on the other.
    # (The shopkeeper may be editing the pending shop's profile right now, too.)
    shop = lock_for_update(Shop.select().where(Shop.id == found.shop_id)).get()
    request = lock_for_update(in_scope, of=ShopRequest).get()
    if request.status != "pending":
        raise Conflict(f"this request was already {request.status}")
    return request, shop


def approve_request(staff: StaffAccount, request_id: int) -> ShopRequest:
    """A registration makes the shop active with its code. A claim makes the claimant its
    owner and ends every other owner's membership: the one who left the business keeps no
    access to it, and is told so once the change is committed. A change gives the shop
    the registered name or address its owner asked for."""
    actor = lifecycle.actor_for_staff(staff)
    former_owners: list[User] = []
    with write_transaction():
        request, shop = _pending_request(staff, request_id)
        if request.kind == "register":
            shop.status = "active"
            shop.updated_at = clock.now()
            lifecycle.append(shop, "shop.approved", actor, {"request": request.id})
            shop.save()
            codes.issue_shop_code(shop, actor)
        elif request.kind == "change":
            _apply_change(shop, request, actor)
        else:
            if shop.status == "closed":
                # Claims are taken only on open shops; this one closed while it waited.
                raise Conflict("this shop has closed since the claim; reject the claim")
            _make_owner(shop, request.user_id)
            lifecycle.append(shop, "shop.claimed", actor,
                             {"request": request.id, "user": request.user_id})
            former_owners = _end_former_owners(shop, request, actor)
        request.status, request.decided_by, request.decided_at = "approved", staff.id, clock.now()
        request.save()
        detail = {"request": request.id, "kind": request.kind}
        if former_owners:
            detail["former_owners"] = [user.id for user in former_owners]
        audit.record("shop_request.approved", "shop", shop.public_id, shop.region_path,
                     staff=staff, detail=detail)
    for user in former_owners:
        _tell_former_owner(user, shop)
    _tell_applicant(request, shop)
    return request


def _apply_change(shop: Shop, request: ShopRequest, actor: str) -> None:
    if shop.status == "closed":
        raise Conflict("this shop has closed since the change was asked; reject the change")
    changed = {field: value["new"] for field, value in json.loads(request.changes).items()}
    for field, value in changed.items():
        setattr(shop, field, value)
    shop.updated_at = clock.now()
    lifecycle.append(shop, "shop.profile_changed", actor, {**changed, "request": request.id})
    shop.save()


FORMER_OWNERS_CHANGE_NOTE = "the shop has a new owner"


def _end_former_owners(shop: Shop, request: ShopRequest, actor: str) -> list[User]:
    """Remove every owner but the claimant; the codes they handed out and nobody used
    stop working with them, and a change of name or address they asked for is dropped.
    Staff stay: the new owner decides about them."""
    memberships = list(lock_for_update(
        ShopMembership.select(ShopMembership, User).join(User)
        .where((ShopMembership.shop == shop) & (ShopMembership.role == "owner")
               & (ShopMembership.user != request.user_id))
        .order_by(ShopMembership.id), of=ShopMembership))
    now = clock.now()
    for membership in memberships:
        lifecycle.append(shop, "shop.member_removed", actor, {
            "user": membership.user_id, "role": "owner", "request": request.id})
        (ShopInvite.update(expires_at=now)
         .where((ShopInvite.shop == shop) & (ShopInvite.created_by == membership.user_id)
                & ShopInvite.used_at.is_null() & (ShopInvite.expires_at > now))
         .execute())
        membership.delete_instance()
    if memberships:
        # Only owners ask for a change, and none of them runs the shop any more.
        (ShopRequest.update(status="rejected", note=FORMER_OWNERS_CHANGE_NOTE, decided_at=now)
         .where((ShopRequest.shop == shop) & (ShopRequest.kind == "change")
                & (ShopRequest.status == "pending"))
         .execute())
    return [membership.user for membership in memberships]


def _tell_former_owner(user: User, shop: Shop) -> None:
    template = current_app.config["CITYCODE"].wechat_template_shop
    notify.send(user, shop, template, "shop.ownership_ended", {
        "thing1": shop.name[:20], "thing2": "店铺已由新经营者认领，您的管理权限已结束",
        "time3": clock.now().astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M"),
    })


DECISIONS = {
    ("register", "approved"): "店铺登记已通过，店铺码已生成",
    ("claim", "approved"): "认领已通过，您已成为经营者",
    ("change", "approved"): "名称地址变更已通过",
    ("register", "rejected"): "登记未通过：",
    ("claim", "rejected"): "认领未通过：",
    ("change", "rejected"): "变更未通过：",
}


def _tell_applicant(request: ShopRequest, shop: Shop) -> None:
    """After the commit: the applicant waits on this decision and has no other way to
    learn of it than opening the app. An account deleted since then is not written to."""
    applicant = User.get_by_id(request.user_id)
    if applicant.deleted_at is not None:
        return
    outcome = DECISIONS[(request.kind, request.status)]
    if request.status == "rejected":
        outcome += request.note or ""
    template = current_app.config["CITYCODE"].wechat_template_shop
    notify.send(applicant, shop, template, f"shop_request.{request.status}", {
        "thing1": shop.name[:20], "thing2": outcome[:20],
        "time3": clock.now().astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M"),
    })


def _make_owner(shop: Shop, user_id: int) -> None:
    # The claimant may have joined as staff while the claim waited: approval is ownership.
    membership = lock_for_update(ShopMembership.select().where(
        (ShopMembership.shop == shop) & (ShopMembership.user == user_id))).first()
    if membership is None:
        ShopMembership.create(shop=shop, user=user_id, role="owner")
    elif membership.role != "owner":
        membership.role = "owner"
        membership.save()


def reject_request(staff: StaffAccount, request_id: int, note: str) -> ShopRequest:
    with write_transaction():
        request, shop = _pending_request(staff, request_id)
        if request.kind == "register":
            shop.status, shop.updated_at = "closed", clock.now()
            lifecycle.append(shop, "shop.rejected", lifecycle.actor_for_staff(staff),
                             {"request": request.id, "note": note})
            shop.save()
        request.status, request.note = "rejected", note
        request.decided_by, request.decided_at = staff.id, clock.now()
        request.save()
        audit.record("shop_request.rejected", "shop", shop.public_id, shop.region_path,
                     staff=staff, detail={"request": request.id, "kind": request.kind})
    _tell_applicant(request, shop)
    return request


def change_status(staff: StaffAccount, shop_id: str, status: str, reason: str) -> Shop:
    with write_transaction():
        shop = shop_for_update(staff, shop_id)
        if status not in STATUS_MOVES.get(shop.status, ()):
            raise Invalid.field("status", f"a {shop.status} shop cannot become {status}")
        lifecycle.append(shop, "shop.status_changed", lifecycle.actor_for_staff(staff),
                         {"from": shop.status, "to": status, "reason": reason})
        shop.status, shop.updated_at = status, clock.now()
        shop.save()
        audit.record("shop.status_changed", "shop", shop.public_id, shop.region_path,
                     staff=staff, detail={"to": status, "reason": reason})
    return shop


def street_codes(staff: StaffAccount, street_code: str) -> tuple[Region, list[tuple[str, str]]]:
    """(url, shop name) of every active shop in a street within the caller's scope."""
    street = Region.get_or_none((Region.code == street_code) & (Region.level == "street"))
    if street is None:
        raise NotFound("street not found")
    # A street admin prints their street; a community admin the part of it they cover.
    if not (scope.covers(staff, street.path) or staff.region_path.startswith(street.path)):
        raise scope.not_found(staff, "street", street_code,
                              Region.select(Region.path).where(Region.id == street.id))
    base = current_app.config["CITYCODE"].public_base_url
    rows = (ShopCode.select(ShopCode.code, Shop.name)
            .join(Shop)
            .where(scope.under(Shop.region_path, street.path)
                   & scope.under(Shop.region_path, staff.region_path)
                   & ShopCode.revoked_at.is_null() & (Shop.status == "active"))
            .order_by(Shop.name)
            .tuples())
    return street, [(codes.printed_url(base, code), name) for code, name in rows]


# Characters a file name cannot carry on the systems a print shop uses (a "/" would make
# a folder inside the archive, a ":" or a backslash breaks on Windows).
UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def street_codes_zip(entries: list[tuple[str, str]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for url, name in entries:
            code = url.rsplit("/", 1)[-1]
            file_name = UNSAFE_IN_FILE_NAMES.sub("_", name).strip(" .") or "shop"
            archive.writestr(f"{code}-{file_name}.png",
                             codes.render_png(url, size=600, caption=name))
    return buffer.getvalue()


def shops(staff: StaffAccount, filters: dict):
    query = scope.shops(staff).order_by(Shop.id)
    if filters.get("status"):
        query = query.where(Shop.status == filters["status"])
    if filters.get("risk_grade"):
        query = query.where(Shop.risk_grade == filters["risk_grade"])
    if filters.get("street"):
        query = query.join(Region, on=(Shop.street == Region.id)).where(
            Region.code == filters["street"])
    if filters.get("q"):
        query = query.where(Shop.name.contains(filters["q"]))
    return query


def verify_licence(staff: StaffAccount, shop_id: str, licence_id: str) -> Licence:
    with write_transaction():
        shop = shop_for_update(staff, shop_id)
        licence = Licence.get_or_none((Licence.shop == shop) & (Licence.public_id == licence_id))
        if licence is None:
            raise NotFound("licence not found")
        licence.verified_at = clock.now()
        licence.save()
        lifecycle.append(shop, "licence.verified", lifecycle.actor_for_staff(staff),
                         {"licence": licence.public_id, "number": licence.number})
        audit.record("licence.verified", "licence", licence.public_id, shop.region_path,
                     staff=staff)
    return licence
