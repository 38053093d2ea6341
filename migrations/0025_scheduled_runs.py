"""The engine's periodic runs, one per task and moment of its schedule across every
worker (backend/schedule.py)."""

from peewee import CharField, DateTimeField, Model


def up(migrator, db):
    class ScheduledRun(Model):
        task = CharField(max_length=64)
        slot = DateTimeField()
        holder = CharField(max_length=100)
        lease_until = DateTimeField()
        finished_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "scheduled_run"
            indexes = ((("task", "slot"), True), (("finished_at", "lease_until"), False))

    db.create_tables([ScheduledRun])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("scheduled_run"))
