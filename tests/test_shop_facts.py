"""What a shop's records mean on a given day: licence status, stars, the last inspection."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from backend.shops import facts

pytestmark = pytest.mark.once  # the rule alone, no database

DAYS = st.dates(date(2000, 1, 1), date(2099, 12, 31))


@given(DAYS, st.integers(-400, 400))
@example(date(2026, 12, 1), 30)  # the last day that is still "expiring"
@example(date(2026, 12, 1), 31)
@example(date(2026, 12, 1), 0)
@example(date(2026, 12, 1), -1)
def test_a_licence_is_expired_after_its_last_day_and_expiring_within_thirty(today, left):
    status = facts.validity(today + timedelta(days=left), today)
    expected = "expired" if left < 0 else "expiring" if left <= 30 else "valid"
    assert status == expected


@given(DAYS, st.integers(1, 400), st.integers(0, 400))
def test_a_licence_before_its_first_day_is_not_yet_valid_whatever_its_end(today, ahead, span):
    starts = today + timedelta(days=ahead)
    assert facts.validity(starts + timedelta(days=span), today, starts) == "not_yet_valid"
    assert facts.validity(starts + timedelta(days=span), starts, starts) != "not_yet_valid"


def _shop(histogram, last_at=None, last_result=None, open_rectifications=0, **more):
    counts = [int(n) for n in histogram.split(",")]
    return SimpleNamespace(
        rating_histogram=histogram,
        rating_count=sum(counts),
        rating_total=sum(stars * n for stars, n in enumerate(counts, 1)),
        last_inspection_at=last_at,
        last_inspection_result=last_result,
        open_rectifications=open_rectifications,
        **more,
    )


def test_the_stars_anyone_sees():
    assert facts.rating_summary(_shop("0,1,0,1,1")) == {
        "count": 3,
        "mean": 3.67,
        "histogram": [0, 1, 0, 1, 1],
    }
    assert facts.rating_summary(_shop("0,0,0,0,0"))["mean"] is None


def test_the_last_inspection_is_dated_as_the_district_counts_days():
    # 17:30 UTC on 5 September is 01:30 on the 6th in Shanghai.
    at = datetime(2026, 9, 5, 17, 30, tzinfo=UTC)
    shop = _shop("0,0,0,0,0", at, "rectify", open_rectifications=1)
    assert facts.last_inspection(shop) == {
        "date": "2026-09-06",
        "result": "rectify",
        "result_label": "限期整改",
        "rectification": "open",
    }
    assert facts.last_inspection(_shop("0,0,0,0,0")) is None


def test_a_rectification_put_right_reads_as_done_and_other_results_have_none():
    at = datetime(2026, 9, 5, 1, 0, tzinfo=UTC)
    done = facts.last_inspection(_shop("0,0,0,0,0", at, "rectify", open_rectifications=0))
    assert (done["result"], done["result_label"], done["rectification"]) == (
        "rectify",
        "已整改",
        "done",
    )
    # An order still open from another inspection does not make a pass read as one.
    passed = facts.last_inspection(_shop("0,0,0,0,0", at, "pass", open_rectifications=2))
    assert (passed["result_label"], passed["rectification"]) == ("合格", None)


@pytest.mark.parametrize(
    "status,cause,registry,text",
    [
        ("active", None, None, "营业中"),
        ("active", None, "active", "营业中"),
        ("pending", None, None, "待审核"),
        ("closed", "admin_decision", None, "该商户已注销"),
        ("closed", "admin_decision", "revoked", "该商户已注销"),
        ("suspended", "inspection_failed", None, "停业整改中（检查不合格）"),
        ("suspended", "admin_decision", None, "停业整改中（监管部门决定）"),
        ("suspended", None, None, "停业整改中"),
        # What the business registry says comes before anything but our own closing.
        ("active", None, "deregistered", "工商登记已注销，请谨慎消费"),
        ("suspended", "inspection_failed", "revoked", "营业执照已被吊销，请谨慎消费"),
        ("active", None, "cancelled", "工商登记已被撤销，请谨慎消费"),
        ("active", None, "suspended", "营业中"),
    ],
)
def test_what_a_resident_is_told_first_of_a_shops_state(status, cause, registry, text):
    shop = SimpleNamespace(status=status, status_cause=cause, registry_status=registry)
    assert facts.status_text(shop) == text


@pytest.mark.parametrize(
    "category,label",
    [
        ("catering", "食品安全等级"),
        ("food_retail", "食品安全等级"),
        ("pharmacy", "药品经营规范等级"),
        ("repair", "经营规范等级"),
        ("lodging", "经营规范等级"),
    ],
)
def test_a_grade_is_named_for_the_trade_and_its_letter_explained(category, label):
    for letter, meaning, face in (
        ("A", "良好", "笑脸"),
        ("B", "一般", "平脸"),
        ("C", "较差", "哭脸"),
    ):
        shop = SimpleNamespace(
            category=category,
            risk_grade="D",
            grade=letter,
            grade_score=77,
            annual_grade="B",
            annual_score=70,
            annual_inspections=2,
            grade_history=json.dumps([{"date": "2026-12-01", "grade": letter, "score": 77}]),
            appeal_filed_on="2026-12-03",
            reply_text="冷柜已修好",
            reply_on=date(2026, 12, 2),
        )
        assert facts.grade(shop) == {
            "value": letter,
            "label": label,
            "meaning": meaning,
            "face": face,
            "score": 77,
            "annual": {"value": "B", "meaning": "一般", "score": 70, "inspections": 2},
            "history": [{"date": "2026-12-01", "grade": letter, "score": 77}],
            # The scan statement reads dates as text, the rows as dates: both read as ISO.
            "appeal": {"label": "复核中", "filed_on": "2026-12-03"},
            "reply": {"text": "冷柜已修好", "date": "2026-12-02", "note": "商户自述，未经核实"},
            "legend": "A 良好（笑脸） · B 一般（平脸） · C 较差（哭脸） · 待评级：尚无计入的检查",
        }


def test_a_shop_with_no_counted_inspection_is_awaiting_its_grade():
    shop = SimpleNamespace(
        category="catering",
        risk_grade="A",
        grade=None,
        grade_score=None,
        annual_grade=None,
        annual_score=None,
        annual_inspections=0,
        grade_history="[]",
        appeal_filed_on=None,
        reply_text=None,
        reply_on=None,
    )
    grade = facts.grade(shop)
    assert (grade["value"], grade["meaning"], grade["face"], grade["score"]) == (
        None,
        "待评级",
        None,
        None,
    )
    assert grade["annual"] == {"value": None, "meaning": "待评级", "score": None, "inspections": 0}
    assert (grade["history"], grade["appeal"], grade["reply"]) == ([], None, None)
