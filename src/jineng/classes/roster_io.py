"""Roster files (花名册): the downloadable template, and parsing an XLSX/CSV into roster rows.

Pure: bytes in, rows and row errors out. Every bad row is reported at once with its row number
(the header is row 1) and the caller imports only a file without errors. A resident ID with a bad
check digit is not a parse error — that is TRN-IDENTITY's finding — but an ID Excel turned into a
number is, because its last digits are already lost.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.datavalidation import DataValidation

from jineng.ids import normalise_ric

MAX_ROWS = 1000
Kind = Literal["text", "id", "phone", "category", "school", "year", "code", "bool", "date"]

CATEGORY_LABELS = {
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
SCHOOL_LABELS = {
    "普通高校": "university",
    "特殊教育职业学校": "special_vocational",
    "技工院校": "technical_school",
    "中等职业学校": "vocational_school",
}
_YES, _NO = {"是", "y", "yes", "true", "1"}, {"否", "n", "no", "false", "0"}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool
    kind: Kind
    help: str


COLUMNS: tuple[Column, ...] = (
    Column("seq", "序号", False, "text", "可留空，导入时忽略"),
    Column("name", "姓名", True, "text", "与身份证一致"),
    Column("id_number", "身份证号", True, "id", "18 位，末位 X 大写；请将本列设为文本格式"),
    Column("phone", "手机号", False, "phone", "11 位手机号"),
    Column("category", "人员类别", True, "category", "、".join(CATEGORY_LABELS)),
    Column("school_kind", "学校类型", False, "school", "在校学生填写：" + "、".join(SCHOOL_LABELS)),
    Column("graduation_year", "毕业年份", False, "year", "在校学生填写，如 2023"),
    Column("post_occupation", "岗位职业编码", False, "code", "企业职工填写现岗位职业编码，如 6-18-01-01"),
    Column("transfer", "是否转岗", False, "bool", "企业职工填写：是/否"),
    Column("trained_during_sentence", "刑期内是否参加过培训", False, "bool", "服刑人员填写：是/否"),
    Column("eligible_next_level", "是否符合晋级条件", False, "bool", "服刑人员填写：是/否"),
    Column("release_date", "释放日期", False, "date", "服刑人员填写，YYYY-MM-DD"),
    Column("training_intent", "培训意愿", False, "bool", "开班前问卷：是/否（三项全填或全空）"),
    Column("employment_intent", "就业意愿", False, "bool", "开班前问卷：是/否"),
    Column("employment_ability", "就业能力", False, "bool", "开班前问卷：是/否"),
)
_BY_HEADER = {c.header: c for c in COLUMNS}
_CODE = re.compile(r"\d-\d{2}-\d{2}-\d{2}\Z")
_PHONE = re.compile(r"1\d{10}\Z")


@dataclass(frozen=True)
class RowError:
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
        inmate = dict(self.inmate) if self.inmate else None
        if inmate and isinstance(inmate.get("release_date"), dt.date):
            inmate["release_date"] = inmate["release_date"].isoformat()
        return {
            "id_number": self.id_number,
            "name": self.name,
            "category": self.category,
            "student": self.student,
            "employee": self.employee,
            "inmate": inmate,
            "questionnaire": self.questionnaire,
        }


@dataclass
class ParseResult:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# ── reading ───────────────────────────────────────────────────────────────────────────────────


def _header_key(value: Any) -> str:
    return str(value or "").replace("*", "").replace("＊", "").strip()


def _read_xlsx(data: bytes) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _read_csv(data: bytes) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise ValueError("无法识别文件编码")
    return [list(row) for row in csv.reader(io.StringIO(text))]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_roster(data: bytes, filename: str) -> ParseResult:
    result = ParseResult()
    if not data:
        result.errors.append(RowError(0, "", "文件为空"))
        return result
    try:
        if data[:4] == b"PK\x03\x04":
            table = _read_xlsx(data)
        elif b"\x00" in data[:1024]:
            result.errors.append(RowError(0, "", f"{filename} 不是 XLSX 或 CSV 文件，请使用下载的模板"))
            return result
        else:
            table = _read_csv(data)
    except Exception as exc:  # openpyxl raises a variety of errors for damaged files
        result.errors.append(RowError(0, "", f"无法读取 {filename}：{exc}"))
        return result
    if not table:
        result.errors.append(RowError(1, "", "缺少表头行"))
        return result
    positions: dict[str, int] = {}
    for index, value in enumerate(table[0]):
        column = _BY_HEADER.get(_header_key(value))
        if column is not None and column.key not in positions:
            positions[column.key] = index
    missing = [c.header for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        result.errors.append(RowError(1, "、".join(missing), f"缺少必填列：{'、'.join(missing)}"))
        return result
    body = [(n, row) for n, row in enumerate(table[1:], start=2) if any(_text(v) for v in row)]
    if not body:
        result.errors.append(RowError(0, "", "文件中没有学员数据"))
        return result
    if len(body) > MAX_ROWS:
        result.errors.append(RowError(0, "", f"一次最多导入 {MAX_ROWS} 行，本文件 {len(body)} 行"))
        return result
    for row_number, row in body:
        values = {key: (row[i] if i < len(row) else None) for key, i in positions.items()}
        parsed, errors = _parse_row(row_number, values)
        result.errors.extend(errors)
        if parsed is not None:
            result.rows.append(parsed)
    return result


def _parse_row(n: int, values: dict[str, Any]) -> tuple[RosterRow | None, list[RowError]]:
    errors: list[RowError] = []

    def bad(key: str, message: str) -> None:
        errors.append(RowError(n, next(c.header for c in COLUMNS if c.key == key), message))

    def boolean(key: str) -> bool | None:
        text = _text(values.get(key)).lower()
        if not text:
            return None
        if text in _YES:
            return True
        if text in _NO:
            return False
        bad(key, f"“{text}”应为 是 或 否")
        return None

    name = _text(values.get("name"))
    if not name:
        bad("name", "必填")
    raw_id = values.get("id_number")
    id_number = ""
    if isinstance(raw_id, int | float):
        bad("id_number", "身份证号被表格软件存成了数字（末几位已丢失）：请将该列设为“文本”格式后重新填写")
    else:
        id_number = normalise_ric(_text(raw_id).replace(" ", ""))
        if not id_number:
            bad("id_number", "必填")
    phone = _text(values.get("phone"))
    if phone and not _PHONE.match(phone):
        bad("phone", f"“{phone}”不是 11 位手机号")
    category_text = _text(values.get("category"))
    category = CATEGORY_LABELS.get(category_text) or (
        category_text if category_text in CATEGORY_LABELS.values() else ""
    )
    if not category_text:
        bad("category", "必填")
    elif not category:
        bad("category", f"“{category_text}”不是有效的人员类别，应为：{'、'.join(CATEGORY_LABELS)}")

    student = None
    school_text, year_text = _text(values.get("school_kind")), _text(values.get("graduation_year"))
    if school_text or year_text:
        school = SCHOOL_LABELS.get(school_text) or (school_text if school_text in SCHOOL_LABELS.values() else "")
        if not school:
            bad(
                "school_kind",
                f"“{school_text}”不是有效的学校类型，应为：{'、'.join(SCHOOL_LABELS)}"
                if school_text
                else "填写毕业年份时必填",
            )
        year = int(year_text) if year_text.isdigit() and 1900 <= int(year_text) <= 2100 else None
        if year is None:
            bad("graduation_year", f"“{year_text}”不是有效年份" if year_text else "填写学校类型时必填")
        if school and year is not None:
            student = {"school_kind": school, "graduation_year": year}

    employee = None
    post = _text(values.get("post_occupation"))
    transfer = boolean("transfer")
    if post:
        if not _CODE.match(post):
            bad("post_occupation", f"“{post}”不是职业编码（形如 6-18-01-01）")
        else:
            employee = {"post_occupation": post, "post_class_code": post.rsplit("-", 1)[0], "transfer": bool(transfer)}

    inmate = None
    trained, eligible = boolean("trained_during_sentence"), boolean("eligible_next_level")
    raw_release = values.get("release_date")
    release: dt.date | None = None
    if isinstance(raw_release, dt.datetime):
        release = raw_release.date()
    elif isinstance(raw_release, dt.date):
        release = raw_release
    elif _text(raw_release):
        try:
            release = dt.date.fromisoformat(_text(raw_release))
        except ValueError:
            bad("release_date", f"“{_text(raw_release)}”不是有效日期（YYYY-MM-DD）")
    given = [trained is not None, eligible is not None, release is not None or bool(_text(raw_release))]
    if any(given):
        for key, present in zip(("trained_during_sentence", "eligible_next_level", "release_date"), given, strict=True):
            if not present:
                bad(key, "服刑人员三项信息须全部填写")
        if trained is not None and eligible is not None and release is not None:
            inmate = {"trained_during_sentence": trained, "eligible_next_level": eligible, "release_date": release}

    answers = {key: boolean(key) for key in ("training_intent", "employment_intent", "employment_ability")}
    questionnaire = None
    if all(v is not None for v in answers.values()):
        questionnaire = {k: bool(v) for k, v in answers.items()}
    elif any(v is not None for v in answers.values()):
        for key, value in answers.items():
            if value is None and not any(e.column == _header(key) for e in errors):
                bad(key, "开班前问卷三项须全部填写（或全部留空）")
    if errors:
        return None, errors
    return RosterRow(n, id_number, name, phone, category, student, employee, inmate, questionnaire), []


def _header(key: str) -> str:
    return next(c.header for c in COLUMNS if c.key == key)


# ── writing ───────────────────────────────────────────────────────────────────────────────────

_CHOICES: dict[Kind, list[str]] = {
    "category": list(CATEGORY_LABELS),
    "school": list(SCHOOL_LABELS),
    "bool": ["是", "否"],
}


def _book(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "花名册"
    sheet.append([f"{c.header}*" if c.required else c.header for c in COLUMNS])
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    last = max(MAX_ROWS + 1, len(rows) + 1)
    for index, column in enumerate(COLUMNS, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(10, len(column.header) * 2 + 4)
        if column.kind in ("id", "phone", "code"):
            for r in range(2, last + 1):
                sheet.cell(row=r, column=index).number_format = "@"
        if column.kind in _CHOICES:
            rule = DataValidation(type="list", formula1='"' + ",".join(_CHOICES[column.kind]) + '"', allow_blank=True)
            rule.add(f"{letter}2:{letter}{last}")
            sheet.add_data_validation(rule)
    guide = book.create_sheet("填写说明")
    guide.append(["列名", "是否必填", "说明"])
    for column in COLUMNS:
        guide.append([column.header, "必填" if column.required else "选填", column.help])
    guide.column_dimensions["C"].width = 80
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def roster_template_xlsx() -> bytes:
    return _book([])


def roster_template_csv() -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([f"{c.header}*" if c.required else c.header for c in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def _cells(row: RosterRow, seq: int) -> list[Any]:
    labels = {v: k for k, v in CATEGORY_LABELS.items()}
    schools = {v: k for k, v in SCHOOL_LABELS.items()}

    def yn(value: bool | None) -> str:
        return "" if value is None else ("是" if value else "否")

    student, employee, inmate, q = row.student or {}, row.employee or {}, row.inmate or {}, row.questionnaire or {}
    release = inmate.get("release_date")
    return [
        seq,
        row.name,
        row.id_number,
        row.phone,
        labels.get(row.category, row.category),
        schools.get(student.get("school_kind", ""), ""),
        student.get("graduation_year", ""),
        employee.get("post_occupation", ""),
        yn(employee.get("transfer")) if employee else "",
        yn(inmate.get("trained_during_sentence")) if inmate else "",
        yn(inmate.get("eligible_next_level")) if inmate else "",
        release.isoformat() if isinstance(release, dt.date) else (release or ""),
        yn(q.get("training_intent")) if q else "",
        yn(q.get("employment_intent")) if q else "",
        yn(q.get("employment_ability")) if q else "",
    ]


def roster_to_xlsx(rows: list[RosterRow]) -> bytes:
    return _book([_cells(row, i) for i, row in enumerate(rows, start=1)])


def roster_to_csv(rows: list[RosterRow]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([f"{c.header}*" if c.required else c.header for c in COLUMNS])
    for i, row in enumerate(rows, start=1):
        writer.writerow(_cells(row, i))
    return buffer.getvalue().encode("utf-8-sig")
