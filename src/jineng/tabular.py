"""Uploaded and exported spreadsheets: one reader for every upload, one writer for every export.

Reading: XLSX (by content), or CSV in UTF-8, UTF-8 with a BOM, GBK/GB18030. Every upload (花名册,
考核结果, 发放名单) is refused for its size or format, and decoded, the same way everywhere, with the
same Chinese messages naming the file and the limit. Pure: bytes in, a `Table` out, or a
`FileProblem` for the file as a whole (row 0); what the columns mean is the caller's business.

A spreadsheet is a zip of XML, so a small upload can hold a huge sheet: a shared-strings part of a
gigabyte, a million rows, a cell in column XFD or row 1,048,576 (which the reader would pad out to
a million empty rows). The reader looks at the parts' declared sizes before openpyxl opens anything,
reads at most `MAX_COLUMNS` columns, and stops a sheet past `scan_limit` rows blank ones included,
so any upload costs a bounded time and memory.

Writing: a cell that starts with = + - @ (or a tab or carriage return) is a formula to Excel and
WPS, and a trainee's name like ``=HYPERLINK(…)`` or ``=cmd|' /C calc'!A0`` would run as one when a
reviewer opens the export. `xlsx_bytes` saves every export with such text stored as text (never a
formula, quote-prefixed as Excel itself marks typed text), and `csv_text` prefixes an apostrophe
in CSV, as OWASP advises; `text` reads that apostrophe back off, so an export re-imports unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from openpyxl import Workbook, load_workbook

__all__ = [
    "MAX_COLUMNS",
    "MAX_ROWS",
    "MAX_XML_BYTES",
    "FileProblem",
    "Table",
    "compact",
    "csv_text",
    "decode",
    "filled",
    "header_key",
    "neutralise",
    "read_table",
    "scan_limit",
    "size_problem",
    "text",
    "upload_limit",
    "xlsx_bytes",
]

MAX_ROWS = 1000  # data rows per file unless the caller says otherwise
MAX_COLUMNS = 100  # columns read per row; a template has fewer than 20, extra columns are ignored anyway
# The XML of a workbook, unpacked: a 1,000-row roster is about 1 MB of it, so this leaves ample room
# for notes sheets and styles while keeping openpyxl's parse (which holds shared strings in memory)
# to a few seconds at most.
MAX_XML_BYTES = 64 * 1024 * 1024
DEFAULT_UPLOAD_MAX_MB = 20
# Text a spreadsheet program would take for a formula (full-width forms too: WPS converts them).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_NOTE = re.compile(r"\(.*\)\Z")  # after NFKC, （…） is (…)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, or any password-protected workbook


class FileProblem(Exception):
    """The file as a whole cannot be read; `message` says why and what to do, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Table:
    """The header row (None for an empty sheet) and the non-blank data rows with their row numbers.

    Row numbers are the spreadsheet's: the header is row 1, so blank rows skipped in between still
    count. `too_many` means there were more than `max_rows` data rows; `body` then stops there.
    """

    header: Sequence[Any] | None
    body: list[tuple[int, Sequence[Any]]]
    too_many: bool


def upload_limit() -> int:
    """The largest upload in bytes: JINENG_UPLOAD_MAX_MB (default 20), read at the time of the upload."""
    return int(getattr(settings, "JINENG_UPLOAD_MAX_MB", DEFAULT_UPLOAD_MAX_MB)) * 1024 * 1024


def _mb(size: int) -> str:
    return f"{size / 1_048_576:.1f}".removesuffix(".0")


def size_problem(size: int | None, filename: str, *, limit: int | None = None, what: str = "文件") -> str | None:
    """The refusal of a file of `size` bytes over `limit` (default `upload_limit()`), or None.

    Checked before anything is read or parsed, by every upload endpoint, from the upload's size.
    """
    limit = upload_limit() if limit is None else limit
    if size is None or size <= limit:
        return None
    return f"{what}“{filename}”为 {_mb(size)} MB，超过 {_mb(limit)} MB 的上限：请分成几个文件上传"


def scan_limit(max_rows: int) -> int:
    """Rows read from a sheet, blank ones included, before the file is refused: ample for a
    spreadsheet with blank rows between or after its data, and still a bounded cost."""
    return max(20_000, 20 * max_rows)


