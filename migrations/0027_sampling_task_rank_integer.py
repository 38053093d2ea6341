"""A sampling task's rank (its place in the draw) as a whole integer: a plan over a
district of a million shops draws tens of thousands, past a smallint's 32,767, and its
draw failed."""

from peewee import IntegerField, SmallIntegerField


def up(migrator, db):
    migrator.migrate(migrator.alter_column_type("sampling_task", "rank", IntegerField()))


def down(migrator, db):
    migrator.migrate(migrator.alter_column_type("sampling_task", "rank", SmallIntegerField()))
