"""The online-learning audit (contracts/online-events.md, RULES.md section D, clause 三(二)), set-based in Polars.

The whole audit is one ordering and a handful of column passes:

1. **One ordering.** Each event becomes one 64-bit value, time | kind | tag, where the tag is its
   row number with the two flags the rules read at full length (rate above 1.0, platform not
   listed). The values are grouped by a 64-bit hash of (learner, session) and sorted within each
   group: every session's events come together in the contract's order, and time, kind, row and
   flags are read back out of the values, so only `position` is gathered at full length. (When
   the time span and the row count do not fit 64 bits, a multi-column sort does the same.) Rows
   equal in (session, time, kind) — rare, and including every duplicate — are ordered by their
   remaining values in a small second sort; duplicates are counted and left in place, right after
   the event they repeat, where no pass below gives them any effect.
2. **Sessions by column passes.** The playing state is a forward fill of start/resume (on) and
   pause/end (off), reset at each session's first row; the playing clock c (playing ms of all
   sessions so far) is one cumulative sum that never restarts, a session's playing time being a
   difference of c values. Liveness is a forward fill too; among the starts, heartbeats and seeks
   alone, the fast-forward anchor is the row before. Per-session values are read at a session's
   first and last rows: nothing at full length is grouped after the ordering.
3. **Small tables for the rest.** Playing intervals (a few per session) give multi-window
   overlaps and the wall time of a playing-time target (pop-up gaps, photo-less class hours);
   seeks, starts, completes, photos and answered pop-ups are filtered out before their rules run,
   two rules at a time.
4. Only the findings — the first occurrence of each rule per (learner, course) — get strings.

Full-length work runs as lazy plans, which Polars runs in parallel over slices of the frame without
allocating every intermediate at full length (eager selects of the same expressions cost several
times as much); a lazy plan also filters only the columns it names.

`reference.py` is the same contract in plain Python; the property test holds them equal.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload
from zoneinfo import ZoneInfo

import polars as pl

from .events import EVENT_ENUM, EVENT_KINDS

if TYPE_CHECKING:
    from jineng.policy.parameters import Parameters

RULE_ORDER: tuple[str, ...] = (
    "ONL-PLATFORM",
    "ONL-FAST-FORWARD",
    "ONL-MULTI-WINDOW",
    "ONL-POPUP",
    "ONL-LIVENESS",
    "ONL-ORDER",
    "ONL-PHOTO",
)
# Finding messages: `{}` is filled in order, by str.format (reference) and pl.format (engine).
MESSAGES: dict[str, str] = {
    "platform": "平台 {} 不在目录清单内或未接入全省监管平台",
    "rate": "课节 {} 以 {} 倍速播放",
    "seek": "课节 {} 拖动至 {} 秒，超过已观看到的最远位置 {} 秒（容差 {} 秒）",
    "jump": "课节 {} 播放位置跳至 {} 秒，超过上一位置 {} 秒加其后播放的 {} 秒（容差 {} 秒）",
    "multi": "会话 {} 与该学员的其他会话同时播放（多窗口学习）",
    "popup": "连续播放超过 {} 秒未作答弹窗",
    "liveness_missing": "心跳前没有通过人脸活体比对",
    "liveness_failed": "人脸活体比对未通过后继续播放",
    "order": "未学完第 {} 节即开始学习第 {} 节",
    "photo": "第 {} 个课时（{} 分钟）的播放中没有影像照片",
}
FINDING = pl.Struct({"rule": pl.String, "session": pl.String, "at": pl.Int64, "message": pl.String})
RESULT_SCHEMA: dict[str, pl.DataType] = {
    "learner": pl.String(),
    "course": pl.String(),
    "recognised": pl.Boolean(),
    "study_minutes": pl.Float64(),
    "findings": pl.List(FINDING),
}
LOCAL = ZoneInfo("Asia/Shanghai")

RANK = {kind: i for i, kind in enumerate(EVENT_KINDS)}
START, RESUME, LIVE_FAIL, LIVE_PASS = RANK["start"], RANK["resume"], RANK["liveness_fail"], RANK["liveness_pass"]
ANSWERED, PHOTO, HEARTBEAT, SEEK = RANK["popup_answered"], RANK["photo"], RANK["heartbeat"], RANK["seek"]
COMPLETE, PAUSE, END = RANK["complete"], RANK["pause"], RANK["end"]
KIND_BITS = 4
THREADS = 2  # the steps after the ordering run two at a time (see `audit_frame`)
KEY_BITS = 64  # the bits of an event's value in `_key_order`: time, kind and tag
FLAG_BITS, FAST, BAD = 2, 2, 1  # a tag's flags: rate above 1.0, platform not listed or not connected
assert len(EVENT_KINDS) <= 1 << KIND_BITS
# `_playing` compares ranks: start and resume are the first two kinds, pause and end the last two
assert (0, 1, len(EVENT_KINDS) - 2, len(EVENT_KINDS) - 1) == (START, RESUME, PAUSE, END)


@dataclass(frozen=True, slots=True)
class OnlineParams:
    seek_tolerance_s: float
    popup_gap_max_s: float
    default_hour_minutes: int

    @classmethod
    def from_policy(cls, p: Parameters) -> OnlineParams:
        return cls(
            seek_tolerance_s=float(p.online_seek_tolerance_seconds),
            popup_gap_max_s=float(p.online_popup_gap_max_seconds),
            default_hour_minutes=int(p.online_default_hour_minutes),
        )


@dataclass(frozen=True)
class AuditOutcome:
    learners: int
    courses: int
    events: int  # after de-duplication
    results: pl.DataFrame  # RESULT_SCHEMA, one row per (learner, course), sorted by learner, course


# ── formatting shared with the reference ──────────────────────────────────────────────────────


def format_number(value: float, digits: int) -> str:
    """A non-negative number rounded half up to `digits` decimals, trailing zeros dropped."""
    scale = 10**digits
    q = int(value * scale + 0.5)
    whole, frac = divmod(q, scale)
    return str(whole) if frac == 0 else f"{whole}.{frac:0{digits}d}".rstrip("0")


def format_number_expr(value: pl.Expr, digits: int) -> pl.Expr:
    scale = 10**digits
    q = (value * scale + 0.5).floor().cast(pl.Int64)
    whole, frac = q // scale, q % scale
    return (
        pl.when(frac == 0)
        .then(whole.cast(pl.String))
        .otherwise(pl.format("{}.{}", whole, frac.cast(pl.String).str.zfill(digits)).str.strip_chars_end("0"))
    )


def format_seconds(ms: int) -> str:
    """Milliseconds as seconds, rounded half up to one decimal, from integers only."""
    return format_number_tenths((ms + 50) // 100)


def format_number_tenths(tenths: int) -> str:
    whole, frac = divmod(tenths, 10)
    return str(whole) if frac == 0 else f"{whole}.{frac}"


def format_seconds_expr(ms: pl.Expr) -> pl.Expr:
    tenths = (ms + 50) // 100
    return (
        pl.when(tenths % 10 == 0)
        .then((tenths // 10).cast(pl.String))
        .otherwise(pl.format("{}.{}", tenths // 10, tenths % 10))
    )


def _tenths_value(tenths: pl.Expr) -> pl.Expr:
    """Integer tenths as the nearest float (Polars divides by a constant as a multiplication by its
    inverse, which is off by one unit in the last place — 3 / 10 gives 0.30000000000000004)."""
    return pl.format("{}.{}", tenths // 10, tenths % 10).cast(pl.Float64)


def iso_local(ms: int) -> str:
    """Epoch milliseconds as ISO 8601 in +08:00, with milliseconds only when there are any."""
    moment = dt.datetime.fromtimestamp(ms // 1000, tz=LOCAL).replace(microsecond=(ms % 1000) * 1000)
    return moment.isoformat(timespec="milliseconds" if ms % 1000 else "seconds")


def results_as_dicts(outcome: AuditOutcome) -> list[dict[str, Any]]:
    """The contract's JSON result objects, `at` as ISO 8601 with +08:00."""
    out = []
    for row in outcome.results.iter_rows(named=True):
        row["findings"] = [{**f, "at": iso_local(f["at"])} for f in row["findings"]]
        out.append(row)
    return out


