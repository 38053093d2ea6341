"""Subscribe messages to a shop's owners, and a record of how WeChat answered each one.

A user with no subscription left (43101) is a normal outcome, recorded as
"refused"; WeChat being down is recorded as "failed". Neither stops the caller.
A failed message keeps what it said, and `retry_failed` (run by the daily sweep)
sends it again for a few days, so an outage does not silently drop a notice.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from flask import current_app

from backend import clock, wechat
from backend.db import write_transaction
from backend.models import Notification, Shop, ShopMembership, User

log = logging.getLogger(__name__)

RETRY_FOR = timedelta(days=3)
MAX_ATTEMPTS = 5


def shop_owners(shop: Shop) -> list[User]:
    return list(
        User.select()
        .join(ShopMembership)
        .where((ShopMembership.shop == shop) & (ShopMembership.role == "owner"))
    )


def send(
    user: User, shop: Shop | None, template: str, subject: str, data: dict, page: str | None = None
) -> Notification:
    status, errcode = _deliver(user.openid, template, data, page, subject)
    kept = (
        {"data": json.dumps(data, ensure_ascii=False), "page": page} if status == "failed" else {}
    )
    with write_transaction():
        return Notification.create(
            user=user,
            shop=shop,
            template=template,
            subject=subject,
            status=status,
            errcode=errcode,
            **kept,
        )


def _deliver(
    openid: str, template: str, data: dict, page: str | None, subject: str
) -> tuple[str, int | None]:
    settings = current_app.config["CITYCODE"]
    client: wechat.WeChatClient = current_app.extensions["citycode.wechat"]
    try:
        client.send_subscribe_message(
            openid, template, data, page=page, miniprogram_state=settings.wechat_miniprogram_state
        )
    except wechat.SubscriptionRefused as exc:
        return "refused", exc.errcode
    except wechat.WeChatError as exc:
        log.warning(
            "subscribe message not sent", extra={"subject": subject, "errcode": exc.errcode}
        )
        return "failed", exc.errcode
    return "sent", None


def retry_failed(max_age: timedelta = RETRY_FOR, max_attempts: int = MAX_ATTEMPTS) -> dict:
    """Send again what WeChat failed to take lately; how each try went, by status.
    What is past its last try is not kept: a message's text can hold a resident's words."""
    since = clock.now() - max_age
    (
        Notification.update(data=None, page=None)
        .where(
            (Notification.status == "failed")
            & Notification.data.is_null(False)
            & ((Notification.created_at < since) | (Notification.attempts >= max_attempts))
        )
        .execute()
    )
    due = list(
        Notification.select(Notification, User)
        .join(User)
        .where(
            (Notification.status == "failed")
            & Notification.data.is_null(False)
            & (Notification.created_at >= since)
            & (Notification.attempts < max_attempts)
        )
    )
    outcomes: dict = {}
    for note in due:
        status, errcode = _deliver(
            note.user.openid, note.template, json.loads(note.data), note.page, note.subject
        )
        outcomes[status] = outcomes.get(status, 0) + 1
        last_try = note.attempts + 1 >= max_attempts
        kept = {} if status == "failed" and not last_try else {"data": None, "page": None}
        with write_transaction():
            (
                Notification.update(
                    status=status, errcode=errcode, attempts=Notification.attempts + 1, **kept
                )
                .where(Notification.id == note.id)
                .execute()
            )
    return outcomes


def notify_owners(
    shop: Shop, template: str, subject: str, data: dict, page: str | None = None
) -> list[Notification]:
    return [send(owner, shop, template, subject, data, page) for owner in shop_owners(shop)]
