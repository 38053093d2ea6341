"""The demo district's inspections and what its shops did about their grades: 天平路's
inspectors have been round four shops; 老王面馆 has appealed its grade (open), 王记生煎
has replied beside its own, and the rest of the district awaits its first inspection."""

from __future__ import annotations

from backend.grades import appeals, replies
from backend.inspections import checklists, proofs, recording
from backend.models import Shop, StaffAccount, User

# (shop, items answered no, result, what its owner did)
VISITS = [
    ("老王面馆", ("FS04", "FS06"), "pass_with_remarks", "appeal"),
    ("王记生煎", ("FS08",), "pass", "reply"),
    ("天平便利店", (), "pass", None),
    ("建业理发", ("PP04",), "pass_with_remarks", None),
]
APPEAL = "检查当天冷柜刚补货，温度计读数偏高，十分钟后已恢复到 4℃，附当天温度记录照片"
REPLY = "检查指出的餐厨垃圾清运问题，已与物业约定每日两次清运，欢迎监督。"


def seed(inspector_openid: str) -> list[str]:
    inspector = StaffAccount.get(StaffAccount.user == User.get(User.openid == inspector_openid))
    lines = []
    for name, failed, result, then in VISITS:
        shop = Shop.get(Shop.name == name)
        template = checklists.for_category(shop.category)
        items = checklists.templates()[template]["items"]
        recorded = recording.record(
            inspector,
            shop.public_id,
            {
                "scan_proof": proofs.issue(inspector, shop)[0],
                "location": {"lat": shop.lat, "lng": shop.lng},
                "template": template,
                "checklist": [{"code": i["code"], "ok": i["code"] not in failed} for i in items],
                "result": result,
            },
        )
        owner = User.get_by_id(shop.memberships.get().user_id)
        if then == "appeal":
            appeals.file(owner, shop.public_id, recorded.public_id, APPEAL, [])
        elif then == "reply":
            replies.publish(owner, shop.public_id, REPLY)
        lines.append(
            f"shop {name}: inspected, {recorded.score} points, grade {recorded.grade}"
            + {"appeal": ", appeal open", "reply": ", owner's reply shown"}.get(then, "")
        )
    return lines
