"""What a shop's owners are told of its inspections and orders, in the change's transaction."""

from __future__ import annotations

from datetime import date

from flask import current_app

from backend import clock, notify
from backend.models import Shop


def tell_owners(shop: Shop, subject: str, summary: str, deadline: date | None) -> None:
    template = current_app.config["CITYCODE"].wechat_template_inspection
    notify.notify_owners(
        shop,
        template,
        subject,
        {
            "thing1": shop.name[:20],
            "thing2": summary[:20],
            "date3": (deadline or clock.today_local()).isoformat(),
        },
        page=f"pages/shop/inspections?shop={shop.public_id}",
    )
