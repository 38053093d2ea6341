"""Inspectors' qualification tags and the ones a plan's pool must hold; and a sampling
task's result publication (一公开): the day it is due (20 working days after the
inspection), when it was published, and the day the daily check found it late."""

from peewee import DateField, DateTimeField, TextField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("staff_account", "qualifications", TextField(default="[]")),
        migrator.add_column("sampling_plan", "qualifications", TextField(default="[]")),
        migrator.add_column("sampling_task", "publish_by", DateField(null=True)),
        migrator.add_column("sampling_task", "published_at", DateTimeField(null=True)),
        migrator.add_column("sampling_task", "published_late_on", DateField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("staff_account", "qualifications"),
        migrator.drop_column("sampling_plan", "qualifications"),
        migrator.drop_column("sampling_task", "publish_by"),
        migrator.drop_column("sampling_task", "published_at"),
        migrator.drop_column("sampling_task", "published_late_on"),
    )
