"""Persons at rest: resident ID and phone encrypted in the database, found by the ID's keyed hash —
and the migration that sealed the rows stored before."""

from __future__ import annotations

import datetime as dt
import importlib
import types

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory

from jineng import crypto
from jineng.registry.admin import PersonAdmin
from jineng.registry.models import Person, ric_key
from jineng.testing import make_ric

pytestmark = pytest.mark.django_db

NUMBER = make_ric("411081", dt.date(1990, 1, 1), 7)
PHONE = "13812345678"
sealing = importlib.import_module("jineng.registry.migrations.0002_person_sealed")


def stored(pk: int) -> tuple[str, str, str]:
    """The row as the database holds it (id_number, phone, id_hash), past the model's fields."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id_number, phone, id_hash FROM {Person._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()


def test_the_database_holds_no_clear_id_or_phone_and_the_model_reads_them_back() -> None:
    person = Person.objects.create(id_number=NUMBER, name="张三", phone=PHONE)
    id_column, phone_column, id_hash = stored(person.pk)
    assert NUMBER not in id_column and NUMBER[-8:] not in id_column and PHONE not in phone_column
    assert crypto.is_ciphertext(id_column) and crypto.is_ciphertext(phone_column)
    assert id_hash == ric_key(NUMBER) and NUMBER not in id_hash
    again = Person.objects.get(pk=person.pk)
    assert (again.id_number, again.phone, again.masked_phone) == (NUMBER, PHONE, "138****5678")


def test_a_person_is_found_by_the_id_typed_in_lower_case_with_spaces() -> None:
    number = next(n for n in (make_ric("411081", dt.date(1990, 1, 1), s) for s in range(99)) if n.endswith("X"))
    person = Person.objects.create(id_number=number, name="李四")
    Person.objects.create(id_number=NUMBER, name="张三")
    assert Person.objects.by_id_number(f" {number.lower()} ").get() == person
    assert set(Person.objects.with_id_numbers([number.lower(), NUMBER, "411081199001019999"])) == set(
        Person.objects.all()
    )


def test_a_second_person_with_the_same_id_is_refused_by_the_hash() -> None:
    Person.objects.create(id_number=NUMBER, name="张三")
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(id_number=NUMBER, name="张三")


def test_a_person_without_an_id_is_refused() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(id_number="", name="无名")


def test_bulk_create_and_save_keep_the_hash_in_step_with_the_id() -> None:
    [person] = Person.objects.bulk_create([Person(id_number=NUMBER, name="张三")])
    assert stored(person.pk)[2] == ric_key(NUMBER) == person.id_hash
    other = make_ric("411081", dt.date(1991, 2, 3), 8)
    person.id_number = other
    person.save()
    assert stored(person.pk)[2] == ric_key(other)


def test_the_admin_finds_a_person_by_the_whole_id_or_by_name() -> None:
    mine = Person.objects.create(id_number=NUMBER, name="张三")
    Person.objects.create(id_number=make_ric("411081", dt.date(1992, 3, 4), 9), name="李四")
    person_admin = PersonAdmin(Person, admin.site)
    request = RequestFactory().get("/admin/registry/person/")

    def search(term: str) -> list[Person]:
        found, _ = person_admin.get_search_results(request, Person.objects.all(), term)
        return list(found)

    assert search(NUMBER.lower()) == [mine]
    assert search("张") == [mine]
    assert search(NUMBER[:10]) == []  # no partial match on an encrypted ID


# ── the migration's conversion ────────────────────────────────────────────────────────────────


def _plain(pk: int, number: str, phone: str) -> None:
    """A row as stored before 0002: clear ID and phone (id_hash filled with a placeholder, as the
    constraints of the current schema ask for one)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Person._meta.db_table} (id, id_number, id_hash, name, phone, category, created_at) "
            "VALUES (%s, %s, %s, %s, %s, 'other', CURRENT_TIMESTAMP)",
            [pk, number, f"placeholder-{pk}", f"旧{pk}", phone],
        )


def test_the_migration_seals_plain_rows_and_a_rerun_changes_nothing_readable() -> None:
    editor = types.SimpleNamespace(connection=connection)
    numbers = {9001: NUMBER, 9002: make_ric("411081", dt.date(1980, 5, 6), 3)}
    _plain(9001, numbers[9001], PHONE)
    _plain(9002, numbers[9002].lower(), "")
    sealing.seal_people(apps, editor)
    for pk, number in numbers.items():
        id_column, _, id_hash = stored(pk)
        assert crypto.is_ciphertext(id_column) and number not in id_column.upper()
        assert id_hash == ric_key(number)
    assert stored(9002)[1] == ""  # no phone: nothing to seal
    sealing.seal_people(apps, editor)  # a rerun (after a partial failure) does not seal twice
    assert Person.objects.get(pk=9001).id_number == NUMBER and Person.objects.get(pk=9001).phone == PHONE
    assert Person.objects.by_id_number(numbers[9002]).get().pk == 9002


def test_the_migration_backwards_opens_the_rows_again() -> None:
    person = Person.objects.create(id_number=NUMBER, name="张三", phone=PHONE)
    sealing.unseal_people(apps, types.SimpleNamespace(connection=connection))
    assert stored(person.pk)[:2] == (NUMBER, PHONE)
