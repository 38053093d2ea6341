"""The peewee database proxy, bound by the app factory; connections kept across requests
(SQLite's per thread, PostgreSQL's in a pool); prepared SELECTs for the hottest paths."""

from __future__ import annotations

import inspect
import itertools
import re
from collections import namedtuple
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

import orjson
import peewee as pw

from backend import dbwait
from backend.dbpool import make_database

database = pw.DatabaseProxy()


def bind(url: str, pool_size: int = 8, server_prepare: bool = True, **waits) -> pw.Database:
    db = make_database(url, pool_size, server_prepare, **waits)
    database.initialize(db)
    return db


def is_sqlite() -> bool:
    return isinstance(database.obj, pw.SqliteDatabase)


def is_postgres() -> bool:
    return isinstance(database.obj, pw.PostgresqlDatabase)


# Something to write first in the next unit of work, with it or not at all (a request's
# Idempotency-Key, say): set by whoever needs it, taken by the first write_transaction.
first_write: ContextVar[Callable[[], None] | None] = ContextVar("first_write", default=None)


# What runs once the outermost write transaction has committed (see after_commit).
_committed: ContextVar[list[Callable[[], None]] | None] = ContextVar("committed", default=None)


@contextmanager
def write_transaction():
    """One unit of work that writes.

    SQLite takes the write lock up front (BEGIN IMMEDIATE) so two writers never
    both read and then deadlock upgrading; PostgreSQL relies on row locks.
    """
    outermost = not database.in_transaction()
    callbacks: list[Callable[[], None]] = []
    token = _committed.set(callbacks) if outermost else None
    try:
        with database.atomic("IMMEDIATE") if is_sqlite() else database.atomic() as txn:
            pending = first_write.get() if outermost else None
            if pending is not None:
                first_write.set(None)
                pending()
            yield txn
    finally:
        if token is not None:
            _committed.reset(token)
    for callback in callbacks:  # only reached once the transaction has committed
        callback()


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the write transaction in progress has committed, and never if
    it rolls back: what the transaction wrote is there for whatever `callback` starts."""
    callbacks = _committed.get()
    if callbacks is None:
        raise RuntimeError("after_commit must be called inside a write transaction")
    callbacks.append(callback)


# Row ids are PostgreSQL's 32-bit serials: a larger number names no row, and handed to
# the database it is an overflow (a 500), not a miss.
MAX_ID = 2**31 - 1


def page_of(query: pw.ModelSelect, page: int, page_size: int) -> list:
    """One page of the query's rows; a page far past any end is empty, not an overflow."""
    if page > MAX_ID:
        return []
    return list(query.paginate(page, page_size))


def json_rows(*columns) -> pw.Node:
    """An aggregate of the rows' `columns` as one JSON array of arrays: a list read in
    the statement that reads its owner."""
    if is_postgres():
        return pw.fn.json_agg(pw.fn.json_build_array(*columns))
    return pw.fn.json_group_array(pw.fn.json_array(*columns))


def rows_of(aggregated) -> list[list]:
    """The rows of a json_rows aggregate: SQLite hands it over as text, PostgreSQL's driver
    has already decoded it; no rows are NULL."""
    return orjson.loads(aggregated) if isinstance(aggregated, str) else (aggregated or [])


