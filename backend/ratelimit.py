"""Rate limits (flask-limiter): per client on login/refresh, per user on writes.

Storage comes from RATELIMIT_STORAGE_URI: per-process memory by default, Redis in
production so every worker and machine counts against the same budget.
"""
from __future__ import annotations

from flask import current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _user_or_address() -> str:
    user = g.get("user")
    return f"user:{user.id}" if user is not None else f"addr:{get_remote_address()}"


def _not_a_user_write() -> bool:
    # Login and refresh carry their own per-client limits; reads are not limited here.
    return request.method not in WRITE_METHODS or g.get("user") is None


def _writes_limit() -> str:
    return current_app.config["CITYCODE"].ratelimit_writes


def login_limit() -> str:
    return current_app.config["CITYCODE"].ratelimit_login


limiter = Limiter(
    key_func=_user_or_address,
    default_limits=[_writes_limit],
    default_limits_exempt_when=_not_a_user_write,
    headers_enabled=True,
)

per_client = limiter.limit(login_limit, key_func=get_remote_address)


def init_app(app) -> None:
    settings = app.config["CITYCODE"]
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.ratelimit_storage_uri)
    app.config.setdefault("RATELIMIT_ENABLED", settings.ratelimit_enabled)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
