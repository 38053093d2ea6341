"""A change of a shop's registered name or address waits for an admin with what it proposes."""

from peewee import TextField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("shop_request", "changes", TextField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("shop_request", "changes"),
    )
