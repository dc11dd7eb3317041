"""Roster files (花名册): the downloadable template, parsing an XLSX/CSV into roster rows, and export.

Pure: bytes in, rows and row errors out; no database. Every bad row is reported at once with its
row number (the header is row 1, the first trainee row 2) and the column, and the caller imports
only a file without errors (`ParseResult.ok`).

The parser refuses only what is structurally unusable: an empty name or ID, an unknown category
or school kind, a value that is not a date/year/是否, a dependent field missing (student, inmate,
questionnaire) — and an ID that the spreadsheet turned into a number, because its last digits are
already lost. A resident ID with a bad length or check digit, or one repeated in the file, is not a
parse error: that is TRN-IDENTITY's finding (see /work/shared/contracts/class-facts.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from jineng import tabular
from jineng.ids import normalise_ric

MAX_ROWS = 1000
SHEET_TITLE = "花名册"
GUIDE_TITLE = "填写说明"
NAME_MAX = 50  # registry.Person.name max_length

Kind = Literal["seq", "text", "id", "phone", "category", "school", "year", "code", "bool", "date"]

CATEGORY_LABELS: dict[str, str] = {
    "失业人员": "unemployed",
    "农民工": "migrant_worker",
    "脱贫人口": "poverty_relief",
    "离校未就业高校毕业生": "graduate",
    "在校学生": "student",
    "退役军人": "veteran",
    "残疾人": "disabled",
    "企业职工": "employee",
    "社区矫正人员": "community_correction",
    "戒毒人员": "detox",
    "服刑人员": "inmate",
    "其他": "other",
}
SCHOOL_LABELS: dict[str, str] = {
    "普通高校": "university",
    "特殊教育职业学校": "special_vocational",
    "技工院校": "technical_school",
    "中等职业学校": "vocational_school",
}
_CATEGORY_NAMES = {v: k for k, v in CATEGORY_LABELS.items()}
_SCHOOL_NAMES = {v: k for k, v in SCHOOL_LABELS.items()}
_YES = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "✔"})
_NO = frozenset({"否", "n", "no", "false", "0", "×", "✗", "✘"})


@dataclass(frozen=True)
class Column:
    """One roster column: `header` is what the template shows (without the required mark '*')."""

    key: str
    header: str
    required: bool
    kind: Kind
    help: str
    example: str
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    width: int = 12

    @property
    def label(self) -> str:
        """The header cell text: required columns are marked with '*'."""
        return f"{self.header}*" if self.required else self.header


_BOOL = ("是", "否")
COLUMNS: tuple[Column, ...] = (
    Column("seq", "序号", False, "seq", "可留空，导入时忽略", "1", aliases=("编号",), width=6),
    Column("name", "姓名", True, "text", "与身份证一致", "王某", width=12),
    Column(
        "id_number",
        "身份证号",
        True,
        "id",
        "18 位居民身份证号，末位 X 大写（小写 x 自动转为 X）；本列须为“文本”格式，否则后几位会丢失",
        "411081199001011234",
        aliases=("身份证号码", "公民身份号码", "证件号码"),
        width=22,
    ),
    Column(
        "phone",
        "手机号",
        False,
        "phone",
        "选填；填写时为以 1 开头的 11 位手机号",
        "13812345678",
        aliases=("手机号码", "联系电话"),
        width=15,
    ),
    Column(
        "category",
        "人员类别",
        True,
        "category",
        "从下拉列表选择",
        "失业人员",
        choices=tuple(CATEGORY_LABELS),
        width=22,
    ),
    Column(
        "school_kind",
        "学校类型",
        False,
        "school",
        "在校学生填写；与毕业年份须同时填写",
        "技工院校",
        choices=tuple(SCHOOL_LABELS),
        width=18,
    ),
    Column("graduation_year", "毕业年份", False, "year", "在校学生填写（4 位年份）；与学校类型须同时填写", "2023"),
    Column(
        "post_occupation",
        "岗位职业编码",
        False,
        "code",
        "企业职工填写现岗位的职业编码（4 段，如 6-18-01-01）",
        "6-18-01-01",
        width=16,
    ),
    Column("transfer", "是否转岗", False, "bool", "企业职工填写；须同时填写岗位职业编码，留空视为“否”", "否", _BOOL),
    Column(
        "trained_during_sentence",
        "刑期内是否参加过培训",
        False,
        "bool",
        "服刑人员填写；服刑人员三项须同时填写",
        "否",
        _BOOL,
        width=22,
    ),
    Column("eligible_next_level", "是否符合晋级条件", False, "bool", "服刑人员填写", "是", _BOOL, width=18),
    Column("release_date", "释放日期", False, "date", "服刑人员填写，格式 YYYY-MM-DD", "2024-06-30", width=13),
    Column("training_intent", "培训意愿", False, "bool", "开班前问卷；问卷三项全部填写或全部留空", "是", _BOOL),
    Column("employment_intent", "就业意愿", False, "bool", "开班前问卷", "是", _BOOL),
    Column("employment_ability", "就业能力", False, "bool", "开班前问卷", "是", _BOOL),
)
_COLUMN = {c.key: c for c in COLUMNS}
_ORDER = {c.header: i for i, c in enumerate(COLUMNS)}
_STUDENT_KEYS = ("school_kind", "graduation_year")
_INMATE_KEYS = ("trained_during_sentence", "eligible_next_level", "release_date")
_SURVEY_KEYS = ("training_intent", "employment_intent", "employment_ability")
_TEXT_KINDS = frozenset({"id", "phone", "code"})

_CODE = re.compile(r"\d-\d{2}-\d{2}-\d{2}\Z")
_PHONE = re.compile(r"1\d{10}\Z")
_SCIENTIFIC = re.compile(r"\d+(\.\d+)?E\+?\d+\Z")
_YEAR = re.compile(r"(\d{4})(\.0+|年)?\Z")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(\s+0{1,2}:00(:00)?)?\Z")
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})\Z")
_SPACE = re.compile(r"\s+")


# ── results ───────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class RowError:
    """A problem in the file: `row_number` 0 is the file as a whole, 1 the header row."""

    row_number: int
    column: str
    message: str


@dataclass(frozen=True)
class RosterRow:
    row_number: int
    id_number: str
    name: str
    phone: str
    category: str
    student: dict[str, Any] | None
    employee: dict[str, Any] | None
    inmate: dict[str, Any] | None
    questionnaire: dict[str, bool] | None

    def as_trainee_facts(self) -> dict[str, Any]:
        """The contract's trainee object without `previous_trainings` (the caller adds those)."""
        return {
            "id_number": self.id_number,
            "name": self.name,
            "category": self.category,
            "student": dict(self.student) if self.student is not None else None,
            "employee": dict(self.employee) if self.employee is not None else None,
            "inmate": dict(self.inmate) if self.inmate is not None else None,
            "questionnaire": dict(self.questionnaire) if self.questionnaire is not None else None,
        }