# ── profiling ─────────────────────────────────────────────────────────────────────────────────


class Steps:
    """Wall time per named step (bench --profile); a no-op unless a dict is given."""

    def __init__(self, sink: dict[str, float] | None) -> None:
        self.sink = sink

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        if self.sink is None:
            yield
            return
        started = time.perf_counter()
        yield
        self.sink[name] = self.sink.get(name, 0.0) + time.perf_counter() - started


# ── the audit ─────────────────────────────────────────────────────────────────────────────────


def audit_frame(
    events: pl.DataFrame | pl.LazyFrame,
    *,
    params: OnlineParams,
    courses: Mapping[str, int] | None = None,
    platforms: Mapping[str, bool] | None = None,
    profile: dict[str, float] | None = None,
) -> AuditOutcome:
    """Audit validated events (EVENT_SCHEMA, as `events.read_events` returns them; `event` may also be
    the Enum of EVENT_KINDS, as `read_events(..., event_enum=True)` gives it, which saves a pass).

    `courses`: course → class-hour minutes (absent: the policy's default). `platforms`: platform →
    listed and connected (None: every platform is; absent from the mapping: not listed).
    `profile`, when given, receives the seconds spent in each step.
    """
    step = Steps(profile)
    frame = events.collect() if isinstance(events, pl.LazyFrame) else events
    if frame.height == 0:
        return AuditOutcome(0, 0, 0, pl.DataFrame(schema=RESULT_SCHEMA))
    with step("sort + de-duplicate"):
        ev, duplicates = _ordered(frame, platforms)
    # What follows are chains of small steps, each keeping few cores busy, and mostly independent:
    # they run two at a time (Polars releases the interpreter while it works), the longest first.
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        with step("sessions: playing time"):
            ev = _playing(ev)
            playing = pool.submit(_intervals, ev)
            # starts, seeks and completes: the session's beginning, the seek and the order rules
            marks = _pick(ev, pl.col("k").is_in((START, SEEK, COMPLETE)), "sid", "idx", "ts", "k", row=_row())
            sessions = _sessions(frame, ev, marks)
            intervals = playing.result()
        hour_ms = _hour_ms(sessions, courses, params)
        with step("rules"):
            beats = pool.submit(_heartbeat_hits, ev, params)
            seeks = pool.submit(_seek_hits, frame, ev, marks, sessions, params)
            tasks: list[Future[pl.DataFrame | None]] = [
                pool.submit(_order, frame, marks, sessions),
                pool.submit(_multi_window, frame, intervals, sessions),
                pool.submit(_popup, ev, intervals, params),
                pool.submit(_photo, ev, intervals, sessions, hour_ms),
                pool.submit(_liveness, ev),
                pool.submit(_platform, frame, ev, platforms),
            ]
            fast_forward = _fast_forward(frame, beats.result(), seeks.result(), params)
            occurrences = [fast_forward, *(task.result() for task in tasks)]
    with step("findings + results"):
        results = _results(frame, sessions, occurrences)
    return AuditOutcome(
        learners=results.get_column("learner").n_unique(),
        courses=results.get_column("course").n_unique(),
        events=ev.height - duplicates,
        results=results,
    )


