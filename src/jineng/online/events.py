"""Online-learning events (contracts/online-events.md): read, validate and normalise.

Every source — a CSV, JSON Lines or Parquet file (gzip accepted) or the JSON records a platform
pushes — ends as one frame of EVENT_SCHEMA, validated column by column in Polars (no per-row
Python on the file paths), with every bad (row, field) reported at once and nothing audited.

Normalisation, so that "the same values after parsing" means the same row:
- `ts` becomes epoch milliseconds (UTC): "2023-05-03T12:00:00+08:00", "2023-05-03T04:00:00Z"
  and 1683086400000 are one instant; fractions below a millisecond are dropped.
- `rate` of a `heartbeat` is 1.0 when absent (the contract's default), so a heartbeat without
  `rate` and the same heartbeat with `"rate": 1.0` are one event. On other events `rate` and
  `position` are kept as given (null when absent); they play no part in the audit.
- `position` is required on `start`, `heartbeat`, `seek` and `complete` (the rules read it).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

# The contract's order of event kinds that share a timestamp; an event's index is its rank.
EVENT_KINDS: tuple[str, ...] = (
    "start",
    "resume",
    "liveness_fail",
    "liveness_pass",
    "popup_shown",
    "popup_answered",
    "photo",
    "heartbeat",
    "seek",
    "complete",
    "pause",
    "end",
)
EVENT_ENUM = pl.Enum(EVENT_KINDS)
POSITIONED_KINDS: tuple[str, ...] = ("start", "heartbeat", "seek", "complete")

EVENT_SCHEMA: dict[str, pl.DataType] = {
    "ts": pl.Int64(),
    "platform": pl.String(),
    "learner": pl.String(),
    "course": pl.String(),
    "lesson": pl.String(),
    "lesson_seq": pl.Int32(),
    "session": pl.String(),
    "event": pl.String(),
    "position": pl.Float64(),
    "rate": pl.Float64(),
}
FIELDS: tuple[str, ...] = tuple(EVENT_SCHEMA)
REQUIRED_FIELDS: tuple[str, ...] = tuple(f for f in FIELDS if f not in ("position", "rate"))
STRING_FIELDS: tuple[str, ...] = ("platform", "learner", "course", "lesson", "session")
FIELD_ZH: dict[str, str] = {
    "ts": "时间",
    "platform": "平台",
    "learner": "学员身份证号",
    "course": "课程",
    "lesson": "课节",
    "lesson_seq": "课节序号",
    "session": "会话",
    "event": "事件",
    "position": "播放位置",
    "rate": "播放倍速",
}
INT32_MAX = 2**31 - 1
ERRORS_KEPT = 100_000  # a wholly broken 10M-row file must not become 10M Python objects

# ISO 8601 with an offset (Z, ±HH:MM or ±HHMM); 'T' or a space between date and time.
_ISO = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$"
_ISO_NAIVE = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$"
_EPOCH = r"^-?\d{1,18}$"
_INTEGER = r"^\+?\d{1,10}$"


@dataclass(frozen=True)
class EventError:
    row: int  # data rows counted from 1 (JSON Lines: the line); 0 = the file or its header
    field: str
    message: str


class InvalidEvents(Exception):
    """Unusable input: every bad (row, field) found, nothing audited."""

    def __init__(self, errors: list[EventError], source: str, total: int | None = None) -> None:
        self.errors = errors
        self.source = source
        self.total = len(errors) if total is None else total  # errors beyond ERRORS_KEPT are counted only
        super().__init__(f"{source}：{self.total} 处错误")


# ── reading ───────────────────────────────────────────────────────────────────────────────────


def _format_of(path: Path) -> tuple[str, bool]:
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    if gz:
        suffixes = suffixes[:-1]
    kind = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}.get(
        suffixes[-1] if suffixes else ""
    )
    if kind is None:
        raise InvalidEvents(
            [EventError(0, "", "无法按扩展名识别格式（应为 .csv、.jsonl、.ndjson、.parquet，可另加 .gz）")], str(path)
        )
    return kind, gz


def read_events(path: Path, *, event_enum: bool = False) -> pl.DataFrame:
    """Read a CSV (header row), JSON Lines or Parquet file, by extension (.gz accepted).

    Returns the validated, normalised frame (EVENT_SCHEMA); raises InvalidEvents naming every bad
    row and field, or the byte offset where the file itself cannot be decoded. With `event_enum`
    the `event` column is the Enum of EVENT_KINDS (validation makes it anyway; the engine uses it).
    """
    source = str(path)
    kind, gz = _format_of(path)
    try:
        data: bytes | None = path.read_bytes() if (gz or kind != "parquet") else None
    except OSError as exc:
        raise InvalidEvents([EventError(0, "", f"无法读取：{exc.strerror}")], source) from None
    if gz:
        assert data is not None
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InvalidEvents([EventError(0, "", f"不是有效的 gzip 文件：{exc}")], source) from None
    rows: pl.Series | None = None
    errors: list[EventError] = []
    if kind == "csv":
        assert data is not None
        raw = _csv_raw(data, source)
    elif kind == "jsonl":
        assert data is not None
        raw, rows, errors = _jsonl_raw(data)
    else:
        raw = _parquet_raw(io.BytesIO(data) if data is not None else path, source)
    return normalise(raw, source=source, rows=rows, errors=errors, event_enum=event_enum)


def _parquet_raw(source_file: Path | io.BytesIO, source: str) -> pl.DataFrame:
    try:
        return pl.read_parquet(source_file)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InvalidEvents([EventError(0, "", f"不是有效的 Parquet 文件：{exc}")], source) from None


def _csv_raw(data: bytes, source: str) -> pl.DataFrame:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InvalidEvents(
            [EventError(0, "", f"第 {exc.start} 字节（第 {line} 行）不是有效的 UTF-8 编码，请以 UTF-8 保存")], source
        ) from None
    try:
        return pl.read_csv(io.BytesIO(data), infer_schema=False, quote_char='"')
    except pl.exceptions.PolarsError as exc:
        errors = _csv_structure_errors(text)
        if not errors:
            errors = [EventError(0, "", f"无法解析 CSV：{exc}")]
        raise InvalidEvents(errors, source) from None


def _csv_structure_errors(text: str) -> list[EventError]:
    """The slow path after Polars refused a CSV: find the rows whose field count is wrong."""
    reader = csv.reader(io.StringIO(text))
    errors: list[EventError] = []
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return [EventError(0, "", "缺少表头行")]
    try:
        for number, row in enumerate(reader, start=1):
            if len(row) > len(header):
                errors.append(EventError(number, "", f"该行有 {len(row)} 个字段，多于表头的 {len(header)} 个"))
    except csv.Error as exc:
        errors.append(EventError(reader.line_num, "", f"CSV 格式错误：{exc}"))
    return errors


def _jsonl_raw(data: bytes) -> tuple[pl.DataFrame, pl.Series, list[EventError]]:
    records: list[Mapping[str, Any]] = []
    rows: list[int] = []
    errors: list[EventError] = []
    offset = 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        start, offset = offset, offset + len(line) + 1
        if number == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except UnicodeDecodeError as exc:
            errors.append(EventError(number, "", f"第 {start + exc.start} 字节不是有效的 UTF-8 编码"))
            continue
        except ValueError as exc:
            errors.append(EventError(number, "", f"不是有效的 JSON（该行始于文件第 {start} 字节）：{exc}"))
            continue
        if not isinstance(value, dict):
            errors.append(EventError(number, "", "每行应为一个 JSON 对象"))
            continue
        records.append(value)
        rows.append(number)
    return _records_raw(records, rows, errors)


def frame_from_records(records: Sequence[Mapping[str, Any]], *, source: str = "请求") -> pl.DataFrame:
    """The JSON objects of an API push, validated like a file: row = index + 1."""
    errors = [
        EventError(i, "", "每个事件应为一个 JSON 对象")
        for i, record in enumerate(records, start=1)
        if not isinstance(record, Mapping)
    ]
    good = [r for r in records if isinstance(r, Mapping)]
    numbers = [i for i, r in enumerate(records, start=1) if isinstance(r, Mapping)]
    raw, rows, errors = _records_raw(good, numbers, errors)
    return normalise(raw, source=source, rows=rows, errors=errors)


def _json_text(value: Any, field: str, as_number: bool) -> tuple[str | None, str | None]:
    """A JSON value as the text the common validator parses, or an error (wrong JSON type)."""
    if value is None:
        return None, None
    if isinstance(value, bool | list | dict):
        return None, f"{FIELD_ZH[field]}的类型不对（{type(value).__name__}）"
    if isinstance(value, str):
        return value, None
    if isinstance(value, int):
        return str(value), None
    if isinstance(value, float):
        if as_number:
            return repr(value), None  # repr round-trips exactly through the float parser
        if field == "lesson_seq" and value.is_integer():
            return str(int(value)), None
        return None, f"{FIELD_ZH[field]}应为{'整数' if field in ('lesson_seq', 'ts') else '字符串'}，实际为 {value!r}"
    return None, f"{FIELD_ZH[field]}的类型不对（{type(value).__name__}）"


def _records_raw(
    records: Sequence[Mapping[str, Any]], rows: list[int], errors: list[EventError]
) -> tuple[pl.DataFrame, pl.Series, list[EventError]]:
    """JSON objects as an all-text frame for the common validator, plus the JSON-type errors."""
    columns: dict[str, list[str | None]] = {field: [] for field in FIELDS}
    for record, row in zip(records, rows, strict=True):
        for field in FIELDS:
            text, problem = _json_text(record.get(field), field, field in ("position", "rate"))
            if problem is not None:
                errors.append(EventError(row, field, problem))
            columns[field].append(text)
    raw = pl.DataFrame(columns, schema=dict.fromkeys(FIELDS, pl.String))
    return raw, pl.Series("row", rows, dtype=pl.Int64), errors


# ── validation (vectorised) ───────────────────────────────────────────────────────────────────
#
# Each field gives (value, bad, message). The values are computed once, over every row, into
# columns `_v_<field>`; `bad` reads them (and the raw column), over every row too; the messages
# are computed only on the rows where something is bad, so a clean file costs no formatting.


@dataclass(frozen=True)
class _Field:
    value: pl.Expr
    bad: pl.Expr
    message: pl.Expr


def _v(field: str) -> pl.Expr:
    """A field's parsed value (stage 1's column)."""
    return pl.col(f"_v_{field}")


def _missing(col: pl.Expr) -> pl.Expr:
    return col.is_null() | (col == "")


def _unsupported(field: str, dtype: pl.DataType, null: pl.DataType) -> _Field:
    return _Field(pl.lit(None, null), pl.lit(True), pl.lit(f"{FIELD_ZH[field]}列的类型 {dtype} 不受支持"))


def _ts_field(col: pl.Expr, dtype: pl.DataType) -> _Field:
    if dtype.is_integer():
        return _Field(col.cast(pl.Int64), _v("ts").is_null(), pl.lit("缺少时间"))
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            return _Field(pl.lit(None, pl.Int64), pl.lit(True), pl.lit("时间缺少时区（UTC 偏移）"))
        return _Field(col.dt.epoch("ms"), _v("ts").is_null(), pl.lit("缺少时间"))
    if dtype == pl.String:
        text = col.str.replace(" ", "T", literal=True, n=1)
        value = (
            pl.when(col.str.contains(_EPOCH))
            .then(col.cast(pl.Int64, strict=False))
            .when(text.str.contains(_ISO))
            .then(text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%#z", time_unit="ms", strict=False).dt.epoch("ms"))
        )
        message = (
            pl.when(_missing(col))
            .then(pl.lit("缺少时间"))
            .when(col.str.contains(_ISO_NAIVE))
            .then(pl.format("时间 {} 缺少时区（UTC 偏移，如 +08:00）", col))
            .otherwise(pl.format("时间 {} 不是带时区的 ISO 8601 时间或毫秒时间戳", col))
        )
        return _Field(value, _v("ts").is_null(), message)
    return _unsupported("ts", dtype, pl.Int64())


def _string_field(field: str, col: pl.Expr, dtype: pl.DataType) -> _Field:
    if dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum) or dtype.is_integer():
        value = col if dtype == pl.String else col.cast(pl.String)
        return _Field(value, _missing(_v(field)), pl.lit(f"缺少{FIELD_ZH[field]}"))
    return _unsupported(field, dtype, pl.String())


def _lesson_seq_field(col: pl.Expr, dtype: pl.DataType) -> _Field:
    value: pl.Expr
    if dtype == pl.Int32:
        value = pl.when(col >= 1).then(col)
    elif dtype.is_integer():
        value = pl.when((col >= 1) & (col <= INT32_MAX)).then(col).cast(pl.Int32)
    elif dtype.is_float():
        value = pl.when((col == col.floor()) & (col >= 1) & (col <= INT32_MAX)).then(col).cast(pl.Int32)
    elif dtype == pl.String:
        whole = pl.when(col.str.contains(_INTEGER)).then(col.cast(pl.Int64, strict=False))
        value = pl.when((whole >= 1) & (whole <= INT32_MAX)).then(whole).cast(pl.Int32)
    else:
        return _unsupported("lesson_seq", dtype, pl.Int32())
    text = col.cast(pl.String)
    message = (
        pl.when(_missing(text))
        .then(pl.lit("缺少课节序号"))
        .otherwise(pl.format("课节序号 {} 应为不小于 1 的整数", text))
    )
    return _Field(value, _v("lesson_seq").is_null(), message)


def _number_field(field: str, col: pl.Expr, dtype: pl.DataType) -> _Field:
    if dtype == pl.Null:
        return _Field(pl.lit(None, pl.Float64), pl.lit(False), pl.lit(None, pl.String))
    if dtype.is_numeric():
        value = col.cast(pl.Float64)
        present = col.is_not_null()
    elif dtype == pl.String:
        present = col.is_not_null() & (col != "")
        value = pl.when(present).then(col.cast(pl.Float64, strict=False))
    else:
        return _unsupported(field, dtype, pl.Float64())
    parsed = _v(field)
    allowed = (parsed > 0) if field == "rate" else (parsed >= 0)
    good = parsed.is_finite() & allowed  # NaN compares false
    rule = "应为大于 0 的数" if field == "rate" else "应为不小于 0 的秒数"
    text = col.cast(pl.String)
    message = (
        pl.when(parsed.is_null() | parsed.is_nan())
        .then(pl.format(f"{FIELD_ZH[field]} {{}} 不是有效的数字", text))
        .otherwise(pl.format(f"{FIELD_ZH[field]} {{}} {rule}", text))
    )
    # -0.0 + 0.0 is 0.0: one zero, so "the same values" compare equal
    return _Field(value + 0.0, present & ~good.fill_null(False), message)


def _event_field(col: pl.Expr, dtype: pl.DataType) -> _Field:
    """The value is always the Enum (its rank is the contract's order); `normalise` decides the output type."""
    if dtype == EVENT_ENUM:
        # Already the Enum (a Parquet file written by Polars): only a null can be wrong.
        return _Field(col, col.is_null(), pl.lit("缺少事件"))
    text = col if dtype == pl.String else col.cast(pl.String)
    message = (
        pl.when(_missing(text))
        .then(pl.lit("缺少事件"))
        .otherwise(pl.format("未知的事件 {}（应为 " + "、".join(EVENT_KINDS) + " 之一）", text))
    )
    return _Field(text.cast(EVENT_ENUM, strict=False), _v("event").is_null(), message)


_POSITIONED_RANKS = [EVENT_KINDS.index(kind) for kind in POSITIONED_KINDS]
_HEARTBEAT_RANK = EVENT_KINDS.index("heartbeat")


def _fields(schema: Mapping[str, pl.DataType]) -> dict[str, _Field]:
    out: dict[str, _Field] = {}
    for field in FIELDS:
        dtype = schema.get(field, pl.Null())
        col = pl.col(field) if field in schema else pl.lit(None)
        if field == "ts":
            out[field] = _ts_field(col, dtype)
        elif field == "lesson_seq":
            out[field] = _lesson_seq_field(col, dtype)
        elif field in ("position", "rate"):
            out[field] = _number_field(field, col, dtype)
        elif field == "event":
            out[field] = _event_field(col, dtype)
        else:
            out[field] = _string_field(field, col, dtype)
    # position is required where the rules read it
    position = out["position"]
    lacking = _v("event").to_physical().is_in(_POSITIONED_RANKS) & _v("position").is_null() & ~position.bad
    out["position"] = _Field(
        position.value,
        position.bad | lacking.fill_null(False),
        pl.when(lacking)
        .then(pl.format("{} 事件缺少播放位置", _v("event").cast(pl.String)))
        .otherwise(position.message),
    )
    return out


def normalise(
    raw: pl.DataFrame,
    *,
    source: str,
    rows: pl.Series | None = None,
    errors: Iterable[EventError] = (),
    event_enum: bool = False,
) -> pl.DataFrame:
    """Validate a raw frame (columns by field name, String or typed) into EVENT_SCHEMA.

    `rows` gives each row's number for messages (default: 1, 2, …); `errors` are problems found
    earlier (JSON types): a (row, field) already named is not named twice. With `event_enum` the
    `event` column is the Enum of EVENT_KINDS instead of text.
    """
    found = list(errors)
    missing_columns = [f for f in REQUIRED_FIELDS if f not in raw.columns]
    if missing_columns:
        names = "、".join(missing_columns)
        raise InvalidEvents([*found, EventError(0, names, f"缺少列：{names}")], source)
    fields = _fields(raw.schema)
    parsed = raw.with_columns(f.value.alias(f"_v_{name}") for name, f in fields.items())
    bad = parsed.select(pl.any_horizontal(*[f.bad for f in fields.values()])).to_series()
    if found or bad.any():
        _raise_errors(parsed, bad, fields, rows, found, source)
    heartbeat = _v("event").to_physical() == _HEARTBEAT_RANK
    event = _v("event") if event_enum else pl.col("event").cast(pl.String)
    return parsed.select(
        *[(event if name == "event" else _v(name)).alias(name) for name in FIELDS if name != "rate"],
        pl.when(heartbeat & _v("rate").is_null()).then(pl.lit(1.0)).otherwise(_v("rate")).alias("rate"),
    )


def _raise_errors(
    raw: pl.DataFrame,
    bad: pl.Series,
    fields: dict[str, _Field],
    rows: pl.Series | None,
    found: list[EventError],
    source: str,
) -> None:
    numbered = raw.with_columns(
        rows.alias("_row") if rows is not None else pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_row")
    ).filter(bad)
    long = (
        numbered.select("_row", *[pl.when(f.bad).then(f.message).alias(name) for name, f in fields.items()])
        .unpivot(index="_row", variable_name="field", value_name="message")
        .drop_nulls("message")
    )
    already = {(e.row, e.field) for e in found}
    repeated = long.filter(pl.col("_row").is_in([r for r, _ in already])) if already else long.clear()
    dropped = {(int(r), str(f)) for r, f, _ in repeated.iter_rows()} & already
    total = len(found) + long.height - len(dropped)
    merged = list(found)
    for row, field, message in long.head(ERRORS_KEPT + len(dropped)).iter_rows():
        if (row, field) not in already:
            merged.append(EventError(int(row), str(field), str(message)))
    order = {f: i for i, f in enumerate(FIELDS)}
    merged.sort(key=lambda e: (e.row, order.get(e.field, -1)))
    raise InvalidEvents(merged[:ERRORS_KEPT], source, total)


def error_lines(exc: InvalidEvents, limit: int = 50) -> list[str]:
    """Chinese lines naming each error (file, row, field), at most `limit` plus a count of the rest."""
    lines = []
    for error in exc.errors[:limit]:
        where = "文件" if error.row == 0 else f"第 {error.row} 行"
        field = f" 字段 {error.field}" if error.field else ""
        lines.append(f"{exc.source} {where}{field}：{error.message}")
    if exc.total > limit:
        lines.append(f"……另有 {exc.total - limit} 处错误未列出")
    return lines


# ── the --courses and --platforms files ───────────────────────────────────────────────────────


def _json_object(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise InvalidEvents([EventError(0, "", f"无法读取：{exc.strerror}")], str(path)) from None
    except ValueError as exc:
        raise InvalidEvents([EventError(0, "", f"不是有效的 JSON：{exc}")], str(path)) from None
    if not isinstance(data, dict):
        raise InvalidEvents([EventError(0, "", f"应为以{what}为键的 JSON 对象")], str(path))
    return data


def read_courses(path: Path) -> dict[str, int]:
    """`{"CRS-1": {"hour_minutes": 45, "lessons": 12}}` → course → class-hour minutes (absent: the default)."""
    data = _json_object(path, "课程标识")
    errors: list[EventError] = []
    out: dict[str, int] = {}
    for row, (course, spec) in enumerate(data.items(), start=1):
        if not isinstance(spec, dict):
            errors.append(EventError(row, course, "应为含 hour_minutes、lessons 的对象"))
            continue
        for key in sorted(set(spec) - {"hour_minutes", "lessons"}):
            errors.append(EventError(row, f"{course}.{key}", "未知的键（只允许 hour_minutes、lessons）"))
        for key in ("hour_minutes", "lessons"):
            value = spec.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                errors.append(EventError(row, f"{course}.{key}", f"应为不小于 1 的整数，实际为 {value!r}"))
        minutes = spec.get("hour_minutes")
        if isinstance(minutes, int) and not isinstance(minutes, bool) and minutes >= 1:
            out[course] = minutes
    if errors:
        raise InvalidEvents(errors, str(path))
    return out


def read_platforms(path: Path) -> dict[str, bool]:
    """`{"PLAT-1": {"listed": true, "connected": true}}` → platform → listed and connected."""
    data = _json_object(path, "平台标识")
    errors: list[EventError] = []
    out: dict[str, bool] = {}
    for row, (platform, spec) in enumerate(data.items(), start=1):
        if not isinstance(spec, dict):
            errors.append(EventError(row, platform, "应为含 listed、connected 的对象"))
            continue
        for key in sorted(set(spec) - {"listed", "connected"}):
            errors.append(EventError(row, f"{platform}.{key}", "未知的键（只允许 listed、connected）"))
        flags = [spec.get("listed"), spec.get("connected")]
        for key, value in zip(("listed", "connected"), flags, strict=True):
            if not isinstance(value, bool):
                errors.append(EventError(row, f"{platform}.{key}", f"应为 true 或 false，实际为 {value!r}"))
        out[platform] = all(flag is True for flag in flags)
    if errors:
        raise InvalidEvents(errors, str(path))
    return out
