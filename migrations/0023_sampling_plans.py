"""Random-sampling plans (backend/sampling): the list of items inspected (抽查事项清单,
filled with the district's four), the plans with their frozen lists and commitment, the
tasks they made and their teams, and the conflicts inspectors declared."""

from peewee import (
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    Model,
    SmallIntegerField,
    TextField,
)

ITEMS = [
    (
        "food_safety",
        "餐饮服务食品安全检查",
        "《中华人民共和国食品安全法》第一百一十条",
        "food_safety",
    ),
    ("drug_retail", "药品零售质量管理检查", "《中华人民共和国药品管理法》第九十九条", "pharmacy"),
    ("public_places", "公共场所卫生检查", "《公共场所卫生管理条例》第十四条", "public_places"),
    (
        "business_conduct",
        "经营行为规范检查",
        "《中华人民共和国市场主体登记管理条例》第三十五条",
        "general",
    ),
]


def _table(db, name):
    meta = type("Meta", (), {"database": db, "legacy_table_names": False, "table_name": name})
    return type(name, (Model,), {"Meta": meta})


def up(migrator, db):
    Region, Department = _table(db, "region"), _table(db, "department")
    Staff, Shop, Inspection = (
        _table(db, "staff_account"),
        _table(db, "shop"),
        _table(db, "inspection"),
    )
    meta = {"database": db, "legacy_table_names": False}

    class SamplingItem(Model):
        code = CharField(max_length=32, unique=True)
        name = CharField(max_length=100)
        legal_basis = CharField(max_length=255)
        template = CharField(max_length=32)

        Meta = type("Meta", (), meta)

    class SamplingPlan(Model):
        public_id = CharField(max_length=16, unique=True)
        title = CharField(max_length=100)
        region = ForeignKeyField(Region, on_delete="RESTRICT")
        region_path = CharField(max_length=255, index=True)
        items = TextField()
        categories = TextField(default="[]")
        ratios = TextField()
        department = ForeignKeyField(Department, null=True, on_delete="RESTRICT")
        team_size = SmallIntegerField(default=2)
        starts_on = DateField()
        ends_on = DateField()
        recusal_days = SmallIntegerField(default=365)
        state = CharField(max_length=16, default="draft", index=True)
        created_by = ForeignKeyField(Staff, on_delete="RESTRICT")
        created_at = DateTimeField()
        public_value_name = CharField(max_length=200, null=True)
        public_value = CharField(max_length=200, null=True)
        salt = CharField(max_length=64, null=True)
        commitment = CharField(max_length=64, null=True)
        frozen = TextField(null=True)
        committed_at = DateTimeField(null=True)
        drawn_at = DateTimeField(null=True)

        Meta = type("Meta", (), meta)

    class SamplingTask(Model):
        plan = ForeignKeyField(SamplingPlan, on_delete="RESTRICT")
        shop = ForeignKeyField(Shop, on_delete="RESTRICT")
        rank = SmallIntegerField()
        deadline = DateField()
        inspection = ForeignKeyField(Inspection, null=True, on_delete="RESTRICT")
        done_at = DateTimeField(null=True)

        Meta = type("Meta", (), {**meta, "indexes": ((("plan", "shop"), True),)})

    class SamplingTaskMember(Model):
        task = ForeignKeyField(SamplingTask, on_delete="CASCADE")
        staff = ForeignKeyField(Staff, on_delete="RESTRICT")

        Meta = type("Meta", (), {**meta, "indexes": ((("task", "staff"), True),)})

    class InspectorConflict(Model):
        staff = ForeignKeyField(Staff, on_delete="CASCADE")
        shop = ForeignKeyField(Shop, on_delete="CASCADE")
        reason = CharField(max_length=200)
        created_at = DateTimeField()

        Meta = type("Meta", (), {**meta, "indexes": ((("staff", "shop"), True),)})

    db.create_tables(
        [SamplingItem, SamplingPlan, SamplingTask, SamplingTaskMember, InspectorConflict]
    )
    SamplingItem.insert_many(
        [
            {"code": code, "name": name, "legal_basis": basis, "template": template}
            for code, name, basis, template in ITEMS
        ]
    ).execute()


def down(migrator, db):
    for table in (
        "inspector_conflict",
        "sampling_task_member",
        "sampling_task",
        "sampling_plan",
        "sampling_item",
    ):
        migrator.migrate(migrator.drop_table(table))
