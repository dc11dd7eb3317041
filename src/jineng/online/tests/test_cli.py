"""`jineng audit-online` as users run it: formats, exit codes, atomic output, policy and option files."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jineng.cli import AUDIT_MALLOC_CONF, main

from ..engine import results_as_dicts
from .streams import audit, ev, watch

FIELDS = ("ts", "platform", "learner", "course", "lesson", "lesson_seq", "session", "event", "position", "rate")


def stream() -> list[dict[str, Any]]:
    """L1 clean in C1; L2 with two windows in C1 (10 minutes of C1 each) and a clean C2."""
    return [
        *watch(0, 600, session="A", learner="411081199001011234", complete=True),
        *watch(0, 600, session="B", learner="411081199202022345"),
        *watch(300, 600, session="C", learner="411081199202022345"),
        *watch(2000, 300, session="D", learner="411081199202022345", course="C2"),
    ]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["audit-online", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_is_the_contracts_object(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, str(write_jsonl(tmp_path / "e.jsonl", stream())))
    assert (code, err) == (0, "")
    data = json.loads(out)
    expected = audit(stream())
    assert {k: data[k] for k in ("learners", "courses", "events")} == {
        "learners": 2,
        "courses": 2,
        "events": len(stream()),
    }
    assert data["results"] == results_as_dicts(expected)
    assert [(r["learner"][-4:], r["course"], r["recognised"]) for r in data["results"]] == [
        ("1234", "C1", True),
        ("2345", "C1", False),
        ("2345", "C2", True),
    ]
    assert data["results"][1]["findings"][0] == {
        "rule": "ONL-MULTI-WINDOW",
        "session": "C",
        "at": "2023-05-03T12:05:00+08:00",
        "message": "会话 C 与该学员的其他会话同时播放（多窗口学习）",
    }


def test_csv_has_a_bom_and_one_row_per_result(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_file = tmp_path / "results.csv"
    code, out, _ = run(
        capsys, str(write_jsonl(tmp_path / "e.jsonl", stream())), "--format", "csv", "--out", str(out_file)
    )
    assert (code, out) == (0, "")
    data = out_file.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["学员身份证号", "课程", "学时认定", "有效学习时长（分钟）", "违规规则", "违规情况"]
    assert [r[:5] for r in rows[1:]] == [
        ["411081199001011234", "C1", "是", "10.0", ""],
        ["411081199202022345", "C1", "否", "0.0", "ONL-MULTI-WINDOW"],
        ["411081199202022345", "C2", "是", "5.0", ""],
    ]
    assert (
        rows[2][5]
        == "ONL-MULTI-WINDOW 2023-05-03T12:05:00+08:00 会话 C：会话 C 与该学员的其他会话同时播放（多窗口学习）"
    )


def test_text_is_a_chinese_summary_with_masked_ids(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, str(write_jsonl(tmp_path / "e.jsonl", stream())), "--format", "text")
    assert code == 0
    assert out.splitlines()[:3] == [
        f"线上学习核查（xuchang-2023）：学员 2 人，课程 2 门，学习日志 {len(stream())} 条（去重后）",
        "学员 × 课程 共 3 项：学时认定 2 项，不予认定 1 项",
        "违规规则（项数）：ONL-MULTI-WINDOW 多窗口学习 1",
    ]
    assert "4110**********2345  课程 C1  不予认定  有效学习 0.0 分钟" in out
    assert "    ONL-MULTI-WINDOW  2023-05-03 12:05:00  会话 C  会话 C 与该学员的其他会话同时播放（多窗口学习）" in out
    assert "411081199202022345" not in out


def test_csv_input_and_the_platforms_and_courses_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    records = watch(0, 400, photo_every=None)
    path = tmp_path / "e.csv"
    lines = [",".join(FIELDS), *[",".join(str(r.get(f, "")) for f in FIELDS) for r in records]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    courses = tmp_path / "courses.json"
    courses.write_text(json.dumps({"C1": {"hour_minutes": 5, "lessons": 3}}), encoding="utf-8")
    platforms = tmp_path / "platforms.json"
    platforms.write_text(json.dumps({"P1": {"listed": True, "connected": False}}), encoding="utf-8")
    code, out, _ = run(capsys, str(path), "--courses", str(courses), "--platforms", str(platforms))
    assert code == 0
    rules = [f["rule"] for f in json.loads(out)["results"][0]["findings"]]
    assert rules == ["ONL-PLATFORM", "ONL-PHOTO"]


def test_bad_rows_exit_2_naming_file_row_and_field_and_nothing_is_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    records = [*watch(0, 120), {**ev(10, "heartbeat", position=10), "ts": "soon"}, {**ev(11, "pause"), "learner": ""}]
    events = write_jsonl(tmp_path / "e.jsonl", records)
    out_file = tmp_path / "results.json"
    out_file.write_text("previous results", encoding="utf-8")
    code, out, err = run(capsys, str(events), "--out", str(out_file))
    assert (code, out) == (2, "")
    assert f"{events} 无法使用，共 2 处错误（未进行核查）" in err
    assert f"{events} 第 8 行 字段 ts：时间 soon 不是带时区的 ISO 8601 时间或毫秒时间戳" in err
    assert f"{events} 第 9 行 字段 learner：缺少学员身份证号" in err
    assert out_file.read_text(encoding="utf-8") == "previous results"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.jsonl", "results.json"]  # no temporary file left


def test_more_than_50_errors_are_counted_not_listed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    records = [{**ev(i, "photo"), "event": "snapshot"} for i in range(80)]
    code, _, err = run(capsys, str(write_jsonl(tmp_path / "e.jsonl", records)))
    assert code == 2
    assert err.count("未知的事件 snapshot") == 50
    assert "……另有 30 处错误未列出" in err


def test_bad_option_files_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    events = write_jsonl(tmp_path / "e.jsonl", watch(0, 60))
    courses = tmp_path / "courses.json"
    courses.write_text(json.dumps({"C1": {"hour_minutes": "45"}}), encoding="utf-8")
    code, _, err = run(capsys, str(events), "--courses", str(courses))
    assert code == 2
    assert f"{courses} 第 1 行 字段 C1.hour_minutes：应为不小于 1 的整数，实际为 '45'" in err
    platforms = tmp_path / "platforms.json"
    platforms.write_text("[]", encoding="utf-8")
    code, _, err = run(capsys, str(events), "--platforms", str(platforms))
    assert code == 2 and "应为以平台标识为键的 JSON 对象" in err


def test_the_policy_is_the_one_in_force_on_the_first_events_local_date(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # 2024-01-01T00:30 in Shanghai is still 2023-12-31 in UTC; xuchang-2023 ends on 2023-12-31
    late = [{**r, "ts": r["ts"] + (1_704_040_200_000 - 1_683_086_400_000)} for r in watch(0, 60)]
    code, _, err = run(capsys, str(write_jsonl(tmp_path / "late.jsonl", late)))
    assert code == 2
    assert "最早的事件在 2024-01-01，当日没有生效的政策" in err
    code, out, err = run(capsys, str(tmp_path / "late.jsonl"), "--policy", "xuchang-2023")
    assert code == 0 and json.loads(out)["results"][0]["recognised"] is True
    assert "按其 2023-12-31 的参数核查" in err
    code, _, err = run(capsys, str(tmp_path / "late.jsonl"), "--policy", "nope")
    assert code == 2 and "没有名为 nope 的政策" in err


def test_a_file_with_no_events_audits_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text(",".join(FIELDS) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, str(path))
    assert code == 0
    assert json.loads(out) == {"learners": 0, "courses": 0, "events": 0, "results": []}


def test_the_command_in_its_own_process_keeps_freed_memory_and_gives_the_same_answer(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    events = str(write_jsonl(tmp_path / "e.jsonl", stream()))
    _, in_process, _ = run(capsys, events)
    probe = (
        "import os, sys; from jineng.cli import main; code = main(sys.argv[1:]); "
        "sys.stderr.write(os.environ.get('_RJEM_MALLOC_CONF', '')); sys.exit(code)"
    )
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    done = subprocess.run(
        [sys.executable, "-c", probe, "audit-online", events], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0 and done.stdout == in_process
    # Set by the command before Polars loaded; Polars puts its own defaults in front, and in
    # jemalloc's option string the last setting of a name is the one that holds.
    assert done.stderr.endswith(AUDIT_MALLOC_CONF)
