"""The 待办 page lists the claims and batches waiting on the reader (the cast of test_services:
dan1/dan2 sign for 市工信局, hana1/hana2 for 禹州 HR, carol for 长葛 HR, finance/finance2 pay)."""

from __future__ import annotations

import pytest
from django.test import Client

from jineng.subsidy.services import batch_push, claim_review, claim_submit
from jineng.testing import Cast

from .scenes import certify, claimed, ended_class, noticed, through_review
from .test_services import AFTER_NOTICE

pytestmark = pytest.mark.django_db


def _todo(user: object) -> str:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client.get("/todo/").content.decode()


def test_a_submitted_claim_waits_on_the_lead_department_and_nobody_else(people: Cast) -> None:
    cls = ended_class(people)
    certify(people, cls)
    claim = claimed(people, cls)
    assert claim.code in _todo(people.alice)  # a draft waits on its clerk
    claim_submit(claim=claim, actor=people.alice, expected_version=claim.version)
    claim.refresh_from_db()
    claim_review(claim=claim, actor=people.dan1, action="accept", expected_version=claim.version)
    assert claim.code in _todo(people.dan2)
    for outsider in (people.erin, people.carol, people.hana1, people.finance):
        assert claim.code not in _todo(outsider)


def test_a_pushed_batch_waits_on_finance(people: Cast) -> None:
    cls = ended_class(people)
    certify(people, cls)
    noticed(people, through_review(people, claimed(people, cls)))
    batch = batch_push(actor=people.hana1, today=AFTER_NOTICE)
    body = _todo(people.finance)
    assert 'data-testid="todo-batches"' in body and batch.code in body
    assert batch.code not in _todo(people.carol)
