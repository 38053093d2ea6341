"""The one clock: timezone-aware UTC, movable by tests instead of sleeping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_offset = timedelta(0)


def now() -> datetime:
    return datetime.now(UTC) + _offset


def today_local():
    """Today's date in Shanghai, which is what 'expires today' means to a shopkeeper."""
    return now().astimezone(SHANGHAI).date()


def local_date(moment: datetime) -> date:
    """The day a stored (UTC) moment falls on in Shanghai: the date people read."""
    return moment.astimezone(SHANGHAI).date()


def travel(delta: timedelta) -> None:
    """Move the clock forward (tests only)."""
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = timedelta(0)
