"""How every Redis client of ours waits on Redis: once, briefly.

redis-py waits on a silent server for as long as its socket stays open, and then tries
again three times with backoff: a frozen Redis held every request that touched it for
seconds. Ours wait `timeout` seconds to connect and for each answer, and never try again,
because every caller has a way on without Redis that beats a late answer: rate limits
count in the process's memory, a message the queue did not take is found by the outbox's
pick-up, a pace is kept by each process alone.
"""

from __future__ import annotations

from redis.backoff import NoBackoff
from redis.retry import Retry


def is_redis(url: str) -> bool:
    return url.startswith(("redis://", "rediss://", "redis+"))


def options(timeout: float) -> dict:
    """Connection settings for redis-py (or a library that hands them on to it)."""
    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": Retry(NoBackoff(), 0),
    }
