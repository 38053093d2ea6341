"""Residents rate shops they have just scanned; shops reply; staff release held ratings.

Scanning a shop's code hands the resident a rating ticket (valid 24 hours, bound to
them and the shop); a rating must present it. One rating per resident per shop per
30 days: a second one within the window edits the first. The shop's aggregate moves
in the same transaction as the rating and its lifecycle event.

Only this service reads tickets back, so they are HS256 tickets (tokens.sign_ticket)
under a secret derived from the "proof" key: cheap enough to hand out with every scan.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

import peewee as pw

from backend import audit, clock, contentcheck, lifecycle, scope, tokens
from backend.db import lock_for_update, write_transaction
from backend.errors import Conflict, Invalid, NotFound
from backend.models import Rating, Shop, StaffAccount, User
from backend.shops.access import member_shop

TICKET_LIFETIME = timedelta(hours=24)
TICKET_AUDIENCE = "citycode-rating"
TICKET_PURPOSE = "proof"
# What the ticket secret is derived for (keys.SigningKey.secret), so it is no other secret.
TICKET_LABEL = "rating ticket"
EDIT_WINDOW = timedelta(days=30)
RATEABLE = ("active", "suspended")


def issue_ticket(user_id: int, shop_public_id: str) -> str:
    """What a resident who scanned a shop presents to rate it within 24 hours."""
    now = clock.now()
    return tokens.sign_ticket(
        TICKET_PURPOSE,
        TICKET_LABEL,
        {
            "aud": TICKET_AUDIENCE,
            "sub": f"user:{user_id}",
            "shop": shop_public_id,
            "iat": int(now.timestamp()),
            "exp": int((now + TICKET_LIFETIME).timestamp()),
            "jti": secrets.token_hex(16),
        },
    )


def has_ticket(token: str | None, user: User, shop: Shop) -> bool:
    """Whether `token` is a ticket `user` got by scanning `shop` in the last 24 hours."""
    if not token:
        return False
    try:
        claims = tokens.verify_ticket(TICKET_PURPOSE, TICKET_LABEL, token, audience=TICKET_AUDIENCE)
    except tokens.Refused:
        return False
    return (
        claims.get("sub") == f"user:{user.id}"
        and claims.get("shop") == shop.public_id
        and claims.get("exp", 0) > clock.now().timestamp()
    )


def rateable_shop(public_id: str) -> Shop:
    shop = Shop.get_or_none((Shop.public_id == public_id) & Shop.status.in_(RATEABLE))
    if shop is None:
        raise NotFound("shop not found", key="shop_not_found")
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
    Shop.update(
        rating_count=count, rating_total=total, rating_histogram=shop.rating_histogram
    ).where(Shop.id == shop.id).execute()


def rate(user: User, shop_id: str, data: dict) -> tuple[Rating, bool]:
    """The resident's rating of the shop, and whether it is new (else an edit of the
    one they gave in the last 30 days)."""
    shop = rateable_shop(shop_id)
    if not has_ticket(data.get("rating_ticket"), user, shop):
        raise Invalid.field(
            "rating_ticket",
            "scan the shop's code in the last 24 hours to rate it",
            key="scan_required",
        )
    text = (data.get("text") or "").strip() or None
    status = "held" if contentcheck.check(user, text, "text") == "review" else "visible"
    now = clock.now()
    with write_transaction():
        # Lock the shop row first: concurrent ratings of one shop queue here, so
        # neither the "already rated?" check nor the aggregate read is stale.
        lock_for_update(Shop.select(Shop.id).where(Shop.id == shop.id)).get()
        previous = (
            Rating.select()
            .where(
                (Rating.user == user)
                & (Rating.shop == shop)
                & (Rating.created_at > now - EDIT_WINDOW)
            )
            .order_by(Rating.created_at.desc())
            .first()
        )
        rating = previous or Rating(shop=shop, user=user, created_at=now)
        lifecycle.append(
            shop,
            "rating.posted",
            lifecycle.RESIDENT,
            {
                "rating": rating.public_id,
                "stars": data["stars"],
                "edit": previous is not None,
                "held": status == "held",
            },
        )
        old_stars = previous.stars if previous and previous.status == "visible" else None
        rating.stars, rating.text, rating.status = data["stars"], text, status
        # The shop answered what the resident wrote before; it may answer the new text.
        rating.reply = rating.replied_at = None
        rating.tags = json.dumps(data.get("tags") or [], ensure_ascii=False)
        rating.updated_at = now
        rating.save()
        _move_aggregate(shop, add=data["stars"] if status == "visible" else None, remove=old_stars)
    return rating, previous is None


def reply(author: User, shop_id: str, rating_id: str, text: str) -> Rating:
    """One of the shop's people answers a rating once (again after the resident edits it).

    A reply is public at once and has no hold of its own, so text WeChat would hold
    for review is refused, as a display name is.
    """
    member_shop(author, shop_id)  # who may answer, before WeChat reads the text
    if contentcheck.check(author, text, "text") != "pass":
        raise Invalid.field(
            "text",
            "needs review by a person; change it and reply again",
            key="content_needs_review",
        )
    with write_transaction():
        shop = member_shop(author, shop_id)  # now under its lock: a closed shop refuses
        rating = Rating.get_or_none((Rating.public_id == rating_id) & (Rating.shop == shop))
        if rating is None:
            raise NotFound("rating not found", key="rating_not_found")
        if rating.reply is not None:
            raise Conflict("this rating already has the shop's reply", key="already_replied")
        rating.reply, rating.replied_at = text, clock.now()
        rating.save()
        lifecycle.append(
            shop, "rating.replied", lifecycle.actor_for_user(author), {"rating": rating.public_id}
        )
    return rating


def shop_ratings(user: User, shop_id: str):
    """Every rating of one of `user`'s shops, held ones too, newest first."""
    shop = member_shop(user, shop_id)
    return Rating.select().where(Rating.shop == shop).order_by(Rating.id.desc())


