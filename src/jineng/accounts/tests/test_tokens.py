"""API tokens for institution systems: shown once, stored as a digest, revocable, audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.test import Client
from django.utils import timezone

from jineng.accounts.models import ApiToken, Role
from jineng.accounts.services import token_issue, token_revoke
from jineng.audit.models import AuditEvent
from jineng.classes.errors import InvalidInput, NotPermitted
from jineng.testing import Cast, user

pytestmark = pytest.mark.django_db


def call(token: str) -> int:
    return Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/classes").status_code


def test_a_token_is_returned_once_and_only_its_digest_is_stored(people: Cast) -> None:
    record, token = token_issue(user=people.alice, actor=people.alice, name="机构教务系统")
    assert len(token) >= 43
    stored = ApiToken.objects.get(pk=record.pk)
    assert stored.digest == hashlib.sha256(token.encode()).hexdigest() and stored.prefix == token[:8]
    assert token not in json.dumps([list(row) for row in ApiToken.objects.values_list()], default=str)


def test_issuing_is_audited_without_the_token(people: Cast) -> None:
    record, token = token_issue(user=people.alice, actor=people.alice, name="机构教务系统")
    event = AuditEvent.objects.get(event="token.issue")
    assert event.actor == people.alice and event.object_id == str(record.pk)
    assert event.changes["user"] == [None, "alice"] and event.changes["name"] == [None, "机构教务系统"]
    assert token not in json.dumps(event.changes, ensure_ascii=False) + event.note + event.object_repr


def test_a_security_administrator_may_issue_and_revoke_for_another_user(people: Cast) -> None:
    admin = user("secadmin", Role.SECURITY_ADMIN)
    record, token = token_issue(user=people.alice, actor=admin, name="机构教务系统")
    assert record.user == people.alice and call(token) == 200
    token_revoke(token=record, actor=admin)
    assert call(token) == 401
    event = AuditEvent.objects.get(event="token.revoke")
    assert event.actor == admin and event.changes["revoked_at"][0] is None


@pytest.mark.parametrize("who", ["bob", "sam", "audrey", "city"])
def test_nobody_else_may_issue_or_revoke_a_users_token(people: Cast, who: str) -> None:
    other = getattr(people, who)
    with pytest.raises(NotPermitted):
        token_issue(user=people.alice, actor=other, name="冒名")
    record, token = token_issue(user=people.alice, actor=people.alice, name="机构教务系统")
    with pytest.raises(NotPermitted):
        token_revoke(token=record, actor=other)
    assert call(token) == 200 and not AuditEvent.objects.filter(event="token.revoke").exists()


def test_a_token_needs_a_name_and_an_active_user(people: Cast) -> None:
    with pytest.raises(InvalidInput) as refused:
        token_issue(user=people.alice, actor=people.alice, name="  ")
    assert refused.value.fields[0]["path"] == "name"
    people.bob.is_active = False
    people.bob.save()
    with pytest.raises(NotPermitted):
        token_issue(user=people.bob, actor=user("secadmin", Role.SECURITY_ADMIN), name="系统")
    assert not ApiToken.objects.exists()


def test_revoking_twice_changes_nothing_the_second_time(people: Cast) -> None:
    record, _ = token_issue(user=people.alice, actor=people.alice, name="机构教务系统")
    first = token_revoke(token=record, actor=people.alice).revoked_at
    second = token_revoke(token=record, actor=people.alice).revoked_at
    assert first == second is not None and AuditEvent.objects.filter(event="token.revoke").count() == 1


def test_last_used_is_recorded_at_most_once_a_minute(people: Cast) -> None:
    record, token = token_issue(user=people.alice, actor=people.alice, name="机构教务系统")
    assert call(token) == 200
    first = ApiToken.objects.get(pk=record.pk).last_used_at
    assert first is not None
    assert call(token) == 200
    assert ApiToken.objects.get(pk=record.pk).last_used_at == first
    earlier = timezone.now() - dt.timedelta(minutes=2)
    ApiToken.objects.filter(pk=record.pk).update(last_used_at=earlier)
    assert call(token) == 200
    assert ApiToken.objects.get(pk=record.pk).last_used_at > earlier  # type: ignore[operator]


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Token abc", "Basic YWxpY2U6eA==", "Bearer x y"])
def test_a_malformed_authorization_header_is_401(people: Cast, header: str) -> None:
    response = Client(headers={"Authorization": header}).get("/api/v1/classes")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


def test_a_session_request_carrying_a_bad_token_is_not_let_in_by_the_session(people: Cast) -> None:
    client = Client()
    client.force_login(people.alice)
    assert client.get("/api/v1/classes").status_code == 200
    assert client.get("/api/v1/classes", headers={"Authorization": "Bearer nope"}).status_code == 401
