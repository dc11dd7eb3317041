"""Importing results from a file: XLSX and GBK CSV, trainees found by resident ID within the plan's
classes, names checked, every bad row named by its row in the file."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from jineng.assessment.models import AssessmentResult, CertificateRecord
from jineng.assessment.results_io import HEADERS, parse_level, parse_results
from jineng.assessment.services import results_import, results_template
from jineng.classes.errors import InvalidInput, NotPermitted
from jineng.classes.models import Enrollment
from jineng.ids import mask_ric
from jineng.testing import Cast

from .scenes import ASSESS_ON, file, ready, roster

pytestmark = pytest.mark.django_db

HEADER = ["身份证号", "姓名", "考核结果(合格/不合格/缺考)", "成绩", "证书编号", "发证日期", "证书等级"]


def xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_gbk(rows: list[list[Any]]) -> bytes:
    lines = [",".join(HEADER), *(",".join("" if v is None else str(v) for v in row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


def test_an_xlsx_file_records_results_and_certificates(people: Cast) -> None:
    cls = ready(people)
    plan = file(people, cls)
    a, b, c = roster(cls)
    content = xlsx(
        [
            [a.person.id_number, a.person.name, "合格", 88.5, "2341000000123", ASSESS_ON, "四级/中级工"],
            [b.person.id_number, b.person.name, "不合格", 41, None, None, None],
            [c.person.id_number, c.person.name, "缺考", None, None, None, None],
        ]
    )
    written = results_import(plan=plan, actor=people.eve, content=content, filename="结果.xlsx")
    assert [r.outcome for r in written] == ["passed", "failed", "absent"]
    certificate = CertificateRecord.objects.get()
    assert (certificate.enrollment_id, certificate.number, certificate.level) == (a.pk, "2341000000123", 4)
    assert str(AssessmentResult.objects.get(enrollment=a).score) == "88.5"
    assert Enrollment.objects.get(pk=c.pk).assessed_on is None


def test_a_gbk_csv_file_is_read(people: Cast) -> None:
    cls = ready(people)
    plan = file(people, cls)
    a, b, _ = roster(cls)
    content = csv_gbk(
        [
            [a.person.id_number, a.person.name, "合格", "90", "GBK-001", "2023年5月30日", ""],
            [b.person.id_number, b.person.name, "缺考", "", "", "", ""],
        ]
    )
    results_import(plan=plan, actor=people.eve, content=content, filename="结果.csv")
    assert CertificateRecord.objects.get().issued_on.isoformat() == "2023-05-30"
    assert AssessmentResult.objects.count() == 2


def test_every_bad_row_of_the_file_is_named_and_nothing_is_written(people: Cast) -> None:
    cls = ready(people)
    plan = file(people, cls)
    a, b, c = roster(cls)
    stranger = ready(people, first=40)
    outsider = roster(stranger)[0].person
    content = xlsx(
        [
            [a.person.id_number, "别人", "合格", None, None, None, None],
            [b.person.id_number, b.person.name, "优秀", None, None, None, None],
            [outsider.id_number, outsider.name, "合格", None, None, None, None],
            [c.person.id_number, c.person.name, "合格", None, "C-1", None, None],
            [a.person.id_number, a.person.name, "合格", None, None, None, None],
        ]
    )
    with pytest.raises(InvalidInput) as refused:
        results_import(plan=plan, actor=people.eve, content=content, filename="结果.xlsx")
    messages = [f["message"] for f in refused.value.fields]
    assert messages[0].startswith("第2行 姓名")
    assert messages[1].startswith("第3行 考核结果")
    assert messages[2].startswith("第4行 身份证号") and mask_ric(outsider.id_number) in messages[2]
    assert messages[3].startswith("第5行 发证日期")
    assert messages[4].startswith("第6行 身份证号") and "与第2行重复" in messages[4]
    assert len(messages) == 5
    assert outsider.id_number not in str(messages)
    assert not AssessmentResult.objects.exists()


def test_a_file_row_with_a_taken_certificate_number_is_named_by_its_row_in_the_file(people: Cast) -> None:
    cls = ready(people)
    plan = file(people, cls)
    a, b, _ = roster(cls)
    content = xlsx(
        [
            [a.person.id_number, a.person.name, "合格", None, "SAME", ASSESS_ON, None],
            [b.person.id_number, b.person.name, "合格", None, "SAME", ASSESS_ON, None],
        ]
    )
    with pytest.raises(InvalidInput) as refused:
        results_import(plan=plan, actor=people.eve, content=content, filename="结果.xlsx")
    assert refused.value.fields[0]["message"].startswith("第3行 证书编号：SAME 与第2行重复")


def test_a_file_without_the_required_columns_is_refused(people: Cast) -> None:
    plan = file(people, ready(people))
    with pytest.raises(InvalidInput, match="1 处错误") as refused:
        results_import(plan=plan, actor=people.eve, content="姓名,成绩\r\n张三,90\r\n".encode(), filename="x.csv")
    assert "缺少必填列：身份证号、考核结果" in refused.value.fields[0]["message"]


def test_only_the_plans_evaluator_imports(people: Cast) -> None:
    plan = file(people, ready(people))
    with pytest.raises(NotPermitted):
        results_import(plan=plan, actor=people.alice, content=xlsx([]), filename="x.xlsx")


def test_the_template_has_the_columns_and_parses_back_as_an_empty_file() -> None:
    book = load_workbook(io.BytesIO(results_template()))
    sheet = book.active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    assert header[0] == "身份证号" and header[2].startswith("考核结果") and len(header) == len(HEADERS)
    assert "没有考核结果" in parse_results(results_template(), "模板.xlsx").errors[0].message


@pytest.mark.parametrize(
    ("text", "level"), [("四级", 4), ("4", 4), ("四级/中级工", 4), ("高级技师", 1), ("技师", 2), ("", None)]
)
def test_levels_are_read_as_written(text: str, level: int | None) -> None:
    assert parse_level(text) == level
