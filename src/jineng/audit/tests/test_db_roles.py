"""`manage db_roles`: on PostgreSQL the application's own role may append to the audit log and read
it, and the database refuses it any UPDATE, DELETE or TRUNCATE there."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, ProgrammingError, connection, transaction

from jineng.audit.models import AuditEvent
from jineng.audit.services import audit_record
from jineng.audit.verify import verify_database
from jineng.testing import Cast

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="database roles exist on PostgreSQL only")


@pytest.fixture
def app_role(db: None) -> Iterator[str]:
    name = f"jineng_app_test_{uuid.uuid4().hex[:12]}"
    yield name
    # Roles are cluster-wide: the test's transaction rolls its creation back, and this makes sure.
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
        if cursor.fetchone():
            cursor.execute(f'DROP OWNED BY "{name}"; DROP ROLE "{name}"')


def refused(sql: str, params: list[Any]) -> BaseException:
    """Run `sql` in a savepoint and return what the database raised."""
    with pytest.raises(DatabaseError) as raised, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return raised.value


@postgres_only
def test_the_database_refuses_the_application_role_an_audit_update_or_delete(people: Cast, app_role: str) -> None:
    call_command("db_roles", "--app-role", app_role)
    before = audit_record(actor=people.alice, event="x.before", obj=people.dan1)
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{app_role}"')
    try:
        written = audit_record(actor=people.alice, event="x.as_app", obj=people.dan1)  # append: yes
        assert written.seq == before.seq + 1 and AuditEvent.objects.filter(seq=written.seq).exists()
        for sql in (
            "UPDATE audit_auditevent SET note = 'x' WHERE id = %s",
            "DELETE FROM audit_auditevent WHERE id = %s",
        ):
            error = refused(sql, [before.pk])
            assert isinstance(error, ProgrammingError) and isinstance(
                error.__cause__, psycopg.errors.InsufficientPrivilege
            )
        error = refused("TRUNCATE audit_auditevent", [])
        assert isinstance(error.__cause__, psycopg.errors.InsufficientPrivilege)
        # Ordinary tables stay writable: the role runs the application.
        with connection.cursor() as cursor:
            cursor.execute("UPDATE accounts_user SET first_name = first_name WHERE id = %s", [people.dan1.pk])
            assert cursor.rowcount == 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert verify_database().ok


@postgres_only
def test_the_owner_is_refused_an_audit_update_by_the_trigger(people: Cast) -> None:
    event = audit_record(actor=people.alice, event="x.y", obj=people.dan1)
    error = refused("UPDATE audit_auditevent SET note = 'x' WHERE id = %s", [event.pk])
    assert "审计日志不可修改或删除" in str(error)


@postgres_only
def test_db_roles_runs_again_without_harm_and_sets_a_password_from_the_environment(
    people: Cast, app_role: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("db_roles", "--app-role", app_role)
    assert "已建立" in capsys.readouterr().out
    monkeypatch.setenv("JINENG_APP_DB_PASSWORD", "s3cret-'quoted'")
    call_command("db_roles", "--app-role", app_role, "--password-env", "JINENG_APP_DB_PASSWORD")
    assert "已更新" in capsys.readouterr().out
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolcanlogin, rolsuper, rolpassword IS NOT NULL FROM pg_authid WHERE rolname = %s", [app_role]
        )
        assert cursor.fetchone() == (True, False, True)
        cursor.execute(
            "SELECT has_table_privilege(%s, 'audit_auditevent', 'INSERT'),"
            " has_table_privilege(%s, 'audit_auditevent', 'UPDATE'),"
            " has_table_privilege(%s, 'accounts_user', 'UPDATE')",
            [app_role] * 3,
        )
        assert cursor.fetchone() == (True, False, True)


@postgres_only
def test_db_roles_refuses_a_bad_name_the_owner_itself_and_an_unset_password(db: None) -> None:
    with pytest.raises(CommandError, match="--app-role"):
        call_command("db_roles", "--app-role", "Robert'); DROP TABLE x;--")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (owner,) = cursor.fetchone()
    with pytest.raises(CommandError, match="所有者"):
        call_command("db_roles", "--app-role", owner)
    with pytest.raises(CommandError, match="NO_SUCH_VARIABLE"):
        call_command("db_roles", "--app-role", "jineng_app_x", "--password-env", "NO_SUCH_VARIABLE")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite refusal")
def test_db_roles_refuses_on_sqlite(db: None) -> None:
    with pytest.raises(CommandError, match="只适用于 PostgreSQL"):
        call_command("db_roles", "--app-role", "jineng_app")
