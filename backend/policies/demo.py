"""The demo district's policies: a subsidy for licensed caterers, meal help for residents
over 60 (a demo resident has consented to the tag), and a public food-safety law that the
caterers' codes show. Published; the worker pushes them. Called by seed-demo, inside its
transaction."""

from __future__ import annotations

from backend.models import StaffAccount, User
from backend.policies import publishing, tags

POLICIES = [
    {
        "kind": "policy",
        "title": "小微餐饮企业经营补贴申领",
        "body": "持有有效食品经营许可证的小微餐饮企业，可申领一次性经营补贴 5000 元。",
        "target": "shops",
        "audience": {
            "all": [
                {"field": "shop.category", "op": "in", "value": ["catering"]},
                {"field": "shop.licence", "op": "has", "value": "food_business"},
            ]
        },
        "action": {"text": "在线提交申领材料", "due": None, "link": "pages/policies/apply"},
        "links": [],
        "public": False,
    },
    {
        "kind": "notice",
        "title": "社区老年助餐服务点开放",
        "body": "年满 60 周岁的居民可到社区助餐点就餐，每餐补贴 5 元。",
        "target": "residents",
        "audience": {"field": "resident.tag", "op": "has", "value": "age_60_plus"},
        "action": {"text": "到社区助餐点登记", "due": None, "link": None},
        "links": [],
        "public": False,
    },
    {
        "kind": "law",
        "title": "上海市食品安全条例",
        "body": "餐饮服务提供者应当依法取得许可，建立并执行从业人员健康管理制度。",
        "target": "shops",
        "audience": {"field": "shop.category", "op": "in", "value": ["catering"]},
        "links": [{"title": "全文", "url": "https://www.shanghai.gov.cn/"}],
        "public": True,
    },
]


def seed(district_admin: StaffAccount, resident_openid: str) -> list[str]:
    tags.declare(User.get(User.openid == resident_openid), "age_60_plus", tags.CONSENT_VERSION)
    lines = []
    for body in POLICIES:
        policy = publishing.create(district_admin, dict(body))
        publishing.publish(district_admin, policy.public_id)
        lines.append(f"policy {policy.public_id}: {policy.title} ({policy.target}), published")
    return lines
