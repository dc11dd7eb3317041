"""A plain per-row implementation of the online audit (contracts/online-events.md).

Written independently of `engine.py` and as literally as the contract reads: de-duplicate, put
every learner's events in the contract's order, walk each session event by event, and pair
playing intervals one by one. It is the test oracle of the Polars engine (property test: both
give the same outcome on random streams) and the baseline of `bench/online_audit.py`. Only the
data types of the outcome, the message texts and the number formatting are shared with the
engine, so that the two outcomes can be compared as a whole.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import polars as pl

from .engine import (
    MESSAGES,
    RESULT_SCHEMA,
    RULE_ORDER,
    AuditOutcome,
    OnlineParams,
    format_number,
    format_seconds,
)
from .events import EVENT_KINDS, FIELDS

RANK = {kind: i for i, kind in enumerate(EVENT_KINDS)}


@dataclass(frozen=True)
class Event:
    ts: int
    platform: str
    learner: str
    course: str
    lesson: str
    lesson_seq: int
    session: str
    event: str
    position: float | None
    rate: float | None

    def order(self) -> tuple[Any, ...]:
        """The contract's order: time, then the kind order; the rest only makes it total."""
        return (
            self.ts,
            RANK[self.event],
            self.position is not None,
            self.position or 0.0,
            self.rate is not None,
            self.rate or 0.0,
            self.lesson_seq,
            self.lesson,
            self.course,
            self.platform,
        )


@dataclass
class Occurrence:
    rule: str
    at: int
    index: int  # the event's place in its session (0 for rules not tied to an event)
    message: str


@dataclass
class Session:
    learner: str
    name: str
    events: list[Event]
    course: str = ""
    begin: int = 0
    played: list[int] = field(default_factory=list)  # playing ms before each event (P)
    playing: list[bool] = field(default_factory=list)  # playing when each event happened
    intervals: list[tuple[int, int, int]] = field(default_factory=list)  # (start, end, P at start)
    total: int = 0
    occurrences: list[Occurrence] = field(default_factory=list)

    def wall(self, target: int) -> int:
        """The moment the playing time passes `target` ms."""
        for start, end, before in self.intervals:
            if before <= target < before + (end - start):
                return start + (target - before)
        raise AssertionError("target beyond the session's playing time")


