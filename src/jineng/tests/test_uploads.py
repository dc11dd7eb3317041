"""Every upload endpoint against bad files: refused with a 4xx and a Chinese message, nothing written.

The endpoints: the roster (API and page), the voucher list (API and page), the assessment results
(page) and the offline check-in records (API). The files: over the size limit (refused by the
endpoint, naming the file, or — far over — from Content-Length before the body is read), random
bytes, a zip that is no workbook, a truncated workbook, workbooks that unpack to far more than they
weigh (a shared string of 70 MB, a cell at row 1,048,576), empty, a PDF by another name, NUL bytes.
Lists in GBK and in UTF-8 with or without a BOM are accepted. And every XLSX/CSV export keeps
formula-like text as text.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from openpyxl import Workbook, load_workbook

from jineng import tabular
from jineng.assessment.models import AssessmentResult
from jineng.assessment.tests.scenes import file as file_plan
from jineng.assessment.tests.scenes import ready
from jineng.classes.models import Enrollment
from jineng.classes.roster_io import roster_template_xlsx
from jineng.classes.services import class_create
from jineng.supervision.models import CheckInBatch
from jineng.testing import Cast, class_input, make_ric
from jineng.vouchers.models import Voucher, VoucherBatch

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parents[1]
ISSUED_ON = "2023-06-01"  # inside the 2023 policy, which holds the voucher parameters


def client(who: object) -> Client:
    c = Client()
    c.force_login(who)  # type: ignore[arg-type]
    return c


def workbook(rows: list[list[object]], *, title: str | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if title:
        sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _replace_part(data: bytes, name: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, content if info.filename == name else source.read(info.filename))
        if name not in source.namelist():
            target.writestr(name, content)
    return out.getvalue()


@cache
def shared_string_bomb() -> bytes:
    """A workbook of a few hundred KB whose shared-strings part unpacks to 70 MB."""
    huge = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    huge += b"<si><t>" + b"A" * 70_000_000 + b"</t></si></sst>"
    return _replace_part(workbook([["身份证号", "姓名"]]), "xl/sharedStrings.xml", huge)


def deep_row_bomb() -> bytes:
    """A workbook of 5 KB with one cell at row 1,048,576: read naively, a million empty rows."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["身份证号", "姓名"])
    sheet.cell(row=1_048_576, column=1, value="x")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def not_a_workbook_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "这不是工作簿")
    return out.getvalue()


