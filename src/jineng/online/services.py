"""Writes of online study: pushed event batches, and the audit results they lead to.

`events_push` takes one batch from a catalogued platform (already authenticated by its key):

1. The rows are validated by the contract's own reader (`frame_from_records`, the same as
   `jineng audit-online`), then against the catalog: the event's platform is the pushing one,
   its learner a valid resident ID (as rosters store it), its course in that platform's catalog,
   its lesson within the course, its time within a policy period. Every bad row is named
   ("第3行 时间：…") and nothing is stored.
2. A batch id is used once per platform. The same batch again (the same events after parsing,
   whatever the notation of their times) returns the first answer and changes nothing; the same
   id with other content is refused (409), so a platform's retry can never silently differ.
3. Events are stored set-based — on PostgreSQL COPY into a temporary table, then one
   `INSERT … SELECT … ON CONFLICT (key) DO NOTHING`; on SQLite one executemany — under a key that
   is the MD5 of the event's parsed values, so an event re-sent in another batch adds nothing.
4. The learners whose events changed are re-audited: all their stored events (multi-window spans
   courses, so a learner is audited whole) are read in one statement into a Polars frame and
   given to the engine of `jineng audit-online`; the results per learner × course are upserted.

Resident IDs are checked in clear, then replaced by their keyed hash (Person.id_hash) before
anything is stored: events, their keys and results carry the hash, and the batch digest is the keyed
hash of the SHA-256 of the batch as pushed, so none of them can be tested against a guessed ID.

One audit row per accepted batch, with counts only (no resident IDs).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from jineng.accounts.models import Role, User
from jineng.audit.services import audit_record
from jineng.classes.errors import NotPermitted
from jineng.crypto import blind_index, frame_blind_index
from jineng.ids import ID_PROBLEM_ZH, mask_ric, normalise_ric, ric_problem
from jineng.policy.loader import Policy, policies
from jineng.registry.models import RIC_PURPOSE, OnlinePlatform, ric_keys

from .engine import OnlineParams, audit_frame, results_as_dicts
from .errors import BatchConflict, EventsInvalid
from .events import EVENT_SCHEMA, FIELD_ZH, InvalidEvents, frame_from_records
from .models import EventBatch, LearningEvent, OnlineCourse, OnlineResult

LOCAL_TZ = "Asia/Shanghai"
BATCH_ID_MAX = EventBatch._meta.get_field("batch_id").max_length or 64
# Even with 64-character course, lesson and session ids a batch this size stays under Django's
# 2.5 MB request limit (DATA_UPLOAD_MAX_MEMORY_SIZE), so the cap, not the limit, refuses it.
MAX_EVENTS = 5_000
# Learners re-audited per statement and per transaction by results_recompute.
RECOMPUTE_CHUNK = 2_000
# pg_advisory_xact_lock(namespace, hashtext(learner)): "ONL", so no other lock user collides.
_LOCK_NAMESPACE = 0x4F4E4C
TEXT_MAX = 64  # lesson and session ids, as stored
SQLITE_MAX_LEARNERS = 30_000  # SQLite binds at most 32,766 parameters per statement

# The values an event is one event by (contract: "two rows with the same values after parsing are
# one event"), in a fixed order: the stored key must not depend on how a frame's columns are ordered.
KEY_FIELDS = ("ts", "platform", "learner", "course", "lesson", "lesson_seq", "session", "event", "position", "rate")
_STORED = ("learner", "course", "lesson", "lesson_seq", "session", "event", "ts", "position", "rate")
BATCH_PURPOSE = "online_batch"  # the keyed hash that seals a batch's digest (see _digest)


@dataclass(frozen=True, slots=True)
class PushAnswer:
    """What a push returns — the same body again for a repeat of the batch."""

    batch_id: str
    events: int  # rows in the batch
    inserted: int  # events stored by it
    duplicates: int  # rows already stored (earlier batches) or repeated within the batch
    learners_reaudited: int  # learners with new events, whose results were recomputed

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class RecomputeReport:
    learners: int
    results: int
    recognised: int


@dataclass(frozen=True, slots=True)
class _PlatformActor:
    """The audit log's actor for a push: the platform, which is no user account."""

    display_name: str
    role: str = "online_platform"
    pk: None = None