def audit_reference(
    rows: Iterable[Mapping[str, Any]],
    *,
    params: OnlineParams,
    courses: Mapping[str, int] | None = None,
    platforms: Mapping[str, bool] | None = None,
) -> AuditOutcome:
    events = sorted({Event(**{name: row[name] for name in FIELDS}) for row in rows}, key=Event.order)
    sessions: dict[tuple[str, str], Session] = {}
    by_learner: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        key = (event.learner, event.session)
        if key not in sessions:
            sessions[key] = Session(event.learner, event.session, [])
        sessions[key].events.append(event)
        by_learner[event.learner].append(event)
    for session in sessions.values():
        _play(session)
        _session_rules(session, params, courses or {}, platforms)
    for learner, learner_events in by_learner.items():
        own = {name: s for (who, name), s in sessions.items() if who == learner}
        _seek_rule(learner_events, own, params)
        _order_rule(learner_events, own)
        _multi_window(list(own.values()))

    results = []
    grouped: dict[tuple[str, str], list[Session]] = defaultdict(list)
    for session in sessions.values():
        grouped[(session.learner, session.course)].append(session)
    for (learner, course), members in sorted(grouped.items()):
        findings = []
        for rule in RULE_ORDER:
            candidates = [
                (o.at, -s.begin, s.name, o.index, s, o) for s in members for o in s.occurrences if o.rule == rule
            ]
            if candidates:
                *_, session, first = min(candidates, key=lambda c: c[:4])
                findings.append({"rule": rule, "session": session.name, "at": first.at, "message": first.message})
        findings.sort(key=lambda f: (f["at"], RULE_ORDER.index(f["rule"])))
        played = sum(s.total for s in members if not s.occurrences)
        results.append(
            {
                "learner": learner,
                "course": course,
                "recognised": not findings,
                "study_minutes": ((played + 3000) // 6000) / 10,
                "findings": findings,
            }
        )
    return AuditOutcome(
        learners=len(by_learner),
        courses=len({course for _, course in grouped}),
        events=len(events),
        results=pl.DataFrame(results, schema=RESULT_SCHEMA),
    )


def _play(session: Session) -> None:
    """Playing time before each event, and the playing intervals, by the start/resume/pause/end machine."""
    first = session.events[0]
    session.course = first.course
    starts = [e.ts for e in session.events if e.event == "start"]
    session.begin = starts[0] if starts else first.ts
    playing, played, previous = False, 0, first.ts
    for event in session.events:
        if playing:
            played += event.ts - previous
        previous = event.ts
        session.played.append(played)
        session.playing.append(playing)
        if event.event in ("start", "resume") and not playing:
            playing = True
            session.intervals.append((event.ts, event.ts, played))
        elif event.event in ("pause", "end") and playing:
            playing = False
            start, _, before = session.intervals[-1]
            session.intervals[-1] = (start, event.ts, before)
    if playing:
        start, _, before = session.intervals[-1]
        session.intervals[-1] = (start, previous, before)
    session.intervals = [i for i in session.intervals if i[1] > i[0]]
    session.total = played


def _session_rules(
    session: Session, params: OnlineParams, courses: Mapping[str, int], platforms: Mapping[str, bool] | None
) -> None:
    tolerance = params.seek_tolerance_s
    gap = round(params.popup_gap_max_s * 1000)
    hour = courses.get(session.course, params.default_hour_minutes) * 60_000
    occurrences = session.occurrences
    anchor: tuple[float, int] | None = None  # (position, P) of the last start/heartbeat/seek
    liveness: str | None = None
    photo_hours: set[int] = set()
    answered = [0]
    for index, event in enumerate(session.events):
        played = session.played[index]
        if platforms is not None and not platforms.get(event.platform, False):
            occurrences.append(Occurrence("ONL-PLATFORM", event.ts, index, MESSAGES["platform"].format(event.platform)))
        if event.event in ("liveness_pass", "liveness_fail"):
            liveness = event.event
        elif event.event == "popup_answered":
            answered.append(played)
        elif event.event == "photo" and session.playing[index]:
            photo_hours.add(played // hour)
        elif event.event == "heartbeat":
            assert event.position is not None and event.rate is not None
            if liveness != "liveness_pass":
                text = MESSAGES["liveness_missing" if liveness is None else "liveness_failed"]
                occurrences.append(Occurrence("ONL-LIVENESS", event.ts, index, text))
            if event.rate > 1.0:
                text = MESSAGES["rate"].format(event.lesson, format_number(event.rate, 2))
                occurrences.append(Occurrence("ONL-FAST-FORWARD", event.ts, index, text))
            elif anchor is not None:
                position, since = anchor
                elapsed = played - since
                if event.position * 1000 > position * 1000 + elapsed + tolerance * 1000:
                    text = MESSAGES["jump"].format(
                        event.lesson,
                        format_number(event.position, 1),
                        format_number(position, 1),
                        format_seconds(elapsed),
                        format_number(tolerance, 1),
                    )
                    occurrences.append(Occurrence("ONL-FAST-FORWARD", event.ts, index, text))
        if event.event in ("start", "heartbeat", "seek"):
            assert event.position is not None
            anchor = (event.position, played)
    answered.append(session.total)
    for before, after in pairwise(answered):
        if after - before > gap:
            text = MESSAGES["popup"].format(format_number(gap / 1000, 1))
            occurrences.append(Occurrence("ONL-POPUP", session.wall(before + gap), 0, text))
            break
    for k in range(session.total // hour):
        if k not in photo_hours:
            text = MESSAGES["photo"].format(k + 1, hour // 60_000)
            occurrences.append(Occurrence("ONL-PHOTO", session.wall(k * hour), 0, text))
            break


def _seek_rule(events: list[Event], sessions: dict[str, Session], params: OnlineParams) -> None:
    """A seek more than the tolerance past the furthest heartbeat/complete position of the lesson."""
    furthest: dict[str, float] = {}
    for event in events:
        if event.event in ("heartbeat", "complete"):
            assert event.position is not None
            furthest[event.lesson] = max(furthest.get(event.lesson, 0.0), event.position)
        elif event.event == "seek":
            assert event.position is not None
            reached = furthest.get(event.lesson, 0.0)
            if event.position > reached + params.seek_tolerance_s:
                session = sessions[event.session]
                text = MESSAGES["seek"].format(
                    event.lesson,
                    format_number(event.position, 1),
                    format_number(reached, 1),
                    format_number(params.seek_tolerance_s, 1),
                )
                index = session.events.index(event)
                session.occurrences.append(Occurrence("ONL-FAST-FORWARD", event.ts, index, text))


def _order_rule(events: list[Event], sessions: dict[str, Session]) -> None:
    """A start of lesson k > 1 before any complete of lesson k − 1 in the session's course."""
    completed: set[tuple[str, int]] = set()
    for event in events:
        session = sessions[event.session]
        if event.event == "complete":
            completed.add((session.course, event.lesson_seq))
        elif (
            event.event == "start" and event.lesson_seq > 1 and (session.course, event.lesson_seq - 1) not in completed
        ):
            text = MESSAGES["order"].format(event.lesson_seq - 1, event.lesson_seq)
            session.occurrences.append(Occurrence("ONL-ORDER", event.ts, session.events.index(event), text))


def _multi_window(sessions: list[Session]) -> None:
    """Every pair of playing intervals of two sessions that overlap by more than 0 ms."""
    first: dict[str, int] = {}
    for i, one in enumerate(sessions):
        for other in sessions[i + 1 :]:
            for a_start, a_end, _ in one.intervals:
                for b_start, b_end, _ in other.intervals:
                    start = max(a_start, b_start)
                    if start < min(a_end, b_end):
                        for s in (one, other):
                            first[s.name] = min(first.get(s.name, start), start)
    for s in sessions:
        if s.name in first:
            s.occurrences.append(Occurrence("ONL-MULTI-WINDOW", first[s.name], 0, MESSAGES["multi"].format(s.name)))