# ── 1. one ordering ───────────────────────────────────────────────────────────────────────────

TIEBREAK = ("position", "rate", "lesson_seq", "lesson", "course", "platform")


def _session_hash() -> pl.Expr:
    """A 64-bit hash of (learner, session): two column hashes with different seeds, combined
    (hashing the pair as a struct costs three times as much)."""
    return pl.col("learner").hash(seed=0x6A696E656E67) ^ pl.col("session").hash(seed=0x6F6E6C696E65)


def _kind(frame: pl.DataFrame) -> pl.Expr:
    """The kind's rank (0–11); `read_events(..., event_enum=True)` has already made the Enum."""
    event = pl.col("event")
    return (event if frame.schema["event"] == EVENT_ENUM else event.cast(EVENT_ENUM)).to_physical()


def _ordered(frame: pl.DataFrame, platforms: Mapping[str, bool] | None) -> tuple[pl.DataFrame, int]:
    """The events in the contract's order within each session, and how many are duplicates.

    Columns: tag (row number · 4 + FAST + BAD, see `_tag`), sid (dense session number), first (the
    session's first event), ts, k (kind rank), position.

    Duplicates stay, each right after the event it repeats: every pass below leaves such a row
    without effect (no playing time passes, no state changes, and any occurrence it gave would
    come after the same one of the event before it), and dropping them would copy every column.
    """
    n = frame.height
    t0, t1 = frame.select(t0=pl.col("ts").min(), t1=pl.col("ts").max()).row(0)
    tag_bits = max(1, (n - 1).bit_length()) + FLAG_BITS
    tag_type = pl.UInt32 if tag_bits <= 32 else pl.UInt64
    tag = _tag(platforms)  # UInt64
    if (t1 - t0).bit_length() + KIND_BITS + tag_bits <= KEY_BITS:
        ordered, duplicates = _key_order(frame, tag, tag_type, t0, tag_bits)
    else:
        ordered, duplicates = _column_order(frame, tag.cast(tag_type))
    # one contiguous chunk first: gathering across a Parquet file's row groups is several times slower
    position = frame.get_column("position").rechunk()
    ev = ordered.lazy().select(
        "tag",
        sid=pl.col("first").cum_sum().cast(pl.UInt32) - 1,
        first="first",
        ts="ts",
        k="k",
        position=pl.lit(position).gather(_row()),
    )
    return ev.collect(), duplicates


def _tag(platforms: Mapping[str, bool] | None) -> pl.Expr:
    """row · 4 + FAST (rate above 1.0) + BAD (platform not listed or not connected): the two flags
    the rules read at full length travel with the row number, so rate and platform are never
    gathered in the events' order."""
    zero = pl.lit(0, pl.UInt64)
    tag = pl.int_range(0, pl.len() * (1 << FLAG_BITS), 1 << FLAG_BITS, dtype=pl.UInt64)
    tag = tag + pl.when(pl.col("rate") > 1.0).then(pl.lit(FAST, pl.UInt64)).otherwise(zero)
    if platforms is not None:
        ok = [name for name, good in platforms.items() if good]
        platform = pl.col("platform")
        # a few comparisons of short strings cost less than a hash lookup per row
        listed = platform.is_in(ok) if len(ok) > 8 else pl.any_horizontal(pl.lit(False), *(platform == p for p in ok))
        tag = tag + pl.when(listed).then(zero).otherwise(pl.lit(BAD, pl.UInt64))
    return tag


