"""Policies (政策找人): what is published and for whom, each recipient it reached and what
they answered, and the tags residents declared about themselves with their consent."""

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


def _table(db, name):
    class Table(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = name

    return Table


def up(migrator, db):
    Region, Department = _table(db, "region"), _table(db, "department")
    StaffAccount, User = _table(db, "staff_account"), _table(db, "user")
    Shop, OutboxMessage = _table(db, "shop"), _table(db, "outbox")

    class Policy(Model):
        public_id = CharField(max_length=16, unique=True)
        kind = CharField(max_length=16)
        title = CharField(max_length=100)
        body = TextField()
        region = ForeignKeyField(Region, on_delete="RESTRICT")
        region_path = CharField(max_length=255, index=True)
        department = ForeignKeyField(Department, null=True, on_delete="RESTRICT")
        issuer = CharField(max_length=100)
        target = CharField(max_length=16)
        audience = TextField()
        links = TextField(default="[]")
        attachments = TextField(default="[]")
        valid_from = DateField(null=True)
        valid_to = DateField(null=True)
        action_text = CharField(max_length=200, null=True)
        action_due = DateField(null=True)
        action_link = CharField(max_length=500, null=True)
        public = BooleanField(default=False)
        public_categories = CharField(max_length=500, null=True)
        status = CharField(max_length=16, default="draft", index=True)
        publish_at = DateTimeField(null=True)
        published_at = DateTimeField(null=True)
        withdrawn_at = DateTimeField(null=True)
        withdraw_reason = CharField(max_length=200, null=True)
        version = IntegerField(default=1)
        push_from_version = IntegerField(default=1)
        push_pending = BooleanField(default=False, index=True)
        created_by = ForeignKeyField(StaffAccount, on_delete="RESTRICT")
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False

    class PolicyDelivery(Model):
        policy = ForeignKeyField(Policy, on_delete="CASCADE")
        version = IntegerField()
        user = ForeignKeyField(User, on_delete="CASCADE")
        shop = ForeignKeyField(Shop, null=True, on_delete="CASCADE")
        region_path = CharField(max_length=255)
        category = CharField(max_length=32, null=True)
        message = ForeignKeyField(OutboxMessage, null=True, on_delete="SET NULL")
        pushed_at = DateTimeField()
        read_at = DateTimeField(null=True)
        answer = CharField(max_length=16, null=True)
        reason = CharField(max_length=16, null=True)
        note = CharField(max_length=200, null=True)
        answered_at = DateTimeField(null=True)

        class Meta:
            database = db
            legacy_table_names = False
            indexes = (
                (("policy", "version", "user", "shop"), True),
                (("user", "read_at"), False),
            )

    class ResidentTag(Model):
        user = ForeignKeyField(User, on_delete="CASCADE")
        tag = CharField(max_length=32)
        consent_version = CharField(max_length=16)
        consented_at = DateTimeField()
        withdrawn_at = DateTimeField(null=True)

        class Meta:
            database = db
            legacy_table_names = False
            indexes = ((("tag", "withdrawn_at", "user"), False),)

    db.create_tables([Policy, PolicyDelivery, ResidentTag])


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table("resident_tag"),
        migrator.drop_table("policy_delivery"),
        migrator.drop_table("policy"),
    )
