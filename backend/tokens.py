"""Every token this service signs and reads back, by purpose, under the key set (keys.py).

ES256 under the current key of a purpose: access tokens ("access"), scan proofs
("proof") and resident codes ("resident"), each kind under its own keys so a leaked
key of one cannot mint another. HS256 under a secret derived from a purpose's key,
for tickets only this service reads back and hands out on every scan (rating tickets):
an HMAC costs a small fraction of an ES256 signature.

Expiry is left to each kind's rules, checked against backend.clock so tests can move
time; here a token is only well-formed, signed by a key of its purpose and usable.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
from dataclasses import dataclass

import jwt
import orjson
from flask import current_app

from backend.keys import ALGORITHM, KeySet, UnknownKey

TICKET_ALGORITHM = "HS256"


class Refused(ValueError):
    """A token that is not ours to accept; `reason` says why, for those who report it.

    malformed: not a token at all, or its claims fail; wrong_key: signed under a key of
    ours for another purpose or with another algorithm; unknown_kid: under a key we
    never had, or one retired past its grace period; bad_signature: not signed by it.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Verified:
    claims: dict
    kid: str


def key_set() -> KeySet:
    return current_app.extensions["citycode.keys"]


def sign(purpose: str, claims: dict, *, typ: bool = True) -> str:
    """A compact ES256 JWS of `claims` under the current key of `purpose` (kid in the header).

    `typ=False` leaves "typ" out of the header, as the resident code's format asks.
    """
    key = key_set().current(purpose)
    headers = {"kid": key.kid} if typ else {"kid": key.kid, "typ": None}
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers=headers)


def verify(
    purpose: str,
    token: str,
    *,
    audience: str | None = None,
    issuer: str | None = None,
    require: tuple[str, ...] = ("exp",),
) -> Verified:
    """The claims of an ES256 token signed by a usable key of `purpose`, or Refused."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise Refused("malformed") from None
    kid = header.get("kid", "")
    if header.get("alg") != ALGORITHM:
        raise Refused("wrong_key")
    key = usable_key(purpose, kid)
    try:
        claims = jwt.decode(
            token,
            key.private_key.public_key(),
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={"require": list(require), "verify_exp": False, "verify_iat": False},
        )
    except jwt.InvalidSignatureError:
        raise Refused("bad_signature") from None
    except (jwt.InvalidTokenError, ValueError):
        raise Refused("malformed") from None
    return Verified(claims, kid)


def usable_key(purpose: str, kid: str):
    """The key behind `kid` if it is of `purpose` and still usable, or Refused."""
    try:
        return key_set().verifying_key(kid, purpose)
    except UnknownKey:
        # A kid of ours for another purpose is the wrong key; a kid we never had, or one
        # retired past its grace period, is unknown.
        known = any(k.kid == kid for k in key_set().all_keys())
        raise Refused("wrong_key" if known else "unknown_kid") from None


# -- tickets: HS256 under a derived secret ---------------------------------------------------
def sign_ticket(purpose: str, label: str, claims: dict) -> str:
    """A compact HS256 JWS, as jwt.encode would write it; PyJWT reads it back.

    Written out here because jwt.encode spends several times the HMAC itself making
    sure the secret is not a public key, and every scan by a resident signs a ticket.
    """
    key = key_set().current(purpose)
    signing_input = f"{_ticket_header(key.kid)}.{_b64url(orjson.dumps(claims))}"
    signature = hmac.digest(key.secret(label), signing_input.encode(), hashlib.sha256)
    return f"{signing_input}.{_b64url(signature)}"


def verify_ticket(purpose: str, label: str, token: str, *, audience: str) -> dict:
    """The claims of a ticket signed under `purpose`'s secret for `label`, or Refused."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise Refused("malformed") from None
    key = usable_key(purpose, header.get("kid", ""))
    try:
        return jwt.decode(
            token,
            key.secret(label),
            algorithms=[TICKET_ALGORITHM],
            audience=audience,
            options={"verify_exp": False, "verify_iat": False},
        )
    except jwt.InvalidSignatureError:
        raise Refused("bad_signature") from None
    except (jwt.InvalidTokenError, ValueError):
        raise Refused("malformed") from None


@functools.lru_cache(maxsize=16)
def _ticket_header(kid: str) -> str:
    return _b64url(
        json.dumps(
            {"alg": TICKET_ALGORITHM, "kid": kid, "typ": "JWT"}, separators=(",", ":")
        ).encode()
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
