"""Subscribe messages through the outbox: written with the change that causes them, sent by
the worker after the commit, and how WeChat answered each.

At least once: a message is marked sent in its own transaction after WeChat takes it, so a
worker killed in between sends it again when the message's claim runs out. A user with no
subscription left (43101) is a normal outcome, "refused", and final. WeChat being down,
busy or limiting our rate is tried again later, with backoff, until the last try: then
"failed", with WeChat's last errcode. A final message keeps no text: it can hold a
resident's words.
"""

from __future__ import annotations

import json
import logging
import random
from datetime import datetime, timedelta

import peewee as pw
from flask import current_app

from backend import clock, queued, scope, wechat
from backend.db import database, write_transaction
from backend.models import OutboxMessage, Shop, ShopMembership, StaffAccount, User
from backend.models.shops import FINAL_OUTBOX_STATUSES, OUTBOX_STATUSES

log = logging.getLogger(__name__)

# How long a worker holds a message it is sending; longer than WeChat's timeout.
CLAIM = timedelta(seconds=60)
# A message due this long with no worker on it has lost its task: the pick-up sends it.
LOST_AFTER = timedelta(minutes=2)
FIRST_RETRY_SECONDS = 30
LONGEST_RETRY_SECONDS = 3600
# WeChat's answer when the app sends faster than its quota allows: wait longer.
FREQUENCY_LIMITED = {45009, 45011, 45047}
# A final message is kept this long, for a user who says they were never told; its
# idempotency key then stops guarding against writing it again.
FINAL_KEPT = timedelta(days=180)


def shop_owners(shop: Shop) -> list[User]:
    return list(
        User.select()
        .join(ShopMembership)
        .where((ShopMembership.shop == shop) & (ShopMembership.role == "owner"))
    )


def send(
    user: User,
    shop: Shop | None,
    template: str,
    subject: str,
    data: dict,
    page: str | None = None,
    key: str | None = None,
) -> OutboxMessage | None:
    """Put a message in the outbox, in the caller's write transaction: it exists if and only
    if the change it tells of does, and is delivered once that has committed. `key` makes
    the same message, written again, one message (None is then returned)."""
    if not database.in_transaction():
        raise RuntimeError("a message is written in the transaction of the change it tells of")
    if key is not None and OutboxMessage.select().where(OutboxMessage.idempotency_key == key):
        return None
    message = OutboxMessage.create(
        user=user,
        shop=shop,
        template=template,
        subject=subject,
        data=json.dumps(data, ensure_ascii=False),
        page=page,
        next_attempt_at=clock.now(),
        idempotency_key=key,
    )
    # With the queue down the message waits in the outbox for the worker's pick-up, and
    # the request still succeeds.
    queued.ask_after_commit("deliver", message.id)
    return message


def send_many(
    recipients: pw.SelectQuery,
    template: str,
    subject: str,
    data: dict,
    page: str | None,
    key: pw.Node,
) -> None:
    """`send` for each (user, shop) row `recipients` selects, in one INSERT … SELECT in
    the caller's write transaction; `key`, an expression over the same rows, keys each
    message. Asking the engine to deliver them, in batches, is the caller's part."""
    if not database.in_transaction():
        raise RuntimeError("a message is written in the transaction of the change it tells of")
    now = OutboxMessage.created_at.db_value(clock.now())
    rows = recipients.select_extend(
        pw.Value(template),
        pw.Value(subject),
        pw.Value("pending"),
        pw.Value(now),
        pw.Value(json.dumps(data, ensure_ascii=False)),
        pw.Value(page),
        pw.Value(0),
        pw.Value(now),
        key,
    )
    fields = [
        OutboxMessage.user,
        OutboxMessage.shop,
        OutboxMessage.template,
        OutboxMessage.subject,
        OutboxMessage.status,
        OutboxMessage.created_at,
        OutboxMessage.data,
        OutboxMessage.page,
        OutboxMessage.attempts,
        OutboxMessage.next_attempt_at,
        OutboxMessage.idempotency_key,
    ]
    OutboxMessage.insert_from(rows, fields).execute()


def withdraw(message_ids: pw.SelectQuery) -> None:
    """The messages `message_ids` selects that are not sent yet are never sent; their text
    goes with them."""
    OutboxMessage.update(status="withdrawn", data=None, page=None).where(
        OutboxMessage.id.in_(message_ids) & (OutboxMessage.status == "pending")
    ).execute()


def notify_owners(
    shop: Shop, template: str, subject: str, data: dict, page: str | None = None
) -> list[OutboxMessage]:
    return [send(owner, shop, template, subject, data, page) for owner in shop_owners(shop)]


# -- delivery, in the worker ------------------------------------------------------------
def deliver(message_id: int) -> tuple[str, float | None]:
    """Try to send one message: its status after the try, and in how many seconds to try
    again (None: it is final, or another worker holds it)."""
    message = _claim(message_id)
    if message is None:
        return "skipped", None
    settings = current_app.config["CITYCODE"]
    client: wechat.WeChatClient = current_app.extensions["citycode.wechat"]
    current_app.extensions["citycode.wechat_pace"].wait()
    try:
        client.send_subscribe_message(
            message.user.openid,
            message.template,
            json.loads(message.data),
            page=message.page,
            miniprogram_state=settings.wechat_miniprogram_state,
        )
    except wechat.SubscriptionRefused as exc:
        return _final(message, "refused", exc.errcode), None
    except wechat.WeChatError as exc:
        log.warning(
            "subscribe message not sent",
            extra={"subject": message.subject, "errcode": exc.errcode},
        )
        retryable = isinstance(exc, wechat.WeChatUnavailable) or exc.errcode in FREQUENCY_LIMITED
        if not retryable or message.attempts >= settings.message_attempts:
            return _final(message, "failed", exc.errcode), None
        return "pending", _later(message, exc.errcode)
    return _final(message, "sent", None), None


