"""The public view of a shop's code as nearly every scan gets it: one statement, then JSON.

Most scans are a resident in front of a shop that is not theirs, and all they get is
the public view. Here that view is read in one statement: the caller's account, the
code, its shop with street and community names, its licences, honours and latest
comments, and whether the caller is tied to the shop or holds a staff account. It is
then written straight to JSON, the body ScanResult describes. Whenever that statement
shows the caller needs more than the public view (the shop's own people, staff) or
the code is not a current shop code, scan.read answers instead: it builds every
view, this one included, and tests hold the two to the same body.

On PostgreSQL the statement is prepared once per connection (see db.Prepared); one
round trip per scan is what leaves the database's share of two cores to the app.
"""

from __future__ import annotations

from datetime import date

import orjson
import peewee as pw
from flask import current_app

from backend import auth, clock, codes, masking
from backend.db import Prepared, json_rows, rows_of, stored_time
from backend.models import (
    Honour,
    Licence,
    Rating,
    Region,
    Shop,
    ShopCode,
    ShopMembership,
    StaffAccount,
    User,
)
from backend.policies import oncode
from backend.ratings import ratings
from backend.ratings.schemas import comment_author
from backend.shops import facts, scan

Street = Region.alias()
Community = Region.alias()
Author = User.alias()


def _licences_as_json():
    return Licence.select(
        json_rows(
            Licence.type,
            Licence.number,
            Licence.issuer,
            Licence.valid_to,
            Licence.id,
            Licence.valid_from,
        )
    ).where(Licence.shop == Shop.id)


def _honours_as_json():
    return Honour.select(
        json_rows(
            Honour.public_id,
            Honour.title,
            Honour.issuer,
            Honour.awarded_on,
            Honour.id,
        )
    ).where(Honour.shop == Shop.id)


def _comments_as_json():
    # The latest few, as scan.read shows them (ratings.visible_comments_query).
    latest = (
        Rating.select(
            Rating.id,
            Rating.stars,
            Rating.text,
            Rating.tags,
            Rating.reply,
            Rating.updated_at,
            Rating.user,
            Author.display_name,
        )
        .join(Author, pw.JOIN.LEFT_OUTER, on=(Rating.user == Author.id))
        .where((Rating.shop == Shop.id) & (Rating.status == "visible"))
        .order_by(Rating.updated_at.desc(), Rating.id.desc())
        .limit(scan.COMMENTS_SHOWN)
    ).alias("latest")
    return pw.Select(
        [latest],
        [
            json_rows(
                latest.c.stars,
                latest.c.text,
                latest.c.tags,
                latest.c.display_name,
                latest.c.reply,
                latest.c.updated_at,
                latest.c.user_id,
                latest.c.id,
            )
        ],
    )


# One row while the caller's account is live (none once it is deleted); the code's
# columns are NULL when no such code was ever issued.
_public_card = Prepared(
    lambda code, caller_id: (
        User.select(
            ShopCode.id.alias("code_id"),
            ShopCode.kind,
            ShopCode.revoked_at,
            Shop.id.alias("shop_id"),
            Shop.public_id,
            Shop.name,
            Shop.category,
            Shop.address,
            Shop.status,
            Shop.status_cause,
            Shop.registry_status,
            *facts.GRADE_COLUMNS,
            Shop.rating_count,
            Shop.rating_total,
            Shop.rating_histogram,
            Shop.last_inspection_at,
            Shop.last_inspection_result,
            Shop.open_rectifications,
            Street.name.alias("street_name"),
            Community.name.alias("community_name"),
            pw.fn.EXISTS(
                ShopMembership.select(ShopMembership.id).where(
                    (ShopMembership.shop == Shop.id) & (ShopMembership.user == User.id)
                )
            ).alias("is_member"),
            pw.fn.EXISTS(
                StaffAccount.select(StaffAccount.id).where(StaffAccount.user == User.id)
            ).alias("has_staff_account"),
            _licences_as_json().alias("licences"),
            _honours_as_json().alias("honours"),
            _comments_as_json().alias("comments"),
            oncode.in_force_as_json().alias("notices"),
        )
        .join(ShopCode, pw.JOIN.LEFT_OUTER, on=(ShopCode.code == code))
        .join(Shop, pw.JOIN.LEFT_OUTER, on=(ShopCode.shop == Shop.id))
        .join(Street, pw.JOIN.LEFT_OUTER, on=(Shop.street == Street.id))
        .join(Community, pw.JOIN.LEFT_OUTER, on=(Shop.community == Community.id))
        .where((User.id == caller_id) & User.deleted_at.is_null())
    )
)


