"""Rate limits (flask-limiter): per client on login/refresh, per user on writes.

Reads (GET, HEAD, OPTIONS) are never limited, whatever a view declares, and skip
flask-limiter's per-request check altogether: working out that a read has no limits
costs a public scan about as much as one of its queries.

Storage comes from RATELIMIT_STORAGE_URI: per-process memory by default, Redis in
production so every worker and machine counts against the same budget.
"""
from __future__ import annotations

import functools

from flask import current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
READ_METHODS = ("GET", "HEAD", "OPTIONS")


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


@limiter.request_filter
def _a_read() -> bool:
    return request.method in READ_METHODS


def init_app(app) -> None:
    settings = app.config["CITYCODE"]
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.ratelimit_storage_uri)
    app.config.setdefault("RATELIMIT_ENABLED", settings.ratelimit_enabled)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
    hooks = app.before_request_funcs.setdefault(None, [])
    for index, hook in enumerate(hooks):
        if getattr(hook, "__self__", None) is limiter:
            hooks[index] = _writes_only(hook)


def _writes_only(check):
    @functools.wraps(check)
    def check_unless_read():
        if request.method not in READ_METHODS:
            return check()
        return None

    return check_unless_read
