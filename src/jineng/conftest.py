from __future__ import annotations

from typing import Any

import pytest
from django.db.backends.signals import connection_created
from django.dispatch import receiver

from jineng.testing import Cast, cast


@receiver(connection_created)
def _test_databases_may_be_emptied(sender: Any, connection: Any, **kwargs: Any) -> None:
    """pytest-django empties the test database with TRUNCATE after each transactional test; on
    PostgreSQL the audit table refuses TRUNCATE unless the session asks for it by name (audit
    migration 0005). Only test connections ask."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET jineng.audit_truncate = 'allow'")


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings: Any) -> None:
    """Every test starts with empty rate-limit counters (jineng.ratelimit) and limits no test run
    reaches: tests log in and push far faster than people (a browser test signs in eight accounts
    from one address within a minute). The rate-limit tests set the limits they test."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    if isinstance(caches["default"], LocMemCache):  # never flush a shared Redis
        caches["default"].clear()
    settings.JINENG_RATE_LOGIN_PER_IP = settings.JINENG_RATE_LOGIN_PER_USERNAME = 10_000
    settings.JINENG_RATE_BULK = 10_000
    settings.JINENG_AUDIT_ANONYMOUS_PER_IP = 10_000


@pytest.fixture
def people(db: None) -> Cast:
    return cast()
