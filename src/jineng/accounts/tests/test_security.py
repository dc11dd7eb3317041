"""Login and session security: lockout, login audit, idle logout, new and ended sessions,
disabled users, password complexity and periodic change."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.test import Client
from django.utils import timezone

from jineng.accounts.models import LoginAttempt, Role, User, UserSession
from jineng.accounts.security import locked_until
from jineng.accounts.services import token_issue, user_deactivate
from jineng.audit.models import AuditEvent
from jineng.classes.errors import NotPermitted
from jineng.settings import env_int
from jineng.testing import Cast, user

from .conftest import Clock

pytestmark = pytest.mark.django_db

PASSWORD = "Xuchang-考核-2023"
WRONG = "not-the-password"


@pytest.fixture
def alice(people: Cast) -> User:
    people.alice.set_password(PASSWORD)
    people.alice.save()
    return people.alice


def log_in(client: Client, username: str, password: str) -> str:
    """The login page's answer: '' when logged in, else the page's text."""
    answer = client.post("/login/", {"username": username, "password": password})
    return "" if answer.status_code == 302 else answer.content.decode()


def logged_in_as(client: Client) -> str:
    return str(client.get("/api/v1/classes").status_code)


# Lockout


def test_four_failures_still_let_the_right_password_in(alice: User, settings: Any) -> None:
    assert settings.JINENG_LOGIN_MAX_FAILURES == 5
    client = Client()
    for _ in range(4):
        assert "用户名或密码不正确" in log_in(client, "alice", WRONG)
    assert log_in(client, "alice", PASSWORD) == ""


def test_the_fifth_failure_locks_the_name_even_against_the_right_password(alice: User) -> None:
    client = Client()
    for _ in range(4):
        log_in(client, "alice", WRONG)
    page = log_in(client, "alice", WRONG)
    assert "已暂时锁定" in page and "之后再试" in page
    page = log_in(Client(), "alice", PASSWORD)
    assert "已暂时锁定" in page and "_auth_user_id" not in str(Session.objects.values_list("session_data"))
    assert logged_in_as(client) == "401"


def test_a_locked_refusal_names_the_time_to_retry(alice: User, clock: Clock) -> None:
    for _ in range(5):
        log_in(Client(), "alice", WRONG)
    until = timezone.localtime(clock.now + dt.timedelta(minutes=15)).strftime("%Y-%m-%d %H:%M")
    assert until in log_in(Client(), "alice", PASSWORD)


def test_the_lock_ends_after_the_lock_time_and_refusals_do_not_prolong_it(alice: User, clock: Clock) -> None:
    for _ in range(5):
        log_in(Client(), "alice", WRONG)
    clock.advance(minutes=14)
    assert "已暂时锁定" in log_in(Client(), "alice", PASSWORD)
    clock.advance(minutes=1, seconds=1)
    assert log_in(Client(), "alice", PASSWORD) == ""


def test_failures_spread_wider_than_the_window_do_not_lock(alice: User, clock: Clock) -> None:
    for _ in range(5):
        log_in(Client(), "alice", WRONG)
        clock.advance(minutes=4)
    assert log_in(Client(), "alice", PASSWORD) == ""


def test_a_success_starts_the_count_again(alice: User) -> None:
    for _ in range(4):
        log_in(Client(), "alice", WRONG)
    assert log_in(Client(), "alice", PASSWORD) == ""
    for _ in range(4):
        log_in(Client(), "alice", WRONG)
    assert log_in(Client(), "alice", PASSWORD) == ""


def test_an_unknown_name_is_counted_and_locked_alike(alice: User) -> None:
    pages = [log_in(Client(), "nobody", WRONG) for _ in range(6)]
    assert "用户名或密码不正确" in pages[3] and "已暂时锁定" in pages[4] and "已暂时锁定" in pages[5]
    assert locked_until("nobody") is not None and locked_until("alice") is None


def test_the_max_failures_setting_is_honoured(alice: User, settings: Any) -> None:
    settings.JINENG_LOGIN_MAX_FAILURES = 2
    log_in(Client(), "alice", WRONG)
    assert "已暂时锁定" in log_in(Client(), "alice", WRONG)


@pytest.mark.parametrize("raw", ["abc", "-1", "1.5"])
def test_a_bad_number_in_the_environment_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("JINENG_LOGIN_MAX_FAILURES", raw)
    with pytest.raises(ImproperlyConfigured, match="JINENG_LOGIN_MAX_FAILURES"):
        env_int("JINENG_LOGIN_MAX_FAILURES", 5, minimum=1)
    monkeypatch.setenv("JINENG_LOGIN_MAX_FAILURES", " 7 ")
    assert env_int("JINENG_LOGIN_MAX_FAILURES", 5, minimum=1) == 7


# Audit


def test_logins_failures_locks_and_logouts_are_audited_without_the_password(alice: User) -> None:
    client = Client()
    assert log_in(client, "alice", PASSWORD) == ""
    client.post("/logout/")
    for _ in range(5):
        log_in(Client(), "alice", WRONG)
    log_in(Client(), "alice", PASSWORD)
    log_in(Client(), "ghost", WRONG)
    events = list(AuditEvent.objects.filter(event__startswith="auth.").order_by("pk"))
    kinds = [e.event for e in events]
    failures = ["auth.login_failed"] * 5
    assert kinds == ["auth.login", "auth.logout", *failures, "auth.locked", "auth.locked", "auth.login_failed"]
    ok, out = events[0], events[1]
    assert ok.actor == alice and ok.object_id == str(alice.pk) and ok.object_type == "accounts.user"
    assert out.actor == alice and out.object_id == str(alice.pk)
    failed = next(e for e in events if e.event == "auth.login_failed")
    assert failed.object_id == str(alice.pk) and failed.changes["username"] == [None, "alice"]
    ghost = events[-1]
    assert ghost.object_type == "accounts.loginattempt"
    assert LoginAttempt.objects.get(pk=ghost.object_id).username == "ghost"
    written = json.dumps([[e.changes, e.note, e.object_repr] for e in events], ensure_ascii=False)
    assert PASSWORD not in written and WRONG not in written


# Sessions


def test_login_gives_a_new_session_key(alice: User) -> None:
    client = Client()
    before = client.session.session_key
    assert before and Session.objects.filter(session_key=before).exists()
    assert log_in(client, "alice", PASSWORD) == ""
    after = client.session.session_key
    assert after and after != before and not Session.objects.filter(session_key=before).exists()


def test_logout_deletes_the_session_on_the_server(alice: User) -> None:
    client = Client()
    log_in(client, "alice", PASSWORD)
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    client.post("/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(session_key=key).exists()


def test_an_idle_session_is_logged_out(alice: User, clock: Clock) -> None:
    client = Client()
    log_in(client, "alice", PASSWORD)
    assert logged_in_as(client) == "200"
    clock.advance(minutes=30, seconds=5)
    assert logged_in_as(client) == "401"
    assert client.get("/classes/").status_code == 302


def test_the_idle_limit_is_enforced_by_the_middleware_too(alice: User, clock: Clock, settings: Any) -> None:
    # A longer-lived session row (another engine, an older cookie age) still ends by the stamp.
    settings.SESSION_COOKIE_AGE = 3600
    client = Client()
    log_in(client, "alice", PASSWORD)
    clock.advance(minutes=31)
    assert logged_in_as(client) == "401"
    assert AuditEvent.objects.filter(event="auth.logout", note__contains="空闲").exists()


def test_an_active_session_stays_logged_in(alice: User, clock: Clock) -> None:
    client = Client()
    log_in(client, "alice", PASSWORD)
    for _ in range(4):
        clock.advance(minutes=20)
        assert logged_in_as(client) == "200"


# Disabled users


def test_disabling_a_user_ends_their_sessions_and_tokens(people: Cast, alice: User) -> None:
    browser, other_browser = Client(), Client()
    log_in(browser, "alice", PASSWORD)
    log_in(other_browser, "alice", PASSWORD)
    _, token = token_issue(user=alice, actor=alice, name="机构教务系统")
    api = Client(headers={"Authorization": f"Bearer {token}"})
    assert logged_in_as(browser) == logged_in_as(api) == "200"
    keys = [browser.session.session_key, other_browser.session.session_key]
    admin = user("secadmin", Role.SECURITY_ADMIN)
    user_deactivate(user=alice, actor=admin, note="离职")
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert logged_in_as(browser) == logged_in_as(other_browser) == logged_in_as(api) == "401"
    event = AuditEvent.objects.get(event="user.deactivate")
    assert event.actor == admin and event.changes["is_active"] == [True, False]


def test_disabling_from_the_admin_ends_sessions_too(alice: User) -> None:
    browser = Client()
    log_in(browser, "alice", PASSWORD)
    key = browser.session.session_key
    alice.is_active = False
    alice.save()
    assert not Session.objects.filter(session_key=key).exists()


@pytest.mark.parametrize("who", ["alice", "city", "audrey"])
def test_only_security_and_system_administrators_may_disable_users(people: Cast, who: str) -> None:
    with pytest.raises(NotPermitted):
        user_deactivate(user=people.bob, actor=getattr(people, who))
    people.bob.refresh_from_db()
    assert people.bob.is_active
    user_deactivate(user=people.bob, actor=people.sam)
    people.bob.refresh_from_db()
    assert not people.bob.is_active


# Passwords


@pytest.mark.parametrize(
    ("weak", "says"),
    [
        ("Ab1!", "太短"),
        ("abcdefghijk", "至少包含大写字母、小写字母、数字、符号中的 3 类"),
        ("alllowercase12", "至少包含大写字母、小写字母、数字、符号中的 3 类"),
        ("1234567890", "只包含数字"),
    ],
)
def test_a_weak_password_is_refused_in_chinese(weak: str, says: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_password(weak)
    assert says in " ".join(refused.value.messages)


def test_a_password_of_three_kinds_and_ten_characters_passes(people: Cast) -> None:
    validate_password("Xuchang2023", user=people.alice)
    validate_password(PASSWORD, user=people.alice)


def test_set_password_stamps_the_change_time(alice: User, clock: Clock) -> None:
    clock.advance(days=5)
    alice.set_password("Another-Pass-1")
    assert alice.password_changed_at == clock.now


def test_an_old_password_sends_the_user_to_the_change_page(alice: User, settings: Any) -> None:
    client = Client()
    log_in(client, "alice", PASSWORD)
    assert client.get("/classes/").status_code == 200
    User.objects.filter(pk=alice.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=91))
    answer = client.get("/classes/")
    assert answer.status_code == 302 and answer["Location"] == "/password/change/"
    api = client.get("/api/v1/classes")
    assert api.status_code == 403 and api.json()["code"] == "password_expired"
    assert "修改密码" in client.get("/password/change/").content.decode()
    weak = client.post("/password/change/", {"old_password": PASSWORD, "new_password1": "abc", "new_password2": "abc"})
    assert weak.status_code == 200 and "太短" in weak.content.decode()
    strong = "Yuzhou-新密码-2024"
    changed = client.post(
        "/password/change/", {"old_password": PASSWORD, "new_password1": strong, "new_password2": strong}
    )
    assert changed.status_code == 302 and changed["Location"] == "/password/change/done/"
    assert client.get("/classes/").status_code == 200


def test_eighty_nine_days_pass_and_zero_turns_the_rule_off(alice: User, settings: Any) -> None:
    client = Client()
    log_in(client, "alice", PASSWORD)
    User.objects.filter(pk=alice.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=89))
    assert client.get("/classes/").status_code == 200
    User.objects.filter(pk=alice.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=900))
    settings.JINENG_PASSWORD_MAX_AGE_DAYS = 0
    assert client.get("/classes/").status_code == 200


def test_an_old_password_does_not_block_a_token_client(alice: User) -> None:
    _, token = token_issue(user=alice, actor=alice, name="机构教务系统")
    User.objects.filter(pk=alice.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=900))
    assert Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/classes").status_code == 200


def test_pages_and_api_answers_with_personal_data_are_not_stored_by_caches(alice: User) -> None:
    client = Client()
    client.force_login(alice)
    for path in ("/classes/", "/todo/", "/api/v1/classes"):
        answer = client.get(path)
        assert answer.status_code == 200 and answer["Cache-Control"] == "no-store, private", path
    anonymous = Client().get("/api/v1/classes")
    assert anonymous.status_code == 401 and anonymous["Cache-Control"] == "no-store, private"
    assert "no-store" not in Client().get("/public/notices/").get("Cache-Control", "")
