"""The base model and the few field types every aggregate shares."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import peewee as pw

from backend import clock
from backend.db import database


class UTCDateTimeField(pw.DateTimeField):
    """Stored as naive UTC on both databases, read back timezone-aware."""

    def db_value(self, value):
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value):
        value = super().python_value(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class BaseModel(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False


def random_id(length: int = 12, alphabet: str = "23456789abcdefghjkmnpqrstuvwxyz") -> str:
    """A public id that says nothing about the row behind it."""
    return "".join(secrets.choice(alphabet) for _ in range(length))


# A row's place in the random order that estimates read a share of (policies.preview): the
# rows whose bucket is below b are a uniform sample of b / SAMPLE_BUCKETS of them.
SAMPLE_BUCKETS = 10_000


def sample_bucket() -> int:
    return secrets.randbelow(SAMPLE_BUCKETS)


def created_now():
    return clock.now()


# The head of a chain with no event yet, and the prev_hash of its first.
GENESIS_HASH = "0" * 64


class AppendOnly(Exception):
    """Raised on any attempt to change or remove a recorded event."""


class ChainedEvent(BaseModel):
    """An event of a hash chain (backend/chain.py): written once, never changed or removed."""

    seq = pw.IntegerField()
    type = pw.CharField(max_length=48)
    occurred_at = UTCDateTimeField()
    actor = pw.CharField(max_length=64)
    payload = pw.TextField()
    prev_hash = pw.CharField(max_length=64)
    hash = pw.CharField(max_length=64)

    def save(self, *args, **kwargs):
        if self.id is not None:
            raise AppendOnly("chained events are never updated")
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        raise AppendOnly("chained events are never deleted")

    @classmethod
    def update(cls, *args, **kwargs):
        raise AppendOnly("chained events are never updated")

    @classmethod
    def delete(cls, *args, **kwargs):
        raise AppendOnly("chained events are never deleted")
