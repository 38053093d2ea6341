"""Inspections, findings, corrections, the rectification loop, and the audit log."""

from peewee import (
    BooleanField,
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


def up(migrator, db):
    class Shop(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "shop"

    class StaffAccount(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "staff_account"

    class Upload(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "upload"

    class User(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "user"

    class AuditEntry(Model):
        staff = ForeignKeyField(StaffAccount, null=True, on_delete="RESTRICT")
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        action = CharField(index=True, max_length=48)
        target_type = CharField(max_length=32)
        target_id = CharField(max_length=64)
        region_path = CharField(index=True)
        detail = TextField(default="{}")
        ip = CharField(null=True, max_length=64)
        request_id = CharField(null=True, max_length=64)
        at = DateTimeField(index=True)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "audit_entry"

    db.create_tables([AuditEntry])

    class Inspection(Model):
        public_id = CharField(unique=True, max_length=16)
        shop = ForeignKeyField(Shop, on_delete="RESTRICT")
        inspector = ForeignKeyField(StaffAccount, on_delete="RESTRICT")
        co_inspector = ForeignKeyField(StaffAccount, null=True, on_delete="RESTRICT")
        template = CharField(max_length=32)
        checklist = TextField()
        result = CharField(max_length=32)
        note = TextField(null=True)
        lat = DoubleField()
        lng = DoubleField()
        distance_m = IntegerField(null=True)
        far_away = BooleanField(default=False)
        proof_jti = CharField(unique=True, max_length=64)
        recorded_at = DateTimeField(index=True)
        digest = CharField(max_length=64)
        event_seq = IntegerField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "inspection"

    db.create_tables([Inspection])

    class Finding(Model):
        inspection = ForeignKeyField(Inspection, on_delete="RESTRICT")
        code = CharField(max_length=32)
        severity = CharField(max_length=16)
        note = TextField(null=True)
        photo = ForeignKeyField(Upload, null=True, on_delete="SET NULL")

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "finding"

    db.create_tables([Finding])

    class InspectionCorrection(Model):
        inspection = ForeignKeyField(Inspection, on_delete="RESTRICT")
        staff = ForeignKeyField(StaffAccount, on_delete="RESTRICT")
        note = TextField()
        corrected_result = CharField(null=True, max_length=32)
        event_seq = IntegerField()
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "inspection_correction"

    db.create_tables([InspectionCorrection])

    class RectificationOrder(Model):
        public_id = CharField(unique=True, max_length=16)
        shop = ForeignKeyField(Shop, on_delete="RESTRICT")
        inspection = ForeignKeyField(Inspection, on_delete="RESTRICT")
        status = CharField(index=True, max_length=16, default="open")
        deadline = DateField(index=True)
        requirements = TextField()
        overdue = BooleanField(default=False)
        created_at = DateTimeField()
        closed_at = DateTimeField(null=True)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "rectification_order"

    db.create_tables([RectificationOrder])

    class RectificationSubmission(Model):
        order = ForeignKeyField(RectificationOrder, on_delete="RESTRICT")
        submitted_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        text = TextField()
        photos = TextField(default="[]")
        created_at = DateTimeField()
        decision = CharField(null=True, max_length=16)
        decided_by = ForeignKeyField(StaffAccount, null=True, on_delete="RESTRICT")
        decided_at = DateTimeField(null=True)
        reason = TextField(null=True)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "rectification_submission"

    db.create_tables([RectificationSubmission])

    if isinstance(db, PostgresqlDatabase):
        db.execute_sql(
            "CREATE INDEX IF NOT EXISTS audit_entry_region_path_prefix "
            'ON "audit_entry" (region_path varchar_pattern_ops)'
        )


def down(migrator, db):
    db.execute_sql("DROP INDEX IF EXISTS audit_entry_region_path_prefix")
    migrator.migrate(migrator.drop_table("rectification_submission"))
    migrator.migrate(migrator.drop_table("rectification_order"))
    migrator.migrate(migrator.drop_table("inspection_correction"))
    migrator.migrate(migrator.drop_table("finding"))
    migrator.migrate(migrator.drop_table("inspection"))
    migrator.migrate(migrator.drop_table("audit_entry"))
