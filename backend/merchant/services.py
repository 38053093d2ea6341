"""Shopkeeper rules: register or claim a shop, keep its profile, licences, people and code.

Every function takes the acting user and reaches shops only through their
memberships, so a shop id from someone else's URL is simply not found.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta

import peewee as pw
from flask import current_app

from backend import clock, codes, creditcode, lifecycle, masking, risk, shopstate, uploads
from backend.db import database, lock_for_update, lock_row, write_transaction
from backend.errors import Conflict, Forbidden, Invalid, NotFound
from backend.models import (
    Employee,
    Honour,
    Licence,
    LifecycleEvent,
    RectificationOrder,
    RectificationSubmission,
    Region,
    Shop,
    ShopInvite,
    ShopMembership,
    ShopRequest,
    Upload,
    User,
)
from backend.models.inspections import OPEN_ORDER_STATUSES

OWNER_ONLY = ("owner",)
ANY_MEMBER = ("owner", "staff")
INVITE_LIFETIME = timedelta(days=2)
PROFILE_FIELDS = ("name", "address", "phone", "opening_hours", "description", "lat", "lng",
                  "category")
# What the landing page shows so a resident can tell a sticker belongs to the shop in
# front of them: once a shop is approved, changing it is a request an admin decides.
REGISTERED_FIELDS = ("name", "address")
REVIEWED_STATUSES = ("active", "suspended")


# -- reaching a shop -------------------------------------------------------------------
def member_shop(user: User, public_id: str, roles=ANY_MEMBER) -> Shop:
    """`user`'s shop `public_id`: 404 if they are not one of its people, 403 if the role is short.

    Inside a write the shop's row is locked as it is read, so writes to one shop take
    turns from their first read: none saves what another has just changed, and none
    waits on the chain's head while holding a row the other needs. Every write to a
    shop starts here, so here a closed shop refuses them all (shopstate.refuse_if_closed).
    """
    return _membership(user, public_id, roles).shop


def _membership(user: User, public_id: str, roles=ANY_MEMBER) -> ShopMembership:
    query = (ShopMembership.select(ShopMembership, Shop)
             .join(Shop)
             .where((ShopMembership.user == user) & (Shop.public_id == public_id)))
    writing = database.in_transaction()
    if writing:
        query = lock_for_update(query, of=Shop)  # the shop's row only: it comes first
    row = query.first()
    if row is None:
        raise NotFound("shop not found")
    if row.role not in roles:
        raise Forbidden("only the shop's owner may do this")
    if writing:
        shopstate.refuse_if_closed(row.shop)
    return row



def my_shops(user: User):
    return (ShopMembership.select(ShopMembership, Shop)
            .join(Shop)
            .where(ShopMembership.user == user)
            .order_by(ShopMembership.id))


# -- registering and claiming ----------------------------------------------------------
def _valid_credit_code(raw: str) -> str:
    code = creditcode.normalise(raw)
    problem = creditcode.problem(code)
    if problem:
        raise Invalid.field("credit_code", problem)
    return code


def _place(street_code: str, community_code: str | None) -> tuple[Region, Region | None]:
    street = Region.get_or_none((Region.code == street_code) & (Region.level == "street"))
    if street is None:
        raise Invalid.field("street", "no street with this code")
    community = None
    if community_code:
        community = Region.get_or_none(
            (Region.code == community_code) & (Region.level == "community")
            & (Region.parent == street))
        if community is None:
            raise Invalid.field("community", "no community with this code in that street")
    return street, community


def register_shop(user: User, data: dict) -> Shop:
    """A new shop, pending an admin's approval. One business may run several shops under
    one credit code, but not two at one address: the same registration sent twice
    (a double tap, a retry) is refused, naming the shop already on record."""
    credit_code = _valid_credit_code(data["credit_code"])
    with write_transaction():
        lock_row(User, user.id)  # a double tap's two requests take turns
        _refuse_a_second_registration(user, credit_code, data["address"])
        street, community = _place(data["street"], data.get("community"))
        location = data.get("location") or {}
        shop = Shop.create(
            name=data["name"], credit_code=credit_code, category=data["category"],
            address=data["address"], street=street, community=community,
            region_path=(community or street).path,
            lat=location.get("lat"), lng=location.get("lng"),
            phone=data.get("phone"), opening_hours=data.get("opening_hours"),
            description=data.get("description"), status="pending",
        )
        ShopMembership.create(shop=shop, user=user, role="owner")
        ShopRequest.create(kind="register", shop=shop, user=user)
        lifecycle.append(shop, "shop.registered", lifecycle.actor_for_user(user), {
            "name": shop.name, "credit_code": credit_code, "category": shop.category,
            "address": shop.address, "region": shop.region_path,
        })
    return shop


def _refuse_a_second_registration(user: User, credit_code: str, address: str) -> None:
    same = (Shop.select(Shop.public_id).join(ShopMembership)
            .where((ShopMembership.user == user) & (Shop.credit_code == credit_code)
                   & (Shop.status != "closed"))
            .where(pw.fn.REPLACE(Shop.address, " ", "") == address.replace(" ", "")).first())
    if same is not None:
        raise Conflict(f"you already registered this shop at this address ({same.public_id})",
                       errors={"json": {"credit_code": [f"already registered: {same.public_id}"]}})


def claim_shop(user: User, credit_code: str, shop_id: str | None = None) -> ShopRequest:
    """Ask to be recognised as the owner of a shop already on record."""
    code = _valid_credit_code(credit_code)
    query = Shop.select().where((Shop.credit_code == code) & (Shop.status != "closed"))
    if shop_id:
        query = query.where(Shop.public_id == shop_id)
    candidates = list(query.limit(2))
    if not candidates:
        raise Invalid.field("credit_code", "no open shop is registered with this credit code")
    if len(candidates) > 1:
        raise Invalid.field("shop_id", "several shops share this credit code; say which one")
    shop = candidates[0]
    with write_transaction():
        # The shop's row first, as every write to a shop: a double tap's second claim
        # waits here and then finds the first one waiting.
        lock_row(Shop, shop.id)
        # Staff may claim: the one who takes over a business often worked in it.
        if ShopMembership.get_or_none((ShopMembership.shop == shop)
                                      & (ShopMembership.user == user)
                                      & (ShopMembership.role == "owner")):
            raise Conflict("you already own this shop")
        if ShopRequest.get_or_none((ShopRequest.shop == shop) & (ShopRequest.user == user)
                                   & (ShopRequest.status == "pending")):
            raise Conflict("your claim on this shop is already waiting for review")
        return ShopRequest.create(kind="claim", shop=shop, user=user)


WITHDRAWN_NOTE = "the applicant deleted their account"


def withdraw_requests(user: User) -> None:
    """Close the user's registrations, claims and changes still waiting, inside the caller's
    transaction: approved later, they would make a shop with no owner, or an owner
    who no longer exists. A shop that was only registered closes with its request."""
    waiting = (ShopRequest.user == user) & (ShopRequest.status == "pending")
    shops = {shop.id: shop for shop in lock_for_update(
        Shop.select().join(ShopRequest).where(waiting).order_by(Shop.id), of=Shop)}
    actor = lifecycle.actor_for_user(user)
    for request in lock_for_update(ShopRequest.select().where(waiting).order_by(ShopRequest.id)):
        shop = shops.get(request.shop_id)
        if request.kind == "register" and shop is not None and shop.status == "pending":
            lifecycle.append(shop, "shop.rejected", actor,
                             {"request": request.id, "note": WITHDRAWN_NOTE})
            shop.status, shop.updated_at = "closed", clock.now()
            shop.save()
        request.status, request.note, request.decided_at = "rejected", WITHDRAWN_NOTE, clock.now()
        request.save()


def my_requests(user: User):
    return (ShopRequest.select(ShopRequest, Shop).join(Shop)
            .where(ShopRequest.user == user).order_by(ShopRequest.id.desc()))


# -- profile -----------------------------------------------------------------------------
def update_profile(user: User, public_id: str, changes: dict) -> Shop:
    """Most fields change at once. The registered name and address of an approved shop
    change only when an admin approves (admin.services.approve_request); until then the
    shop answers with its old values and the proposal as `pending_change`."""
    with write_transaction():
        membership = _membership(user, public_id)
        shop = membership.shop
        location = changes.pop("location", None)
        if location is not None:
            changes.update(lat=location["lat"], lng=location["lng"])
        changed = {k: v for k, v in changes.items()
                   if k in PROFILE_FIELDS and getattr(shop, k) != v}
        if shop.status in REVIEWED_STATUSES:
            asked = {k: changed.pop(k) for k in REGISTERED_FIELDS if k in changed}
            if asked:
                _ask_for_change(membership, asked)
        if not changed:
            return shop
        for field, value in changed.items():
            setattr(shop, field, value)
        shop.updated_at = clock.now()
        lifecycle.append(shop, "shop.profile_changed", lifecycle.actor_for_user(user), changed)
        shop.save()
    return shop


def _ask_for_change(membership: ShopMembership, asked: dict) -> None:
    """One change waits per shop: asking again replaces the values it names and keeps
    the others, so the admin decides the owner's latest wish in one go."""
    shop = membership.shop
    waiting = lock_for_update(ShopRequest.select().where(
        (ShopRequest.shop == shop) & (ShopRequest.kind == "change")
        & (ShopRequest.status == "pending"))).first()
    proposal = json.loads(waiting.changes) if waiting else {}
    wanted = {**proposal, **{field: {"old": getattr(shop, field), "new": value}
                             for field, value in asked.items()}}
    if wanted == proposal:
        return
    if membership.role != "owner":
        raise Forbidden("only the shop's owner may ask to change its registered name or address",
                        errors={"json": {field: ["only the owner may change it"]
                                         for field in asked}})
    if waiting is None:
        ShopRequest.create(kind="change", shop=shop, user=membership.user_id,
                           changes=json.dumps(wanted, ensure_ascii=False))
        return
    waiting.changes = json.dumps(wanted, ensure_ascii=False)
    waiting.user, waiting.created_at = membership.user_id, clock.now()
    waiting.save()


