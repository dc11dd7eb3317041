"""The demo's online study: one course for a class with online hours, and its platform's pushed logs.

The trainees study four 45-minute lessons in the evenings of their training, each in one session
(a liveness check, a pop-up every 4 minutes, two photos, heartbeats every minute). Three of them
cheat in the ways the online audit exists for (clause 三(二)): a second window at the same time
(ONL-MULTI-WINDOW), double playback speed (ONL-FAST-FORWARD), a lesson skipped (ONL-ORDER). The
logs go through `events_push`, batch by batch as a platform sends them, so the stored results are
the audit's own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from jineng.classes.models import Enrollment, TrainingClass
from jineng.online.models import OnlineCourse
from jineng.online.services import events_push

BEIJING = ZoneInfo("Asia/Shanghai")
LESSONS = 4
LESSON_SECONDS = 45 * 60
# Roster rows that cheat, and how.
TWO_WINDOWS, FAST, SKIPS = 3, 5, 7


def _session(
    learner: str, course: str, platform: str, name: str, seq: int, start: dt.datetime, *, rate: float = 1.0
) -> list[dict[str, Any]]:
    base = {
        "platform": platform,
        "learner": learner,
        "course": course,
        "lesson": f"{course}-L{seq}",
        "lesson_seq": seq,
        "session": name,
    }

    def at(second: int) -> str:
        return (start + dt.timedelta(seconds=second)).isoformat()

    events: list[dict[str, Any]] = [
        {**base, "ts": at(0), "event": "start", "position": 0},
        {**base, "ts": at(1), "event": "liveness_pass"},
    ]
    for second in range(240, LESSON_SECONDS, 240):
        events.append({**base, "ts": at(second), "event": "popup_shown"})
        events.append({**base, "ts": at(second + 8), "event": "popup_answered"})
    for second in (600, 2400):
        events.append({**base, "ts": at(second), "event": "photo"})
    for second in range(60, LESSON_SECONDS + 1, 60):
        events.append({**base, "ts": at(second), "event": "heartbeat", "position": round(second * rate), "rate": rate})
    events.append({**base, "ts": at(LESSON_SECONDS), "event": "complete", "position": LESSON_SECONDS})
    events.append({**base, "ts": at(LESSON_SECONDS), "event": "end"})
    return events


def seed_online(cls: TrainingClass) -> int:
    """The class's online course and every trainee's pushed study log; the number of events."""
    assert cls.online_platform is not None
    platform = cls.online_platform
    course, _ = OnlineCourse.objects.update_or_create(
        code=f"{cls.code}-XS",
        defaults={"platform": platform, "name": "婴幼儿照护安全与卫生（线上）", "lessons": LESSONS},
    )
    course.classes.add(cls)
    pushed = 0
    for entry in Enrollment.objects.filter(training_class=cls).select_related("person").order_by("row"):
        learner, row = entry.person.id_number, entry.row
        events: list[dict[str, Any]] = []
        for seq in range(1, LESSONS + 1):
            if row == SKIPS and seq == 2:
                continue  # lesson 3 is then started without lesson 2 completed
            day = cls.start + dt.timedelta(days=seq - 1)
            start = dt.datetime.combine(day, dt.time(19, 30), BEIJING)
            name = f"{cls.code}-{row:03d}-{seq}"
            rate = 2.0 if (row, seq) == (FAST, 2) else 1.0
            events += _session(learner, course.code, platform.code, name, seq, start, rate=rate)
            if row == TWO_WINDOWS and seq == 1:
                later = start + dt.timedelta(minutes=5)
                events += _session(learner, course.code, platform.code, f"{name}b", seq, later)
        events_push(platform=platform, batch_id=f"{cls.code}-{row:03d}", events=events, received_at=timezone.now())
        pushed += len(events)
    return pushed