def _claim(message_id: int) -> OutboxMessage | None:
    """The message, now this worker's to send for CLAIM, with its try counted; None when it
    is final, gone, or another worker holds it."""
    now = clock.now()
    with write_transaction():
        claimed = (
            OutboxMessage.update(claimed_until=now + CLAIM, attempts=OutboxMessage.attempts + 1)
            .where(
                (OutboxMessage.id == message_id)
                & (OutboxMessage.status == "pending")
                # A second task for a message waiting out its backoff does nothing.
                & (OutboxMessage.next_attempt_at <= now)
                & (OutboxMessage.claimed_until.is_null() | (OutboxMessage.claimed_until < now))
            )
            .execute()
        )
    if not claimed:
        return None
    return (
        OutboxMessage.select(OutboxMessage, User)
        .join(User)
        .where(OutboxMessage.id == message_id)
        .get()
    )


def _final(message: OutboxMessage, status: str, errcode: int | None) -> str:
    with write_transaction():
        OutboxMessage.update(
            status=status,
            errcode=errcode,
            data=None,
            page=None,
            claimed_until=None,
            sent_at=clock.now() if status == "sent" else None,
        ).where(OutboxMessage.id == message.id).execute()
    return status


def _later(message: OutboxMessage, errcode: int | None) -> float:
    """Backoff: 30 s doubling with each try, up to an hour, with a fifth either way of jitter
    so that messages failed together are not tried again together; longer when WeChat
    said we send too fast."""
    base = FIRST_RETRY_SECONDS * 2 ** (message.attempts - 1)
    if errcode in FREQUENCY_LIMITED:
        base *= 4
    delay = min(base, LONGEST_RETRY_SECONDS) * random.uniform(0.8, 1.2)  # noqa: S311
    with write_transaction():
        OutboxMessage.update(
            errcode=errcode,
            claimed_until=None,
            next_attempt_at=clock.now() + timedelta(seconds=delay),
        ).where(OutboxMessage.id == message.id).execute()
    return delay


def due(limit: int = 1000) -> list[int]:
    """Messages whose task was lost (a crash between commit and enqueue, a queue emptied):
    due a while ago and held by no worker. One due just now still has its task on the
    queue, and is left to it."""
    now = clock.now()
    return [
        row.id
        for row in OutboxMessage.select(OutboxMessage.id)
        .where(
            (OutboxMessage.status == "pending")
            & (OutboxMessage.next_attempt_at <= now - LOST_AFTER)
            & (OutboxMessage.claimed_until.is_null() | (OutboxMessage.claimed_until < now))
        )
        .order_by(OutboxMessage.next_attempt_at)
        .limit(limit)
    ]


def purge(now: datetime) -> int:
    """Delete the messages final for FINAL_KEPT (sent, refused, failed or withdrawn);
    pending ones stay, however old, until the worker takes them."""
    final = OutboxMessage.status.in_(FINAL_OUTBOX_STATUSES)
    # Written this long ago: a message is final within hours of being written.
    old = OutboxMessage.created_at < now - FINAL_KEPT
    return OutboxMessage.delete().where(final & old).execute()


def stats_in_scope(staff: StaffAccount) -> dict:
    """The outbox as an admin sees it: messages about the shops in their subtree; the
    district's admins, whose scope is everything, see every message."""
    if scope.whole_district(staff):
        return stats()
    return stats(scope.shops(staff).select(Shop.id))


def stats(shops: pw.ModelSelect | None = None) -> dict:
    """Counts by status and by template, and how long the oldest pending message has
    waited; only messages about `shops` when given."""
    query = OutboxMessage.select()
    if shops is not None:
        query = query.where(OutboxMessage.shop.in_(shops))
    by_status = dict.fromkeys(OUTBOX_STATUSES, 0)
    by_template: dict[str, dict[str, int]] = {}
    counts = query.select(
        OutboxMessage.status, OutboxMessage.template, pw.fn.COUNT(OutboxMessage.id).alias("n")
    ).group_by(OutboxMessage.status, OutboxMessage.template)
    for row in counts:
        by_status[row.status] = by_status.get(row.status, 0) + row.n
        by_template.setdefault(row.template, {})[row.status] = row.n
    oldest = (
        query.where(OutboxMessage.status == "pending").order_by(OutboxMessage.created_at).first()
    )
    waited = (clock.now() - oldest.created_at).total_seconds() if oldest else 0
    return {"by_status": by_status, "by_template": by_template, "oldest_pending_seconds": waited}


def pending_summary() -> tuple[int, float]:
    """How many messages wait to be sent, and how long the oldest has waited (seconds);
    through the (status, next_attempt_at) index, however long the outbox."""
    waiting, oldest = (
        OutboxMessage.select(pw.fn.COUNT(OutboxMessage.id), pw.fn.MIN(OutboxMessage.created_at))
        .where(OutboxMessage.status == "pending")
        .tuples()
        .get()
    )
    if oldest is None:
        return 0, 0.0
    oldest = OutboxMessage.created_at.python_value(oldest)
    return waiting, (clock.now() - oldest).total_seconds()
