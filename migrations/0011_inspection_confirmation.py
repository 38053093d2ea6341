"""An inspection recorded away from the shop waits for an admin's confirmation.

The decision is a table of its own because an inspection row is never changed. An
inspection without a row counts as recorded on site, so every existing one stays counted.
"""

from peewee import (
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


def up(migrator, db):
    class Inspection(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "inspection"

    class StaffAccount(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "staff_account"

    class InspectionConfirmation(Model):
        inspection = ForeignKeyField(Inspection, unique=True, on_delete="RESTRICT")
        state = CharField(max_length=16, default="pending", index=True)
        rectify_by = DateField(null=True)
        requirements = TextField(null=True)
        decided_by = ForeignKeyField(StaffAccount, null=True, on_delete="RESTRICT")
        decided_at = DateTimeField(null=True)
        reason = TextField(null=True)
        event_seq = IntegerField(null=True)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "inspection_confirmation"

    db.create_tables([InspectionConfirmation])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("inspection_confirmation"))
