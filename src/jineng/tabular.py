"""Reading uploaded spreadsheets: XLSX (by content), or CSV in UTF-8, UTF-8 with a BOM, GBK/GB18030.

One reader for every upload (花名册, 考核结果, 发放名单): a file is refused for its size or format, and
decoded, the same way everywhere, with the same Chinese messages. Pure: bytes in, a `Table` out, or a
`FileProblem` for the file as a whole (row 0); what the columns mean is the caller's business.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import load_workbook

__all__ = [
    "MAX_ROWS",
    "FileProblem",
    "Table",
    "compact",
    "decode",
    "filled",
    "header_key",
    "read_table",
    "text",
]

MAX_ROWS = 1000  # data rows per file unless the caller says otherwise

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


def filled(value: Any) -> bool:
    """A cell holds something: not None and not only whitespace."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def _collect(rows: Iterable[Sequence[Any]], max_rows: int) -> Table:
    iterator = iter(rows)
    header = next(iterator, None)
    body: list[tuple[int, Sequence[Any]]] = []
    for number, row in enumerate(iterator, start=2):
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


def _read_xlsx(data: bytes, filename: str, sheet_title: str | None, max_rows: int) -> Table:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors for a zip that is not a workbook
        raise FileProblem(
            f"“{filename}”无法作为 XLSX 读取（文件已损坏，或是其他格式的压缩文件）：请用 Excel/WPS 另存为 .xlsx 后上传"
        ) from exc
    try:
        if not book.worksheets:
            raise FileProblem(f"“{filename}”中没有工作表")
        named = sheet_title is not None and sheet_title in book.sheetnames
        sheet = book[sheet_title] if named else book.worksheets[0]
        return _collect(sheet.iter_rows(values_only=True), max_rows)
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
    raise _not_spreadsheet(filename)


def _read_csv(data: bytes, filename: str, max_rows: int) -> Table:
    content = decode(data, filename)
    head = content[:4096]
    if _CONTROL.search(head) or head.startswith("%PDF") or head.lstrip().startswith("<"):
        raise _not_spreadsheet(filename)  # binary, PDF, or an HTML/XML page saved as .xls/.csv
    first_line = head.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        return _collect(csv.reader(io.StringIO(content, newline=""), delimiter=delimiter), max_rows)
    except csv.Error as exc:
        raise FileProblem(f"“{filename}”的 CSV 格式有误（{exc}）：请用 Excel/WPS 重新另存为 CSV") from exc


def read_table(data: bytes, filename: str, *, sheet: str | None = None, max_rows: int = MAX_ROWS) -> Table:
    """Read an uploaded file, or raise `FileProblem`.

    XLSX is recognised by its content, whatever the file is called; its sheet named `sheet` is read,
    else the first. Anything else must be CSV (comma- or tab-separated). Reading stops past
    `max_rows` non-blank data rows (`Table.too_many`), so a huge file costs little.
    """
    if not data.strip():
        raise FileProblem("文件为空")
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
    return (_nfkc(str(value)) if fold else str(value)).strip()


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
