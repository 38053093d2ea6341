"""Work orders: one record for every problem found, whatever raised it, routed by rules to
a department and followed on working-day deadlines; their hash-chained history; the
categories they are filed under (with each one's time to sign and to resolve); and the
daily counter that numbers them.
"""

from peewee import (
    CharField,
    DateField,
    DateTimeField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    Model,
    PostgresqlDatabase,
    TextField,
)

# (code, name, group, description, working days to sign, to resolve)
CATEGORIES = [
    ("environment", "环境卫生", "市容环境", "垃圾、污水、卫生死角", 1, 15),
    ("facilities", "公共设施", "市容环境", "路灯、井盖、健身器材等损坏", 1, 15),
    ("safety", "安全隐患", "公共安全", "楼道堆物、电动车违规充电等", 1, 15),
    ("noise", "噪音扰民", "社区事务", "施工、商铺、娱乐噪音", 1, 15),
    ("parking", "停车秩序", "社区事务", "乱停车、占用消防通道停车", 1, 15),
    ("street_vending", "占道经营", "市容环境", "店外占道经营、流动摊贩", 1, 15),
    ("litter", "暴露垃圾", "市容环境", "道路、绿地上的暴露垃圾", 1, 15),
    ("fire_lane", "消防通道堵塞", "公共安全", "消防通道、安全出口被占用", 1, 15),
    ("food_safety", "食品安全", "市场监管", "商户的食品安全问题", 1, 15),
    ("price", "价格问题", "市场监管", "商户明码标价、价格欺诈", 1, 15),
    ("licence", "证照问题", "市场监管", "无照经营、证照过期", 1, 15),
    ("service", "服务质量", "市场监管", "商户的服务质量问题", 1, 15),
    ("rectification_overdue", "整改逾期", "市场监管", "商户未按期完成整改", 1, 15),
    ("other", "其他", "其他", "其他问题", 1, 15),
]


def _table(db, name):
    class Table(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = name

    return Table


def up(migrator, db):
    Region, Department = _table(db, "region"), _table(db, "department")
    StaffAccount, User, Shop = _table(db, "staff_account"), _table(db, "user"), _table(db, "shop")

    class ServiceCategory(Model):
        code = CharField(max_length=32, unique=True)
        name = CharField(max_length=64)
        description = CharField(max_length=255)
        group = CharField(max_length=64)
        sign_working_days = IntegerField(default=1)
        resolve_working_days = IntegerField(default=15)

        class Meta:
            database = db
            legacy_table_names = False

    class RoutingRule(Model):
        category = ForeignKeyField(ServiceCategory, null=True, on_delete="CASCADE")
        region = ForeignKeyField(Region, on_delete="RESTRICT")
        region_path = CharField(max_length=255, index=True)
        department = ForeignKeyField(Department, on_delete="RESTRICT")
        created_by = ForeignKeyField(StaffAccount, null=True, on_delete="SET NULL")
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            indexes = ((("category", "region"), True),)

    class WorkOrder(Model):
        number = CharField(max_length=24, unique=True)
        source = CharField(max_length=16)
        category = ForeignKeyField(ServiceCategory, on_delete="RESTRICT")
        region = ForeignKeyField(Region, on_delete="RESTRICT")
        region_path = CharField(max_length=255, index=True)
        lat = DoubleField(null=True)
        lng = DoubleField(null=True)
        address = CharField(max_length=255, null=True)
        shop = ForeignKeyField(Shop, null=True, on_delete="RESTRICT")
        description = TextField()
        photos = TextField(default="[]")
        reporter = ForeignKeyField(User, null=True, on_delete="SET NULL")
        referred_by = ForeignKeyField(StaffAccount, null=True, on_delete="SET NULL")
        department = ForeignKeyField(Department, null=True, index=True, on_delete="RESTRICT")
        priority = CharField(max_length=8, default="normal")
        state = CharField(max_length=16, default="dispatched")
        due_at = DateTimeField(null=True)
        warn_at = DateTimeField(null=True)
        sla = CharField(max_length=8, default="on_time")
        sign_due_at = DateTimeField(null=True)
        resolve_due_at = DateTimeField(null=True)
        created_at = DateTimeField()
        dispatched_at = DateTimeField(null=True)
        signed_at = DateTimeField(null=True)
        resolved_at = DateTimeField(null=True)
        closed_at = DateTimeField(null=True)
        result = TextField(null=True)
        result_photos = TextField(null=True)
        rating = CharField(max_length=24, null=True)
        rating_comment = CharField(max_length=500, null=True)
        reopened = IntegerField(default=0)
        returned = IntegerField(default=0)
        supervised = IntegerField(default=0)
        extension_asked = IntegerField(null=True)
        merged_into = ForeignKeyField("self", null=True, on_delete="RESTRICT")
        lifecycle_seq = IntegerField(default=0)
        lifecycle_head = CharField(max_length=64, default="0" * 64)

        class Meta:
            database = db
            legacy_table_names = False
            indexes = ((("state", "due_at"), False), (("state", "warn_at"), False))

    class WorkOrderEvent(Model):
        order = ForeignKeyField(WorkOrder, on_delete="RESTRICT")
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
            indexes = ((("order", "seq"), True),)

    class DailyCounter(Model):
        name = CharField(max_length=16)
        day = DateField()
        last = IntegerField(default=0)

        class Meta:
            database = db
            legacy_table_names = False
            indexes = ((("name", "day"), True),)

    db.create_tables([ServiceCategory, RoutingRule, WorkOrder, WorkOrderEvent, DailyCounter])
    if isinstance(db, PostgresqlDatabase):
        # An order's row is rewritten at every step and by the SLA sweep, which changes no
        # indexed column: room left on each page lets PostgreSQL update it in place (HOT)
        # instead of writing every index again.
        db.execute_sql("ALTER TABLE work_order SET (fillfactor = 70)")
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
    for table in (
        "daily_counter",
        "work_order_event",
        "work_order",
        "routing_rule",
        "service_category",
    ):
        migrator.migrate(migrator.drop_table(table))
