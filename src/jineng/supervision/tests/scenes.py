"""Builders for the supervision tests: a class in training, its timetable, check-ins and records.

The class is created by alice (the cast of jineng.testing) and put in the approved state directly:
these tests are about what happens during training, not about the review path (test_end.py walks
that path for real). Check-ins are written the way the ingest writes them, in bulk.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from jineng.classes.models import ClassState, Enrollment, TrainingClass
from jineng.classes.services import class_create
from jineng.registry.models import CheckinDevice, Person
from jineng.supervision.models import CheckIn, CheckInBatch, ClassHour
from jineng.supervision.services import HourInput, class_hours_set
from jineng.testing import Cast, class_input, enroll, person

CST = dt.timezone(dt.timedelta(hours=8))
START = dt.date(2023, 5, 8)
END = dt.date(2023, 5, 26)
_events = itertools.count(1)


def local(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=CST)


def in_training(
    people: Cast, *, trainees: int = 3, kinds: str = "TTPPP", first: int = 0, online: int = 0, **overrides: Any
) -> TrainingClass:
    """alice's class, approved, with `trainees` on the roster; hours as `kinds` spells them
    (T theory, P practical, O online) so that the timetable below fits the application."""
    theory, practical = kinds.count("T") + kinds.count("O"), kinds.count("P")
    values: dict[str, Any] = {
        "hours_theory": theory,
        "hours_practical": practical,
        "hours_online": kinds.count("O") or online,
        "start": START,
        "end": END,
    }
    values.update(overrides)
    cls = class_create(actor=people.alice, data=class_input(**values))
    enroll(cls, [person(i) for i in range(first, first + trainees)])
    TrainingClass.objects.filter(pk=cls.pk).update(state=ClassState.APPROVED, state_since=timezone.now())
    cls.refresh_from_db()
    return cls


def hours_for(kinds: str, *, day: dt.date = START, minutes: int = 45) -> list[HourInput]:
    """One hour per letter, on `day` from 08:00 local, an hour apart, each `minutes` long."""
    kind = {"T": "theory", "P": "practical", "O": "online"}
    return [
        HourInput(kind[k], local(day, 8 + i), local(day, 8 + i) + dt.timedelta(minutes=minutes), f"第{i + 1}讲")
        for i, k in enumerate(kinds)
    ]


def with_timetable(people: Cast, cls: TrainingClass, kinds: str = "TTPPP") -> list[ClassHour]:
    cls.refresh_from_db()
    return class_hours_set(cls=cls, actor=people.alice, version=cls.version, hours=hours_for(kinds))


def device(cls: TrainingClass) -> CheckinDevice:
    found, _ = CheckinDevice.objects.get_or_create(
        serial=f"TEST-{cls.institution_id}", defaults={"institution_id": cls.institution_id, "name": "实训室"}
    )
    return found


def check_in(
    cls: TrainingClass, who: Person, at: dt.datetime, *, score: float = 0.93, liveness: bool = True
) -> CheckIn:
    """One device event, written in bulk as the ingest writes them."""
    terminal = device(cls)
    batch = CheckInBatch.objects.create(source=CheckInBatch.Source.PUSH, device=terminal, received_at=timezone.now())
    [row] = CheckIn.objects.bulk_create(
        [
            CheckIn(
                device=terminal,
                device_event_id=f"E{next(_events)}",
                training_class=cls,
                person=who,
                at=at,
                match_score=score,
                liveness=liveness,
                batch=batch,
            )
        ]
    )
    return row


def everyone_present(cls: TrainingClass, hours: list[ClassHour]) -> None:
    """A valid check-in of every trainee five minutes before every hour, in one bulk insert."""
    terminal = device(cls)
    batch = CheckInBatch.objects.create(source=CheckInBatch.Source.PUSH, device=terminal, received_at=timezone.now())
    CheckIn.objects.bulk_create(
        [
            CheckIn(
                device=terminal,
                device_event_id=f"E{next(_events)}",
                training_class=cls,
                person_id=e.person_id,
                at=h.starts_at - dt.timedelta(minutes=5),
                match_score=0.95,
                liveness=True,
                batch=batch,
            )
            for e in Enrollment.objects.filter(training_class=cls)
            for h in hours
            if h.kind != "online"
        ]
    )


def roster(cls: TrainingClass) -> list[Enrollment]:
    return list(Enrollment.objects.filter(training_class=cls).select_related("person").order_by("row"))
