"""The demo district's shops: twelve in 天平路 and 湖南路, of every category, active,
suspended, closed and one pending approval; their licences (some expiring, one expired),
cooks' health certificates and honours. Credit codes are valid and on the registry stub."""

from __future__ import annotations

from datetime import timedelta

from backend import clock, creditcode
from backend.codes import current_shop_code
from backend.models import Region, ShopRequest, StaffAccount, User
from backend.shops import decisions, employees, honours, licences, requests, status

# (owner, name, category, street, community, status, licences: (type, days until expiry))
SHOPS = [
    (
        "shopkeeper",
        "老王面馆",
        "catering",
        "310104003",
        "310104003001",
        "active",
        [("business_licence", 1500), ("food_business", 20)],
    ),
    (
        "shopkeeper",
        "王记生煎",
        "catering",
        "310104003",
        "310104003001",
        "active",
        [("business_licence", 1200), ("food_business", -10)],
    ),
    (
        "shopkeeper",
        "天平便利店",
        "food_retail",
        "310104003",
        "310104003002",
        "active",
        [("business_licence", 900), ("food_business", 400)],
    ),
    (
        "shopkeeper2",
        "宛南水果店",
        "food_retail",
        "310104003",
        "310104003002",
        "active",
        [("business_licence", 700), ("food_business", 12)],
    ),
    (
        "shopkeeper2",
        "建业理发",
        "beauty",
        "310104003",
        "310104003001",
        "active",
        [("business_licence", 800), ("public_health", 300)],
    ),
    (
        "shopkeeper2",
        "益丰大药房(天平店)",
        "pharmacy",
        "310104003",
        "310104003001",
        "active",
        [("business_licence", 1000), ("drug_retail", 600)],
    ),
    (
        "shopkeeper3",
        "复中书店",
        "general_retail",
        "310104004",
        "310104004001",
        "active",
        [("business_licence", 1400)],
    ),
    (
        "shopkeeper3",
        "东湖咖啡",
        "catering",
        "310104004",
        "310104004002",
        "active",
        [("business_licence", 1100), ("food_business", -40)],
    ),
    (
        "shopkeeper3",
        "湖南路洗衣",
        "services",
        "310104004",
        "310104004001",
        "active",
        [("business_licence", 500)],
    ),
    (
        "shopkeeper3",
        "衡山宾馆",
        "lodging",
        "310104004",
        "310104004002",
        "suspended",
        [("business_licence", 300), ("special_trade", 25)],
    ),
    (
        "shopkeeper4",
        "小杨烧烤",
        "catering",
        "310104003",
        "310104003002",
        "pending",
        [("business_licence", 1000)],
    ),
    (
        "shopkeeper4",
        "老街修鞋",
        "repair",
        "310104004",
        "310104004001",
        "closed",
        [("business_licence", -200)],
    ),
]


def demo_credit_code(n: int) -> str:
    body = f"92310104MA{n:07d}"
    return body + creditcode.check_character(body)


def seed(regions: dict[str, Region], approver: StaffAccount, shown, openid_of) -> list[str]:
    """Each shop registered by its owner (`openid_of(owner)`), with its licences and, for
    catering, a cook and an honour; approved by `approver` unless pending."""
    today = clock.today_local()
    lines = []
    numbered = enumerate(SHOPS, 1)
    for n, (owner, name, category, street, community, shop_status, held) in shown(
        numbered, "demo shops"
    ):
        user = User.get_or_none(User.openid == openid_of(owner)) or User.create(
            openid=openid_of(owner)
        )
        shop = requests.register_shop(
            user,
            {
                "name": name,
                "credit_code": demo_credit_code(n),
                "category": category,
                "address": f"{regions[street].name.removesuffix('街道')} {10 + n * 7} 号",
                "street": street,
                "community": community,
                "location": {"lat": 31.205 + n * 0.001, "lng": 121.445 + n * 0.001},
                "phone": f"021-6{n:03d}8888",
            },
        )
        for kind, days in held:
            licences.add_licence(
                user,
                shop.public_id,
                {
                    "type": kind,
                    "number": f"{kind[:2].upper()}3101040{n:03d}{days % 97:04d}",
                    "issuer": "徐汇区市场监督管理局",
                    "valid_from": today - timedelta(days=3 * 365),
                    "valid_to": today + timedelta(days=days),
                },
            )
        if category == "catering":
            employees.add_employee(
                user,
                shop.public_id,
                {
                    "name": "张伟",
                    "position": "厨师",
                    "health_cert_number": f"JK2024{n:05d}",
                    "health_cert_expires": today + timedelta(days=120 if n % 2 else -5),
                },
            )
            honours.add_honour(
                user,
                shop.public_id,
                {
                    "title": "放心消费示范店",
                    "issuer": "徐汇区消费者权益保护委员会",
                    "awarded_on": today - timedelta(days=200),
                },
            )
        if shop_status == "pending":
            lines.append(f"shop {name}: pending approval (owner sign-in code '{owner}.1')")
            continue
        request = ShopRequest.get(ShopRequest.shop == shop)
        decisions.approve_request(approver, request.id)
        if shop_status in ("suspended", "closed"):
            status.change(approver, shop.public_id, shop_status, "演示数据")
        code = current_shop_code(shop)
        lines.append(
            f"shop {name} ({shop_status}, owner '{owner}.1'): code {code.code} → /s/{code.code}"
        )
    return lines
