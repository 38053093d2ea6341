"""A resident's report (随手拍) becomes a work order when it is filed: the report keeps a
link to it, and follows its status. A community that handles a report itself (自行处置)
is marked on the order. Reports filed before keep their own status, as they were."""

from peewee import BooleanField, ForeignKeyField, Model


def up(migrator, db):
    class WorkOrder(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "work_order"

    migrator.migrate(
        migrator.add_column(
            "report",
            "work_order_id",
            ForeignKeyField(WorkOrder, null=True, on_delete="RESTRICT", field=WorkOrder.id),
        ),
        migrator.add_column("work_order", "self_handled", BooleanField(default=False)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("work_order", "self_handled"),
        migrator.drop_column("report", "work_order_id"),
    )