MALFORMED: dict[str, tuple[str, Callable[[], bytes]]] = {
    "random bytes": ("名单.xlsx", lambda: random.Random(7).randbytes(6000)),
    "a zip that is no workbook": ("名单.xlsx", not_a_workbook_zip),
    "a truncated workbook": ("名单.xlsx", lambda: roster_template_xlsx()[:3000]),
    "a 70 MB shared string": ("名单.xlsx", shared_string_bomb),
    "a cell at row 1048576": ("名单.xlsx", deep_row_bomb),
    "an empty file": ("名单.csv", lambda: b""),
    "a PDF called csv": ("名单.csv", lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"),
    "NUL bytes past the start": ("名单.csv", lambda: ("身份证号,姓名\n" + "x,y\n" * 2000).encode() + b"\x00\x00"),
}


Response = Any  # the test client's response (an Response with .json())


@dataclass
class Endpoint:
    """One upload endpoint: how to send a file to it, and how much it has written."""

    post: Callable[[str, bytes], Response]
    written: Callable[[], int]
    api: bool


def _roster_api(people: Cast) -> Endpoint:
    cls = class_create(actor=people.alice, data=class_input())
    c = client(people.alice)

    def post(name: str, data: bytes) -> Response:
        upload = SimpleUploadedFile(name, data)
        return c.post(f"/api/v1/classes/{cls.pk}/roster", {"file": upload, "version": cls.version})

    return Endpoint(post, lambda: Enrollment.objects.filter(training_class=cls).count(), api=True)


def _roster_page(people: Cast) -> Endpoint:
    cls = class_create(actor=people.alice, data=class_input())
    c = client(people.alice)

    def post(name: str, data: bytes) -> Response:
        upload = SimpleUploadedFile(name, data)
        return c.post(f"/classes/{cls.pk}/roster/import/", {"file": upload, "version": cls.version})

    return Endpoint(post, lambda: Enrollment.objects.filter(training_class=cls).count(), api=False)


def _vouchers_api(people: Cast) -> Endpoint:
    c = client(people.hana1)

    def post(name: str, data: bytes) -> Response:
        return c.post("/api/v1/vouchers/batches", {"file": SimpleUploadedFile(name, data), "issued_on": ISSUED_ON})

    return Endpoint(post, lambda: VoucherBatch.objects.count() + Voucher.objects.count(), api=True)


def _vouchers_page(people: Cast) -> Endpoint:
    c = client(people.hana1)

    def post(name: str, data: bytes) -> Response:
        form = {"file": SimpleUploadedFile(name, data), "issued_on": ISSUED_ON, "purpose": ""}
        return c.post("/vouchers/issue/", form)

    return Endpoint(post, lambda: VoucherBatch.objects.count() + Voucher.objects.count(), api=False)


def _results_page(people: Cast) -> Endpoint:
    plan = file_plan(people, ready(people))
    c = client(people.eve)

    def post(name: str, data: bytes) -> Response:
        return c.post(f"/assessment/{plan.pk}/results/", {"file": SimpleUploadedFile(name, data)})

    return Endpoint(post, AssessmentResult.objects.count, api=False)


def _checkins_api(people: Cast) -> Endpoint:
    c = client(people.alice)

    def post(name: str, data: bytes) -> Response:
        return c.post("/api/v1/checkins/import", {"file": SimpleUploadedFile(name, data)})

    return Endpoint(post, CheckInBatch.objects.count, api=True)


LIST_ENDPOINTS = {
    "roster API": _roster_api,
    "roster page": _roster_page,
    "voucher list API": _vouchers_api,
    "voucher list page": _vouchers_page,
    "results page": _results_page,
}
ENDPOINTS = {**LIST_ENDPOINTS, "check-in import API": _checkins_api}


def answer_text(response: Response) -> str:
    """What the user reads: the JSON error's text (unescaped), or the page."""
    body = response.content.decode("utf-8", "replace")
    if response.get("Content-Type", "").startswith("application/json"):
        return json.dumps(response.json(), ensure_ascii=False)
    return body


def refused(response: Response, endpoint: Endpoint) -> str:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    text = answer_text(response)
    assert re.search(r"[\u4e00-\u9fff]", text), text[:300]
    return text


# ── size ──────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("which", ENDPOINTS)
def test_a_file_over_the_limit_is_refused_naming_the_file_and_the_limit(people: Cast, which: str) -> None:
    endpoint = ENDPOINTS[which](people)
    with override_settings(JINENG_UPLOAD_MAX_MB=1, JINENG_CHECKIN_IMPORT_MAX_MB=1):
        response = endpoint.post("超大名单.csv", b"x" * 1_500_000)
    text = refused(response, endpoint)
    assert response.status_code in (413, 422)  # a page shows its form again (422) with the refusal
    assert "超大名单.csv" in text and "1 MB" in text and "1.4 MB" in text, text[:500]
    assert endpoint.written() == 0


@pytest.mark.parametrize("which", ENDPOINTS)
def test_a_body_far_over_the_limit_is_refused_before_it_is_read(people: Cast, which: str) -> None:
    endpoint = ENDPOINTS[which](people)
    with override_settings(JINENG_UPLOAD_MAX_MB=1, JINENG_CHECKIN_IMPORT_MAX_MB=1):
        response = endpoint.post("超大名单.csv", b"x" * 2_200_000)
    assert response.status_code == 413
    assert "超过 1 MB 的上限" in refused(response, endpoint)
    assert endpoint.written() == 0


def test_the_limit_is_twenty_megabytes_unless_configured() -> None:
    assert tabular.upload_limit() == 20 * 1024 * 1024
    assert tabular.size_problem(20 * 1024 * 1024, "a.xlsx") is None
    problem = tabular.size_problem(20 * 1024 * 1024 + 1, "a.xlsx", what="花名册文件")
    assert problem is not None and problem.startswith("花名册文件“a.xlsx”为 20 MB，超过 20 MB 的上限")
    with override_settings(JINENG_UPLOAD_MAX_MB=3):
        assert tabular.upload_limit() == 3 * 1024 * 1024


# ── malformed files ───────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("case", MALFORMED)
@pytest.mark.parametrize("which", ENDPOINTS)
def test_a_malformed_file_is_refused_with_a_clear_message_and_nothing_written(
    people: Cast, which: str, case: str
) -> None:
    endpoint = ENDPOINTS[which](people)
    name, make = MALFORMED[case]
    response = endpoint.post(name, make())
    text = refused(response, endpoint)
    assert endpoint.written() == 0
    if which in LIST_ENDPOINTS:  # the shared reader names the file in each refusal
        # (an empty file on a page is refused before it reaches the reader, beside the file field)
        assert name in text or (case == "an empty file" and re.search("为空|请选择", text)), text[:500]


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("random bytes", "不是 XLSX 或 CSV"),
        ("a zip that is no workbook", "无法作为 XLSX 读取"),
        ("a truncated workbook", "无法作为 XLSX 读取"),
        ("a 70 MB shared string", "解压后的表格数据有"),
        ("a cell at row 1048576", "超过 20,000 行（含空行）"),
        ("an empty file", "文件为空"),
        ("a PDF called csv", "不是 XLSX 或 CSV"),
        ("NUL bytes past the start", "空字符"),
    ],
)
def test_the_reader_says_what_is_wrong_with_each_malformed_file(case: str, words: str) -> None:
    name, make = MALFORMED[case]
    with pytest.raises(tabular.FileProblem) as problem:
        tabular.read_table(make(), name)
    assert words in problem.value.message and f"“{name}”" in problem.value.message


