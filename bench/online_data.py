"""Realistic online-learning event streams for bench/online_audit.py, generated column-wise in Polars.

Learners study one course lesson by lesson, about one session a day. A session plays its lesson
with a heartbeat every 30 s, a pop-up shown and answered every 4 minutes, a photo every 20
minutes, a liveness pass at the start and sometimes a pause; most end with `complete` and `end`,
some stop half-way and the next session starts the lesson again from there. Some learners cheat —
a rate of 1.5, a jump of the position, a seek far ahead, a second window, a missed pop-up, no
liveness, no photos, a lesson out of order — and one platform is not on the catalog. The events
are written in the order a platform pushes them (batches of about five minutes per session,
interleaved across sessions) with 0.5 % of them sent twice; a file asked for n events has at
least n rows, and whole learners.

Nothing is drawn row by row in Python: each kind of event is a column expression over the
sessions table exploded by its count, and "random" numbers are hashes of row numbers (seeded,
so the same size always gives the same data).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import polars as pl

T0 = 1_682_899_200_000  # 2023-05-01T08:00:00+08:00
DAY = 86_400_000
HEARTBEAT_S = 30
POPUP_S = 240
PHOTO_S = 1_200
SESSIONS_PER_LEARNER = 4
COURSES = 40
PLATFORMS = ("PLAT-1", "PLAT-2", "PLAT-3")  # PLAT-3 is not on the catalog
VERSION = 2  # bump when the generated data changes (2: at least the requested rows, whole learners)


def _rand(expr: pl.Expr, salt: int, modulus: int) -> pl.Expr:
    """A deterministic pseudo-random integer in [0, modulus) from a row's key."""
    return (expr.hash(seed=salt) % modulus).cast(pl.Int64)


def sessions(learners: int) -> pl.DataFrame:
    """One row per session: who, what, when, how long it plays, and how its learner cheats (if at all)."""
    n = learners * SESSIONS_PER_LEARNER
    i = pl.int_range(n, dtype=pl.Int64)
    learner = i // SESSIONS_PER_LEARNER
    frame = pl.select(
        sid=i,
        learner=learner,
        nth=i % SESSIONS_PER_LEARNER,
        course=_rand(learner, 2, COURSES),
        platform=pl.when(_rand(learner, 3, 50) == 0).then(2).otherwise(_rand(learner, 4, 2)),
        cheat=_rand(learner, 1, 100),  # < 10: one of the cheats below; 9 of 10 learners are clean
        play_s=(20 + _rand(i, 5, 26)) * 60,  # 20–45 minutes of playing
        pause_at=pl.when(_rand(i, 6, 3) == 0).then(None).otherwise(300 + _rand(i, 7, 600)),
        pause_s=60 + _rand(i, 8, 1_800),
        day_start=T0 + (learner % 30) * DAY + (i % SESSIONS_PER_LEARNER) * DAY + _rand(i, 9, 12 * 60) * 60_000,
    )
    # cheat 0–1, a second window: the learner's second session starts 10 minutes into the first
    second_window = (pl.col("cheat") <= 1) & (pl.col("nth") == 1)
    start = pl.when(second_window).then(pl.col("day_start").shift(1).over("learner") + 600_000)
    # every fourth session stops half-way; the learner's next session resumes the lesson from there
    partial = (_rand(pl.col("sid"), 10, 4) == 0) & (pl.col("nth") < SESSIONS_PER_LEARNER - 1)
    frame = frame.with_columns(start=start.otherwise(pl.col("day_start")), complete=~partial)
    done = pl.col("complete").cast(pl.Int64)
    lesson = done.cum_sum().over("learner") - done + 1
    resumed = pl.when(~pl.col("complete").shift(1).over("learner")).then(pl.col("play_s").shift(1).over("learner"))
    return frame.with_columns(
        lesson_seq=lesson + pl.when(pl.col("cheat") == 8).then(1).otherwise(0),  # cheat 8 skips lesson 1
        from_s=resumed.fill_null(0),
    )


