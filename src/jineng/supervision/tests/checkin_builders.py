"""Builders for the check-in ingest tests: approved classes with rosters, devices, event files.

alice's class (禹州 school) runs 2023-05-08 … 2023-05-26 with trainees person(0..2); bob's class
(长葛 school) the same weeks with person(10..11). Each school has its own device. Classes are put in
the approved state directly: these tests are about ingest, not about the review path.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from jineng.classes.models import ClassState, TrainingClass
from jineng.classes.services import class_create
from jineng.registry.models import CheckinDevice, Person
from jineng.testing import Cast, class_input, enroll, person, unit

START = dt.date(2023, 5, 8)
END = dt.date(2023, 5, 26)
HEADER = "event_id,device,class,id_number,time,score,liveness"


@dataclass
class Scene:
    people: Cast
    cls: TrainingClass  # alice's
    other: TrainingClass  # bob's
    trainees: list[Person]  # on alice's roster
    others: list[Person]  # on bob's roster
    device: CheckinDevice  # alice's school
    other_device: CheckinDevice  # bob's school


def approved(people: Cast, *, bob: bool = False, trainees: list[Person], **overrides: Any) -> TrainingClass:
    values: dict[str, Any] = {"start": START, "end": END, **overrides}
    if bob:
        values["area_id"] = unit("area-changge").pk
    cls = class_create(actor=people.bob if bob else people.alice, data=class_input(**values))
    enroll(cls, trainees)
    TrainingClass.objects.filter(pk=cls.pk).update(state=ClassState.APPROVED, state_since=timezone.now())
    cls.refresh_from_db()
    return cls


def scene(people: Cast) -> Scene:
    trainees = [person(i) for i in range(3)]
    others = [person(i) for i in range(10, 12)]
    return Scene(
        people=people,
        cls=approved(people, trainees=trainees),
        other=approved(people, bob=True, trainees=others),
        trainees=trainees,
        others=others,
        device=CheckinDevice.objects.create(serial="YZ-FACE-01", institution=people.yuzhou_school, name="一楼"),
        other_device=CheckinDevice.objects.create(serial="CG-FACE-01", institution=people.changge_school),
    )


def event(s: Scene, n: int, **overrides: Any) -> dict[str, Any]:
    """Event n of alice's device: trainee n mod 3, on the class's first day at 09:00 + n minutes."""
    values: dict[str, Any] = {
        "event_id": f"E{n:05d}",
        "device": s.device.serial,
        "class": s.cls.code,
        "id_number": s.trainees[n % len(s.trainees)].id_number,
        "time": f"2023-05-08T09:{n % 60:02d}:00+08:00",
        "score": 0.93,
        "liveness": True,
    }
    values.update(overrides)
    return values


def csv_of(rows: list[dict[str, Any]], header: str = HEADER) -> bytes:
    def cell(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return "" if value is None else str(value)

    names = HEADER.split(",")
    lines = [header, *(",".join(cell(row.get(name)) for name in names) for row in rows)]
    return ("\n".join(lines) + "\n").encode()


def jsonl_of(rows: list[dict[str, Any]]) -> bytes:
    return ("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n").encode()


def push_of(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps({"events": rows}, ensure_ascii=False).encode()


def paths(fields: list[dict[str, str]]) -> list[str]:
    return [f["path"] for f in fields]
