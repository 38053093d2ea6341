"""The database a bench fills and throws away: a SQLite file in its working folder, or a
PostgreSQL database (named citycode_bench…, so nothing else is ever dropped) made anew for
the run and dropped after it; and the app settings every bench starts from."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from harness import BenchError

from backend.config import Config


def admin(url: str, *statements: str) -> None:
    """`statements` run on the server's `postgres` database, outside a transaction."""
    import psycopg2

    parsed = urlparse(url)
    conn = psycopg2.connect(
        dbname="postgres",
        user=parsed.username,
        password=parsed.password,
        host=parsed.hostname,
        port=parsed.port or 5432,
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        conn.close()


def bench_name(url: str) -> str:
    name = urlparse(url).path.lstrip("/")
    if not name.startswith("citycode_bench"):
        raise BenchError(
            f"refusing to drop and re-create {name!r}: the name must start with citycode_bench"
        )
    return name


def fresh(db: str, pg_url: str, work: Path) -> str:
    """The URL of an empty database for this run: `db` is "sqlite" or "postgres"."""
    if db != "postgres":
        return f"sqlite:///{work / 'bench.db'}"
    name = bench_name(pg_url)
    admin(pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    return pg_url


def drop(db: str, pg_url: str) -> None:
    """After the run: the pool's connections closed, and a PostgreSQL database dropped."""
    from backend.db import database

    if db == "postgres" and hasattr(database.obj, "close_all"):
        database.obj.close_all()
        admin(pg_url, f'DROP DATABASE IF EXISTS "{bench_name(pg_url)}" WITH (FORCE)')


def settings(url: str, work: Path, **overrides) -> Config:
    """The development settings on `url`, keys and uploads in `work`, logging warnings only."""
    return Config.from_env(
        **{
            "env": "development",
            "database_url": url,
            "upload_dir": str(work / "uploads"),
            "log_level": "WARNING",
            **overrides,
        }
    )