# -- licences ----------------------------------------------------------------------------
def _photo(shop: Shop, upload_id: str | None, field: str = "photo") -> Upload | None:
    if not upload_id:
        return None
    photo = Upload.get_or_none((Upload.public_id == upload_id) & (Upload.shop == shop))
    if photo is None:
        raise Invalid.field(field, f"{upload_id} is not an upload of this shop")
    return photo


def _check_dates(valid_from, valid_to) -> None:
    if valid_to < valid_from:
        raise Invalid.field("valid_to", "is before valid_from")


def add_licence(user: User, public_id: str, data: dict) -> Licence:
    _check_dates(data["valid_from"], data["valid_to"])
    with write_transaction():
        shop = member_shop(user, public_id)
        # The shop's row is locked above, so a double tap's second request sees the first.
        _refuse_a_held_licence(shop, data["type"], data["number"])
        licence = Licence.create(
            shop=shop, type=data["type"], number=data["number"], issuer=data["issuer"],
            valid_from=data["valid_from"], valid_to=data["valid_to"], scope=data.get("scope"),
            photo=_photo(shop, data.get("photo")),
        )
        lifecycle.append(shop, "licence.added", lifecycle.actor_for_user(user), {
            "licence": licence.public_id, "type": licence.type, "number": licence.number,
            "valid_to": licence.valid_to,
        })
        risk.refresh(shop)
    return licence


