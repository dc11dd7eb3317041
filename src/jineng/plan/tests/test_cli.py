"""`jineng plan check` as a user runs it: the plan's own inconsistencies, reported with figures."""

from __future__ import annotations

import json

import pytest

from jineng.cli import main


def test_plan_check_reports_the_known_quirks_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "check", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    by_code = {issue["code"]: issue for issue in data["issues"]}
    assert data["plan"] == "xuchang-2023"
    assert "11.2995" in by_code["ANNEX2-TOTAL-TRAINING"]["message"]
    assert by_code["ANNEX2-SKILLED-EXCEEDS-TRAINING"]["subject"].endswith("市体育局")
    assert data["count"] == len(data["issues"])


def test_plan_check_text_ends_with_a_summary_and_changes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "check"]) == 0
    out = capsys.readouterr().out
    assert "市体育局" in out
    assert out.rstrip().endswith("处不一致（仅报告，不修改计划数据）")


def test_an_unknown_plan_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "check", "--plan", "xuchang-1999"]) == 2
    assert "计划数据有误" in capsys.readouterr().err
