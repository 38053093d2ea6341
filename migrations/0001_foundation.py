"""People and places: users, refresh tokens, regions, departments, staff, shops.

Models here are frozen copies, independent of backend.models, so this file keeps
meaning what it meant when it was written.
"""

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


def up(migrator, db):
    class User(Model):
        openid = CharField(unique=True, max_length=64)
        unionid = CharField(index=True, null=True, max_length=64)
        session_key = CharField(null=True, max_length=64)
        phone = CharField(null=True, max_length=20)
        display_name = CharField(null=True, max_length=40)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        last_login_at = DateTimeField(null=True)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "user"

    db.create_tables([User])

    class Region(Model):
        code = CharField(unique=True, max_length=32)
        name = CharField(max_length=100)
        level = CharField(max_length=16)
        parent = ForeignKeyField("self", null=True, on_delete="RESTRICT")
        path = CharField(index=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "region"

    db.create_tables([Region])

    class Department(Model):
        name = CharField(max_length=100)
        kind = CharField(max_length=32)
        region = ForeignKeyField(Region, on_delete="RESTRICT")
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "department"

    db.create_tables([Department])

    class StaffAccount(Model):
        user = ForeignKeyField(User, unique=True, null=True, on_delete="SET NULL")
        name = CharField(max_length=40)
        phone = CharField(null=True, max_length=20)
        role = CharField(max_length=16)
        region = ForeignKeyField(Region, on_delete="RESTRICT")
        region_path = CharField(index=True)
        department = ForeignKeyField(Department, null=True, on_delete="SET NULL")
        active = BooleanField(default=True)
        created_by = ForeignKeyField("self", null=True, on_delete="SET NULL")
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "staff_account"

    db.create_tables([StaffAccount])

    class BindingCode(Model):
        staff = ForeignKeyField(StaffAccount, on_delete="CASCADE")
        code_hash = CharField(unique=True, max_length=64)
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "binding_code"

    db.create_tables([BindingCode])

    class RefreshToken(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        family = CharField(index=True, max_length=32)
        token_hash = CharField(unique=True, max_length=64)
        issued_at = DateTimeField()
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)
        revoked_at = DateTimeField(null=True)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "refresh_token"

    db.create_tables([RefreshToken])

    class Shop(Model):
        public_id = CharField(unique=True, max_length=16)
        name = CharField(max_length=100)
        credit_code = CharField(index=True, max_length=18)
        category = CharField(max_length=32)
        address = CharField(max_length=200)
        street = ForeignKeyField(Region, on_delete="RESTRICT")
        community = ForeignKeyField(Region, null=True, on_delete="RESTRICT")
        region_path = CharField(index=True)
        lat = DoubleField(null=True)
        lng = DoubleField(null=True)
        phone = CharField(null=True, max_length=20)
        opening_hours = CharField(null=True, max_length=100)
        description = TextField(null=True)
        status = CharField(index=True, max_length=16, default="pending")
        rating_count = IntegerField(default=0)
        rating_total = IntegerField(default=0)
        rating_histogram = CharField(max_length=64, default="0,0,0,0,0")
        last_inspection_at = DateTimeField(null=True)
        last_inspection_result = CharField(null=True, max_length=32)
        risk_grade = CharField(max_length=1, default="B")
        open_rectifications = IntegerField(default=0)
        lifecycle_seq = IntegerField(default=0)
        lifecycle_head = CharField(
            max_length=64,
            default="0000000000000000000000000000000000000000000000000000000000000000",
        )
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "shop"

    db.create_tables([Shop])

    class ShopMembership(Model):
        shop = ForeignKeyField(Shop, on_delete="CASCADE")
        user = ForeignKeyField(User, on_delete="CASCADE")
        role = CharField(max_length=16)
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "shop_membership"
            indexes = ((("shop", "user"), True),)

    db.create_tables([ShopMembership])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("shop_membership"))
    migrator.migrate(migrator.drop_table("shop"))
    migrator.migrate(migrator.drop_table("refresh_token"))
    migrator.migrate(migrator.drop_table("binding_code"))
    migrator.migrate(migrator.drop_table("staff_account"))
    migrator.migrate(migrator.drop_table("department"))
    migrator.migrate(migrator.drop_table("region"))
    migrator.migrate(migrator.drop_table("user"))
