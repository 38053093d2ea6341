"""China's working days: weekends and statutory holidays off, the make-up working days
(调休) on, as the `holidays` library keeps them from the State Council's yearly notice;
and the district's own changes (EXTRA_DAYS_OFF, EXTRA_WORKING_DAYS), which also carry a
year the library does not know yet.

A deadline of N working days falls at the end of the Nth working day after the day it
starts (12345's rule: the day a case arrives does not count), in Shanghai time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import holidays
from flask import current_app

from backend import clock


class WorkingCalendar:
    def __init__(self, extra_days_off=(), extra_working_days=()):
        self.china = holidays.China()
        self.extra_off = frozenset(extra_days_off)
        self.extra_on = frozenset(extra_working_days)

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_off:
            return False
        if day in self.extra_on:
            return True
        return self.china.is_working_day(day)

    def after(self, start: datetime, working_days: int) -> datetime:
        """The end of the `working_days`th working day after `start`'s day (Shanghai)."""
        day = start.astimezone(clock.SHANGHAI).date()
        counted = 0
        while counted < working_days:
            day += timedelta(days=1)
            counted += self.is_working_day(day)
        return datetime.combine(day + timedelta(days=1), time(), clock.SHANGHAI).astimezone(UTC)

    def between(self, start: datetime, end: datetime) -> int:
        """Working days from `start`'s day to `end`'s, the first not counted: the fewest
        a deadline (`after`) could have given for `end` to meet it."""
        first = start.astimezone(clock.SHANGHAI).date()
        # A deadline is the midnight that ends its day: that moment belongs to the day before.
        last = (end - timedelta(microseconds=1)).astimezone(clock.SHANGHAI).date()
        return sum(
            self.is_working_day(first + timedelta(days=n))
            for n in range(1, (last - first).days + 1)
        )


def calendar() -> WorkingCalendar:
    """The app's calendar (China's, with the district's EXTRA_DAYS_OFF and working days)."""
    return current_app.extensions["citycode.calendar"]
