"""Working days on the official calendar: holidays skipped, adjusted working weekends (调休) counted."""

from __future__ import annotations

import datetime as dt

import pytest

from jineng.workdays import add_working_days, is_working_day, working_days_between

D = dt.date


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2023, 10, 2), False),  # 国庆节
        (D(2023, 10, 7), True),  # 调休上班（星期六）
        (D(2023, 10, 8), True),  # 调休上班（星期日）
        (D(2023, 10, 14), False),  # an ordinary Saturday
        (D(2023, 6, 22), False),  # 端午节
        (D(2023, 6, 25), True),  # 调休上班（星期日）
    ],
)
def test_the_official_calendar_decides_a_working_day(day: dt.date, working: bool) -> None:
    assert is_working_day(day) is working


def test_ten_working_days_across_national_day_count_the_adjusted_weekend() -> None:
    # Accepted on Wed 2023-09-27: 9-28, 10-7, 10-8, 10-9 … 10-13, 10-16, 10-17 are the ten.
    deadline = add_working_days(D(2023, 9, 27), 10)
    assert deadline.due == D(2023, 10, 17) and deadline.official


def test_remaining_days_count_down_and_go_negative_when_overdue() -> None:
    deadline = add_working_days(D(2023, 5, 8), 10)
    assert deadline.due == D(2023, 5, 22)
    assert deadline.remaining(D(2023, 5, 8)) == 10
    assert deadline.remaining(D(2023, 5, 22)) == 0
    assert deadline.remaining(D(2023, 5, 24)) == -2


def test_a_year_the_calendar_does_not_know_is_weekdays_and_says_so() -> None:
    deadline = add_working_days(D(2099, 1, 2), 1)  # a Friday
    assert deadline.due == D(2099, 1, 5) and not deadline.official


def test_between_counts_the_end_not_the_start() -> None:
    assert working_days_between(D(2023, 5, 8), D(2023, 5, 12)) == 4
