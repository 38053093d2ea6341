"""What a shop may do about its grade (backend/grades/): appeal an inspection's grade,
publish a reply beside it, ask for a re-rating visit; the two work order categories
they are handled under; and what the public view shows of them on the shop row."""

from peewee import (
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    SmallIntegerField,
    TextField,
)

CATEGORIES = [
    ("grade_appeal", "等级复核", "市场监管", "商户对检查评定的等级申请复核", 1, 15),
    ("rerating", "复查评级", "市场监管", "商户整改后申请重新检查评级", 1, 60),
]


def _table(db, name):
    class Table(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = name

    return Table


def up(migrator, db):
    Shop, User = _table(db, "shop"), _table(db, "user")
    Inspection, Staff = _table(db, "inspection"), _table(db, "staff_account")
    WorkOrder = _table(db, "work_order")
    meta = {"database": db, "legacy_table_names": False}

    class GradeAppeal(Model):
        public_id = CharField(max_length=16, unique=True)
        inspection = ForeignKeyField(Inspection, unique=True, on_delete="RESTRICT")
        shop = ForeignKeyField(Shop, on_delete="RESTRICT")
        filed_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        reason = TextField()
        photos = TextField(default="[]")
        work_order = ForeignKeyField(WorkOrder, on_delete="RESTRICT")
        state = CharField(max_length=16, default="open", index=True)
        filed_at = DateTimeField()
        decided_by = ForeignKeyField(Staff, null=True, on_delete="RESTRICT")
        decided_at = DateTimeField(null=True)
        decision_note = TextField(null=True)
        corrected_score = SmallIntegerField(null=True)
        corrected_grade = CharField(max_length=1, null=True)

        Meta = type("Meta", (), meta)

    class ShopReply(Model):
        inspection = ForeignKeyField(Inspection, unique=True, on_delete="RESTRICT")
        shop = ForeignKeyField(Shop, on_delete="RESTRICT")
        author = ForeignKeyField(User, null=True, on_delete="SET NULL")
        text = TextField()
        published_at = DateTimeField()
        hidden_at = DateTimeField(null=True)
        hidden_by = ForeignKeyField(Staff, null=True, on_delete="RESTRICT")
        hidden_reason = CharField(max_length=16, null=True)
        hidden_note = TextField(null=True)

        Meta = type("Meta", (), meta)

    class RerateRequest(Model):
        public_id = CharField(max_length=16, unique=True)
        inspection = ForeignKeyField(Inspection, unique=True, on_delete="RESTRICT")
        shop = ForeignKeyField(Shop, on_delete="RESTRICT")
        requested_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        evidence = TextField()
        photos = TextField(default="[]")
        work_order = ForeignKeyField(WorkOrder, on_delete="RESTRICT")
        state = CharField(max_length=16, default="accepted", index=True)
        created_at = DateTimeField()
        due_on = DateField()
        visit = ForeignKeyField(Inspection, null=True, on_delete="RESTRICT")
        done_at = DateTimeField(null=True)

        Meta = type("Meta", (), meta)

    db.create_tables([GradeAppeal, ShopReply, RerateRequest])
    migrator.migrate(
        migrator.add_column("shop", "appeal_filed_on", DateField(null=True)),
        migrator.add_column("shop", "reply_text", TextField(null=True)),
        migrator.add_column("shop", "reply_on", DateField(null=True)),
    )

    class ServiceCategory(Model):
        code = CharField(max_length=32, unique=True)
        name = CharField(max_length=64)
        description = CharField(max_length=255)
        group = CharField(max_length=64)
        sign_working_days = IntegerField(default=1)
        resolve_working_days = IntegerField(default=15)

        Meta = type("Meta", (), {**meta, "table_name": "service_category"})

    ServiceCategory.insert_many(
        [
            {
                "code": code,
                "name": name,
                "group": group,
                "description": description,
                "sign_working_days": sign,
                "resolve_working_days": resolve,
            }
            for code, name, group, description, sign, resolve in CATEGORIES
        ]
    ).execute()


def down(migrator, db):
    ServiceCategory = _table(db, "service_category")
    ServiceCategory._meta.add_field("code", CharField())
    ServiceCategory.delete().where(ServiceCategory.code.in_([c[0] for c in CATEGORIES])).execute()
    migrator.migrate(
        migrator.drop_column("shop", "appeal_filed_on"),
        migrator.drop_column("shop", "reply_text"),
        migrator.drop_column("shop", "reply_on"),
        migrator.drop_table("rerate_request"),
        migrator.drop_table("shop_reply"),
        migrator.drop_table("grade_appeal"),
    )
