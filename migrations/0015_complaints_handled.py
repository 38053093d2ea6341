"""A complaint about a shop is handled as a work order: it links to its order, records
when its regulator decided it, and keeps the shop's answer. Only a substantiated
complaint counts in the grade from now on; complaints made before stay "received",
counted no more, and a regulator finds them in the complaints list."""

from peewee import CharField, DateTimeField, ForeignKeyField, Model, TextField


def up(migrator, db):
    class WorkOrder(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "work_order"

    migrator.migrate(
        migrator.add_column(
            "complaint",
            "work_order_id",
            ForeignKeyField(WorkOrder, null=True, on_delete="RESTRICT", field=WorkOrder.id),
        ),
        migrator.add_column("complaint", "decided_at", DateTimeField(null=True)),
        migrator.add_column("complaint", "answer", TextField(null=True)),
        migrator.add_column("complaint", "answered_at", DateTimeField(null=True)),
        # "not_substantiated" is longer than the 16 characters a status had.
        migrator.alter_column_type("complaint", "status", CharField(max_length=20)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.alter_column_type("complaint", "status", CharField(max_length=16)),
        migrator.drop_column("complaint", "answered_at"),
        migrator.drop_column("complaint", "answer"),
        migrator.drop_column("complaint", "decided_at"),
        migrator.drop_column("complaint", "work_order_id"),
    )
