"""A consistent copy of the database, with the row counts of that very copy, and its restore:
SQLite through its online backup API, PostgreSQL through pg_dump under an exported snapshot.

Both work beside a running service: SQLite's backup API copies a consistent state however
many writers there are; pg_dump reads one snapshot, the one the counts were taken in.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import peewee as pw
import psycopg2
from psycopg2 import sql

from backend.migrate import HISTORY_TABLE

SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.dump"


class CopyFailed(Exception):
    """pg_dump or pg_restore did not finish, or the database cannot be copied at all."""


@dataclass(frozen=True)
class Copied:
    """What a copy holds: which engine wrote it, into which file, at which migration, and
    how many rows each table had in it."""

    engine: str
    file: str
    latest_migration: str | None
    tables: dict[str, int]


def engine_of(db: pw.Database) -> str:
    if isinstance(db, pw.PostgresqlDatabase):
        return "postgresql"
    if isinstance(db, pw.SqliteDatabase):
        return "sqlite"
    raise CopyFailed(f"cannot copy a {type(db).__name__}")


def copy(db: pw.Database, folder: Path) -> Copied:
    """The database into `folder`, and what the copy holds, counted in the copy itself."""
    if engine_of(db) == "sqlite":
        return _copy_sqlite(db, folder / SQLITE_FILE)
    return _copy_postgres(db, folder / POSTGRES_FILE)


def restore(db: pw.Database, source: Path, keep_tables: Iterable[str]) -> None:
    """Make the database `source`'s copy, whatever it held before. `keep_tables`: the
    tables the copy holds (PostgreSQL drops every other first, a newer migration's say,
    so the restored schema is the copy's and no more)."""
    if engine_of(db) == "sqlite":
        _restore_sqlite(db, source / SQLITE_FILE)
    else:
        _restore_postgres(db, source / POSTGRES_FILE, set(keep_tables))


def row_counts(db: pw.Database) -> dict[str, int]:
    """Rows per table of the database as it is now."""
    if engine_of(db) == "sqlite":
        with closing(_sqlite_connection(db)) as connection:
            return _sqlite_counts(connection)
    with closing(_postgres_connection(db)) as connection, connection.cursor() as cursor:
        return _postgres_counts(cursor)


def latest_migration(names: Iterable[str]) -> str | None:
    """The last migration of those applied, by the number each name starts with."""
    return max(names, key=lambda name: int(name.split("_", 1)[0]), default=None)


# -- SQLite -----------------------------------------------------------------------------
def _sqlite_connection(db: pw.SqliteDatabase) -> sqlite3.Connection:
    if db.database in ("", ":memory:"):
        raise CopyFailed("an in-memory SQLite database has no file to copy from or to")
    # A restore onto a new machine finds no instance folder yet.
    Path(db.database).parent.mkdir(parents=True, exist_ok=True)
    return sqlite3.connect(db.database, timeout=30)


def _copy_sqlite(db: pw.SqliteDatabase, target: Path) -> Copied:
    with closing(_sqlite_connection(db)) as source, closing(sqlite3.connect(target)) as copied:
        source.backup(copied)
        # One self-contained file: no write-ahead log beside it to lose on the way.
        copied.execute("PRAGMA journal_mode=DELETE")
        counts = _sqlite_counts(copied)
        migration = latest_migration(_sqlite_history(copied, counts))
    return Copied("sqlite", target.name, migration, counts)


def _sqlite_counts(connection: sqlite3.Connection) -> dict[str, int]:
    tables = [
        name
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    # The names come from the schema itself, quoted as identifiers.
    return {
        name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608
        for name in tables
    }


def _sqlite_history(connection: sqlite3.Connection, counts: dict[str, int]) -> list[str]:
    if HISTORY_TABLE not in counts:
        return []
    return [name for (name,) in connection.execute(f'SELECT name FROM "{HISTORY_TABLE}"')]  # noqa: S608


def _restore_sqlite(db: pw.SqliteDatabase, source: Path) -> None:
    # Through the backup API, not a file copy: the target's write-ahead log and every
    # other connection's view of it stay right.
    db.close()
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as copied,
        closing(_sqlite_connection(db)) as target,
    ):
        copied.backup(target)


# -- PostgreSQL -------------------------------------------------------------------------
def _parameters(db: pw.PostgresqlDatabase) -> dict:
    """Where the database is, as the app connects to it: name, host, port, user, password."""
    params = db.connect_params
    return {
        "dbname": db.database,
        "host": params.get("host"),
        "port": params.get("port"),
        "user": params.get("user"),
        "password": params.get("password"),
    }


def _postgres_connection(db: pw.PostgresqlDatabase):
    try:
        return psycopg2.connect(
            connect_timeout=10, **{k: v for k, v in _parameters(db).items() if v is not None}
        )
    except psycopg2.OperationalError as exc:  # libpq's words name no password
        raise CopyFailed(f"cannot connect to the database: {str(exc).strip()}") from None


# pg_dump or pg_restore of a district stopped after this: less than the daily backup's
# lease (backend/engine.py), so a hung database ends it before it is run again.
PROGRAM_SECONDS = 5 * 3600

# libpq's environment variable for each connection parameter.
_LIBPQ_VARIABLES = {
    "dbname": "PGDATABASE",
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
}


def _libpq_environment(db: pw.PostgresqlDatabase) -> dict[str, str]:
    """The app's connection for pg_dump and pg_restore, in libpq's variables over the
    process's own (PGSSLMODE and the like apply to them as to the app): the password
    never on a command line, where `ps` on the machine would show it."""
    given = {_LIBPQ_VARIABLES[k]: str(v) for k, v in _parameters(db).items() if v is not None}
    return {**os.environ, **given}


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise CopyFailed(f"{name} is not installed (PostgreSQL's client programs)")
    return found


def _run(db: pw.PostgresqlDatabase, *args: str) -> None:
    try:
        done = subprocess.run(
            args,
            env=_libpq_environment(db),
            capture_output=True,
            text=True,
            check=False,
            timeout=PROGRAM_SECONDS,
        )
    except subprocess.TimeoutExpired:
        raise CopyFailed(f"{Path(args[0]).name} took over {PROGRAM_SECONDS} s; stopped") from None
    if done.returncode != 0:
        program = Path(args[0]).name
        raise CopyFailed(f"{program} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _copy_postgres(db: pw.PostgresqlDatabase, target: Path) -> Copied:
    """Counts and dump from one snapshot: the counts' REPEATABLE READ transaction exports
    its snapshot and pg_dump reads that, while the transaction stays open."""
    with closing(_postgres_connection(db)) as connection:
        connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()
            counts = _postgres_counts(cursor)
            history = []
            if HISTORY_TABLE in counts:
                cursor.execute(sql.SQL("SELECT name FROM {}").format(sql.Identifier(HISTORY_TABLE)))
                history = [name for (name,) in cursor.fetchall()]
            _run(
                db,
                _program("pg_dump"),
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={target}",
                "--no-password",
            )
        connection.rollback()
    return Copied("postgresql", target.name, latest_migration(history), counts)


def _postgres_tables(cursor) -> list[str]:
    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    )
    return [name for (name,) in cursor.fetchall()]


def _postgres_counts(cursor) -> dict[str, int]:
    counts = {}
    for name in _postgres_tables(cursor):
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name)))
        counts[name] = cursor.fetchone()[0]
    return counts


def _restore_postgres(db: pw.PostgresqlDatabase, source: Path, keep: set[str]) -> None:
    # The app's pooled connections hold statements prepared against the tables dropped
    # here: none may be handed out again.
    db.close_all()
    with closing(_postgres_connection(db)) as connection:
        with connection.cursor() as cursor:
            extra = [name for name in _postgres_tables(cursor) if name not in keep]
            if extra:
                cursor.execute(
                    sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(
                        sql.SQL(", ").join(sql.Identifier(name) for name in extra)
                    )
                )
        connection.commit()
    _run(
        db,
        _program("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
        "--no-password",
        f"--dbname={db.database}",
        str(source),
    )
    db.close_all()
