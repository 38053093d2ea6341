"""Keys for the systems that call us (cameras sending events, Open311 clients), kept as
hashes; the events devices send, once per their own id; and the token an Open311 client
may follow its request by, and the picture its user linked."""

from peewee import CharField, DateTimeField, DoubleField, ForeignKeyField, Model


def _table(db, name):
    class Table(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = name

    return Table


def up(migrator, db):
    Region, WorkOrder = _table(db, "region"), _table(db, "work_order")

    class ClientKey(Model):
        kind = CharField(max_length=16)
        name = CharField(max_length=64)
        region = ForeignKeyField(Region, on_delete="RESTRICT")
        key_hash = CharField(max_length=64, unique=True)
        created_at = DateTimeField()
        revoked_at = DateTimeField(null=True)

        class Meta:
            database = db
            legacy_table_names = False
            indexes = ((("kind", "name"), True),)

    class DeviceEvent(Model):
        device = ForeignKeyField(ClientKey, on_delete="RESTRICT")
        event_id = CharField(max_length=64)
        type = CharField(max_length=32)
        status = CharField(max_length=16)
        lat = DoubleField()
        lng = DoubleField()
        occurred_at = DateTimeField()
        order = ForeignKeyField(WorkOrder, null=True, on_delete="RESTRICT")
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            indexes = ((("device", "event_id"), True),)

    db.create_tables([ClientKey, DeviceEvent])
    migrator.migrate(
        migrator.add_column("work_order", "open311_token", CharField(max_length=32, null=True)),
        migrator.add_column("work_order", "media_url", CharField(max_length=500, null=True)),
        migrator.add_index("work_order", ("open311_token",), True),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("work_order", "work_order_open311_token"),
        migrator.drop_column("work_order", "open311_token"),
        migrator.drop_column("work_order", "media_url"),
        migrator.drop_table("device_event"),
        migrator.drop_table("client_key"),
    )
