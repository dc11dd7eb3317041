"""Working days (工作日) on the official PRC calendar, adjusted working weekends (调休) included.

chinese-calendar knows the State Council's notice for each year it ships; for a year it does not
know yet, Monday–Friday is assumed and the result says so (`official=False`), rather than failing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import chinese_calendar


@lru_cache(maxsize=8192)
def _is_workday(day: dt.date) -> tuple[bool, bool]:
    try:
        return bool(chinese_calendar.is_workday(day)), True
    except NotImplementedError:
        return day.weekday() < 5, False


def is_working_day(day: dt.date) -> bool:
    return _is_workday(day)[0]


@dataclass(frozen=True, slots=True)
class Deadline:
    due: dt.date
    official: bool  # False when a year outside chinese-calendar's data was assumed Monday–Friday

    def remaining(self, today: dt.date) -> int:
        """Working days left after today up to and including the due date; negative when overdue."""
        if today <= self.due:
            return working_days_between(today, self.due)
        return -working_days_between(self.due, today)


def add_working_days(start: dt.date, days: int) -> Deadline:
    """The `days`-th working day after `start` (the day of acceptance does not count)."""
    if days < 0:
        raise ValueError("days must be ≥ 0")
    day, official, counted = start, True, 0
    while counted < days:
        day += dt.timedelta(days=1)
        working, known = _is_workday(day)
        official = official and known
        if working:
            counted += 1
    return Deadline(day, official)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if _is_workday(day)[0]:
            count += 1
    return count
