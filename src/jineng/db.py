"""Hot read statements in plain SQL, prepared once per connection on PostgreSQL.

Gathering a class's facts runs the same handful of statements at every edit, preview, submission
and review. On PostgreSQL, planning them costs as much as running them (a 5-way join plans in
about 1 ms and runs in 0.2 ms), and Django turns psycopg's prepared statements off by default
(`prepare_threshold=None`) so that transaction-mode connection poolers keep working. These
statements are therefore sent with server-side binding and `prepare=True` on Django's own
connection, in its transaction, through its cursor wrapper (so query logging, execute wrappers
and error translation still apply). `JINENG_DB_PREPARE=false` turns this off for a deployment
behind a pooler that cannot carry prepared statements.

The SQL is written once, with `%s` placeholders, and runs unchanged on SQLite through Django's
ordinary cursor.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection

try:  # psycopg is only needed when the database is PostgreSQL
    import psycopg
except ImportError:  # pragma: no cover - SQLite-only installs
    psycopg = None  # type: ignore[assignment]


if psycopg is not None:

    class _PreparingCursor(psycopg.Cursor[Any]):
        """A server-binding cursor whose statements psycopg prepares on first use and reuses."""

        def execute(
            self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
        ) -> Any:
            return super().execute(query, params, prepare=True if prepare is None else prepare, binary=binary)


def _use_prepared() -> bool:
    return psycopg is not None and connection.vendor == "postgresql" and bool(getattr(settings, "DB_PREPARE", True))


def fetch_all(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Every row of one read statement (prepared on PostgreSQL, see the module's note)."""
    if not _use_prepared():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
    connection.ensure_connection()
    raw: Any = _PreparingCursor(connection.connection)  # django-stubs type make_cursor's argument too narrowly
    # The same wrapping Django gives its own cursors: debug logging when queries are logged
    # (assertNumQueries, CaptureQueriesContext), execute wrappers and database-error translation.
    cursor = connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
    with cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def fetch_one(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    rows = fetch_all(sql, params)
    return rows[0] if rows else None


def json_value(value: Any) -> Any:
    """A JSON column read by plain SQL: text on SQLite and through Django's psycopg loaders, else decoded."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def json_values(values: Sequence[Any]) -> list[Any]:
    """Many JSON column values decoded in one parse (a roster has hundreds; one json.loads each costs more)."""
    texts = [v.decode() if isinstance(v, bytes) else v for v in values if isinstance(v, str | bytes)]
    if not texts:
        return list(values)
    parsed = iter(json.loads("[" + ",".join(texts) + "]"))
    return [next(parsed) if isinstance(v, str | bytes) else v for v in values]
