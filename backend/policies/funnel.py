"""The publisher's funnel: of those a policy matched, how many it was delivered to, read
it and acted on it; how many WeChat refused (no subscription left) and said it is not
for them, and why; in total, by street and by category. Counts only."""

from __future__ import annotations

import peewee as pw

from backend import scope, spreadsheet
from backend.models import OutboxMessage, PolicyDelivery, Region, StaffAccount
from backend.models.policies import NOT_ME_REASONS
from backend.policies import publishing
from backend.policies.labels import REASON_LABELS
from backend.shops.facts import CATEGORIES

STEPS = (
    ("matched", "匹配"),
    ("delivered", "已送达"),
    ("read", "已读"),
    ("acted", "已办理"),
    ("refused", "未订阅"),
    ("failed", "发送失败"),
    ("pending", "发送中"),
    ("stopped", "已撤回未发"),
    ("not_me", "与我无关"),
)


def _when(condition: pw.Expression) -> pw.Expression:
    return pw.fn.SUM(pw.Case(None, [(condition, 1)], 0))


def funnel(staff: StaffAccount, public_id: str) -> dict:
    policy = publishing.find(staff, public_id)
    status = OutboxMessage.status
    counted = (
        PolicyDelivery.select(
            PolicyDelivery.region_path,
            PolicyDelivery.category,
            pw.fn.COUNT(PolicyDelivery.id),
            _when(status == "sent"),
            _when(PolicyDelivery.read_at.is_null(False)),
            _when(PolicyDelivery.answer == "acted"),
            _when(status == "refused"),
            _when(status == "failed"),
            _when(status == "pending"),
            _when(status == "withdrawn"),
            _when(PolicyDelivery.answer == "not_me"),
        )
        .join(OutboxMessage, pw.JOIN.LEFT_OUTER, on=PolicyDelivery.message == OutboxMessage.id)
        .where(PolicyDelivery.policy == policy)
        .group_by(PolicyDelivery.region_path, PolicyDelivery.category)
        .tuples()
    )
    total, streets, categories = _zero(), {}, {}
    for path, category, *figures in counted:
        street = scope.street_path(path)
        for into in (total, streets.setdefault(street, _zero())):
            _add(into, figures)
        if category is not None:
            _add(categories.setdefault(category, _zero()), figures)
    names = {r.path: r.name for r in Region.select().where(Region.path.in_(list(streets)))}
    reasons = (
        PolicyDelivery.select(PolicyDelivery.reason, pw.fn.COUNT(PolicyDelivery.id))
        .where((PolicyDelivery.policy == policy) & (PolicyDelivery.answer == "not_me"))
        .group_by(PolicyDelivery.reason)
        .tuples()
    )
    said = dict(reasons)
    return {
        "policy": policy.public_id,
        "title": policy.title,
        "total": total,
        "by_street": [{"name": names.get(p, p), **f} for p, f in sorted(streets.items())],
        "by_category": [{"name": CATEGORIES.get(c, c), **f} for c, f in sorted(categories.items())],
        "not_me_reasons": [
            {"reason": r, "label": REASON_LABELS[r], "count": said.get(r, 0)}
            for r in NOT_ME_REASONS
        ],
    }


def _zero() -> dict:
    return dict.fromkeys((key for key, _ in STEPS), 0)


def _add(into: dict, figures: list) -> None:
    for (key, _), n in zip(STEPS, figures, strict=True):
        into[key] += int(n or 0)


def funnel_csv(staff: StaffAccount, public_id: str) -> bytes:
    figures = funnel(staff, public_id)
    header = ["分组", "名称", *[label for _, label in STEPS]]
    rows = [["全部", "", *figures["total"].values()]]
    rows += [["街道", s["name"], *[s[k] for k, _ in STEPS]] for s in figures["by_street"]]
    rows += [["行业", c["name"], *[c[k] for k, _ in STEPS]] for c in figures["by_category"]]
    rows += [["无关原因", r["label"], r["count"]] for r in figures["not_me_reasons"]]
    return spreadsheet.csv_document(header, rows)
