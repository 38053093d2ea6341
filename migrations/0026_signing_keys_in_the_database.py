"""The signing keys move from a folder on one machine into the database every instance
shares, their private parts sealed under the key-encryption key (backend/keys.py)."""

from peewee import BlobField, CharField, DateTimeField, Model


def up(migrator, db):
    class SealedKey(Model):
        kid = CharField(max_length=64, unique=True)
        purpose = CharField(max_length=16)
        created_at = DateTimeField()
        retired_at = DateTimeField(null=True)
        sealed = BlobField()

        class Meta:
            database = db
            table_name = "signing_key"

    db.create_tables([SealedKey])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("signing_key"))
