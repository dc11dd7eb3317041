"""Each ONL rule at its boundaries (contracts/online-events.md); every case is also run by the reference."""

from __future__ import annotations

import random
from typing import Any

import polars as pl
import pytest

from .streams import PARAMS, ev, finding, iso, result, results, rules, watch

# ── a clean stream ────────────────────────────────────────────────────────────────────────────


def test_a_clean_session_is_recognised_with_its_playing_time() -> None:
    found = result(watch(0, 600))
    assert found == {"learner": "L1", "course": "C1", "recognised": True, "study_minutes": 10.0, "findings": []}


def test_study_minutes_are_rounded_to_a_tenth_half_up() -> None:
    assert result(watch(0, 63))["study_minutes"] == 1.1  # 1.05 min
    assert result(watch(0, 62))["study_minutes"] == 1.0  # 1.0333 min
    assert result(watch(0, 9))["study_minutes"] == 0.2  # 0.15 min


def test_pauses_are_not_playing_time_and_resume_continues() -> None:
    stream = [
        ev(0, "start", position=0),
        ev(0, "liveness_pass"),
        ev(60, "heartbeat", position=60),
        ev(60, "pause"),
        ev(600, "resume"),
        ev(660, "heartbeat", position=120),
        ev(660, "end"),
    ]
    assert result(stream)["study_minutes"] == 2.0


def test_a_session_without_end_ends_at_its_last_event_and_without_start_begins_at_its_first() -> None:
    stream = watch(0, 120, end=False)
    assert result(stream)["study_minutes"] == 2.0
    no_start = [ev(0, "liveness_pass"), ev(10, "resume"), ev(40, "heartbeat", position=30)]
    assert result(no_start) == {
        "learner": "L1",
        "course": "C1",
        "recognised": True,
        "study_minutes": 0.5,
        "findings": [],
    }


def test_a_session_belongs_to_the_course_of_its_first_event() -> None:
    stream = watch(0, 120)
    stream[-1] = {**stream[-1], "course": "C2"}  # the end says C2; the session began in C1
    assert [(r["course"], r["study_minutes"]) for r in results(stream)] == [("C1", 2.0)]


# ── ONL-FAST-FORWARD ──────────────────────────────────────────────────────────────────────────


def test_a_heartbeat_above_rate_one_is_fast_forward_and_an_absent_rate_is_one() -> None:
    stream = watch(0, 120)
    assert rules([*stream, ev(60, "heartbeat", position=60, rate=1.0)]) == []
    found = finding([*stream, ev(61, "heartbeat", position=61, rate=1.25)], "ONL-FAST-FORWARD")
    assert found["at"] == iso(61) and "1.25 倍速" in found["message"]


def test_a_seek_up_to_5_s_past_the_furthest_heartbeat_passes_and_5_001_fails() -> None:
    base = [ev(0, "start", position=0), ev(0, "liveness_pass"), ev(30, "heartbeat", position=30)]
    assert rules([*base, ev(40, "seek", position=35), ev(40, "end")]) == []
    found = finding([*base, ev(40, "seek", position=35.001), ev(40, "end")], "ONL-FAST-FORWARD")
    assert found["at"] == iso(40)
    assert found["message"] == "课节 C1-L1 拖动至 35 秒，超过已观看到的最远位置 30 秒（容差 5 秒）"


def test_seeking_back_is_fine_and_a_seek_target_is_not_reached() -> None:
    stream = [
        ev(0, "start", position=0),
        ev(0, "liveness_pass"),
        ev(30, "heartbeat", position=30),
        ev(31, "seek", position=10),
        ev(32, "seek", position=34),  # still within 5 s of the furthest heartbeat (30)
        ev(33, "seek", position=36),  # 34 was a seek target, not reached: 36 > 30 + 5
        ev(34, "end"),
    ]
    assert finding(stream, "ONL-FAST-FORWARD")["at"] == iso(33)


