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

import jwt
from flask import current_app

from backend import clock
from backend.keys import ALGORITHM, UnknownKey
from backend.models import User

PREFIX = "SQR1:"
KIND = "resident"
PURPOSE = "resident"
LIFETIME = timedelta(seconds=90)
REFRESH_EVERY_SECONDS = 30


def _keys():
    return current_app.extensions["citycode.keys"]


def pseudonym_of(user: User) -> str:
    """The user's random `sub`, made on first use; it says nothing about who they are."""
    if not user.pseudonym:
        # Only if none was made meanwhile: two first requests at once (the code and its
        # picture) must not each make one, or the first code shown is dead at the gate.
        (User.update(pseudonym=secrets.token_urlsafe(12))
         .where((User.id == user.id) & User.pseudonym.is_null()).execute())
        user.pseudonym = User.select(User.pseudonym).where(User.id == user.id).scalar()
    return user.pseudonym


def issue(user: User) -> tuple[str, object]:
    key = _keys().current(PURPOSE)
    now = clock.now()
    expires = now + LIFETIME
    token = jwt.encode(
        {"sub": pseudonym_of(user), "kind": KIND, "iat": int(now.timestamp()),
         "exp": int(expires.timestamp()), "jti": uuid.uuid4().hex[:16]},
        key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid, "typ": None},
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
    token = code[len(PREFIX):]
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        return Checked(False, "malformed")
    kid = header.get("kid", "")
    if header.get("alg") != ALGORITHM:
        return Checked(False, "wrong_key")
    try:
        key = _keys().verifying_key(kid, PURPOSE)
    except UnknownKey:
        known = any(k.kid == kid for k in _keys().keys())
        # A kid of ours for another purpose (an access-token key, say) is the wrong key;
        # a kid we never had, or one retired past its grace, is unknown.
        return Checked(False, "wrong_key" if known else "unknown_kid")
    try:
        claims = jwt.decode(token, key.private_key.public_key(), algorithms=[ALGORITHM],
                            options={"verify_exp": False, "verify_iat": False,
                                     "require": ["exp", "iat", "sub", "jti"]})
    except jwt.InvalidSignatureError:
        return Checked(False, "bad_signature")
    except jwt.InvalidTokenError:
        return Checked(False, "malformed")
    if claims.get("kind") != KIND:
        return Checked(False, "wrong_kind")
    if claims["exp"] <= clock.now().timestamp():
        return Checked(False, "expired", claims)
    return Checked(True, "ok", claims)
