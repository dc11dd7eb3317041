"""A bearer token's user in one prepared statement: the lookup every token request makes first.

The ORM's `ApiToken.objects.select_related("user", "user__org", "user__institution")` compiles a
four-table statement afresh on every request — on the API's hot path that compiling cost more
CPU than running it. Here the statement is written once per database vendor from the models'
own columns, sent through `jineng.db.fetch_one` (prepared once per PostgreSQL connection), and
the row turned into the same objects the ORM would build: the user with its org and institution
already cached, each value through the same converters (so encrypted or SQLite-typed columns
read as they do through the ORM).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Model

from jineng.db import fetch_one
from jineng.registry.models import Institution, OrgUnit

from .models import ApiToken, User


@dataclass(frozen=True)
class _Part:
    model: type[Model]
    names: list[str]  # attribute names, as Model.from_db takes them
    converters: list[list[tuple[Any, Any]]]  # per column: (converter, expression)


@dataclass(frozen=True)
class _Statement:
    sql: str
    last_used: list[tuple[Any, Any]]  # the converters of the token's last_used_at
    parts: tuple[_Part, _Part, _Part]  # user, org, institution


_statements: dict[str, _Statement] = {}


def _part(model: type[Model], alias: str) -> tuple[_Part, list[str]]:
    fields = model._meta.concrete_fields
    assert fields[0].primary_key  # _build tells a missing LEFT JOIN row by it
    quote = connection.ops.quote_name
    converters = []
    for f in fields:
        col = f.get_col(alias)
        converters.append([(c, col) for c in connection.ops.get_db_converters(col) + col.get_db_converters(connection)])
    columns = [f"{alias}.{quote(str(f.column))}" for f in fields]
    return _Part(model, [f.attname for f in fields], converters), columns


def _statement() -> _Statement:
    found = _statements.get(connection.vendor)
    if found is not None:
        return found
    quote = connection.ops.quote_name
    user, user_columns = _part(User, "u")
    org, org_columns = _part(OrgUnit, "o")
    institution, institution_columns = _part(Institution, "i")
    sql = (
        f"SELECT t.{quote('id')}, t.{quote('last_used_at')}, "
        + ", ".join(user_columns + org_columns + institution_columns)
        + f" FROM {quote(ApiToken._meta.db_table)} t"
        + f" JOIN {quote(User._meta.db_table)} u ON u.{quote('id')} = t.{quote('user_id')}"
        + f" LEFT JOIN {quote(OrgUnit._meta.db_table)} o ON o.{quote('id')} = u.{quote('org_id')}"
        + f" LEFT JOIN {quote(Institution._meta.db_table)} i ON i.{quote('id')} = u.{quote('institution_id')}"
        + f" WHERE t.{quote('digest')} = %s AND t.{quote('revoked_at')} IS NULL"
    )
    last_used = ApiToken._meta.get_field("last_used_at").get_col("t")
    chain = [
        (c, last_used) for c in connection.ops.get_db_converters(last_used) + last_used.get_db_converters(connection)
    ]
    statement = _Statement(sql, chain, (user, org, institution))
    _statements[connection.vendor] = statement
    return statement


def _build(part: _Part, values: tuple[Any, ...]) -> Any:
    if values[0] is None:  # a LEFT JOIN that found nothing (the primary key comes first)
        return None
    converted = list(values)
    for i, chain in enumerate(part.converters):
        for converter, expression in chain:
            converted[i] = converter(converted[i], expression, connection)
    return part.model.from_db(connection.alias, part.names, converted)


def token_user(digest: str) -> tuple[int, dt.datetime | None, User] | None:
    """(token id, last used, its user with org and institution loaded) of a live token, or None."""
    statement = _statement()
    row = fetch_one(statement.sql, [digest])
    if row is None:
        return None
    token_id, last_used = row[0], row[1]
    for converter, expression in statement.last_used:
        last_used = converter(last_used, expression, connection)
    at = 2
    built = []
    for part in statement.parts:
        width = len(part.names)
        built.append(_build(part, tuple(row[at : at + width])))
        at += width
    user, org, institution = built
    # Cached on the user as select_related would: reading user.org or user.institution costs nothing.
    User._meta.get_field("org").set_cached_value(user, org)
    User._meta.get_field("institution").set_cached_value(user, institution)
    return int(token_id), last_used, user