def test_the_furthest_position_counts_every_session_and_complete_of_that_lesson() -> None:
    first = watch(0, 600, session="A", complete=True)  # reached 600 in session A
    resume = [
        ev(1000, "start", session="B", position=0),
        ev(1000, "liveness_pass", session="B"),
        ev(1001, "seek", session="B", position=605),
        ev(1002, "end", session="B"),
    ]
    assert rules(first + resume) == []
    too_far = [*resume[:2], ev(1001, "seek", session="B", position=605.5), ev(1002, "end", session="B")]
    assert finding(first + too_far, "ONL-FAST-FORWARD")["session"] == "B"
    other_lesson = [{**e, "lesson": "C1-L2", "lesson_seq": 1} for e in resume]
    assert "ONL-FAST-FORWARD" in rules(first + other_lesson)


def test_at_one_instant_a_heartbeat_comes_before_a_seek_and_a_complete_after_it() -> None:
    base = [ev(0, "start", position=0), ev(0, "liveness_pass")]
    # listed seek first, but the heartbeat at the same instant counts as reached before it
    assert rules([*base, ev(100, "seek", position=104), ev(100, "heartbeat", position=100), ev(101, "end")]) == []
    late_complete = [ev(100, "seek", position=110), ev(100, "complete", position=200), ev(101, "end")]
    assert rules([*base, ev(100, "heartbeat", position=100), *late_complete]) == ["ONL-FAST-FORWARD"]


def test_a_heartbeat_up_to_5_s_ahead_of_the_last_position_plus_playing_passes_and_5_001_fails() -> None:
    base = [ev(0, "start", position=0), ev(0, "liveness_pass"), ev(30, "heartbeat", position=30)]
    assert rules([*base, ev(60, "heartbeat", position=65), ev(60, "end")]) == []
    found = finding([*base, ev(60, "heartbeat", position=65.001), ev(60, "end")], "ONL-FAST-FORWARD")
    assert found["at"] == iso(60)
    assert found["message"] == "课节 C1-L1 播放位置跳至 65 秒，超过上一位置 30 秒加其后播放的 30 秒（容差 5 秒）"


def test_the_jump_check_counts_playing_seconds_only_and_a_seek_is_a_new_anchor() -> None:
    paused = [
        ev(0, "start", position=0),
        ev(0, "liveness_pass"),
        ev(30, "heartbeat", position=30),
        ev(30, "pause"),
        ev(100, "resume"),
        ev(110, "heartbeat", position=50),  # 10 s played since: 30 + 10 + 5 = 45 < 50
        ev(110, "end"),
    ]
    assert finding(paused, "ONL-FAST-FORWARD")["at"] == iso(110)
    seeked = [
        ev(0, "start", position=0),
        ev(0, "liveness_pass"),
        ev(30, "heartbeat", position=30),
        ev(31, "seek", position=20),
        ev(40, "heartbeat", position=29),
        ev(41, "end"),
    ]
    assert rules(seeked) == []


# ── ONL-MULTI-WINDOW ──────────────────────────────────────────────────────────────────────────


def test_touching_windows_do_not_overlap_and_a_1_ms_overlap_does() -> None:
    first = watch(0, 120, session="A")
    assert rules(first + watch(120, 120, session="B")) == []
    found = finding(first + watch(119.999, 120, session="B"), "ONL-MULTI-WINDOW")
    assert found == {
        "rule": "ONL-MULTI-WINDOW",
        "session": "B",  # one course: the session that began later
        "at": iso(119.999),
        "message": "会话 B 与该学员的其他会话同时播放（多窗口学习）",
    }


def test_two_windows_of_one_learner_are_multi_window_but_two_learners_at_once_are_not() -> None:
    one = watch(0, 120, session="A") + watch(60, 120, session="B")
    assert result(one)["findings"][0]["rule"] == "ONL-MULTI-WINDOW"
    assert result(one)["study_minutes"] == 0.0  # both sessions are voided
    two = watch(0, 120, session="A") + watch(60, 120, session="A", learner="L2")
    assert [r["recognised"] for r in results(two)] == [True, True]


def test_multi_window_across_courses_names_each_course_its_own_session_at_the_overlap_start() -> None:
    stream = watch(0, 120, session="A", course="C1") + watch(60, 120, session="B", course="C2")
    by_course = {r["course"]: r["findings"] for r in results(stream)}
    assert [(f["session"], f["at"]) for f in by_course["C1"]] == [("A", iso(60))]
    assert [(f["session"], f["at"]) for f in by_course["C2"]] == [("B", iso(60))]


