"""Builders for the voucher tests: list files, the clock, a batch issued to given persons.

Dates: vouchers are issued on 2023-04-20 (180 days: valid to 2023-10-16); alice's class
(supervision scenes) starts 2023-05-08; the clock is put at 2023-05-05 to enrol.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

import pytest
from django.utils import timezone
from openpyxl import Workbook

from jineng.accounts.models import User
from jineng.classes.models import Enrollment, TrainingClass
from jineng.registry.models import Person
from jineng.supervision.tests.scenes import local
from jineng.testing import Cast

from ..models import Voucher, VoucherBatch
from ..services import vouchers_issue

ISSUED_ON = dt.date(2023, 4, 20)
EXPIRES_ON = dt.date(2023, 10, 16)  # 180 days counting the day of issue
ENROL_DAY = dt.date(2023, 5, 5)
HEADER = ("身份证号", "姓名", "意愿")


def xlsx(rows: Sequence[Sequence[object]], header: Sequence[str] = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(header))
    for r in rows:
        sheet.append(list(r))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: Sequence[Sequence[object]], encoding: str = "gbk", header: Sequence[str] = HEADER) -> bytes:
    lines = [",".join(header)] + [",".join(str(v) for v in r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def rows_of(persons: Sequence[Person]) -> list[tuple[str, str, str]]:
    return [(p.id_number, p.name, "是") for p in persons]


def issue_to(actor: User, persons: Sequence[Person], *, on: dt.date = ISSUED_ON) -> VoucherBatch:
    return vouchers_issue(actor=actor, content=xlsx(rows_of(persons)), filename="名单.xlsx", issued_on=on)


def voucher_of(person: Person) -> Voucher:
    return Voucher.objects.filter(holder=person).order_by("-id").first() or pytest.fail(f"no voucher for {person}")


def freeze(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:
    """The clock at noon Beijing time on `day` (services read the date through django.utils.timezone)."""
    monkeypatch.setattr(timezone, "now", lambda: local(day, 12))


def wendy_of(people: Cast) -> Person:
    """wendy's own person record (the cast's worker)."""
    assert people.wendy.person is not None
    return people.wendy.person


def entry(cls: TrainingClass, person: Person) -> Enrollment:
    return Enrollment.objects.get(training_class=cls, person=person)