# ── validation ────────────────────────────────────────────────────────────────────────────────


def _problem(row: int, field: str, message: str) -> dict[str, str]:
    if not field:  # the row as a whole (not a JSON object)
        return {"path": f"events[{row - 1}]", "message": f"第{row}行：{message}"}
    label = FIELD_ZH.get(field, field)
    # The reader's messages mostly begin with the field's name ("时间 … 不是…"); say it once.
    text = message.removeprefix(f"{label} ")
    return {"path": f"events[{row - 1}].{field}", "message": f"第{row}行 {label}：{text}"}


def _refuse(problems: list[dict[str, str]], total: int | None = None) -> EventsInvalid:
    return EventsInvalid(f"学习日志有 {total or len(problems)} 处错误，整批未接收", problems)


def _parse(records: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """The contract's reader, then the learner as the roster stores it (a final x read as X)."""
    try:
        frame = frame_from_records(records)
    except InvalidEvents as exc:
        raise _refuse([_problem(e.row, e.field, e.message) for e in exc.errors], exc.total) from exc
    return frame.with_columns(pl.col("learner").str.strip_chars().str.to_uppercase())


def _local_day(column: str = "ts") -> pl.Expr:
    """The Asia/Shanghai calendar date of an epoch-millisecond column (policy dates are local dates)."""
    return pl.from_epoch(column, time_unit="ms").dt.replace_time_zone("UTC").dt.convert_time_zone(LOCAL_TZ).dt.date()


def _learner_problems(learners: list[str]) -> pl.DataFrame:
    """(learner, why) for the distinct learners that are no valid resident ID — checked once each."""
    bad = []
    for number in learners:
        problem = ric_problem(number)
        if problem is not None:
            bad.append((number, f"{mask_ric(number)} 不是有效的身份证号（{ID_PROBLEM_ZH[problem]}）"))
        elif normalise_ric(number) != number:
            bad.append((number, f"{mask_ric(number)} 应为 18 位身份证号，不含空格或分隔符"))
    return pl.DataFrame(
        bad,
        schema={"learner": pl.String, "learner_problem": pl.String},
        orient="row",
    )


def _catalog_problems(frame: pl.DataFrame, platform: OnlinePlatform) -> list[dict[str, str]]:
    """Rows the catalog refuses, all at once, found set-based (two joins, one filter per check)."""
    codes = frame.get_column("course").unique().to_list()
    catalog = pl.DataFrame(
        list(OnlineCourse.objects.filter(platform=platform, code__in=codes).values_list("code", "lessons")),
        schema={"course": pl.String, "lessons": pl.Int64},
        orient="row",
    )
    periods = policies().policies
    rows = (
        frame.select("ts", "platform", "learner", "course", "lesson", "lesson_seq", "session")
        .with_row_index("row", offset=1)
        .with_columns(day=_local_day())
        .join(catalog, on="course", how="left")
        .join(_learner_problems(frame.get_column("learner").unique().to_list()), on="learner", how="left")
    )
    in_some_period = pl.any_horizontal([pl.col("day").is_between(p.start, p.end) for p in periods] or [pl.lit(False)])
    code, known = pl.lit(platform.code), pl.lit(policies().describe_periods())
    checks = [
        (
            pl.col("platform") != code,
            "platform",
            pl.format("事件的平台“{}”与推送密钥所属的平台“{}”不符", pl.col("platform"), code),
        ),
        (pl.col("learner_problem").is_not_null(), "learner", pl.col("learner_problem")),
        (
            pl.col("lessons").is_null(),
            "course",
            pl.format("课程“{}”不在平台“{}”的课程目录中", pl.col("course"), code),
        ),
        (pl.col("lesson").str.len_chars() > TEXT_MAX, "lesson", pl.lit(f"不超过 {TEXT_MAX} 个字符")),
        (
            pl.col("lessons").is_not_null() & (pl.col("lesson_seq") > pl.col("lessons")),
            "lesson_seq",
            pl.format("{} 超出课程“{}”的课节数 {}", pl.col("lesson_seq"), pl.col("course"), pl.col("lessons")),
        ),
        (pl.col("session").str.len_chars() > TEXT_MAX, "session", pl.lit(f"不超过 {TEXT_MAX} 个字符")),
        (~in_some_period, "ts", pl.format("{} 不在任何政策的有效期内（{}）", pl.col("day"), known)),
    ]
    found = pl.concat(
        [
            rows.filter(condition).select(
                "row", field=pl.lit(field), order=pl.lit(KEY_FIELDS.index(field)), message=message
            )
            for condition, field, message in checks
        ]
    ).sort("row", "order")
    return [_problem(row, field, message) for row, field, _, message in found.iter_rows()]


def canonical(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with `canon`: the event's parsed values as one JSON text (escaped, so injective).

    Its MD5 is the stored key (computed by the database); the batch digest hashes them all.
    """
    return frame.with_columns(canon=pl.struct(list(KEY_FIELDS)).struct.json_encode())


def _digest(keyed: pl.DataFrame) -> str:
    """The batch's digest over its events as pushed, with clear learners, sealed by the data key.

    Kept over the clear values, so that batches stored before learners were hashed (whose digest
    the migration sealed the same way) are still recognised when a platform retries them.
    """
    joined = keyed.select(pl.col("canon").str.join("\n")).item()
    return blind_index(hashlib.sha256(str(joined).encode("utf-8")).hexdigest(), purpose=BATCH_PURPOSE)


def sealed_learners(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with `learner` replaced by its keyed hash, hashed once per distinct learner."""
    hashed = frame_blind_index(frame, "learner", "_learner_key", purpose=RIC_PURPOSE)
    return hashed.with_columns(learner=pl.col("_learner_key")).drop("_learner_key")


def learner_keys(numbers: Iterable[str]) -> list[str]:
    """The stored learner of resident IDs as typed (the CLI's --learner): their keyed hashes."""
    return sorted(ric_keys(numbers))


# ── storing events ────────────────────────────────────────────────────────────────────────────


def _lock_learners(learners: Sequence[str]) -> None:
    """Serialise the re-audits of a learner: whoever pushes for them next waits, then reads this.

    Without it two batches of one learner, committed side by side, would each audit the events it
    sees and the later writer would store a result missing the other's events. Taken before the
    events are inserted and in a fixed order, so two pushes cannot deadlock on each other's keys.
    SQLite serialises every write transaction anyway.
    """
    if connection.vendor != "postgresql" or not learners:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, k) FROM"
            " (SELECT DISTINCT hashtext(l) AS k FROM unnest(%s::text[]) AS l ORDER BY k) AS keys",
            [_LOCK_NAMESPACE, list(learners)],
        )


