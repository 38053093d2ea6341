"""The region tree (district → street → community) and the departments that work in it."""

from __future__ import annotations

import peewee as pw

from backend.models.base import BaseModel, UTCDateTimeField, created_now

LEVELS = ("district", "street", "community")


class Region(BaseModel):
    code = pw.CharField(max_length=32, unique=True)
    name = pw.CharField(max_length=100)
    level = pw.CharField(max_length=16)
    parent = pw.ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    # Ancestors' codes and its own, slash-terminated, e.g. "310104/310104003/";
    # "this region and below" is then one indexed prefix match.
    path = pw.CharField(max_length=255, index=True)
    # A community may admit residents who bound a phone without a cadre's review.
    auto_approve_bound_phone = pw.BooleanField(default=False)
    created_at = UTCDateTimeField(default=created_now)

    def covers(self, other_path: str) -> bool:
        return other_path.startswith(self.path)

    @staticmethod
    def path_for(parent: Region | None, code: str) -> str:
        return f"{parent.path if parent else ''}{code}/"


DEPARTMENT_KINDS = (
    "market_supervision",
    "street_office",
    "urban_management",
    "health",
    "fire_safety",
    "community_affairs",
)


class Department(BaseModel):
    name = pw.CharField(max_length=100)
    kind = pw.CharField(max_length=32)
    region = pw.ForeignKeyField(Region, backref="departments", on_delete="RESTRICT")
    created_at = UTCDateTimeField(default=created_now)
