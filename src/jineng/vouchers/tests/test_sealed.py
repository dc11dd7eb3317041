"""A voucher list's digest is a keyed hash (issue 7): a bare SHA-256 of a one-person list could be
matched against every plausible resident ID — and the migration that sealed the stored ones."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import types

import pytest
from django.apps import apps
from django.db import connection

from jineng.testing import Cast, person

from ..models import VoucherBatch
from ..services import list_digest, vouchers_issue
from .builders import ISSUED_ON, csv_bytes, issue_to, rows_of

pytestmark = pytest.mark.django_db

sealing = importlib.import_module("jineng.vouchers.migrations.0002_seal_list_digest")


def plain(org_id: int, day: dt.date, numbers: list[str]) -> str:
    text = f"{org_id}|{day.isoformat()}|{','.join(sorted(numbers))}"
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_stored_digest_of_a_one_person_list_is_no_plain_hash_of_its_id(people: Cast) -> None:
    worker = person(1)
    batch = issue_to(people.hana1, [worker])
    assert people.hana1.org_id is not None
    assert batch.source_digest != plain(people.hana1.org_id, ISSUED_ON, [worker.id_number])
    assert batch.source_digest == list_digest(
        org_id=people.hana1.org_id, issued_on=ISSUED_ON, id_numbers=[worker.id_number]
    )


def test_a_list_stored_before_the_migration_is_still_recognised_when_sent_again(people: Cast) -> None:
    workers = [person(i) for i in range(2)]
    first = issue_to(people.hana1, workers)
    assert people.hana1.org_id is not None
    VoucherBatch.objects.filter(pk=first.pk).update(
        source_digest=plain(people.hana1.org_id, ISSUED_ON, [w.id_number for w in workers])
    )
    sealing.seal_digests(apps, types.SimpleNamespace(connection=connection))
    again = vouchers_issue(
        actor=people.hana1, content=csv_bytes(rows_of(workers)), filename="again.csv", issued_on=ISSUED_ON
    )
    assert again.pk == first.pk and VoucherBatch.objects.count() == 1
