"""Subscribe messages go through an outbox: written with the change that causes them,
delivered by the worker after the commit, retried with backoff, claimed while in hand.

The notification table becomes the outbox. A message that failed lately and was still
kept to be sent again (the old daily retry's rule: under 3 days old, under 5 tries) is
pending once more, due now, for the worker to take it; an older one keeps no text. The
table's indexes and constraints keep the names they were made with.
"""

from datetime import UTC, datetime, timedelta

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
    lately = now - timedelta(days=3)
    # db.param is the driver's placeholder ("?" or "%s"), not a value.
    revived = (
        "UPDATE outbox SET status = 'pending', next_attempt_at = {p} "
        "WHERE status = 'failed' AND data IS NOT NULL AND created_at >= {p} AND attempts < 5"
    )
    db.execute_sql(revived.format(p=db.param), (now, lately))
    db.execute_sql("UPDATE outbox SET data = NULL, page = NULL WHERE status = 'failed'")


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
