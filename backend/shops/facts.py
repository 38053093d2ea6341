"""What a shop's records mean today: categories, licence and certificate status, ratings."""

from __future__ import annotations

from datetime import date, timedelta

import orjson

from backend.clock import local_date
from backend.inspections.scoring import AWAITING, GRADES
from backend.models import Shop

# Industry categories (行业类别). Keep in step with the README's glossary.
CATEGORIES = {
    "catering": "餐饮服务",
    "food_retail": "食品销售",
    "general_retail": "商品零售",
    "pharmacy": "药品零售",
    "services": "生活服务",
    "beauty": "美容美发",
    "lodging": "住宿",
    "entertainment": "文化娱乐",
    "education": "教育培训",
    "repair": "维修",
    "other": "其他",
}

# What a shop's grade is called on its sticker: food safety where food is served or
# sold, good conduct of business elsewhere. One table; a category not in it takes the
# default.
GRADE_LABELS = {
    "catering": "食品安全等级",
    "food_retail": "食品安全等级",
    "pharmacy": "药品经营规范等级",
}
DEFAULT_GRADE_LABEL = "经营规范等级"
# The regulator's risk letters (inspections.risk), for staff and targeting only.
RISK_MEANINGS = {"A": "良好", "B": "一般", "C": "较差", "D": "差"}
GRADE_LEGEND = (
    " · ".join(f"{letter} {g['meaning']}（{g['face']}）" for letter, g in GRADES.items())
    + f" · {AWAITING}：尚无计入的检查"
)


# The columns `grade` reads: a query that shows a shop's grade selects all of them.
GRADE_COLUMNS = (
    Shop.grade,
    Shop.grade_score,
    Shop.annual_grade,
    Shop.annual_score,
    Shop.annual_inspections,
    Shop.grade_history,
    Shop.appeal_filed_on,
    Shop.reply_text,
    Shop.reply_on,
)

# What stands beside a grade: an appeal of it still open, and the owner's own statement.
APPEAL_LABEL = "复核中"
REPLY_NOTE = "商户自述，未经核实"


def grade(shop) -> dict:
    """The shop's public grade as a resident reads it: the latest counted inspection's
    letter (动态等级: None and 待评级 before the first), its score and face, what it
    grades, the twelve months' 年度等级 with how many inspections it rests on, the latest
    three, an open appeal (复核中, since when), the owner's reply, and the legend. Dates
    may come as the row's dates or as the scan statement's text: both read as ISO."""
    return {
        "value": shop.grade,
        "label": GRADE_LABELS.get(shop.category, DEFAULT_GRADE_LABEL),
        "meaning": GRADES[shop.grade]["meaning"] if shop.grade else AWAITING,
        "face": GRADES[shop.grade]["face"] if shop.grade else None,
        "score": shop.grade_score,
        "annual": {
            "value": shop.annual_grade,
            "meaning": GRADES[shop.annual_grade]["meaning"] if shop.annual_grade else AWAITING,
            "score": shop.annual_score,
            "inspections": shop.annual_inspections,
        },
        "history": orjson.loads(shop.grade_history),
        "appeal": {"label": APPEAL_LABEL, "filed_on": str(shop.appeal_filed_on)}
        if shop.appeal_filed_on
        else None,
        "reply": {"text": shop.reply_text, "date": str(shop.reply_on), "note": REPLY_NOTE}
        if shop.reply_text
        else None,
        "legend": GRADE_LEGEND,
    }


LICENCE_TYPES = {
    "business_licence": "营业执照",
    "food_business": "食品经营许可证",
    "public_health": "公共场所卫生许可证",
    "drug_retail": "药品经营许可证",
    "special_trade": "特种行业许可证",
    "other": "其他许可",
}

EXPIRING_WITHIN = timedelta(days=30)
STATUS_LABELS = {
    "valid": "有效",
    "expiring": "即将到期",
    "expired": "已过期",
    "not_yet_valid": "未生效",
}
# A health certificate has no start date: it is never "not yet valid".
CERTIFICATE_STATUSES = ["valid", "expiring", "expired"]
RESULT_LABELS = {
    "pass": "合格",
    "pass_with_remarks": "基本合格",
    "rectify": "限期整改",
    "fail": "不合格",
}
SHOP_STATUS_LABELS = {
    "pending": "待审核",
    "active": "营业中",
    "suspended": "停业整顿",
    "closed": "已关闭",
}
STATUS_CAUSES = {
    "inspection_failed": "检查不合格",
    "admin_decision": "监管部门决定",
}


# What the business registry's end of a business reads as on the shop's page.
REGISTRY_ENDED_TEXT = {
    "deregistered": "工商登记已注销",
    "revoked": "营业执照已被吊销",
    "cancelled": "工商登记已被撤销",
}


def status_text(shop) -> str:
    """What a resident reading the sticker is told first of the shop's state."""
    if shop.status == "closed":
        return "该商户已注销"
    ended = REGISTRY_ENDED_TEXT.get(shop.registry_status)
    if ended:
        return f"{ended}，请谨慎消费"
    if shop.status == "suspended":
        cause = STATUS_CAUSES.get(shop.status_cause)
        return f"停业整改中（{cause}）" if cause else "停业整改中"
    return SHOP_STATUS_LABELS[shop.status]


def validity(valid_to: date, today: date, valid_from: date | None = None) -> str:
    """valid, expiring (within 30 days), expired or not_yet_valid (before `valid_from`),
    as of `today`."""
    if valid_from is not None and today < valid_from:
        return "not_yet_valid"
    if valid_to < today:
        return "expired"
    if valid_to - today <= EXPIRING_WITHIN:
        return "expiring"
    return "valid"


def rating_histogram(shop) -> list[int]:
    return [int(n) for n in shop.rating_histogram.split(",")]


def rating_mean(shop) -> float | None:
    return round(shop.rating_total / shop.rating_count, 2) if shop.rating_count else None


def rating_summary(shop) -> dict:
    """The stars as anyone sees them: how many, their mean, and how many of each."""
    return {
        "count": shop.rating_count,
        "mean": rating_mean(shop),
        "histogram": rating_histogram(shop),
    }


def last_inspection(shop) -> dict | None:
    """The latest inspection's day in Shanghai (ISO) and result, or None before the first.

    An inspection that ordered rectification reads 限期整改 while an order is open and
    已整改 once every order is done (`rectification`: open, done; None for other results),
    so a resident is not told of a problem the inspector has since seen put right."""
    if shop.last_inspection_at is None:
        return None
    result = shop.last_inspection_result
    rectification = None
    if result == "rectify":
        rectification = "open" if shop.open_rectifications else "done"
    return {
        "date": local_date(shop.last_inspection_at).isoformat(),
        "result": result,
        "result_label": "已整改" if rectification == "done" else RESULT_LABELS.get(result),
        "rectification": rectification,
    }
