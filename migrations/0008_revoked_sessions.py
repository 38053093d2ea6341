"""Logins that have ended: an access token of one is refused until it would have expired."""

from peewee import CharField, DateTimeField, Model


def up(migrator, db):
    class RevokedSession(Model):
        sid = CharField(primary_key=True, max_length=32)
        revoked_at = DateTimeField()
        expires_at = DateTimeField(index=True)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "revoked_session"

    db.create_tables([RevokedSession])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("revoked_session"))
