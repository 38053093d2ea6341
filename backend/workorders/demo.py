"""The demo district's routing rules, and a few reports and a referral that became work
orders at different steps, so that a newcomer's walk-through (README) has something to
show. Called by seed-demo, inside its transaction."""

from __future__ import annotations

import io

from PIL import Image

from backend import lifecycle, uploads
from backend.community import reports
from backend.models import Department, Region, RoutingRule, ServiceCategory, StaffAccount, User
from backend.workorders import orders, transitions

# (category or None for the street's default, street code, department name)
RULES = [
    ("environment", "310104003", "天平路街道城管中队"),
    ("parking", "310104003", "天平路街道城管中队"),
    ("litter", "310104003", "天平路街道城管中队"),
    ("street_vending", "310104003", "天平路街道城管中队"),
    ("fire_lane", "310104003", "天平路街道城管中队"),
    ("food_safety", "310104003", "天平路市场监管所"),
    ("food_safety", "310104004", "湖南路市场监管所"),
    (None, "310104003", "天平路街道办事处"),
]
# (report category, what the resident wrote, how far it has gone), all in 建业里
REPORTS = [
    ("environment", "12 号楼门口暴露垃圾，已经三天没人清理", "dispatched"),
    ("parking", "小区门口车辆乱停，占用人行道", "in_progress"),
    ("facilities", "3 号楼楼道灯坏了，晚上看不见台阶", "resolved"),
    ("safety", "消防通道被电动车堵住", "closed"),
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
    for category, text, step in REPORTS:
        report = reports.file(
            reporter, {"community": "310104003001", "category": category, "text": text}
        )
        order = report.work_order
        _take_to(order, step, reporter)
        lines.append(f"work order {order.number}: a report ({category}), {step}")
    lines.append(_referral())
    return lines


def _referral() -> str:
    """An inspector's referral in 湖南路街道, which no rule covers: it waits for a dispatcher."""
    inspector = StaffAccount.get(
        StaffAccount.user == User.get(User.openid == "oStub_inspector_hunan")
    )
    order = orders.open_order(
        source="referral",
        category=ServiceCategory.get(ServiceCategory.code == "noise"),
        region=Region.get(Region.code == "310104004001"),
        description="复中小区附近工地夜间施工，居民反映强烈",
        actor=lifecycle.actor_for_staff(inspector),
        referred_by=inspector,
    )
    return f"work order {order.number}: a referral (noise), received"


def _take_to(order, step: str, reporter: User) -> None:
    if step == "dispatched":
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
