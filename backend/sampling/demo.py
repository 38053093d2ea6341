"""The demo district's random-sampling plans: one drawn, with its tasks, and one committed
and waiting for its lottery draw, both in 天平路街道 by its admin 陈立."""

from __future__ import annotations

from datetime import timedelta

from backend import clock
from backend.models import StaffAccount, User
from backend.sampling import plans

DRAWN_WITH = "03 11 19 25 31 + 05 09"


def seed(admin_openid: str) -> list[str]:
    admin = StaffAccount.get(StaffAccount.user == User.get(User.openid == admin_openid))
    today = clock.today_local()
    settings = {
        "items": ["food_safety"],
        "categories": ["catering", "food_retail"],
        "qualifications": ["食品"],
        "team_size": 2,
        "recusal_days": 365,
        "starts_on": today,
        "ends_on": today + timedelta(days=30),
    }
    drawn = plans.create(admin, {**settings, "title": "天平路街道餐饮食品双随机抽查（第四季度）"})
    plans.commit(admin, drawn.public_id, "中国体育彩票超级大乐透第 26140 期开奖号码")
    plans.draw_plan(admin, drawn.public_id, DRAWN_WITH)
    waiting = plans.create(
        admin,
        {
            **settings,
            "title": "天平路街道经营行为双随机抽查（十二月）",
            "items": ["business_conduct"],
            "categories": [],
        },
    )
    plans.commit(admin, waiting.public_id, "中国体育彩票超级大乐透第 26141 期开奖号码")
    return [
        f"sampling plan {drawn.public_id}: drawn with {DRAWN_WITH}",
        f"sampling plan {waiting.public_id}: committed, waiting for its public value",
    ]
