"""Builders for the assessment tests: classes ready to be assessed, a filed plan, results.

Classes are alice's (禹州, 车工 四级) unless said otherwise, put in the approved or ended state
directly as the supervision scenes do. Dates: the classes train 2023-05-08 … 2023-05-26; the
plan is for 2023-05-27, filed on 2023-05-24 (three days ahead, ASM-NOTICE).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from jineng.assessment.models import AssessmentPlan
from jineng.assessment.services import CertificateInput, ResultInput, plan_file
from jineng.classes.models import ClassState, Enrollment, TrainingClass
from jineng.classes.services import class_create
from jineng.supervision.tests.scenes import END, in_training
from jineng.testing import Cast, class_input, enroll, person, unit

ASSESS_ON = dt.date(2023, 5, 27)
FILED_ON = dt.date(2023, 5, 24)


def ready(people: Cast, *, trainees: int = 3, first: int = 0, **overrides: Any) -> TrainingClass:
    """An approved class of alice's with `trainees` on the roster."""
    return in_training(people, trainees=trainees, first=first, **overrides)


def ended(people: Cast, *, trainees: int = 3, first: int = 0, **overrides: Any) -> TrainingClass:
    cls = ready(people, trainees=trainees, first=first, **overrides)
    TrainingClass.objects.filter(pk=cls.pk).update(state=ClassState.ENDED)
    cls.refresh_from_db()
    return cls


def changge_class(people: Cast, *, trainees: int = 2, first: int = 500) -> TrainingClass:
    """bob's approved 长葛 class, same occupation, level and certificate as alice's."""
    cls = class_create(
        actor=people.bob,
        data=class_input(name="2023年长葛市车工（四级）就业技能培训班", area_id=unit("area-changge").pk),
    )
    enroll(cls, [person(i) for i in range(first, first + trainees)])
    TrainingClass.objects.filter(pk=cls.pk).update(state=ClassState.APPROVED, state_since=timezone.now())
    cls.refresh_from_db()
    return cls


def file(people: Cast, *classes: TrainingClass, **overrides: Any) -> AssessmentPlan:
    values: dict[str, Any] = {
        "actor": people.eve,
        "class_ids": [c.pk for c in classes],
        "scheduled_on": ASSESS_ON,
        "place": "许昌市职业技能评价中心 实操车间",
        "inspector": "周巡",
        "today": FILED_ON,
    }
    values.update(overrides)
    return plan_file(**values)


def roster(cls: TrainingClass) -> list[Enrollment]:
    return list(Enrollment.objects.filter(training_class=cls).select_related("person").order_by("row"))


def passed(entry: Enrollment, number: str, *, issued_on: dt.date = ASSESS_ON, **certificate: Any) -> ResultInput:
    return ResultInput(entry.pk, "passed", None, CertificateInput(number=number, issued_on=issued_on, **certificate))


__all__ = ["ASSESS_ON", "END", "FILED_ON", "changge_class", "ended", "file", "passed", "ready", "roster"]
