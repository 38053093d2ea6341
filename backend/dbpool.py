"""The database a URL names: pooled PostgreSQL in production, SQLite by default; and how
the pool treats connections that died under it (a restart, a hang: backend/dbwait.py)."""

from __future__ import annotations

import math
import time
from urllib.parse import urlparse

import peewee as pw
import psycopg2
from playhouse.db_url import connect
from playhouse.pool import PooledPostgresqlDatabase
from psycopg2.extensions import TRANSACTION_STATUS_ACTIVE
from psycopg2.extensions import connection as _PsycopgConnection
from psycopg2.extensions import cursor as _PsycopgCursor

from backend import dbwait, metrics

# A pooled connection handed back this recently has just served a request: handing it out
# again needs no round trip to prove it is alive (see _Pool).
FRESH_SECONDS = 5.0

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
}

# A dead peer (a machine gone, a cable cut) is noticed by TCP keepalives on idle pooled
# connections in about 10 + 3 × 3 s, rather than at the next statement's deadline.
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 3,
    "keepalives_count": 3,
}
# No JIT compiling in our sessions: past a plan cost of 100,000 (a preview over a million
# shops) PostgreSQL spent 60 ms compiling a query that ran in 300, and none of ours runs
# long enough on expressions for the code to pay back.
SESSION_OPTIONS = "-c jit=off"


def make_database(
    url: str,
    pool_size: int = 8,
    server_prepare: bool = True,
    deadlines: dbwait.Deadlines | None = None,
    pool_timeout: float = 5.0,
) -> pw.Database:
    """A database for `url`: pooled PostgreSQL in production, SQLite by default.

    `server_prepare`: PostgreSQL plans each Prepared query once per connection
    (PREPARE/EXECUTE) instead of on every run; turn it off behind a connection pooler
    that cannot carry prepared statements between transactions. `pool_timeout`: how long
    a request waits for a pooled connection when every one is busy.
    """
    scheme = urlparse(url).scheme
    if scheme.startswith("postgres"):
        parsed = urlparse(url)
        deadlines = deadlines or dbwait.Deadlines()
        dbwait.configure(deadlines)
        return _Pool(
            parsed.path.lstrip("/"),
            user=parsed.username,
            password=parsed.password,
            host=parsed.hostname,
            port=parsed.port or 5432,
            max_connections=pool_size,
            stale_timeout=300,
            timeout=pool_timeout,
            server_prepare=server_prepare,
            connection_factory=_Connection,
            # libpq's own, in whole seconds, at least 2: it refuses anything shorter.
            connect_timeout=max(2, math.ceil(deadlines.connect)),
            options=SESSION_OPTIONS,
            **KEEPALIVES,
        )
    if scheme == "sqlite":
        # Threaded gunicorn workers and test threads share the handle across threads;
        # peewee keeps one connection per thread, so this is safe.
        return connect(url, pragmas=SQLITE_PRAGMAS, check_same_thread=False, timeout=10)
    raise ValueError(f"unsupported DATABASE_URL scheme: {scheme!r}")


