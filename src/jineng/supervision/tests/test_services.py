"""Writes on the supervision record: who may write what, when, every bad field at once, the audit row.

The cast (jineng.testing.Cast): alice clerks for the 禹州 school whose class this is; bob clerks
for another school; dan1/dan2 review for 市工信局, the class's lead department; erin for another
department; hana1/hana2 are 禹州 HR; carol is 长葛 HR; city is 市人社局.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from jineng.accounts.models import Role, User
from jineng.audit.models import AuditEvent
from jineng.classes.errors import InvalidInput, InvalidTransition, NotPermitted, RuleBlocked, StaleVersion
from jineng.classes.models import ClassState, Enrollment, TrainingClass
from jineng.supervision.models import ClassHour, Inspection, SatisfactionResponse, Suspension, VideoSegment
from jineng.supervision.services import (
    HourInput,
    class_hours_set,
    inspection_record,
    makeup_record,
    satisfaction_answer,
    satisfaction_evaluate,
    suspension_close,
    suspension_decide,
    video_delete,
    video_record,
)
from jineng.testing import Cast, user

from .scenes import START, hours_for, in_training, local, roster, with_timetable

pytestmark = pytest.mark.django_db


def events(cls: TrainingClass) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="classes.trainingclass", object_id=str(cls.pk))
        .order_by("at", "id")
        .values_list("event", flat=True)
    )


def paths(exc: pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return [f["path"] for f in exc.value.fields]


def ended(cls: TrainingClass) -> TrainingClass:
    TrainingClass.objects.filter(pk=cls.pk).update(state=ClassState.ENDED)
    cls.refresh_from_db()
    return cls


def freeze(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:
    """The clock at noon Beijing time on `day` (services read the date through django.utils.timezone)."""
    monkeypatch.setattr(timezone, "now", lambda: local(day, 12))


# ── timetable ─────────────────────────────────────────────────────────────────────────────────


def test_the_clerk_sets_the_timetable_numbered_by_start_and_the_class_version_moves(people: Cast) -> None:
    cls = in_training(people, kinds="TTPPP")
    version = cls.version
    hours = hours_for("TTPPP")
    saved = class_hours_set(cls=cls, actor=people.alice, version=version, hours=list(reversed(hours)))
    assert [(h.seq, h.kind, h.starts_at) for h in saved] == [(i + 1, h.kind, h.starts_at) for i, h in enumerate(hours)]
    cls.refresh_from_db()
    assert cls.version == version + 1 and events(cls)[-1] == "timetable.set"
    # The same timetable again changes nothing: no new version, no audit row.
    class_hours_set(cls=cls, actor=people.alice, version=cls.version, hours=hours)
    assert TrainingClass.objects.get(pk=cls.pk).version == version + 1 and events(cls).count("timetable.set") == 1


def test_a_timetable_names_every_bad_hour_at_once(people: Cast) -> None:
    cls = in_training(people, kinds="TTPPP")
    good = hours_for("TTPPP")
    bad = [
        HourInput("theory", good[0].starts_at, good[0].starts_at + dt.timedelta(minutes=44)),  # 44 < 45 minutes
        HourInput("theory", local(dt.date(2023, 5, 7), 8), local(dt.date(2023, 5, 7), 9)),  # before the class starts
        HourInput("practical", good[2].starts_at, good[2].ends_at),
        HourInput("practical", good[2].starts_at + dt.timedelta(minutes=30), good[3].ends_at),  # overlaps the 3rd
        HourInput("holiday", good[4].starts_at, good[4].ends_at),
    ]
    with pytest.raises(InvalidInput) as refused:
        class_hours_set(cls=cls, actor=people.alice, version=cls.version, hours=bad)
    assert paths(refused) == [
        "hours[0].ends_at",
        "hours[1].starts_at",
        "hours[4].kind",
        "hours[3].starts_at",
        "hours",
    ]
    messages = " ".join(f["message"] for f in refused.value.fields)
    assert "不足每课时 45 分钟" in messages and "与第3个课时重叠" in messages and "实操课时 2 个，应为 3 个" in messages
    assert not ClassHour.objects.filter(training_class=cls).exists()


@pytest.mark.parametrize(
    ("day", "ok"),
    [
        (dt.date(2023, 5, 26), True),
        (dt.date(2023, 5, 27), False),
        (dt.date(2023, 5, 8), True),
        (dt.date(2023, 5, 7), False),
    ],
)
def test_hours_lie_inside_the_class_dates_in_beijing_time(people: Cast, day: dt.date, ok: bool) -> None:
    cls = in_training(people, kinds="T", hours_theory=1, hours_practical=0)
    # 23:00–23:50 Beijing time is 15:00–15:50 UTC the same day: the local date decides.
    hour = HourInput("theory", local(day, 23), local(day, 23, 50))
    if ok:
        class_hours_set(cls=cls, actor=people.alice, version=cls.version, hours=[hour])
    else:
        with pytest.raises(InvalidInput, match="课表"):
            class_hours_set(cls=cls, actor=people.alice, version=cls.version, hours=[hour])


def test_touching_hours_do_not_overlap(people: Cast) -> None:
    cls = in_training(people, kinds="TT")
    first = HourInput("theory", local(START, 8), local(START, 8, 45))
    second = HourInput("theory", local(START, 8, 45), local(START, 9, 30))
    assert len(class_hours_set(cls=cls, actor=people.alice, version=cls.version, hours=[first, second])) == 2


def test_online_hours_are_part_of_the_theory_count(people: Cast) -> None:
    cls = in_training(people, kinds="TOPPP")
    assert cls.hours_theory == 2 and cls.hours_online == 1
    with pytest.raises(InvalidInput) as refused:
        class_hours_set(cls=cls, actor=people.alice, version=cls.version, hours=hours_for("TTPPP"))
    assert [f["message"].split("（")[0] for f in refused.value.fields] == [
        "理论课时 2 个，应为 1 个",
        "线上理论课时 0 个，应为 1 个",
    ]
    assert len(class_hours_set(cls=cls, actor=people.alice, version=cls.version, hours=hours_for("TOPPP"))) == 5


def test_only_the_classs_own_clerk_sets_its_timetable_and_not_after_it_ends(people: Cast) -> None:
    cls = in_training(people)
    for who in (people.bob, people.dan1, people.hana1):
        with pytest.raises(NotPermitted):
            class_hours_set(cls=cls, actor=who, version=cls.version, hours=hours_for("TTPPP"))
    with pytest.raises(StaleVersion):
        class_hours_set(cls=cls, actor=people.alice, version=cls.version - 1, hours=hours_for("TTPPP"))
    ended(cls)
    with pytest.raises(InvalidTransition, match="课表不能再修改"):
        class_hours_set(cls=cls, actor=people.alice, version=cls.version, hours=hours_for("TTPPP"))


def test_an_hour_with_a_makeup_keeps_its_time(people: Cast) -> None:
    cls = in_training(people)
    hours = with_timetable(people, cls)
    makeup_record(
        cls=cls,
        actor=people.alice,
        enrollment_id=roster(cls)[0].pk,
        hour_seq=4,
        held_at=local(dt.date(2023, 5, 20), 9),
        minutes=45,
        video_ref="nvr://makeup/1",
    )
    cls.refresh_from_db()
    moved = hours_for("TTPPP", day=dt.date(2023, 5, 9))
    with pytest.raises(InvalidInput, match="课表") as refused:
        class_hours_set(cls=cls, actor=people.alice, version=cls.version, hours=moved)
    assert "第4课时" in refused.value.fields[0]["message"]
    fifth_later = [
        *(HourInput(h.kind, h.starts_at, h.ends_at, h.topic) for h in hours[:4]),
        HourInput("practical", local(START, 14), local(START, 14, 45)),
    ]
    saved = class_hours_set(cls=cls, actor=people.alice, version=cls.version, hours=fifth_later)
    assert [h.starts_at for h in saved][3:] == [hours[3].starts_at, local(START, 14)]


# ── make-ups ──────────────────────────────────────────────────────────────────────────────────


def test_a_makeup_is_recorded_once_with_its_audit_row_and_a_retry_changes_nothing(people: Cast) -> None:
    cls = in_training(people)
    with_timetable(people, cls)
    entry = roster(cls)[1]
    kwargs = {
        "cls": cls,
        "actor": people.alice,
        "enrollment_id": entry.pk,
        "hour_seq": 3,
        "held_at": local(dt.date(2023, 5, 12), 14),
        "minutes": 45,
        "video_ref": "nvr://makeup/3",
    }
    first = makeup_record(**kwargs)  # type: ignore[arg-type]
    again = makeup_record(**kwargs)  # type: ignore[arg-type]
    assert first.pk == again.pk and events(cls).count("makeup.record") == 1
    with pytest.raises(InvalidInput, match="补课记录"):
        makeup_record(**{**kwargs, "minutes": 50})  # type: ignore[arg-type]


def test_a_makeup_names_every_bad_field_at_once(people: Cast) -> None:
    cls = in_training(people)
    hours = with_timetable(people, cls)
    with pytest.raises(InvalidInput) as refused:
        makeup_record(
            cls=cls,
            actor=people.alice,
            enrollment_id=999_999,
            hour_seq=3,
            held_at=hours[2].ends_at - dt.timedelta(minutes=1),
            minutes=44,
            video_ref=" ",
        )
    assert paths(refused) == ["video_ref", "enrollment_id", "held_at", "minutes"]


@pytest.mark.parametrize(("held_on", "ok"), [(dt.date(2023, 6, 1), True), (dt.date(2023, 6, 2), False)])
def test_a_makeup_on_or_after_the_assessment_day_is_refused(people: Cast, held_on: dt.date, ok: bool) -> None:
    cls = in_training(people)
    with_timetable(people, cls)
    entry = roster(cls)[0]
    Enrollment.objects.filter(pk=entry.pk).update(assessed_on=dt.date(2023, 6, 2))
    call = {
        "cls": cls,
        "actor": people.alice,
        "enrollment_id": entry.pk,
        "hour_seq": 3,
        "held_at": local(held_on, 7, 59),
        "minutes": 45,
        "video_ref": "nvr://m",
    }
    if ok:
        makeup_record(**call)  # type: ignore[arg-type]
    else:
        with pytest.raises(InvalidInput) as refused:
            makeup_record(**call)  # type: ignore[arg-type]
        assert "SUP-MAKEUP" in refused.value.fields[0]["message"]


def test_only_the_clerk_records_makeups_of_an_approved_or_ended_class(people: Cast) -> None:
    cls = in_training(people)
    with_timetable(people, cls)
    with pytest.raises(NotPermitted):
        makeup_record(
            cls=cls,
            actor=people.hana1,
            enrollment_id=roster(cls)[0].pk,
            hour_seq=3,
            held_at=local(dt.date(2023, 5, 12), 14),
            minutes=45,
            video_ref="x",
        )
    TrainingClass.objects.filter(pk=cls.pk).update(state=ClassState.DRAFT)
    with pytest.raises(InvalidTransition):
        makeup_record(
            cls=cls,
            actor=people.alice,
            enrollment_id=roster(cls)[0].pk,
            hour_seq=3,
            held_at=local(dt.date(2023, 5, 12), 14),
            minutes=45,
            video_ref="x",
        )


# ── videos ────────────────────────────────────────────────────────────────────────────────────


def segment(people: Cast, cls: TrainingClass, starts: dt.datetime, ends: dt.datetime, **kw: object) -> VideoSegment:
    values: dict[str, object] = {"camera": "CAM-1", "kind": "theory", "all_visible": True, "storage_ref": "nvr://1"}
    values.update(kw)
    return video_record(cls=cls, actor=people.alice, starts_at=starts, ends_at=ends, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ends", "retain_until"),
    [
        (local(dt.date(2023, 5, 26), 23, 59), dt.date(2026, 5, 26)),
        # 00:30 on the 27th in Beijing is 16:30 UTC on the 26th: the local date counts.
        (local(dt.date(2023, 5, 27), 0, 30), dt.date(2026, 5, 27)),
    ],
)
def test_a_video_is_kept_three_years_from_the_local_date_it_ends(
    people: Cast, ends: dt.datetime, retain_until: dt.date
) -> None:
    cls = in_training(people, end=dt.date(2023, 5, 27))
    video = segment(people, cls, ends - dt.timedelta(minutes=40), ends)
    assert video.retain_until == retain_until and events(cls) == ["class.create", "video.record"]


def test_the_same_segment_sent_twice_is_recorded_once(people: Cast) -> None:
    cls = in_training(people)
    hours = with_timetable(people, cls)
    first = segment(people, cls, hours[0].starts_at, hours[0].ends_at, hour_seq=1)
    again = segment(people, cls, hours[0].starts_at, hours[0].ends_at, hour_seq=1)
    assert first.pk == again.pk and VideoSegment.objects.filter(training_class=cls).count() == 1
    with pytest.raises(InvalidInput, match="录像信息"):
        segment(people, cls, hours[0].starts_at, hours[0].ends_at, hour_seq=1, storage_ref="nvr://other")


def test_a_video_names_every_bad_field_at_once(people: Cast) -> None:
    cls = in_training(people)
    hours = with_timetable(people, cls)
    with pytest.raises(InvalidInput) as refused:
        segment(
            people,
            cls,
            hours[0].starts_at,
            hours[0].starts_at,
            camera="",
            storage_ref="",
            kind="online",
            hour_seq=3,
        )
    assert paths(refused) == ["camera", "storage_ref", "kind", "ends_at", "kind", "hour_seq"]


@pytest.mark.parametrize(("today", "ok"), [(dt.date(2026, 5, 25), False), (dt.date(2026, 5, 26), True)])
def test_a_video_may_be_deleted_on_its_retain_until_date_not_the_day_before(
    people: Cast, monkeypatch: pytest.MonkeyPatch, today: dt.date, ok: bool
) -> None:
    cls = in_training(people)
    video = segment(people, cls, local(dt.date(2023, 5, 26), 9), local(dt.date(2023, 5, 26), 9, 45))
    assert video.retain_until == dt.date(2026, 5, 26)
    freeze(monkeypatch, today)
    if ok:
        deleted = video_delete(cls=cls, actor=people.alice, video_id=video.pk)
        assert deleted.deleted_at is not None and deleted.deleted_by == people.alice
        assert video_delete(cls=cls, actor=people.alice, video_id=video.pk).deleted_at == deleted.deleted_at
        assert events(cls).count("video.delete") == 1
    else:
        with pytest.raises(RuleBlocked) as refused:
            video_delete(cls=cls, actor=people.alice, video_id=video.pk)
        assert refused.value.extra["findings"][0]["rule"] == "SUP-VIDEO-RETENTION"
        assert VideoSegment.objects.get(pk=video.pk).deleted_at is None


def test_videos_are_the_institutions_to_record_and_delete(people: Cast) -> None:
    cls = in_training(people)
    for who in (people.bob, people.dan1, people.city):
        with pytest.raises(NotPermitted):
            video_record(
                cls=cls,
                actor=who,
                camera="C",
                kind="theory",
                starts_at=local(START, 8),
                ends_at=local(START, 9),
                all_visible=True,
                storage_ref="x",
            )


# ── inspections ───────────────────────────────────────────────────────────────────────────────


def inspect(people: Cast, cls: TrainingClass, who: object, **kw: object) -> Inspection:
    values: dict[str, object] = {
        "kind": Inspection.Kind.ONSITE,
        "at": local(dt.date(2023, 5, 10), 10),
        "present_count": 3,
        "teachers_present": 2,
        "notes": "学员在位，师资到岗",
        "photo_refs": ["photo://1"],
    }
    values.update(kw)
    return inspection_record(cls=cls, actor=who, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize("who", ["dan1", "dan2", "hana1", "city"])
def test_the_lead_department_the_areas_hr_or_city_hr_record_inspections(people: Cast, who: str) -> None:
    cls = in_training(people)
    made = inspect(people, cls, getattr(people, who), kind=Inspection.Kind.REMOTE)
    assert made.inspector_org == getattr(people, who).org and events(cls)[-1] == "inspection.record"
    again = inspect(people, cls, getattr(people, who), kind=Inspection.Kind.REMOTE)  # a retried request
    assert again.pk == made.pk and events(cls).count("inspection.record") == 1


@pytest.mark.parametrize("who", ["alice", "bob", "erin", "carol", "leader", "finance"])
def test_nobody_else_records_an_inspection_least_of_all_the_institution(people: Cast, who: str) -> None:
    cls = in_training(people)
    with pytest.raises(NotPermitted):
        inspect(people, cls, getattr(people, who))
    assert not Inspection.objects.filter(training_class=cls).exists()


def test_an_inspection_names_every_bad_field_at_once(people: Cast) -> None:
    cls = in_training(people, trainees=3)
    with pytest.raises(InvalidInput) as refused:
        inspect(
            people, cls, people.dan1, kind="phone", at=local(dt.date(2023, 6, 1), 9), present_count=4, photo_refs=[""]
        )
    assert paths(refused) == ["kind", "at", "present_count", "photo_refs[0]"]


def test_an_inspection_is_recorded_during_training_only(people: Cast) -> None:
    cls = ended(in_training(people))
    with pytest.raises(InvalidTransition):
        inspect(people, cls, people.dan1)


# ── satisfaction survey ───────────────────────────────────────────────────────────────────────


def worker_for(entry: Enrollment) -> User:
    account = user(f"w{entry.pk}", Role.WORKER)
    account.person = entry.person
    account.save(update_fields=["person"])
    return account


def test_a_trainee_answers_for_themself_and_the_clerk_enters_paper_surveys(people: Cast) -> None:
    cls = ended(in_training(people, trainees=2))
    first, second = roster(cls)
    satisfaction_answer(cls=cls, actor=worker_for(first), enrollment_id=first.pk, satisfied=True, answers={"q1": 5})
    with pytest.raises(NotPermitted):
        satisfaction_answer(cls=cls, actor=worker_for(first), enrollment_id=second.pk, satisfied=False)
    satisfaction_answer(cls=cls, actor=people.alice, enrollment_id=second.pk, satisfied=False)
    satisfaction_answer(cls=cls, actor=people.alice, enrollment_id=second.pk, satisfied=True)  # corrected
    assert dict(SatisfactionResponse.objects.values_list("enrollment_id", "satisfied")) == {
        first.pk: True,
        second.pk: True,
    }
    assert events(cls).count("satisfaction.answer") == 3
    for who in (people.bob, people.hana1):
        with pytest.raises(NotPermitted):
            satisfaction_answer(cls=cls, actor=who, enrollment_id=first.pk, satisfied=True)


def test_the_survey_comes_after_training(people: Cast) -> None:
    cls = in_training(people, trainees=1)
    with pytest.raises(InvalidTransition, match="培训结束后"):
        satisfaction_answer(cls=cls, actor=people.alice, enrollment_id=roster(cls)[0].pk, satisfied=True)


def survey(cls: TrainingClass, satisfied: int, responses: int) -> None:
    entries = roster(cls)[:responses]
    SatisfactionResponse.objects.bulk_create(
        [
            SatisfactionResponse(enrollment=e, satisfied=i < satisfied, answered_at=timezone.now())
            for i, e in enumerate(entries)
        ]
    )


@pytest.mark.parametrize(("satisfied", "suspends"), [(17, False), (16, True)])
def test_eighty_five_percent_exactly_passes_and_below_suspends_the_assessment(
    people: Cast, satisfied: int, suspends: bool
) -> None:
    cls = ended(in_training(people, trainees=20))
    survey(cls, satisfied, 20)
    result = satisfaction_evaluate(cls=cls, actor=people.hana1)
    assert (result.responses, result.satisfied, result.rate) == (20, satisfied, Decimal(satisfied) / 20)
    assert (result.finding is not None) is suspends
    assert Suspension.objects.filter(training_class=cls).exists() is suspends
    assert ("suspension.open" in events(cls)) is suspends and events(cls)[-1] == "satisfaction.evaluate"


def test_evaluating_again_updates_the_open_suspension(people: Cast) -> None:
    cls = ended(in_training(people, trainees=20))
    survey(cls, 10, 20)
    first = satisfaction_evaluate(cls=cls, actor=people.city).suspension
    SatisfactionResponse.objects.filter(enrollment__training_class=cls, satisfied=False).first().delete()  # type: ignore[union-attr]
    second = satisfaction_evaluate(cls=cls, actor=people.city).suspension
    assert first is not None and second is not None and first.pk == second.pk
    assert (second.rate, second.responses) == (Decimal("0.5263"), 19)
    assert Suspension.objects.filter(training_class=cls).count() == 1 and "suspension.update" in events(cls)


def test_only_hr_evaluates_and_only_with_answers(people: Cast) -> None:
    cls = ended(in_training(people, trainees=2))
    for who in (people.alice, people.dan1, people.carol):
        with pytest.raises(NotPermitted):
            satisfaction_evaluate(cls=cls, actor=who)
    with pytest.raises(InvalidInput, match="尚无满意度调查问卷"):
        satisfaction_evaluate(cls=cls, actor=people.hana2)


# ── suspension: decision and rectification ────────────────────────────────────────────────────


def suspended(people: Cast) -> tuple[TrainingClass, Suspension]:
    cls = ended(in_training(people, trainees=4))
    survey(cls, 1, 4)
    made = satisfaction_evaluate(cls=cls, actor=people.hana1).suspension
    assert made is not None
    return cls, made


@pytest.mark.parametrize(("until", "ok"), [(dt.date(2026, 12, 25), True), (dt.date(2026, 12, 24), False)])
def test_rectification_of_exactly_one_calendar_month_passes_and_a_day_less_is_refused(
    people: Cast, monkeypatch: pytest.MonkeyPatch, until: dt.date, ok: bool
) -> None:
    cls, made = suspended(people)
    freeze(monkeypatch, dt.date(2026, 11, 25))
    if ok:
        decided = suspension_decide(
            cls=cls, actor=people.hana2, suspension_id=made.pk, remedy="retrain", rectify_until=until
        )
        assert (decided.remedy, decided.rectify_until, decided.decided_by) == ("retrain", until, people.hana2)
        assert events(cls)[-1] == "suspension.decide"
    else:
        with pytest.raises(InvalidInput) as refused:
            suspension_decide(cls=cls, actor=people.hana2, suspension_id=made.pk, remedy="retrain", rectify_until=until)
        assert paths(refused) == ["rectify_until"] and "SUP-SATISFACTION" in refused.value.fields[0]["message"]


def test_a_decision_names_every_bad_field_and_is_taken_once(people: Cast) -> None:
    cls, made = suspended(people)
    with pytest.raises(InvalidInput) as refused:
        suspension_decide(cls=cls, actor=people.city, suspension_id=made.pk, remedy="forgive", rectify_until=START)
    assert paths(refused) == ["remedy", "rectify_until"]
    until = timezone.localdate() + dt.timedelta(days=40)
    suspension_decide(cls=cls, actor=people.city, suspension_id=made.pk, remedy="cancel", rectify_until=until)
    suspension_decide(cls=cls, actor=people.city, suspension_id=made.pk, remedy="cancel", rectify_until=until)
    assert events(cls).count("suspension.decide") == 1  # the same decision again changes nothing
    with pytest.raises(InvalidTransition):
        suspension_decide(cls=cls, actor=people.city, suspension_id=made.pk, remedy="retrain", rectify_until=until)
    for who in (people.alice, people.dan1, people.carol):
        with pytest.raises(NotPermitted):
            suspension_close(cls=cls, actor=who, suspension_id=made.pk)


@pytest.mark.parametrize(("today", "ok"), [(dt.date(2026, 12, 24), False), (dt.date(2026, 12, 25), True)])
def test_a_suspension_is_lifted_on_the_last_day_of_rectification_not_before(
    people: Cast, monkeypatch: pytest.MonkeyPatch, today: dt.date, ok: bool
) -> None:
    cls, made = suspended(people)
    with pytest.raises(InvalidTransition, match="尚未决定"):
        suspension_close(cls=cls, actor=people.hana1, suspension_id=made.pk)
    freeze(monkeypatch, dt.date(2026, 11, 25))
    suspension_decide(
        cls=cls, actor=people.hana1, suspension_id=made.pk, remedy="retrain", rectify_until=dt.date(2026, 12, 25)
    )
    freeze(monkeypatch, today)
    if ok:
        closed = suspension_close(cls=cls, actor=people.hana2, suspension_id=made.pk, notes="整改到位")
        assert closed.closed_by == people.hana2 and "整改到位" in closed.notes
        assert events(cls)[-1] == "suspension.close"
    else:
        with pytest.raises(RuleBlocked) as refused:
            suspension_close(cls=cls, actor=people.hana2, suspension_id=made.pk)
        assert refused.value.extra["findings"][0]["rule"] == "SUP-SATISFACTION"
        assert Suspension.objects.get(pk=made.pk).closed_at is None
