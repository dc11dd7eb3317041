"""Roster files: the template round-trips, and every bad row is named with its row number at once."""

from __future__ import annotations

import datetime as dt
import io
import time
import zipfile

from openpyxl import Workbook, load_workbook

from jineng.classes.roster_io import (
    COLUMNS,
    MAX_ROWS,
    RosterRow,
    parse_roster,
    roster_template_csv,
    roster_template_xlsx,
    roster_to_csv,
    roster_to_xlsx,
)
from jineng.testing import make_ric

HEADERS = [c.header for c in COLUMNS]
ID1 = make_ric("411081", dt.date(1995, 3, 1), 1)
ID2 = make_ric("411081", dt.date(1996, 4, 2), 2)
ID_X = next(n for n in (make_ric("411081", dt.date(1990, 1, 1), s) for s in range(200)) if n.endswith("X"))
SURVEY_YES = {"training_intent": True, "employment_intent": True, "employment_ability": True}


def row(**values: object) -> list[object]:
    """One data row in template column order; keyword names are the Chinese headers."""
    base: dict[str, object] = {
        "姓名": "王某",
        "身份证号": ID1,
        "人员类别": "失业人员",
        "培训意愿": "是",
        "就业意愿": "是",
        "就业能力": "是",
    }
    base.update(values)
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


def errors_of(data: bytes, filename: str = "roster.xlsx") -> list[tuple[int, str]]:
    return [(e.row_number, e.column) for e in parse_roster(data, filename).errors]


# ── the template ──────────────────────────────────────────────────────────────────────────────


