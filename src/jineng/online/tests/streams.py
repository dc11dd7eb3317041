"""Event streams for the audit tests, and `audit()`: the engine's results, checked against the reference."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from ..engine import AuditOutcome, OnlineParams, audit_frame, results_as_dicts
from ..events import frame_from_records
from ..reference import audit_reference

PARAMS = OnlineParams(seek_tolerance_s=5.0, popup_gap_max_s=300.0, default_hour_minutes=45)
T0 = 1_683_086_400_000  # 2023-05-03T12:00:00+08:00
CST = dt.timezone(dt.timedelta(hours=8))


def ms(seconds: float) -> int:
    return T0 + round(seconds * 1000)


def iso(seconds: float) -> str:
    """T0 + seconds as ISO 8601 in +08:00, milliseconds when there are any."""
    at = ms(seconds)
    moment = dt.datetime.fromtimestamp(at // 1000, tz=CST).replace(microsecond=at % 1000 * 1000)
    return moment.isoformat(timespec="milliseconds" if at % 1000 else "seconds")


def ev(
    second: float,
    event: str,
    *,
    session: str = "S1",
    learner: str = "L1",
    course: str = "C1",
    seq: int = 1,
    lesson: str | None = None,
    position: float | None = None,
    rate: float | None = None,
    platform: str = "P1",
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "ts": ms(second),
        "platform": platform,
        "learner": learner,
        "course": course,
        "lesson": lesson or f"{course}-L{seq}",
        "lesson_seq": seq,
        "session": session,
        "event": event,
    }
    if position is not None:
        record["position"] = position
    if rate is not None:
        record["rate"] = rate
    return record


def watch(
    begin: float,
    seconds: int,
    *,
    session: str = "S1",
    learner: str = "L1",
    course: str = "C1",
    seq: int = 1,
    from_position: float = 0,
    every: int = 30,
    popup_every: int | None = 240,
    photo_every: int | None = None,
    liveness: bool = True,
    complete: bool = False,
    end: bool = True,
) -> list[dict[str, Any]]:
    """A clean stretch of playing: start, liveness pass, a heartbeat every `every` s at the position
    reached, pop-ups answered every `popup_every` s, photos every `photo_every` s, then end."""
    common: dict[str, Any] = {"session": session, "learner": learner, "course": course, "seq": seq}
    out = [ev(begin, "start", position=from_position, **common)]
    if liveness:
        out.append(ev(begin, "liveness_pass", **common))
    for t in range(every, seconds + 1, every):
        out.append(ev(begin + t, "heartbeat", position=from_position + t, **common))
    if popup_every:
        out += [ev(begin + t, "popup_answered", **common) for t in range(popup_every, seconds, popup_every)]
    if photo_every:
        out += [ev(begin + t, "photo", **common) for t in range(photo_every // 2, seconds, photo_every)]
    if complete:
        out.append(ev(begin + seconds, "complete", position=from_position + seconds, **common))
    if end:
        out.append(ev(begin + seconds, "end", **common))
    return out


def audit(
    records: Sequence[Mapping[str, Any]],
    *,
    params: OnlineParams = PARAMS,
    courses: Mapping[str, int] | None = None,
    platforms: Mapping[str, bool] | None = None,
) -> AuditOutcome:
    """The engine's outcome; the reference must give exactly the same."""
    frame = frame_from_records(records)
    outcome = audit_frame(frame, params=params, courses=courses, platforms=platforms)
    expected = audit_reference(frame.iter_rows(named=True), params=params, courses=courses, platforms=platforms)
    assert (outcome.learners, outcome.courses, outcome.events) == (expected.learners, expected.courses, expected.events)
    assert results_as_dicts(outcome) == results_as_dicts(expected)
    return outcome


def results(records: Sequence[Mapping[str, Any]], **kwargs: Any) -> list[dict[str, Any]]:
    return results_as_dicts(audit(records, **kwargs))


def result(
    records: Sequence[Mapping[str, Any]], learner: str = "L1", course: str = "C1", **kwargs: Any
) -> dict[str, Any]:
    found = [r for r in results(records, **kwargs) if (r["learner"], r["course"]) == (learner, course)]
    assert len(found) == 1, f"no single result for {learner} × {course}"
    return found[0]


def rules(records: Sequence[Mapping[str, Any]], **kwargs: Any) -> list[str]:
    """The rules found for L1 × C1, in the result's order."""
    return [f["rule"] for f in result(records, **kwargs)["findings"]]


def finding(records: Sequence[Mapping[str, Any]], rule: str, **kwargs: Any) -> dict[str, Any]:
    found = [f for f in result(records, **kwargs)["findings"] if f["rule"] == rule]
    assert len(found) == 1, f"{rule} not found"
    return found[0]
