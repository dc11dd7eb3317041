"""Real concurrent connections on PostgreSQL (SQLite serialises every write anyway): twenty
simultaneous disbursements of one claim leave one payment, twenty simultaneous identical claims
leave one claim.

The cast as in test_services: alice claims, the 工信局, 禹州 HR and city finance sign.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import pytest
from django.db import connection, connections

from jineng.classes.errors import ServiceError
from jineng.subsidy.models import Disbursement, PaymentLine, SubsidyClaim
from jineng.subsidy.services import batch_push, batch_sign, claim_create, claim_disburse
from jineng.testing import Cast

from .scenes import CLAIM, certify, claimed, ended_class, noticed, payment_for, through_review
from .test_services import AFTER_NOTICE, PAY_DAY

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
N = 20


def _at_once(calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together by a barrier; each closes its own connection.
    Refusals (ServiceError) are answers, anything else fails the test."""
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [RuntimeError("not run")] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait()
            answers[index] = calls[index]()
        except BaseException as exc:
            answers[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for answer in answers:
        if isinstance(answer, BaseException) and not isinstance(answer, ServiceError):
            raise answer
    return answers


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_identical_claims_leave_one_claim(people: Cast) -> None:
    cls = ended_class(people)
    certify(people, cls)
    answers = _at_once([lambda: claim_create(cls=cls, actor=people.alice, data=CLAIM) for _ in range(N)])
    assert SubsidyClaim.objects.count() == 1
    claim = SubsidyClaim.objects.get()
    assert {a[0].pk for a in answers} == {claim.pk}
    assert sum(1 for a in answers if a[1]) == 1  # exactly one says it created the claim
    assert claim.lines.count() == 3


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_disbursements_of_one_claim_pay_once(people: Cast) -> None:
    cls = ended_class(people)
    certify(people, cls)
    claim = noticed(people, through_review(people, claimed(people, cls)))
    batch = batch_push(actor=people.hana1, today=AFTER_NOTICE)
    batch_sign(batch=batch, actor=people.finance, expected_version=batch.version)
    batch.refresh_from_db()
    batch_sign(batch=batch, actor=people.finance2, expected_version=batch.version)
    data = payment_for(claim)
    # Half retry one request (same key), half are different clerks' attempts (own keys).
    keys = ["same-key-0001" if i % 2 == 0 else f"other-key-{i:04d}" for i in range(N)]
    signers = [people.finance if i % 2 == 0 else people.finance2 for i in range(N)]
    calls = [
        partial(claim_disburse, claim=claim, actor=signer, idempotency_key=key, data=data, today=PAY_DAY)
        for key, signer in zip(keys, signers, strict=True)
    ]
    answers = _at_once(calls)
    assert Disbursement.objects.count() == 1
    assert PaymentLine.objects.count() == 3
    paid = [a for a in answers if not isinstance(a, ServiceError)]
    created = [a for a in paid if a[1]]
    assert len(created) == 1
    assert {a[0].pk for a in paid} == {Disbursement.objects.get().pk}
    refused = [a for a in answers if isinstance(a, ServiceError)]
    assert all("已拨付" in a.message or "不能执行" in a.message or "幂等键" in a.message for a in refused)
