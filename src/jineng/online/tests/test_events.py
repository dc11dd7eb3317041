"""Reading and validating events: formats, notations, normalisation, and every bad row named at once."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import polars as pl
import pytest

from ..events import (
    EVENT_ENUM,
    EVENT_KINDS,
    EVENT_SCHEMA,
    InvalidEvents,
    error_lines,
    frame_from_records,
    read_courses,
    read_events,
    read_platforms,
)
from .streams import T0, ev, watch

HEADER = "ts,platform,learner,course,lesson,lesson_seq,session,event,position,rate"


def problems(exc: pytest.ExceptionInfo[InvalidEvents]) -> list[tuple[int, str]]:
    return [(e.row, e.field) for e in exc.value.errors]


def test_the_event_kinds_are_the_contracts_same_instant_order() -> None:
    assert EVENT_KINDS == (
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


def test_records_become_the_normalised_schema() -> None:
    frame = frame_from_records(watch(0, 60))
    assert frame.schema == pl.Schema(EVENT_SCHEMA)
    assert frame.row(0, named=True) == {
        "ts": T0,
        "platform": "P1",
        "learner": "L1",
        "course": "C1",
        "lesson": "C1-L1",
        "lesson_seq": 1,
        "session": "S1",
        "event": "start",
        "position": 0.0,
        "rate": None,
    }


@pytest.mark.parametrize(
    "ts",
    [
        T0,
        str(T0),
        "2023-05-03T12:00:00+08:00",
        "2023-05-03 12:00:00+08:00",
        "2023-05-03T04:00:00Z",
        "2023-05-03T04:00:00.000+00:00",
        "2023-05-03T05:00:00+0100",
        "2023-05-03T04:00:00.0004Z",  # below a millisecond: dropped
    ],
)
def test_every_notation_of_one_instant_parses_to_the_same_epoch_milliseconds(ts: object) -> None:
    frame = frame_from_records([{**ev(0, "photo"), "ts": ts}])
    assert frame.get_column("ts").to_list() == [T0]


def test_a_heartbeat_without_rate_is_read_as_rate_one_other_events_keep_what_they_had() -> None:
    frame = frame_from_records([ev(0, "heartbeat", position=0), ev(0, "pause"), ev(0, "photo", rate=2.0)])
    assert frame.get_column("rate").to_list() == [1.0, None, 2.0]


def test_every_bad_row_and_field_is_named_at_once() -> None:
    records = [
        {**ev(0, "start", position=0), "ts": "2023-05-03T12:00:00"},  # no offset
        {**ev(1, "heartbeat", position=1), "learner": ""},
        {**ev(2, "heartbeat", position=2), "lesson_seq": 0, "event": "fast_forward"},
        {**ev(3, "seek", position=3), "position": "abc", "rate": -1},
        {**ev(4, "heartbeat"), "session": None},  # and no position
        ev(5, "pause"),
        {**ev(6, "photo"), "ts": "yesterday", "lesson_seq": 2.5, "course": 7.5},
    ]
    with pytest.raises(InvalidEvents) as exc:
        frame_from_records(records)
    assert problems(exc) == [
        (1, "ts"),
        (2, "learner"),
        (3, "lesson_seq"),
        (3, "event"),
        (4, "position"),
        (4, "rate"),
        (5, "session"),
        (5, "position"),
        (7, "ts"),
        (7, "course"),
        (7, "lesson_seq"),
    ]
    messages = {(e.row, e.field): e.message for e in exc.value.errors}
    assert messages[(1, "ts")] == "时间 2023-05-03T12:00:00 缺少时区（UTC 偏移，如 +08:00）"
    assert messages[(3, "event")].startswith("未知的事件 fast_forward")
    assert messages[(4, "position")] == "播放位置 abc 不是有效的数字"
    assert messages[(5, "position")] == "heartbeat 事件缺少播放位置"
    assert messages[(7, "course")] == "课程应为字符串，实际为 7.5"
    assert exc.value.total == 11


def test_error_lines_name_file_row_and_field_and_cap_the_list() -> None:
    records = [{**ev(i, "photo"), "event": "x"} for i in range(60)]
    with pytest.raises(InvalidEvents) as exc:
        frame_from_records(records, source="push.json")
    lines = error_lines(exc.value, limit=50)
    assert len(lines) == 51
    assert lines[0].startswith("push.json 第 1 行 字段 event：未知的事件 x")
    assert lines[-1] == "……另有 10 处错误未列出"


def _csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_csv_jsonl_parquet_and_gzip_read_the_same(tmp_path: Path) -> None:
    records = watch(0, 120)
    expected = frame_from_records(records)
    lines = [",".join("" if r.get(f) is None else str(r.get(f)) for f in EVENT_SCHEMA) for r in records]
    csv_path = _csv(tmp_path / "e.csv", lines)
    jsonl = tmp_path / "e.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    parquet = tmp_path / "e.parquet"
    expected.write_parquet(parquet)
    gz = tmp_path / "e.csv.gz"
    gz.write_bytes(gzip.compress(csv_path.read_bytes()))
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + csv_path.read_bytes())
    for path in (csv_path, jsonl, parquet, gz, bom):
        assert read_events(path).equals(expected), path.name


def test_typed_parquet_columns_are_accepted(tmp_path: Path) -> None:
    records = watch(0, 60)
    frame = frame_from_records(records).with_columns(
        pl.from_epoch("ts", time_unit="ms").dt.replace_time_zone("UTC").dt.convert_time_zone("Asia/Shanghai"),
        pl.col("lesson_seq").cast(pl.Int64),
        pl.col("event").cast(pl.Categorical),
    )
    path = tmp_path / "typed.parquet"
    frame.write_parquet(path)
    assert read_events(path).equals(frame_from_records(records))
    naive = frame.with_columns(pl.col("ts").dt.replace_time_zone(None))
    naive.write_parquet(path)
    with pytest.raises(InvalidEvents) as exc:
        read_events(path)
    assert {(e.field, e.message) for e in exc.value.errors} == {("ts", "时间缺少时区（UTC 偏移）")}


def test_a_missing_event_in_an_enum_typed_parquet_column_is_refused_by_its_row(tmp_path: Path) -> None:
    frame = frame_from_records(watch(0, 60)).with_columns(pl.col("event").cast(EVENT_ENUM))
    assert frame.schema["event"] == EVENT_ENUM  # the Enum itself, as Polars writes it
    holed = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 2).then(None).otherwise(pl.col("event")).alias("event")
    )
    path = tmp_path / "enum.parquet"
    holed.write_parquet(path)
    with pytest.raises(InvalidEvents) as exc:
        read_events(path)
    assert [(e.row, e.field, e.message) for e in exc.value.errors] == [(3, "event", "缺少事件")]
    frame.write_parquet(path)
    assert read_events(path).height == frame.height


def test_csv_rows_are_counted_from_1_after_the_header(tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "bad.csv",
        [
            f"{T0},P1,L1,C1,l1,1,S1,start,0,",
            f"{T0},P1,L1,C1,l1,x,S1,photo,,",
            f"{T0},P1,,C1,l1,1,S1,photo,,",
        ],
    )
    with pytest.raises(InvalidEvents) as exc:
        read_events(path)
    assert problems(exc) == [(2, "lesson_seq"), (3, "learner")]
    assert exc.value.source == str(path)


def test_a_csv_without_a_required_column_or_with_a_ragged_row_is_refused(tmp_path: Path) -> None:
    no_event = tmp_path / "no_event.csv"
    no_event.write_text("ts,platform,learner,course,lesson,lesson_seq,session\n1,P,L,C,l,1,S\n", encoding="utf-8")
    with pytest.raises(InvalidEvents) as exc:
        read_events(no_event)
    assert problems(exc) == [(0, "event")]
    ragged = _csv(tmp_path / "ragged.csv", [f"{T0},P1,L1,C1,l1,1,S1,photo,,", f"{T0},P1,L1,C1,l1,1,S1,photo,,,extra"])
    with pytest.raises(InvalidEvents) as exc:
        read_events(ragged)
    assert problems(exc) == [(2, "")]


def test_bytes_that_are_not_utf8_are_named_by_offset(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(HEADER.encode() + b"\n" + f"{T0},P1,L\xe9,C1,l1,1,S1,photo,,".encode("latin-1") + b"\n")
    with pytest.raises(InvalidEvents) as exc:
        read_events(path)
    offset = len(HEADER) + 1 + len(f"{T0},P1,L")
    assert f"第 {offset} 字节（第 2 行）" in exc.value.errors[0].message


def test_json_lines_are_named_by_line_and_bad_json_by_its_offset(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    good = json.dumps(ev(0, "photo"))
    path.write_text(f"{good}\n\n{{not json\n[1]\n{json.dumps({**ev(1, 'photo'), 'event': 'x'})}\n", encoding="utf-8")
    with pytest.raises(InvalidEvents) as exc:
        read_events(path)
    assert problems(exc) == [(3, ""), (4, ""), (5, "event")]
    assert f"该行始于文件第 {len(good) + 2} 字节" in exc.value.errors[0].message


def test_an_unknown_extension_or_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidEvents) as exc:
        read_events(tmp_path / "events.xlsx")
    assert "扩展名" in exc.value.errors[0].message
    with pytest.raises(InvalidEvents) as exc:
        read_events(tmp_path / "missing.csv")
    assert "无法读取" in exc.value.errors[0].message


def test_courses_and_platforms_files_are_validated(tmp_path: Path) -> None:
    courses = tmp_path / "courses.json"
    courses.write_text(json.dumps({"C1": {"hour_minutes": 30, "lessons": 12}, "C2": {"lessons": 3}}))
    assert read_courses(courses) == {"C1": 30}
    courses.write_text(json.dumps({"C1": {"hour_minute": 30}, "C2": {"hour_minutes": 0}, "C3": 45}))
    with pytest.raises(InvalidEvents) as exc:
        read_courses(courses)
    assert problems(exc) == [(1, "C1.hour_minute"), (2, "C2.hour_minutes"), (3, "C3")]
    platforms = tmp_path / "platforms.json"
    platforms.write_text(
        json.dumps({"P1": {"listed": True, "connected": True}, "P2": {"listed": True, "connected": False}})
    )
    assert read_platforms(platforms) == {"P1": True, "P2": False}
    platforms.write_text(json.dumps({"P1": {"listed": "yes", "connected": True}}))
    with pytest.raises(InvalidEvents) as exc:
        read_platforms(platforms)
    assert problems(exc) == [(1, "P1.listed")]