def _already(field: str, reason: str) -> Conflict:
    return Conflict(f"{field}: {reason}", errors={"json": {field: [reason]}})


def _refuse_a_held_licence(shop: Shop, type_: str, number: str,
                           renewing: Licence | None = None) -> None:
    """One paper, one entry: a renewal may keep its own number, not take another's."""
    same = (Licence.shop == shop) & (Licence.type == type_) & (Licence.number == number)
    if renewing is not None:
        same &= Licence.id != renewing.id
    if Licence.select().where(same).exists():
        raise _already("number", "this shop already holds this licence; renew it instead")


def _refuse_a_held_certificate(shop: Shop, number: str,
                               editing: Employee | None = None) -> None:
    same = (Employee.shop == shop) & (Employee.health_cert_number == number)
    if editing is not None:
        same &= Employee.id != editing.id
    if Employee.select().where(same).exists():
        raise _already("health_cert_number",
                       "an employee of this shop already holds this certificate")


def _licence(shop: Shop, licence_id: str) -> Licence:
    licence = Licence.get_or_none((Licence.public_id == licence_id) & (Licence.shop == shop))
    if licence is None:
        raise NotFound("licence not found")
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
            raise Invalid.field("valid_to", "a renewal must extend the licence")
        if data.get("number", licence.number) != licence.number:
            _refuse_a_held_licence(shop, licence.type, data["number"], renewing=licence)
        licence.valid_from, licence.valid_to = valid_from, data["valid_to"]
        licence.number = data.get("number", licence.number)
        licence.photo = _photo(shop, data.get("photo")) or licence.photo
        # A renewed licence is unverified again until a regulator sees the new paper.
        licence.verified_at = None
        licence.updated_at = clock.now()
        licence.save()
        lifecycle.append(shop, "licence.renewed", lifecycle.actor_for_user(user), {
            "licence": licence.public_id, "number": licence.number,
            "valid_to": licence.valid_to,
        })
        risk.refresh(shop)
    return licence


