"""Attendance, headcount, the expiring-video report and each trainee's eligibility, read from the database.

The class (scenes.in_training) is alice's, in training from 2023-05-08; its timetable is five hours
on the first day from 08:00 Beijing time (TTPPP). The policy's example check-in parameters apply:
a match score of at least 0.80, from 30 minutes before an hour's start to its end.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jineng.classes.models import Enrollment
from jineng.online.models import OnlineCourse, OnlineResult
from jineng.registry.models import OnlinePlatform
from jineng.supervision import selectors
from jineng.supervision.models import Inspection, MakeUp, Suspension, VideoSegment
from jineng.supervision.selectors import ABSENT, MADE_UP, PENDING, PRESENT, VOID
from jineng.testing import Cast, unit

from .scenes import check_in, everyone_present, in_training, local, roster, with_timetable

pytestmark = pytest.mark.django_db


def statuses(cls, row: int = 1) -> list[str]:
    record = selectors.attendance(cls)
    return next(t for t in record.trainees if t.row == row).statuses


def video(cls, hour, *, camera: str = "A", visible: bool = True, minutes: float | None = None) -> VideoSegment:
    ends = hour.ends_at if minutes is None else hour.starts_at + dt.timedelta(minutes=minutes)
    return VideoSegment.objects.create(
        training_class=cls,
        class_hour=hour,
        camera=camera,
        kind=hour.kind,
        starts_at=hour.starts_at,
        ends_at=ends,
        all_visible=visible,
        storage_ref=f"nvr://{camera}/{hour.seq}",
        retain_until=dt.date(2026, 5, 8),
        recorded_by=hour.training_class.created_by,
        recorded_at=timezone.now(),
    )


def recorded(cls, hours) -> None:
    for hour in hours:
        video(cls, hour)


# ── check-in validity at its boundaries ───────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("offset", "score", "liveness", "counts"),
    [
        (dt.timedelta(minutes=-30), 0.93, True, True),  # starts_at − 30 min counts
        (dt.timedelta(minutes=-30, seconds=-1), 0.93, True, False),  # − 30 min − 1 s does not
        (dt.timedelta(minutes=45), 0.93, True, True),  # at the hour's end still counts
        (dt.timedelta(minutes=45, seconds=1), 0.93, True, False),
        (dt.timedelta(minutes=10), 0.80, True, True),  # score 0.80 counts
        (dt.timedelta(minutes=10), 0.7999, True, False),  # 0.7999 does not
        (dt.timedelta(minutes=10), 0.99, False, False),  # a failed liveness check never counts
    ],
)
def test_a_checkin_counts_for_an_hour_inside_its_window_with_score_and_liveness(
    people: Cast, offset: dt.timedelta, score: float, liveness: bool, counts: bool
) -> None:
    cls = in_training(people, trainees=1, kinds="TTPPP")
    hours = with_timetable(people, cls, "TTPPP")
    recorded(cls, hours)
    third = hours[2]  # 10:00–10:45 Beijing time: its window opens at 09:30
    check_in(cls, roster(cls)[0].person, third.starts_at + offset, score=score, liveness=liveness)
    assert statuses(cls)[2] == (PRESENT if counts else ABSENT)


def test_a_checkin_at_another_class_does_not_count_here(people: Cast) -> None:
    cls = in_training(people, trainees=1)
    other = in_training(people, trainees=0)
    hours = with_timetable(people, cls)
    recorded(cls, hours)
    enrollment = roster(cls)[0]
    Enrollment.objects.create(training_class=other, person=enrollment.person, row=1, category="unemployed")
    check_in(other, enrollment.person, hours[0].starts_at)
    assert statuses(cls)[0] == ABSENT


# ── make-ups (SUP-MAKEUP) ─────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("held", "assessed_on", "status"),
    [
        (local(dt.date(2023, 6, 1), 23, 59, 59), dt.date(2023, 6, 2), MADE_UP),  # the evening before counts
        (local(dt.date(2023, 6, 2), 0, 0, 0), dt.date(2023, 6, 2), ABSENT),  # on the assessment day it does not
        (local(dt.date(2023, 6, 2), 7, 59, 0), dt.date(2023, 6, 2), ABSENT),  # (00:00 UTC is 08:00 in Xuchang)
        (local(dt.date(2023, 6, 3), 9, 0, 0), None, MADE_UP),  # no assessment date yet: it counts so far
    ],
)
def test_a_makeup_counts_when_held_before_the_trainees_assessment_day(
    people: Cast, held: dt.datetime, assessed_on: dt.date | None, status: str
) -> None:
    cls = in_training(people, trainees=2)
    hours = with_timetable(people, cls)
    recorded(cls, hours)
    first, _second = roster(cls)
    MakeUp.objects.create(
        enrollment=first,
        class_hour=hours[3],
        held_at=held,
        minutes=45,
        video_ref="nvr://makeup/1",
        recorded_by=people.alice,
        recorded_at=timezone.now(),
    )
    Enrollment.objects.filter(pk=first.pk).update(assessed_on=assessed_on)
    assert statuses(cls, 1)[3] == status
    assert statuses(cls, 2)[3] == ABSENT  # someone else's make-up is not yours


# ── attendance grid, rates and video voids ────────────────────────────────────────────────────


def test_attendance_gives_each_trainee_a_status_per_hour_and_a_rate(people: Cast) -> None:
    cls = in_training(people, trainees=3, kinds="TTPPP")
    hours = with_timetable(people, cls, "TTPPP")
    recorded(cls, hours)
    a, b, _c = roster(cls)
    for hour in hours:
        check_in(cls, a.person, hour.starts_at)
    for hour in hours[:2]:
        check_in(cls, b.person, hour.starts_at + dt.timedelta(minutes=3))
    record = selectors.attendance(cls)
    by_row = {t.row: t for t in record.trainees}
    assert by_row[1].statuses == [PRESENT] * 5 and by_row[1].rate == Decimal(1)
    assert by_row[2].statuses == [PRESENT, PRESENT, ABSENT, ABSENT, ABSENT] and by_row[2].rate == Decimal("0.4")
    assert by_row[3].statuses == [ABSENT] * 5 and by_row[3].rate == Decimal(0) and by_row[3].checked_in == 0
    assert record.totals == {
        "trainees": 3,
        "hours": 5,
        "due_hours": 5,
        "void_hours": 0,
        "present": 7,
        "made_up": 0,
        "absent": 8,
        "rate": Decimal("0.4667"),
        "without_checkin": 1,
    }


def test_hours_not_yet_over_are_pending_and_outside_the_rate(people: Cast) -> None:
    cls = in_training(people, trainees=1)
    hours = with_timetable(people, cls)
    recorded(cls, hours)
    check_in(cls, roster(cls)[0].person, hours[0].starts_at)
    record = selectors.attendance(cls, now=hours[1].starts_at + dt.timedelta(minutes=10))
    assert record.trainees[0].statuses == [PRESENT, PENDING, PENDING, PENDING, PENDING]
    assert record.trainees[0].rate == Decimal(1)


def test_an_hour_failing_a_video_rule_is_void_for_everyone(people: Cast) -> None:
    cls = in_training(people, trainees=2)
    hours = with_timetable(people, cls)
    everyone_present(cls, hours)
    for hour in hours:
        if hour.seq != 4:
            video(cls, hour)
    video(cls, hours[3], minutes=14.99)  # practical hour 4: 14 min 59.4 s of recording
    record = selectors.attendance(cls)
    assert [h.void for h in record.hours] == [False, False, False, True, False]
    assert all(t.statuses == [PRESENT, PRESENT, PRESENT, VOID, PRESENT] for t in record.trainees)
    assert all(t.rate == Decimal(1) for t in record.trainees)  # the void hour is outside the rate
    assert [f.rule for f in record.video.findings] == ["SUP-PRACTICAL-VIDEO"]


def test_online_hours_are_left_to_the_online_audit(people: Cast) -> None:
    cls = in_training(people, trainees=1, kinds="TOPPP")
    hours = with_timetable(people, cls, "TOPPP")
    record = selectors.attendance(cls)
    assert [h.seq for h in record.hours] == [1, 3, 4, 5]
    assert len(hours) == 5


# ── headcount (SUP-HEADCOUNT) ─────────────────────────────────────────────────────────────────


def test_headcount_is_the_average_present_at_inspections_and_who_came_to_the_first_hour(people: Cast) -> None:
    cls = in_training(people, trainees=4)
    hours = with_timetable(people, cls)
    a, b, *_ = roster(cls)
    check_in(cls, a.person, hours[0].starts_at)
    check_in(cls, b.person, hours[0].starts_at - dt.timedelta(minutes=31))  # too early: not present
    check_in(cls, b.person, hours[1].starts_at)
    for present in (4, 3):
        Inspection.objects.create(
            training_class=cls,
            kind=Inspection.Kind.ONSITE,
            at=hours[1].starts_at,
            inspector=people.dan1,
            inspector_org=unit("dept-mii"),
            present_count=present,
            teachers_present=2,
            recorded_at=timezone.now(),
        )
    count = selectors.headcount(cls)
    assert (count.average_present, count.inspections, count.opening_present, count.roster) == (
        Decimal("3.5"),
        2,
        1,
        4,
    )
    assert count.finding.rule == "SUP-HEADCOUNT"
    assert selectors.headcount(cls, now=hours[0].starts_at - dt.timedelta(minutes=1)).opening_present is None


# ── eligibility ───────────────────────────────────────────────────────────────────────────────


def rules_of(reasons) -> list[str]:
    return [r.rule for r in reasons]


def test_a_fully_attended_and_recorded_class_has_no_reasons(people: Cast) -> None:
    cls = in_training(people, trainees=2)
    hours = with_timetable(people, cls)
    everyone_present(cls, hours)
    recorded(cls, hours)
    state = selectors.eligibility(cls)
    assert state.class_reasons == [] and state.pending == []
    assert [(t.reasons, t.payable, t.pending) for t in state.trainees] == [([], True, []), ([], True, [])]


def test_each_trainee_gets_every_reason_by_rule(people: Cast) -> None:
    cls = in_training(people, trainees=3)
    hours = with_timetable(people, cls)
    a, b, _c = roster(cls)
    for hour in hours:
        check_in(cls, a.person, hour.starts_at)
    check_in(cls, b.person, hours[0].starts_at)  # b misses hours 2–5 (hour 3 made up)
    MakeUp.objects.create(
        enrollment=b,
        class_hour=hours[2],
        held_at=local(dt.date(2023, 5, 20), 9),
        minutes=45,
        video_ref="nvr://makeup/b3",
        recorded_by=people.alice,
        recorded_at=timezone.now(),
    )
    video(cls, hours[0], minutes=44)  # theory hour 1: a minute unrecorded
    video(cls, hours[1], visible=False)
    video(cls, hours[2], visible=False)
    video(cls, hours[3], visible=False)  # the third segment not showing everyone
    video(cls, hours[4])
    state = selectors.eligibility(cls)
    assert rules_of(state.class_reasons) == ["SUP-THEORY-VIDEO", "SUP-VIDEO-ALL-VISIBLE"]
    by_row = {t.row: t for t in state.trainees}
    assert rules_of(by_row[1].reasons) == ["SUP-THEORY-VIDEO", "SUP-VIDEO-ALL-VISIBLE"]
    assert rules_of(by_row[2].reasons) == ["SUP-THEORY-VIDEO", "SUP-VIDEO-ALL-VISIBLE", "SUP-FACE-CHECKIN"]
    face = by_row[2].reasons[-1]
    assert face.values["scope"] == "hours" and face.values["missed"] == [2, 4, 5]  # 1 void, 3 made up
    whole = by_row[3].reasons[-1]
    assert whole.rule == "SUP-FACE-CHECKIN" and whole.values["scope"] == "trainee"
    assert not any(t.payable for t in state.trainees)  # the class is void (SUP-VIDEO-ALL-VISIBLE)
    assert by_row[2].reasons[0].subject == "class" and face.subject == f"trainee:{b.person.id_number}"


def test_two_segments_not_showing_everyone_leave_the_class_payable(people: Cast) -> None:
    cls = in_training(people, trainees=1)
    hours = with_timetable(people, cls)
    everyone_present(cls, hours)
    for hour in hours:
        video(cls, hour, visible=hour.seq > 2)
    state = selectors.eligibility(cls)
    assert state.class_reasons == [] and state.trainees[0].payable


@pytest.mark.parametrize(
    ("remedy", "closed", "payable", "rules"),
    [
        (Suspension.Remedy.PENDING, False, False, ["SUP-SATISFACTION"]),
        (Suspension.Remedy.RETRAIN, False, False, ["SUP-SATISFACTION"]),
        (Suspension.Remedy.RETRAIN, True, True, []),
        (Suspension.Remedy.CANCEL, True, False, ["SUP-SATISFACTION"]),
    ],
)
def test_a_suspension_holds_every_trainee_until_lifted_and_a_cancelled_subsidy_for_good(
    people: Cast, remedy: str, closed: bool, payable: bool, rules: list[str]
) -> None:
    cls = in_training(people, trainees=2)
    hours = with_timetable(people, cls)
    everyone_present(cls, hours)
    recorded(cls, hours)
    Suspension.objects.create(
        training_class=cls,
        rate=Decimal("0.5"),
        responses=2,
        opened_at=timezone.now(),
        remedy=remedy,
        rectify_until=dt.date(2023, 8, 1) if remedy != Suspension.Remedy.PENDING else None,
        closed_at=timezone.now() if closed else None,
    )
    state = selectors.eligibility(cls)
    assert rules_of(state.class_reasons) == rules
    assert [t.payable for t in state.trainees] == [payable, payable]


def test_online_results_give_onl_reasons_and_a_missing_result_is_a_pending_note(people: Cast) -> None:
    cls = in_training(people, trainees=3, kinds="TOPPP")
    hours = with_timetable(people, cls, "TOPPP")
    everyone_present(cls, hours)
    recorded(cls, [h for h in hours if h.kind != "online"])
    platform = OnlinePlatform.objects.create(code="plat", name="平台", listed=True, connected=True)
    course = OnlineCourse.objects.create(platform=platform, code="CRS-1", name="安全生产", lessons=4)
    course.classes.add(cls)
    a, b, c = roster(cls)
    OnlineResult.objects.create(
        learner=a.person.id_hash,
        course="CRS-1",
        recognised=False,
        study_minutes=Decimal("40.0"),
        findings=[
            {"rule": "ONL-MULTI-WINDOW", "session": "S-9", "at": "2023-05-08T20:14:00+08:00", "message": "多窗口"},
            {"rule": "ONL-POPUP", "session": "S-9", "at": "2023-05-08T20:20:00+08:00", "message": "无弹窗"},
        ],
        events=120,
        audited_at=timezone.now(),
        policy="xuchang-2023",
    )
    OnlineResult.objects.create(
        learner=b.person.id_hash,
        course="CRS-1",
        recognised=True,
        study_minutes=Decimal("45.0"),
        findings=[],
        events=80,
        audited_at=timezone.now(),
        policy="xuchang-2023",
    )
    OnlineResult.objects.create(  # a course this class does not study: not its business
        learner=c.person.id_hash,
        course="CRS-OTHER",
        recognised=False,
        study_minutes=Decimal("1.0"),
        findings=[{"rule": "ONL-ORDER", "message": "顺序"}],
        events=3,
        audited_at=timezone.now(),
        policy="xuchang-2023",
    )
    by_row = {t.row: t for t in selectors.eligibility(cls).trainees}
    assert rules_of(by_row[1].reasons) == ["ONL-MULTI-WINDOW", "ONL-POPUP"]
    assert by_row[1].reasons[0].values["course"] == "CRS-1" and by_row[1].reasons[0].values["scope"] == "hours"
    assert by_row[1].payable  # online hours not recognised; the trainee's offline training stands
    assert (by_row[2].reasons, by_row[2].pending) == ([], [])
    assert by_row[3].reasons == [] and by_row[3].pending == ["线上课程 CRS-1 尚无学习核查结果"]


def test_a_class_without_a_timetable_says_so_rather_than_judging(people: Cast) -> None:
    cls = in_training(people, trainees=1)
    state = selectors.eligibility(cls)
    assert state.pending == ["尚未录入课表，无法核对签到与录像"] and state.trainees[0].reasons == []


def test_eligibility_reads_the_same_few_statements_for_two_trainees_or_forty(people: Cast) -> None:
    counts = []
    for n, first in ((2, 0), (40, 100)):
        cls = in_training(people, trainees=n, kinds="TOPPP", first=first)
        hours = with_timetable(people, cls, "TOPPP")
        everyone_present(cls, hours[:2])
        platform, _ = OnlinePlatform.objects.get_or_create(code="plat", defaults={"name": "平台"})
        course = OnlineCourse.objects.create(platform=platform, code=f"CRS-{n}", name="课", lessons=1)
        course.classes.add(cls)
        with CaptureQueriesContext(connection) as queries:
            state = selectors.eligibility(cls)
        assert len(state.trainees) == n
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 8


def test_a_worker_reads_only_their_own_line(people: Cast) -> None:
    cls = in_training(people, trainees=3)
    with_timetable(people, cls)
    mine = roster(cls)[1]
    assert [t.row for t in selectors.eligibility(cls, person_id=mine.person_id).trainees] == [2]
    assert [t.row for t in selectors.attendance(cls, person_id=mine.person_id).trainees] == [2]
    assert selectors.attendance(cls, person_id=0).trainees == []


# ── the expiring-video report (SUP-VIDEO-RETENTION) ───────────────────────────────────────────


def test_the_expiring_report_lists_kept_videos_due_within_the_window_in_the_readers_scope(people: Cast) -> None:
    cls = in_training(people, trainees=1)
    hours = with_timetable(people, cls)
    soon, later, gone = (video(cls, h) for h in hours[:3])
    VideoSegment.objects.filter(pk=soon.pk).update(retain_until=dt.date(2026, 5, 8))
    VideoSegment.objects.filter(pk=later.pk).update(retain_until=dt.date(2026, 9, 1))
    VideoSegment.objects.filter(pk=gone.pk).update(retain_until=dt.date(2026, 5, 8), deleted_at=timezone.now())
    today = dt.date(2026, 5, 1)
    assert [v.pk for v in selectors.video_expiring(people.alice, 7, today=today)] == [soon.pk]
    assert [v.pk for v in selectors.video_expiring(people.alice, 6, today=today)] == []
    assert {v.pk for v in selectors.video_expiring(people.city, 365, today=today)} == {soon.pk, later.pk}
    assert list(selectors.video_expiring(people.bob, 365, today=today)) == []
    assert list(selectors.video_expiring(people.erin, 365, today=today)) == []
