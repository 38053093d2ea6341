"""What the business registry said of a shop's credit code (backend/shops/registry_check.py):
on each registration or claim, and the last status on the shop with the day the daily
re-check last asked."""

from peewee import CharField, DateField, TextField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column(
            "shop_request", "registry_state", CharField(max_length=16, default="unverified")
        ),
        migrator.add_column("shop_request", "registry", TextField(null=True)),
        migrator.add_index("shop_request", ("registry_state",), False),
        migrator.add_column("shop", "registry_status", CharField(max_length=16, null=True)),
        migrator.add_column("shop", "registry_checked_on", DateField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("shop_request", "shop_request_registry_state"),
        migrator.drop_column("shop_request", "registry_state"),
        migrator.drop_column("shop_request", "registry"),
        migrator.drop_column("shop", "registry_status"),
        migrator.drop_column("shop", "registry_checked_on"),
    )
