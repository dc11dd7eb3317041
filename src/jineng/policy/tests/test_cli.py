"""`jineng check-class` and `jineng rules` as users run them (contract: exit 0 / 1 / 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jineng.cli import main
from jineng.policy.catalog import RULES

DOCUMENTS = Path(__file__).parent / "documents"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_approvable_example_exits_0_with_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check-class", str(DOCUMENTS / "approve.json"), "--format", "json")
    assert code == 0
    assert json.loads(out) == {"decision": "approve", "policy": "xuchang-2023", "findings": []}


def test_the_contract_example_exits_1_on_its_bad_check_digit(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check-class", str(DOCUMENTS / "contract-example.json"), "--format", "json")
    assert code == 1
    result = json.loads(out)
    assert result["decision"] == "block"
    assert [(f["rule"], f["subject"], f["outcome"], f["clause"]) for f in result["findings"]] == [
        ("TRN-IDENTITY", "trainee:411081199001011234", "block", "二(四), 二(三)1")
    ]


def test_an_invalid_document_exits_2_naming_every_bad_field(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    doc = json.loads((DOCUMENTS / "approve.json").read_text(encoding="utf-8"))
    doc["class"]["hours"]["practical"] = "56"
    doc["trainees"][0]["id_number"] = 411081199001011235
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = run(capsys, "check-class", str(path), "--format", "json")
    assert code == 2
    assert out == ""  # nothing evaluated
    assert "$.class.hours.practical" in err and "$.trainees[0].id_number" in err


def test_a_missing_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "check-class", str(tmp_path / "nope.json"))
    assert code == 2
    assert "无法读取" in err


def test_the_text_format_groups_by_subject_in_chinese_and_masks_ids(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    doc = json.loads((DOCUMENTS / "contract-example.json").read_text(encoding="utf-8"))
    doc["class"]["workstations"] = 0
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run(capsys, "check-class", str(path), "--format", "text")
    assert code == 1
    assert "【班级 C-2023-0001】" in out
    assert "CLS-STATION-RATIO〔二(三)1〕阻断：工位与学员比不超过1:20：1名学员至少需1个工位，本班0个" in out
    assert "【学员 第1行 王某 4110**********1234】" in out
    assert "411081199001011234" not in out
    assert "结论：不予通过，共 2 项阻断" in out


def test_a_forced_policy_must_cover_as_of(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check-class", str(DOCUMENTS / "approve.json"), "--policy", "xuchang-2099")
    assert code == 2 and "xuchang-2099" in err
    code, _, _ = run(capsys, "check-class", str(DOCUMENTS / "approve.json"), "--policy", "xuchang-2023")
    assert code == 0


def test_rules_lists_every_rule_with_the_parameters_in_force(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules", "--format", "json", "--date", "2023-05-01")
    assert code == 0
    data = json.loads(out)
    assert [r["id"] for r in data["rules"]] == [spec.id for spec in RULES]
    size = next(r for r in data["rules"] if r["id"] == "CLS-SIZE")
    assert size["clause"] == "二(三)1" and size["outcome"] == "block"
    assert size["parameters"] == [
        {"key": "class_size_max", "value": 80, "unit": "人", "clause": "二(三)1", "description": "每班人数上限"}
    ]
    annual = next(r for r in data["rules"] if r["id"] == "CLS-APPRENTICE-ANNUAL")
    assert annual["parameters"][0]["value"] == {"academic": 1000, "other": 400}


def test_rules_refuses_a_date_without_a_policy(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "rules", "--date", "2024-02-01")
    assert code == 2 and "没有生效的政策" in err


def test_rules_text_is_for_people(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules", "--date", "2023-05-01")
    assert code == 0
    assert "CLS-SIZE" in out and "class_size_max = 80 人（二(三)1）" in out
    assert f"共 {len(RULES)} 条规则" in out


def test_the_installed_console_command_reads_standard_input() -> None:
    jineng = Path(sys.executable).parent / "jineng"
    raw = (DOCUMENTS / "contract-example.json").read_bytes()
    done = subprocess.run(
        [str(jineng), "check-class", "-", "--format", "json"], input=raw, capture_output=True, check=False, timeout=60
    )
    assert done.returncode == 1
    assert json.loads(done.stdout)["findings"][0]["rule"] == "TRN-IDENTITY"
