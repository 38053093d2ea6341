"""Demo data: a district with streets and communities, departments, staff of each role, shops.

Staff and shopkeepers are pre-bound to the WeChat stub's deterministic openids
(`oStub_<user>`), so `{"code": "inspector.1"}` signs in as the demo inspector.
"""

from __future__ import annotations

from datetime import timedelta

from backend import clock, progress
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
    StaffAccount,
    User,
)
from backend.people.staffing import create_staff
from backend.policies import demo as policy_demo
from backend.sampling import demo as sampling_demo
from backend.shops import demo as shops_demo
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
        district_admin = StaffAccount.get(
            StaffAccount.role == "admin", StaffAccount.region == regions[DISTRICT[0]]
        )
        shops = shops_demo.seed(regions, district_admin, shown, stub_openid)
        community = _seed_community_life(regions)
        community += workorder_demo.seed(stub_openid(NEIGHBOURS[0][0]))
        community += grades_demo.seed(stub_openid("inspector"))
        community += sampling_demo.seed(stub_openid("street_admin"))
        community += policy_demo.seed(district_admin, stub_openid(NEIGHBOURS[0][0]))
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
