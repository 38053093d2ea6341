"""The personal resident code (like 随申码): `SQR1:` + a compact ES256 JWS, 90 seconds long.

Header: alg and kid (no typ). Claims: a random pseudonymous `sub`, `kind`, `iat`,
`exp` and `jti`. Gates verify it online (signature, expiry, jti once, live
membership) or offline against /.well-known/jwks.json (signature and expiry).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from backend import clock, tokens
from backend.db import write_transaction
from backend.models import User

PREFIX = "SQR1:"
KIND = "resident"
PURPOSE = "resident"
LIFETIME = timedelta(seconds=90)
REFRESH_EVERY_SECONDS = 30


def pseudonym_of(user: User) -> str:
    """The user's random `sub`, made on first use; it says nothing about who they are."""
    if not user.pseudonym:
        # Only if none was made meanwhile: two first requests at once (the code and its
        # picture) must not each make one, or the first code shown is dead at the gate.
        (
            User.update(pseudonym=secrets.token_urlsafe(12))
            .where((User.id == user.id) & User.pseudonym.is_null())
            .execute()
        )
        user.pseudonym = User.select(User.pseudonym).where(User.id == user.id).scalar()
    return user.pseudonym


def issue(user: User) -> tuple[str, object]:
    """A fresh code for `user`, making their pseudonym first if they have none yet."""
    with write_transaction():
        sub = pseudonym_of(user)
    now = clock.now()
    expires = now + LIFETIME
    token = tokens.sign(
        PURPOSE,
        {
            "sub": sub,
            "kind": KIND,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": uuid.uuid4().hex[:16],
        },
        typ=False,
    )
    return PREFIX + token, expires


@dataclass
class Checked:
    ok: bool
    reason: str
    claims: dict | None = None


def check_signature(code: str) -> Checked:
    """Signature and expiry only: what a gate can check offline."""
    if not code.startswith(PREFIX):
        return Checked(False, "malformed")
    try:
        claims = tokens.verify(
            PURPOSE, code[len(PREFIX) :], require=("exp", "iat", "sub", "jti")
        ).claims
    except tokens.Refused as refused:
        return Checked(False, refused.reason)
    if claims.get("kind") != KIND:
        return Checked(False, "wrong_kind")
    if claims["exp"] <= clock.now().timestamp():
        return Checked(False, "expired")
    return Checked(True, "ok", claims)
