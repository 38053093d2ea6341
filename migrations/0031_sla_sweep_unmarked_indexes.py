"""The SLA sweep's every-minute pass reads only the orders it still has to mark.

Through the (state, due_at) and (state, warn_at) indexes it read every timed order already
past its time, marked long ago, at each pass: 0.31 s a minute at a million shops, 28 times
its 0.011 s at 100,000. Two partial indexes hold only the orders not yet marked, so a pass
reads what is new. PostgreSQL only: SQLite uses a partial index only when the query spells
its condition out in literals, and peewee sends parameters.

A mark now moves the row out of an index, which leaves a dead entry there until VACUUM:
autovacuum is asked to come after 2 % of the orders changed, not the default 20 %, so that
a pass after a long pause (tens of thousands marked at once) is cleaned up within minutes.
The states are the sweep's TIMED_STATES, in its order, as PostgreSQL matches them."""

from peewee import PostgresqlDatabase

TIMED = "state IN ('dispatched', 'signed', 'in_progress')"
INDEXES = {
    "work_order_due_unmarked": f"(due_at) WHERE {TIMED} AND sla <> 'overdue'",
    "work_order_warn_unmarked": f"(warn_at) WHERE {TIMED} AND sla = 'on_time'",
}


def up(migrator, db):
    if not isinstance(db, PostgresqlDatabase):
        return
    for name, definition in INDEXES.items():
        db.execute_sql(f"CREATE INDEX IF NOT EXISTS {name} ON work_order {definition}")
    db.execute_sql("ALTER TABLE work_order SET (autovacuum_vacuum_scale_factor = 0.02)")


def down(migrator, db):
    if not isinstance(db, PostgresqlDatabase):
        return
    for name in INDEXES:
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")
    db.execute_sql("ALTER TABLE work_order RESET (autovacuum_vacuum_scale_factor)")
