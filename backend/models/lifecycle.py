"""A shop's lifecycle record: append-only, hash-chained events (see backend.lifecycle)."""

from __future__ import annotations

import peewee as pw

from backend.models.base import AppendOnly, ChainedEvent
from backend.models.shops import Shop

__all__ = ["AppendOnly", "LifecycleEvent"]


class LifecycleEvent(ChainedEvent):
    shop = pw.ForeignKeyField(Shop, backref="events", on_delete="RESTRICT")

    class Meta:
        table_name = "lifecycle_event"
        indexes = ((("shop", "seq"), True),)
