"""Subscribe messages to a shop's owners, and a record of how WeChat answered each one.

A user with no subscription left (43101) is a normal outcome, recorded as
"refused"; WeChat being down is recorded as "failed". Neither stops the caller.
"""
from __future__ import annotations

import logging

from flask import current_app

from backend import wechat
from backend.db import write_transaction
from backend.models import Notification, Shop, ShopMembership, User

log = logging.getLogger(__name__)


def shop_owners(shop: Shop) -> list[User]:
    return list(User.select().join(ShopMembership)
                .where((ShopMembership.shop == shop) & (ShopMembership.role == "owner")))


def send(user: User, shop: Shop | None, template: str, subject: str, data: dict,
         page: str | None = None) -> Notification:
    settings = current_app.config["CITYCODE"]
    client: wechat.WeChatClient = current_app.extensions["citycode.wechat"]
    status, errcode = "sent", None
    try:
        client.send_subscribe_message(user.openid, template, data, page=page,
                                      miniprogram_state=settings.wechat_miniprogram_state)
    except wechat.SubscriptionRefused as exc:
        status, errcode = "refused", exc.errcode
    except wechat.WeChatError as exc:
        status, errcode = "failed", exc.errcode
        log.warning("subscribe message not sent", extra={"subject": subject,
                                                         "errcode": exc.errcode})
    with write_transaction():
        return Notification.create(user=user, shop=shop, template=template, subject=subject,
                                   status=status, errcode=errcode)


def notify_owners(shop: Shop, template: str, subject: str, data: dict,
                  page: str | None = None) -> list[Notification]:
    return [send(owner, shop, template, subject, data, page) for owner in shop_owners(shop)]
