"""Shop codes, licences, employees, honours, uploads, requests, invites, notifications,
lifecycle events."""

from peewee import (
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    PostgresqlDatabase,
    TextField,
)


def up(migrator, db):
    class Region(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "region"

    class Shop(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "shop"

    class User(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "user"

    class Employee(Model):
        public_id = CharField(unique=True, max_length=16)
        shop = ForeignKeyField(Shop, on_delete="CASCADE")
        name = CharField(max_length=40)
        position = CharField(null=True, max_length=40)
        health_cert_number = CharField(max_length=40)
        health_cert_expires = DateField(index=True)
        expired_noted_for = DateField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "employee"

    db.create_tables([Employee])

    class Upload(Model):
        public_id = CharField(unique=True, max_length=32)
        shop = ForeignKeyField(Shop, on_delete="CASCADE")
        uploaded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        content_type = CharField(max_length=32)
        size = IntegerField()
        sha256 = CharField(max_length=64)
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "upload"

    db.create_tables([Upload])

    class Honour(Model):
        public_id = CharField(unique=True, max_length=16)
        shop = ForeignKeyField(Shop, on_delete="CASCADE")
        title = CharField(max_length=100)
        issuer = CharField(max_length=100)
        awarded_on = DateField(null=True)
        photo = ForeignKeyField(Upload, null=True, on_delete="SET NULL")
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "honour"

    db.create_tables([Honour])

    class Licence(Model):
        public_id = CharField(unique=True, max_length=16)
        shop = ForeignKeyField(Shop, on_delete="CASCADE")
        type = CharField(max_length=32)
        number = CharField(max_length=64)
        issuer = CharField(max_length=100)
        valid_from = DateField()
        valid_to = DateField(index=True)
        scope = CharField(null=True, max_length=300)
        photo = ForeignKeyField(Upload, null=True, on_delete="SET NULL")
        verified_at = DateTimeField(null=True)
        expiring_noted_for = DateField(null=True)
        expired_noted_for = DateField(null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "licence"

    db.create_tables([Licence])

    class LifecycleEvent(Model):
        shop = ForeignKeyField(Shop, on_delete="RESTRICT")
        seq = IntegerField()
        type = CharField(max_length=48)
        occurred_at = DateTimeField()
        actor = CharField(max_length=64)
        payload = TextField()
        prev_hash = CharField(max_length=64)
        hash = CharField(max_length=64)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "lifecycle_event"
            indexes = ((("shop", "seq"), True),)

    db.create_tables([LifecycleEvent])

    class ShopCode(Model):
        code = CharField(unique=True, max_length=16)
        kind = CharField(max_length=16, default="shop")
        shop = ForeignKeyField(Shop, null=True, on_delete="CASCADE")
        region = ForeignKeyField(Region, null=True, on_delete="CASCADE")
        revoked_at = DateTimeField(null=True)
        issued_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "shop_code"

    db.create_tables([ShopCode])

    class ShopInvite(Model):
        shop = ForeignKeyField(Shop, on_delete="CASCADE")
        code_hash = CharField(unique=True, max_length=64)
        created_by = ForeignKeyField(User, on_delete="CASCADE")
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "shop_invite"

    db.create_tables([ShopInvite])

    class ShopRequest(Model):
        kind = CharField(max_length=16)
        shop = ForeignKeyField(Shop, on_delete="CASCADE")
        user = ForeignKeyField(User, on_delete="CASCADE")
        status = CharField(index=True, max_length=16, default="pending")
        note = CharField(null=True, max_length=300)
        decided_by = IntegerField(null=True)
        decided_at = DateTimeField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "shop_request"

    db.create_tables([ShopRequest])

    class Notification(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        shop = ForeignKeyField(Shop, null=True, on_delete="CASCADE")
        template = CharField(max_length=64)
        subject = CharField(max_length=64)
        status = CharField(max_length=16)
        errcode = IntegerField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "notification"

    db.create_tables([Notification])

    if isinstance(db, PostgresqlDatabase):
        # Scope is a prefix match on region_path; LIKE 'prefix%' needs pattern ops to use
        # an index under PostgreSQL's locale-aware collation.
        for table in ("shop", "staff_account"):
            db.execute_sql(
                f"CREATE INDEX IF NOT EXISTS {table}_region_path_prefix "
                f'ON "{table}" (region_path varchar_pattern_ops)'
            )


def down(migrator, db):
    for table in ("shop", "staff_account"):
        db.execute_sql(f"DROP INDEX IF EXISTS {table}_region_path_prefix")
    migrator.migrate(migrator.drop_table("notification"))
    migrator.migrate(migrator.drop_table("shop_request"))
    migrator.migrate(migrator.drop_table("shop_invite"))
    migrator.migrate(migrator.drop_table("shop_code"))
    migrator.migrate(migrator.drop_table("lifecycle_event"))
    migrator.migrate(migrator.drop_table("licence"))
    migrator.migrate(migrator.drop_table("honour"))
    migrator.migrate(migrator.drop_table("upload"))
    migrator.migrate(migrator.drop_table("employee"))
