"""Hot read statements: the same SQL on both databases, prepared on PostgreSQL, logged like any query."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from jineng.db import fetch_all, fetch_one, json_value, json_values
from jineng.registry.models import OrgUnit

pytestmark = pytest.mark.django_db

ON_POSTGRES = pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
STATEMENT = f"SELECT key, name FROM {OrgUnit._meta.db_table} WHERE key = %s AND %s <= %s"


def _unit() -> OrgUnit:
    return OrgUnit.objects.create(key="area-test", kind=OrgUnit.Kind.AREA, name="测试区")


def _prepared_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%key = $1%"])
        return int(cursor.fetchone()[0])


def test_it_reads_rows_with_the_same_placeholders_on_either_database() -> None:
    _unit()
    params = ["area-test", dt.date(2023, 1, 1), dt.date(2023, 6, 1)]
    assert fetch_all(STATEMENT, params) == [("area-test", "测试区")]
    assert fetch_one(STATEMENT, params) == ("area-test", "测试区")
    assert fetch_one(STATEMENT, ["area-none", dt.date(2023, 1, 1), dt.date(2023, 6, 1)]) is None


def test_its_statements_are_counted_like_any_query(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(2):
        fetch_all(STATEMENT, ["x", 1, 2])
        fetch_one(STATEMENT, ["x", 1, 2])


def test_a_bad_statement_is_a_django_database_error() -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        fetch_all("SELECT nothing FROM no_such_table WHERE 1 = %s", [1])


@ON_POSTGRES
def test_on_postgres_the_statement_is_prepared_once_and_reused() -> None:
    before = _prepared_count()
    for _ in range(3):
        fetch_all(STATEMENT.replace("name", "name AS prepared_once"), ["x", 1, 2])
    assert _prepared_count() == before + 1


@ON_POSTGRES
def test_with_preparing_turned_off_nothing_is_prepared() -> None:
    before = _prepared_count()
    with override_settings(DB_PREPARE=False):
        fetch_all(STATEMENT.replace("name", "name AS never_prepared"), ["x", 1, 2])
    assert _prepared_count() == before


def test_json_columns_decode_in_one_pass_whatever_the_driver_hands_back() -> None:
    assert json_values(['{"a": 1}', None, b"[1, 2]", {"already": True}, "null", "3"]) == [
        {"a": 1},
        None,
        [1, 2],
        {"already": True},
        None,
        3,
    ]
    assert json_values([None, {"x": 1}]) == [None, {"x": 1}]
    assert json_value('{"a": [1]}') == {"a": [1]} and json_value(None) is None