def test_a_paused_window_does_not_overlap() -> None:
    first = [ev(0, "start", position=0, session="A"), ev(0, "liveness_pass", session="A")]
    first += [ev(30, "heartbeat", position=30, session="A"), ev(30, "pause", session="A")]
    first += [
        ev(500, "resume", session="A"),
        ev(530, "heartbeat", position=60, session="A"),
        ev(530, "end", session="A"),
    ]
    assert rules(first + watch(100, 120, session="B")) == []
    assert rules(first + watch(400, 120, session="B")) == ["ONL-MULTI-WINDOW"]


# ── ONL-POPUP ─────────────────────────────────────────────────────────────────────────────────


def test_300_s_of_playing_without_an_answer_passes_and_300_001_fails() -> None:
    assert rules(watch(0, 300, popup_every=None)) == []
    stream = [*watch(0, 300, popup_every=None, end=False), ev(300.001, "end")]
    assert finding(stream, "ONL-POPUP") == {
        "rule": "ONL-POPUP",
        "session": "S1",
        "at": iso(300),  # the moment the 300 s are passed
        "message": "连续播放超过 300 秒未作答弹窗",
    }


def test_popup_gaps_are_playing_time_between_answers_and_a_pause_does_not_reset_them() -> None:
    stream = [
        ev(0, "start", position=0),
        ev(0, "liveness_pass"),
        ev(100, "popup_answered"),
        ev(250, "heartbeat", position=250),
        ev(250, "pause"),
        ev(900, "resume"),  # 150 s played since the answer
        ev(1050, "heartbeat", position=400),  # 300 s: fine
        ev(1050, "popup_answered"),
        ev(1060, "end"),
    ]
    assert rules(stream) == []
    late = [*stream[:6], ev(1050.5, "heartbeat", position=400.5), ev(1050.5, "popup_answered"), ev(1060, "end")]
    assert finding(late, "ONL-POPUP")["at"] == iso(1050)


def test_an_answer_given_while_paused_counts() -> None:
    stream = [
        ev(0, "start", position=0),
        ev(0, "liveness_pass"),
        ev(200, "heartbeat", position=200),
        ev(200, "pause"),
        ev(210, "popup_answered"),
        ev(220, "resume"),
        ev(420, "heartbeat", position=400),
        ev(420, "end"),
    ]
    assert rules(stream) == []


# ── ONL-LIVENESS ──────────────────────────────────────────────────────────────────────────────


def test_no_liveness_pass_before_the_first_heartbeat_fails_at_that_heartbeat() -> None:
    found = finding(watch(0, 120, liveness=False), "ONL-LIVENESS")
    assert (found["at"], found["message"]) == (iso(30), "心跳前没有通过人脸活体比对")
    # a pass at the same instant as the heartbeat comes first in the contract's order
    assert rules([*watch(0, 120, liveness=False), ev(30, "liveness_pass")]) == []


def test_a_failed_liveness_not_followed_by_a_pass_before_the_next_heartbeat_fails() -> None:
    stream = watch(0, 120)
    assert finding([*stream, ev(40, "liveness_fail")], "ONL-LIVENESS")["at"] == iso(60)
    assert rules([*stream, ev(40, "liveness_fail"), ev(50, "liveness_pass")]) == []
    # fail and pass at one instant: the pass comes after the fail
    assert rules([*stream, ev(40, "liveness_pass"), ev(40, "liveness_fail")]) == []


def test_a_session_without_heartbeats_is_not_judged_by_liveness() -> None:
    assert rules([ev(0, "start", position=0), ev(100, "popup_answered"), ev(200, "end")]) == []


# ── ONL-ORDER ─────────────────────────────────────────────────────────────────────────────────


