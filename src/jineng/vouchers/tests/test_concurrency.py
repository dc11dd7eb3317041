"""Concurrent writers on PostgreSQL (SQLite serialises every write anyway): one voucher redeemed
by two clerks at once is used once; one list sent twice at once issues one batch."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from jineng.accounts.models import Role
from jineng.classes.errors import InvalidTransition, ServiceError
from jineng.classes.services import class_create
from jineng.testing import Cast, class_input, enroll, person, user

from ..models import Voucher, VoucherBatch, VoucherState
from ..services import voucher_redeem, vouchers_issue
from .builders import ENROL_DAY, ISSUED_ON, entry, freeze, issue_to, rows_of, voucher_of, xlsx

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; each answer is a result or the error raised."""
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [RuntimeError("not run")] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait()
            answers[index] = calls[index]()
        except BaseException as exc:  # returned to the test's thread
            answers[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_clerks_redeeming_one_voucher_at_once_use_it_once(people: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    holder = person(0)
    first = class_create(actor=people.alice, data=class_input())
    second = class_create(actor=people.alice, data=class_input(name="第二期车工培训班"))
    enroll(first, [holder])
    enroll(second, [holder])
    colleague = user("alice2", Role.INSTITUTION_CLERK, org=people.alice.org, inst=people.yuzhou_school)
    issue_to(people.hana1, [holder])
    freeze(monkeypatch, ENROL_DAY)
    code = voucher_of(holder).code
    answers = at_once(
        lambda: voucher_redeem(actor=people.alice, code=code, enrollment_id=entry(first, holder).pk),
        lambda: voucher_redeem(actor=colleague, code=code, enrollment_id=entry(second, holder).pk),
    )
    used = [a for a in answers if isinstance(a, Voucher)]
    refused = [a for a in answers if isinstance(a, ServiceError)]
    assert len(used) == 1 and len(refused) == 1, answers
    assert isinstance(refused[0], InvalidTransition) and "已使用" in refused[0].message
    stored = Voucher.objects.get(code=code)
    assert stored.state == VoucherState.REDEEMED and stored.enrollment_id == used[0].enrollment_id


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_one_list_sent_twice_at_once_issues_one_batch(people: Cast) -> None:
    content = xlsx(rows_of([person(i) for i in range(5)]))

    def send() -> VoucherBatch:
        return vouchers_issue(actor=people.hana1, content=content, filename="名单.xlsx", issued_on=ISSUED_ON)

    answers = at_once(send, send, send)
    assert all(isinstance(a, VoucherBatch) for a in answers), answers
    assert len({a.pk for a in answers}) == 1
    assert VoucherBatch.objects.count() == 1 and Voucher.objects.count() == 5
