"""Result files (考核结果): the downloadable template and parsing an XLSX/CSV into result rows.

Pure: bytes in, rows and row errors out; no database. The header is row 1, the first trainee row 2,
and every error names its row and column. Which trainee a row is, and whether the certificate
number is free, is the service's business (it has the plan's roster and the certificates).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from jineng import tabular
from jineng.ids import normalise_ric

MAX_ROWS = 1000
SHEET_TITLE = "考核结果"
ID, NAME, OUTCOME, SCORE, NUMBER, ISSUED_ON, LEVEL = (
    "身份证号",
    "姓名",
    "考核结果",
    "成绩",
    "证书编号",
    "发证日期",
    "证书等级",
)
HEADERS = (ID, NAME, OUTCOME, SCORE, NUMBER, ISSUED_ON, LEVEL)
REQUIRED = (ID, NAME, OUTCOME)
OUTCOMES = {"合格": "passed", "不合格": "failed", "缺考": "absent"}
_LEVEL_WORDS = {
    "五": 5,
    "四": 4,
    "三": 3,
    "二": 2,
    "一": 1,
    "初级工": 5,
    "中级工": 4,
    "高级工": 3,
    "技师": 2,
    "高级技师": 1,
}
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(\s+0{1,2}:00(:00)?)?\Z")
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})\Z")
_LEVEL = re.compile(r"([1-5一二三四五])级")
_SCIENTIFIC = re.compile(r"\d+(\.\d+)?E\+?\d+\Z")


@dataclass(frozen=True)
class RowError:
    row_number: int  # 0: the whole file
    column: str
    message: str

    @property
    def path(self) -> str:
        return f"第{self.row_number}行 {self.column}".strip() if self.row_number else (self.column or "file")

    @property
    def text(self) -> str:
        return f"{self.path}：{self.message}" if self.row_number or self.column else self.message


@dataclass(frozen=True)
class ResultRow:
    row_number: int
    id_number: str
    name: str
    outcome: str  # passed / failed / absent
    score: Decimal | None
    certificate_number: str
    issued_on: dt.date | None
    level: int | None


@dataclass
class ParseResult:
    rows: list[ResultRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = tabular.text(value, fold=True)
    match = _DATE.match(text) or _DATE_COMPACT.match(text)
    if not match:
        raise ValueError(text)
    return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))


def parse_level(value: Any) -> int | None:
    """四级 / 4 / 四级/中级工 / 中级工 → 4."""
    text = tabular.compact(value)
    if not text:
        return None
    if text in {"1", "2", "3", "4", "5"}:
        return int(text)
    match = _LEVEL.search(text)
    if match:
        digit = match.group(1)
        return int(digit) if digit.isdigit() else _LEVEL_WORDS[digit]
    for word in sorted(_LEVEL_WORDS, key=len, reverse=True):
        if len(word) > 1 and text.endswith(word):
            return _LEVEL_WORDS[word]
    raise ValueError(text)


def _row(number: int, cells: dict[str, Any]) -> ResultRow | list[RowError]:
    errors: list[RowError] = []

    def bad(column: str, message: str) -> None:
        errors.append(RowError(number, column, message))

    raw_id = tabular.compact(cells.get(ID)).upper()
    if not raw_id:
        bad(ID, "必填")
    elif _SCIENTIFIC.match(raw_id):
        bad(ID, "已被表格软件转成数字（科学计数法），末几位已丢失：请把该列设为“文本”后重新填写")
    name = tabular.text(cells.get(NAME), fold=True)
    if not name:
        bad(NAME, "必填")
    outcome_text = tabular.compact(cells.get(OUTCOME))
    outcome = OUTCOMES.get(outcome_text, "")
    if not outcome:
        bad(
            OUTCOME,
            f"应为 合格、不合格 或 缺考，实际为“{outcome_text}”" if outcome_text else "必填（合格/不合格/缺考）",
        )
    score: Decimal | None = None
    score_text = tabular.compact(cells.get(SCORE))
    if score_text:
        try:
            score = Decimal(score_text)
        except InvalidOperation:
            bad(SCORE, f"“{score_text}”不是数字")
    number_text = tabular.compact(cells.get(NUMBER))
    issued_on = None
    if tabular.filled(cells.get(ISSUED_ON)):
        try:
            issued_on = parse_date(cells.get(ISSUED_ON))
        except ValueError:
            bad(ISSUED_ON, f"“{tabular.text(cells.get(ISSUED_ON), fold=True)}”不是日期（如 2023-05-30）")
    level = None
    try:
        level = parse_level(cells.get(LEVEL))
    except ValueError:
        bad(LEVEL, f"“{tabular.text(cells.get(LEVEL), fold=True)}”不是等级（如 四级、4、中级工）")
    if number_text and issued_on is None and not any(e.column == ISSUED_ON for e in errors):
        bad(ISSUED_ON, "填写了证书编号的，发证日期必填")
    if not number_text and issued_on is not None:
        bad(NUMBER, "填写了发证日期的，证书编号必填")
    if errors:
        return errors
    return ResultRow(number, normalise_ric(raw_id), name, outcome, score, number_text, issued_on, level)


def parse_results(data: bytes, filename: str) -> ParseResult:
    """Parse a result file (XLSX detected by content, else CSV in UTF-8 or GBK): all errors at once."""
    try:
        table = tabular.read_table(data, filename, sheet=SHEET_TITLE, max_rows=MAX_ROWS)
    except tabular.FileProblem as problem:
        return ParseResult(errors=[RowError(0, "", problem.message)])
    header, body = table.header, table.body
    if header is None:
        return ParseResult(errors=[RowError(0, "", "文件为空：第 1 行应为表头，从第 2 行起每行一名学员")])
    positions: dict[str, int] = {}
    for index, value in enumerate(header):
        key = tabular.header_key(value, drop_note=True)
        if key in HEADERS and key not in positions:
            positions[key] = index
    missing = [h for h in REQUIRED if h not in positions]
    if missing:
        names = "、".join(missing)
        return ParseResult(errors=[RowError(1, names, f"缺少必填列：{names}（表头须在第 1 行，可从下载的模板复制）")])
    if table.too_many:
        return ParseResult(errors=[RowError(0, "", f"一次最多导入 {MAX_ROWS} 行考核结果：请分成几个文件导入")])
    if not body:
        return ParseResult(errors=[RowError(0, "", "文件中没有考核结果：表头下面（从第 2 行起）每行填写一名学员")])
    result = ParseResult()
    for number, cells in body:
        values = {key: cells[i] if i < len(cells) else None for key, i in positions.items()}
        parsed = _row(number, values)
        if isinstance(parsed, ResultRow):
            result.rows.append(parsed)
        else:
            result.errors.extend(parsed)
    return result


def results_template_xlsx() -> bytes:
    """The template: one header row; the ID column is text so Excel keeps all 18 characters."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_TITLE
    labels = [f"{OUTCOME}(合格/不合格/缺考)" if h == OUTCOME else h for h in HEADERS]
    sheet.append(labels)
    required = PatternFill("solid", fgColor="FFF2CC")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        if tabular.header_key(cell.value, drop_note=True) in REQUIRED:
            cell.fill = required
    for letter, width in zip("ABCDEFG", (22, 10, 24, 8, 24, 14, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in range(2, MAX_ROWS + 2):
        sheet.cell(row=row, column=1).number_format = "@"
        sheet.cell(row=row, column=5).number_format = "@"
    choice = DataValidation(type="list", formula1='"合格,不合格,缺考"', allow_blank=False)
    choice.add(f"C2:C{MAX_ROWS + 1}")
    sheet.add_data_validation(choice)
    sheet.freeze_panes = "A2"
    return tabular.xlsx_bytes(book)