def test_lesson_2_may_start_only_after_lesson_1_is_complete_in_any_session() -> None:
    lesson1 = watch(0, 120, session="A", complete=True)
    assert rules(lesson1 + watch(200, 120, session="B", seq=2)) == []
    unfinished = watch(0, 120, session="A")
    found = finding(unfinished + watch(200, 120, session="B", seq=2), "ONL-ORDER")
    assert (found["session"], found["at"], found["message"]) == ("B", iso(200), "未学完第 1 节即开始学习第 2 节")


def test_a_complete_at_the_same_instant_as_the_start_comes_after_it() -> None:
    lesson1 = watch(0, 120, session="A", complete=True)  # complete at 120
    assert rules(lesson1 + watch(120, 120, session="B", seq=2)) == ["ONL-ORDER"]


def test_order_is_within_the_course_and_lesson_1_needs_nothing() -> None:
    other_course = watch(0, 120, session="A", course="C2", complete=True)
    assert rules(other_course + watch(200, 120, session="B", seq=2)) == ["ONL-ORDER"]
    assert rules(watch(0, 120, seq=1)) == []


# ── ONL-PHOTO ─────────────────────────────────────────────────────────────────────────────────


def test_a_full_photo_less_class_hour_fails_and_a_trailing_partial_hour_passes() -> None:
    courses = {"C1": 5}  # 5-minute class hours
    assert rules(watch(0, 299, photo_every=None), courses=courses) == []  # less than one full hour
    found = finding(watch(0, 300, photo_every=None), "ONL-PHOTO", courses=courses)
    assert (found["at"], found["message"]) == (iso(0), "第 1 个课时（5 分钟）的播放中没有影像照片")
    one_photo = [*watch(0, 590, photo_every=None), ev(100, "photo")]
    assert rules(one_photo, courses=courses) == []  # hour 1 has it, hour 2 is partial
    assert finding([*watch(0, 600, photo_every=None), ev(100, "photo")], "ONL-PHOTO", courses=courses)["at"] == iso(300)


def test_a_photo_taken_while_paused_does_not_count_and_hours_are_playing_time() -> None:
    courses = {"C1": 5}
    stream = [
        ev(0, "start", position=0),
        ev(0, "liveness_pass"),
        ev(240, "popup_answered"),
        ev(200, "heartbeat", position=200),
        ev(200, "pause"),
        ev(250, "photo"),
        ev(400, "resume"),
        ev(500, "heartbeat", position=300),
        ev(500, "end"),
    ]
    found = finding(stream, "ONL-PHOTO", courses=courses)
    assert found["at"] == iso(0)
    taken = [*stream[:5], ev(300, "resume"), ev(350, "photo"), ev(400, "heartbeat", position=300), ev(400, "end")]
    assert rules(taken, courses=courses) == []


def test_the_default_class_hour_comes_from_the_policy() -> None:
    assert PARAMS.default_hour_minutes == 45
    long = watch(0, 2700, photo_every=None)
    assert rules(long) == ["ONL-PHOTO"]
    assert rules(watch(0, 2700, photo_every=2700)) == []


# ── ONL-PLATFORM ──────────────────────────────────────────────────────────────────────────────


def test_without_a_platform_list_every_platform_is_listed_and_connected() -> None:
    assert rules(watch(0, 120)) == []


def test_an_unlisted_unconnected_or_unknown_platform_fails() -> None:
    stream = watch(0, 120)
    assert rules(stream, platforms={"P1": True}) == []
    for platforms in ({"P1": False}, {"P2": True}, {}):
        found = finding(stream, "ONL-PLATFORM", platforms=platforms)
        assert (found["at"], found["message"]) == (iso(0), "平台 P1 不在目录清单内或未接入全省监管平台")


# ── findings, voiding, order and duplicates ───────────────────────────────────────────────────


def test_findings_are_ordered_by_time_then_catalog_each_rule_once_and_void_only_their_sessions() -> None:
    clean = watch(0, 600, session="A", complete=True)
    bad = watch(1000, 600, session="B", seq=2, liveness=False, popup_every=None)
    bad += [ev(1100, "heartbeat", session="B", seq=2, position=100, rate=2.0)]
    found = result(clean + bad)
    assert [(f["rule"], f["at"]) for f in found["findings"]] == [
        ("ONL-LIVENESS", iso(1030)),
        ("ONL-FAST-FORWARD", iso(1100)),
        ("ONL-POPUP", iso(1300)),
    ]
    assert found["recognised"] is False
    assert found["study_minutes"] == 10.0  # session A only


