"""Builders for the push/results tests: a platform with a course studied by a class, clean sessions.

A clean session passes every ONL-* rule: liveness passed before the first heartbeat, a pop-up
answered every 4 minutes, heartbeats each minute at normal speed, shorter than one class hour
(so no photo is due), the lesson completed before the next one starts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from jineng.classes.models import TrainingClass
from jineng.classes.services import class_create
from jineng.registry.models import OnlinePlatform, Person
from jineng.testing import Cast, class_input, enroll, person

from ..keys import platform_key_issue
from ..models import OnlineCourse

CST = dt.timezone(dt.timedelta(hours=8))
DAY = dt.datetime(2023, 5, 3, 20, 0, tzinfo=CST)


@dataclass
class Setting:
    platform: OnlinePlatform
    key: str
    course: OnlineCourse
    yz_class: TrainingClass  # alice's (禹州) class, studying `course`
    cg_class: TrainingClass  # bob's (长葛) class, studying `course` too
    yz: list[Person]
    cg: list[Person]


def platform(code: str = "plat-1", *, listed: bool = True, connected: bool = True) -> OnlinePlatform:
    found, _ = OnlinePlatform.objects.update_or_create(
        code=code, defaults={"name": f"{code} 学习平台", "listed": listed, "connected": connected}
    )
    return found


def course(plat: OnlinePlatform, code: str = "CRS-1", *, lessons: int = 12, hour_minutes: int = 45) -> OnlineCourse:
    found, _ = OnlineCourse.objects.update_or_create(
        code=code,
        defaults={"platform": plat, "name": f"{code} 安全生产知识", "lessons": lessons, "hour_minutes": hour_minutes},
    )
    return found


def setting(people: Cast) -> Setting:
    """alice's class (禹州, trainees yz) and bob's class (长葛, trainees cg) both study CRS-1 on plat-1."""
    from jineng.accounts.models import Role
    from jineng.testing import unit, user

    plat = platform()
    crs = course(plat)
    security = user("sec", Role.SECURITY_ADMIN, org=unit("city"))
    _, key = platform_key_issue(platform=plat, actor=security)
    yz_class = class_create(actor=people.alice, data=class_input(hours_online=8, online_platform_id=plat.pk))
    cg_class = class_create(
        actor=people.bob,
        data=class_input(
            name="2023年长葛市车工培训班", area_id=unit("area-changge").pk, hours_online=8, online_platform_id=plat.pk
        ),
    )
    yz = [person(i) for i in range(1, 4)]
    cg = [person(i) for i in range(101, 103)]
    enroll(yz_class, yz)
    enroll(cg_class, cg)
    crs.classes.add(yz_class, cg_class)
    return Setting(plat, key, crs, yz_class, cg_class, yz, cg)


def at(start: dt.datetime, seconds: float) -> str:
    return (start + dt.timedelta(seconds=seconds)).isoformat()


def session(
    learner: str,
    session_id: str,
    start: dt.datetime = DAY,
    *,
    minutes: int = 10,
    course_code: str = "CRS-1",
    lesson_seq: int = 1,
    platform_code: str = "plat-1",
    complete: bool = True,
) -> list[dict[str, Any]]:
    """A clean session of `minutes` of playing, from position 0 of lesson `lesson_seq`."""
    base = {
        "platform": platform_code,
        "learner": learner,
        "course": course_code,
        "lesson": f"L{lesson_seq}",
        "lesson_seq": lesson_seq,
        "session": session_id,
    }
    length = minutes * 60
    events: list[dict[str, Any]] = [
        {**base, "ts": at(start, 0), "event": "start", "position": 0},
        {**base, "ts": at(start, 1), "event": "liveness_pass"},
    ]
    for second in range(240, length, 240):
        events.append({**base, "ts": at(start, second), "event": "popup_shown"})
        events.append({**base, "ts": at(start, second), "event": "popup_answered"})
    for second in range(60, length + 1, 60):
        events.append({**base, "ts": at(start, second), "event": "heartbeat", "position": second, "rate": 1.0})
    if complete:
        events.append({**base, "ts": at(start, length), "event": "complete", "position": length})
    events.append({**base, "ts": at(start, length), "event": "end"})
    return events
