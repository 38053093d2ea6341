"""Rows into PostgreSQL by COPY, loaded on a thread of its own: the bench makes the next
batch in Python while the server takes the last one, so seeding keeps both cores busy
(psycopg2 lets go of the GIL while it waits on the server).

Rows go as CSV, which the csv module writes in C: None is an empty field, which COPY
reads as NULL, and so would an empty string be (the bench writes none). A datetime must
be in UTC, as clock.now() gives it: PostgreSQL drops the zone written after a value for
a `timestamp without time zone`, and these hold naive UTC (UTCDateTimeField).
"""

from __future__ import annotations

import csv
import io
import queue
import threading

import peewee as pw
import psycopg2


class Table:
    """A model's table and the fields a batch fills, in the order of each row's values."""

    def __init__(self, model: type[pw.Model], fields: list[pw.Field]):
        self.model, self.fields = model, fields
        columns = ", ".join(f'"{field.column_name}"' for field in fields)
        self.sql = f'COPY "{model._meta.table_name}" ({columns}) FROM STDIN WITH (FORMAT csv)'

    def __repr__(self) -> str:
        return self.model._meta.table_name


def encode(rows: list[tuple]) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    return text.getvalue().encode()


class CopyStream:
    """One connection, one transaction: what was put is committed together when the
    `with` block ends without an error, or not at all. A COPY that failed on the loading
    thread is raised in the caller at its next `put`, or when the block ends."""

    def __init__(self, url: str):
        self.connection = psycopg2.connect(url)
        self.rows = 0
        self._batches: queue.Queue = queue.Queue(maxsize=2)
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._load, name="pg-copy", daemon=True)

    def __enter__(self) -> CopyStream:
        self._thread.start()
        return self

    def put(self, table: Table, rows: list[tuple]) -> None:
        if not rows:
            return
        self._raise_failure()
        self._batches.put((table.sql, encode(rows)))
        self.rows += len(rows)

    def _load(self) -> None:
        with self.connection.cursor() as cursor:
            while (batch := self._batches.get()) is not None:
                if self._failure is not None:
                    continue  # drained, so that the producer never blocks on a dead loader
                sql, data = batch
                try:
                    cursor.copy_expert(sql, io.BytesIO(data))
                except BaseException as exc:  # noqa: BLE001  raised again in the producer
                    self._failure = exc

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def __exit__(self, kind, error, trace) -> None:
        self._batches.put(None)
        self._thread.join()
        try:
            if error is None:
                self._raise_failure()
                self.connection.commit()
            else:
                self.connection.rollback()
        finally:
            self.connection.close()


def catch_up_sequences(db: pw.Database, models: list[type[pw.Model]]) -> None:
    """Rows written with their ids leave the id sequences behind; the app's next insert
    would collide without this."""
    for model in models:
        table = model._meta.table_name
        db.execute_sql(
            # noqa below: the table names come from the models, never from input.
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
            f'GREATEST(1, (SELECT MAX(id) FROM "{table}")))'
        )


class Counters:
    """The next id of each table, from its largest now: a batch gives its rows their ids,
    so that they can point at each other before the server has seen any of them."""

    def __init__(self, models: list[type[pw.Model]]):
        self._next = {m: (m.select(pw.fn.MAX(m.id)).scalar() or 0) + 1 for m in models}

    def take(self, model: type[pw.Model]) -> int:
        taken = self._next[model]
        self._next[model] = taken + 1
        return taken


# Multiplying by a number coprime with the size of the space (len(alphabet) ** length)
# is one-to-one within it: ids unique by construction, without a set of those made.
_SCRAMBLE = 2**61 - 1  # a prime, so coprime with 30 ** 10 (codes) and 31 ** 12 (public ids)


def scrambled(n: int, alphabet: str, length: int) -> str:
    """The `n`th of `len(alphabet) ** length` distinct strings, in an order that looks random."""
    base = len(alphabet)
    value = n * _SCRAMBLE % base**length
    letters = []
    for _ in range(length):
        value, digit = divmod(value, base)
        letters.append(alphabet[digit])
    return "".join(letters)