SEEK_AHEAD_AT, SEEK_AHEAD = 600, 900  # cheat 4: seeks 15 minutes ahead, 10 minutes in
SEEK_BACK_AT, SEEK_BACK = 400, 60  # cheat 9 (allowed): goes back a minute to watch it again


def events(learners: int) -> pl.DataFrame:
    ses = sessions(learners)
    cheat, j = pl.col("cheat"), pl.col("j")
    parts: list[pl.DataFrame] = []

    def each(event: str, count: pl.Expr | int, played: pl.Expr, position: pl.Expr | None = None) -> None:
        """`count` events of one kind per session; the j-th at playing second `played`."""
        rows = ses.with_columns(j=pl.int_ranges(0, count)).explode("j").drop_nulls("j").with_columns(played=played)
        parts.append(
            rows.select(
                "sid",
                "learner",
                "course",
                "platform",
                "lesson_seq",
                "start",
                "pause_at",
                "pause_s",
                "cheat",
                "j",
                "played",
                event=pl.lit(event),
                position=position,
            )
        )

    def at(played: pl.Expr) -> pl.Expr:  # the video position at a playing second, as the player reports it
        seeks = (
            pl.when((cheat == 4) & (played >= SEEK_AHEAD_AT))
            .then(SEEK_AHEAD)
            .when((cheat == 9) & (played >= SEEK_BACK_AT))
            .then(-SEEK_BACK)
            .otherwise(0)
        )
        return (pl.col("from_s") + played + seeks).cast(pl.Float64)

    beat = (j + 1) * HEARTBEAT_S
    jumped = pl.when((cheat == 3) & (j >= 30)).then(300).otherwise(0)  # cheat 3: position jumps 5 minutes
    each("heartbeat", pl.col("play_s") // HEARTBEAT_S, beat, at(beat) + jumped)
    each("popup_shown", pl.col("play_s") // POPUP_S, (j + 1) * POPUP_S - 10)
    each("popup_answered", pl.col("play_s") // POPUP_S, (j + 1) * POPUP_S - 4)  # cheat 5 misses the second
    photos = pl.when(cheat == 7).then(0).otherwise((pl.col("play_s") - 301) // PHOTO_S + 1)  # cheat 7: none
    each("photo", photos, j * PHOTO_S + 300)
    each("start", 1, pl.lit(0), at(pl.lit(0)))
    each("liveness_pass", pl.when(cheat == 6).then(0).otherwise(1), pl.lit(0))  # cheat 6: no liveness
    paused = pl.when(pl.col("pause_at").is_null()).then(0).otherwise(1)
    each("pause", paused, pl.col("pause_at"))
    each("resume", paused, pl.col("pause_at"))
    each("seek", pl.when(cheat == 4).then(1).otherwise(0), pl.lit(SEEK_AHEAD_AT), at(pl.lit(SEEK_AHEAD_AT)))
    each("seek", pl.when(cheat == 9).then(1).otherwise(0), pl.lit(SEEK_BACK_AT), at(pl.lit(SEEK_BACK_AT)))
    each("complete", pl.when(pl.col("complete")).then(1).otherwise(0), pl.col("play_s"), at(pl.col("play_s")))
    each("end", 1, pl.col("play_s"))

    out = pl.concat(parts, how="diagonal_relaxed").filter(
        ~((pl.col("event") == "popup_answered") & (cheat == 5) & (j == 1))
    )
    event, played = pl.col("event"), pl.col("played")
    paused_for = pl.when(pl.col("pause_at").is_not_null() & (played > pl.col("pause_at"))).then(pl.col("pause_s"))
    paused_for = pl.when(event == "resume").then(pl.col("pause_s")).when(event == "pause").then(0).otherwise(paused_for)
    ts = pl.col("start") + (played + paused_for.fill_null(0)) * 1000
    rate = pl.when((event == "heartbeat") & (cheat == 2) & (j > 20)).then(1.5)  # cheat 2: 1.5× speed
    learner = pl.col("learner")
    birth = 19_700_101 + learner % 28 + learner // 28 % 12 * 100
    learner_id = pl.concat_str(
        pl.lit("411081"),
        birth.cast(pl.String),
        (learner // 336 % 1000).cast(pl.String).str.zfill(3),
        (learner % 10).cast(pl.String),
    )
    course = pl.format("CRS-{}", (pl.col("course") + 1).cast(pl.String).str.zfill(3))
    return out.select(
        ts=ts,
        platform=pl.lit(pl.Series(PLATFORMS)).get(pl.col("platform")),
        learner=learner_id,
        course=course,
        lesson=pl.format("{}-L{}", course, pl.col("lesson_seq").cast(pl.String).str.zfill(2)),
        lesson_seq=pl.col("lesson_seq").cast(pl.Int32),
        session=pl.format("W-{}", pl.col("sid").cast(pl.String).str.zfill(9)),
        event=event,
        position=pl.col("position"),
        rate=rate,
        batch=ts // 300_000,
        sid=pl.col("sid"),
        nth_learner=learner,
    )


PER_LEARNER = 4 * (32.5 * 60 / HEARTBEAT_S + 2 * 32.5 * 60 / POPUP_S + 8)  # ≈ 340 events, an estimate


def generate(target: int) -> pl.DataFrame:
    """At least `target` rows (events, 0.5 % of them sent twice), whole learners, in push order.

    Learners are generated a few percent beyond the estimate (more while that falls short), then
    the fewest first learners whose rows reach `target` are kept; which events are sent twice is
    drawn per generated row, so it does not depend on where the cut falls.
    """
    learners = max(1, math.ceil(target / PER_LEARNER * 1.05))
    while True:
        frame = events(learners).with_columns(twice=_rand(pl.int_range(pl.len()), 11, 200) == 0)
        rows = (
            frame.group_by("nth_learner")
            .agg(rows=pl.len() + pl.col("twice").sum())
            .sort("nth_learner")
            .with_columns(pl.col("rows").cum_sum())
        )
        enough = rows.filter(pl.col("rows") >= target)
        if not enough.is_empty():
            break
        learners *= 2
    frame = frame.filter(pl.col("nth_learner") <= enough.get_column("nth_learner").first())
    again = frame.filter("twice")
    return pl.concat([frame, again]).sort("batch", "sid", "ts").drop("batch", "sid", "nth_learner", "twice")


def write(target: int, directory: Path) -> dict[str, Path]:
    """Parquet and CSV of at least `target` events, plus the courses and platforms files, unless already there."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / f"online-{target}-v{VERSION}"
    paths = {
        "parquet": stem.with_suffix(".parquet"),
        "csv": stem.with_suffix(".csv"),
        "courses": directory / "courses.json",
        "platforms": directory / "platforms.json",
    }
    if not paths["courses"].exists():
        paths["courses"].write_text(
            json.dumps(
                {f"CRS-{c:03d}": {"hour_minutes": 30 if c % 2 else 45, "lessons": 12} for c in range(1, COURSES + 1)},
                indent=1,
            )
        )
    if not paths["platforms"].exists():
        catalog = {name: {"listed": True, "connected": True} for name in PLATFORMS[:2]}
        paths["platforms"].write_text(json.dumps(catalog, indent=1))
    if paths["parquet"].exists() and paths["csv"].exists():
        return paths
    frame = generate(target)
    frame.write_parquet(paths["parquet"])
    local = pl.from_epoch("ts", time_unit="ms").dt.replace_time_zone("UTC").dt.convert_time_zone("Asia/Shanghai")
    frame.with_columns(ts=local.dt.strftime("%Y-%m-%dT%H:%M:%S%:z")).write_csv(paths["csv"])
    return paths
