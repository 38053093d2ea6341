"""How long a process waits on PostgreSQL, and not waiting at all while it hangs.

A database that refuses a connection fails a request at once. One that hangs (a network
partition, a frozen host, a stuck volume) does not: libpq waits as long as the socket
stays open, and every worker thread ends up queued behind it. So every wait on a
PostgreSQL socket goes through psycopg2's wait callback (`wait`), which tells a hung
server from a busy one: a statement still waiting after `probe_after` seconds (a lock
held by another request, a long report) has the server asked, on a connection of its own
(`Prober`), whether it answers at all. If it does, the statement waits on, up to
`request` seconds while serving a request (`background` for the worker's and the
commands'). If it does not within `connect` seconds, the server hangs: the statement's
socket is shut down (its state is unknown, and the pool must not hand it out again), the
caller gets DatabaseHung (an OperationalError: a request answers 503), and the breaker
opens.

While the breaker is open no statement of this process waits on the database: each fails
at once, and so do those already waiting, so threads do not pile up behind a hung server.
A thread of its own asks the server every `retry_interval` seconds and closes the breaker
the moment it answers.
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg2
from flask import has_request_context
from psycopg2 import extensions

# How often a waiting statement looks whether the breaker opened meanwhile.
SLICE = 0.1
# How long an answer from the server counts as proof it is not hung.
ALIVE_SECONDS = 0.5


@dataclass(frozen=True)
class Deadlines:
    connect: float = 1.0
    probe_after: float = 1.0
    request: float = 15.0
    background: float = 300.0
    retry_interval: float = 0.5


class DatabaseHung(psycopg2.OperationalError):
    """The database did not answer in time, or did not lately (the breaker is open)."""


class Prober:
    """Asks the server whether it answers at all, on a connection no statement waits on."""

    def __init__(self, connect: Callable[[], extensions.connection]):
        self._connect = connect
        self._conn: extensions.connection | None = None
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._alive_at = float("-inf")

    def alive(self) -> bool:
        if time.monotonic() - self._alive_at < ALIVE_SECONDS:
            return True
        # One asks at a time; the others take its answer.
        if not self._lock.acquire(timeout=2 * _deadlines.connect):
            return False
        try:
            if time.monotonic() - self._alive_at < ALIVE_SECONDS:
                return True
            return self._ask()
        finally:
            self._lock.release()

    def _ask(self) -> bool:
        if self._pid != os.getpid():  # a fork's copy of the parent's socket: not ours
            self._conn, self._pid = None, os.getpid()
        try:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
                self._conn.autocommit = True
            with self._conn.cursor() as cursor:
                cursor.execute("SELECT 1")
        except psycopg2.Error:
            if self._conn is not None:
                self._conn.close()
            self._conn = None
            return False
        self._alive_at = time.monotonic()
        return True


class Breaker:
    def __init__(self):
        self._open = False
        self._pid = os.getpid()
        # How many times it opened: a pooled connection handed back before the latest is
        # not trusted (nor pinged: a ping would wait out a deadline of its own).
        self.generation = 0

    @property
    def open(self) -> bool:
        if self._open and self._pid != os.getpid():  # a fork's copy, without its thread
            self._open = False
        return self._open

    def check(self) -> None:
        if self.open:
            raise DatabaseHung("the database did not answer lately")

    def trip(self, prober: Prober) -> None:
        if self.open:
            return
        self._open, self._pid = True, os.getpid()
        self.generation += 1
        threading.Thread(target=self._close_when_answered, args=(prober,), daemon=True).start()

    def _close_when_answered(self, prober: Prober) -> None:
        while not prober.alive():
            time.sleep(_deadlines.retry_interval)
        self._open = False

    def reset(self) -> None:
        self._open = False


_deadlines = Deadlines()
breaker = Breaker()


def configure(deadlines: Deadlines) -> None:
    """Every PostgreSQL connection of this process waits through `wait`, within these."""
    global _deadlines
    _deadlines = deadlines
    breaker.reset()  # a new database: nothing known against it
    extensions.set_wait_callback(wait)


def _limit(conn) -> float:
    if conn.status == extensions.STATUS_SETUP or getattr(conn, "probe", False):
        return _deadlines.connect
    return _deadlines.request if has_request_context() else _deadlines.background


def wait(conn) -> None:
    """psycopg2's wait callback: poll the connection until it is done, or give up."""
    prober: Prober | None = getattr(conn, "prober", None)
    guarded = getattr(conn, "guarded", False)
    if guarded:
        breaker.check()  # a connect or a ping deep in the pool, after it opened: no wait
    started = time.monotonic()
    generation = breaker.generation
    limit = started + _limit(conn)
    ask_at = started + _deadlines.probe_after
    while True:
        state = conn.poll()
        if state == extensions.POLL_OK:
            return
        now = time.monotonic()
        if now >= limit:
            _give_up(conn)  # slow, not hung: the server answered the prober all along
        if guarded and breaker.generation != generation:
            _give_up(conn)  # another thread found the server hung
        if prober is not None and now >= ask_at:
            if not prober.alive():
                _give_up(conn, breaker.trip, prober)
            now, ask_at = time.monotonic(), time.monotonic() + _deadlines.probe_after
        timeout = limit - now if prober is None else min(limit - now, SLICE)
        if state == extensions.POLL_READ:
            select.select([conn.fileno()], [], [], timeout)
        elif state == extensions.POLL_WRITE:
            select.select([], [conn.fileno()], [], timeout)
        else:
            raise psycopg2.OperationalError(f"bad state from poll: {state}")


def _give_up(conn, trip=None, prober: Prober | None = None) -> None:
    """Shut the socket (closing the connection here would deadlock on its lock), so
    libpq sees it gone and the pool discards it; then fail."""
    if trip is not None:
        trip(prober)
    try:
        duplicate = socket.fromfd(conn.fileno(), socket.AF_INET, socket.SOCK_STREAM)
        duplicate.shutdown(socket.SHUT_RDWR)  # the socket's, not just this descriptor's
        duplicate.close()
    except OSError:
        pass
    raise DatabaseHung("the database did not answer in time")
