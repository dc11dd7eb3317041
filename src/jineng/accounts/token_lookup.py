"""A request's user in one prepared statement: the lookup every API request makes first — by a
bearer token's digest, or by the user id a session holds.

The ORM's `ApiToken.objects.select_related("user", "user__org", "user__institution")` compiles a
four-table statement afresh on every request — on the API's hot path that compiling cost more
CPU than running it. Here the statement is written once per database vendor from the models'
own columns (`jineng.db.Joined`), sent through `jineng.db.fetch_one` (prepared once per
PostgreSQL connection), and the row turned into the same objects the ORM would build.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection

from jineng.db import Joined, fetch_one

from .models import ApiToken, User


@dataclass(frozen=True)
class _Statement:
    sql: str
    user: Joined  # the user with its org and institution
    last_used: list[tuple[Any, Any]]  # the converters of the token's last_used_at


_statements: dict[tuple[str, str], _Statement] = {}  # (vendor, "token" or "user") → statement


def _statement(by: str) -> _Statement:
    """The lookup by a token's digest (`by="token"`: the token's id and last use come first) or by
    the user's id (`by="user"`)."""
    found = _statements.get((connection.vendor, by))
    if found is not None:
        return found
    quote = connection.ops.quote_name
    user = Joined.of(User, "u", ["org", "institution"])
    chain: list[tuple[Any, Any]] = []
    if by == "token":
        sql = (
            f"SELECT t.{quote('id')}, t.{quote('last_used_at')}, {user.select_list} FROM {user.from_clause}"
            f" JOIN {quote(ApiToken._meta.db_table)} t ON t.{quote('user_id')} = u.{quote('id')}"
            f" WHERE t.{quote('digest')} = %s AND t.{quote('revoked_at')} IS NULL"
        )
        last_used = ApiToken._meta.get_field("last_used_at").get_col("t")
        chain = [
            (c, last_used)
            for c in connection.ops.get_db_converters(last_used) + last_used.get_db_converters(connection)
        ]
    else:
        sql = f"SELECT {user.select_list} FROM {user.from_clause} WHERE u.{quote('id')} = %s"
    statement = _Statement(sql, user, chain)
    _statements[(connection.vendor, by)] = statement
    return statement


def token_user(digest: str) -> tuple[int, dt.datetime | None, User] | None:
    """(token id, last used, its user with org and institution loaded) of a live token, or None."""
    statement = _statement("token")
    row = fetch_one(statement.sql, [digest])
    if row is None:
        return None
    token_id, last_used = row[0], row[1]
    for converter, expression in statement.last_used:
        last_used = converter(last_used, expression, connection)
    return int(token_id), last_used, statement.user.build(row, 2)


def user_by_pk(pk: int) -> User | None:
    """The user with org and institution loaded (a session's user on every request), or None."""
    statement = _statement("user")
    row = fetch_one(statement.sql, [pk])
    return None if row is None else statement.user.build(row)