def filled(value: Any) -> bool:
    """A cell holds something: not None and not only whitespace."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def _collect(rows: Iterable[Sequence[Any]], max_rows: int, filename: str) -> Table:
    iterator = iter(rows)
    header = next(iterator, None)
    body: list[tuple[int, Sequence[Any]]] = []
    limit = scan_limit(max_rows)
    for number, row in enumerate(iterator, start=2):
        if number > limit:
            raise FileProblem(
                f"“{filename}”的表格超过 {limit:,} 行（含空行）：请删除数据下方多余的空行和格式"
                f"（每个文件最多 {max_rows} 行数据），另存后重新上传"
            )
        if not any(filled(v) for v in row):
            continue
        if len(body) == max_rows:
            return Table(header, body, too_many=True)
        body.append((number, row))
    return Table(header, body, too_many=False)


def _not_spreadsheet(filename: str) -> FileProblem:
    return FileProblem(
        f"“{filename}”不是 XLSX 或 CSV 文件：请用下载的模板填写，保存为 .xlsx（Excel 工作簿）或 .csv 后上传"
    )


def _unreadable(filename: str) -> FileProblem:
    return FileProblem(
        f"“{filename}”无法作为 XLSX 读取（文件已损坏，或是其他格式的压缩文件）：请用 Excel/WPS 另存为 .xlsx 后上传"
    )


def _check_zip(data: bytes, filename: str) -> None:
    """Refuse a workbook whose XML would unpack past `MAX_XML_BYTES`, before anything is unpacked.

    The sizes are those the zip declares; Python's zipfile never unpacks a part past its declared
    size (it fails the part's check instead), so a zip that lies about them cannot get past this.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:  # truncated, or not a zip at all
        raise _unreadable(filename) from exc
    unpacked = sum(p.file_size for p in parts if p.filename.endswith((".xml", ".rels", ".vml")))
    if unpacked > MAX_XML_BYTES:
        raise FileProblem(
            f"“{filename}”解压后的表格数据有 {_mb(unpacked)} MB，超过 {_mb(MAX_XML_BYTES)} MB 的上限"
            "（可能含大量空行、超长文字，或不是正常的 Excel 文件）：请只保留要导入的数据，另存为 .xlsx 后上传"
        )


def _read_xlsx(data: bytes, filename: str, sheet_title: str | None, max_rows: int) -> Table:
    _check_zip(data, filename)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors for a zip that is not a workbook
        raise _unreadable(filename) from exc
    try:
        if not book.worksheets:
            raise FileProblem(f"“{filename}”中没有工作表")
        named = sheet_title is not None and sheet_title in book.sheetnames
        sheet = book[sheet_title] if named else book.worksheets[0]
        # Rows come padded to the sheet's declared width, which a file may set to column XFD
        # (16,384 cells a row): the width read is the declared one up to MAX_COLUMNS.
        declared = sheet.max_column
        width = declared if isinstance(declared, int) and 0 < declared <= MAX_COLUMNS else MAX_COLUMNS
        return _collect(sheet.iter_rows(max_col=width, values_only=True), max_rows, filename)
    except FileProblem:
        raise
    except Exception as exc:  # a damaged sheet part fails while iterating
        raise FileProblem(f"“{filename}”的工作表内容已损坏，无法读取：请用 Excel/WPS 另存为 .xlsx 后上传") from exc
    finally:
        book.close()


def decode(data: bytes, filename: str) -> str:
    """CSV bytes as text: UTF-16 with a BOM, else UTF-8 (BOM or not), else GB18030 (a superset of GBK)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _not_spreadsheet(filename) from exc
    if b"\x00" in data[:4096]:
        raise _not_spreadsheet(filename)
    for encoding in ("utf-8-sig", "gb18030"):  # Excel/WPS on Chinese Windows save CSV as GBK
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    if _CONTROL.search(data[:4096].decode("latin-1")):
        raise _not_spreadsheet(filename)
    raise FileProblem(
        f"“{filename}”的文字编码无法识别（既不是 UTF-8，也不是 GBK/GB18030）："
        "请在 Excel/WPS 中另存为“CSV UTF-8（逗号分隔）”后上传"
    )


def _read_csv(data: bytes, filename: str, max_rows: int) -> Table:
    content = decode(data, filename)
    head = content[:4096]
    if _CONTROL.search(head) or head.startswith("%PDF") or head.lstrip().startswith("<"):
        raise _not_spreadsheet(filename)  # binary, PDF, or an HTML/XML page saved as .xls/.csv
    first_line = head.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    if "\x00" in content:  # past the first 4 KB; PostgreSQL cannot store the character
        raise FileProblem(f"“{filename}”中含有空字符（NUL）：请用 Excel/WPS 打开后重新另存为 CSV")
    rows = (row[:MAX_COLUMNS] for row in csv.reader(io.StringIO(content, newline=""), delimiter=delimiter))
    try:
        return _collect(rows, max_rows, filename)
    except csv.Error as exc:
        raise FileProblem(f"“{filename}”的 CSV 格式有误（{exc}）：请用 Excel/WPS 重新另存为 CSV") from exc


def read_table(data: bytes, filename: str, *, sheet: str | None = None, max_rows: int = MAX_ROWS) -> Table:
    """Read an uploaded file, or raise `FileProblem`.

    XLSX is recognised by its content, whatever the file is called; its sheet named `sheet` is read,
    else the first. Anything else must be CSV (comma- or tab-separated). Reading stops past
    `max_rows` non-blank data rows (`Table.too_many`), so a huge file costs little; a file over
    the upload limit is refused unread (its endpoint has refused it already, by its size).
    """
    problem = size_problem(len(data), filename)
    if problem is not None:
        raise FileProblem(problem)
    if not data.strip():
        raise FileProblem(f"“{filename}”文件为空：请在下载的模板中填写后上传")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, filename, sheet, max_rows)
    if data.startswith(_OLE2):
        raise FileProblem(
            f"“{filename}”是 Excel 97-2003 格式（.xls）或设置了密码的工作簿，无法读取："
            "请在 Excel/WPS 中去掉密码并“另存为” .xlsx 或 .csv 后上传"
        )
    return _read_csv(data, filename, max_rows)


# ── cells ─────────────────────────────────────────────────────────────────────────────────────


def _nfkc(value: str) -> str:
    """Full-width letters, digits and brackets folded to their ASCII forms."""
    return unicodedata.normalize("NFKC", value)


def text(value: Any, *, fold: bool = False) -> str:
    """A cell as text: whole floats without '.0', dates as YYYY-MM-DD, booleans as 是/否, stripped.

    With `fold`, full-width characters are folded too (NFKC); without, a name keeps what was typed.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    raw = str(value)
    if raw.startswith("'") and raw[1:].startswith(FORMULA_STARTS):  # `csv_text`'s apostrophe
        raw = raw[1:]
    return (_nfkc(raw) if fold else raw).strip()


def compact(value: Any) -> str:
    """Text for codes and numbers: full-width characters folded, every space removed, ="…" and ' unwrapped."""
    folded = _SPACE.sub("", _nfkc(text(value)))
    if folded.startswith('="') and folded.endswith('"'):  # the ="0123" trick to keep Excel from converting
        folded = folded[2:-1]
    return folded.removeprefix("'")


def header_key(value: Any, *, drop_note: bool = False) -> str:
    """A header cell as a lookup key: folded, spaces and the required mark '*' removed, no (必填)/(选填).

    With `drop_note`, any trailing parenthesised note goes too: 考核结果(合格/不合格/缺考) → 考核结果.
    """
    key = _SPACE.sub("", _nfkc(str(value or ""))).replace("*", "")
    key = key.removesuffix("(必填)").removesuffix("(选填)")
    return _NOTE.sub("", key) if drop_note else key


# ── exports ───────────────────────────────────────────────────────────────────────────────────


def neutralise(value: str) -> bool:
    """Whether a spreadsheet program would read this text as a formula."""
    return value.startswith(FORMULA_STARTS)


def csv_text(value: Any) -> str:
    """A cell of an exported CSV: `text` of the value, with an apostrophe before formula-like text.

    Numbers are left as they are: a negative amount is a number to the spreadsheet, not a formula.
    """
    cell = "" if value is None else text(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return cell
    return f"'{cell}" if neutralise(cell) else cell


def xlsx_bytes(book: Workbook) -> bytes:
    """Save an export: every cell of every sheet whose text starts like a formula becomes text.

    openpyxl writes any string starting with "=" as a formula; here no export writes one on
    purpose, so each such cell is turned back into the text it was, and marked quote-prefixed (as
    Excel marks text typed after an apostrophe) so that editing the cell keeps it text.
    """
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, str) and neutralise(value):
                    cell.data_type = "s"
                    cell.quotePrefix = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
