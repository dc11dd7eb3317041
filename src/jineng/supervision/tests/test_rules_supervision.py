"""The SUP-* rules as pure functions, at their boundaries: facts in, finding (or none) out.

Parameters are those of the shipped policy (xuchang-2023): practical_video_min_minutes 15,
video_fail_max 2, video_retention_years 3, satisfaction_min 0.85, rectification_months 1,
inspections_min 1.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from jineng.policy.catalog import Outcome
from jineng.policy.loader import policies
from jineng.policy.rules.supervision import (
    HourFacts,
    SegmentFacts,
    headcount_average,
    hour_video,
    hour_videos,
    hours_text,
    makeup_counts,
    rectification_minimum,
    sup_face_checkin,
    sup_headcount,
    sup_inspection,
    sup_makeup,
    sup_practical_video,
    sup_rectification_over,
    sup_rectification_period,
    sup_satisfaction,
    sup_suspension_standing,
    sup_theory_video,
    sup_video_all_visible,
    sup_video_retention,
    video_retain_until,
)

P = policies().named("xuchang-2023").parameters_on(dt.date(2023, 6, 1))  # type: ignore[union-attr]
CST = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2023, 5, 8, 9, 0, tzinfo=CST)
END = START + dt.timedelta(minutes=45)
PRACTICAL = HourFacts(1, "practical", START, END)
THEORY = HourFacts(2, "theory", START, END)


def at(minutes: float) -> dt.datetime:
    return START + dt.timedelta(minutes=minutes)


def seg(start: float, end: float, camera: str = "A", *, visible: bool = True) -> SegmentFacts:
    return SegmentFacts(camera, at(start), at(end), visible)


def test_the_policy_holds_the_plans_numbers() -> None:
    assert (P.inspections_min, P.practical_video_min_minutes, P.video_fail_max, P.video_retention_years) == (
        1,
        15,
        2,
        3,
    )
    assert (P.satisfaction_min, P.rectification_months) == (Decimal("0.85"), 1)
    assert (P.checkin_match_min, P.checkin_early_minutes) == (Decimal("0.80"), 30)


# ── SUP-PRACTICAL-VIDEO ───────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("segments", "fires", "longest"),
    [
        ([seg(10, 25)], False, 15 * 60),  # exactly 15:00 passes
        ([seg(10, 24 + 59 / 60)], True, 14 * 60 + 59),  # 14:59 fails
        ([seg(0, 10), seg(10, 20)], False, 20 * 60),  # two touching segments of one camera are continuous
        ([seg(0, 10), seg(10 + 1 / 60, 20)], True, 10 * 60),  # a 1-second gap is not
        ([seg(0, 10, "A"), seg(10, 20, "B")], True, 10 * 60),  # two cameras are two recordings
        ([seg(0, 12), seg(5, 16)], False, 16 * 60),  # overlapping segments of one camera join
        ([seg(-20, 10)], True, 10 * 60),  # only what lies inside the hour counts
        ([seg(35, 60)], True, 10 * 60),
        ([seg(-5, 50)], False, 45 * 60),
        ([], True, 0),
    ],
)
def test_each_practical_hour_needs_fifteen_continuous_minutes_of_one_camera(
    segments: list[SegmentFacts], fires: bool, longest: int
) -> None:
    video = hour_video(PRACTICAL, segments)
    assert int(video.longest_run.total_seconds()) == longest
    found = sup_practical_video(p=P, videos=[video])
    assert (found is not None) is fires
    if found is not None:
        assert (found.rule, found.outcome, found.clause, found.subject) == (
            "SUP-PRACTICAL-VIDEO",
            Outcome.VOID,
            "二(三)2",
            "class",
        )
        assert found.values["hours"] == [1] and found.values["scope"] == "hours"
        assert found.values["longest_seconds"] == {"1": longest}


def test_practical_video_lists_every_short_hour_and_only_practical_ones() -> None:
    hours = [
        HourFacts(n, kind, at(60 * n), at(60 * n + 45)) for n, kind in enumerate(["practical"] * 4 + ["theory"], 1)
    ]
    segments = [seg(60 * 1, 60 * 1 + 15), seg(60 * 2, 60 * 2 + 14), seg(60 * 3, 60 * 3 + 5)]
    found = sup_practical_video(p=P, videos=hour_videos(hours, segments))
    assert found is not None and found.values["hours"] == [2, 3, 4]
    assert "第2–4课时" in found.message


# ── SUP-THEORY-VIDEO ──────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("segments", "uncovered"),
    [
        ([seg(0, 45)], 0),  # full coverage passes
        ([seg(-10, 60)], 0),
        ([seg(0, 20, "A"), seg(20, 45, "B")], 0),  # coverage may pass from camera to camera
        ([seg(0, 45 - 1 / 60)], 1),  # one second uncovered fails
        ([seg(1 / 60, 45)], 1),
        ([seg(0, 20), seg(20 + 1 / 60, 45)], 1),  # a one-second gap in the middle
        ([], 45 * 60),
    ],
)
def test_theory_is_recorded_in_full_to_the_second(segments: list[SegmentFacts], uncovered: int) -> None:
    video = hour_video(THEORY, segments)
    assert int(video.uncovered.total_seconds()) == uncovered
    found = sup_theory_video(videos=[video])
    assert (found is None) is (uncovered == 0)
    if found is not None:
        assert found.rule == "SUP-THEORY-VIDEO" and found.values["uncovered_seconds"] == {"2": uncovered}


def test_theory_rule_ignores_practical_hours_and_the_practical_rule_theory_hours() -> None:
    videos = [hour_video(PRACTICAL, [seg(0, 20)]), hour_video(THEORY, [seg(0, 45)])]
    assert sup_theory_video(videos=videos) is None
    assert sup_practical_video(p=P, videos=[hour_video(THEORY, [])]) is None


# ── SUP-VIDEO-ALL-VISIBLE ─────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(("failures", "voids"), [(0, False), (1, False), (2, False), (3, True), (7, True)])
def test_the_third_recording_not_showing_every_trainee_voids_the_class(failures: int, voids: bool) -> None:
    found = sup_video_all_visible(p=P, failures=failures)
    assert (found is not None) is voids
    if found is not None:
        assert (found.rule, found.outcome, found.values["scope"]) == ("SUP-VIDEO-ALL-VISIBLE", Outcome.VOID, "class")


# ── SUP-VIDEO-RETENTION ───────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("ended_on", "retain_until"),
    [
        (dt.date(2023, 5, 26), dt.date(2026, 5, 26)),
        (dt.date(2024, 2, 29), dt.date(2027, 2, 28)),  # calendar years: 29 February falls back to the 28th
        (dt.date(2023, 12, 31), dt.date(2026, 12, 31)),
    ],
)
def test_videos_are_kept_three_calendar_years(ended_on: dt.date, retain_until: dt.date) -> None:
    assert video_retain_until(p=P, ended_on=ended_on) == retain_until


@pytest.mark.parametrize(
    ("today", "refused"),
    [(dt.date(2026, 5, 25), True), (dt.date(2026, 5, 26), False), (dt.date(2026, 5, 27), False)],
)
def test_a_video_may_be_deleted_on_its_retain_until_date_not_the_day_before(today: dt.date, refused: bool) -> None:
    found = sup_video_retention(p=P, retain_until=dt.date(2026, 5, 26), today=today)
    assert (found is not None) is refused
    if found is not None:
        assert found.rule == "SUP-VIDEO-RETENTION" and found.outcome == Outcome.DEADLINE


# ── SUP-MAKEUP ────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("held_on", "assessed_on", "counts"),
    [
        (dt.date(2023, 6, 1), dt.date(2023, 6, 2), True),  # the day before the assessment counts
        (dt.date(2023, 6, 2), dt.date(2023, 6, 2), False),  # on the assessment day it does not
        (dt.date(2023, 6, 3), dt.date(2023, 6, 2), False),
        (dt.date(2023, 6, 3), None, True),  # no assessment date yet: it counts so far
    ],
)
def test_a_makeup_counts_only_before_the_assessment_day(
    held_on: dt.date, assessed_on: dt.date | None, counts: bool
) -> None:
    assert makeup_counts(held_on=held_on, assessed_on=assessed_on) is counts
    found = sup_makeup(subject="trainee:x", held_on=held_on, assessed_on=assessed_on)
    assert (found is None) is counts
    if found is not None:
        assert found.rule == "SUP-MAKEUP" and found.subject == "trainee:x"


# ── SUP-FACE-CHECKIN ──────────────────────────────────────────────────────────────────────────


def test_a_trainee_without_any_valid_checkin_is_not_payable() -> None:
    found = sup_face_checkin(subject="trainee:x", due_hours=5, checked_in_hours=0, missed=[1, 2, 3, 4, 5])
    assert found is not None and found.values["scope"] == "trainee" and found.outcome == Outcome.VOID
    assert "5 个课时均无有效人脸识别签到" in found.message


def test_missed_hours_not_made_up_are_listed() -> None:
    found = sup_face_checkin(subject="trainee:x", due_hours=5, checked_in_hours=3, missed=[2, 4])
    assert found is not None and found.values["scope"] == "hours" and found.values["missed"] == [2, 4]
    assert "第2、4课时" in found.message


@pytest.mark.parametrize(("due", "checked_in"), [(0, 0), (5, 5), (5, 4)])
def test_nothing_is_said_before_any_hour_ends_or_when_every_hour_is_attended(due: int, checked_in: int) -> None:
    assert sup_face_checkin(subject="trainee:x", due_hours=due, checked_in_hours=checked_in, missed=[]) is None


# ── SUP-INSPECTION ────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(("inspections", "refused"), [(0, True), (1, False), (3, False)])
def test_ending_needs_at_least_one_inspection(inspections: int, refused: bool) -> None:
    found = sup_inspection(p=P, inspections=inspections)
    assert (found is not None) is refused
    if found is not None:
        assert (found.rule, found.outcome, found.clause) == ("SUP-INSPECTION", Outcome.BLOCK, "二(三)2")


# ── SUP-HEADCOUNT ─────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("counts", "average"),
    [([], None), ([30], Decimal("30.0")), ([30, 27], Decimal("28.5")), ([30, 29, 29], Decimal("29.3"))],
)
def test_the_trained_headcount_is_the_average_present_at_inspections(
    counts: list[int], average: Decimal | None
) -> None:
    assert headcount_average(counts) == average
    measure = sup_headcount(present_counts=counts, opening_present=31, roster=32)
    assert measure.rule == "SUP-HEADCOUNT" and measure.outcome == Outcome.MEASURE
    assert measure.values["average_present"] == average and measure.values["opening_present"] == 31


# ── SUP-SATISFACTION ──────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("satisfied", "responses", "suspends"),
    [
        (17, 20, False),  # 85% exactly passes
        (16, 20, True),  # 80%
        (84, 99, True),  # 84.85%: below, though it rounds to 85% at whole percents
        (85, 100, False),
        (849, 1000, True),  # 84.9%
        (20, 20, False),
        (0, 1, True),
    ],
)
def test_satisfaction_below_eighty_five_percent_suspends_the_assessment(
    satisfied: int, responses: int, suspends: bool
) -> None:
    found = sup_satisfaction(p=P, satisfied=satisfied, responses=responses)
    assert (found is not None) is suspends
    if found is not None:
        assert (found.rule, found.outcome, found.values["scope"]) == ("SUP-SATISFACTION", Outcome.SUSPEND, "class")


def test_satisfaction_needs_at_least_one_answer() -> None:
    with pytest.raises(ValueError, match="至少有一份问卷"):
        sup_satisfaction(p=P, satisfied=0, responses=0)


@pytest.mark.parametrize(
    ("decided_on", "rectify_until", "refused"),
    [
        (dt.date(2023, 7, 10), dt.date(2023, 8, 10), False),  # exactly one calendar month passes
        (dt.date(2023, 7, 10), dt.date(2023, 8, 9), True),  # a day less is refused
        (dt.date(2023, 3, 31), dt.date(2023, 4, 30), False),  # 31 March + 1 month = 30 April
        (dt.date(2023, 3, 31), dt.date(2023, 4, 29), True),
        (dt.date(2023, 1, 31), dt.date(2023, 2, 28), False),
    ],
)
def test_rectification_lasts_at_least_one_calendar_month(
    decided_on: dt.date, rectify_until: dt.date, refused: bool
) -> None:
    found = sup_rectification_period(p=P, decided_on=decided_on, rectify_until=rectify_until)
    assert (found is not None) is refused
    if found is not None:
        assert found.values["minimum"] == rectification_minimum(p=P, decided_on=decided_on)


@pytest.mark.parametrize(
    ("today", "refused"), [(dt.date(2023, 8, 9), True), (dt.date(2023, 8, 10), False), (dt.date(2023, 9, 1), False)]
)
def test_a_suspension_is_lifted_on_the_last_day_of_rectification_not_before(today: dt.date, refused: bool) -> None:
    assert (sup_rectification_over(today=today, rectify_until=dt.date(2023, 8, 10)) is not None) is refused


@pytest.mark.parametrize(
    ("remedy", "closed", "scope"),
    [("pending", False, "class"), ("retrain", False, "class"), ("retrain", True, None), ("cancel", True, "class")],
)
def test_a_suspension_holds_payment_until_closed_and_a_cancelled_subsidy_for_good(
    remedy: str, closed: bool, scope: str | None
) -> None:
    found = sup_suspension_standing(
        remedy=remedy, rate=Decimal("0.8"), responses=20, rectify_until=dt.date(2023, 8, 10), closed=closed
    )
    assert (found.values["scope"] if found else None) == scope


def test_hours_are_named_in_ranges() -> None:
    assert hours_text([7, 1, 2, 3, 5]) == "第1–3、5、7课时"
    assert hours_text([4]) == "第4课时"
