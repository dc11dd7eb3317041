"""Pushing event batches (jineng.online.services.events_push): idempotent by batch id, refused
whole when a row is bad, events de-duplicated by their parsed values, results recomputed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from jineng.audit.models import AuditEvent
from jineng.ids import mask_ric
from jineng.registry.models import ric_key
from jineng.testing import Cast, make_ric

from ..errors import BatchConflict, EventsInvalid
from ..events import frame_from_records
from ..models import EventBatch, LearningEvent, OnlineResult
from ..services import PushAnswer, canonical, events_push, sealed_learners
from .push_builders import DAY, Setting, course, platform, session, setting

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(people: Cast) -> Setting:
    return setting(people)


def push(world: Setting, batch_id: str, events: list[dict[str, Any]]) -> PushAnswer:
    return events_push(platform=world.platform, batch_id=batch_id, events=events, received_at=timezone.now())


def result(learner: str, code: str = "CRS-1") -> OnlineResult:
    return OnlineResult.objects.get(learner=ric_key(learner), course=code)


def keyed_frame(events: list[dict[str, Any]]) -> Any:
    """The canonical values of the events as stored: with the learner's keyed hash."""
    return canonical(sealed_learners(frame_from_records(events)))


def epoch_ms(event: dict[str, Any]) -> dict[str, Any]:
    """The same event with its time as epoch milliseconds instead of ISO 8601."""
    return {**event, "ts": int(dt.datetime.fromisoformat(event["ts"]).timestamp() * 1000)}


def test_a_clean_batch_is_stored_and_its_learner_recognised(world: Setting) -> None:
    learner = world.yz[0].id_number
    events = session(learner, "S-1")
    answer = push(world, "B-1", events)
    assert answer == PushAnswer("B-1", len(events), len(events), 0, 1)
    assert LearningEvent.objects.filter(learner=ric_key(learner)).count() == len(events)
    stored = result(learner)
    assert stored.recognised and stored.findings == [] and stored.study_minutes == Decimal("10.0")
    assert stored.events == len(events) and stored.policy == "xuchang-2023"


def test_each_accepted_batch_writes_one_audit_row_with_counts_only(world: Setting) -> None:
    learner = world.yz[0].id_number
    n = len(session(learner, "S-1"))
    push(world, "B-1", session(learner, "S-1"))
    event = AuditEvent.objects.get(event="online.batch")
    assert event.actor is None and "plat-1" in event.actor_name and event.actor_role == "online_platform"
    assert event.changes == {
        "events": [None, n],
        "inserted": [None, n],
        "duplicates": [None, 0],
        "learners_reaudited": [None, 1],
    }
    assert learner not in json.dumps(event.changes) + event.note + event.object_repr


def test_the_same_batch_again_returns_the_first_answer_and_changes_nothing(world: Setting) -> None:
    learner = world.yz[0].id_number
    events = session(learner, "S-1")
    first = push(world, "B-1", events)
    audited = result(learner).audited_at
    assert push(world, "B-1", events) == first
    assert EventBatch.objects.count() == 1 and LearningEvent.objects.count() == len(events)
    assert result(learner).audited_at == audited
    assert AuditEvent.objects.filter(event="online.batch").count() == 1


def test_a_repeat_gets_the_first_answer_even_after_its_course_left_the_catalog(world: Setting) -> None:
    events = session(world.yz[0].id_number, "S-1")
    first = push(world, "B-1", events)
    world.course.delete()
    assert push(world, "B-1", events) == first
    with pytest.raises(EventsInvalid, match="1 处错误"):  # while new content is checked against the catalog
        push(world, "B-2", events[:1])


def test_a_repeat_with_its_times_written_as_epoch_milliseconds_is_the_same_batch(world: Setting) -> None:
    events = session(world.yz[0].id_number, "S-1")
    first = push(world, "B-1", events)
    assert push(world, "B-1", [epoch_ms(e) for e in events]) == first
    assert LearningEvent.objects.count() == len(events)