def remove_licence(user: User, public_id: str, licence_id: str) -> None:
    with write_transaction():
        shop = member_shop(user, public_id)
        licence = _licence(shop, licence_id)
        lifecycle.append(shop, "licence.removed", lifecycle.actor_for_user(user), {
            "licence": licence.public_id, "type": licence.type, "number": licence.number,
        })
        licence.delete_instance()
        risk.refresh(shop)


# -- employees and honours ---------------------------------------------------------------
def employees(user: User, public_id: str) -> list[Employee]:
    """The shop's employees, masked for all but the owner (masking.employees_for)."""
    membership = _membership(user, public_id)
    return masking.employees_for(membership.role, list(
        Employee.select().where(Employee.shop == membership.shop_id).order_by(Employee.id)))


def add_employee(user: User, public_id: str, data: dict) -> Employee:
    with write_transaction():
        shop = member_shop(user, public_id)
        _refuse_a_held_certificate(shop, data["health_cert_number"])
        employee = Employee.create(shop=shop, **data)
        # Names and certificate numbers stay out of the chain: it outlives a deletion request.
        lifecycle.append(shop, "employee.added", lifecycle.actor_for_user(user), {
            "employee": employee.public_id, "certificate_expires": employee.health_cert_expires,
        })
        risk.refresh(shop)
    return employee


def _employee(shop: Shop, employee_id: str) -> Employee:
    employee = Employee.get_or_none((Employee.public_id == employee_id)
                                    & (Employee.shop == shop))
    if employee is None:
        raise NotFound("employee not found")
    return employee


def update_employee(user: User, public_id: str, employee_id: str, data: dict) -> Employee:
    with write_transaction():
        membership = _membership(user, public_id)
        shop = membership.shop
        employee = _employee(shop, employee_id)
        changed = {k: v for k, v in data.items() if getattr(employee, k) != v}
        if not changed:  # a form sent again as it was: nothing happened to record
            return masking.employees_for(membership.role, [employee])[0]
        if "health_cert_number" in changed:
            _refuse_a_held_certificate(shop, changed["health_cert_number"], editing=employee)
        for field, value in changed.items():
            setattr(employee, field, value)
        if "health_cert_expires" in changed:
            employee.expired_noted_for = None
        employee.save()
        lifecycle.append(shop, "employee.updated", lifecycle.actor_for_user(user), {
            "employee": employee.public_id, "certificate_expires": employee.health_cert_expires,
        })
        risk.refresh(shop)
    return masking.employees_for(membership.role, [employee])[0]


