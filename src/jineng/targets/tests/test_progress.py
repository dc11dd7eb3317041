"""Each IND-* definition on small, hand-checked data (RULES.md H, issue 6).

The cast (jineng.testing): alice's classes are in 禹州 and led by 市工信局; a second class of
hers is put in 长葛 and led by 市农业农村局 where a test needs two units. Trainees are person(i);
certificates are written directly (their own services are tested in the assessment app).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from jineng.accounts.models import Role
from jineng.assessment.models import CertificateRecord
from jineng.classes.models import ClassState, Enrollment, TrainingClass
from jineng.registry.models import Person
from jineng.supervision.tests.scenes import in_training
from jineng.targets.models import Measure, ProgressFact, Scope, Target
from jineng.targets.progress import progress_refresh
from jineng.targets.selectors import drilldown, overview
from jineng.targets.services import targets_sync
from jineng.testing import Cast, occupation, person, unit, user

pytestmark = pytest.mark.django_db
D = dt.date
_numbers = iter(range(1, 10_000))


def ended(people: Cast, *, trainees: int, first: int, end: dt.date, **overrides: Any) -> TrainingClass:
    overrides.setdefault("start", end - dt.timedelta(days=14))
    cls = in_training(people, trainees=trainees, first=first, end=end, **overrides)
    TrainingClass.objects.filter(pk=cls.pk).update(state=ClassState.ENDED, state_since=timezone.now())
    cls.refresh_from_db()
    return cls


def certificate(
    who: Person, *, level: int | None, on: dt.date, kind: str = "skill_level", cls: TrainingClass | None = None
) -> None:
    enrollment = Enrollment.objects.filter(training_class=cls, person=who).first() if cls else None
    CertificateRecord.objects.create(
        person=who,
        enrollment=enrollment,
        kind=kind,
        occupation=occupation(),
        level=level,
        number=f"T{next(_numbers):06d}",
        issued_on=on,
        issuer="许昌市职业技能评价中心",
    )


YEAR_END = D(2023, 12, 31)


def totals(year: int = 2023, as_of: dt.date = YEAR_END) -> dict[str, int]:
    out: dict[str, int] = {}
    for fact in ProgressFact.objects.filter(year=year, day__lte=as_of):
        out[fact.measure] = out.get(fact.measure, 0) + fact.value
    return out


def test_the_plans_targets_load_as_records_once(people: Cast) -> None:
    first = targets_sync()
    assert targets_sync() == first
    assert Target.objects.get(year=2023, scope=Scope.CITY, indicator="training").value == 120_000
    assert Target.objects.get(scope=Scope.AREA, unit=unit("area-yuzhou"), indicator="training").value == 25_000
    assert (
        Target.objects.get(scope=Scope.DEPARTMENT, unit=unit("dept-mii"), indicator="new_high_skilled").value == 8_000
    )
    assert Target.objects.get(scope=Scope.ACTION, action=1, indicator="training").value == 12_000


def test_trainings_count_each_roster_entry_of_an_approved_class_on_its_end_date(people: Cast) -> None:
    ended(people, trainees=3, first=0, end=D(2023, 5, 26))
    ended(people, trainees=2, first=10, end=D(2023, 7, 14), subsidised=False)
    ended(
        people, trainees=4, first=20, end=D(2023, 8, 4), training_type="apprenticeship", enterprise_name="许昌某机械厂"
    )
    draft = in_training(people, trainees=5, first=30, start=D(2023, 6, 1), end=D(2023, 6, 20))
    TrainingClass.objects.filter(pk=draft.pk).update(state=ClassState.SUBMITTED)  # not approved: not counted
    ended(people, trainees=6, first=40, end=D(2024, 1, 5), start=D(2023, 12, 20))  # ends next year
    progress_refresh(year=2023)
    assert totals() == {
        Measure.TRAINING: 9,
        Measure.SUBSIDISED: 7,
        Measure.SUBSIDISED_MANUFACTURING: 7,  # the lathe is a manufacturing occupation
        Measure.APPRENTICES: 4,
    }
    assert totals(as_of=D(2023, 6, 30))[Measure.TRAINING] == 3  # only what ended by then


def test_straight_to_senior_worker_counts_as_new_skilled_and_new_high_skilled(people: Cast) -> None:
    cls = ended(people, trainees=1, first=0, end=D(2023, 5, 26), level=3)
    certificate(person(0), level=3, on=D(2023, 6, 10), cls=cls)
    progress_refresh(year=2023)
    t = totals()
    assert (t[Measure.NEW_SKILLED], t[Measure.NEW_HIGH_SKILLED], t.get(Measure.TECHNICIANS, 0)) == (1, 1, 0)


def test_senior_worker_to_technician_counts_only_as_high_skilled_and_technician(people: Cast) -> None:
    certificate(person(1), level=3, on=D(2021, 9, 1))  # an earlier 高级工
    cls = ended(people, trainees=1, first=1, end=D(2023, 5, 26), level=2)
    certificate(person(1), level=2, on=D(2023, 6, 10), cls=cls)
    progress_refresh(year=2023)
    t = totals()
    assert t.get(Measure.NEW_SKILLED, 0) == 0
    assert (t[Measure.NEW_HIGH_SKILLED], t[Measure.TECHNICIANS]) == (1, 1)


def test_a_worker_first_certified_at_level_four_is_new_skilled_only_and_a_repeat_is_not_new(people: Cast) -> None:
    certificate(person(2), level=4, on=D(2023, 3, 1))
    certificate(person(3), level=4, on=D(2020, 3, 1))
    certificate(person(3), level=4, on=D(2023, 3, 1))  # the same level again: nothing new
    certificate(person(4), level=5, on=D(2023, 2, 1))
    certificate(person(4), level=3, on=D(2023, 9, 1))  # first and then high-skilled in one year: once each
    progress_refresh(year=2023)
    t = totals()
    assert (t[Measure.NEW_SKILLED], t[Measure.NEW_HIGH_SKILLED], t[Measure.CERTIFICATES]) == (2, 1, 4)


def test_a_person_reaching_two_higher_levels_in_a_year_counts_once_per_measure(people: Cast) -> None:
    certificate(person(5), level=3, on=D(2023, 2, 1))
    certificate(person(5), level=2, on=D(2023, 10, 1))
    progress_refresh(year=2023)
    t = totals()
    assert (t[Measure.NEW_SKILLED], t[Measure.NEW_HIGH_SKILLED], t[Measure.TECHNICIANS]) == (1, 1, 1)


def test_special_capability_and_training_qualified_certificates_are_the_low_share(people: Cast) -> None:
    certificate(person(6), level=None, on=D(2023, 4, 1), kind="special_capability")
    certificate(person(7), level=None, on=D(2023, 4, 1), kind="training_qualified")
    certificate(person(8), level=None, on=D(2023, 4, 1), kind="special_operation")
    certificate(person(9), level=5, on=D(2023, 4, 1))
    progress_refresh(year=2023)
    t = totals()
    assert (t[Measure.CERTIFICATES_LOW], t[Measure.CERTIFICATES], t[Measure.NEW_SKILLED]) == (2, 4, 1)


def test_the_overview_compares_with_time_progress_and_names_the_areas_behind(people: Cast) -> None:
    targets_sync()
    yz = ended(people, trainees=5, first=0, end=D(2023, 5, 26))
    for i in range(5):
        certificate(person(i), level=4, on=D(2023, 6, 10), cls=yz)
    # Make 禹州's training target tiny so that it is ahead, and 长葛's stays far behind (0 trained).
    Target.objects.filter(scope=Scope.AREA, unit=unit("area-yuzhou"), indicator="training").update(value=8)
    progress_refresh(year=2023)
    o = overview(people.leader, year=2023, as_of=D(2023, 6, 30))
    assert o is not None
    assert o.elapsed == Decimal("0.5000")
    yuzhou = next(r for r in o.areas if r.key == "area-yuzhou")
    assert (yuzhou.training.actual, yuzhou.training.target, yuzhou.training.done) == (5, 8, Decimal("0.6250"))
    assert yuzhou.training.status == "green" and yuzhou.rank == 1
    assert "长葛市" in [r.name for r in o.behind] and "禹州市" not in [r.name for r in o.behind]
    assert o.headline.progress["new_skilled"].actual == 5
    assert o.monthly[Measure.TRAINING] == [0, 0, 0, 0, 5, 5]
    high_share = next(f for f in o.panel if f.rule == "IND-HIGH-SHARE")
    assert high_share.values["met"] is False  # 0 of 5 new skilled are high-skilled


def test_an_area_leader_sees_only_its_area_and_its_drill_down(people: Cast) -> None:
    targets_sync()
    yz = ended(people, trainees=2, first=0, end=D(2023, 5, 26))
    cg = ended(people, trainees=3, first=10, end=D(2023, 5, 26), area_id=unit("area-changge").pk)
    progress_refresh(year=2023)
    # lyz leads for 禹州 (area leader): 禹州 only; 长葛's classes and figures are not his to see.
    lyz = user("lyz", Role.LEADER, org=unit("area-yuzhou"))
    o = overview(lyz, year=2023, as_of=D(2023, 12, 31))
    assert o is not None and [r.name for r in o.areas] == ["禹州市"] and o.departments == [] and o.actions == []
    assert o.headline.training.actual == 2
    own = drilldown(lyz, year=2023, as_of=D(2023, 12, 31), indicator="training")
    assert own is not None and [(c.pk, c.counted) for c in own] == [(yz.pk, 2)]  # type: ignore[attr-defined]
    assert drilldown(lyz, year=2023, as_of=D(2023, 12, 31), indicator="training", area_id=cg.area_id) is None
    city = drilldown(people.leader, year=2023, as_of=D(2023, 12, 31), indicator="training", area_id=cg.area_id)
    assert city is not None and [c.pk for c in city] == [cg.pk]
    for outsider in (people.alice, people.finance, people.wendy, people.sam):
        assert overview(outsider, year=2023, as_of=D(2023, 12, 31)) is None


def test_the_drill_down_behind_new_skilled_lists_only_first_certificates(people: Cast) -> None:
    first_time = ended(people, trainees=2, first=0, end=D(2023, 5, 26))
    repeat = ended(people, trainees=1, first=10, end=D(2023, 5, 26))
    certificate(person(0), level=4, on=D(2023, 6, 10), cls=first_time)
    certificate(person(1), level=4, on=D(2023, 6, 10), cls=first_time)
    certificate(person(10), level=4, on=D(2019, 6, 10))  # certified before: not new skilled
    certificate(person(10), level=4, on=D(2023, 6, 10), cls=repeat)
    found = drilldown(people.leader, year=2023, as_of=YEAR_END, indicator="new_skilled")
    assert found is not None and [(c.pk, c.counted) for c in found] == [(first_time.pk, 2)]  # type: ignore[attr-defined]
    certificates = drilldown(people.leader, year=2023, as_of=YEAR_END, indicator="certificates")
    assert certificates is not None and len(certificates) == 2
