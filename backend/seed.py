"""Demo data: a district with streets and communities, departments, staff of each role, shops.

Staff and shopkeepers are pre-bound to the WeChat stub's deterministic openids
(`oStub_<user>`), so `{"code": "inspector.1"}` signs in as the demo inspector.
"""

from __future__ import annotations

from datetime import timedelta

from backend import clock, creditcode, progress
from backend.codes import current_shop_code
from backend.db import write_transaction
from backend.grades import demo as grades_demo
from backend.models import (
    BookingEvent,
    BookingSlot,
    CommunityMembership,
    Department,
    Notice,
    Poll,
    PollOption,
    Region,
    ShopRequest,
    StaffAccount,
    User,
)
from backend.people.staffing import create_staff
from backend.policies import demo as policy_demo
from backend.sampling import demo as sampling_demo
from backend.workorders import demo as workorder_demo

DISTRICT = ("310104", "徐汇区")
STREETS = {
    "310104003": ("天平路街道", [("310104003001", "建业里居委会"), ("310104003002", "宛南居委会")]),
    "310104004": ("湖南路街道", [("310104004001", "复中居委会"), ("310104004002", "东湖居委会")]),
}
DEPARTMENTS = [
    ("徐汇区市场监督管理局", "market_supervision", "310104"),
    ("天平路市场监管所", "market_supervision", "310104003"),
    ("湖南路市场监管所", "market_supervision", "310104004"),
    ("天平路街道城管中队", "urban_management", "310104003"),
    ("天平路街道办事处", "street_office", "310104003"),
]
# (stub user, staff name, role, region code, department name)
STAFF = [
    ("admin", "王建国", "admin", "310104", "徐汇区市场监督管理局"),
    ("street_admin", "陈立", "admin", "310104003", "天平路街道办事处"),
    ("inspector", "李明", "inspector", "310104003", "天平路市场监管所"),
    ("inspector2", "赵强", "inspector", "310104003", "天平路市场监管所"),
    # Took part in none of the demo's inspections: the one to decide 老王面馆's appeal.
    ("reviewer", "周正", "inspector", "310104003", "天平路市场监管所"),
    ("inspector_hunan", "孙伟", "inspector", "310104004", "湖南路市场监管所"),
    ("cadre", "周敏", "cadre", "310104003001", None),
    ("chengguan", "吴刚", "cadre", "310104003", "天平路街道城管中队"),
    # 纪检监察: reads the district's sampling plans and their frozen lists.
    ("auditor", "钱清", "auditor", "310104", None),
]

# The tags a sampling plan's pool may require (the demo's food plans require 食品).
QUALIFICATIONS = {
    "inspector": ["食品", "药品"],
    "inspector2": ["食品"],
    "reviewer": ["食品"],
    "inspector_hunan": ["食品"],
}


def stub_openid(user: str) -> str:
    return f"oStub_{user}"


def seed_demo(shown=progress.quietly) -> list[str]:
    if Region.get_or_none(Region.code == DISTRICT[0]) is not None:
        return ["demo data already present; nothing to do"]
    with write_transaction():
        regions = _seed_regions()
        departments = {
            name: Department.create(name=name, kind=kind, region=regions[code])
            for name, kind, code in DEPARTMENTS
        }
        for user, name, role, code, department in STAFF:
            staff = create_staff(
                name=name,
                role=role,
                region=regions[code],
                department=departments.get(department),
                qualifications=QUALIFICATIONS.get(user, ()),
            )
            staff.user = User.create(openid=stub_openid(user))
            staff.save()
        shops = _seed_shops(regions, shown)
        community = _seed_community_life(regions)
        community += workorder_demo.seed(stub_openid(NEIGHBOURS[0][0]))
        community += grades_demo.seed(stub_openid("inspector"))
        community += sampling_demo.seed(stub_openid("street_admin"))
        community += policy_demo.seed(
            StaffAccount.get(
                StaffAccount.role == "admin", StaffAccount.region == regions[DISTRICT[0]]
            ),
            stub_openid(NEIGHBOURS[0][0]),
        )
    lines = [f"regions: {len(regions)}, departments: {len(departments)}, staff: {len(STAFF)}"]
    lines += [
        f"staff sign-in code '{u}.1' → {role} {name} ({code})" for u, name, role, code, _ in STAFF
    ]
    lines += shops
    lines += community
    return lines