def _columns(names: Iterable[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def _insert_postgresql(keyed: pl.DataFrame, *, platform_id: int, batch_id: int) -> int:
    table = LearningEvent._meta.db_table
    staged = (*_STORED, "canon")
    buffer = io.BytesIO()
    keyed.select(staged).write_csv(buffer, include_header=False)
    with connection.cursor() as cursor:
        cursor.execute(
            """CREATE TEMPORARY TABLE IF NOT EXISTS online_push_staging (
                   learner text, course text, lesson text, lesson_seq integer, session text, event text,
                   ts bigint, "position" double precision, rate double precision, canon text
               ) ON COMMIT DELETE ROWS"""
        )
        cursor.execute("TRUNCATE online_push_staging")  # a second push in the same transaction
        with cursor.cursor.copy(f"COPY online_push_staging ({_columns(staged)}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(buffer.getbuffer())
        cursor.execute(
            f"""INSERT INTO {table} (platform_id, batch_id, {_columns(_STORED)}, "key")
                SELECT %s, %s, learner, course, lesson, lesson_seq, session, event,
                       to_timestamp(0) + ts * interval '1 millisecond', "position", rate, md5(canon)
                FROM online_push_staging
                ON CONFLICT ("key") DO NOTHING""",
            [platform_id, batch_id],
        )
        return int(cursor.rowcount)


def _md5(text: str | None) -> str | None:
    return None if text is None else hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _insert_sqlite(keyed: pl.DataFrame, *, platform_id: int, batch_id: int) -> int:
    # The same key as PostgreSQL's md5(canon), as a function of the connection, so the statement is
    # the same; timestamps in the text form Django's SQLite backend writes (naive UTC).
    connection.ensure_connection()
    connection.connection.create_function("jineng_md5", 1, _md5, deterministic=True)
    stamp = pl.from_epoch("ts", time_unit="ms")
    rows = keyed.select(
        pl.lit(platform_id).alias("platform_id"),
        pl.lit(batch_id).alias("batch_id"),
        *_STORED[:6],
        pl.when(pl.col("ts") % 1000 == 0)
        .then(stamp.dt.strftime("%Y-%m-%d %H:%M:%S"))
        .otherwise(stamp.dt.strftime("%Y-%m-%d %H:%M:%S%.6f"))
        .alias("stamp"),
        "position",
        "rate",
        "canon",
    ).rows()
    placeholders = ", ".join(["%s"] * (len(_STORED) + 2))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"""INSERT INTO {LearningEvent._meta.db_table} (platform_id, batch_id, {_columns(_STORED)}, "key")
                VALUES ({placeholders}, jineng_md5(%s)) ON CONFLICT ("key") DO NOTHING""",
            rows,
        )
        return int(cursor.rowcount)


def _insert(keyed: pl.DataFrame, *, platform_id: int, batch_id: int) -> int:
    unique = keyed.unique(subset=["canon"], keep="first", maintain_order=True)
    if connection.vendor == "postgresql":
        return _insert_postgresql(unique, platform_id=platform_id, batch_id=batch_id)
    return _insert_sqlite(unique, platform_id=platform_id, batch_id=batch_id)


# ── reading events back and auditing them ─────────────────────────────────────────────────────


def _event_select() -> tuple[str, str]:
    """(select list in EVENT_SCHEMA's order, FROM clause) of stored events with their platform code."""
    epoch_ms = (
        "(extract(epoch FROM e.ts) * 1000)::bigint"
        if connection.vendor == "postgresql"
        else "CAST(ROUND((julianday(e.ts) - 2440587.5) * 86400000.0) AS INTEGER)"
    )
    expressions = {"ts": epoch_ms, "platform": "p.code"}
    select = ", ".join(expressions.get(name, f'e."{name}"') for name in EVENT_SCHEMA)
    source = f"{LearningEvent._meta.db_table} e JOIN {OnlinePlatform._meta.db_table} p ON p.id = e.platform_id"
    return select, source


def load_events(learners: Sequence[str]) -> pl.DataFrame:
    """Every stored event of `learners` (keyed hashes, as stored), in one statement, as a frame of EVENT_SCHEMA."""
    if not learners:
        return pl.DataFrame(schema=EVENT_SCHEMA)
    select, source = _event_select()
    if connection.vendor == "postgresql":
        buffer = io.BytesIO()
        with connection.cursor() as cursor:
            sql = f"COPY (SELECT {select} FROM {source} WHERE e.learner = ANY(%s)) TO STDOUT (FORMAT csv)"
            with cursor.cursor.copy(sql, [list(learners)]) as copy:
                for block in copy:
                    buffer.write(block)
        if not buffer.tell():
            return pl.DataFrame(schema=EVENT_SCHEMA)
        buffer.seek(0)
        return pl.read_csv(buffer, has_header=False, schema=EVENT_SCHEMA)
    if len(learners) > SQLITE_MAX_LEARNERS:
        raise ValueError(f"SQLite: at most {SQLITE_MAX_LEARNERS} learners per statement")
    placeholders = ", ".join(["%s"] * len(learners))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {select} FROM {source} WHERE e.learner IN ({placeholders})", list(learners))
        rows = cursor.fetchall()
    return pl.DataFrame(rows, schema=EVENT_SCHEMA, orient="row")


def _params_by_learner(events: pl.DataFrame) -> pl.DataFrame:
    """(learner, day): each learner is audited under the policy in force on their first event's date."""
    return events.group_by("learner").agg(pl.col("ts").min()).with_columns(day=_local_day()).select("learner", "day")


def _policy_on(day: dt.date) -> tuple[Policy, OnlineParams]:
    policy = policies().in_force(day)
    if policy is None:  # pushed events were checked against the periods; a policy file was removed since
        raise LookupError(f"{day} 不在任何政策的有效期内（{policies().describe_periods()}）")
    return policy, OnlineParams.from_policy(policy.parameters_on(day))


def _audit(events: pl.DataFrame) -> list[tuple[dict[str, Any], str]]:
    """(result in the contract's shape, policy name) for every (learner, course) with events.

    Learners are grouped by the policy (and its online parameters) of their first event's date;
    there is one group unless a batch straddles a change of policy.
    """
    platform_codes = events.get_column("platform").unique().to_list()
    course_codes = events.get_column("course").unique().to_list()
    platforms = {
        code: listed and connected
        for code, listed, connected in OnlinePlatform.objects.filter(code__in=platform_codes).values_list(
            "code", "listed", "connected"
        )
    }
    courses = dict(OnlineCourse.objects.filter(code__in=course_codes).values_list("code", "hour_minutes"))
    firsts = _params_by_learner(events)
    groups: dict[tuple[str, OnlineParams], list[dt.date]] = {}
    for day in firsts.get_column("day").unique().to_list():  # distinct dates, not events
        policy, params = _policy_on(day)
        groups.setdefault((policy.name, params), []).append(day)
    audited: list[tuple[dict[str, Any], str]] = []
    for (name, params), days in groups.items():
        learners = firsts.filter(pl.col("day").is_in(days)).get_column("learner")
        group = events if len(groups) == 1 else events.filter(pl.col("learner").is_in(learners.to_list()))
        outcome = audit_frame(group, params=params, courses=courses, platforms=platforms)
        audited.extend((result, name) for result in results_as_dicts(outcome))
    return audited


def _store(events: pl.DataFrame, audited: list[tuple[dict[str, Any], str]], learners: Sequence[str]) -> int:
    """Upsert the results in one statement per 500; drop results of these learners no longer produced."""
    stamp = timezone.now()
    counts = {(learner, course): n for learner, course, n in events.group_by("learner", "course").len().iter_rows()}
    rows = [
        OnlineResult(
            learner=result["learner"],
            course=result["course"],
            recognised=bool(result["recognised"]),
            study_minutes=Decimal(str(result["study_minutes"])).quantize(Decimal("0.1")),
            findings=result["findings"],
            events=counts.get((result["learner"], result["course"]), 0),
            audited_at=stamp,
            policy=policy,
        )
        for result, policy in audited
    ]
    OnlineResult.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=("learner", "course"),
        update_fields=("recognised", "study_minutes", "findings", "events", "audited_at", "policy"),
    )
    OnlineResult.objects.filter(learner__in=learners).exclude(audited_at=stamp).delete()
    return len(rows)


def _reaudit(learners: Sequence[str]) -> tuple[int, int]:
    """Recompute and store the results of `learners` (locked by the caller); (results, recognised)."""
    events = load_events(learners)
    audited = _audit(events) if not events.is_empty() else []
    stored = _store(events, audited, learners)
    return stored, sum(1 for result, _ in audited if result["recognised"])


# ── services ──────────────────────────────────────────────────────────────────────────────────


def _answer(batch: EventBatch) -> PushAnswer:
    learners = LearningEvent.objects.filter(batch=batch).values("learner").distinct().count()
    return PushAnswer(
        batch_id=batch.batch_id,
        events=batch.events,
        inserted=batch.inserted,
        duplicates=batch.events - batch.inserted,
        learners_reaudited=learners,
    )


def _earlier(platform: OnlinePlatform, batch_id: str, digest: str) -> PushAnswer | None:
    """The first answer if this batch was accepted before; refused if the id came with other content."""
    batch = EventBatch.objects.filter(platform=platform, batch_id=batch_id).first()
    if batch is None:
        return None
    if batch.digest != digest:
        received = timezone.localtime(batch.received_at).strftime("%Y-%m-%d %H:%M:%S")
        raise BatchConflict(
            f"批次号 {batch_id} 已于 {received} 接收过另一批内容（{batch.events} 条事件）；"
            "重发须与首次内容完全一致，新的事件请使用新的批次号",
            [{"path": "batch_id", "message": f"批次号：{batch_id} 已用于另一批内容"}],
        )
    return _answer(batch)


@transaction.atomic
def events_push(
    *, platform: OnlinePlatform, batch_id: str, events: Sequence[Mapping[str, Any]], received_at: dt.datetime
) -> PushAnswer:
    """Store one pushed batch and re-audit the learners it brought new events for (see the module)."""
    batch_id = batch_id.strip()
    problems = []
    if not batch_id or len(batch_id) > BATCH_ID_MAX:
        problems.append({"path": "batch_id", "message": f"批次号：必填，不超过 {BATCH_ID_MAX} 个字符"})
    if not events or len(events) > MAX_EVENTS:
        problems.append({"path": "events", "message": f"事件：每批 1 至 {MAX_EVENTS} 条"})
    if problems:
        raise _refuse(problems)
    parsed = _parse(events)
    keyed = canonical(parsed)
    digest = _digest(keyed)
    # A repeat gets the first answer even if the catalog changed since (a course withdrawn).
    answer = _earlier(platform, batch_id, digest)
    if answer is not None:
        return answer
    problems = _catalog_problems(keyed, platform)
    if problems:
        raise _refuse(problems)
    # From here on the learner is its keyed hash: the stored events, their keys and the results.
    keyed = canonical(sealed_learners(parsed))
    try:
        with transaction.atomic():
            batch = EventBatch.objects.create(
                platform=platform,
                batch_id=batch_id,
                digest=digest,
                received_at=received_at,
                events=len(events),
                inserted=0,
            )
    except IntegrityError:
        # The same batch id committed meanwhile by a concurrent request (which we waited for).
        answer = _earlier(platform, batch_id, digest)
        if answer is None:
            raise
        return answer
    _lock_learners(keyed.get_column("learner").unique().sort().to_list())
    batch.inserted = _insert(keyed, platform_id=platform.pk, batch_id=batch.pk)
    EventBatch.objects.filter(pk=batch.pk).update(inserted=batch.inserted)
    touched = sorted(LearningEvent.objects.filter(batch=batch).values_list("learner", flat=True).distinct())
    if touched:
        _reaudit(touched)
    answer = PushAnswer(
        batch_id=batch_id,
        events=batch.events,
        inserted=batch.inserted,
        duplicates=batch.events - batch.inserted,
        learners_reaudited=len(touched),
    )
    audit_record(
        actor=_PlatformActor(display_name=f"线上平台 {platform.name}（{platform.code}）"),
        event="online.batch",
        obj=batch,
        changes={name: (None, value) for name, value in answer.as_dict().items() if name != "batch_id"},
        note=f"平台 {platform.code} 批次 {batch_id}",
    )
    return answer


def _learners_to_recompute(platform: OnlinePlatform | None) -> list[str]:
    events = LearningEvent.objects.all()
    if platform is not None:
        events = events.filter(platform=platform)
    return sorted(set(events.values_list("learner", flat=True).distinct()))


def results_recompute(
    *,
    actor: User,
    learners: Sequence[str] | None = None,
    platform: OnlinePlatform | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RecomputeReport:
    """Re-audit stored events and rewrite the results: of `learners` (resident IDs), of everyone with events on
    `platform`, or of every learner — e.g. after a platform was de-listed or a course's class-hour
    length corrected. Each chunk of learners is one transaction with its own audit row (counts
    only), so a long run commits as it goes and `progress(done, total)` reports real progress.
    """
    if not actor.is_active or actor.role != Role.SYS_ADMIN:
        raise NotPermitted("只有系统管理员可以重新核查线上学习结果")
    chosen = learner_keys(learners) if learners is not None else _learners_to_recompute(platform)
    results = recognised = 0
    for start in range(0, len(chosen), RECOMPUTE_CHUNK):
        chunk = chosen[start : start + RECOMPUTE_CHUNK]
        with transaction.atomic():
            _lock_learners(chunk)
            stored, passed = _reaudit(chunk)
            audit_record(
                actor=actor,
                event="online.reaudit",
                obj=actor,
                changes={"learners": (None, len(chunk)), "results": (None, stored), "recognised": (None, passed)},
                note=f"重新核查线上学习结果：第 {start + 1}–{start + len(chunk)} 名学员，共 {len(chosen)} 名"
                + (f"（平台 {platform.code}）" if platform is not None else ""),
            )
        results += stored
        recognised += passed
        if progress is not None:
            progress(start + len(chunk), len(chosen))
    return RecomputeReport(learners=len(chosen), results=results, recognised=recognised)
