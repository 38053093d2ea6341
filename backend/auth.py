"""Tokens in and out, the current user, role checks.

Access tokens are short ES256 JWTs signed under the "access" keys (tokens.sign); refresh
tokens are opaque, stored only as hashes, and rotate on every use.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from flask import current_app, g, request

from backend import clock, revocations, tokens
from backend.db import Prepared
from backend.errors import Forbidden, Unauthorized
from backend.models import StaffAccount, User

PURPOSE = "access"
ISSUER = "citycode"
AUDIENCE = "citycode-api"
CLOCK_SKEW_SECONDS = 5
# A mini-program sends the same token with every request for up to 15 minutes; checking
# its ES256 signature once is enough. Bounded: past this many, expired entries go first.
VERIFIED_TOKENS_MAX = 4096

_verified: dict[str, tuple[dict, str]] = {}
_user_by_id = Prepared(lambda user_id: User.select().where(User.id == user_id))


def settings():
    return current_app.config["CITYCODE"]


def issue_access_token(user: User, sid: str) -> tuple[str, int]:
    """A short-lived token for `user`'s login `sid` (its refresh-token family): ending
    the login ends the token too (backend.revocations)."""
    now = clock.now()
    lifetime = settings().access_token_seconds
    token = tokens.sign(
        PURPOSE,
        {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(user.id),
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=lifetime)).timestamp()),
            "jti": uuid.uuid4().hex,
            "sid": sid,
        },
    )
    return token, lifetime


def access_token_lasting() -> timedelta:
    """How long an access token issued now may still be accepted: its lifetime and the
    skew allowed for clocks."""
    return timedelta(seconds=settings().access_token_seconds + CLOCK_SKEW_SECONDS)


def decode_access_token(token: str) -> dict:
    """The verified claims, or Unauthorized for anything not signed by a live access key.

    The signature and fixed claims of a token string never change, so they are checked
    once per process; whether its key is still usable and whether it has expired are
    checked on every use, against our clock.
    """
    try:
        claims, kid = _verified.get(token) or _verify_signature(token)
        tokens.usable_key(PURPOSE, kid)
    except tokens.Refused:
        raise Unauthorized("access token is not valid", key="token_invalid") from None
    if claims["exp"] + CLOCK_SKEW_SECONDS <= clock.now().timestamp():
        raise Unauthorized("access token expired; refresh it", key="token_expired")
    if revocations.is_revoked(claims.get("sid")):
        raise Unauthorized("this login has ended; sign in again", key="login_ended")
    return dict(claims)


def _verify_signature(token: str) -> tuple[dict, str]:
    verified = tokens.verify(
        PURPOSE, token, audience=AUDIENCE, issuer=ISSUER, require=("exp", "iat", "sub")
    )
    _remember(token, verified.claims, verified.kid)
    return verified.claims, verified.kid


def _remember(token: str, claims: dict, kid: str) -> None:
    if len(_verified) >= VERIFIED_TOKENS_MAX:
        now = clock.now().timestamp()
        for known, (known_claims, _) in list(_verified.items()):
            if known_claims["exp"] + CLOCK_SKEW_SECONDS <= now:
                _verified.pop(known, None)
        if len(_verified) >= VERIFIED_TOKENS_MAX:
            _verified.clear()
    _verified[token] = (claims, kid)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def verified_caller_id() -> int | None:
    """The user id in the bearer token, once its signature and expiry check out, or None
    without a token; an invalid token is a 401 even on public views. Says nothing yet
    about the account: see load_caller."""
    token = bearer_token()
    if token is None:
        return None
    claims = decode_access_token(token)
    g.session_id = claims.get("sid")
    return int(claims["sub"])


def session_id() -> str | None:
    """The login the caller's access token belongs to (its refresh-token family)."""
    return g.get("session_id")


def load_caller(user_id: int) -> User:
    """The caller's account; a deleted one no longer answers to its tokens."""
    user = _user_by_id.first(user_id)
    if user is None or user.deleted_at is not None:
        reject_caller()
    g.user = user
    return user


def caller_id() -> int:
    """The signed-in caller's user id, whether or not the account has been loaded yet."""
    user = g.get("user")
    if user is not None:
        return user.id
    if g.get("caller_id") is None:
        raise Unauthorized()
    return g.caller_id


def reject_caller():
    raise Unauthorized("access token is not valid", key="token_invalid")


def authenticate() -> User | None:
    """Load g.user from the bearer token, if any."""
    g.user = None
    caller_id = verified_caller_id()
    return None if caller_id is None else load_caller(caller_id)


def current_user() -> User:
    user = g.get("user")
    if user is None:
        # A view that reads the caller's account in its own query (api.reads_caller) has
        # only the verified id so far; any other use of the caller loads the account.
        caller_id = g.get("caller_id")
        if caller_id is None:
            raise Unauthorized()
        user = load_caller(caller_id)
    return user


def optional_user() -> User | None:
    return g.get("user")


def current_staff(*roles: str) -> StaffAccount:
    """The caller's active staff account, optionally required to hold one of `roles`;
    read once per request."""
    if "staff" in g:
        staff = g.staff
    else:
        staff = g.staff = (
            StaffAccount.select()
            .where((StaffAccount.user == current_user()) & (StaffAccount.active == True))  # noqa: E712
            .first()
        )
    if staff is None:
        raise Forbidden("this needs a staff account", key="staff_only")
    if roles and staff.role not in roles:
        raise Forbidden(
            "this needs one of the roles: %(roles)s",
            key="role_required",
            params={"roles": ", ".join(roles)},
        )
    return staff
