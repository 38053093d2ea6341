"""Scan proofs: a short-lived token, issued when an inspector scans a storefront's code.

Recording an inspection needs one, bound to that inspector and that shop, so an
inspection cannot be recorded from a desk without having scanned the sticker.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from backend import clock, tokens
from backend.errors import Invalid
from backend.models import Shop, StaffAccount

LIFETIME = timedelta(minutes=15)
AUDIENCE = "citycode-inspection"
PURPOSE = "proof"


def issue(staff: StaffAccount, shop: Shop) -> tuple[str, object]:
    now = clock.now()
    expires = now + LIFETIME
    token = tokens.sign(
        PURPOSE,
        {
            "aud": AUDIENCE,
            "sub": f"staff:{staff.id}",
            "shop": shop.public_id,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": uuid.uuid4().hex,
        },
    )
    return token, expires


def verify(token: str, staff: StaffAccount, shop: Shop) -> str:
    """The proof's jti if it was issued to `staff` for `shop` and is still fresh."""
    try:
        claims = tokens.verify(
            PURPOSE, token, audience=AUDIENCE, require=("exp", "jti", "sub")
        ).claims
    except tokens.Refused:
        raise Invalid.field(
            "scan_proof",
            "not a valid scan proof; scan the shop's code again",
            key="scan_proof_invalid",
        ) from None
    if claims["exp"] <= clock.now().timestamp():
        raise Invalid.field(
            "scan_proof", "expired; scan the shop's code again", key="scan_proof_expired"
        )
    if claims["sub"] != f"staff:{staff.id}":
        raise Invalid.field(
            "scan_proof", "was issued to another inspector", key="scan_proof_other_inspector"
        )
    if claims.get("shop") != shop.public_id:
        raise Invalid.field(
            "scan_proof", "was issued for another shop", key="scan_proof_other_shop"
        )
    return claims["jti"]
