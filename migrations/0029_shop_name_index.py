"""An index on each shop's name: the public search lists shops by name, and through this
index a page of the first twenty is read by walking the names in order, where without it
every matching shop of the district was sorted first."""


def up(migrator, db):
    migrator.migrate(migrator.add_index("shop", ("name", "id"), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("shop", "shop_name_id"))
