"""Working days as China counts them: weekends and statutory holidays off, make-up working
days (调休) on, and the district's own days off; deadlines end at Shanghai midnight."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

from backend.clock import SHANGHAI
from backend.workdays import WorkingCalendar


def _at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_the_national_day_holiday_is_not_counted():
    calendar = WorkingCalendar()
    # 30 September, a Wednesday: 1 to 7 October are off, the 8th is the next working day.
    assert calendar.after(_at(2026, 9, 30, 10), 1) == _at(2026, 10, 9)
    assert not calendar.is_working_day(date(2026, 10, 5))


def test_a_make_up_saturday_is_a_working_day():
    calendar = WorkingCalendar()
    assert calendar.is_working_day(date(2026, 10, 10))  # a Saturday, worked for the holiday
    assert not calendar.is_working_day(date(2026, 10, 17))  # an ordinary Saturday
    assert calendar.after(_at(2026, 10, 8, 10), 2) == _at(2026, 10, 11)


def test_the_day_it_starts_does_not_count_even_at_dawn():
    calendar = WorkingCalendar()
    assert calendar.after(_at(2026, 12, 7, 0, 5), 1) == _at(2026, 12, 9)  # Mon → end of Tue


def test_the_districts_own_days_off_and_on_count_too():
    calendar = WorkingCalendar(extra_days_off=[date(2026, 10, 9)])
    assert calendar.after(_at(2026, 10, 8, 10), 2) == _at(2026, 10, 13)
    swapped = WorkingCalendar(extra_working_days=[date(2026, 12, 12)])
    assert swapped.after(_at(2026, 12, 11, 9), 1) == _at(2026, 12, 13)


def test_a_year_the_state_council_has_not_yet_published_still_has_its_festivals():
    # 2027's Spring Festival, computed from the lunar calendar.
    assert WorkingCalendar().after(_at(2027, 2, 4, 10), 1) == _at(2027, 2, 12)


def test_between_counts_what_a_deadline_would_have_allowed():
    calendar = WorkingCalendar()
    start = _at(2026, 9, 30, 10)
    assert calendar.between(start, calendar.after(start, 15)) == 15
    assert calendar.between(start, _at(2026, 10, 8, 17)) == 1


def test_the_first_working_day_after_the_start_counts():
    calendar = WorkingCalendar()
    assert calendar.between(_at(2026, 12, 7, 10), _at(2026, 12, 8, 17)) == 1  # Mon → Tue


def test_days_are_shanghai_days_near_midnight():
    calendar = WorkingCalendar()
    # 00:30 on Thursday 8 October in Shanghai is still the 7th in UTC, a holiday there.
    assert calendar.between(_at(2026, 10, 8, 0, 30), _at(2026, 10, 9, 17)) == 1
    deadline = calendar.after(_at(2026, 12, 7, 10), 1)
    # A moment just past a deadline's midnight belongs to the next day.
    assert calendar.between(_at(2026, 12, 7, 10), deadline + timedelta(microseconds=1)) == 2


def test_a_deadline_reads_in_utc_whatever_the_machines_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        deadline = WorkingCalendar().after(_at(2026, 12, 7, 10), 1)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert deadline.isoformat() == "2026-12-08T16:00:00+00:00"


def test_the_app_counts_with_the_districts_own_days_off(config):
    from backend import create_app, workdays

    app = create_app(config.replace(extra_days_off=(date(2026, 12, 24),)))
    with app.app_context():
        assert not workdays.calendar().is_working_day(date(2026, 12, 24))  # a Thursday
        assert workdays.calendar().is_working_day(date(2026, 12, 23))