@dataclass
class ParseResult:
    """`rows` holds the good rows even when some are bad: import only when `ok`."""

    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# ── parsing ───────────────────────────────────────────────────────────────────────────────────


_BY_HEADER: dict[str, Column] = {tabular.header_key(name): c for c in COLUMNS for name in (c.header, *c.aliases)}


def _positions(header: Sequence[Any]) -> tuple[dict[str, int], list[RowError]]:
    positions: dict[str, int] = {}
    duplicates: dict[str, list[int]] = {}
    for index, value in enumerate(header):
        column = _BY_HEADER.get(tabular.header_key(value))
        if column is None:
            continue  # extra columns are ignored
        if column.key in positions:
            duplicates.setdefault(column.header, [positions[column.key]]).append(index)
        else:
            positions[column.key] = index
    errors: list[RowError] = []
    missing = [c.header for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        names = "、".join(missing)
        errors.append(RowError(1, names, f"缺少必填列：{names}（表头须在第 1 行，可从下载的模板复制）"))
    for header_name, indexes in duplicates.items():
        where = "、".join(f"第 {get_column_letter(i + 1)} 列" for i in indexes)
        errors.append(RowError(1, header_name, f"表头“{header_name}”出现了多次（{where}），只能保留一列"))
    return positions, errors


def parse_roster(data: bytes, filename: str) -> ParseResult:
    """Parse a roster file (XLSX detected by content, else CSV in UTF-8 or GB18030): all errors at once."""
    try:
        table = tabular.read_table(data, filename, sheet=SHEET_TITLE, max_rows=MAX_ROWS)
    except tabular.FileProblem as problem:
        return ParseResult(errors=[RowError(0, "", problem.message)])
    if table.header is None:
        return ParseResult(errors=[RowError(0, "", "文件为空：第 1 行应为表头，从第 2 行起每行一名学员")])
    positions, header_errors = _positions(table.header)
    if header_errors:
        return ParseResult(errors=header_errors)
    if table.too_many:
        return ParseResult(
            errors=[RowError(0, "", f"一次最多导入 {MAX_ROWS} 行学员，本文件超过 {MAX_ROWS} 行：请分成几个文件导入")]
        )
    if not table.body:
        return ParseResult(errors=[RowError(0, "", "文件中没有学员数据：表头下面（从第 2 行起）每行填写一名学员")])
    result = ParseResult()
    items = list(positions.items())
    for row_number, cells in table.body:
        size = len(cells)
        values = {key: cells[i] if i < size else None for key, i in items}
        parsed = _RowParser(row_number, values).parse()
        if isinstance(parsed, RosterRow):
            result.rows.append(parsed)
        else:
            result.errors.extend(parsed)
    result.errors.sort(key=lambda e: (e.row_number, _ORDER.get(e.column, -1)))
    return result


class _RowParser:
    """One data row: each reader records its own error, so every problem of the row is reported."""

    def __init__(self, row_number: int, values: dict[str, Any]) -> None:
        self.n = row_number
        self.values = values
        self.errors: list[RowError] = []

    def bad(self, key: str, message: str) -> None:
        self.errors.append(RowError(self.n, _COLUMN[key].header, message))

    def given(self, key: str) -> bool:
        return tabular.filled(self.values.get(key))

    def boolean(self, key: str) -> bool | None:
        text = tabular.compact(self.values.get(key))
        if not text:
            return None
        if text.lower() in _YES:
            return True
        if text.lower() in _NO:
            return False
        self.bad(key, f"“{text}”无法识别：应填 是 或 否")
        return None

    def choice(self, key: str, labels: dict[str, str], what: str) -> str | None:
        text = _SPACE.sub("", tabular.text(self.values.get(key), fold=True))
        if not text:
            return None
        value = labels.get(text) or (text if text in labels.values() else None)
        if value is None:
            self.bad(key, f"“{text}”不是有效的{what}，应为：{'、'.join(labels)}")
        return value

    def parse(self) -> RosterRow | list[RowError]:
        name = tabular.text(self.values.get("name"))
        if not name:
            self.bad("name", "姓名为必填项")
        elif len(name) > NAME_MAX:
            self.bad("name", f"姓名“{name[:20]}…”超过 {NAME_MAX} 个字")
        id_number = self.id_number()
        phone = self.phone()
        category = self.choice("category", CATEGORY_LABELS, "人员类别")
        if category is None and not self.given("category"):
            self.bad("category", f"人员类别为必填项，应为：{'、'.join(CATEGORY_LABELS)}")
        student = self.student()
        employee = self.employee()
        inmate = self.inmate()
        questionnaire = self.questionnaire()
        if self.errors or category is None:
            return self.errors
        return RosterRow(self.n, id_number, name, phone, category, student, employee, inmate, questionnaire)

    def id_number(self) -> str:
        raw = self.values.get("id_number")
        text = tabular.compact(raw)
        if (isinstance(raw, int | float) and not isinstance(raw, bool)) or _SCIENTIFIC.match(text.upper()):
            self.bad(
                "id_number",
                f"身份证号“{text}”被表格软件存成了数字，末几位已丢失：请把“身份证号”列设为“文本”格式后重新输入",
            )
            return ""
        if not text:
            self.bad("id_number", "身份证号为必填项")
            return ""
        return normalise_ric(text)  # a final x read as X; length and check digit are TRN-IDENTITY's

    def phone(self) -> str:
        text = tabular.compact(self.values.get("phone")).replace("-", "")
        text = text.removeprefix("+86")
        if text and not _PHONE.match(text):
            self.bad("phone", f"手机号“{text}”应为以 1 开头的 11 位数字（可留空）")
        return text

    def year(self, key: str) -> int | None:
        raw = self.values.get(key)
        if isinstance(raw, dt.date):
            return raw.year
        text = tabular.compact(raw)
        match = _YEAR.match(text)
        if match and 1900 <= int(match.group(1)) <= 2100:
            return int(match.group(1))
        if text:
            self.bad(key, f"“{text}”不是有效的年份：应为 4 位数字，如 2023")
        return None

    def date(self, key: str) -> dt.date | None:
        raw = self.values.get(key)
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        text = tabular.text(raw, fold=True)
        if not text:
            return None
        match = _DATE.match(text) or _DATE_COMPACT.match(text)
        if match:
            try:
                return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                self.bad(key, f"“{text}”不是存在的日期")
                return None
        self.bad(key, f"“{text}”不是有效的日期：应为 YYYY-MM-DD，如 2024-06-30")
        return None

    def missing(self, keys: Sequence[str], message: str) -> None:
        """When some of a group of fields is given, every missing one is named."""
        if not any(self.given(k) for k in keys):
            return
        missing = [k for k in keys if not self.given(k)]
        names = "、".join(_COLUMN[k].header for k in missing)
        for key in missing:
            self.bad(key, f"{message}：缺少{names}")

    def student(self) -> dict[str, Any] | None:
        school = self.choice("school_kind", SCHOOL_LABELS, "学校类型")
        year = self.year("graduation_year")
        self.missing(_STUDENT_KEYS, "在校学生的学校类型和毕业年份须同时填写")
        if school is None or year is None:
            return None
        return {"school_kind": school, "graduation_year": year}

    def employee(self) -> dict[str, Any] | None:
        code = tabular.compact(self.values.get("post_occupation")).replace("—", "-").replace("–", "-")
        transfer = self.boolean("transfer")
        if not code:
            if transfer is not None:
                self.bad("post_occupation", "填写了“是否转岗”时，岗位职业编码为必填项（如 6-18-01-01）")
            return None
        if not _CODE.match(code):
            self.bad("post_occupation", f"“{code}”不是职业编码：应为 4 段编码，如 6-18-01-01")
            return None
        if transfer is None and self.given("transfer"):
            return None  # the bad 是否转岗 value is reported
        return {"post_occupation": code, "post_class_code": code.rsplit("-", 1)[0], "transfer": bool(transfer)}

    def inmate(self) -> dict[str, Any] | None:
        trained = self.boolean("trained_during_sentence")
        eligible = self.boolean("eligible_next_level")
        release = self.date("release_date")
        self.missing(_INMATE_KEYS, "服刑人员的三项信息须全部填写")
        if trained is None or eligible is None or release is None:
            return None
        return {
            "trained_during_sentence": trained,
            "eligible_next_level": eligible,
            "release_date": release.isoformat(),
        }

    def questionnaire(self) -> dict[str, bool] | None:
        answers = {key: self.boolean(key) for key in _SURVEY_KEYS}
        self.missing(_SURVEY_KEYS, "开班前问卷三项须全部填写或全部留空")
        if any(v is None for v in answers.values()):
            return None  # none given: CLS-SURVEY fires; some given: reported above
        return {k: bool(v) for k, v in answers.items()}


# ── writing ───────────────────────────────────────────────────────────────────────────────────

_HEADER_FONT = Font(bold=True)
_REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")
_OPTIONAL_FILL = PatternFill("solid", fgColor="EDEDED")
_NUMBER_FORMAT: dict[Kind, str] = {"id": "@", "phone": "@", "code": "@", "date": "yyyy-mm-dd"}


def _validation(column: Column, cells: str) -> DataValidation | None:
    if column.choices:
        rule = DataValidation(
            type="list",
            formula1='"' + ",".join(column.choices) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=column.header,
            error=f"请从下拉列表中选择：{'、'.join(column.choices)}",
        )
    elif column.kind == "id":
        rule = DataValidation(
            type="textLength",
            operator="equal",
            formula1="18",
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="warning",
            errorTitle=column.header,
            error="居民身份证号应为 18 位（本列为文本格式）",
        )
    elif column.kind == "phone":
        rule = DataValidation(
            type="textLength",
            operator="equal",
            formula1="11",
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="warning",
            errorTitle=column.header,
            error="手机号应为 11 位",
        )
    elif column.kind == "year":
        rule = DataValidation(
            type="whole",
            operator="between",
            formula1="1900",
            formula2="2100",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=column.header,
            error="请填写 4 位年份，如 2023",
        )
    else:
        return None
    rule.add(cells)
    return rule


def _roster_sheet(sheet: Worksheet, rows: list[list[Any]]) -> None:
    sheet.title = SHEET_TITLE
    last = max(MAX_ROWS, len(rows)) + 1
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=column.label)
        cell.font = _HEADER_FONT
        cell.fill = _REQUIRED_FILL if column.required else _OPTIONAL_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        dimension = sheet.column_dimensions[letter]
        dimension.width = max(column.width, len(column.label) * 2 + 2)
        number_format = _NUMBER_FORMAT.get(column.kind)
        if number_format:  # a column style: cells typed later in Excel/WPS keep it (18 digits stay text)
            dimension.number_format = number_format
        rule = _validation(column, f"{letter}2:{letter}{last}")
        if rule is not None:
            sheet.add_data_validation(rule)
    for r, values in enumerate(rows, start=2):
        for index, (column, value) in enumerate(zip(COLUMNS, values, strict=True), start=1):
            cell = sheet.cell(row=r, column=index, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # a value, never a formula
            number_format = _NUMBER_FORMAT.get(column.kind)
            if number_format:
                cell.number_format = number_format
    sheet.freeze_panes = "A2"


def _guide_sheet(sheet: Worksheet) -> None:
    sheet.title = GUIDE_TITLE
    sheet.append(["列名", "是否必填", "填写说明", "可选值", "示例"])
    for cell in sheet[1]:
        cell.font = _HEADER_FONT
    for column in COLUMNS:
        allowed = "、".join(column.choices)
        if column.kind == "category":
            allowed += "（也可填英文代码：" + "、".join(CATEGORY_LABELS.values()) + "）"
        sheet.append([column.label, "必填" if column.required else "选填", column.help, allowed, column.example])
    notes = (
        "带 * 的列为必填列；第 1 行为表头，请勿修改或删除，从第 2 行起每行填写一名学员。",
        f"一个文件最多 {MAX_ROWS} 名学员；导入时所有有误的行会一次列出（行号与表格行号一致），全部改正后才会导入。",
        "身份证号、手机号、岗位职业编码列已设为“文本”格式；"
        "从其他表格粘贴时请用“选择性粘贴—数值”，以免 18 位号码被改成数字。",
        "在校学生填写学校类型和毕业年份；企业职工填写岗位职业编码和是否转岗；服刑人员填写其三项信息；不适用的列留空。",
        "开班前问卷（培训意愿、就业意愿、就业能力）三项全部填写或全部留空；留空表示尚未做问卷。",
        "保存为 .xlsx，或另存为 CSV（UTF-8 或 GBK 编码均可）。",
    )
    sheet.append([])
    sheet.append(["说明"])
    sheet.cell(row=sheet.max_row, column=1).font = _HEADER_FONT
    for number, note in enumerate(notes, start=1):
        sheet.append([f"{number}. {note}"])
    for letter, width in zip("ABCDE", (24, 10, 60, 60, 22), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2, max_row=len(COLUMNS) + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"


def _book(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    _roster_sheet(sheet, rows)
    _guide_sheet(book.create_sheet(GUIDE_TITLE))
    book.active = 0
    return tabular.xlsx_bytes(book)


def roster_template_xlsx() -> bytes:
    """The empty XLSX template: header row, 填写说明 sheet, text-formatted ID/phone, dropdowns."""
    return _book([])


def roster_template_csv() -> bytes:
    """The CSV template: the header line in UTF-8 with a BOM, so Excel opens the Chinese correctly."""
    return _csv([])


def _yes_no(value: Any) -> str:
    return "" if value is None else ("是" if value else "否")


def _cells(row: RosterRow, seq: int) -> list[Any]:
    student, employee, inmate, survey = row.student or {}, row.employee or {}, row.inmate or {}, row.questionnaire or {}
    release = inmate.get("release_date")
    if isinstance(release, str) and release:
        release = dt.date.fromisoformat(release)
    return [
        seq,
        row.name,
        row.id_number,
        row.phone,
        _CATEGORY_NAMES.get(row.category, row.category),
        _SCHOOL_NAMES.get(student.get("school_kind", ""), student.get("school_kind", "")),
        student.get("graduation_year"),
        employee.get("post_occupation", ""),
        _yes_no(employee.get("transfer")),
        _yes_no(inmate.get("trained_during_sentence")),
        _yes_no(inmate.get("eligible_next_level")),
        release,
        _yes_no(survey.get("training_intent")),
        _yes_no(survey.get("employment_intent")),
        _yes_no(survey.get("employment_ability")),
    ]


def roster_to_xlsx(rows: list[RosterRow]) -> bytes:
    """Export rows in the template's layout; `parse_roster` reads the file back to the same rows."""
    return _book([_cells(row, i) for i, row in enumerate(rows, start=1)])


def _csv(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.label for c in COLUMNS])
    for values in rows:
        writer.writerow([tabular.csv_text(v) for v in values])  # formula-like text neutralised
    return buffer.getvalue().encode("utf-8-sig")


def roster_to_csv(rows: list[RosterRow]) -> bytes:
    """Export rows as a UTF-8 (BOM) CSV in the template's layout."""
    return _csv([_cells(row, i) for i, row in enumerate(rows, start=1)])
