"""The issue list (发放名单) of a voucher batch: the downloadable template and parsing an XLSX/CSV.

Pure: bytes in, rows and row problems out; no database. Columns 身份证号 and 姓名 are required, 意愿
(是/否) optional — the plan issues vouchers to workers 有培训意愿、符合条件的, so a row answering 否 is
refused. Every problem is reported at once with its row number (the header is row 1) and column;
the resident ID is checked here (GB 11643 as python-stdnum checks it) because a voucher is issued
by real name and a bad number cannot be anyone's.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from jineng import tabular
from jineng.ids import ID_PROBLEM_ZH, normalise_ric, ric_problem

MAX_ROWS = 5000
NAME_MAX = 50  # registry.Person.name max_length
SHEET_TITLE = "发放名单"

ID_HEADER, NAME_HEADER, WILL_HEADER = "身份证号", "姓名", "意愿"
_ALIASES: dict[str, str] = {
    "身份证号": ID_HEADER,
    "身份证号码": ID_HEADER,
    "公民身份号码": ID_HEADER,
    "证件号码": ID_HEADER,
    "姓名": NAME_HEADER,
    "意愿": WILL_HEADER,
    "培训意愿": WILL_HEADER,
    "是否有培训意愿": WILL_HEADER,
}
_YES = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "有"})
_NO = frozenset({"否", "n", "no", "false", "0", "×", "✗", "无"})
_SCIENTIFIC = re.compile(r"\d+(\.\d+)?E\+?\d+\Z")


@dataclass(frozen=True)
class Problem:
    """`row` 0 is the file as a whole, 1 the header row; `column` is a header name or ""."""

    row: int
    column: str
    message: str

    @property
    def path(self) -> str:
        where = "整个文件" if self.row == 0 else f"第{self.row}行"
        return f"{where} {self.column}".strip()


@dataclass(frozen=True)
class ListRow:
    row: int
    id_number: str
    name: str


@dataclass
class ParsedList:
    rows: list[ListRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _positions(header: Sequence[Any]) -> tuple[dict[str, int], list[Problem]]:
    positions: dict[str, int] = {}
    problems: list[Problem] = []
    for index, value in enumerate(header):
        key = _ALIASES.get(tabular.header_key(value))
        if key is None:
            continue  # extra columns (序号, 备注…) are ignored
        if key in positions:
            problems.append(Problem(1, key, f"表头“{key}”出现了多次，只能保留一列"))
        else:
            positions[key] = index
    missing = [h for h in (ID_HEADER, NAME_HEADER) if h not in positions]
    if missing:
        names = "、".join(missing)
        problems.append(Problem(1, names, f"缺少必填列：{names}（表头须在第 1 行，可从下载的模板复制）"))
    return positions, problems


def parse_list(data: bytes, filename: str, *, as_of: dt.date) -> ParsedList:
    """Parse a list (XLSX by content, else CSV in UTF-8 or GBK/GB18030): every problem at once.

    `as_of` is the issue date: a resident ID born after it is not a real person's yet.
    """
    try:
        table = tabular.read_table(data, filename, sheet=SHEET_TITLE, max_rows=MAX_ROWS)
    except tabular.FileProblem as problem:
        return ParsedList(problems=[Problem(0, "", problem.message)])
    if table.header is None:
        return ParsedList(problems=[Problem(0, "", "文件为空：第 1 行应为表头，从第 2 行起每行一名劳动者")])
    positions, header_problems = _positions(table.header)
    if header_problems:
        return ParsedList(problems=header_problems)
    if table.too_many:
        too_many = f"一次最多发放 {MAX_ROWS} 张，本名单超过 {MAX_ROWS} 行：请分批发放"
        return ParsedList(problems=[Problem(0, "", too_many)])
    body = table.body
    if not body:
        return ParsedList(problems=[Problem(0, "", "名单中没有劳动者：表头下面（从第 2 行起）每行填写一名")])
    result = ParsedList()
    for number, cells in body:
        values = {key: cells[i] if i < len(cells) else None for key, i in positions.items()}
        row, problems = _row(number, values, as_of)
        result.problems.extend(problems)
        if row is not None:
            result.rows.append(row)
    return result


def _row(n: int, values: dict[str, Any], as_of: dt.date) -> tuple[ListRow | None, list[Problem]]:
    problems: list[Problem] = []
    raw = values.get(ID_HEADER)
    text = tabular.compact(raw)
    id_number = ""
    if (isinstance(raw, int | float) and not isinstance(raw, bool)) or _SCIENTIFIC.match(text.upper()):
        problems.append(
            Problem(n, ID_HEADER, "身份证号被表格软件存成了数字，末几位已丢失：请把该列设为“文本”格式后重新输入")
        )
    elif not text:
        problems.append(Problem(n, ID_HEADER, "身份证号为必填项"))
    else:
        id_number = normalise_ric(text)
        problem = ric_problem(id_number, as_of=as_of)
        if problem is not None:
            problems.append(Problem(n, ID_HEADER, f"不是有效的居民身份证号（{ID_PROBLEM_ZH[problem]}）"))
    name = tabular.text(values.get(NAME_HEADER), fold=True)
    if not name:
        problems.append(Problem(n, NAME_HEADER, "姓名为必填项"))
    elif len(name) > NAME_MAX:
        problems.append(Problem(n, NAME_HEADER, f"姓名超过 {NAME_MAX} 个字"))
    will = tabular.compact(values.get(WILL_HEADER)).lower()
    if will in _NO:
        problems.append(Problem(n, WILL_HEADER, "本人无培训意愿，不予发放（培训券只发给有培训意愿、符合条件的劳动者）"))
    elif will and will not in _YES:
        problems.append(Problem(n, WILL_HEADER, f"“{will}”无法识别：应填 是 或 否（可留空，留空视为“是”）"))
    if problems:
        return None, problems
    return ListRow(n, id_number, name), []


# ── template ──────────────────────────────────────────────────────────────────────────────────


def list_template_xlsx() -> bytes:
    """The empty list: a header row (身份证号 as text so 18 digits stay whole) and a notes sheet."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_TITLE
    headers = [f"{ID_HEADER}*", f"{NAME_HEADER}*", WILL_HEADER]
    sheet.append(headers)
    for cell, fill in zip(sheet[1], ("FFF2CC", "FFF2CC", "EDEDED"), strict=True):
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=fill)
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["A"].number_format = "@"
    sheet.column_dimensions["B"].width = 14
    sheet.column_dimensions["C"].width = 10
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("填写说明")
    for line in (
        "带 * 的列为必填列；第 1 行为表头，请勿修改，从第 2 行起每行填写一名劳动者。",
        "身份证号：18 位居民身份证号，末位 X 大写；本列为“文本”格式，粘贴时请用“选择性粘贴—数值”。",
        "姓名：与身份证一致；已在系统登记的人员须与登记姓名一致（实名制）。",
        "意愿：是否有培训意愿，填 是 或 否，留空视为“是”；填“否”的人员不予发放。",
        "同一人在名单中只能出现一次；持有未使用且未过期培训券的人员不再重复发放。",
        f"一次最多 {MAX_ROWS} 人；有任何错误行时一张也不发放，所有错误逐行列出。",
        "保存为 .xlsx，或另存为 CSV（UTF-8 或 GBK 编码均可）。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 100
    return tabular.xlsx_bytes(book)
