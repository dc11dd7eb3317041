"""Demo data for a local install: accounts now; catalogs, classes and trainees as the domain grows.

Idempotent: running it twice leaves the same records (looked up by natural keys), so the README's
start command can call it on every start.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

DEFAULT_DEMO_PASSWORD = "jineng-demo-2023"  # documented in the README; demo installs only (DEBUG)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str
    superuser: bool = False


ACCOUNTS: tuple[DemoAccount, ...] = (DemoAccount("admin", "系统管理员", "系统管理员", superuser=True),)


def demo_password() -> str:
    return os.environ.get("JINENG_DEMO_PASSWORD", "").strip() or DEFAULT_DEMO_PASSWORD


@transaction.atomic
def seed_demo(*, password: str, say: Callable[[str], None] = lambda _: None) -> list[DemoAccount]:
    User = get_user_model()
    for account in ACCOUNTS:
        user, created = User.objects.get_or_create(username=account.username)
        user.first_name = account.full_name
        user.is_staff = account.superuser
        user.is_superuser = account.superuser
        user.set_password(password)
        user.save()
        say(f"{'新建' if created else '已有'}账号 {account.username}（{account.role}）")
    return list(ACCOUNTS)