@overload
def _row(tag: pl.Series) -> pl.Series: ...
@overload
def _row(tag: pl.Expr | None = None) -> pl.Expr: ...
def _row(tag: pl.Expr | pl.Series | None = None) -> pl.Expr | pl.Series:
    """The row number in `frame` of a tag (the column `tag` by default)."""
    tag = pl.col("tag") if tag is None else tag
    return (tag // (1 << FLAG_BITS)).cast(pl.UInt32)


def _key_order(
    frame: pl.DataFrame, tag: pl.Expr, tag_type: type[pl.DataType], t0: int, tag_bits: int
) -> tuple[pl.DataFrame, int]:
    """Each event as one 64-bit value, time | kind | tag, grouped by a 64-bit hash of its session
    and sorted within the group, a hundred-odd values at a time in cache: on 10⁷ events a quarter
    less work than one sort of 128-bit values (hash | time | kind | tag), and several times less
    than a sort of indices. Time, kind and tag are read back out of the sorted values, so nothing
    is gathered for them. The sessions come in whatever order the grouping gives; nothing depends
    on it.

    Sessions are told apart by their 64-bit hash only: two sharing it (odds about s²/2⁶⁵ for s
    sessions, 10⁻⁹ for a million) would be audited as one.

    Returns tag, first (the session's first event), ts and k, and the number of duplicates.
    """
    unit = 1 << tag_bits
    low = (pl.col("ts") - t0).cast(pl.UInt64) * (unit << KIND_BITS) + _kind(frame).cast(pl.UInt64) * unit + tag
    groups = (
        frame.lazy()
        .select(h=_session_hash(), low=low)
        .group_by("h")
        .agg(pl.col("low").sort())
        .select(n=pl.col("low").list.len(), low="low")
        .collect()
    )
    sizes = groups.get_column("n").cast(pl.Int64)
    first = pl.repeat(False, frame.height, eager=True).scatter(sizes.cum_sum() - sizes, True).alias("first")
    values = groups.get_column("low").explode()
    del groups  # `values` alone holds its buffer now: the scatter below writes in place
    ordered = pl.DataFrame([values, first])
    tk = pl.col("low") // unit
    ties = ordered.lazy().select(pl.arg_where(~pl.col("first") & (tk == tk.shift(1)))).collect().to_series()
    duplicates = 0
    if ties.len():
        positions, tied, group = _tie_groups(ties, values)
        tags, duplicates = _break_ties(frame, group, (tied % unit).cast(tag_type))
        values.scatter(positions, tied // unit * unit + tags.cast(pl.UInt64))
        ordered = pl.DataFrame([values, first])
    # element by element, so the streaming engine does it slice by slice; the running count and the
    # gather in `_ordered` cannot be, and would hold every intermediate here at full length
    unpacked = ordered.lazy().select(
        tag=(pl.col("low") % unit).cast(tag_type),
        first="first",
        ts=(pl.col("low") // (unit << KIND_BITS)).cast(pl.Int64) + t0,
        k=(tk % (1 << KIND_BITS)).cast(pl.UInt8),
    )
    return unpacked.collect(engine="streaming"), duplicates


def _column_order(frame: pl.DataFrame, tag: pl.Expr) -> tuple[pl.DataFrame, int]:
    """The general order, when time span and row count do not fit one 64-bit value: a sort by
    (session hash, time, kind). Returns what `_key_order` does."""
    h, ts, k = pl.col("h"), pl.col("ts"), pl.col("k")
    same_session = h == h.shift(1)
    ordered = (
        frame.lazy()
        .select(tag=tag, h=_session_hash(), ts=ts, k=_kind(frame).cast(pl.UInt8))
        .sort("h", "ts", "k")
        .select(
            "tag",
            first=~same_session.fill_null(False),
            ts="ts",
            k="k",
            tie=same_session & (ts == ts.shift(1)) & (k == k.shift(1)),
        )
        .collect()
    )
    ties, duplicates = ordered.get_column("tie").arg_true(), 0
    if ties.len():
        positions, tied, group = _tie_groups(ties, ordered.get_column("tag"))
        tags, duplicates = _break_ties(frame, group, tied)
        ordered = ordered.with_columns(ordered.get_column("tag").scatter(positions, tags))
    return ordered.drop("tie"), duplicates


def _tie_groups(ties: pl.Series, values: pl.Series) -> tuple[pl.Series, pl.Series, pl.Series]:
    """The places of the rows in ties (`ties`: each equal in session, time and kind to the row
    before), with the row before each; their values there; and their group (a number)."""
    positions = pl.concat([ties - 1, ties]).unique().sort()
    return positions, values.gather(positions), (~positions.is_in(ties.implode())).cum_sum()


def _break_ties(frame: pl.DataFrame, group: pl.Series, tied: pl.Series) -> tuple[pl.Series, int]:
    """Rows equal in (session, time, kind), in groups `group` with tags `tied`, are ordered by
    their remaining values. Returns the tags in the new order and the number of exact duplicates
    (rows equal to the one before them)."""
    # learner, session, time and kind are the group's own (the key holds them), so the remaining
    # values decide both the order and whether a row repeats the one before
    values = frame.select(pl.col(TIEBREAK).gather(_row(tied))).with_columns(tied.alias("_tag"), group.alias("_group"))
    resorted = values.sort("_group", *TIEBREAK, nulls_last=False, maintain_order=True)
    duplicate = pl.col("_group") == pl.col("_group").shift(1)
    for column in TIEBREAK:
        duplicate = duplicate & pl.col(column).eq_missing(pl.col(column).shift(1))
    dup = resorted.select(duplicate.fill_null(False)).to_series()
    return resorted.get_column("_tag"), int(dup.sum())


# ── 2. sessions ───────────────────────────────────────────────────────────────────────────────


def _playing(ev: pl.DataFrame) -> pl.DataFrame:
    """Per event, by forward fills and a running sum (a session's first row resets what it must):

    last      the session's last event
    on        playing while the event happens; on_after: playing after it
    c         the playing clock: the playing ms of every session up to the event. A session's
              playing time before an event is c there minus c at its first event, so differences
              of c are differences of playing time and the rules compare c values directly
    live      the latest liveness event so far in the session: 1 pass, 0 fail, -1 none
    """
    k, first = pl.col("k"), pl.col("first")
    return (
        ev.lazy()
        .with_columns(
            last=first.shift(-1).fill_null(True),
            # start and resume switch playing on, pause and end off; a session begins off
            on_after=pl.when(k <= RESUME).then(True).when((k >= PAUSE) | first).then(False).forward_fill(),
            live=pl.when(k == LIVE_PASS)
            .then(pl.lit(1, pl.Int8))
            .when(k == LIVE_FAIL)
            .then(pl.lit(0, pl.Int8))
            .when(first)
            .then(pl.lit(-1, pl.Int8))
            .forward_fill(),
        )
        .with_columns(on=pl.when(first).then(False).otherwise(pl.col("on_after").shift(1)))
        .with_columns(c=pl.when(pl.col("on")).then(pl.col("ts").diff()).otherwise(0).cum_sum())
        .collect()
    )


def _sessions(frame: pl.DataFrame, ev: pl.DataFrame, marks: pl.DataFrame) -> pl.DataFrame:
    """One row per session, in sid order (row i is sid i): learner, course (of its first event),
    row (its first event's, for other names), begin, c0 (the playing clock at its first event),
    total playing ms, at0 and at1 (its first and last place in the order), lid and cid (the learner
    and the course as numbers)."""
    at0 = ev.get_column("first").arg_true()
    at1 = ev.get_column("last").arg_true()
    heads = ev.select(pl.col("tag", "ts", "c").gather(at0)).with_columns(row=_row())
    names = frame.select(pl.col("learner", "course").gather(heads.get_column("row")))
    starts = marks.filter(pl.col("k") == START).unique("sid", keep="first", maintain_order=True)
    begin = pl.Series([None], dtype=pl.Int64).extend_constant(None, at0.len() - 1)
    begin = begin.scatter(starts.get_column("sid"), starts.get_column("ts"))
    lid, cid = _numbers(names)
    return pl.concat([heads, names], how="horizontal").select(
        sid=pl.int_range(pl.len(), dtype=pl.UInt32),
        learner="learner",
        course="course",
        row="row",
        begin=pl.coalesce(begin, "ts"),  # a session begins at its start, lacking one at its first event
        c0="c",
        total=ev.get_column("c").gather(at1) - pl.col("c"),
        at0=at0,
        at1=at1,
        lid=lid,
        cid=cid,
    )


def _numbers(names: pl.DataFrame) -> list[pl.Expr]:
    """A number for each distinct value of each column: its hash, when the hashes are as many as
    the values (as good as always), else its dense rank (which costs a sort of the strings)."""
    counts = names.select(
        *(pl.col(c).n_unique().alias(f"values {c}") for c in names.columns),
        *(_hashed(c).n_unique().alias(f"hashes {c}") for c in names.columns),
    ).row(0, named=True)
    return [
        _hashed(c) if counts[f"values {c}"] == counts[f"hashes {c}"] else pl.col(c).rank("dense").cast(pl.UInt64)
        for c in names.columns
    ]


def _hashed(column: str) -> pl.Expr:
    """(A function of its own so that a test can make the hashes collide.)"""
    return pl.col(column).hash()


def _session_names(frame: pl.DataFrame, sessions: pl.DataFrame, sids: pl.Series) -> pl.Series:
    """The `session` names of some sessions (most are never named, so none are gathered up front)."""
    return frame.get_column("session").gather(sessions.get_column("row").gather(sids))


def _intervals(ev: pl.DataFrame) -> pl.DataFrame:
    """Playing intervals [start, end) of positive length: sid, start, end, played (c at start)."""
    edges = _pick(
        ev,
        (pl.col("on") != pl.col("on_after")) | (pl.col("last") & pl.col("on_after")),
        "sid",
        "ts",
        "c",
        "on",
        "on_after",
        "last",
    )
    return (
        edges.with_columns(
            end=pl.when(pl.col("last") & pl.col("on_after") & ~pl.col("on"))
            .then(pl.col("ts"))
            .otherwise(pl.col("ts").shift(-1))
        )
        .filter(pl.col("on_after") & ~pl.col("on"))
        .select("sid", pl.col("ts").alias("start"), "end", pl.col("c").alias("played"))
        .filter(pl.col("end") > pl.col("start"))
    )


def _hour_ms(sessions: pl.DataFrame, courses: Mapping[str, int] | None, params: OnlineParams) -> pl.Series:
    """The class hour of each session's course in ms, by sid."""
    minutes = pl.col("course").replace_strict(
        dict(courses or {}), default=params.default_hour_minutes, return_dtype=pl.Int64
    )
    return sessions.select(hour=minutes * 60_000).to_series()


def _wall(targets: pl.DataFrame, intervals: pl.DataFrame) -> pl.DataFrame:
    """Add `at`: the moment the playing clock passes `target` in the session (sid, target → at)."""
    return (
        targets.join(intervals, on="sid")
        .filter(
            (pl.col("played") <= pl.col("target"))
            & (pl.col("target") < pl.col("played") + pl.col("end") - pl.col("start"))
        )
        .with_columns(at=pl.col("start") + pl.col("target") - pl.col("played"))
        .drop("start", "end", "played")
    )


# ── 3. the rules: each gives occurrences (sid, rule, at, idx, detail columns…) ─────────────────


def _first_per_session(occ: pl.DataFrame) -> pl.DataFrame:
    return occ.sort("sid", "at", "idx").unique("sid", keep="first", maintain_order=True)


def _pick(ev: pl.DataFrame, condition: pl.Expr, *columns: str | pl.Expr, **named: pl.Expr | str) -> pl.DataFrame:
    """The rows of `ev` meeting `condition`, with idx (their place in the order) when asked for.

    A lazy plan: Polars runs it in parallel over slices of the frame, filtering only the columns
    named, and allocates nothing at full length (an eager select of the same condition costs
    several times as much)."""
    return ev.lazy().with_row_index("idx").filter(condition).select(*columns, **named).collect()


def _platform(frame: pl.DataFrame, ev: pl.DataFrame, platforms: Mapping[str, bool] | None) -> pl.DataFrame | None:
    if platforms is None:
        return None
    hits = _pick(ev, (pl.col("tag") & BAD) != 0, "sid", "idx", row=_row(), at="ts")
    if hits.is_empty():
        return None
    first = _first_per_session(hits)
    names = frame.select(pl.col("platform").gather(first.get_column("row")))
    return first.with_columns(names).select(
        "sid", "at", "idx", rule=pl.lit("ONL-PLATFORM"), message=pl.format(MESSAGES["platform"], "platform")
    )


def _liveness(ev: pl.DataFrame) -> pl.DataFrame:
    hits = _pick(ev, (pl.col("k") == HEARTBEAT) & (pl.col("live") != 1), "sid", "idx", "live", at="ts")
    return _first_per_session(hits).select(
        "sid",
        "at",
        "idx",
        rule=pl.lit("ONL-LIVENESS"),
        message=pl.when(pl.col("live") == -1)
        .then(pl.lit(MESSAGES["liveness_missing"]))
        .otherwise(pl.lit(MESSAGES["liveness_failed"])),
    )


def _fast_forward(
    frame: pl.DataFrame, beats: pl.DataFrame, seeks: pl.DataFrame | None, params: OnlineParams
) -> pl.DataFrame:
    """The first fast-forward of each session, of the three kinds the contract names, from the hits
    of `_heartbeat_hits` and `_seek_hits`."""
    first = _first_per_session(pl.concat([beats] if seeks is None else [beats, seeks]))
    first = first.with_columns(frame.select(pl.col("lesson", "rate").gather(first.get_column("row"))))
    tolerance = pl.lit(format_number(params.seek_tolerance_s, 1))
    position = format_number_expr(pl.col("position"), 1)
    message = (
        pl.when(pl.col("furthest").is_not_null())
        .then(pl.format(MESSAGES["seek"], "lesson", position, format_number_expr(pl.col("furthest"), 1), tolerance))
        .when(pl.col("rate") > 1.0)
        .then(pl.format(MESSAGES["rate"], "lesson", format_number_expr(pl.col("rate"), 2)))
        .otherwise(
            pl.format(
                MESSAGES["jump"],
                "lesson",
                position,
                format_number_expr(pl.col("previous"), 1),
                format_seconds_expr(pl.col("elapsed")),
                tolerance,
            )
        )
    )
    return first.select("sid", "at", "idx", rule=pl.lit("ONL-FAST-FORWARD"), message=message)


def _heartbeat_hits(ev: pl.DataFrame, params: OnlineParams) -> pl.DataFrame:
    """Heartbeats at a rate above 1.0, or ahead of the previous start/heartbeat/seek plus the playing since.

    Among the starts, heartbeats and seeks alone, the previous one is the row before (when it is
    of the same session): its position and playing clock are a shift away. Only the columns the
    test reads go through that filter; the hits' other columns are gathered after."""
    k, sid = pl.col("k"), pl.col("sid")
    # in milliseconds, so no float is divided (both implementations do exactly these operations)
    ahead = pl.col("position") * 1000 > pl.col("previous") * 1000 + pl.col("elapsed") + params.seek_tolerance_s * 1000
    hits = (
        ev.lazy()
        .with_row_index("idx")
        .filter(k.is_in((START, HEARTBEAT, SEEK)))
        .select("idx", "sid", "k", "position", "c", fast=(pl.col("tag") & FAST) != 0)
        .with_columns(
            same=sid == sid.shift(1),
            previous=pl.col("position").shift(1),
            elapsed=pl.col("c") - pl.col("c").shift(1),
        )
        .filter((k == HEARTBEAT) & (pl.col("fast") | (pl.col("same") & ahead)))
        .select("sid", "idx", "position", "previous", "elapsed")
        .collect()
    )
    more = ev.select(pl.col("tag", "ts").gather(hits.get_column("idx")))
    return hits.with_columns(
        row=_row(more.get_column("tag")), furthest=pl.lit(None, pl.Float64), at=more.get_column("ts")
    )


def _seek_hits(
    frame: pl.DataFrame, ev: pl.DataFrame, marks: pl.DataFrame, sessions: pl.DataFrame, params: OnlineParams
) -> pl.DataFrame | None:
    """Seeks more than the tolerance past the furthest heartbeat/complete position of (learner, lesson).

    Only the learners who seek at all are looked at: their sessions' rows are gathered by place
    (a session's rows are together in the order), their heartbeats, completes and seeks put in
    (learner, lesson, time, kind) order, and the furthest position reached is a running max.
    """
    seeks = marks.filter(pl.col("k") == SEEK)
    if seeks.is_empty():
        return None
    seekers = sessions.select(pl.col("lid").gather(seeks.get_column("sid"))).unique()
    involved = sessions.join(seekers, on="lid", how="semi")
    places = involved.select(pl.int_ranges("at0", pl.col("at1") + 1, dtype=pl.UInt32).explode()).to_series()
    rows = (
        ev.select(pl.col("sid", "ts", "k", "position", "tag").gather(places))
        .with_columns(places.alias("idx"))
        .filter(pl.col("k").is_in((HEARTBEAT, COMPLETE, SEEK)))
    )
    rows = rows.hstack(sessions.select(pl.col("lid").gather(rows.get_column("sid")))).hstack(
        frame.select(pl.col("lesson").gather(_row(rows.get_column("tag"))))
    )
    reached = pl.when(pl.col("k") == SEEK).then(pl.lit(-1.0)).otherwise(pl.col("position"))
    new = (pl.col("lid") != pl.col("lid").shift(1)) | (pl.col("lesson") != pl.col("lesson").shift(1))
    group = new.fill_null(True).cum_sum()
    return (
        rows.sort("lid", "lesson", "ts", "k")
        .with_columns(furthest=reached.cum_max().over(group).clip(lower_bound=0.0))
        .filter((pl.col("k") == SEEK) & (pl.col("position") > pl.col("furthest") + params.seek_tolerance_s))
        .select(
            "sid",
            "idx",
            "position",
            previous=pl.lit(None, pl.Float64),
            elapsed=pl.lit(None, pl.Int64),
            row=_row(),
            furthest="furthest",
            at="ts",
        )
    )


def _order(frame: pl.DataFrame, marks: pl.DataFrame, sessions: pl.DataFrame) -> pl.DataFrame:
    """Starts of lesson k > 1 with no complete of lesson k − 1 before them (learner, session's course)."""
    marks = marks.filter(pl.col("k") != SEEK)
    marks = marks.hstack(frame.select(pl.col("lesson_seq").gather(marks.get_column("row")))).hstack(
        sessions.select(pl.col("lid", "cid").gather(marks.get_column("sid")))
    )
    completes = (
        marks.filter(pl.col("k") == COMPLETE)
        .group_by("lid", "cid", "lesson_seq")
        .agg(done=pl.col("ts").min())
        .with_columns(pl.col("lesson_seq") + 1)
    )
    starts = marks.filter((pl.col("k") == START) & (pl.col("lesson_seq") > 1))
    hits = starts.join(completes, on=["lid", "cid", "lesson_seq"], how="left").filter(
        pl.col("done").is_null() | (pl.col("done") >= pl.col("ts"))
    )
    first = _first_per_session(hits.select("sid", "idx", "lesson_seq", at="ts"))
    return first.select(
        "sid",
        "at",
        "idx",
        rule=pl.lit("ONL-ORDER"),
        message=pl.format(MESSAGES["order"], pl.col("lesson_seq") - 1, "lesson_seq"),
    )


def _multi_window(frame: pl.DataFrame, intervals: pl.DataFrame, sessions: pl.DataFrame) -> pl.DataFrame:
    """Sessions with a playing interval overlapping another session's of the same learner.

    In (learner, start) order an interval overlaps an earlier one exactly when it starts before
    the latest end so far (a session's own intervals never overlap), and a later one exactly when
    the next interval starts before it ends; the overlap begins at the later start.
    """
    lid, start, end = pl.col("lid"), pl.col("start"), pl.col("end")
    by_learner = intervals.with_columns(sessions.select(pl.col("lid").gather(intervals.get_column("sid")))).sort(
        "lid", "start", "end", "sid"
    )
    later = (lid == lid.shift(1)) & (end.cum_max().over("lid").shift(1) > start)
    next_start = pl.when(lid == lid.shift(-1)).then(start.shift(-1))
    at = pl.min_horizontal(pl.when(later).then(start), pl.when(next_start < end).then(next_start))
    hits = by_learner.select("sid", at=at).drop_nulls("at").group_by("sid").agg(pl.col("at").min())
    return hits.with_columns(_session_names(frame, sessions, hits.get_column("sid"))).select(
        "sid",
        "at",
        idx=pl.lit(0, pl.UInt32),
        rule=pl.lit("ONL-MULTI-WINDOW"),
        message=pl.format(MESSAGES["multi"], "session"),
    )


def _popup(ev: pl.DataFrame, intervals: pl.DataFrame, params: OnlineParams) -> pl.DataFrame:
    """More than the gap of playing time between answers, the session's beginning and end as bounds."""
    gap = round(params.popup_gap_max_s * 1000)
    bounds = _pick(ev, pl.col("first") | pl.col("last") | (pl.col("k") == ANSWERED), "sid", "first", "c")
    targets = (
        bounds.with_columns(previous=pl.col("c").shift(1))
        .filter(~pl.col("first") & (pl.col("c") - pl.col("previous") > gap))
        .unique("sid", keep="first", maintain_order=True)
        .select("sid", target=pl.col("previous") + gap)
    )
    return _wall(targets, intervals).select(
        "sid",
        "at",
        idx=pl.lit(0, pl.UInt32),
        rule=pl.lit("ONL-POPUP"),
        message=pl.lit(MESSAGES["popup"].format(format_number(gap / 1000, 1))),
    )


def _photo(ev: pl.DataFrame, intervals: pl.DataFrame, sessions: pl.DataFrame, hour_ms: pl.Series) -> pl.DataFrame:
    """The first full class hour of a session's playing time without a photo taken while playing.

    The photos come in session order with their class hours non-decreasing, so the hours with a
    photo are the rows unlike the one before, and a gap is a step of more than one.
    """
    sid, hour_no = pl.col("sid"), pl.col("hour_no")
    photos = _pick(ev, (pl.col("k") == PHOTO) & pl.col("on"), "sid", "c")
    sids = photos.get_column("sid")
    photos = photos.select(
        "sid", hour_no=(pl.col("c") - sessions.get_column("c0").gather(sids)) // hour_ms.gather(sids)
    ).filter(((sid != sid.shift(1)) | (hour_no != hour_no.shift(1))).fill_null(True))
    previous = pl.when(sid == sid.shift(1)).then(hour_no.shift(1)).otherwise(-1)
    gaps = (
        photos.with_columns(previous=previous)
        .filter(hour_no > pl.col("previous") + 1)
        .group_by("sid")
        .agg(missing=pl.col("previous").min() + 1)
    )
    after_last = photos.group_by("sid").agg(last=hour_no.max() + 1)
    targets = (
        sessions.select("sid", "total", "c0", hour=hour_ms)
        .join(gaps, on="sid", how="left")
        .join(after_last, on="sid", how="left")
        .with_columns(missing=pl.coalesce("missing", "last", pl.lit(0)))
        .filter(pl.col("missing") < pl.col("total") // pl.col("hour"))
        .select("sid", "missing", "hour", target=pl.col("c0") + pl.col("missing") * pl.col("hour"))
    )
    return _wall(targets, intervals).select(
        "sid",
        "at",
        idx=pl.lit(0, pl.UInt32),
        rule=pl.lit("ONL-PHOTO"),
        message=pl.format(MESSAGES["photo"], pl.col("missing") + 1, pl.col("hour") // 60_000),
    )


# ── 4. findings and results ───────────────────────────────────────────────────────────────────


OCCURRENCE = {"sid": pl.UInt32, "rule": pl.String, "at": pl.Int64, "idx": pl.UInt32, "message": pl.String}


def _results(frame: pl.DataFrame, sessions: pl.DataFrame, occurrences: list[pl.DataFrame | None]) -> pl.DataFrame:
    occ = pl.concat([o.select(pl.col(c).cast(t) for c, t in OCCURRENCE.items()) for o in occurrences if o is not None])
    voided = occ.select("sid").unique()
    owner = sessions.select("sid", "learner", "course", "begin").join(voided, on="sid", how="semi")
    owner = owner.with_columns(_session_names(frame, sessions, owner.get_column("sid")))
    rank = pl.col("rule").replace_strict(list(RULE_ORDER), list(range(len(RULE_ORDER))), return_dtype=pl.UInt8)
    findings = (
        occ.join(owner, on="sid")
        .sort(
            "learner",
            "course",
            "rule",
            "at",
            "begin",
            "session",
            "idx",
            descending=[False, False, False, False, True, False, False],
        )
        .unique(["learner", "course", "rule"], keep="first", maintain_order=True)
        .sort("learner", "course", "at", rank)
        .group_by("learner", "course", maintain_order=True)
        .agg(findings=pl.struct("rule", "session", "at", "message"))
    )
    played = sessions.join(voided, on="sid", how="anti").group_by("learner", "course").agg(pl.col("total").sum())
    return (
        sessions.select("learner", "course")
        .unique()
        .join(played, on=["learner", "course"], how="left")
        .join(findings, on=["learner", "course"], how="left")
        .select(
            "learner",
            "course",
            recognised=pl.col("findings").is_null(),
            study_minutes=_tenths_value((pl.col("total").fill_null(0) + 3000) // 6000),
            findings=pl.col("findings").fill_null(pl.lit([], pl.List(FINDING))),
        )
        .sort("learner", "course")
    )
