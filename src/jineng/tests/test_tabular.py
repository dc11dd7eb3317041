"""The shared upload reader: XLSX by content, CSV in UTF-8 (BOM or not) or GBK, refusals for the rest."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import Workbook

from jineng.tabular import FileProblem, Table, compact, filled, header_key, read_table, text


def xlsx(*sheets: tuple[str, list[list[Any]]]) -> bytes:
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def values(table: Table) -> list[tuple[int, list[Any]]]:
    return [(number, list(row)) for number, row in table.body]


def test_an_xlsx_is_read_by_content_from_the_named_sheet_else_the_first() -> None:
    data = xlsx(
        ("说明", [["请看第二张表"]]),
        ("名单", [["身份证号", "姓名"], ["41108119900101123X", "王某"], [13812345678, 2.5]]),
    )
    table = read_table(data, "名单.csv", sheet="名单")  # the name does not matter, the content does
    assert list(table.header or []) == ["身份证号", "姓名"] and not table.too_many
    assert values(table) == [(2, ["41108119900101123X", "王某"]), (3, [13812345678, 2.5])]
    assert list(read_table(data, "x.xlsx", sheet="另一张").header or []) == ["请看第二张表"]
    assert list(read_table(data, "x.xlsx").header or []) == ["请看第二张表"]


def test_a_utf8_csv_with_a_bom_reads_like_one_without() -> None:
    content = "身份证号,姓名\r\n41108119900101123X,王某\r\n"
    for data in (content.encode("utf-8-sig"), content.encode("utf-8")):
        table = read_table(data, "名单.csv")
        assert table.header == ["身份证号", "姓名"]
        assert values(table) == [(2, ["41108119900101123X", "王某"])]


def test_a_gbk_csv_as_excel_and_wps_save_it_is_read_and_tabs_separate_too() -> None:
    table = read_table("身份证号,姓名,人员类别\r\n41108119900101123X,王某,脱贫人口\r\n".encode("gbk"), "名单.csv")
    assert values(table) == [(2, ["41108119900101123X", "王某", "脱贫人口"])]
    tabbed = read_table("身份证号\t姓名\n1\t张三\n".encode("gbk"), "名单.txt")
    assert tabbed.header == ["身份证号", "姓名"] and values(tabbed) == [(2, ["1", "张三"])]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "文件为空"),
        (b"  \r\n", "文件为空"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "不是 XLSX 或 CSV"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "不是 XLSX 或 CSV"),
        ("<html><td>姓名</td></html>".encode(), "不是 XLSX 或 CSV"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Excel 97-2003 格式（.xls）"),
        (b"PK\x03\x04 not really a zip", "无法作为 XLSX 读取"),
    ],
)
def test_a_file_that_is_not_a_spreadsheet_is_refused_as_a_whole(data: bytes, words: str) -> None:
    with pytest.raises(FileProblem) as refused:
        read_table(data, "x.xls")
    assert words in refused.value.message


def test_blank_rows_are_skipped_and_row_numbers_stay_the_spreadsheets() -> None:
    data = xlsx(("名单", [["身份证号", "姓名"], ["A", "甲"], [None, None], ["", "   "], ["B", "乙"]]))
    assert [number for number, _ in read_table(data, "x.xlsx").body] == [2, 5]
    csv_table = read_table("身份证号,姓名\n\n,\nC,丙\n".encode(), "x.csv")
    assert values(csv_table) == [(4, ["C", "丙"])]


def test_reading_stops_past_max_rows() -> None:
    data = ("h\n" + "x\n" * 4).encode()
    assert not read_table(data, "x.csv", max_rows=4).too_many
    over = read_table(data, "x.csv", max_rows=3)
    assert over.too_many and [n for n, _ in over.body] == [2, 3, 4]


def test_cells_read_as_text_compact_text_and_header_keys() -> None:
    assert [filled(v) for v in (None, "", "  ", 0, "x")] == [False, False, False, True, True]
    assert text(12.0) == "12" and text(True) == "是" and text(dt.datetime(2023, 5, 30)) == "2023-05-30"
    assert text(" ＡＢ ") == "ＡＢ" and text(" ＡＢ ", fold=True) == "AB"
    assert compact(' ="４１１０ 81" ') == "411081" and compact("'0123") == "0123"
    assert header_key(" 身份证号 * ") == header_key("身份证号（必填）") == "身份证号"
    assert header_key("考核结果(合格/不合格/缺考)") == "考核结果(合格/不合格/缺考)"
    assert header_key("考核结果（合格/不合格/缺考）", drop_note=True) == "考核结果"
