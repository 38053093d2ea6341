"""Demo data: a district with streets and communities, departments, staff of each role, shops.

Staff and shopkeepers are pre-bound to the WeChat stub's deterministic openids
(`oStub_<user>`), so `{"code": "inspector.1"}` signs in as the demo inspector.
"""
from __future__ import annotations

from backend.db import write_transaction
from backend.models import Department, Region, StaffAccount, User
from backend.staffing import create_staff

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
    ("inspector_hunan", "孙伟", "inspector", "310104004", "湖南路市场监管所"),
    ("cadre", "周敏", "cadre", "310104003001", None),
]


def stub_openid(user: str) -> str:
    return f"oStub_{user}"


def seed_demo() -> list[str]:
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
                name=name, role=role, region=regions[code],
                department=departments.get(department),
            )
            staff.user = User.create(openid=stub_openid(user))
            staff.save()
        shops = _seed_shops(regions)
    lines = [f"regions: {len(regions)}, departments: {len(departments)}, staff: {len(STAFF)}"]
    lines += [f"staff sign-in code '{u}.1' → {role} {name} ({code})" for u, name, role, code, _ in STAFF]
    lines += shops
    return lines


def _seed_regions() -> dict[str, Region]:
    district = Region.create(
        code=DISTRICT[0], name=DISTRICT[1], level="district", path=Region.path_for(None, DISTRICT[0])
    )
    regions = {district.code: district}
    for code, (name, communities) in STREETS.items():
        street = Region.create(
            code=code, name=name, level="street", parent=district,
            path=Region.path_for(district, code),
        )
        regions[code] = street
        for ccode, cname in communities:
            regions[ccode] = Region.create(
                code=ccode, name=cname, level="community", parent=street,
                path=Region.path_for(street, ccode),
            )
    return regions


def _seed_shops(regions: dict[str, Region]) -> list[str]:
    return []


__all__ = ["seed_demo", "stub_openid", "StaffAccount"]
