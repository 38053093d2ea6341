"""How long a process waits on PostgreSQL, and not waiting at all while it hangs.

A database that refuses a connection fails a request at once. One that hangs (a network
partition, a frozen host, a stuck volume) does not: libpq waits as long as the socket
stays open, and every worker thread ends up queued behind it. Statements still run as
libpq's blocking calls, the fastest way (waiting in Python's own poll loop instead cost
the scan a quarter of its throughput), but each is watched (`watched`): a thread of the
process's own (the watchdog) looks every SLICE seconds at the statements in flight. One
still waiting after `probe_after` seconds (a lock held by another request, a long report)
has the server asked, on a connection of its own (`Prober`, never blocking), whether it
answers at all. If it does, the statement may go on, up to `request` seconds in a request
(`background` in the worker and the commands); then the caller is let go. If the server does
not answer within `probe_after` seconds either, it hangs: every statement in flight has its socket
shut down, so its blocked call fails at once (a request answers 503), and the breaker
opens.

While the breaker is open no statement of this process waits on the database: each fails
at once, so threads do not pile up behind a hung server. A thread of its own asks the
server every `retry_interval` seconds and closes the breaker the moment it answers.
"""

from __future__ import annotations

import logging
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

log = logging.getLogger(__name__)

# How often the watchdog looks at the statements in flight.
SLICE = 0.1
# How long an answer from the server counts as proof it is not hung.
ALIVE_SECONDS = 0.5


@dataclass(frozen=True)
class Deadlines:
    connect: float = 2.0
    probe_after: float = 1.0
    request: float = 15.0
    background: float = 300.0
    retry_interval: float = 0.5


class DatabaseHung(psycopg2.OperationalError):
    """The database did not answer lately (the breaker is open)."""


def _poll(conn, deadline: float) -> None:
    """Drive an asynchronous connection until it is done; TimeoutError past `deadline`."""
    while True:
        state = conn.poll()
        if state == extensions.POLL_OK:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the database did not answer in time")
        if state == extensions.POLL_READ:
            select.select([conn.fileno()], [], [], remaining)
        else:
            select.select([], [conn.fileno()], [], remaining)


class Prober:
    """Asks the server whether it answers at all, on an asynchronous connection of its
    own that never blocks past its deadline."""

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
        if not self._lock.acquire(timeout=2 * _deadlines.probe_after):
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
        deadline = time.monotonic() + _deadlines.probe_after
        try:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
                _poll(self._conn, deadline)
            cursor = self._conn.cursor()
            cursor.execute("SELECT 1")
            _poll(self._conn, deadline)
            cursor.fetchone()
        except (psycopg2.Error, OSError, TimeoutError):
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
        # not trusted (nor pinged: a ping of a hung server would wait for the watchdog).
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
# The statements in flight, by thread: (connection, when it began, in a request).
_inflight: dict[int, tuple[extensions.connection, float, bool]] = {}
_watchdog: list = []  # its thread: one per process, started at the first statement


def configure(deadlines: Deadlines) -> None:
    """This process's waits on PostgreSQL, within these."""
    global _deadlines
    _deadlines = deadlines
    breaker.reset()  # a new database: nothing known against it


def watched(conn, run: Callable[[], object]):
    """`run()`, a blocking call on `conn`, in sight of the watchdog."""
    thread = threading.get_ident()
    _inflight[thread] = (conn, time.monotonic(), has_request_context())
    if not _watchdog:
        _start_watchdog()
    try:
        return run()
    finally:
        _inflight.pop(thread, None)


def _start_watchdog() -> None:
    thread = threading.Thread(target=_watch, name="citycode-db-watchdog", daemon=True)
    _watchdog[:] = [thread]
    thread.start()


# A fork (a gunicorn worker) has none of its parent's threads: it starts a watchdog of its own.
os.register_at_fork(after_in_child=_watchdog.clear)


def _watch() -> None:
    while True:
        time.sleep(SLICE)
        try:
            _look()
        except Exception:  # noqa: BLE001  the watchdog must outlive whatever it saw
            log.exception("the database watchdog failed a look; it looks again")


def _look() -> None:
    now = time.monotonic()
    for conn, started, in_request in list(_inflight.values()):
        waited = now - started
        if waited < _deadlines.probe_after or getattr(conn, "cut", False):
            continue
        if breaker.open:
            _cut(conn)
        elif waited >= (_deadlines.request if in_request else _deadlines.background):
            # A server that answers but not this statement in time: the caller is let go.
            # (libpq's cancel would hold every thread of the process while it waits.)
            _cut(conn)
        elif not conn.prober.alive():
            breaker.trip(conn.prober)
            for other, _, _ in list(_inflight.values()):
                _cut(other)


def _cut(conn) -> None:
    """Shut the socket a blocked call waits on (from this thread: closing the connection
    would wait for the call), so the call fails at once and the pool discards it."""
    conn.cut = True
    try:
        duplicate = socket.fromfd(conn.fileno(), socket.AF_INET, socket.SOCK_STREAM)
        duplicate.shutdown(socket.SHUT_RDWR)  # the socket's, not just this descriptor's
        duplicate.close()
    except (OSError, psycopg2.Error):
        pass