def test_the_same_batch_id_with_other_content_is_refused_and_nothing_changes(world: Setting) -> None:
    learner = world.yz[0].id_number
    push(world, "B-1", session(learner, "S-1"))
    with pytest.raises(BatchConflict, match="B-1") as refused:
        push(world, "B-1", session(learner, "S-2", DAY + dt.timedelta(hours=1)))
    assert refused.value.status == 409 and refused.value.fields[0]["path"] == "batch_id"
    assert LearningEvent.objects.filter(session="S-2").count() == 0
    # Another platform has its own batch ids.
    other = platform("plat-2")
    course(other, "CRS-2")
    answer = events_push(
        platform=other,
        batch_id="B-1",
        events=session(learner, "S-9", course_code="CRS-2", platform_code="plat-2"),
        received_at=timezone.now(),
    )
    assert answer.inserted == answer.events


def test_a_bad_row_refuses_the_whole_batch_naming_its_row_and_field(world: Setting) -> None:
    events = session(world.yz[0].id_number, "S-1")
    events[2] = {**events[2], "ts": "昨天晚上"}
    with pytest.raises(EventsInvalid) as refused:
        push(world, "B-1", events)
    assert refused.value.status == 422
    assert [f["path"] for f in refused.value.fields] == ["events[2].ts"]
    assert refused.value.fields[0]["message"].startswith("第3行")
    assert not EventBatch.objects.exists() and not LearningEvent.objects.exists()
    assert not OnlineResult.objects.exists() and not AuditEvent.objects.filter(event="online.batch").exists()
    # Nothing was used up: the corrected batch goes in under the same id.
    assert push(world, "B-1", session(world.yz[0].id_number, "S-1")).inserted == len(events)


def test_every_row_the_catalog_refuses_is_named_at_once(world: Setting) -> None:
    events = session(world.yz[0].id_number, "S-1")
    wrong = world.yz[0].id_number[:-1] + ("1" if world.yz[0].id_number[-1] == "0" else "0")
    events[1] = {**events[1], "platform": "plat-2"}
    events[2] = {**events[2], "learner": wrong, "session": "S" * 65}
    events[3] = {**events[3], "course": "CRS-404"}
    events[4] = {**events[4], "lesson_seq": 13}  # CRS-1 has 12 lessons
    events[5] = {**events[5], "ts": "2024-01-01T00:30:00+08:00"}  # no policy in force
    with pytest.raises(EventsInvalid) as refused:
        push(world, "B-1", events)
    problems = {f["path"]: f["message"] for f in refused.value.fields}
    assert list(problems) == [
        "events[1].platform",
        "events[2].learner",
        "events[2].session",
        "events[3].course",
        "events[4].lesson_seq",
        "events[5].ts",
    ]
    assert problems["events[1].platform"] == "第2行 平台：事件的平台“plat-2”与推送密钥所属的平台“plat-1”不符"
    assert problems["events[2].learner"] == f"第3行 学员身份证号：{mask_ric(wrong)} 不是有效的身份证号（校验码错误）"
    assert problems["events[2].session"] == "第3行 会话：不超过 64 个字符"
    assert problems["events[3].course"] == "第4行 课程：课程“CRS-404”不在平台“plat-1”的课程目录中"
    assert problems["events[4].lesson_seq"] == "第5行 课节序号：13 超出课程“CRS-1”的课节数 12"
    assert problems["events[5].ts"].startswith("第6行 时间：2024-01-01 不在任何政策的有效期内")
    assert not LearningEvent.objects.exists()


def test_a_lower_case_x_in_a_resident_id_is_stored_as_the_roster_has_it(world: Setting) -> None:
    number = next(n for n in (make_ric("411081", dt.date(1990, 1, 1), seq) for seq in range(100)) if n.endswith("X"))
    push(world, "B-1", [{**e, "learner": number[:-1] + "x"} for e in session(number, "S-1")])
    assert set(LearningEvent.objects.values_list("learner", flat=True)) == {ric_key(number)}
    assert OnlineResult.objects.get().learner == ric_key(number)


