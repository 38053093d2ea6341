"""Records moved in from another city's LIVES feed: which feed, which of its businesses
became which shop, and the inspections it reported, kept apart from our own inspections
(an imported one has no inspector, no checklist and no scan behind it)."""

from __future__ import annotations

import peewee as pw

from backend.models.base import BaseModel, UTCDateTimeField, created_now
from backend.models.regions import Region
from backend.models.shops import Shop


class ImportedFeed(BaseModel):
    """A feed by its publisher's name (feed_info's municipality_name): a newer feed of
    the same name updates what an older one brought; an older one is refused."""

    name = pw.CharField(max_length=200, unique=True)
    region = pw.ForeignKeyField(Region, on_delete="RESTRICT")
    feed_date = pw.DateField()
    imported_at = UTCDateTimeField(default=created_now)


class ImportedBusiness(BaseModel):
    feed = pw.ForeignKeyField(ImportedFeed, backref="businesses", on_delete="RESTRICT")
    business_id = pw.CharField(max_length=64)
    shop = pw.ForeignKeyField(Shop, backref="imported_as", on_delete="RESTRICT")
    # SHA-256 of the business as the feed said it: a re-import of the same row changes nothing.
    digest = pw.CharField(max_length=64)

    class Meta:
        indexes = ((("feed", "business_id"), True),)


class ImportedInspection(BaseModel):
    """One inspection a feed reported, keyed as LIVES keys it: (business, date)."""

    shop = pw.ForeignKeyField(Shop, backref="imported_inspections", on_delete="RESTRICT")
    business = pw.ForeignKeyField(ImportedBusiness, on_delete="RESTRICT")
    date = pw.DateField()
    score = pw.IntegerField(null=True)
    type = pw.CharField(max_length=16, null=True)
    description = pw.CharField(max_length=500, null=True)
    # [{code, description}], one line each, as the feed's violations.csv had them.
    violations = pw.TextField(default="[]")
    digest = pw.CharField(max_length=64)
    event_seq = pw.IntegerField()

    class Meta:
        indexes = ((("business", "date"), True), (("shop", "date"), False))
