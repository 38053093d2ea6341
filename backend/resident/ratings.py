"""Residents rate shops they have just scanned, and complain about them.

Scanning a shop's code hands the resident a rating ticket (valid 24 hours, bound to
them and the shop); a rating must present it. One rating per resident per shop per
30 days: a second one within the window edits the first. The shop's aggregate moves
in the same transaction as the rating and its lifecycle event.

Only this service reads tickets back, so they are HS256 with a secret derived from
the "proof" key: cheap enough to hand out with every scan.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
from datetime import timedelta

import jwt
import orjson
import peewee as pw
from flask import current_app

from backend import clock, contentcheck, lifecycle, risk, shopstate
from backend.db import lock_for_update, lock_row, write_transaction
from backend.errors import Conflict, Invalid, NotFound
from backend.keys import ALGORITHM, UnknownKey
from backend.models import Complaint, Rating, Shop, User
from backend.resident.publishing import REPEAT_WINDOW

TICKET_LIFETIME = timedelta(hours=24)
TICKET_AUDIENCE = "citycode-rating"
TICKET_ALGORITHM = "HS256"
TICKET_SECRET = "rating ticket"
EDIT_WINDOW = timedelta(days=30)
RATEABLE = ("active", "suspended")


def _keys():
    return current_app.extensions["citycode.keys"]


def issue_ticket(user_id: int, shop_public_id: str) -> str:
    """What a resident who scanned a shop presents to rate it within 24 hours."""
    key = _keys().current("proof")
    now = clock.now()
    return _hs256({
        "aud": TICKET_AUDIENCE, "sub": f"user:{user_id}", "shop": shop_public_id,
        "iat": int(now.timestamp()), "exp": int((now + TICKET_LIFETIME).timestamp()),
        "jti": secrets.token_hex(16),
    }, key.kid, key.secret(TICKET_SECRET))


def _hs256(claims: dict, kid: str, secret: bytes) -> str:
    """A compact HS256 JWS, as jwt.encode would write it; PyJWT reads it back.

    Written here because jwt.encode spends several times the HMAC itself making sure
    the secret is not a public key, and every scan by a resident signs a ticket.
    """
    payload = _b64url(orjson.dumps(claims))
    signing_input = f"{_header(kid)}.{payload}"
    signature = hmac.digest(secret, signing_input.encode(), hashlib.sha256)
    return f"{signing_input}.{_b64url(signature)}"


@functools.lru_cache(maxsize=16)
def _header(kid: str) -> str:
    return _b64url(json.dumps({"alg": TICKET_ALGORITHM, "kid": kid, "typ": "JWT"},
                              separators=(",", ":")).encode())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _ticket_claims(token: str) -> dict:
    header = jwt.get_unverified_header(token)
    key = _keys().verifying_key(header.get("kid", ""), "proof")
    # Tickets signed with the key itself (ES256) before HS256 tickets stay good for their day.
    if header.get("alg") == ALGORITHM:
        verifier, algorithm = key.private_key.public_key(), ALGORITHM
    else:
        verifier, algorithm = key.secret(TICKET_SECRET), TICKET_ALGORITHM
    return jwt.decode(token, verifier, algorithms=[algorithm], audience=TICKET_AUDIENCE,
                      options={"verify_exp": False, "verify_iat": False})


def _check_ticket(token: str | None, user: User, shop: Shop) -> None:
    refused = Invalid.field("rating_ticket", "scan the shop's code in the last 24 hours to rate it")
    if not token:
        raise refused
    try:
        claims = _ticket_claims(token)
    except (jwt.InvalidTokenError, UnknownKey, ValueError):
        raise refused
    if (claims.get("sub") != f"user:{user.id}" or claims.get("shop") != shop.public_id
            or claims.get("exp", 0) <= clock.now().timestamp()):
        raise refused


def _shop(public_id: str) -> Shop:
    shop = Shop.get_or_none((Shop.public_id == public_id) & Shop.status.in_(RATEABLE))
    if shop is None:
        raise NotFound("shop not found")
    return shop


def _move_aggregate(shop: Shop, add: int | None = None, remove: int | None = None) -> None:
    """Adjust count, total and histogram; the caller holds the shop row's lock."""
    fresh = Shop.get_by_id(shop.id)
    histogram = [int(n) for n in fresh.rating_histogram.split(",")]
    count, total = fresh.rating_count, fresh.rating_total
    if remove is not None:
        histogram[remove - 1] -= 1
        count, total = count - 1, total - remove
    if add is not None:
        histogram[add - 1] += 1
        count, total = count + 1, total + add
    shop.rating_count, shop.rating_total = count, total
    shop.rating_histogram = ",".join(str(n) for n in histogram)
    Shop.update(rating_count=count, rating_total=total,
                rating_histogram=shop.rating_histogram).where(Shop.id == shop.id).execute()