def stored_time(text: str) -> datetime:
    """A time inside a json_rows row, as the aggregate writes it (SQLite "2026-11-01
    08:00:00.5", PostgreSQL "2026-11-01T08:00:00.5"): UTC, without its zone."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def lock_for_update(
    query: pw.ModelSelect, of=None, *, let_references_in: bool = False
) -> pw.ModelSelect:
    """Row lock on PostgreSQL (only `of`'s rows, when a join reads others); SQLite's
    IMMEDIATE transaction already serialises writers.

    Lock order: a write that touches a shop's record takes the shop's row first and a
    child's (licence, order, rating, membership) after it, so two writes never wait on
    each other in a circle.

    `let_references_in`: rows being written elsewhere that refer to the locked one by
    foreign key do not wait for this lock (FOR NO KEY UPDATE); writers that lock the
    row itself still take turns with it.
    """
    if not is_postgres():
        return query
    mode = "FOR NO KEY UPDATE" if let_references_in else True
    return query.for_update(mode, of=of)


def lock_row(model: type[pw.Model], row_id: int) -> None:
    """Hold the row until the transaction ends, so writes that start here take turns
    (on PostgreSQL; SQLite's IMMEDIATE transaction already serialises every writer)."""
    lock_for_update(model.select(model.id).where(model.id == row_id)).first()


def end_request() -> None:
    """Hand the connection back after a request, with no transaction left open.

    PostgreSQL connections go back to the pool. A SQLite connection stays with its
    thread for the next request: opening one (connect, pragmas, reading the schema on
    the first statement) costs more than a whole public scan, and SQLite has no
    server that could drop it. Each request still starts outside any transaction.
    """
    if database.is_closed():
        return
    if is_sqlite():
        connection = database.connection()
        if connection.in_transaction:
            connection.rollback()
        return
    database.close()


class _Argument:
    """The n-th argument's place among a compiled query's parameters."""

    __slots__ = ("index", "converter")

    def __init__(self, index: int, converter):
        self.index, self.converter = index, converter


class _Slot(pw.Node):
    def __init__(self, index: int):
        self.index = index

    def __sql__(self, ctx):
        # The field on the other side of the comparison converts the value, as it would a
        # literal; it is kept so the value given at run time goes through it too.
        return ctx.value(_Argument(self.index, ctx.state.converter), converter=False)


class Prepared:
    """A SELECT whose SQL peewee writes once per kind of database; each run binds values.

    `build` takes placeholders for the arguments and returns the query. In peewee,
    writing a query's SQL, and working out from the cursor how its columns map onto
    models, each cost several times what SQLite or a local PostgreSQL takes to run it;
    for the few queries behind every scan and every authenticated request both are
    done once. PostgreSQL also plans it once per connection: planning a query with a
    few joins took it ten times as long as running it. Rows come back as the query's
    would: models with joined ones attached, or tuples, dicts, namedtuples.
    """

    def __init__(self, build: Callable[..., pw.ModelSelect]):
        self._build = build
        self._arity = len(inspect.signature(build).parameters)
        self._compiled: dict[type, _Compiled] = {}

    def all(self, *args) -> list:
        return self._compiled_for_here().run(args)

    def first(self, *args):
        rows = self.all(*args)
        return rows[0] if rows else None

    def records(self, *args) -> list:
        """The rows as named tuples of the driver's values, no field conversions: for a
        query whose columns mostly go out as they come, the conversions cost more than
        its run. Convert the few that need it with their field's python_value."""
        return self._compiled_for_here().run(args, records=True)

    def _compiled_for_here(self) -> _Compiled:
        kind = type(database.obj)
        compiled = self._compiled.get(kind)
        if compiled is None:
            query = self._build(*(_Slot(i) for i in range(self._arity)))
            compiled = self._compiled[kind] = _Compiled(query)
        return compiled


_statement_names = itertools.count(1)
_PLACEHOLDER = re.compile(r"%[s%]")


class _Compiled:
    def __init__(self, query: pw.ModelSelect):
        self.query = query
        self.sql, self.params = query.sql()
        self.reader = self.record = None
        self.name = self.prepare_sql = self.execute_sql = None
        if isinstance(database.obj, pw.PostgresqlDatabase):
            self.name = f"citycode_{next(_statement_names)}"
            self.prepare_sql = f"PREPARE {self.name} AS {_numbered(self.sql)}"
            self.execute_sql = (
                f"EXECUTE {self.name} ({', '.join(['%s'] * len(self.params))})"
                if self.params
                else f"EXECUTE {self.name}"
            )

    def run(self, args: tuple, records: bool = False) -> list:
        values = [_bind(p, args) if isinstance(p, _Argument) else p for p in self.params]
        cursor = database.execute_sql(self._statement(), values)
        try:
            if records:
                if self.record is None:
                    self.record = namedtuple("Record", [c[0] for c in cursor.description])
                return [self.record._make(row) for row in cursor.fetchall()]
            reader = self.reader
            if reader is None:
                # peewee's own row reader for this query, set up from the cursor's
                # description (the same for every run of the same SQL), kept without it.
                reader = self.query._get_cursor_wrapper(cursor)
                reader.initialize()
                reader.cursor = None
                self.reader = reader
            return [reader.process_row(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def _statement(self) -> str:
        if self.name is None or not getattr(database.obj, "server_prepare", False):
            return self.sql
        connection = database.connection()
        if self.name not in connection.prepared:
            # Not through peewee: PREPARE has no parameters of its own to interpolate.
            with connection.cursor() as cursor:
                cursor.execute(self.prepare_sql)
            connection.prepared.add(self.name)
        return self.execute_sql


def _numbered(sql: str) -> str:
    """psycopg2's %s placeholders as PostgreSQL's own $1, $2, … (and %% as %)."""
    numbers = itertools.count(1)
    return _PLACEHOLDER.sub(lambda m: "%" if m.group() == "%%" else f"${next(numbers)}", sql)


def _bind(argument: _Argument, args: tuple):
    value = args[argument.index]
    return argument.converter(value) if argument.converter else value


def init_app(app) -> None:
    settings = app.config["CITYCODE"]
    bind(
        settings.database_url,
        settings.db_pool_size,
        settings.db_server_prepare,
        deadlines=dbwait.Deadlines(
            connect=settings.db_connect_timeout,
            probe_after=settings.db_probe_after,
            request=settings.db_statement_timeout,
            background=settings.db_background_statement_timeout,
            retry_interval=settings.db_retry_interval,
        ),
        pool_timeout=settings.db_pool_timeout,
    )

    # No connection is opened before a request: peewee opens one at the first query, so
    # /healthz and the public key set answer while the database is away.
    @app.teardown_request
    def _end_request(exc):
        end_request()
