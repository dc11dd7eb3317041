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
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.db import connection
from django.db.models import Model, Q, QuerySet

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


def fetch_values(qs: QuerySet[Any]) -> list[dict[str, Any]]:
    """The rows of a `.values(...)` queryset, as the queryset gives them, with the statement
    prepared on PostgreSQL.

    The ORM still writes the SQL (filters, scope, paging stay in the queryset), but PostgreSQL
    plans it once per connection instead of on every request: a list page's five-table join with
    its per-row count took 4.3 ms to plan and 1.8 ms to run. Values go through the fields'
    converters as the ORM's own iteration applies them.
    """
    if not _use_prepared():
        return list(qs)
    compiler = qs.query.get_compiler(using=qs.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # .none(), or a filter no row can meet: the ORM answers without asking
        return []
    rows = fetch_all(sql, params)
    if compiler.has_extra_select:  # ORDER BY columns a DISTINCT made the statement select too
        rows = [row[: compiler.col_count] for row in rows]
    query = qs.query
    names = [*query.extra_select, *query.values_select, *query.annotation_select]
    return [dict(zip(names, row, strict=True)) for row in compiler.results_iter(results=[rows])]


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


# ── model objects from plain rows ─────────────────────────────────────────────────────────────
# A hot lookup written once as SQL still answers with the objects the ORM would build: every
# concrete column of the model, each value through the same converters (encrypted, JSON or
# SQLite-typed columns read as they do through the ORM), related objects cached on the instance
# as select_related leaves them.


@dataclass(frozen=True)
class ModelColumns:
    """One model's concrete columns under a table alias, and how to build the model from them."""

    model: type[Model]
    alias: str
    names: list[str]  # attribute names, as Model.from_db takes them
    columns: list[str]  # quoted `alias.column`, in the same order
    converters: list[list[tuple[Any, Any]]]  # per column: (converter, expression)

    @classmethod
    def of(cls, model: type[Model], alias: str) -> ModelColumns:
        fields = model._meta.concrete_fields
        assert fields[0].primary_key  # build() tells a LEFT JOIN that found nothing by it
        quote = connection.ops.quote_name
        converters = []
        for f in fields:
            col = f.get_col(alias)
            converters.append(
                [(c, col) for c in connection.ops.get_db_converters(col) + col.get_db_converters(connection)]
            )
        return cls(
            model, alias, [f.attname for f in fields], [f"{alias}.{quote(str(f.column))}" for f in fields], converters
        )

    @property
    def width(self) -> int:
        return len(self.names)

    def build(self, values: Sequence[Any]) -> Any:
        """The instance from this model's slice of a row; None for a LEFT JOIN that found nothing."""
        if values[0] is None:
            return None
        converted = list(values)
        for i, chain in enumerate(self.converters):
            for converter, expression in chain:
                converted[i] = converter(converted[i], expression, connection)
        return self.model.from_db(connection.alias, self.names, converted)


@dataclass(frozen=True)
class Joined:
    """A model and some of its foreign keys, LEFT JOINed: the statement's select list and FROM
    clause, and the objects built from a row as `select_related(*related)` would build them."""

    base: ModelColumns
    related: tuple[tuple[str, ModelColumns], ...]  # (foreign key name, its model's columns)
    from_clause: str

    @classmethod
    def of(cls, model: type[Model], alias: str, related: Sequence[str]) -> Joined:
        quote = connection.ops.quote_name
        base = ModelColumns.of(model, alias)
        parts = []
        joins = [f"{quote(model._meta.db_table)} {alias}"]
        for i, name in enumerate(related):
            fk = model._meta.get_field(name)
            target = fk.related_model
            assert isinstance(target, type) and issubclass(target, Model)
            other = ModelColumns.of(target, f"{alias}{i}")
            parts.append((name, other))
            joins.append(
                f"LEFT JOIN {quote(target._meta.db_table)} {other.alias}"
                f" ON {other.alias}.{quote(str(target._meta.pk.column))} = {alias}.{quote(str(fk.column))}"  # type: ignore[union-attr]
            )
        return cls(base, tuple(parts), " ".join(joins))

    @property
    def select_list(self) -> str:
        return ", ".join(self.base.columns + [c for _, part in self.related for c in part.columns])

    def build(self, row: Sequence[Any], at: int = 0) -> Any:
        """The model (from column `at` of `row` on) with its related objects cached on it."""
        instance = self.base.build(row[at : at + self.base.width])
        at += self.base.width
        for name, part in self.related:
            self.base.model._meta.get_field(name).set_cached_value(instance, part.build(row[at : at + part.width]))  # type: ignore[union-attr]
            at += part.width
        return instance


def q_admits(q: Q, obj: Model) -> bool | None:
    """Whether `obj` satisfies `q`, judged from the object's own columns — so a scope written once
    as a Q can check an object already loaded. None when that would take the database: a lookup
    across a relation, a negation, or a lookup other than exact and `in`."""
    if q.negated:
        return None
    verdicts = []
    for child in q.children:
        if isinstance(child, Q):
            verdict = q_admits(child, obj)
        else:
            lookup, value = child  # type: ignore[misc]  # a Q child is a Q or a (lookup, value) pair
            verdict = _lookup_admits(obj, lookup, value)
        if verdict is None:
            return None
        verdicts.append(verdict)
    return all(verdicts) if q.connector == Q.AND else any(verdicts)


def _lookup_admits(obj: Model, lookup: str, value: Any) -> bool | None:
    name, _, op = lookup.partition("__")
    if op not in ("", "exact", "in"):
        return None
    try:
        field = obj._meta.get_field(name)  # a foreign key by name or by attname
    except FieldDoesNotExist:
        return None
    if not field.concrete or field.many_to_many:
        return None
    actual = getattr(obj, field.attname)

    def plain(v: Any) -> Any:
        return v.pk if isinstance(v, Model) else v

    if op == "in":
        return actual in {plain(v) for v in value}
    return bool(actual == plain(value))
