"""Platform push keys: shown once, stored as a digest, managed by security/system administrators,
audited; a revoked key, an unlisted or a disconnected platform cannot push."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from jineng.accounts.models import Role, User
from jineng.audit.models import AuditEvent
from jineng.classes.errors import NotPermitted
from jineng.testing import Cast, unit, user

from ..keys import platform_key_issue, platform_key_revoke
from ..models import PlatformKey
from .push_builders import platform

pytestmark = pytest.mark.django_db


def push(secret: str | None, body: object = None) -> tuple[int, dict[str, object]]:
    headers = {"Authorization": f"Bearer {secret}"} if secret is not None else {}
    response = Client(headers=headers).post(
        "/api/v1/online/batches", body or {"batch_id": "B-1", "events": []}, content_type="application/json"
    )
    return response.status_code, response.json()


@pytest.fixture
def security(people: Cast) -> User:
    return user("sec", Role.SECURITY_ADMIN, org=unit("city"))


def test_a_key_is_returned_once_and_only_its_digest_is_stored(security: User) -> None:
    record, secret = platform_key_issue(platform=platform(), actor=security)
    assert len(secret) >= 43
    stored = PlatformKey.objects.get(pk=record.pk)
    assert stored.digest == hashlib.sha256(secret.encode()).hexdigest() and stored.prefix == secret[:8]
    assert secret not in json.dumps([list(row) for row in PlatformKey.objects.values_list()], default=str)


def test_issuing_and_revoking_are_audited_without_the_secret(security: User) -> None:
    record, secret = platform_key_issue(platform=platform(), actor=security)
    platform_key_revoke(key=record, actor=security)
    issued = AuditEvent.objects.get(event="platform_key.issue")
    revoked = AuditEvent.objects.get(event="platform_key.revoke")
    assert issued.actor == security and issued.changes["platform"] == [None, "plat-1"]
    assert revoked.object_id == str(record.pk) and revoked.changes["revoked_at"][0] is None
    for event in (issued, revoked):
        assert secret not in json.dumps(event.changes, ensure_ascii=False) + event.note + event.object_repr


def test_revoking_twice_changes_nothing_the_second_time(security: User) -> None:
    record, _ = platform_key_issue(platform=platform(), actor=security)
    first = platform_key_revoke(key=record, actor=security).revoked_at
    assert platform_key_revoke(key=record, actor=security).revoked_at == first
    assert AuditEvent.objects.filter(event="platform_key.revoke").count() == 1


def test_a_system_administrator_may_issue_too(people: Cast) -> None:
    record, _ = platform_key_issue(platform=platform(), actor=people.sam)
    assert record.platform.code == "plat-1"


@pytest.mark.parametrize("who", ["alice", "city", "audrey", "leader"])
def test_nobody_else_may_issue_or_revoke_a_key(people: Cast, security: User, who: str) -> None:
    with pytest.raises(NotPermitted, match="安全管理员或系统管理员"):
        platform_key_issue(platform=platform(), actor=getattr(people, who))
    record, _ = platform_key_issue(platform=platform(), actor=security)
    with pytest.raises(NotPermitted):
        platform_key_revoke(key=record, actor=getattr(people, who))
    assert PlatformKey.objects.get(pk=record.pk).revoked_at is None


def test_a_push_without_a_key_or_with_an_unknown_one_is_refused_with_401(security: User) -> None:
    platform_key_issue(platform=platform(), actor=security)
    assert push(None)[0] == 401
    status, body = push("not-a-key-of-anyone")
    assert status == 401 and body["code"] == "unauthenticated" and "密钥无效或已吊销" in str(body["message"])


def test_a_revoked_key_is_refused_with_401(security: User) -> None:
    record, secret = platform_key_issue(platform=platform(), actor=security)
    assert push(secret)[0] == 422  # the key works: the empty batch is what is refused
    platform_key_revoke(key=record, actor=security)
    status, body = push(secret)
    assert status == 401 and "已吊销" in str(body["message"])


@pytest.mark.parametrize(
    ("listed", "connected", "why"), [(False, True, "不在目录清单内"), (True, False, "未接入全省监管平台")]
)
def test_an_unlisted_or_disconnected_platform_is_refused_naming_onl_platform(
    security: User, listed: bool, connected: bool, why: str
) -> None:
    plat = platform(listed=listed, connected=connected)
    _, secret = platform_key_issue(platform=plat, actor=security)
    status, body = push(secret)
    assert status == 403 and body["code"] == "platform_refused" and body["rule"] == "ONL-PLATFORM"
    assert why in str(body["message"]) and "ONL-PLATFORM" in str(body["message"])


def test_the_command_issues_a_key_that_pushes_and_revokes_it_by_prefix(security: User) -> None:
    platform()
    out = io.StringIO()
    call_command("issue_platform_key", platform="plat-1", by="sec", stdout=out)
    secret = out.getvalue().strip().splitlines()[-1]
    assert push(secret)[0] == 422
    call_command("issue_platform_key", platform="plat-1", by="sec", revoke=secret[:8], stdout=io.StringIO())
    assert push(secret)[0] == 401


def test_the_command_names_what_it_cannot_find_and_refuses_other_roles(people: Cast, security: User) -> None:
    platform()
    with pytest.raises(CommandError, match="plat-9"):
        call_command("issue_platform_key", platform="plat-9", by="sec", stdout=io.StringIO())
    with pytest.raises(CommandError, match="nobody"):
        call_command("issue_platform_key", platform="plat-1", by="nobody", stdout=io.StringIO())
    with pytest.raises(CommandError, match="安全管理员或系统管理员"):
        call_command("issue_platform_key", platform="plat-1", by="alice", stdout=io.StringIO())
    with pytest.raises(CommandError, match="ZZZZZZZZ"):
        call_command("issue_platform_key", platform="plat-1", by="sec", revoke="ZZZZZZZZ", stdout=io.StringIO())
    assert not PlatformKey.objects.exists()