def test_the_xlsx_template_stars_required_headers_keeps_ids_as_text_and_explains_every_column() -> None:
    book = load_workbook(io.BytesIO(roster_template_xlsx()))
    assert book.sheetnames == ["花名册", "填写说明"]
    sheet = book["花名册"]
    assert [cell.value for cell in sheet[1]] == [c.label for c in COLUMNS]
    assert [cell.value for cell in sheet[1]][1:5] == ["姓名*", "身份证号*", "手机号", "人员类别*"]
    assert sheet.max_row == 1 and sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["C"].number_format == "@"  # 身份证号
    assert sheet.column_dimensions["D"].number_format == "@"  # 手机号
    assert sheet.column_dimensions["C"].width >= 20
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation if v.type == "list"}
    assert "失业人员" in lists["E2"] and "技工院校" in lists["F2"] and lists["I2"] == '"是,否"'
    guide = {r[0]: r for r in book["填写说明"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert guide["身份证号*"][1] == "必填" and "文本" in guide["身份证号*"][2]
    assert guide["学校类型"][1] == "选填" and "中等职业学校" in guide["学校类型"][3]
    assert guide["岗位职业编码"][4] == "6-18-01-01"


def test_the_template_filled_in_with_a_spreadsheet_program_parses_back() -> None:
    book = load_workbook(io.BytesIO(roster_template_xlsx()))
    sheet = book["花名册"]
    filled = [
        row(序号=1),
        row(序号=2, 姓名="李某", 身份证号=ID2, 人员类别="在校学生", 学校类型="技工院校", 毕业年份=2023),
        row(序号=3, 姓名="赵某", 人员类别="企业职工", 岗位职业编码="6-18-01-01", 是否转岗="否"),
        row(
            序号=4,
            姓名="钱某",
            人员类别="服刑人员",
            刑期内是否参加过培训="否",
            是否符合晋级条件="是",
            释放日期=dt.datetime(2024, 6, 30),
            培训意愿="",
            就业意愿="",
            就业能力="",
        ),
    ]
    for r, values in enumerate(filled, start=2):
        for c, value in enumerate(values, start=1):
            sheet.cell(row=r, column=c, value=value)
    out = io.BytesIO()
    book.save(out)
    result = parse_roster(out.getvalue(), "花名册.xlsx")
    assert result.ok, result.errors
    first, student, employee, inmate = result.rows
    assert [r.row_number for r in result.rows] == [2, 3, 4, 5]
    assert first.as_trainee_facts() == {
        "id_number": ID1,
        "name": "王某",
        "category": "unemployed",
        "student": None,
        "employee": None,
        "inmate": None,
        "questionnaire": SURVEY_YES,
    }
    assert student.student == {"school_kind": "technical_school", "graduation_year": 2023}
    assert employee.employee == {"post_occupation": "6-18-01-01", "post_class_code": "6-18-01", "transfer": False}
    assert inmate.as_trainee_facts()["inmate"] == {
        "trained_during_sentence": False,
        "eligible_next_level": True,
        "release_date": "2024-06-30",
    }
    assert inmate.questionnaire is None  # nothing answered: CLS-SURVEY's business, not a parse error


def test_the_csv_template_opens_in_excel_with_a_bom_and_parses_as_an_empty_roster() -> None:
    data = roster_template_csv()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines()[0].split(",") == [c.label for c in COLUMNS]
    result = parse_roster(data, "t.csv")
    assert [(e.row_number, e.message[:9]) for e in result.errors] == [(0, "文件中没有学员数据")]


# ── reporting every bad row ───────────────────────────────────────────────────────────────────


def test_every_bad_row_is_reported_with_its_row_number_and_reason_at_once() -> None:
    data = xlsx(
        [
            row(),
            row(姓名="", 人员类别="宇航员"),
            row(身份证号=41108119950301001),
            row(姓名="李某", 身份证号=ID2),
            row(培训意愿="否", 就业意愿="", 就业能力="", 手机号="12345"),
        ]
    )
    result = parse_roster(data, "roster.xlsx")
    assert not result.ok
    assert [(e.row_number, e.column) for e in result.errors] == [
        (3, "姓名"),
        (3, "人员类别"),
        (4, "身份证号"),
        (6, "手机号"),
        (6, "就业意愿"),
        (6, "就业能力"),
    ]
    assert "宇航员" in result.errors[1].message and "文本" in result.errors[2].message
    assert "12345" in result.errors[3].message
    assert [r.row_number for r in result.rows] == [2, 5]  # the good rows, for display only: not ok


def test_errors_are_sorted_by_row_and_then_by_column_order() -> None:
    data = xlsx([row(是否转岗="也许", 岗位职业编码="618", 姓名="", 释放日期="明年"), row(手机号="1")])
    assert errors_of(data) == [
        (2, "姓名"),
        (2, "岗位职业编码"),
        (2, "是否转岗"),
        (2, "刑期内是否参加过培训"),
        (2, "是否符合晋级条件"),
        (2, "释放日期"),
        (3, "手机号"),
    ]


def test_fully_empty_rows_are_skipped_and_row_numbers_stay_those_of_the_sheet() -> None:
    result = parse_roster(xlsx([row(), [None] * len(HEADERS), ["", "  "], row(身份证号=ID2, 姓名="")]), "r.xlsx")
    assert [(e.row_number, e.column) for e in result.errors] == [(5, "姓名")]
    assert [r.row_number for r in result.rows] == [2]


def test_a_bad_check_digit_or_a_repeated_id_is_left_to_the_rules() -> None:
    bad_check = ID1[:-1] + ("0" if ID1[-1] != "0" else "1")
    result = parse_roster(xlsx([row(身份证号=bad_check), row(身份证号=bad_check), row(身份证号="12345")]), "r.xlsx")
    assert result.ok and [r.id_number for r in result.rows] == [bad_check, bad_check, "12345"]


# ── headers ───────────────────────────────────────────────────────────────────────────────────


def test_missing_required_headers_are_named_together_in_one_error_on_row_1() -> None:
    result = parse_roster(xlsx([["1", "13812345678"]], headers=["序号", "手机号"]), "roster.xlsx")
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.row_number == 1 and error.message.startswith("缺少必填列：姓名、身份证号、人员类别")


def test_a_header_with_a_trailing_star_and_spaces_matches_in_any_order_and_extra_columns_are_ignored() -> None:
    headers = ["备注", " 人员类别 * ", "身份证号＊", "姓 名\n*", "培训意愿", "就业意愿", "就业能力"]
    data = xlsx([["老学员", "农民工", ID1, "王某", "是", "否", "是"]], headers=headers)
    result = parse_roster(data, "r.xlsx")
    assert result.ok, result.errors
    assert (result.rows[0].name, result.rows[0].category, result.rows[0].questionnaire) == (
        "王某",
        "migrant_worker",
        {"training_intent": True, "employment_intent": False, "employment_ability": True},
    )


def test_a_column_given_twice_in_the_header_is_refused() -> None:
    result = parse_roster(
        xlsx([[ID1, "王某", "失业人员", ID2]], headers=["身份证号", "姓名", "人员类别", "身份证号码"]), "r"
    )
    assert [(e.row_number, e.column) for e in result.errors] == [(1, "身份证号")]
    assert "第 A 列" in result.errors[0].message and "第 D 列" in result.errors[0].message


# ── values ────────────────────────────────────────────────────────────────────────────────────


def test_csv_from_wps_in_gb18030_and_from_excel_with_a_bom_both_read() -> None:
    for encoding in ("gb18030", "utf-8-sig", "utf-8"):
        result = parse_roster(csv_bytes([row(), row(身份证号=ID2, 人员类别="脱贫人口")], encoding), "roster.csv")
        assert result.ok, (encoding, result.errors)
        assert [(r.name, r.category) for r in result.rows] == [("王某", "unemployed"), ("王某", "poverty_relief")]


def test_an_id_typed_as_a_number_is_refused_with_advice_to_format_the_column_as_text() -> None:
    for data, name in (
        (xlsx([row(身份证号=411081199503010011)]), "r.xlsx"),
        (csv_bytes([row(身份证号="4.11081E+17")], "utf-8"), "r.csv"),
    ):
        result = parse_roster(data, name)
        assert [(e.row_number, e.column) for e in result.errors] == [(2, "身份证号")]
        assert "数字" in result.errors[0].message and "文本" in result.errors[0].message


def test_a_lowercase_final_x_spaces_and_full_width_digits_in_an_id_are_normalised() -> None:
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in ID2)
    data = xlsx([row(身份证号=f" {ID_X[:6]} {ID_X[6:].lower()} "), row(身份证号=full_width), row(身份证号=f"'{ID1}")])
    result = parse_roster(data, "r.xlsx")
    assert result.ok, result.errors
    assert [r.id_number for r in result.rows] == [ID_X, ID2, ID1]


def test_an_empty_id_or_name_is_required() -> None:
    result = parse_roster(xlsx([row(身份证号="", 姓名=" ")]), "r.xlsx")
    assert [(e.column, e.message) for e in result.errors] == [
        ("姓名", "姓名为必填项"),
        ("身份证号", "身份证号为必填项"),
    ]


def test_a_partial_questionnaire_names_the_missing_answers_and_an_empty_one_is_left_to_cls_survey() -> None:
    result = parse_roster(xlsx([row(就业意愿="", 就业能力=""), row(培训意愿="", 就业意愿="", 就业能力="")]), "r.xlsx")
    assert [(e.row_number, e.column) for e in result.errors] == [(2, "就业意愿"), (2, "就业能力")]
    assert "就业意愿、就业能力" in result.errors[0].message and "全部留空" in result.errors[0].message
    assert [(r.row_number, r.questionnaire) for r in result.rows] == [(3, None)]


def test_a_student_needs_both_the_school_kind_and_the_graduation_year() -> None:
    data = xlsx(
        [
            row(学校类型="普通高校"),
            row(毕业年份=2024),
            row(学校类型="幼儿园", 毕业年份="明年"),
            row(学校类型="vocational_school", 毕业年份="2024年"),
        ]
    )
    result = parse_roster(data, "r.xlsx")
    assert [(e.row_number, e.column) for e in result.errors] == [
        (2, "毕业年份"),
        (3, "学校类型"),
        (4, "学校类型"),
        (4, "毕业年份"),
    ]
    assert "学校类型和毕业年份须同时填写" in result.errors[0].message
    assert "幼儿园" in result.errors[2].message and "中等职业学校" in result.errors[2].message
    assert result.rows[0].student == {"school_kind": "vocational_school", "graduation_year": 2024}


def test_an_unknown_category_is_named_with_the_allowed_labels_and_english_codes_are_accepted() -> None:
    result = parse_roster(xlsx([row(人员类别="学生"), row(人员类别="veteran"), row(人员类别="")]), "r.xlsx")
    first, empty = result.errors
    assert (first.row_number, first.column) == (2, "人员类别")
    assert "“学生”" in first.message and "在校学生" in first.message and "其他" in first.message
    assert (empty.row_number, empty.message[:7]) == (4, "人员类别为必填")
    assert [r.category for r in result.rows] == ["veteran"]


def test_an_inmate_needs_all_three_fields_and_a_real_release_date() -> None:
    data = xlsx(
        [
            row(刑期内是否参加过培训="否"),
            row(刑期内是否参加过培训="否", 是否符合晋级条件="是", 释放日期="2023-02-30"),
            row(刑期内是否参加过培训="否", 是否符合晋级条件="是", 释放日期="2024/6/30"),
        ]
    )
    result = parse_roster(data, "r.xlsx")
    assert [(e.row_number, e.column) for e in result.errors] == [
        (2, "是否符合晋级条件"),
        (2, "释放日期"),
        (3, "释放日期"),
    ]
    assert "是否符合晋级条件、释放日期" in result.errors[0].message and "2023-02-30" in result.errors[2].message
    assert result.rows[0].inmate == {
        "trained_during_sentence": False,
        "eligible_next_level": True,
        "release_date": "2024-06-30",
    }


def test_an_employee_post_code_gives_its_class_code_and_a_transfer_needs_the_code() -> None:
    data = xlsx([row(岗位职业编码="6-18-01-01", 是否转岗="是"), row(是否转岗="是"), row(岗位职业编码="6-18")])
    result = parse_roster(data, "r.xlsx")
    assert result.rows[0].employee == {"post_occupation": "6-18-01-01", "post_class_code": "6-18-01", "transfer": True}
    assert [(e.row_number, e.column) for e in result.errors] == [(3, "岗位职业编码"), (4, "岗位职业编码")]
    assert "“6-18”" in result.errors[1].message


def test_a_phone_is_optional_but_eleven_digits_starting_with_1_when_given() -> None:
    result = parse_roster(xlsx([row(手机号=13812345678), row(手机号=""), row(手机号="23812345678")]), "r.xlsx")
    assert [r.phone for r in result.rows] == ["13812345678", ""]
    assert [(e.row_number, e.column) for e in result.errors] == [(4, "手机号")]


# ── the file as a whole ───────────────────────────────────────────────────────────────────────


def test_an_empty_file_is_refused() -> None:
    for data in (b"", b"  \r\n", b"\xef\xbb\xbf"):
        result = parse_roster(data, "x.csv")
        assert [e.row_number for e in result.errors] == [0] and "文件为空" in result.errors[0].message


def test_a_file_that_is_not_a_spreadsheet_is_refused() -> None:
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    for data, name in (
        (b"\x00\x01\x02\x03", "x.doc"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "x.pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "x.png"),
        (b"<html><table><tr><td>\xe5\xa7\x93\xe5\x90\x8d</td></tr></table></html>", "x.xls"),
    ):
        errors = parse_roster(data, name).errors
        assert [e.row_number for e in errors] == [0] and "不是 XLSX 或 CSV" in errors[0].message, name
    broken = parse_roster(docx.getvalue(), "x.docx").errors
    assert [e.row_number for e in broken] == [0] and "无法作为 XLSX 读取" in broken[0].message
    old = parse_roster(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "x.xls").errors
    assert "另存为" in old[0].message and ".xls" in old[0].message


def test_more_than_1000_rows_are_refused_and_exactly_1000_parse_quickly() -> None:
    too_many = parse_roster(csv_bytes([row()] * (MAX_ROWS + 1), "utf-8"), "big.csv")
    assert [e.row_number for e in too_many.errors] == [0]
    assert f"最多导入 {MAX_ROWS} 行" in too_many.errors[0].message
    ids = [make_ric("411081", dt.date(1980, 1, 1) + dt.timedelta(days=i), i) for i in range(MAX_ROWS)]
    data = xlsx([row(姓名=f"学员{i}", 身份证号=n, 手机号=f"139{i:08d}") for i, n in enumerate(ids)])
    started = time.perf_counter()
    result = parse_roster(data, "full.xlsx")
    assert result.ok and len(result.rows) == MAX_ROWS and result.rows[-1].row_number == MAX_ROWS + 1
    assert time.perf_counter() - started < 5


# ── export ────────────────────────────────────────────────────────────────────────────────────


def roster_rows() -> list[RosterRow]:
    return [
        RosterRow(2, ID1, "王某", "13812345678", "unemployed", None, None, None, SURVEY_YES),
        RosterRow(
            3, ID2, "=李某", "", "student", {"school_kind": "university", "graduation_year": 2023}, None, None, None
        ),
        RosterRow(
            4,
            ID_X,
            "赵某",
            "",
            "employee",
            None,
            {"post_occupation": "6-18-01-01", "post_class_code": "6-18-01", "transfer": True},
            {"trained_during_sentence": False, "eligible_next_level": True, "release_date": "2024-06-30"},
            {"training_intent": True, "employment_intent": False, "employment_ability": False},
        ),
    ]


def test_an_exported_roster_parses_back_to_the_same_rows() -> None:
    rows = roster_rows()
    exported = roster_to_xlsx(rows)
    sheet = load_workbook(io.BytesIO(exported))["花名册"]
    assert sheet.cell(row=2, column=3).number_format == "@" and sheet.cell(row=3, column=2).value == "=李某"
    back = parse_roster(exported, "export.xlsx")
    assert back.ok, back.errors
    assert back.rows == rows
    via_csv = parse_roster(roster_to_csv(rows), "export.csv")
    assert via_csv.ok and via_csv.rows == rows