def test_a_wide_sheet_is_read_to_a_bounded_width() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["身份证号", "姓名"])
    sheet.cell(row=2, column=1, value="A")
    sheet.cell(row=2, column=16_384, value="far right")
    out = io.BytesIO()
    book.save(out)
    table = tabular.read_table(out.getvalue(), "宽表.xlsx")
    assert [len(row) for _, row in table.body] == [tabular.MAX_COLUMNS]


def test_a_text_file_in_an_unknown_encoding_is_named_as_such() -> None:
    with pytest.raises(tabular.FileProblem) as problem:
        tabular.read_table("身份证号,姓名\n".encode("utf-16-le")[2:] + b"\xff\xfe\xfa", "名单.csv")
    assert "不是 XLSX 或 CSV" in problem.value.message or "编码无法识别" in problem.value.message
    with pytest.raises(tabular.FileProblem) as problem:
        tabular.read_table(b"id,name\n1,\x81\x30\xff\n", "名单.csv")
    assert "编码无法识别" in problem.value.message and "UTF-8" in problem.value.message


# ── encodings accepted ────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_a_voucher_list_in_utf8_with_or_without_bom_or_in_gbk_is_issued(people: Cast, encoding: str) -> None:
    ids = [make_ric("411081", dt.date(1990, 1, 1), 100 + i) for i in range(2)]
    content = "身份证号,姓名,意愿\n" + "".join(f"{ric},王{'一二'[i]}伟,是\n" for i, ric in enumerate(ids))
    response = client(people.hana1).post(
        "/api/v1/vouchers/batches",
        {"file": SimpleUploadedFile("名单.csv", content.encode(encoding)), "issued_on": ISSUED_ON},
    )
    assert response.status_code == 201, response.content[:500]
    assert sorted(Voucher.objects.values_list("holder__name", flat=True)) == ["王一伟", "王二伟"]


# ── exports ───────────────────────────────────────────────────────────────────────────────────

INJECTIONS = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"]


def test_formula_like_text_is_written_as_text_in_an_xlsx_export() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([*INJECTIONS, "王伟", 5, -5, 2.5])
    reread = load_workbook(io.BytesIO(tabular.xlsx_bytes(book)))
    cells = list(next(iter(reread.worksheets[0].iter_rows())))
    assert [c.value for c in cells] == [*INJECTIONS, "王伟", 5, -5, 2.5]
    assert [c.data_type for c in cells] == ["s"] * 7 + ["n"] * 3
    assert [c.quotePrefix for c in cells] == [True] * 6 + [False] * 4


def test_formula_like_text_gets_an_apostrophe_in_a_csv_export_and_loses_it_on_reimport() -> None:
    assert [tabular.csv_text(v) for v in INJECTIONS] == [f"'{v.strip()}" for v in INJECTIONS]
    plain = ("王伟", 5, -5, -2.5, None, dt.date(2023, 5, 1))
    assert [tabular.csv_text(v) for v in plain] == ["王伟", "5", "-5", "-2.5", "", "2023-05-01"]
    assert [tabular.text(tabular.csv_text(v)) for v in INJECTIONS[:5]] == INJECTIONS[:5]
    assert tabular.text("'0123") == "'0123"  # an apostrophe before digits is the user's own


def test_a_holder_named_like_a_formula_stays_text_in_the_voucher_export(people: Cast) -> None:
    evil = '=HYPERLINK("http://evil.example","点我")'
    quoted = '"' + evil.replace('"', '""') + '"'
    content = f"身份证号,姓名\n{make_ric('411081', dt.date(1990, 1, 1), 7)},{quoted}\n"
    c = client(people.hana1)
    issued = c.post(
        "/api/v1/vouchers/batches",
        {"file": SimpleUploadedFile("名单.csv", content.encode("utf-8")), "issued_on": ISSUED_ON},
    )
    assert issued.status_code == 201, issued.content[:500]
    export = c.get("/vouchers/?format=xlsx")
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(export.content))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    (named,) = [cell for cell in cells if cell.value == evil]
    assert named.data_type == "s" and named.quotePrefix


def test_every_xlsx_export_is_saved_by_the_neutralising_writer() -> None:
    """A new export that saves its workbook itself would let formulas through: all go through
    `tabular.xlsx_bytes`."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if "tests" in path.parts or path.name == "tabular.py":
            continue
        text = path.read_text(encoding="utf-8")
        if "Workbook(" in text and ("xlsx_bytes(" not in text or re.search(r"\bbook\.save\(", text)):
            offenders.append(str(path.relative_to(SRC)))
    assert offenders == []
