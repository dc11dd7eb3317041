"""Issuing a token from the command line: only a security administrator, shown once, usable at once."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from jineng.accounts.models import Role
from jineng.testing import Cast, unit, user


def test_a_security_administrator_issues_a_token_that_works_for_the_clerks_scope(people: Cast) -> None:
    user("sec", Role.SECURITY_ADMIN, org=unit("city"))
    out = io.StringIO()
    call_command("issue_token", user="alice", name="阳光学校教务系统", by="sec", stdout=out)
    secret = out.getvalue().strip().splitlines()[-1]
    response = Client().get("/api/v1/classes", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200 and response.json()["count"] == 0


def test_anyone_else_is_refused_and_unknown_accounts_are_named(people: Cast) -> None:
    with pytest.raises(CommandError):
        call_command("issue_token", user="alice", name="x", by="dan1", stdout=io.StringIO())
    with pytest.raises(CommandError, match="nobody"):
        call_command("issue_token", user="nobody", name="x", by="sam", stdout=io.StringIO())