def test_a_policy_date_is_the_local_date_of_the_event(world: Setting) -> None:
    # 2023-12-31 23:30 in 许昌 is 15:30 UTC, inside the 2023 policy; 2024-01-01 00:30 is not.
    inside = session(world.yz[0].id_number, "S-1", dt.datetime(2023, 12, 31, 23, 30, tzinfo=DAY.tzinfo), minutes=1)
    assert push(world, "B-1", inside[:3]).inserted == 3
    outside = session(world.yz[1].id_number, "S-2", dt.datetime(2024, 1, 1, 0, 0, tzinfo=DAY.tzinfo), minutes=1)
    with pytest.raises(EventsInvalid, match="1 处错误"):
        push(world, "B-2", [*inside[:1], outside[0]])


def test_an_event_resent_in_another_batch_is_not_counted_twice(world: Setting) -> None:
    learner = world.yz[0].id_number
    first = session(learner, "S-1")
    push(world, "B-1", first)
    second = session(learner, "S-2", DAY + dt.timedelta(hours=1), lesson_seq=2)
    answer = push(world, "B-2", [epoch_ms(e) for e in first[:5]] + second)
    assert answer == PushAnswer("B-2", 5 + len(second), len(second), 5, 1)
    assert LearningEvent.objects.count() == len(first) + len(second)
    assert result(learner).events == len(first) + len(second)


def test_the_stored_key_is_the_md5_of_the_parsed_values_in_utf8(world: Setting) -> None:
    events = [{**e, "lesson": "第一课：安全用电"} for e in session(world.yz[0].id_number, "S-1")]
    push(world, "B-1", events)
    canon = keyed_frame(events).get_column("canon").to_list()
    stored = set(LearningEvent.objects.values_list("key", flat=True))
    assert stored == {hashlib.md5(text.encode("utf-8")).hexdigest() for text in canon}


def test_the_stored_key_of_an_event_is_pinned(world: Setting, settings: Any) -> None:
    # Stored keys must not drift (a library upgrade writing floats differently would let every
    # re-sent event in again): these two are the keys of these values, once and for all — under
    # this data key, since the learner in them is its keyed hash.
    settings.JINENG_DATA_KEY = bytes(range(32))
    learner = world.yz[0].id_number
    assert learner == "411081199001020019"
    base = {"platform": "plat-1", "learner": learner, "course": "CRS-1", "lesson": "第一课", "lesson_seq": 1}
    push(
        world,
        "B-1",
        [
            {**base, "session": "S-1", "ts": "2023-05-03T20:01:00.250+08:00", "event": "heartbeat", "position": 60.5},
            {**base, "session": "S-1", "ts": 1683115260250, "event": "pause"},
        ],
    )
    assert set(LearningEvent.objects.values_list("key", flat=True)) == {
        "b8b1257fd4785138a5b126113aa39d13",
        "6c9824019597cfb3a119336aabc67d76",
    }


def test_an_event_twice_in_one_batch_is_stored_once(world: Setting) -> None:
    events = session(world.yz[0].id_number, "S-1")
    answer = push(world, "B-1", [*events, events[4], epoch_ms(events[4])])
    assert (answer.events, answer.inserted, answer.duplicates) == (len(events) + 2, len(events), 2)


def test_a_batch_of_known_events_reaudits_nobody(world: Setting) -> None:
    learner = world.yz[0].id_number
    events = session(learner, "S-1")
    push(world, "B-1", events)
    audited = result(learner).audited_at
    answer = push(world, "B-2", events[:4])
    assert answer == PushAnswer("B-2", 4, 0, 4, 0)
    assert result(learner).audited_at == audited
    assert push(world, "B-2", events[:4]) == answer  # and its repeat says the same