def remove_employee(user: User, public_id: str, employee_id: str) -> None:
    with write_transaction():
        shop = member_shop(user, public_id)
        employee = _employee(shop, employee_id)
        lifecycle.append(shop, "employee.removed", lifecycle.actor_for_user(user),
                         {"employee": employee.public_id})
        employee.delete_instance()
        risk.refresh(shop)


def honours(shop: Shop):
    return (Honour.select().where(Honour.shop == shop)
            .order_by(Honour.awarded_on.desc(nulls="LAST"), Honour.id.desc()))


def add_honour(user: User, public_id: str, data: dict) -> Honour:
    with write_transaction():
        shop = member_shop(user, public_id)
        # The same title from the same issuer may come again another year, not twice in one.
        same = ((Honour.shop == shop) & (Honour.title == data["title"])
                & (Honour.issuer == data["issuer"]))
        awarded_on = data.get("awarded_on")
        same &= Honour.awarded_on.is_null() if awarded_on is None else (
            Honour.awarded_on == awarded_on)
        if Honour.select().where(same).exists():
            raise _already("title", "this shop already lists this honour")
        honour = Honour.create(shop=shop, title=data["title"], issuer=data["issuer"],
                               awarded_on=data.get("awarded_on"),
                               photo=_photo(shop, data.get("photo")))
        lifecycle.append(shop, "honour.added", lifecycle.actor_for_user(user), {
            "honour": honour.public_id, "title": honour.title, "issuer": honour.issuer,
        })
    return honour


def remove_honour(user: User, public_id: str, honour_id: str) -> None:
    with write_transaction():
        shop = member_shop(user, public_id)
        honour = Honour.get_or_none((Honour.public_id == honour_id) & (Honour.shop == shop))
        if honour is None:
            raise NotFound("honour not found")
        lifecycle.append(shop, "honour.removed", lifecycle.actor_for_user(user),
                         {"honour": honour.public_id, "title": honour.title})
        honour.delete_instance()


# -- the shop's people -------------------------------------------------------------------
def _invite_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def invite_staff(user: User, public_id: str) -> tuple[str, ShopInvite]:
    with write_transaction():
        shop = member_shop(user, public_id, OWNER_ONLY)
        code = secrets.token_hex(5).upper()
        invite = ShopInvite.create(shop=shop, code_hash=_invite_hash(code), created_by=user,
                                   expires_at=clock.now() + INVITE_LIFETIME)
    return code, invite


def accept_invite(user: User, code: str) -> ShopMembership:
    now = clock.now()
    unusable = Invalid.field("code", "unknown, used or expired invitation")
    with write_transaction():
        found = ShopInvite.select(ShopInvite.id).where(
            ShopInvite.code_hash == _invite_hash(code)).first()
        if found is None:
            raise unusable
        # Locked, the shop's row first (an approval of a claim takes it before adding an
        # owner): two people entering one code at once must not both get in.
        invite = lifecycle.locked_with_its_shop(ShopInvite, found.id)
        if invite is None:
            raise unusable
        # A member is told so even when the code has stopped working meanwhile: the code a
        # former owner handed out ends with their ownership, perhaps as its holder claims it.
        if ShopMembership.get_or_none((ShopMembership.shop == invite.shop_id)
                                      & (ShopMembership.user == user)):
            raise Conflict("you already belong to this shop")
        if invite.used_at is not None or invite.expires_at <= now:
            raise unusable
        shop = invite.shop
        shopstate.refuse_if_closed(shop)
        invite.used_at = now
        invite.save()
        membership = ShopMembership.create(shop=shop, user=user, role="staff")
        lifecycle.append(shop, "shop.member_added", lifecycle.actor_for_user(user),
                         {"user": user.id, "role": "staff"})
    return membership


def members(user: User, public_id: str):
    shop = member_shop(user, public_id, OWNER_ONLY)
    return (ShopMembership.select(ShopMembership, User).join(User)
            .where(ShopMembership.shop == shop).order_by(ShopMembership.id))


