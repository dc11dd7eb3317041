"""Shared by the login and session tests: a clock the tests move, and fast password hashing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone


class Clock:
    def __init__(self) -> None:
        self.now = timezone.now()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture(autouse=True)
def fast_hashes(settings: Any) -> None:
    # Hundreds of logins: PBKDF2's deliberate slowness would dominate the run and tests nothing here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    moving = Clock()
    monkeypatch.setattr("django.utils.timezone.now", moving)
    yield moving
