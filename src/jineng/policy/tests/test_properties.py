"""Property tests: the ratio rules against their arithmetic definition, and ID handling."""

from __future__ import annotations

import datetime as dt
from math import ceil

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from jineng.ids import mask_ric, normalise_ric, ric_problem

from .builders import document, person, resident_id, rules_fired

trainee_counts = st.integers(min_value=0, max_value=120)


@settings(max_examples=150, deadline=None)
@given(n=trainee_counts, teachers=st.integers(min_value=0, max_value=8))
def test_teacher_ratio_fires_exactly_when_teachers_are_below_ceil_n_over_20(n: int, teachers: int) -> None:
    doc = document(
        trainees=[person(i + 1) for i in range(n)],
        klass={"teachers": [{"name": str(i), "certified": True} for i in range(teachers)]},
    )
    assert ("CLS-TEACHER-RATIO" in rules_fired(doc)) is (teachers < ceil(n / 20))
    assert ("CLS-TEACHER-RATIO" in rules_fired(doc)) is (teachers * 20 < n)


@settings(max_examples=150, deadline=None)
@given(n=trainee_counts, stations=st.integers(min_value=0, max_value=8))
def test_station_ratio_fires_exactly_when_workstations_are_below_ceil_n_over_20(n: int, stations: int) -> None:
    doc = document(
        trainees=[person(i + 1) for i in range(n)],
        klass={"workstations": stations, "teachers": [{"name": str(i), "certified": True} for i in range(6)]},
    )
    assert ("CLS-STATION-RATIO" in rules_fired(doc)) is (stations * 20 < n)


# Region codes valid for births from 1997 on in stdnum's table (襄城县 411025 dates from 1997).
regions = st.sampled_from(["411081", "411082", "411002", "411024", "411025", "411000"])
births = st.dates(min_value=dt.date(1997, 1, 1), max_value=dt.date(2005, 12, 31))
sequences = st.integers(min_value=0, max_value=999)


@given(region=regions, born=births, seq=sequences)
def test_numbers_built_with_stdnums_check_digit_are_valid(region: str, born: dt.date, seq: int) -> None:
    number = resident_id(seq, region=region, birth=born.strftime("%Y%m%d"))
    assert ric_problem(number, as_of=dt.date(2023, 5, 1)) is None
    assert ric_problem(number.lower()) is None
    assert normalise_ric(number.lower()) == number


@given(
    region=regions,
    born=births,
    seq=sequences,
    position=st.integers(min_value=0, max_value=16),
    delta=st.integers(min_value=1, max_value=9),
)
def test_changing_any_one_digit_makes_the_number_invalid(
    region: str, born: dt.date, seq: int, position: int, delta: int
) -> None:
    number = resident_id(seq, region=region, birth=born.strftime("%Y%m%d"))
    digit = (int(number[position]) + delta) % 10
    changed = number[:position] + str(digit) + number[position + 1 :]
    assert ric_problem(changed) is not None
    assert not ric.is_valid(changed)


@given(region=regions, born=births, seq=sequences)
def test_our_verdict_agrees_with_stdnum(region: str, born: dt.date, seq: int) -> None:
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    for check_digit in "0123456789X":
        assert (ric_problem(body + check_digit) is None) is ric.is_valid(body + check_digit)


@given(st.text(alphabet="0123456789X", min_size=9, max_size=20))
def test_masking_keeps_the_ends_and_hides_the_middle(number: str) -> None:
    masked = mask_ric(number)
    assert len(masked) == len(number)
    assert masked[:4] == number[:4] and masked[-4:] == number[-4:]
    assert set(masked[4:-4]) <= {"*"}


def test_masking_the_example() -> None:
    assert mask_ric("41108119900101123X") == "4110**********123X"
    assert mask_ric("12345") == "*****"
    assert mask_ric(None) == ""
