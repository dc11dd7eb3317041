"""Roster files: the template round-trips, and every bad row is named with its row number at once."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook, load_workbook

from jineng.classes.roster_io import COLUMNS, MAX_ROWS, parse_roster, roster_template_csv, roster_template_xlsx
from jineng.testing import make_ric

HEADERS = [c.header for c in COLUMNS]
ID1 = make_ric("411081", dt.date(1995, 3, 1), 1)
ID2 = make_ric("411081", dt.date(1996, 4, 2), 2)


def row(**values: object) -> list[object]:
    base: dict[str, object] = {
        "姓名": "王某",
        "身份证号": ID1,
        "人员类别": "失业人员",
        "培训意愿": "是",
        "就业意愿": "是",
        "就业能力": "是",
    }
    base.update({k: v for k, v in values.items()})
    return [base.get(h, "") for h in HEADERS]


def xlsx(rows: list[list[object]], headers: list[str] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(headers or HEADERS)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[object]], encoding: str) -> bytes:
    lines = [",".join(HEADERS)] + [",".join(str(v) for v in r) for r in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def test_the_xlsx_template_has_every_header_required_ones_starred_and_text_id_column() -> None:
    book = load_workbook(io.BytesIO(roster_template_xlsx()))
    sheet = book["花名册"]
    headers = [cell.value for cell in sheet[1]]
    assert headers[1:3] == ["姓名*", "身份证号*"]
    assert sheet.cell(row=2, column=3).number_format == "@"
    assert "填写说明" in book.sheetnames


def test_a_good_file_parses_every_row_with_its_details() -> None:
    data = xlsx(
        [row(), row(姓名="李某", 身份证号=ID2.lower(), 人员类别="在校学生", 学校类型="技工院校", 毕业年份=2023)]
    )
    result = parse_roster(data, "roster.xlsx")
    assert result.ok, result.errors
    first, second = result.rows
    assert (first.row_number, first.category, first.questionnaire) == (
        2,
        "unemployed",
        {"training_intent": True, "employment_intent": True, "employment_ability": True},
    )
    assert second.id_number == ID2.upper() and second.student == {
        "school_kind": "technical_school",
        "graduation_year": 2023,
    }


def test_every_bad_row_is_reported_with_its_row_number_and_reason_at_once() -> None:
    data = xlsx(
        [
            row(),
            row(姓名="", 人员类别="宇航员"),
            row(身份证号=41108119950301001),
            row(培训意愿="否", 就业意愿="", 就业能力=""),
            row(学校类型="普通高校"),
        ]
    )
    result = parse_roster(data, "roster.xlsx")
    assert not result.ok
    got = [(e.row_number, e.column) for e in result.errors]
    assert got == [
        (3, "姓名"),
        (3, "人员类别"),
        (4, "身份证号"),
        (5, "就业意愿"),
        (5, "就业能力"),
        (6, "毕业年份"),
    ]
    assert "文本" in result.errors[2].message and "宇航员" in result.errors[1].message


def test_missing_required_headers_are_named_together() -> None:
    result = parse_roster(xlsx([], headers=["序号", "手机号"]), "roster.xlsx")
    assert [(e.row_number, e.message) for e in result.errors] == [(1, "缺少必填列：姓名、身份证号、人员类别")]


def test_csv_from_wps_in_gb18030_and_excel_with_bom_both_read() -> None:
    for encoding in ("gb18030", "utf-8-sig"):
        result = parse_roster(csv_bytes([row()], encoding), "roster.csv")
        assert result.ok and result.rows[0].name == "王某"


def test_an_empty_file_a_binary_file_and_too_many_rows_are_refused() -> None:
    assert parse_roster(b"", "x.csv").errors[0].message == "文件为空"
    assert "不是 XLSX 或 CSV" in parse_roster(b"\x00\x01\x02", "x.doc").errors[0].message
    too_many = parse_roster(csv_bytes([row()] * (MAX_ROWS + 1), "utf-8"), "big.csv")
    assert f"最多导入 {MAX_ROWS} 行" in too_many.errors[0].message


def test_the_csv_template_opens_in_excel_with_a_bom_and_parses_as_an_empty_roster() -> None:
    data = roster_template_csv()
    assert data.startswith(b"\xef\xbb\xbf")
    assert parse_roster(data, "t.csv").errors[0].message == "文件中没有学员数据"
