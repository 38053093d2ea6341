"""The pairs of neighbouring characters of every shop's name and address, which the public
search finds shops through (backend/shops/search_index.py); filled for the shops there
are."""

from peewee import CharField, CompositeKey, ForeignKeyField, Model, chunked

from backend.shops.search_index import shop_grams


def up(migrator, db):
    class Shop(Model):
        name = CharField()
        address = CharField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "shop"

    class ShopGram(Model):
        gram = CharField(max_length=2)
        shop = ForeignKeyField(Shop, on_delete="CASCADE")

        class Meta:
            database = db
            legacy_table_names = False
            primary_key = CompositeKey("gram", "shop")
            indexes = ((("shop",), False),)

    db.create_tables([ShopGram])
    rows = (
        {"gram": gram, "shop": shop.id}
        for shop in Shop.select(Shop.id, Shop.name, Shop.address).iterator()
        for gram in shop_grams(shop.name, shop.address)
    )
    for batch in chunked(rows, 500):
        ShopGram.insert_many(batch).execute()


def down(migrator, db):
    migrator.migrate(migrator.drop_table("shop_gram"))
