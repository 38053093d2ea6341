"""Deleting rows kept only for a while: used resident-code jti's, dead logins' refresh
tokens, the record of ended logins once their access tokens have all expired,
Idempotency-Keys a day old, messages final for half a year, and the record of the
engine's periodic runs after two weeks.

The worker runs it daily (backend/engine.py); `citycode purge` runs it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from backend import clock, idempotency, notify, residentcode, revocations, schedule
from backend.db import write_transaction
from backend.models import RefreshToken, ResidentCodeUse

# A jti stops mattering when its code expires, at most LIFETIME after it was shown; the
# day on top covers gate machines whose clocks run behind.
CODE_USE_KEPT = residentcode.LIFETIME + timedelta(days=1)
# A login (a family of refresh tokens) is kept this long after its last token expired or
# was revoked, for looking into a stolen token; a live one is kept whole, since any spent
# token of it presented again must still end it.
DEAD_LOGIN_KEPT = timedelta(days=30)


@dataclass
class PurgeReport:
    code_uses: int
    refresh_tokens: int
    ended_logins: int
    idempotency_keys: int
    messages: int
    scheduled_runs: int


def purge(now: datetime | None = None) -> PurgeReport:
    now = now or clock.now()
    with write_transaction():
        code_uses = (
            ResidentCodeUse.delete().where(ResidentCodeUse.used_at < now - CODE_USE_KEPT).execute()
        )
        cutoff = now - DEAD_LOGIN_KEPT
        live = RefreshToken.select(RefreshToken.family).where(
            (RefreshToken.expires_at >= cutoff)
            & (RefreshToken.revoked_at.is_null() | (RefreshToken.revoked_at >= cutoff))
        )
        refresh_tokens = RefreshToken.delete().where(RefreshToken.family.not_in(live)).execute()
        ended_logins = revocations.purge(now)
        idempotency_keys = idempotency.purge(now)
        messages = notify.purge(now)
        runs = schedule.purge(now)
    return PurgeReport(code_uses, refresh_tokens, ended_logins, idempotency_keys, messages, runs)
