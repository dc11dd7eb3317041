"""Face check-ins in bulk: a device's push and an institution's offline import, one path for both.

An event is (设备事件号, 设备编号, 班级编号, 身份证号, 签到时间, 比对分值, 活体检测). A batch is
taken whole or not at all: every problem of every row is reported at once ("第3行 签到时间"),
and a batch with any problem writes nothing, not even its CheckInBatch row. A re-sent event —
same device and event id, same content — is counted as a duplicate and stored once; the same
event id with other content is refused, because a device must not rewrite its history.

Nothing here loops over events in Python:

1. the file or body is read into string columns by Polars (CSV, JSON Lines, or the push body);
   formats are checked by column expressions, so a bad row is found by its null after a
   non-strict cast, with its row number kept from the start;
2. the references are resolved in Polars from a fixed handful of small lookups, whatever the
   batch's size: the batch's devices (locked, see below), its classes, the rosters of those
   classes by id number (about 100,000 rows for a file of 2,000 classes) and, only if some id
   number is on no roster, which of those are persons at all. Every check against the database
   is then a column expression over the joined rows (`_reference_checks`);
3. a batch with no problem goes straight into the check-in table, sorted by its key and inside
   a savepoint: one COPY of Polars' CSV output (PostgreSQL) or one executemany (SQLite, the
   development database);
4. only if the table's key refuses an event (sent before) is the write rolled back to the
   savepoint, and the rows take the longer way: staged in a temporary table, compared with the
   stored events in SQL (identical ones set aside as duplicates, other content refused), and the
   new ones added by one `INSERT … SELECT`. A refused batch is compared the same way, so that a
   rewritten event is named with the batch's other problems.

Why so: a device sends an event once, almost always, so the common batch should cost little
more than the COPY its rows need anyway. Staging every row, resolving it in SQL against a
million persons and the stored check-ins, then inserting it from the staging table cost twice the
rows' own COPY (13.1 s against 6.9 s for a million events); a re-sent batch still goes that way.

The batch's device rows are locked (`FOR NO KEY UPDATE`, PostgreSQL) before the checks, so two
batches of one device are written one after the other, and the second meets the first's events
in step 4. Neither write has `ON CONFLICT`: its arbiter probe made the insert of a million rows
about 40 % slower (14.4 s instead of 10.2 s on the development machine), and the key stands
behind both — a write by some other path that races past the lock makes the batch fail whole
(CheckInsConflict; retrying is safe), never half-applied. A COPY stopped by a re-sent event
leaves the rows it wrote before it as dead rows for VACUUM: the price of not probing the key of
every event of every batch.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from psycopg.copy import QueuedLibpqWriter

from jineng.accounts.models import Role, User
from jineng.audit.services import audit_record
from jineng.classes.errors import InvalidInput, NotPermitted, ServiceError
from jineng.classes.models import ClassState, Enrollment, TrainingClass
from jineng.crypto import frame_blind_index
from jineng.registry.models import RIC_PURPOSE, CheckinDevice, Person

from .models import CheckIn, CheckInBatch

FIELDS = ("event_id", "device", "class", "id_number", "time", "score", "liveness")
LABELS = {
    "event_id": "设备事件号",
    "device": "设备编号",
    "class": "班级编号",
    "id_number": "身份证号",
    "time": "签到时间",
    "score": "比对分值",
    "liveness": "活体检测",
}
# CSV headers people and devices write, normalised (stripped, lower case) → field.
HEADER_ALIASES = {
    **{name: name for name in FIELDS},
    **{label: name for name, label in LABELS.items()},
    "事件号": "event_id",
    "serial": "device",
    "设备": "device",
    "class_code": "class",
    "班级": "class",
    "时间": "time",
    "match_score": "score",
    "分值": "score",
    "活体检测通过": "liveness",
    "活体": "liveness",
}
# Classes in training take check-ins: approved, and ended (training over, a late offline file
# still arrives). Compared as strings, so the check does not depend on how ClassState names them.
OPEN_STATES = ("approved", "ended")
MAX_EVENT_ID = CheckIn._meta.get_field("device_event_id").max_length or 64
MAX_LISTED = 1000  # problems listed in one answer; the message gives the total
MAX_PUSH_EVENTS = 5000
MAX_IMPORT_ROWS = 2_000_000
LOCAL_TZ = "Asia/Shanghai"
# Epoch milliseconds accepted: 2000-01-01 … 2100-01-01 (anything else is a unit mistake).
EPOCH_MS_RANGE = (946_684_800_000, 4_102_444_800_000)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%.f%z"
TIME_HINT = "应为带时区的 ISO 8601 时间（如 2023-05-08T09:00:00+08:00）或毫秒时间戳"
_TRUE = ("true", "1", "是")
_FALSE = ("false", "0", "否")
_FIELD_ORDER = {name: i for i, name in enumerate(FIELDS)}


class CheckInsInvalid(ServiceError):
    """A batch with bad rows; `fields` name each ("第3行 签到时间") and nothing was stored."""

    status = 422
    code = "invalid_checkins"


class CheckInsConflict(ServiceError):
    """Another write of the same events committed first; retrying the batch is safe."""

    status = 409
    code = "checkin_conflict"


@dataclass(frozen=True)
class Problem:
    row: int  # 1 = first data row; 0 = the file as a whole
    field: str  # a FIELDS name, or "" for the whole row / file
    message: str

    @property
    def path(self) -> str:
        label = LABELS.get(self.field, self.field)
        if self.row == 0:
            return label or "文件"
        return f"第{self.row}行 {label}".strip()

    def as_field(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


@dataclass(frozen=True)
class Parsed:
    """Typed columns of a batch: row, event_id, device, class, id_number, at (UTC), local_day,
    score, liveness — a field with a format problem is null here, so the database checks skip it."""

    frame: pl.DataFrame
    rows: int  # data rows of the batch (blank lines not counted)
    problems: pl.DataFrame  # row, field, message
    repeats: int  # rows identical to an earlier row of the same batch (stored once)


@dataclass(frozen=True)
class IngestResult:
    batch: CheckInBatch
    rows: int
    inserted: int
    duplicates: int


# ── reading: bytes → string columns ────────────────────────────────────────────────────────


def _refuse(problems: Sequence[Problem], *, total: int | None = None) -> CheckInsInvalid:
    total = len(problems) if total is None else total
    listed = sorted(problems, key=lambda p: (p.row, _FIELD_ORDER.get(p.field, -1)))[:MAX_LISTED]
    message = f"签到数据有 {total} 处错误，未导入任何一条"
    if total > len(listed):
        message += f"（列出前 {len(listed)} 处）"
    return CheckInsInvalid(message, [p.as_field() for p in listed])


def _without_bom(content: bytes) -> bytes:
    return content[3:] if content.startswith(b"\xef\xbb\xbf") else content


def _as_utf8(text: bytes) -> bytes | None:
    """GB18030 (Excel/WPS on Chinese Windows) re-encoded as UTF-8; None if `text` is UTF-8 already.

    Only called after Polars refused the bytes: decoding a large file in Python just to check it
    would cost more than reading it.
    """
    try:
        text.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return text.decode("gb18030").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise _refuse([Problem(0, "", "文件编码无法识别：请保存为 UTF-8 或 GBK 编码")]) from exc
    return None


def _read(reader: Callable[[bytes], pl.DataFrame], text: bytes) -> tuple[pl.DataFrame, bytes]:
    """(the frame, the UTF-8 bytes it was read from); Polars' own error if the encoding was not it."""
    try:
        return reader(text), text
    except pl.exceptions.PolarsError:
        transcoded = _as_utf8(text)
        if transcoded is None:
            raise
        return reader(transcoded), transcoded


