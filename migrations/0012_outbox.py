"""Subscribe messages go through an outbox: written with the change that causes them,
delivered by the worker after the commit, retried with backoff, claimed while in hand.

The notification table becomes the outbox. A message that failed and was still kept to be
sent again is pending once more, due now, for the worker to take it.
"""

from datetime import UTC, datetime

from peewee import CharField, DateTimeField


def up(migrator, db):
    migrator.migrate(
        migrator.rename_table("notification", "outbox"),
        migrator.add_column("outbox", "next_attempt_at", DateTimeField(null=True)),
        migrator.add_column("outbox", "claimed_until", DateTimeField(null=True)),
        migrator.add_column("outbox", "sent_at", DateTimeField(null=True)),
        migrator.add_column("outbox", "idempotency_key", CharField(max_length=128, null=True)),
        migrator.add_index("outbox", ("idempotency_key",), True),
        migrator.add_index("outbox", ("status", "next_attempt_at"), False),
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    db.execute_sql(
        "UPDATE outbox SET status = 'pending', next_attempt_at = %s "
        "WHERE status = 'failed' AND data IS NOT NULL".replace("%s", db.param),
        (now,),
    )


def down(migrator, db):
    db.execute_sql("UPDATE outbox SET status = 'failed' WHERE status = 'pending'")
    migrator.migrate(
        migrator.drop_index("outbox", "outbox_status_next_attempt_at"),
        migrator.drop_index("outbox", "outbox_idempotency_key"),
        migrator.drop_column("outbox", "idempotency_key"),
        migrator.drop_column("outbox", "sent_at"),
        migrator.drop_column("outbox", "claimed_until"),
        migrator.drop_column("outbox", "next_attempt_at"),
        migrator.rename_table("outbox", "notification"),
    )
