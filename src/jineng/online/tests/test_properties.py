"""Property test: the Polars engine and the plain reference give the same outcome on random streams.

The streams are small but realistic — learners with a few sessions that may overlap, playing with
pauses, heartbeats whose positions follow the playing time (now and then a jump, a rate above 1.0
or a seek), pop-ups, photos, liveness checks, lessons completed or not — then shuffled, partly
duplicated, and written with times in either notation. Same-instant events and sub-second times
are common, so the contract's order of kinds and the tie rules are exercised too.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..engine import OnlineParams
from .streams import audit, ev, iso

ACTIONS = (
    ["heartbeat"] * 16
    + ["popup_answered"] * 8
    + ["resume"] * 2
    + ["photo"] * 2
    + ["pause", "seek", "liveness_pass", "liveness_fail", "popup_shown", "end"]
)
STEPS = st.sampled_from([0, 0, 0.001, 0.5, 1, 5, 10, 30, 30, 30, 60, 60, 120, 299.999, 300])


@st.composite
def session_events(
    draw: st.DrawFn, learner: str, name: str, begin: float, course: str, lesson: int
) -> list[dict[str, Any]]:
    """One session of `lesson` (sometimes another), ending with its complete when it gets that far."""
    course = course if draw(st.integers(min_value=0, max_value=5)) else "C2"
    seq = lesson if draw(st.integers(min_value=0, max_value=5)) else draw(st.integers(min_value=1, max_value=3))
    common: dict[str, Any] = {"learner": learner, "session": name, "course": course, "seq": seq}
    t, position, playing = begin, draw(st.sampled_from([0.0, 0.0, 30.0])), True
    out = [ev(t, "start", position=position, **common)]
    if draw(st.integers(min_value=0, max_value=5)):
        out.append(ev(t, "liveness_pass", **common))
    for _ in range(draw(st.integers(min_value=0, max_value=25))):
        step = draw(STEPS)
        t += step
        if playing:
            position += step
        action = draw(st.sampled_from(ACTIONS))
        if action == "heartbeat":
            drift = draw(st.sampled_from([0] * 30 + [5, 5.001, 40]))
            rate = draw(st.sampled_from([None] * 12 + [1.0, 1.0, 1.0, 1.5]))
            out.append(ev(t, "heartbeat", position=position + drift, rate=rate, **common))
        elif action == "seek":
            position = max(0.0, position + draw(st.sampled_from([-60, -60, -30, 3, 5, 5.001, 90])))
            out.append(ev(t, "seek", position=position, **common))
        else:
            playing = {"pause": False, "end": False, "resume": True}.get(action, playing)
            out.append(ev(t, action, **common))
    if draw(st.integers(min_value=0, max_value=3)):
        out.append(ev(t, "complete", position=position, **common))
    if draw(st.booleans()):
        out.append(ev(t + draw(STEPS), "end", **common))
    return out


@st.composite
def streams(draw: st.DrawFn) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for learner in ("L1", "L2", "L3")[: draw(st.integers(min_value=1, max_value=3))]:
        t = float(draw(st.sampled_from([0, 100, 1000])))
        course = draw(st.sampled_from(["C1", "C1", "C2"]))
        for i in range(draw(st.integers(min_value=1, max_value=4))):
            records += draw(session_events(learner, f"S{i}", t, course, lesson=i + 1))
            t += draw(st.sampled_from([-300, 0, 2000, 4000, 4000, 4000]))  # the next may overlap
    # duplicates, any order, and times in either notation
    records += draw(st.lists(st.sampled_from(records), max_size=5))
    records = draw(st.permutations(records))
    notation = draw(st.lists(st.booleans(), min_size=len(records), max_size=len(records)))
    return [
        {**r, "ts": iso((r["ts"] - 1_683_086_400_000) / 1000)} if as_iso else r
        for r, as_iso in zip(records, notation, strict=True)
    ]


PARAMETERS = st.builds(
    OnlineParams,
    seek_tolerance_s=st.just(5.0),
    popup_gap_max_s=st.sampled_from([60.0, 300.0, 300.0]),
    default_hour_minutes=st.sampled_from([2, 45, 45]),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    records=streams(),
    params=PARAMETERS,
    courses=st.sampled_from([None, None, {"C1": 1}, {"C1": 2, "C2": 3}]),
    platforms=st.sampled_from([None, None, {"P1": True}, {"P1": False}]),
)
def test_the_engine_gives_exactly_what_the_reference_gives(
    records: list[dict[str, Any]],
    params: OnlineParams,
    courses: dict[str, int] | None,
    platforms: dict[str, bool] | None,
) -> None:
    audit(records, params=params, courses=courses, platforms=platforms)  # asserts engine == reference