def test_a_later_multi_window_session_voids_a_recognised_course(world: Setting) -> None:
    learner = world.yz[0].id_number
    push(world, "B-1", session(learner, "S-1"))
    assert result(learner).recognised
    # Five minutes into S-1 a second window starts playing the same lesson.
    overlapping = session(learner, "S-2", DAY + dt.timedelta(minutes=5))
    answer = push(world, "B-2", overlapping)
    assert answer.learners_reaudited == 1
    stored = result(learner)
    assert not stored.recognised and stored.study_minutes == Decimal("0.0")
    assert [f["rule"] for f in stored.findings] == ["ONL-MULTI-WINDOW"]
    finding = stored.findings[0]
    assert finding["session"] == "S-2" and finding["at"] == "2023-05-03T20:05:00+08:00" and finding["message"]


def test_multi_window_spans_courses_so_both_courses_are_reaudited(world: Setting) -> None:
    learner = world.yz[0].id_number
    course(world.platform, "CRS-2")
    push(world, "B-1", session(learner, "S-1"))
    push(world, "B-2", session(learner, "S-2", DAY + dt.timedelta(minutes=5), course_code="CRS-2"))
    assert not result(learner, "CRS-1").recognised and not result(learner, "CRS-2").recognised
    assert result(learner, "CRS-1").findings[0]["session"] == "S-1"
    assert result(learner, "CRS-2").findings[0]["session"] == "S-2"


def test_another_learner_in_the_same_batch_keeps_their_own_result(world: Setting) -> None:
    a, b = world.yz[0].id_number, world.yz[1].id_number
    fast = session(b, "S-9")
    third = [i for i, e in enumerate(fast) if e["event"] == "heartbeat"][2]
    fast[third] = {**fast[third], "rate": 2.0}  # a heartbeat at double speed: ONL-FAST-FORWARD
    answer = push(world, "B-1", session(a, "S-1") + fast)
    assert answer.learners_reaudited == 2
    assert result(a).recognised
    assert not result(b).recognised and [f["rule"] for f in result(b).findings] == ["ONL-FAST-FORWARD"]


def test_an_empty_batch_and_a_blank_batch_id_are_refused_together(world: Setting) -> None:
    with pytest.raises(EventsInvalid) as refused:
        push(world, "  ", [])
    assert [f["path"] for f in refused.value.fields] == ["batch_id", "events"]


# ── concurrent pushes (PostgreSQL: SQLite serialises every write anyway) ─────────────────────


def _at_once(*calls: Callable[[], PushAnswer]) -> list[PushAnswer]:
    """Run the calls in threads released together; each thread closes its own connection."""
    barrier = threading.Barrier(len(calls))
    answers: list[PushAnswer | BaseException] = [RuntimeError("not run")] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait()
            answers[index] = calls[index]()
        except BaseException as exc:  # reported below, in the test's thread
            answers[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
    return [a for a in answers if isinstance(a, PushAnswer)]


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_same_batch_pushed_twice_at_once_is_stored_once(people: Cast) -> None:
    world = setting(people)
    events = session(world.yz[0].id_number, "S-1")
    first, second = _at_once(lambda: push(world, "B-1", events), lambda: push(world, "B-1", events))
    assert first == second and first.inserted == len(events)
    assert EventBatch.objects.count() == 1 and LearningEvent.objects.count() == len(events)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_batches_of_one_learner_at_once_leave_a_result_of_both(people: Cast) -> None:
    world = setting(people)
    learner = world.yz[0].id_number
    one = session(learner, "S-1")
    other = session(learner, "S-2", DAY + dt.timedelta(minutes=5))
    for attempt in range(3):  # a lost update would show in some interleaving
        OnlineResult.objects.all().delete()
        LearningEvent.objects.all().delete()
        EventBatch.objects.all().delete()
        _at_once(partial(push, world, f"A-{attempt}", one), partial(push, world, f"B-{attempt}", other))
        stored = result(learner)
        assert stored.events == len(one) + len(other)
        assert not stored.recognised and [f["rule"] for f in stored.findings] == ["ONL-MULTI-WINDOW"]
