"""Logins that have ended, so that their access tokens end with them.

An access token carries its login's id (`sid`, the refresh-token family). Logging out,
or a spent refresh token coming back (a copy in someone else's hands), ends the login:
its id goes into revoked_session, shared by every worker on every machine through the
database, until the last access token the login could have been issued has expired.

Every request with a token asks whether its login has ended, the public scan included,
so the answer comes from this process's copy of the set; the copy is read again from
the database at most once a second, one small query per worker and not per request.
The worker that ends a login knows at once; the others within that second.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from backend import clock
from backend.models import RevokedSession

RELOAD_SECONDS = 1.0

_lock = threading.Lock()
_revoked: frozenset[str] = frozenset()
_next_reload = 0.0


def revoke(sid: str, lasting: timedelta, now: datetime | None = None) -> None:
    """End the login `sid` for `lasting` (the longest its access tokens live), in the
    caller's transaction."""
    now = now or clock.now()
    (
        RevokedSession.insert(sid=sid, revoked_at=now, expires_at=now + lasting)
        .on_conflict(
            conflict_target=[RevokedSession.sid],
            update={RevokedSession.expires_at: now + lasting},
        )
        .execute()
    )
    _remember(sid)


def is_revoked(sid: str | None) -> bool:
    if sid is None:  # a token issued before logins had ids: it expires within 15 minutes
        return False
    if time.monotonic() >= _next_reload:
        _reload()
    return sid in _revoked


def _reload() -> None:
    global _revoked, _next_reload
    with _lock:
        now = time.monotonic()
        if now < _next_reload:
            return
        current = RevokedSession.select(RevokedSession.sid).where(
            RevokedSession.expires_at > clock.now()
        )
        _revoked = frozenset(sid for (sid,) in current.tuples())
        _next_reload = now + RELOAD_SECONDS


def _remember(sid: str) -> None:
    global _revoked
    with _lock:
        _revoked = _revoked | {sid}


def forget_all() -> None:
    """Drop this process's copy (a test that builds a new database, say)."""
    global _revoked, _next_reload
    with _lock:
        _revoked, _next_reload = frozenset(), 0.0


def purge(now: datetime) -> int:
    """Delete the ends of logins whose access tokens have all expired."""
    return RevokedSession.delete().where(RevokedSession.expires_at <= now).execute()