def remove_member(user: User, public_id: str, member_user_id: int) -> None:
    with write_transaction():
        shop = member_shop(user, public_id, OWNER_ONLY)
        membership = ShopMembership.get_or_none((ShopMembership.shop == shop)
                                                & (ShopMembership.user == member_user_id))
        if membership is None:
            raise NotFound("member not found")
        if membership.role == "owner":
            raise Conflict("an owner cannot be removed here")
        lifecycle.append(shop, "shop.member_removed", lifecycle.actor_for_user(user),
                         {"user": member_user_id})
        membership.delete_instance()


# -- uploads -----------------------------------------------------------------------------
def upload_photo(user: User, public_id: str, stream) -> Upload:
    with write_transaction():
        shop = member_shop(user, public_id)
        return uploads.store(shop, user, stream)


def member_upload(user: User, public_id: str, upload_id: str) -> Upload:
    shop = member_shop(user, public_id)
    upload = Upload.get_or_none((Upload.public_id == upload_id) & (Upload.shop == shop))
    if upload is None:
        raise NotFound("upload not found")
    return upload


# -- rectification orders ----------------------------------------------------------------
def rectifications(user: User, public_id: str, open_only: bool = False):
    shop = member_shop(user, public_id)
    query = (RectificationOrder.select().where(RectificationOrder.shop == shop)
             .order_by(RectificationOrder.deadline))
    return query.where(RectificationOrder.status.in_(OPEN_ORDER_STATUSES)) if open_only else query


def rectification(user: User, public_id: str, order_id: str) -> RectificationOrder:
    """One order with every answer the shop gave and what became of it."""
    shop = member_shop(user, public_id)
    order = RectificationOrder.get_or_none((RectificationOrder.shop == shop)
                                           & (RectificationOrder.public_id == order_id))
    if order is None:
        raise NotFound("rectification order not found")
    return with_submissions(order)


def with_submissions(order: RectificationOrder) -> RectificationOrder:
    order.submission_list = list(order.submissions.order_by(RectificationSubmission.id.desc()))
    return order


def submit_rectification(user: User, public_id: str, order_id: str, text: str,
                         photo_ids: list[str]) -> RectificationOrder:
    """The shop answers an order with evidence; an inspector then verifies or rejects it."""
    with write_transaction():
        shop = member_shop(user, public_id)
        order = lock_for_update(RectificationOrder.select().where(
            (RectificationOrder.shop == shop)
            & (RectificationOrder.public_id == order_id))).first()
        if order is None:
            raise NotFound("rectification order not found")
        if order.status != "open":
            raise Conflict(f"this order is {order.status}; nothing to submit now")
        photos = [_photo(shop, pid, "photos").public_id for pid in photo_ids]
        submission = RectificationSubmission.create(
            order=order, submitted_by=user, text=text, photos=lifecycle.canonical(photos))
        order.status = "submitted"
        order.save()
        lifecycle.append(shop, "rectification.submitted", lifecycle.actor_for_user(user), {
            "order": order.public_id, "submission": submission.id, "photos": photos})
    return order


# -- code and record ---------------------------------------------------------------------
def shop_code(user: User, public_id: str):
    shop = member_shop(user, public_id)
    code = codes.current_shop_code(shop)
    if code is None:
        raise Conflict("this shop gets its code when an admin approves it")
    return shop, code


def printed_url(code) -> str:
    return codes.printed_url(current_app.config["CITYCODE"].public_base_url, code.code)


def reissue_code(user: User, public_id: str):
    with write_transaction():
        shop = member_shop(user, public_id, OWNER_ONLY)
        if codes.current_shop_code(shop) is None:
            raise Conflict("this shop gets its code when an admin approves it")
        return codes.issue_shop_code(shop, lifecycle.actor_for_user(user), reissue=True)


def lifecycle_events(user: User, public_id: str):
    shop = member_shop(user, public_id)
    return (LifecycleEvent.select().where(LifecycleEvent.shop == shop)
            .order_by(LifecycleEvent.seq.desc()))
