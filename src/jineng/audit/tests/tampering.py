"""Rewriting audit rows behind the application's back, as the tests of the chain need to."""

from __future__ import annotations

from typing import Any

from django.db import connection

TRIGGER = "audit_auditevent_immutable"


def tamper(sql: str, params: list[Any] | None = None) -> None:
    """Raw SQL past the ORM; on PostgreSQL the test's superuser lifts the trigger for it (rolled
    back with the test's transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no ALTER TABLE with deferred checks pending
            cursor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {TRIGGER}")
        cursor.execute(sql, params or [])
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {TRIGGER}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