class _Pool(PooledPostgresqlDatabase):
    """peewee's pool, without a round trip on every check-out, and with a second try for
    a read whose connection turned out dead.

    peewee pings a pooled connection (SELECT 1) each time it hands it out, which costs
    a short request more than its own queries. A connection given back less than
    FRESH_SECONDS ago, still idle by libpq's own account, is handed out as it is; one
    that sat longer is pinged as before. Should the server have restarted in between,
    the first statement finds the connection dead: a SELECT outside a transaction has
    changed nothing and runs again on a fresh one; anything else fails (503), since a
    write may have been done before the connection went.
    """

    def __init__(self, *args, server_prepare: bool = True, **kwargs):
        self._returned_at: dict[int, tuple[float, int]] = {}  # when, breaker generation
        self.server_prepare = server_prepare
        super().__init__(*args, **kwargs)
        self.prober = dbwait.Prober(self._probe_connection)

    def _probe_connection(self):
        params = {k: v for k, v in self.connect_params.items() if k != "connection_factory"}
        return psycopg2.connect(database=self.database, async_=True, **params)

    def connect(self, reuse_if_open=False):
        # Every pooled connection lent out: this one waits its turn, and says so.
        waiting = len(self._in_use) >= self._max_connections and self.is_closed()
        started = time.monotonic()
        try:
            return super().connect(reuse_if_open)
        finally:
            if waiting:
                metrics.POOL_WAITS.inc()
                metrics.POOL_WAIT_SECONDS.inc(time.monotonic() - started)
            metrics.POOL_IN_USE.set(len(self._in_use))

    def _connect(self):
        # Under peewee's lock, which a connect to a hung server holds for its whole
        # deadline: a thread let in before the breaker opened asks again once inside.
        with pw.__exception_wrapper__:  # a request answers 503 for it, as for any
            dbwait.breaker.check()
            started = time.monotonic()
            try:
                conn = super()._connect()
            except psycopg2.OperationalError:
                # Refused is quick; one that took the whole timeout met a hung server.
                if time.monotonic() - started >= self.connect_params["connect_timeout"] - 0.1:
                    dbwait.breaker.trip(self.prober)
                raise
        conn.prober = self.prober
        return conn

    def execute_sql(self, sql, params=None):
        with pw.__exception_wrapper__:
            dbwait.breaker.check()
        try:
            return super().execute_sql(sql, params)
        except (pw.OperationalError, pw.InterfaceError) as exc:
            if not self._may_run_again(sql, exc):
                raise
            self.close()
            return super().execute_sql(sql, params)

    def _may_run_again(self, sql: str, exc: Exception) -> bool:
        """A read that found its connection dead; not one the watchdog cut, which has had
        all the time it gets."""
        conn = self._state.conn
        return (
            conn is not None
            and not getattr(conn, "cut", False)
            and conn.closed != 0
            and not self.in_transaction()
            and sql.lstrip()[:6].upper() == "SELECT"
        )

    def _is_closed(self, conn):
        returned = self._returned_at.get(self.conn_key(conn))
        if returned is not None and returned[1] != dbwait.breaker.generation:
            self._close_raw(conn)
            return True
        if (
            returned is not None
            and time.monotonic() - returned[0] < FRESH_SECONDS
            and not conn.closed
            and self._adapter.txn_status(conn) == self._adapter.txn_idle
        ):
            return False
        return super()._is_closed(conn)

    def _close(self, conn, close_conn=False):
        # One handed back mid-statement or dead (a deadline passed) is not handed out again.
        if conn.closed or self._adapter.txn_status(conn) == TRANSACTION_STATUS_ACTIVE:
            close_conn = True
        if close_conn:
            self._returned_at.pop(self.conn_key(conn), None)
        else:
            self._returned_at[self.conn_key(conn)] = (time.monotonic(), dbwait.breaker.generation)
        try:
            return super()._close(conn, close_conn)
        finally:
            metrics.POOL_IN_USE.set(len(self._in_use))

    def _close_raw(self, conn):
        self._returned_at.pop(self.conn_key(conn), None)
        return super()._close_raw(conn)


class _WatchedCursor(_PsycopgCursor):
    """Each statement in sight of the watchdog (backend/dbwait.py)."""

    def execute(self, query, vars=None):
        return dbwait.watched(
            self.connection, lambda: super(_WatchedCursor, self).execute(query, vars)
        )


class _Connection(_PsycopgConnection):
    """A PostgreSQL connection that knows which Prepared queries it has planned, and
    whose every wait on the server the watchdog sees."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prepared: set[str] = set()
        self.cursor_factory = _WatchedCursor

    def commit(self):
        return dbwait.watched(self, super().commit)

    def rollback(self):
        return dbwait.watched(self, super().rollback)
