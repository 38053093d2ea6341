"""Subscribe messages WeChat failed to take are kept with what they said, to be sent again."""

from peewee import CharField, IntegerField, TextField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("notification", "data", TextField(null=True)),
        migrator.add_column("notification", "page", CharField(max_length=255, null=True)),
        migrator.add_column("notification", "attempts", IntegerField(default=1)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("notification", "attempts"),
        migrator.drop_column("notification", "page"),
        migrator.drop_column("notification", "data"),
    )
