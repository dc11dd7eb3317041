"""Device keys: issued and revoked by a security or system administrator only, shown once, stored
as a digest, audited without the secret; the command line prints the key that then pushes."""

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
from jineng.supervision.devices import device_key_issue, device_key_revoke
from jineng.supervision.models import CheckIn, DeviceKey
from jineng.testing import Cast, unit, user

from .checkin_builders import Scene, event, scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def s(people: Cast) -> Scene:
    return scene(people)


@pytest.fixture
def security() -> User:
    return user("sec", Role.SECURITY_ADMIN, org=unit("city"))


def pushes(secret: str, s: Scene, n: int = 0) -> int:
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    return client.post("/api/v1/checkins", {"events": [event(s, n)]}, content_type="application/json").status_code


def test_a_key_is_returned_once_and_only_its_digest_is_stored(s: Scene, security: User) -> None:
    key, secret = device_key_issue(device=s.device, actor=security)
    assert len(secret) >= 43
    stored = DeviceKey.objects.get(pk=key.pk)
    assert stored.digest == hashlib.sha256(secret.encode()).hexdigest() and stored.prefix == secret[:8]
    assert secret not in json.dumps([list(row) for row in DeviceKey.objects.values_list()], default=str)


def test_issuing_and_revoking_are_audited_without_the_secret(s: Scene, security: User) -> None:
    key, secret = device_key_issue(device=s.device, actor=security)
    device_key_revoke(key=key, actor=security)
    issued = AuditEvent.objects.get(event="device_key.issue")
    revoked = AuditEvent.objects.get(event="device_key.revoke")
    assert issued.actor == security and issued.changes["device"] == [None, "YZ-FACE-01"]
    assert revoked.changes["revoked_at"][0] is None and "YZ-FACE-01" in revoked.note
    for entry in (issued, revoked):
        assert secret not in json.dumps(entry.changes, ensure_ascii=False) + entry.note + entry.object_repr


@pytest.mark.parametrize("role", [Role.SECURITY_ADMIN, Role.SYS_ADMIN])
def test_a_security_or_system_administrator_issues_a_key_that_pushes_until_revoked(s: Scene, role: str) -> None:
    admin = user("keeper", role, org=unit("city"))
    key, secret = device_key_issue(device=s.device, actor=admin)
    assert pushes(secret, s, 0) == 200
    device_key_revoke(key=key, actor=admin)
    assert pushes(secret, s, 1) == 401 and CheckIn.objects.count() == 1


@pytest.mark.parametrize("who", ["alice", "bob", "hana1", "city", "audrey", "leader"])
def test_nobody_else_issues_or_revokes_a_device_key(s: Scene, security: User, who: str) -> None:
    # Not even the device's own institution: its devices vouch for its trainees' attendance.
    other = getattr(s.people, who)
    with pytest.raises(NotPermitted):
        device_key_issue(device=s.device, actor=other)
    key, secret = device_key_issue(device=s.device, actor=security)
    with pytest.raises(NotPermitted):
        device_key_revoke(key=key, actor=other)
    assert pushes(secret, s) == 200 and not AuditEvent.objects.filter(event="device_key.revoke").exists()


def test_an_inactive_administrator_manages_no_keys(s: Scene, security: User) -> None:
    security.is_active = False
    security.save()
    with pytest.raises(NotPermitted):
        device_key_issue(device=s.device, actor=security)


def test_revoking_twice_changes_nothing_the_second_time(s: Scene, security: User) -> None:
    key, _ = device_key_issue(device=s.device, actor=security)
    first = device_key_revoke(key=key, actor=security).revoked_at
    second = device_key_revoke(key=key, actor=security).revoked_at
    assert first == second is not None and AuditEvent.objects.filter(event="device_key.revoke").count() == 1


def test_a_device_may_hold_a_new_key_while_the_old_one_is_revoked(s: Scene, security: User) -> None:
    old, old_secret = device_key_issue(device=s.device, actor=security)
    _, new_secret = device_key_issue(device=s.device, actor=security)
    device_key_revoke(key=old, actor=security)
    assert pushes(old_secret, s, 0) == 401 and pushes(new_secret, s, 1) == 200


# ── the command ────────────────────────────────────────────────────────────────────────────


def test_the_command_prints_a_key_that_pushes_for_that_device(s: Scene, security: User) -> None:
    out = io.StringIO()
    call_command("issue_device_key", device="YZ-FACE-01", by="sec", stdout=out)
    secret = out.getvalue().strip().splitlines()[-1]
    assert "前缀" in out.getvalue() and pushes(secret, s) == 200
    assert CheckIn.objects.get().device == s.device


def test_the_command_revokes_by_prefix(s: Scene, security: User) -> None:
    key, secret = device_key_issue(device=s.device, actor=security)
    out = io.StringIO()
    call_command("issue_device_key", device="YZ-FACE-01", by="sec", revoke=key.prefix, stdout=out)
    assert "已吊销" in out.getvalue() and pushes(secret, s) == 401


def test_the_command_refuses_others_and_names_what_is_unknown(s: Scene, security: User) -> None:
    with pytest.raises(CommandError, match="安全管理员或系统管理员"):
        call_command("issue_device_key", device="YZ-FACE-01", by="alice", stdout=io.StringIO())
    with pytest.raises(CommandError, match="NO-SUCH"):
        call_command("issue_device_key", device="NO-SUCH", by="sec", stdout=io.StringIO())
    with pytest.raises(CommandError, match="nobody"):
        call_command("issue_device_key", device="YZ-FACE-01", by="nobody", stdout=io.StringIO())
    with pytest.raises(CommandError, match="ZZZZZZZZ"):
        call_command("issue_device_key", device="YZ-FACE-01", by="sec", revoke="ZZZZZZZZ", stdout=io.StringIO())
    assert not DeviceKey.objects.exists()