def _ragged_rows(text: bytes, width: int) -> list[Problem]:
    """Where a CSV has rows with more fields than its header (only read when Polars refused the file)."""
    reader = csv.reader(io.StringIO(text.decode("utf-8")))
    next(reader, None)
    return [
        Problem(number, "", f"本行有 {len(fields)} 列，表头只有 {width} 列（多余的逗号，或含逗号的值未加引号）")
        for number, fields in enumerate(reader, start=1)
        if len(fields) > width
    ]


def read_csv(content: bytes) -> pl.DataFrame:
    """A CSV file → one string column per field (headers in English or Chinese), row numbers kept."""
    text = _without_bom(content)
    if not text.strip():
        raise _refuse([Problem(0, "", "文件为空")])
    try:
        raw, text = _read(lambda data: pl.read_csv(io.BytesIO(data), infer_schema=False), text)
    except pl.exceptions.PolarsError as exc:
        text = _as_utf8(text) or text
        width = len(next(csv.reader([text.split(b"\n", 1)[0].decode("utf-8")]), []))
        unreadable = Problem(0, "", "CSV 文件无法读取：请检查引号是否成对、分隔符是否为英文逗号")
        raise _refuse(_ragged_rows(text, width) or [unreadable]) from exc
    header = next(csv.reader([text.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8")]), [])
    # By position, from the header as written: Polars renames a repeated header, which would
    # hide that a column was given twice.
    positions: dict[str, int] = {}
    problems: list[Problem] = []
    for position, column in enumerate(header):
        name = HEADER_ALIASES.get(column.strip().lower())
        if name is None:
            continue  # other columns (a device's own extras) are ignored
        if name in positions:
            problems.append(Problem(0, "", f"表头中“{LABELS[name]}”出现了两次"))
        positions.setdefault(name, position)
    missing = [name for name in FIELDS if name not in positions]
    if missing:
        wanted = "、".join(f"{LABELS[n]}（{n}）" for n in missing)
        problems.append(Problem(0, "", f"表头缺少列：{wanted}；表头应为 {','.join(FIELDS)}"))
    if problems:
        raise _refuse(problems)
    return raw.select(pl.nth(positions[name]).alias(name) for name in FIELDS)


def _ndjson_frame(text: bytes) -> pl.DataFrame:
    schema = {name: pl.String for name in FIELDS}
    return pl.read_ndjson(io.BytesIO(text), schema=schema, infer_schema_length=None)


def _bad_json_lines(text: bytes) -> list[Problem]:
    """Which lines are not JSON objects (only read when Polars refused the file)."""
    problems = []
    lines = (line for line in text.decode("utf-8").splitlines() if line.strip())
    for number, line in enumerate(lines, start=1):
        try:
            value = json.loads(line)
        except ValueError:
            problems.append(Problem(number, "", "本行不是合法的 JSON"))
            continue
        if not isinstance(value, dict):
            problems.append(Problem(number, "", "本行应为一个 JSON 对象（{…}）"))
    return problems


def read_jsonl(content: bytes) -> pl.DataFrame:
    """JSON Lines, one event object a line (blank lines skipped, not counted as rows)."""
    text = _without_bom(content)
    if not text.strip():
        raise _refuse([Problem(0, "", "文件为空")])
    try:
        return _read(_ndjson_frame, text)[0]
    except pl.exceptions.PolarsError as exc:
        text = _as_utf8(text) or text
        raise _refuse(_bad_json_lines(text) or [Problem(0, "", "JSON Lines 文件无法读取")]) from exc


def read_push(content: bytes) -> pl.DataFrame:
    """A push body `{"events": [{…}, …]}` → the same columns as a file."""
    try:
        body = json.loads(content)
    except ValueError as exc:
        raise _refuse([Problem(0, "请求体", "请求体不是合法的 JSON")]) from exc
    events = body.get("events") if isinstance(body, dict) else None
    if not isinstance(events, list) or not events:
        raise _refuse([Problem(0, "请求体", '请求体应为 {"events": [签到事件, …]}，且至少含一条事件')])
    if len(events) > MAX_PUSH_EVENTS:
        raise _refuse(
            [Problem(0, "请求体", f"一次最多推送 {MAX_PUSH_EVENTS} 条事件，本次 {len(events)} 条：请分批推送")]
        )
    # Through JSON Lines, so a push and an imported file are read by the same reader (one
    # C-level encode per event; every check after this is on columns).
    text = "\n".join(map(json.dumps, events)).encode()
    try:
        return _ndjson_frame(text)
    except pl.exceptions.PolarsError as exc:
        raise _refuse(_bad_json_lines(text) or [Problem(0, "请求体", "事件无法读取")]) from exc


def read_file(content: bytes, filename: str) -> tuple[pl.DataFrame, bool]:
    """An offline file by its extension: (columns, whether the file is CSV)."""
    name = filename.lower()
    if name.endswith((".jsonl", ".ndjson")):
        return read_jsonl(content), False
    if name.endswith(".json"):
        return read_push(content), False
    if name.endswith((".csv", ".txt")):
        return read_csv(content), True
    raise _refuse([Problem(0, "", f"不支持的文件类型“{filename}”：请上传 .csv 或 .jsonl 文件")])


# ── checking formats, on columns ───────────────────────────────────────────────────────────


def _parse_time(text: pl.Expr) -> pl.Expr:
    """ISO 8601 with an offset ("Z", "+08:00", "+0800"; "T" or a space) or epoch ms → UTC."""
    iso = (
        text.str.replace(r"[zZ]$", "+00:00")
        .str.replace(" ", "T", literal=True)
        .str.to_datetime(TIME_FORMAT, strict=False, time_zone="UTC", time_unit="us")
    )
    millis = pl.when(text.str.contains(r"^\d{1,15}$")).then(text.cast(pl.Int64, strict=False))
    in_range = millis.is_between(*EPOCH_MS_RANGE, closed="left")
    epoch = pl.when(in_range).then(pl.from_epoch(millis, time_unit="ms")).dt.cast_time_unit("us")
    return pl.coalesce(iso, epoch.dt.replace_time_zone("UTC"))


def _time_problem(text: pl.Expr) -> pl.Expr:
    """Why a time did not parse (read on the failing rows only)."""
    naive = text.str.replace(" ", "T", literal=True).str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False)
    return (
        pl.when(naive.is_not_null())
        .then(pl.lit("缺少时区：设备本地时间请写明偏移，如 2023-05-08T09:00:00+08:00"))
        .when(text.str.contains(r"^\d{1,15}$"))
        .then(pl.lit("毫秒时间戳超出 2000—2100 年的范围（是否误用了秒？）"))
        .otherwise(pl.lit(TIME_HINT))
    )


def parse(raw: pl.DataFrame, *, words_for_booleans: bool, device: str | None = None) -> Parsed:
    """Check every field of every row at once; return typed columns and the format problems.

    `words_for_booleans`: a CSV may say 活体检测 as true/false/1/0/是/否; JSON must say true/false.
    `device`: a push's own serial; a row naming another device is refused, an empty one is it.
    """
    frame = raw.with_row_index("row", offset=1).with_columns(
        pl.col(name).str.strip_chars().replace("", None) for name in FIELDS
    )
    # A line with nothing on it is no event: skipped, and the row numbers of the others kept.
    frame = frame.filter(pl.any_horizontal(pl.col(name).is_not_null() for name in FIELDS))
    if frame.height == 0:
        raise _refuse([Problem(0, "", "没有签到记录")])
    if frame.height > MAX_IMPORT_ROWS:
        raise _refuse([Problem(0, "", f"一次最多导入 {MAX_IMPORT_ROWS:,} 条签到记录，本文件 {frame.height:,} 条")])
    mismatch = pl.lit(False)
    if device is not None:
        mismatch = pl.col("device").is_not_null() & (pl.col("device") != device)
        frame = frame.with_columns(pl.col("device").fill_null(device))
    booleans = {word: True for word in _TRUE} | {word: False for word in _FALSE}
    if not words_for_booleans:
        booleans = {"true": True, "false": False}
    typed = frame.with_columns(
        pl.col("id_number").str.to_uppercase(),
        _parse_time(pl.col("time")).alias("at"),
        pl.col("score").cast(pl.Float64, strict=False).alias("score_value"),
        pl.col("liveness")
        .str.to_lowercase()
        .replace_strict(booleans, default=None, return_dtype=pl.Boolean)
        .alias("liveness_value"),
    )
    score = pl.col("score_value")
    present = {name: pl.col(name).is_not_null() for name in FIELDS}
    checks: list[tuple[str, pl.Expr, pl.Expr]] = [
        *((name, ~present[name], pl.lit("必填")) for name in FIELDS),
        (
            "event_id",
            present["event_id"] & (pl.col("event_id").str.len_chars() > MAX_EVENT_ID),
            pl.lit(f"不超过 {MAX_EVENT_ID} 个字符"),
        ),
        ("device", mismatch, pl.lit(f"与推送设备 {device} 不符：设备只能推送本机的签到")),
        ("time", present["time"] & pl.col("at").is_null(), _time_problem(pl.col("time"))),
        (
            "score",
            present["score"] & (score.is_null() | score.is_nan() | ~score.is_between(0, 1)),
            pl.lit("应为 0 到 1 之间的数"),
        ),
        (
            "liveness",
            present["liveness"] & pl.col("liveness_value").is_null(),
            pl.lit("应为 true/false、1/0 或 是/否" if words_for_booleans else "应为 true 或 false"),
        ),
    ]
    flagged = typed.with_columns(
        pl.any_horizontal(bad for name, bad, _ in checks if name == field).alias(f"bad_{field}") for field in FIELDS
    )
    problems = pl.concat(
        [
            flagged.filter(bad).select("row", pl.lit(name).alias("field"), message.alias("message"))
            for name, bad, message in checks
        ]
    )
    columns = flagged.select(
        "row",
        *(
            pl.when(~pl.col(f"bad_{name}")).then(pl.col(source)).alias(name)
            for name, source in (
                ("event_id", "event_id"),
                ("device", "device"),
                ("class", "class"),
                ("id_number", "id_number"),
                ("time", "at"),
                ("score", "score_value"),
                ("liveness", "liveness_value"),
            )
        ),
    ).rename({"time": "at"})
    columns = columns.with_columns(pl.col("at").dt.convert_time_zone(LOCAL_TZ).dt.date().alias("local_day"))
    columns, repeats, conflicts = _repeats(columns)
    rank = pl.col("field").replace_strict(_FIELD_ORDER, default=-1, return_dtype=pl.Int32)
    problems = pl.concat([problems, conflicts]).sort(["row", rank])
    return Parsed(frame=columns, rows=frame.height, problems=problems, repeats=repeats)


_CONTENT = ("class", "id_number", "at", "score", "liveness")


def _repeats(columns: pl.DataFrame) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    """Rows repeating an earlier (device, event id) of the batch: identical ones dropped (counted),
    conflicting ones reported against the first row."""
    keyed = pl.col("device").is_not_null() & pl.col("event_id").is_not_null()
    # Event ids compared device by device: a batch has a few devices, and hashing the ids alone
    # takes half the time of hashing (device, event id) pairs.
    first = pl.col("event_id").is_first_distinct().over("device")
    repeat = keyed & ~first
    again = columns.filter(repeat)
    empty = pl.DataFrame(schema={"row": pl.UInt32, "field": pl.String, "message": pl.String})
    if again.height == 0:
        return columns, 0, empty
    firsts = columns.filter(keyed & first).select(
        "device", "event_id", pl.col("row").alias("first_row"), *(pl.col(c).alias(f"{c}_first") for c in _CONTENT)
    )
    joined = again.join(firsts, on=["device", "event_id"], how="left")
    differs = pl.any_horizontal(pl.col(c).ne_missing(pl.col(f"{c}_first")) for c in _CONTENT)
    conflicts = joined.filter(differs).select(
        "row",
        pl.lit("event_id").alias("field"),
        pl.format("与第{}行是同一设备的同一事件号，但内容不同", pl.col("first_row")).alias("message"),
    )
    return columns.filter(~repeat), again.height - conflicts.height, conflicts


# ── checking against the database, on columns ──────────────────────────────────────────────


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _among(column: str, values: list[Any]) -> tuple[str, list[Any]]:
    """`column` is one of `values`, passed as one parameter however many they are: an array on
    PostgreSQL, a JSON list on SQLite (which caps the parameters of a statement)."""
    if _postgres():
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(values)]


def _distinct(frame: pl.DataFrame, column: str) -> list[Any]:
    return frame[column].drop_nulls().unique().sort().to_list()


def _fetch(cursor: Any, sql: str, params: list[Any], schema: dict[str, Any]) -> pl.DataFrame:
    cursor.execute(sql, params)
    return pl.DataFrame(cursor.fetchall(), schema=schema, orient="row")


def _devices(cursor: Any, serials: list[str]) -> pl.DataFrame:
    """The batch's devices, locked on PostgreSQL (`FOR NO KEY UPDATE`) until the batch commits, so
    two batches of one device are checked and written one after the other and the second sees
    what the first stored. SQLite takes one writer at a time anyway."""
    where, params = _among("serial", serials)
    lock = " ORDER BY id FOR NO KEY UPDATE" if _postgres() else ""
    sql = f"SELECT id, serial, active, institution_id FROM {CheckinDevice._meta.db_table} WHERE {where}{lock}"
    schema = {"device_id": pl.Int64, "device": pl.String, "device_active": pl.Boolean, "device_institution": pl.Int64}
    return _fetch(cursor, sql, params, schema)


def _classes(cursor: Any, codes: list[str]) -> pl.DataFrame:
    where, params = _among("code", codes)
    sql = f'SELECT id, code, state, start, "end", institution_id FROM {TrainingClass._meta.db_table} WHERE {where}'
    schema = {
        "class_id": pl.Int64,
        "class": pl.String,
        "class_state": pl.String,
        "class_start": pl.Date,
        "class_end": pl.Date,
        "class_institution": pl.Int64,
    }
    return _fetch(cursor, sql, params, schema)


def _rosters(cursor: Any, class_ids: list[int]) -> pl.DataFrame:
    """Who is on the rosters of the batch's classes, by the keyed hash of their id number (the ID
    itself is stored encrypted): about 100,000 rows for a file of 2,000 classes, read at once
    instead of looking up a million persons."""
    where, params = _among("e.training_class_id", class_ids)
    sql = (
        f"SELECT e.training_class_id, p.id_hash, e.person_id FROM {Enrollment._meta.db_table} e "
        f"JOIN {Person._meta.db_table} p ON p.id = e.person_id WHERE {where}"
    )
    return _fetch(cursor, sql, params, {"class_id": pl.Int64, "id_hash": pl.String, "person_id": pl.Int64})


def _registered(cursor: Any, id_hashes: list[str]) -> pl.Series:
    """Which of these id numbers (by keyed hash; found on no roster of their row's class) are persons at all."""
    where, params = _among("id_hash", id_hashes)
    sql = f"SELECT id_hash FROM {Person._meta.db_table} WHERE {where}"
    return _fetch(cursor, sql, params, {"id_hash": pl.String})["id_hash"]


def _state_label(state: pl.Expr) -> pl.Expr:
    return state.replace({str(value): str(label) for value, label in ClassState.choices})


def _reference_checks(institution_id: int | None) -> list[tuple[str, pl.Expr, pl.Expr]]:
    """(field, the row fails, why) for each check of a row's references, in the order reported."""
    device, cls, day = pl.col("device"), pl.col("class"), pl.col("local_day")
    known_device, known_class = pl.col("device_id").is_not_null(), pl.col("class_id").is_not_null()
    known_person = pl.col("registered")
    foreign_device = pl.lit(False)
    if institution_id is not None:
        foreign_device = known_device & (pl.col("device_institution") != institution_id)
    return [
        ("device", device.is_not_null() & ~known_device, pl.format("设备 {} 未登记", device)),
        ("device", known_device & ~pl.col("device_active"), pl.format("设备 {} 已停用，不接收其签到", device)),
        ("device", foreign_device, pl.format("设备 {} 不属于本机构，不能导入其签到", device)),
        ("class", cls.is_not_null() & ~known_class, pl.format("班级 {} 不存在", cls)),
        (
            "class",
            known_class & ~pl.col("class_state").is_in(OPEN_STATES),
            pl.format("班级 {} 当前为“{}”，只有已批准开班的班级接收签到", cls, _state_label(pl.col("class_state"))),
        ),
        (
            "class",
            known_class & known_device & (pl.col("class_institution") != pl.col("device_institution")),
            pl.format("班级 {} 不是设备 {} 所属机构的班级", cls, device),
        ),
        ("id_number", pl.col("id_number").is_not_null() & ~known_person, pl.lit("系统中没有该身份证号的人员")),
        (
            "id_number",
            known_person & known_class & pl.col("person_id").is_null(),
            pl.format("该学员不在班级 {} 的花名册上", cls),
        ),
        (
            "time",
            known_class & day.is_not_null() & ~day.is_between(pl.col("class_start"), pl.col("class_end")),
            pl.format(
                "签到日期 {}（北京时间）不在班级 {} 的培训期 {} 至 {} 内",
                day,
                cls,
                pl.col("class_start"),
                pl.col("class_end"),
            ),
        ),
    ]


_PROBLEMS = {"row": pl.UInt32, "field": pl.String, "message": pl.String, "check": pl.Int32}
REWRITTEN = len(_reference_checks(None))  # the check of stored events comes after the others


def _resolve(cursor: Any, frame: pl.DataFrame, institution_id: int | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(every row with the ids it refers to, the problems found against the database).

    Whatever the batch's size, a fixed handful of small lookups (its devices, its classes, their
    rosters, and only if some id number is on no roster, which of those are persons at all);
    every check is then a column expression over the joined rows, in file order."""
    devices = _devices(cursor, _distinct(frame, "device"))
    classes = _classes(cursor, _distinct(frame, "class"))
    rosters = _rosters(cursor, classes["class_id"].to_list())
    # Persons are found by the keyed hash of their id number (upper-cased by parse, as stored),
    # computed once per distinct number, not per event.
    hashed = frame_blind_index(frame, "id_number", "id_hash", purpose=RIC_PURPOSE)
    # Left joins keep every row, in file order: COPY then appends in the order devices sent.
    rows = (
        hashed.join(devices, on="device", how="left", maintain_order="left")
        .join(classes, on="class", how="left", maintain_order="left")
        .join(rosters, on=["class_id", "id_hash"], how="left", maintain_order="left")
    )
    unrostered = rows.filter(pl.col("id_hash").is_not_null() & pl.col("person_id").is_null())
    registered = (
        _registered(cursor, _distinct(unrostered, "id_hash")) if unrostered.height else pl.Series([], dtype=pl.String)
    )
    rows = rows.with_columns(
        registered=pl.col("person_id").is_not_null() | pl.col("id_hash").is_in(registered.implode()).fill_null(False)
    )
    checks = [(field, fails.fill_null(False), why) for field, fails, why in _reference_checks(institution_id)]
    failing = rows.filter(pl.any_horizontal(fails for _, fails, _ in checks))
    problems = pl.concat(
        [
            failing.filter(fails).select(
                "row", pl.lit(field).alias("field"), why.alias("message"), pl.lit(check, dtype=pl.Int32).alias("check")
            )
            for check, (field, fails, why) in enumerate(checks)
        ]
    )
    return rows, problems


def _refusal(*found: pl.DataFrame, uncounted: int = 0) -> CheckInsInvalid:
    """The refusal of a batch: its problems (row, field, message[, check]) sorted by row, field
    and check; `uncounted`, problems counted in the total but not fetched."""
    # Format problems carry no check number: they come first on their row and field (a field
    # with a format problem is null, so no other check of it runs).
    frames = [f if "check" in f.columns else f.with_columns(pl.lit(-1).alias("check")) for f in found]
    rank = pl.col("field").replace_strict(_FIELD_ORDER, default=-1, return_dtype=pl.Int32)
    problems = pl.concat([f.select(pl.col(name).cast(kind) for name, kind in _PROBLEMS.items()) for f in frames])
    problems = problems.sort(["row", rank, "check"], maintain_order=True)
    listed = [Problem(int(row), str(field), str(why)) for row, field, why, _ in problems.head(MAX_LISTED).rows()]
    return _refuse(listed, total=problems.height + uncounted)


# ── writing ────────────────────────────────────────────────────────────────────────────────

STAGING = "checkin_staging"
# The check-in table's columns as the resolved rows name them.
_WRITTEN = {
    "device_id": "device_id",
    "device_event_id": "event_id",
    "training_class_id": "class_id",
    "person_id": "person_id",
    "at": "at",
    "match_score": "score",
    "liveness": "liveness",
}


def _table_rows(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.select(pl.col(source).alias(column) for column, source in _WRITTEN.items())


def _sqlite_rows(frame: pl.DataFrame) -> list[tuple[Any, ...]]:
    """Rows for SQLite, times as Django writes them there (UTC, no offset, microseconds if any),
    so that a stored time and a staged one compare equal."""
    at = pl.col("at").dt.replace_time_zone(None)
    text = (
        pl.when(at.dt.microsecond() == 0)
        .then(at.dt.strftime("%Y-%m-%d %H:%M:%S"))
        .otherwise(at.dt.strftime("%Y-%m-%d %H:%M:%S%.6f"))
    )
    return frame.with_columns(text.alias("at")).rows()


COPY_SLICE = 100_000  # rows formatted at a time while the previous slice is sent
# Times are UTC: the offset is written as such, and fractions of a second only when there are.
COPY_TIME = "%Y-%m-%d %H:%M:%S%.f+00"


def _copy(cursor: Any, table: str, frame: pl.DataFrame) -> None:
    """`frame` into `table` by one COPY of Polars' CSV output (PostgreSQL).

    Formatted a slice at a time and sent by psycopg's writer thread: the server, which takes
    most of the time, starts on the first rows while the next are formatted (0.2 s for a
    million rows, hidden but for the first slice)."""
    sql = f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN (FORMAT csv)"
    # Through Django's error wrapper, so that a duplicate key is the IntegrityError it would be
    # from any other statement.
    with (
        connection.wrap_database_errors,
        cursor.cursor.copy(sql, writer=QueuedLibpqWriter(cursor.cursor)) as copy,
    ):
        for start in range(0, frame.height, COPY_SLICE):
            data = io.BytesIO()
            frame.slice(start, COPY_SLICE).write_csv(data, include_header=False, datetime_format=COPY_TIME)
            copy.write(data.getbuffer())


def _append(cursor: Any, rows: pl.DataFrame, batch_id: int) -> None:
    """The checked rows straight into the check-in table."""
    table = _table_rows(rows).with_columns(pl.lit(batch_id, dtype=pl.Int64).alias("batch_id"))
    if _postgres():
        _copy(cursor, CheckIn._meta.db_table, table)
        return
    columns = ", ".join(table.columns)
    marks = ", ".join(["%s"] * table.width)
    cursor.executemany(f"INSERT INTO {CheckIn._meta.db_table} ({columns}) VALUES ({marks})", _sqlite_rows(table))


def _stage(cursor: Any, rows: pl.DataFrame) -> None:
    """The rows, with their row numbers and ids, into a temporary table to compare with the stored ones."""
    staged = _table_rows(rows).insert_column(0, rows["row"].alias("row_no"))
    cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
    if _postgres():
        # For this transaction only: the comparison with a table of millions joins in memory.
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {STAGING} (row_no integer, device_id bigint, device_event_id text, "
            "training_class_id bigint, person_id bigint, at timestamptz, match_score double precision, "
            "liveness boolean) ON COMMIT DROP"
        )
        _copy(cursor, STAGING, staged)
        # The planner needs the staged row count to choose a hash join for a million rows and
        # index probes for ten.
        cursor.execute(f"ANALYZE {STAGING}")
        return
    cursor.execute(
        f"CREATE TEMPORARY TABLE {STAGING} (row_no integer, device_id integer, device_event_id text, "
        "training_class_id integer, person_id integer, at text, match_score real, liveness integer)"
    )
    marks = ", ".join(["%s"] * staged.width)
    cursor.executemany(f"INSERT INTO {STAGING} VALUES ({marks})", _sqlite_rows(staged))


_STORED = "x.device_id = s.device_id AND x.device_event_id = s.device_event_id"
_SAME = (
    "COALESCE(x.training_class_id = s.training_class_id AND x.person_id = s.person_id AND x.at = s.at "
    "AND x.match_score = s.match_score AND x.liveness = s.liveness, FALSE)"
)


def _rewritten(cursor: Any) -> tuple[pl.DataFrame, int]:
    """Staged events stored before with other content: (the first MAX_LISTED, how many in all)."""
    checkin, device = CheckIn._meta.db_table, CheckinDevice._meta.db_table
    sql = (
        f"SELECT s.row_no, d.serial, s.device_event_id FROM {STAGING} s JOIN {checkin} x ON {_STORED} "
        f"JOIN {device} d ON d.id = s.device_id WHERE NOT {_SAME} ORDER BY s.row_no LIMIT %s"
    )
    found = _fetch(cursor, sql, [MAX_LISTED], {"row": pl.UInt32, "serial": pl.String, "event_id": pl.String})
    total = found.height
    if total == MAX_LISTED:
        cursor.execute(f"SELECT COUNT(*) FROM {STAGING} s JOIN {checkin} x ON {_STORED} WHERE NOT {_SAME}")
        total = int(cursor.fetchone()[0])
    problems = found.select(
        "row",
        pl.lit("event_id").alias("field"),
        pl.format("设备 {} 的事件号 {} 已以不同内容上报过：已上报的签到不能改写", "serial", "event_id").alias(
            "message"
        ),
        pl.lit(REWRITTEN, dtype=pl.Int32).alias("check"),
    )
    return problems, total


def _add_new(cursor: Any, rows: pl.DataFrame, batch_id: int) -> int:
    """The rows not stored before, for a batch that re-sends some: how many were added.

    The stored events are compared with the staged ones in SQL: an identical one is set aside (a
    re-sent event, counted as a duplicate), one with other content refuses the batch. The INSERT
    then has no `ON CONFLICT` and takes no second look at the table: an event another writer
    stored in the meantime fails it (CheckInsConflict; retrying is safe) rather than passing for
    a duplicate it may not be."""
    checkin = CheckIn._meta.db_table
    _stage(cursor, rows)
    cursor.execute(f"DELETE FROM {STAGING} AS s WHERE EXISTS (SELECT 1 FROM {checkin} x WHERE {_STORED} AND {_SAME})")
    rewritten, total = _rewritten(cursor)
    if total:
        raise _refusal(rewritten, uncounted=total - rewritten.height)
    columns = ", ".join(_WRITTEN)
    cursor.execute(f"INSERT INTO {checkin} ({columns}, batch_id) SELECT {columns}, %s FROM {STAGING}", [batch_id])
    inserted = int(cursor.rowcount)
    cursor.execute(f"DROP TABLE {STAGING}")
    return inserted


def _write(cursor: Any, rows: pl.DataFrame, batch_id: int) -> int:
    """The checked rows into the table: how many were new.

    First as if none had been sent before, which is what devices do: one COPY straight into the
    table. If the key refuses one (a re-sent event), the COPY is undone back to its savepoint and
    the rows go the longer way, staged and compared (_add_new)."""
    # In key order, each new entry of the key's index lands next to the one before instead of
    # anywhere in it: a million rows' COPY took 2.9 s instead of 3.3 s in the file's (time)
    # order and 6.2 s in random order, for 0.1 s of sorting.
    rows = rows.sort("device_id", "event_id", maintain_order=True)
    try:
        with transaction.atomic():
            _append(cursor, rows, batch_id)
    except IntegrityError:
        return _add_new(cursor, rows, batch_id)
    return rows.height


# ── the services ───────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class _DeviceActor:
    """The audit log's actor for a push: the device, which is no user."""

    display_name: str
    pk: None = None
    role: str = ""


def _load(
    parsed: Parsed,
    *,
    source: str,
    device: CheckinDevice | None,
    actor: User | None,
    filename: str,
    institution_id: int | None,
) -> IngestResult:
    with connection.cursor() as cursor:
        rows, found = _resolve(cursor, parsed.frame, institution_id)
        if parsed.problems.height or found.height:
            # A refused batch is refused once, with everything wrong in it: a row that rewrites a
            # stored event is named now too, not after the other rows are fixed.
            _stage(cursor, rows)
            rewritten, total = _rewritten(cursor)
            raise _refusal(parsed.problems, found, rewritten, uncounted=total - rewritten.height)
        batch = CheckInBatch.objects.create(
            source=source,
            device=device,
            uploaded_by=actor,
            filename=filename[:200],
            received_at=timezone.now(),
            rows=parsed.rows,
        )
        inserted = _write(cursor, rows, batch.pk)
    batch.inserted, batch.duplicates = inserted, parsed.rows - inserted
    CheckInBatch.objects.filter(pk=batch.pk).update(inserted=batch.inserted, duplicates=batch.duplicates)
    audit_record(
        actor=actor or _DeviceActor(f"签到设备 {device.serial}" if device else "签到设备"),
        event=f"checkin.{source}",
        obj=batch,
        changes={
            "rows": (None, batch.rows),
            "inserted": (None, batch.inserted),
            "duplicates": (None, batch.duplicates),
        },
        note=f"设备 {device.serial}" if device else (filename[:200] if filename else ""),
    )
    return IngestResult(batch=batch, rows=batch.rows, inserted=batch.inserted, duplicates=batch.duplicates)


def _atomic(run: Callable[[], IngestResult]) -> IngestResult:
    try:
        with transaction.atomic():
            return run()
    except IntegrityError as exc:
        raise CheckInsConflict("同一批签到正被同时写入，本批未导入任何一条：请稍后重试（重试不会重复计入）") from exc


def checkins_push(*, device: CheckinDevice, content: bytes) -> IngestResult:
    """A device's push `{"events": [...]}`: each event's `device` is the device itself or omitted."""
    parsed = parse(read_push(content), words_for_booleans=False, device=device.serial)
    return _atomic(
        lambda: _load(
            parsed, source=CheckInBatch.Source.PUSH, device=device, actor=None, filename="", institution_id=None
        )
    )


def may_import(actor: User) -> bool:
    """Offline records come from an institution's own devices: its clerk imports them, nobody else."""
    return actor.is_active and actor.role == Role.INSTITUTION_CLERK and actor.institution_id is not None


def checkins_import(*, actor: User, content: bytes, filename: str) -> IngestResult:
    """An institution clerk's offline file (CSV or JSON Lines) of the institution's own devices."""
    if not may_import(actor):
        raise NotPermitted("只有培训机构经办人可以导入本机构签到设备的离线签到记录")
    if not filename.strip():
        raise InvalidInput("缺少文件名", [{"path": "file", "message": "请上传 .csv 或 .jsonl 文件"}])
    raw, is_csv = read_file(content, filename)
    parsed = parse(raw, words_for_booleans=is_csv)
    return _atomic(
        lambda: _load(
            parsed,
            source=CheckInBatch.Source.IMPORT,
            device=None,
            actor=actor,
            filename=filename,
            institution_id=actor.institution_id,
        )
    )
