"""Why a shop is suspended or closed, so its page can say so without reading its record."""

from peewee import CharField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("shop", "status_cause", CharField(max_length=32, null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("shop", "status_cause"),
    )