def body(raw_code: str, caller_id: int) -> dict | None:
    """The scan's JSON body when the caller gets the public view of a current shop code;
    None when scan.read must answer. A deleted caller is refused (401)."""
    if not codes.looks_like_code_id(raw_code):
        return None
    cards = _public_card.records(codes.normalise_code_id(raw_code), caller_id)
    if not cards:
        auth.reject_caller()
    card = cards[0]
    if (
        card.code_id is None
        or card.revoked_at is not None
        or card.kind != "shop"
        or card.is_member
        or card.has_staff_account
    ):
        return None
    if card.last_inspection_at is not None:
        card = card._replace(
            last_inspection_at=Shop.last_inspection_at.python_value(card.last_inspection_at)
        )
    return {
        "verdict": "official",
        "message": scan.MESSAGES["official"],
        "kind": "shop",
        "view": "public",
        "shop": _shop(card),
        "licences": _licences(card.licences),
        "honours": _honours(card.honours),
        "owner": None,
        "regulatory": None,
        "community": None,
        "rating_ticket": (
            ratings.issue_ticket(caller_id, card.public_id)
            if card.status in ratings.RATEABLE
            else None
        ),
        "comments": _comments(card.comments),
        "notices": oncode.in_force(card.notices),
    }


def _shop(card) -> dict:
    # The fields, order and helpers of schemas.ShopPublic.
    return {
        "id": card.public_id,
        "name": card.name,
        "category": card.category,
        "category_label": facts.CATEGORIES.get(card.category),
        "address": card.address,
        "street": card.street_name,
        "community": card.community_name,
        "status": card.status,
        "status_label": facts.SHOP_STATUS_LABELS.get(card.status),
        "status_text": facts.status_text(card),
        "grade": facts.grade(card),
        "rating": facts.rating_summary(card),
        "last_inspection": facts.last_inspection(card),
    }


def _licences(aggregated) -> list[dict]:
    # The fields and order of merchant.schemas.PublicLicenceOut, soonest expiry first.
    rows = rows_of(aggregated)
    today = clock.today_local()
    licences = []
    for type_, number, issuer, valid_to, _id, valid_from in sorted(
        rows, key=lambda r: (r[3], r[4])
    ):
        licences.append(
            {
                "type": type_,
                "type_label": facts.LICENCE_TYPES.get(type_, type_),
                "number": masking.number(number),
                "issuer": issuer,
                "valid_to": valid_to,
                "status": facts.validity(
                    date.fromisoformat(valid_to), today, date.fromisoformat(valid_from)
                ),
            }
        )
    return licences


def _honours(aggregated) -> list[dict]:
    # The fields and order of merchant.schemas.HonourOut, latest first, undated last.
    rows = sorted(
        rows_of(aggregated), key=lambda r: (r[3] is not None, r[3] or "", r[4]), reverse=True
    )
    return [
        {"id": public_id, "title": title, "issuer": issuer, "awarded_on": awarded_on}
        for public_id, title, issuer, awarded_on, _id in rows
    ]


def _comments(aggregated) -> list[dict]:
    # The fields and order of ratings.schemas.PublicComment, latest first; no one's identity.
    rows = sorted(rows_of(aggregated), key=lambda r: (stored_time(r[5]), r[7]), reverse=True)
    return [
        {
            "stars": stars,
            "text": masking.free_text(text),
            "tags": orjson.loads(tags),
            "author": comment_author(user_id, display_name),
            "reply": reply,
            "at": stored_time(updated_at).isoformat(),
        }
        for stars, text, tags, display_name, reply, updated_at, user_id, _id in rows
    ]


def response(raw_code: str, caller_id: int):
    """The public view as a response, or None when scan.read must answer."""
    found = body(raw_code, caller_id)
    return None if found is None else current_app.json.response(found)