def my_ratings(user: User):
    return Rating.select().where(Rating.user == user).order_by(Rating.id.desc())


def visible_comments_query(shop, limit: int = 5, max_stars: int = 5) -> pw.ModelSelect:
    """The latest visible ratings, each with its author's display name in the same query."""
    return (
        Rating.select(Rating, User.id, User.display_name)
        .join(User, pw.JOIN.LEFT_OUTER, on=(Rating.user == User.id))
        .where((Rating.shop == shop) & (Rating.status == "visible") & (Rating.stars <= max_stars))
        .order_by(Rating.updated_at.desc(), Rating.id.desc())
        .limit(limit)
    )


def visible_comments(shop: Shop, limit: int = 5, max_stars: int = 5) -> list[Rating]:
    return list(visible_comments_query(shop, limit, max_stars))


# -- the staff's side ---------------------------------------------------------------------------
def ratings_in_scope(staff: StaffAccount, status: str | None, whole: bool = False):
    """Ratings of shops in `staff`'s subtree; `whole` shows the personal data in their text
    (audited)."""
    query = (
        Rating.select(Rating, Shop)
        .join(Shop)
        .where(scope.under(Shop.region_path, staff.region_path))
        .order_by(Rating.id.desc())
    )
    if status:
        query = query.where(Rating.status == status)
    return audit.unmasked(query, staff, "ratings", "*", staff.region_path) if whole else query


def release(staff: StaffAccount, rating_id: str) -> Rating:
    """A cadre or admin lets a held rating in their scope be seen; it joins the aggregate now."""
    with write_transaction():
        # Read under the lock: two moderators releasing at once must not both see "held".
        found = ratings_in_scope(staff, None).where(Rating.public_id == rating_id).first()
        if found is None:
            raise NotFound("rating not found", key="rating_not_found")
        rating = lifecycle.locked_with_its_shop(Rating, found.id)
        if rating.status != "held":
            raise Conflict("this rating is not held", key="rating_not_held")
        shop = rating.shop
        lifecycle.append(
            shop,
            "rating.released",
            lifecycle.actor_for_staff(staff),
            {"rating": rating.public_id, "stars": rating.stars},
        )
        rating.status, rating.released_by = "visible", staff
        rating.save()
        _move_aggregate(shop, add=rating.stars)
        audit.record("rating.released", "rating", rating.public_id, shop.region_path, staff=staff)
    return rating