def rate(user: User, shop_id: str, data: dict) -> Rating:
    shop = _shop(shop_id)
    _check_ticket(data.get("rating_ticket"), user, shop)
    text = (data.get("text") or "").strip() or None
    status = "held" if contentcheck.check(user, text, "text") == "review" else "visible"
    now = clock.now()
    with write_transaction():
        # Lock the shop row first: concurrent ratings of one shop queue here, so
        # neither the "already rated?" check nor the aggregate read is stale.
        lock_for_update(Shop.select(Shop.id).where(Shop.id == shop.id)).get()
        previous = (Rating.select().where((Rating.user == user) & (Rating.shop == shop)
                                          & (Rating.created_at > now - EDIT_WINDOW))
                    .order_by(Rating.created_at.desc()).first())
        rating = previous or Rating(shop=shop, user=user, created_at=now)
        lifecycle.append(shop, "rating.posted", lifecycle.RESIDENT, {
            "rating": rating.public_id, "stars": data["stars"], "edit": previous is not None,
            "held": status == "held"})
        old_stars = previous.stars if previous and previous.status == "visible" else None
        rating.stars, rating.text, rating.status = data["stars"], text, status
        # The shop answered what the resident wrote before; it may answer the new text.
        rating.reply = rating.replied_at = None
        rating.tags = json.dumps(data.get("tags") or [], ensure_ascii=False)
        rating.updated_at = now
        rating.save()
        _move_aggregate(shop, add=data["stars"] if status == "visible" else None,
                        remove=old_stars)
    return rating


def reply(shop: Shop, rating_id: str, text: str, author: User) -> Rating:
    """The shopkeeper answers a rating once (again after the resident edits it).

    A reply is public at once and has no hold of its own, so text WeChat would hold
    for review is refused, as a display name is.
    """
    if contentcheck.check(author, text, "text") != "pass":
        raise Invalid.field("text", "内容需要人工审核，请修改后再回复")
    with write_transaction():
        # The shop's row first (see db.lock_for_update); its status as of now, under the lock.
        current = lock_for_update(Shop.select(Shop.id, Shop.status)
                                  .where(Shop.id == shop.id)).get()
        shopstate.refuse_if_closed(current)
        rating = Rating.get_or_none((Rating.public_id == rating_id) & (Rating.shop == shop))
        if rating is None:
            raise NotFound("rating not found")
        if rating.reply is not None:
            raise Conflict("this rating already has the shop's reply")
        rating.reply, rating.replied_at = text, clock.now()
        rating.save()
        lifecycle.append(shop, "rating.replied", lifecycle.actor_for_user(author),
                         {"rating": rating.public_id})
    return rating


def release(rating: Rating, actor: str) -> Rating:
    """A cadre or admin lets a held rating be seen; it joins the aggregate now."""
    with write_transaction():
        if rating.status != "held":
            raise Conflict("this rating is not held")
        shop = rating.shop
        lifecycle.append(shop, "rating.released", actor, {"rating": rating.public_id,
                                                           "stars": rating.stars})
        rating.status = "visible"
        rating.save()
        _move_aggregate(shop, add=rating.stars)
    return rating


def visible_comments_query(shop, limit: int = 5, max_stars: int = 5) -> pw.ModelSelect:
    """The latest visible ratings, each with its author's display name in the same query."""
    return (Rating.select(Rating, User.id, User.display_name)
            .join(User, pw.JOIN.LEFT_OUTER, on=(Rating.user == User.id))
            .where((Rating.shop == shop) & (Rating.status == "visible")
                   & (Rating.stars <= max_stars))
            .order_by(Rating.updated_at.desc(), Rating.id.desc())
            .limit(limit))


def visible_comments(shop: Shop, limit: int = 5, max_stars: int = 5) -> list[Rating]:
    return list(visible_comments_query(shop, limit, max_stars))


def complain(user: User, shop_id: str, category: str, text: str) -> Complaint:
    """A resident's complaint about a shop that is open to the public (or suspended)."""
    shop = _shop(shop_id)
    contentcheck.check(user, text, "text")
    with write_transaction():
        # The shop's row first (see db.lock_for_update): inserting the complaint takes a
        # share lock on it, and two complaints upgrading theirs at once deadlock. Held
        # from here, it also lets a double tap's second request find the first.
        lock_row(Shop, shop.id)
        # The same words again within minutes are a double tap; later, the problem again.
        same = (Complaint.select(Complaint.public_id)
                .where((Complaint.shop == shop) & (Complaint.user == user)
                       & (Complaint.category == category) & (Complaint.text == text)
                       & (Complaint.created_at > clock.now() - REPEAT_WINDOW)).first())
        if same is not None:
            raise Conflict(f"you already sent this complaint ({same.public_id})",
                           errors={"json": {"text": [f"already sent: {same.public_id}"]}})
        complaint = Complaint.create(shop=shop, user=user, category=category, text=text)
        lifecycle.append(shop, "complaint.filed", lifecycle.RESIDENT,
                         {"complaint": complaint.public_id, "category": category})
        risk.refresh(shop)
    return complaint
