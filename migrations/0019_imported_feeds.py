"""Records moved in from another city's LIVES feed: the feed, its businesses as our
shops, and the inspections it reported (backend/opendata/lives_import.py)."""

from peewee import (
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


def _table(db, name):
    class Table(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = name

    return Table


def up(migrator, db):
    Region, Shop = _table(db, "region"), _table(db, "shop")

    class ImportedFeed(Model):
        name = CharField(max_length=200, unique=True)
        region = ForeignKeyField(Region, on_delete="RESTRICT")
        feed_date = DateField()
        imported_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False

    class ImportedBusiness(Model):
        feed = ForeignKeyField(ImportedFeed, on_delete="RESTRICT")
        business_id = CharField(max_length=64)
        shop = ForeignKeyField(Shop, on_delete="RESTRICT")
        digest = CharField(max_length=64)

        class Meta:
            database = db
            legacy_table_names = False
            indexes = ((("feed", "business_id"), True),)

    class ImportedInspection(Model):
        shop = ForeignKeyField(Shop, on_delete="RESTRICT")
        business = ForeignKeyField(ImportedBusiness, on_delete="RESTRICT")
        date = DateField()
        score = IntegerField(null=True)
        type = CharField(max_length=16, null=True)
        description = CharField(max_length=500, null=True)
        violations = TextField(default="[]")
        digest = CharField(max_length=64)
        event_seq = IntegerField()

        class Meta:
            database = db
            legacy_table_names = False
            indexes = ((("business", "date"), True), (("shop", "date"), False))

    db.create_tables([ImportedFeed, ImportedBusiness, ImportedInspection])


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table("imported_inspection"),
        migrator.drop_table("imported_business"),
        migrator.drop_table("imported_feed"),
    )
