"""Scan proofs: a short-lived token, issued when an inspector scans a storefront's code.

Recording an inspection needs one, bound to that inspector and that shop, so an
inspection cannot be recorded from a desk without having scanned the sticker.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

import jwt
from flask import current_app

from backend import clock
from backend.errors import Invalid
from backend.keys import ALGORITHM, UnknownKey
from backend.models import Shop, StaffAccount

LIFETIME = timedelta(minutes=15)
AUDIENCE = "citycode-inspection"
PURPOSE = "proof"


def _keys():
    return current_app.extensions["citycode.keys"]


def issue(staff: StaffAccount, shop: Shop) -> tuple[str, object]:
    key = _keys().current(PURPOSE)
    now = clock.now()
    expires = now + LIFETIME
    token = jwt.encode({
        "aud": AUDIENCE, "sub": f"staff:{staff.id}", "shop": shop.public_id,
        "iat": int(now.timestamp()), "exp": int(expires.timestamp()), "jti": uuid.uuid4().hex,
    }, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})
    return token, expires


def _invalid(reason: str) -> Invalid:
    return Invalid.field("scan_proof", reason)


def verify(token: str, staff: StaffAccount, shop: Shop) -> str:
    """The proof's jti if it was issued to `staff` for `shop` and is still fresh."""
    try:
        kid = jwt.get_unverified_header(token).get("kid", "")
        key = _keys().verifying_key(kid, PURPOSE)
        claims = jwt.decode(token, key.private_key.public_key(), algorithms=[ALGORITHM],
                            audience=AUDIENCE, options={"verify_exp": False, "verify_iat": False,
                                                        "require": ["exp", "jti", "sub"]})
    except (jwt.InvalidTokenError, UnknownKey, ValueError):
        raise _invalid("not a valid scan proof; scan the shop's code again")
    if claims["exp"] <= clock.now().timestamp():
        raise _invalid("expired; scan the shop's code again")
    if claims["sub"] != f"staff:{staff.id}":
        raise _invalid("was issued to another inspector")
    if claims.get("shop") != shop.public_id:
        raise _invalid("was issued for another shop")
    return claims["jti"]
