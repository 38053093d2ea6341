"""A shop's visible ratings, latest first, found through one index: every scan asks."""


def up(migrator, db):
    migrator.migrate(migrator.add_index("rating", ("shop_id", "status", "updated_at"), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("rating", "rating_shop_id_status_updated_at"))