def test_shuffled_and_duplicated_events_give_the_same_results() -> None:
    stream = (
        watch(0, 600, session="A", complete=True)
        + watch(300, 300, session="B", seq=2)
        + watch(0, 900, learner="L2", popup_every=400)
    )
    expected = results(stream)
    rng = random.Random(7)
    for _ in range(5):
        mixed = stream + rng.sample(stream, 20)
        rng.shuffle(mixed)
        assert results(mixed) == expected


def test_the_same_instant_in_any_notation_and_an_absent_rate_are_one_event() -> None:
    stream = watch(0, 120)
    heartbeat = next(e for e in stream if e["event"] == "heartbeat")
    assert "rate" not in heartbeat
    again = [
        {**heartbeat, "ts": iso(30)},
        {**heartbeat, "ts": "2023-05-03T04:00:30Z"},
        {**heartbeat, "ts": "2023-05-03T04:00:30.000+00:00"},
        {**heartbeat, "rate": 1.0},
    ]
    from .streams import audit

    assert audit(stream + again).events == audit(stream).events == len(stream)


@pytest.mark.parametrize(
    "patch",
    [
        {"KEY_BITS": 0},  # time, kind and tag beyond one 64-bit value: the multi-column sort
        {"FLAG_BITS": 8},  # flags of other widths: the tag is read with the same constants
        # learners and courses whose hashes collide: numbered by their rank instead
        {"_hashed": lambda column: pl.lit(0, pl.UInt64)},
    ],
)
def test_every_way_of_ordering_the_events_gives_the_same_results(
    monkeypatch: pytest.MonkeyPatch, patch: dict[str, object]
) -> None:
    from .. import engine

    stream = watch(0, 600, session="A", complete=True) + watch(300, 300, session="B", seq=2)
    stream += [ev(10, "seek", position=60), *[dict(e) for e in stream[:5]]]  # ties and duplicates
    stream += watch(100, 400, session="A", learner="L2", course="C2")
    stream += [ev(150, "heartbeat", session="A", learner="L2", course="C2", position=150, rate=1.5)]
    expected = results(stream, platforms={"P1": True})
    for name, value in patch.items():
        monkeypatch.setattr(engine, name, value)
    assert results(stream, platforms={"P1": True}) == expected


def test_events_too_far_apart_for_one_key_are_ordered_by_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    from .. import engine

    calls: list[int] = []
    column_order = engine._column_order

    def counted(*args: Any) -> Any:
        calls.append(1)
        return column_order(*args)

    monkeypatch.setattr(engine, "_column_order", counted)
    far = [{**e, "ts": e["ts"] + 2**53} for e in watch(0, 300, session="B", learner="L2")]  # 285,000 years on
    stream = watch(0, 600, session="A", complete=True, popup_every=None) + far + far[:3]
    found = results(stream)  # the reference agrees
    assert calls
    assert [(r["learner"], [f["rule"] for f in r["findings"]]) for r in found] == [
        ("L1", ["ONL-POPUP"]),
        ("L2", []),
    ]


def test_events_at_one_instant_keep_their_own_rate_and_platform_whatever_their_order() -> None:
    # three more heartbeats at 90 s beside the clean one at position 90: in the contract's order
    # 85, then 90 at rate 1.0 (the clean one), then 90 at rate 2.0 from platform P2, sent twice
    again = ev(90, "heartbeat", position=90, rate=2.0, platform="P2")
    stream = [again, *watch(0, 600), ev(90, "heartbeat", position=85), dict(again)]
    found = result(stream, platforms={"P1": True})
    assert [(f["rule"], f["at"], f["message"]) for f in found["findings"]] == [
        ("ONL-PLATFORM", iso(90), "平台 P2 不在目录清单内或未接入全省监管平台"),
        ("ONL-FAST-FORWARD", iso(90), "课节 C1-L1 以 2 倍速播放"),
    ]
