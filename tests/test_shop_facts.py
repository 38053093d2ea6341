"""What a shop's records mean on a given day: licence status, stars, the last inspection."""

from __future__ import annotations

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


def _shop(histogram, last_at=None, last_result=None):
    counts = [int(n) for n in histogram.split(",")]
    return SimpleNamespace(
        rating_histogram=histogram,
        rating_count=sum(counts),
        rating_total=sum(stars * n for stars, n in enumerate(counts, 1)),
        last_inspection_at=last_at,
        last_inspection_result=last_result,
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
    shop = _shop("0,0,0,0,0", datetime(2026, 9, 5, 17, 30, tzinfo=UTC), "rectify")
    assert facts.last_inspection(shop) == {
        "date": "2026-09-06",
        "result": "rectify",
        "result_label": "限期整改",
    }
    assert facts.last_inspection(_shop("0,0,0,0,0")) is None
