"""Creating requests sent again with their Idempotency-Key answer what the first one did."""

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "user"

    class IdempotentRequest(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        key = CharField(max_length=64)
        request_sha256 = CharField(max_length=64)
        status = IntegerField(null=True)
        body = TextField(null=True)
        created_at = DateTimeField(index=True)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "idempotent_request"
            indexes = ((("user", "key"), True),)

    db.create_tables([IdempotentRequest])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("idempotent_request"))
