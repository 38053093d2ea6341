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


def created_now():
    return clock.now()
