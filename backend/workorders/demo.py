"""The demo district's routing rules and a few work orders at different steps, so that a
newcomer's walk-through (README) has something to show. Called by seed-demo, inside its
transaction."""

from __future__ import annotations

import io

from PIL import Image

from backend import uploads
from backend.models import Department, Region, RoutingRule, ServiceCategory, StaffAccount, User
from backend.workorders import orders, transitions

# (category or None for the street's default, street code, department name)
RULES = [
    ("litter", "310104003", "天平路街道城管中队"),
    ("street_vending", "310104003", "天平路街道城管中队"),
    ("fire_lane", "310104003", "天平路街道城管中队"),
    ("food_safety", "310104003", "天平路市场监管所"),
    ("food_safety", "310104004", "湖南路市场监管所"),
    (None, "310104003", "天平路街道办事处"),
]
# (category, community code, what the resident wrote, how far it has gone)
ORDERS = [
    ("litter", "310104003001", "建业里 12 号楼门口暴露垃圾，已经三天没人清理", "dispatched"),
    ("street_vending", "310104003001", "小区门口水果摊占用人行道经营", "in_progress"),
    ("facilities", "310104003001", "3 号楼楼道灯坏了，晚上看不见台阶", "resolved"),
    ("fire_lane", "310104003002", "宛南小区消防通道被电动车堵住", "closed"),
    ("noise", "310104004001", "复中小区附近工地夜间施工噪音", "received"),
]
HANDLERS = {"天平路街道城管中队": "chengguan", "天平路街道办事处": "street_admin"}


def seed(reporter_openid: str) -> list[str]:
    departments = {d.name: d for d in Department.select()}
    for category, street, department in RULES:
        region = Region.get(Region.code == street)
        RoutingRule.create(
            category=ServiceCategory.get(ServiceCategory.code == category) if category else None,
            region=region,
            region_path=region.path,
            department=departments[department],
        )
    reporter = User.get(User.openid == reporter_openid)
    lines = []
    for category, community, text, step in ORDERS:
        order = orders.open_order(
            source="report",
            category=ServiceCategory.get(ServiceCategory.code == category),
            region=Region.get(Region.code == community),
            description=text,
            actor=f"user:{reporter.id}",
            reporter=reporter,
        )
        _take_to(order, step, reporter)
        lines.append(f"work order {order.number}: {category}, {step}")
    return lines


def _take_to(order, step: str, reporter: User) -> None:
    if step in ("dispatched", "received"):
        return
    staff = _handler(order)
    transitions.sign(staff, order.number)
    transitions.start(staff, order.number)
    if step == "in_progress":
        return
    photo = uploads.store(None, staff.user, io.BytesIO(_photo()))
    transitions.resolve(staff, order.number, "已安排人员处理完毕", [photo.public_id])
    if step == "closed":
        transitions.rate(reporter, order.number, "satisfied", "处理很及时")


def _handler(order) -> StaffAccount:
    department = Department.get_by_id(order.department_id)
    user = User.get(User.openid == f"oStub_{HANDLERS[department.name]}")
    return StaffAccount.get(StaffAccount.user == user)


def _photo() -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 90)).save(image, "JPEG")
    return image.getvalue()
