"""A claim's contact phone and bank account are encrypted at rest (issue 7) — and the migration
that sealed the claims stored before."""

from __future__ import annotations

import importlib
import types

import pytest
from django.apps import apps
from django.db import connection

from jineng import crypto
from jineng.subsidy.models import SubsidyClaim
from jineng.testing import Cast

from .scenes import CLAIM, claimed, ended_class

pytestmark = pytest.mark.django_db

sealing = importlib.import_module("jineng.subsidy.migrations.0003_claim_sealed")


def stored(pk: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT phone, bank_account FROM {SubsidyClaim._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()


def test_the_database_holds_no_clear_phone_or_account_and_the_claim_reads_them_back(people: Cast) -> None:
    claim = claimed(people, ended_class(people))
    phone, account = stored(claim.pk)
    assert CLAIM.phone not in phone and CLAIM.bank_account not in account and CLAIM.bank_account[-4:] not in account
    assert crypto.decrypt(phone, purpose="phone") == CLAIM.phone
    assert crypto.decrypt(account, purpose="bank_account") == CLAIM.bank_account
    again = SubsidyClaim.objects.get(pk=claim.pk)
    assert (again.phone, again.bank_account) == (CLAIM.phone, CLAIM.bank_account)


def test_an_account_copied_into_the_phone_column_does_not_read_as_a_phone(people: Cast) -> None:
    claim = claimed(people, ended_class(people))
    _, account = stored(claim.pk)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {SubsidyClaim._meta.db_table} SET phone = %s WHERE id = %s", [account, claim.pk])
    with pytest.raises(crypto.DecryptionFailed):
        SubsidyClaim.objects.get(pk=claim.pk)


def test_the_migration_seals_plain_claims_and_backwards_opens_them(people: Cast) -> None:
    claim = claimed(people, ended_class(people))
    editor = types.SimpleNamespace(connection=connection)
    with connection.cursor() as cursor:  # the claim as stored before 0003: in clear
        cursor.execute(
            f"UPDATE {SubsidyClaim._meta.db_table} SET phone = %s, bank_account = %s WHERE id = %s",
            [CLAIM.phone, CLAIM.bank_account, claim.pk],
        )
    sealing.seal_claims(apps, editor)
    phone, account = stored(claim.pk)
    assert crypto.is_ciphertext(phone) and crypto.is_ciphertext(account)
    sealing.seal_claims(apps, editor)  # a rerun does not seal twice
    assert stored(claim.pk) == (phone, account)
    assert SubsidyClaim.objects.get(pk=claim.pk).bank_account == CLAIM.bank_account
    sealing.unseal_claims(apps, editor)
    assert stored(claim.pk) == (CLAIM.phone, CLAIM.bank_account)
