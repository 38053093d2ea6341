"""A shop's lifecycle record: append-only, hash-chained events (see backend.lifecycle)."""

from __future__ import annotations

import peewee as pw

from backend.models.base import BaseModel, UTCDateTimeField
from backend.models.shops import Shop


class AppendOnly(Exception):
    """Raised on any attempt to change or remove a recorded event."""


class LifecycleEvent(BaseModel):
    shop = pw.ForeignKeyField(Shop, backref="events", on_delete="RESTRICT")
    seq = pw.IntegerField()
    type = pw.CharField(max_length=48)
    occurred_at = UTCDateTimeField()
    actor = pw.CharField(max_length=64)
    payload = pw.TextField()
    prev_hash = pw.CharField(max_length=64)
    hash = pw.CharField(max_length=64)

    class Meta:
        indexes = ((("shop", "seq"), True),)

    def save(self, *args, **kwargs):
        if self.id is not None:
            raise AppendOnly("lifecycle events are never updated")
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        raise AppendOnly("lifecycle events are never deleted")

    @classmethod
    def update(cls, *args, **kwargs):
        raise AppendOnly("lifecycle events are never updated")

    @classmethod
    def delete(cls, *args, **kwargs):
        raise AppendOnly("lifecycle events are never deleted")
