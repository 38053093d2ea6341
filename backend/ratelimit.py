"""Rate limits (flask-limiter): per client on login, per token on refresh, per user on writes;
and the pace of what we send to services that limit us (`Pace`).

Reads (GET, HEAD, OPTIONS) are not limited, whatever a view declares, and skip
flask-limiter's per-request check altogether: working out that a read has no limits
costs a public scan about as much as one of its queries. The one exception is the open
data API (/api/v1/public), which anyone's program may page through: a budget per address.

Storage comes from RATELIMIT_STORAGE_URI: per-process memory by default, Redis in
production so every worker and machine counts against the same budget.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time

import limits
import limits.storage
import limits.strategies
from flask import current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from backend import metrics, redisclient

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
READ_METHODS = ("GET", "HEAD", "OPTIONS")

log = logging.getLogger(__name__)


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


def _login_refused_by_limit(_limit) -> None:
    metrics.LOGINS.labels("rate_limited").inc()


per_client = limiter.limit(
    login_limit, key_func=get_remote_address, on_breach=_login_refused_by_limit
)


def _refresh_token() -> str:
    # Per token, not per address: thousands of phones share one carrier NAT address,
    # and a refresh token is too long to guess, so its own budget is the one that matters.
    body = request.get_json(silent=True)
    token = body.get("refresh_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        return f"addr:{get_remote_address()}"
    return "refresh:" + hashlib.sha256(token.encode()).hexdigest()


per_refresh_token = limiter.limit(login_limit, key_func=_refresh_token)


def refresh_limit() -> str:
    return current_app.config["CITYCODE"].ratelimit_refresh


# Beside it, a budget per address wide enough for a carrier NAT's phones, so that made-up
# tokens (each its own bucket) cannot be sent without end.
per_address_refresh = limiter.limit(
    refresh_limit, key_func=get_remote_address, scope="refresh-address"
)


def open311_limit() -> str:
    return current_app.config["CITYCODE"].ratelimit_open311


def _api_key() -> str:
    # Hashed, like a refresh token: the key itself is never a storage key.
    key = request.form.get("api_key")
    if key is None:
        body = request.get_json(silent=True)
        key = body.get("api_key") if isinstance(body, dict) else None
    if not isinstance(key, str) or not key:
        return f"addr:{get_remote_address()}"
    return "open311:" + hashlib.sha256(key.encode()).hexdigest()


# An Open311 client posts within its key's budget; made-up keys, each a budget of its
# own, are held by the same budget per address.
per_api_key = limiter.limit(open311_limit, key_func=_api_key, scope="open311-key")
per_address_open311 = limiter.limit(
    open311_limit, key_func=get_remote_address, scope="open311-address"
)


def public_limit() -> str:
    return current_app.config["CITYCODE"].ratelimit_public


# The blueprints whose reads are limited too (api.Blueprint(reads_limited=True)), by name.
_READS_LIMITED: set[str] = set()


def limit_reads(blueprint) -> None:
    """Every request to `blueprint`, reads too, against one budget per address for all
    its routes together: an API built to be paged through by programs (the open data)."""
    _READS_LIMITED.add(blueprint.name)
    limiter.shared_limit(
        public_limit, scope=f"{blueprint.name}-address", key_func=get_remote_address
    )(blueprint)


@limiter.request_filter
def _unlimited_read() -> bool:
    return request.method in READ_METHODS and request.blueprint not in _READS_LIMITED


def init_app(app) -> None:
    settings = app.config["CITYCODE"]
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.ratelimit_storage_uri)
    app.config.setdefault("RATELIMIT_ENABLED", settings.ratelimit_enabled)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis down: count in each worker's memory until it is back, rather than refuse
    # every login and write with a 500.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    # And it is known to be down after one short wait: flask-limiter then counts in memory
    # and asks Redis again only now and then (after 1, 2, 4 … 32 s), not on every request.
    if redisclient.is_redis(settings.ratelimit_storage_uri):
        app.config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS", redisclient.options(settings.redis_timeout)
        )
    limiter.init_app(app)
    # The limiter is one object for every app a process builds (the tests build many): an
    # app starts with its storage taken as answering, whatever an earlier one found.
    limiter._storage_dead = False
    # flask-limiter's three hooks (check before, headers after, reset at teardown) are
    # skipped for reads together: after a skipped check there is nothing to add or reset.
    for registry in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        hooks = registry.setdefault(None, [])
        for index, hook in enumerate(hooks):
            if _belongs_to_limiter(hook):
                hooks[index] = _writes_only(hook)


def _belongs_to_limiter(hook) -> bool:
    if isinstance(hook, functools.partial):
        return any(arg is limiter for arg in hook.args)
    return getattr(hook, "__self__", None) is limiter


def _writes_only(hook):
    """`hook`, run only for what is limited; for other reads it passes its argument (a
    response) through."""

    def unless_read(*args):
        if not _unlimited_read():
            return hook(*args)
        return args[0] if args else None

    return functools.update_wrapper(unless_read, hook)  # a partial has no name: skipped


# -- pacing what we send to others -------------------------------------------------------
class Pace:
    """At most `per_second` calls a second to a service whose quota is ours as a whole
    (WeChat's subscribe messages: per app), across every process that shares `storage_uri`:
    Redis in production, so the workers of every machine count together; per process on
    memory://. A caller over the pace waits for the next free place rather than being
    refused. While the shared storage is down, each process keeps the pace on its own."""

    # After the shared storage failed, this long alone before asking it again.
    ALONE_FOR = 30.0

    def __init__(self, storage_uri: str, per_second: int, name: str, timeout: float = 0.2):
        self.item = limits.RateLimitItemPerSecond(per_second)
        self.name = name
        options = redisclient.options(timeout) if redisclient.is_redis(storage_uri) else {}
        self.shared = limits.strategies.MovingWindowRateLimiter(
            limits.storage.storage_from_string(storage_uri, **options)
        )
        self.alone = limits.strategies.MovingWindowRateLimiter(limits.storage.MemoryStorage())
        self._alone_until = 0.0

    def wait(self) -> None:
        if time.monotonic() >= self._alone_until:
            try:
                return self._wait(self.shared)
            except Exception:  # noqa: BLE001  any failure of the shared storage: pace alone
                log.warning("shared pace unavailable; pacing this process alone", exc_info=True)
                self._alone_until = time.monotonic() + self.ALONE_FOR
        return self._wait(self.alone)

    def _wait(self, limiter) -> None:
        while not limiter.hit(self.item, self.name):
            free_at = limiter.get_window_stats(self.item, self.name).reset_time
            time.sleep(min(max(free_at - time.time(), 0.001), 1.0))