def _seed_regions() -> dict[str, Region]:
    district = Region.create(
        code=DISTRICT[0],
        name=DISTRICT[1],
        level="district",
        path=Region.path_for(None, DISTRICT[0]),
    )
    regions = {district.code: district}
    for code, (name, communities) in STREETS.items():
        street = Region.create(
            code=code,
            name=name,
            level="street",
            parent=district,
            path=Region.path_for(district, code),
        )
        regions[code] = street
        for ccode, cname in communities:
            regions[ccode] = Region.create(
                code=ccode,
                name=cname,
                level="community",
                parent=street,
                path=Region.path_for(street, ccode),
            )
    return regions


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


def _seed_shops(regions: dict[str, Region], shown) -> list[str]:
    from backend.shops import decisions, employees, honours, licences, requests, status

    admins = {s.region.code: s for s in StaffAccount.select().where(StaffAccount.role == "admin")}
    approver = admins[DISTRICT[0]]
    today = clock.today_local()
    lines = []
    numbered = enumerate(SHOPS, 1)
    for n, (owner, name, category, street, community, shop_status, held) in shown(
        numbered, "demo shops"
    ):
        user = User.get_or_none(User.openid == stub_openid(owner)) or User.create(
            openid=stub_openid(owner)
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


# Residents who already live in 建业里; the user `resident` is left to join by scanning.
NEIGHBOURS = [("neighbour", "13900001111"), ("neighbour2", "13900002222")]


def _seed_community_life(regions: dict[str, Region]) -> list[str]:
    """Community codes, a few members, and a notice, a poll and a booking to try."""
    from backend.community import membership

    district_admin = StaffAccount.get(
        StaffAccount.role == "admin", StaffAccount.region == regions[DISTRICT[0]]
    )
    cadre = StaffAccount.get(StaffAccount.role == "cadre")
    lines = []
    for code, region in regions.items():
        if region.level == "community":
            printed = membership.issue_community_code(district_admin, code)
            lines.append(f"community {region.name}: code {printed.code} → /s/{printed.code}")
    home = cadre.region
    for user, phone in NEIGHBOURS:
        resident = User.create(openid=stub_openid(user), phone=phone)
        CommunityMembership.create(
            user=resident,
            community=home,
            region_path=home.path,
            status="approved",
            decided_by=cadre,
            decided_at=clock.now(),
        )
    now = clock.now()
    Notice.create(
        region=regions[DISTRICT[0]],
        region_path=regions[DISTRICT[0]].path,
        title="冬季燃气安全提示",
        author=district_admin,
        body="入冬后请检查燃气软管是否老化，发现异味请开窗并拨打 962777。",
    )
    Notice.create(
        region=home,
        region_path=home.path,
        title="本周六上午领取防疫物资",
        body="请在“预约”中选择时段，凭居民码到居委会领取。",
        author=cadre,
    )
    poll = Poll.create(
        region=home,
        region_path=home.path,
        title="小区加装电梯意向调查",
        multiple=False,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=14),
        author=cadre,
    )
    for position, label in enumerate(["支持", "不支持", "无所谓"]):
        PollOption.create(poll=poll, position=position, label=label)
    event = BookingEvent.create(
        region=home, region_path=home.path, title="领取口罩", description="每户一份", author=cadre
    )
    saturday = (now + timedelta(days=(5 - now.weekday()) % 7 or 7)).replace(
        hour=1, minute=0, second=0, microsecond=0
    )  # 09:00 in Shanghai
    for hours in (0, 1):
        BookingSlot.create(
            event=event,
            starts_at=saturday + timedelta(hours=hours),
            ends_at=saturday + timedelta(hours=hours + 1),
            capacity=50,
        )
    lines.append(
        f"residents of {home.name}: "
        + ", ".join(f"'{u}.1'" for u, _ in NEIGHBOURS)
        + "; 'resident.1' has not joined yet"
    )
    return lines
