"""Django's database sessions, read by one prepared statement (SESSION_ENGINE).

Every signed-in browser request — and the reviewers', finance's and administrators' API calls,
which must use a session since their TOTP cannot ride on a bearer token — loads its session
first. The ORM compiled `Session.objects.get(session_key=…, expire_date__gt=now)` afresh each
time, at several times the cost of running it; here the same statement is written once and sent
through `jineng.db.fetch_one` (prepared once per PostgreSQL connection). Writing, expiring and
ending sessions stay Django's own: the table and its rows are unchanged.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.db import connection
from django.utils import timezone

from jineng.db import fetch_one

_sql: dict[str, str] = {}  # vendor → statement


def _statement(model: Any) -> str:
    found = _sql.get(connection.vendor)
    if found is None:
        quote = connection.ops.quote_name
        meta = model._meta
        found = (
            f"SELECT {quote(meta.get_field('session_data').column)} FROM {quote(meta.db_table)}"
            f" WHERE {quote(meta.get_field('session_key').column)} = %s"
            f" AND {quote(meta.get_field('expire_date').column)} > %s"
        )
        _sql[connection.vendor] = found
    return found


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        if not self.session_key:
            self._session_key = None
            return None
        # The ORM's own adaptation of the moment: an aware datetime on PostgreSQL, SQLite's text form.
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        row = fetch_one(_statement(self.model), [self.session_key, now])
        if row is None:  # unknown or expired: Django's store then starts a new session
            self._session_key = None
            return None
        # load() reads only the data; the other columns are not needed to decode it.
        return self.model(session_key=self.session_key, session_data=row[0])
