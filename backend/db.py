"""The peewee database proxy, bound by the app factory; connect and close per request."""
from __future__ import annotations

from contextlib import contextmanager
from urllib.parse import urlparse

import peewee as pw
from playhouse.db_url import connect
from playhouse.pool import PooledPostgresqlDatabase

database = pw.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
}


def make_database(url: str, pool_size: int = 8) -> pw.Database:
    """A database for `url`: pooled PostgreSQL in production, SQLite by default."""
    scheme = urlparse(url).scheme
    if scheme.startswith("postgres"):
        parsed = urlparse(url)
        return PooledPostgresqlDatabase(
            parsed.path.lstrip("/"),
            user=parsed.username,
            password=parsed.password,
            host=parsed.hostname,
            port=parsed.port or 5432,
            max_connections=pool_size,
            stale_timeout=300,
            timeout=10,
        )
    if scheme == "sqlite":
        # Threaded gunicorn workers and test threads share the handle across threads;
        # peewee keeps one connection per thread, so this is safe.
        return connect(url, pragmas=SQLITE_PRAGMAS, check_same_thread=False, timeout=10)
    raise ValueError(f"unsupported DATABASE_URL scheme: {scheme!r}")


def bind(url: str, pool_size: int = 8) -> pw.Database:
    db = make_database(url, pool_size)
    database.initialize(db)
    return db


def is_sqlite() -> bool:
    return isinstance(database.obj, pw.SqliteDatabase)


def is_postgres() -> bool:
    return isinstance(database.obj, pw.PostgresqlDatabase)


@contextmanager
def write_transaction():
    """One unit of work that writes.

    SQLite takes the write lock up front (BEGIN IMMEDIATE) so two writers never
    both read and then deadlock upgrading; PostgreSQL relies on row locks.
    """
    if is_sqlite():
        with database.atomic("IMMEDIATE") as txn:
            yield txn
    else:
        with database.atomic() as txn:
            yield txn


def lock_for_update(query: pw.ModelSelect) -> pw.ModelSelect:
    """Row lock on PostgreSQL; SQLite's IMMEDIATE transaction already serialises writers."""
    return query.for_update() if is_postgres() else query


def init_app(app) -> None:
    bind(app.config["CITYCODE"].database_url, app.config["CITYCODE"].db_pool_size)

    @app.before_request
    def _connect():
        database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not database.is_closed():
            database.close()
