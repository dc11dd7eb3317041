"""The TOTP second factor (login, enrolment, replay, reset, tokens) and re-authentication before a
money step (finance's batch sign-off, disbursement, clawback), through the pages and the API."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pyotp
import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client
from django.utils import timezone

from jineng import settings as jineng_settings
from jineng.accounts.models import ApiToken, LoginAttempt, Role, TotpDevice, User
from jineng.accounts.otp import code_at, current_step, totp_reset
from jineng.accounts.security import REAUTH_AT
from jineng.accounts.services import secret_mint, token_issue
from jineng.audit.models import AuditEvent
from jineng.classes.errors import NotPermitted
from jineng.subsidy.models import ClaimState, Clawback, Disbursement, FinanceBatch, PaymentLine, SubsidyClaim
from jineng.subsidy.services import batch_push, batch_sign, claim_disburse
from jineng.subsidy.tests.scenes import certify, claimed, ended_class, noticed, payment_for, through_review
from jineng.testing import TEST_TOTP_SECRET, Cast, reauthenticate, totp_code, totp_enrol, user

from .conftest import Clock

pytestmark = pytest.mark.django_db

PASSWORD = "Xuchang-财政-2023"
WRONG = "not-the-password"
AFTER_NOTICE = dt.date(2023, 10, 10)


def with_password(account: User) -> User:
    account.set_password(PASSWORD)
    account.save()
    return account


@pytest.fixture
def finance(people: Cast) -> User:
    """finance with a password and an authenticator (TEST_TOTP_SECRET)."""
    with_password(people.finance)
    totp_enrol(people.finance)
    return people.finance


@pytest.fixture
def security_admin(db: None) -> User:
    return user("secadmin", Role.SECURITY_ADMIN)


def password_step(client: Client, username: str, password: str = PASSWORD, **extra: str) -> Any:
    return client.post("/login/", {"username": username, "password": password, **extra})


def code_step(client: Client, code: str) -> Any:
    return client.post("/login/otp/", {"code": code})


def signed_in(client: Client) -> bool:
    return client.get("/api/v1/classes").status_code == 200


def events(name: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event=name).order_by("pk"))


# ── settings ──────────────────────────────────────────────────────────────────────────────────


def test_the_settings_know_every_role_and_default_to_reviewers_finance_and_administrators(settings: Any) -> None:
    assert set(jineng_settings.ROLE_VALUES) == set(Role.values)
    assert set(settings.JINENG_TOTP_ROLES) == {
        Role.DEPT_REVIEWER,
        Role.AREA_HR,
        Role.CITY_HR,
        Role.FINANCE,
        Role.SYS_ADMIN,
        Role.AUDIT_ADMIN,
        Role.SECURITY_ADMIN,
    }


def test_an_unknown_role_in_the_totp_setting_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JINENG_TOTP_ROLES", "finance, cashier")
    with pytest.raises(ImproperlyConfigured, match=r"JINENG_TOTP_ROLES.*cashier"):
        jineng_settings._totp_roles()
    monkeypatch.setenv("JINENG_TOTP_ROLES", " finance ,area_hr")
    assert jineng_settings._totp_roles() == ["finance", "area_hr"]
    monkeypatch.setenv("JINENG_TOTP_ROLES", "")
    assert jineng_settings._totp_roles() == []


# ── login ─────────────────────────────────────────────────────────────────────────────────────


def test_finance_cannot_log_in_with_the_password_alone(finance: User) -> None:
    client = Client()
    answer = password_step(client, "finance")
    assert answer.status_code == 302 and answer["Location"] == "/login/otp/"
    assert not signed_in(client) and SESSION_KEY not in client.session
    assert client.get("/subsidy/finance/").status_code == 302
    page = client.get("/login/otp/").content.decode()
    assert "动态口令" in page and 'name="code"' in page and "<svg" not in page
    assert not events("auth.login")


def test_the_right_code_logs_in_with_a_new_session_and_is_audited(finance: User) -> None:
    client = Client()
    before = client.session.session_key
    password_step(client, "finance")
    pending = client.session.session_key
    answer = code_step(client, totp_code(finance))
    assert answer.status_code == 302 and answer["Location"] == "/"
    assert signed_in(client)
    after = client.session.session_key
    assert len({before, pending, after}) == 3
    assert not Session.objects.filter(session_key__in=[before, pending]).exists()
    [login] = events("auth.login")
    assert login.actor == finance


def test_the_page_asked_for_is_reached_after_both_steps(finance: User) -> None:
    client = Client()
    password_step(client, "finance", next="/subsidy/finance/")
    assert code_step(client, totp_code(finance))["Location"] == "/subsidy/finance/"


def test_a_clerk_logs_in_with_the_password_alone(people: Cast) -> None:
    with_password(people.alice)
    client = Client()
    assert password_step(client, "alice").status_code == 302 and signed_in(client)


def test_a_wrong_code_is_a_failed_login_and_five_lock_the_account(finance: User) -> None:
    client = Client()
    password_step(client, "finance")
    for _ in range(4):
        page = code_step(client, "000000").content.decode()
        assert "动态口令不正确" in page
    assert len(events("auth.otp_failed")) == 4
    assert events("auth.otp_failed")[0].changes["username"] == [None, "finance"]
    assert LoginAttempt.objects.filter(username="finance", ok=False).count() == 4
    page = code_step(client, "000000").content.decode()
    assert "已暂时锁定" in page and not signed_in(client)
    assert len(events("auth.locked")) == 1
    # Locked: neither a new password step nor the right code gets in.
    assert "已暂时锁定" in password_step(Client(), "finance").content.decode()
    again = Client()
    assert password_step(again, "finance").status_code == 200 and not signed_in(again)


def test_password_failures_and_code_failures_count_towards_one_lock(finance: User) -> None:
    for _ in range(3):
        password_step(Client(), "finance", WRONG)
    client = Client()
    password_step(client, "finance")
    code_step(client, "111111")
    assert "已暂时锁定" in code_step(client, "222222").content.decode()


def test_a_replayed_code_is_refused(finance: User) -> None:
    first = Client()
    password_step(first, "finance")
    code = totp_code(finance)
    assert code_step(first, code).status_code == 302
    second = Client()
    password_step(second, "finance")
    page = code_step(second, code).content.decode()
    assert "已使用过" in page and not signed_in(second)
    assert events("auth.otp_failed")[-1].note.endswith("请等待验证器 App 显示下一个口令后再输入")


def test_a_code_one_step_either_side_of_now_is_accepted_two_steps_is_not(finance: User, clock: Clock) -> None:
    step = current_step()
    for offset, ok in ((-2, False), (2, False), (-1, True), (1, True)):
        client = Client()
        password_step(client, "finance")
        TotpDevice.objects.filter(user=finance).update(last_used_step=None)
        assert (code_step(client, code_at(TEST_TOTP_SECRET, step + offset)).status_code == 302) is ok, offset


def test_the_second_step_expires(finance: User, clock: Clock) -> None:
    client = Client()
    password_step(client, "finance")
    clock.advance(minutes=10, seconds=1)
    answer = code_step(client, totp_code(finance))
    assert answer.status_code == 302 and answer["Location"] == "/login/"
    assert not signed_in(client)


def test_the_second_step_without_the_first_goes_back_to_the_login_page(finance: User) -> None:
    answer = code_step(Client(), totp_code(finance))
    assert answer.status_code == 302 and answer["Location"] == "/login/"


def test_the_admin_login_goes_through_the_two_step_login() -> None:
    answer = Client().get("/admin/login/?next=/admin/")
    assert answer.status_code == 302 and answer["Location"] == "/login/?next=/admin/"


def test_the_secret_is_stored_encrypted(finance: User) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM accounts_totpdevice")
        [(stored,)] = cursor.fetchall()
    assert TEST_TOTP_SECRET not in stored and stored.startswith("v1.")
    assert TotpDevice.objects.get(user=finance).secret == TEST_TOTP_SECRET


# ── enrolment ─────────────────────────────────────────────────────────────────────────────────


def test_the_first_login_enrols_an_authenticator_with_a_qr_code(people: Cast) -> None:
    with_password(people.dan1)
    client = Client()
    assert password_step(client, "dan1")["Location"] == "/login/otp/"
    page = client.get("/login/otp/").content.decode()
    assert "绑定动态口令" in page and "<svg" in page
    shown = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page)
    assert shown is not None
    secret = shown.group(1).replace(" ", "")
    device = TotpDevice.objects.get(user=people.dan1)
    assert device.secret == secret and device.confirmed_at is None
    assert not signed_in(client)
    assert "动态口令不正确" in code_step(client, "123456").content.decode()
    device.refresh_from_db()
    assert device.confirmed_at is None
    assert code_step(client, pyotp.TOTP(secret).now()).status_code == 302 and signed_in(client)
    device.refresh_from_db()
    assert device.confirmed_at is not None
    [enrolled] = events("totp.enrol")
    assert enrolled.actor == people.dan1 and secret not in json.dumps(enrolled.changes)
    # From now on the login asks for the code, without a QR code.
    again = Client()
    password_step(again, "dan1")
    assert "<svg" not in again.get("/login/otp/").content.decode()


def test_every_new_password_step_draws_a_new_secret_until_enrolment_is_confirmed(people: Cast) -> None:
    with_password(people.hana1)
    password_step(Client(), "hana1")
    first = TotpDevice.objects.get(user=people.hana1).secret
    password_step(Client(), "hana1")
    assert TotpDevice.objects.get(user=people.hana1).secret != first


# ── reset by a security administrator ─────────────────────────────────────────────────────────


@pytest.mark.parametrize("who", ["sam", "audrey", "finance2", "city", "alice"])
def test_only_a_security_administrator_may_reset_a_code(people: Cast, finance: User, who: str) -> None:
    with pytest.raises(NotPermitted):
        totp_reset(user=finance, actor=getattr(people, who))
    assert TotpDevice.objects.filter(user=finance).exists()


def test_a_security_administrator_cannot_reset_their_own(security_admin: User) -> None:
    totp_enrol(security_admin)
    with pytest.raises(NotPermitted, match="不能重置自己的"):
        totp_reset(user=security_admin, actor=security_admin)


def test_a_reset_ends_the_users_sessions_and_the_next_login_enrols(
    people: Cast, finance: User, security_admin: User
) -> None:
    browser = Client()
    password_step(browser, "finance")
    code_step(browser, totp_code(finance))
    assert signed_in(browser)
    assert totp_reset(user=finance, actor=security_admin) is True
    assert not signed_in(browser) and not TotpDevice.objects.filter(user=finance).exists()
    [reset] = events("totp.reset")
    assert reset.actor == security_admin and reset.object_id == str(finance.pk)
    fresh = Client()
    password_step(fresh, "finance")
    assert "绑定动态口令" in fresh.get("/login/otp/").content.decode()
    assert totp_reset(user=people.finance2, actor=security_admin) is False  # nothing to reset


def test_the_reset_page_is_for_the_security_administrator(people: Cast, finance: User, security_admin: User) -> None:
    sam = Client()
    sam.force_login(people.sam)
    assert sam.get("/security/totp/").status_code == 403
    assert sam.post(f"/security/totp/{finance.pk}/reset/").status_code == 403
    assert TotpDevice.objects.filter(user=finance).exists()
    admin = Client()
    admin.force_login(security_admin)
    page = admin.get("/security/totp/").content.decode()
    assert 'data-testid="totp-reset-finance"' in page and "已绑定" in page and "未绑定" in page
    done = admin.post(f"/security/totp/{finance.pk}/reset/", follow=True)
    assert "已重置 finance" in done.content.decode()
    assert not TotpDevice.objects.filter(user=finance).exists()


# ── bearer tokens ─────────────────────────────────────────────────────────────────────────────


def test_a_token_is_refused_for_roles_that_log_in_with_a_code(
    people: Cast, security_admin: User, settings: Any
) -> None:
    with pytest.raises(NotPermitted, match="动态口令"):
        token_issue(user=people.finance, actor=security_admin, name="财政系统")
    # One made before the rule (or by hand) is refused at use.
    secret, stored = secret_mint()
    ApiToken.objects.create(user=people.finance, name="旧令牌", **stored)
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    assert api.get("/api/v1/finance/batches").status_code == 401
    settings.JINENG_TOTP_ROLES = []
    assert api.get("/api/v1/finance/batches").status_code == 200
    settings.JINENG_TOTP_ROLES = ["finance"]
    _, clerk_token = token_issue(user=people.alice, actor=security_admin, name="教务系统")
    assert Client(headers={"Authorization": f"Bearer {clerk_token}"}).get("/api/v1/classes").status_code == 200


# ── re-authentication before a money step ────────────────────────────────────────────────────


@pytest.fixture
def approved(people: Cast, finance: User) -> SubsidyClaim:
    """A claim pushed in a batch and signed twice by finance: ready to be paid."""
    cls = ended_class(people)
    certify(people, cls)
    claim = noticed(people, through_review(people, claimed(people, cls)))
    batch = batch_push(actor=people.hana1, today=AFTER_NOTICE)
    batch_sign(batch=batch, actor=people.finance, expected_version=batch.version, opinion="初审同意")
    batch.refresh_from_db()
    batch_sign(batch=batch, actor=people.finance2, expected_version=batch.version, opinion="复核同意")
    claim.refresh_from_db()
    assert claim.state == ClaimState.FINANCE_APPROVED
    return claim


def logged_in(account: User) -> Client:
    """A browser that went through both login steps (so the code of this step is spent)."""
    client = Client()
    password_step(client, account.username)
    assert code_step(client, totp_code(account)).status_code == 302
    return client


def disburse(client: Client, claim: SubsidyClaim, key: str = "pay-2023-10-0001") -> Any:
    body = {
        "amount": str(claim.amount),
        "paid_on": "2023-10-20",
        "bank_reference": "BOC20231020001",
        "fund_source": "employment_fund",
    }
    return client.post(
        f"/api/v1/claims/{claim.pk}/disburse",
        json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


def reauth(client: Client, password: str = PASSWORD, otp: str = "") -> Any:
    return client.post("/api/v1/auth/reauth", {"password": password, "otp": otp}, content_type="application/json")


def test_it_refuses_a_disbursement_without_re_authentication(finance: User, approved: SubsidyClaim) -> None:
    refused = disburse(logged_in(finance), approved)
    assert refused.status_code == 403 and refused.json()["code"] == "reauth_required"
    assert "请先重新验证身份（密码与动态口令）" in refused.json()["message"]
    assert not Disbursement.objects.exists()


def test_it_accepts_a_disbursement_within_five_minutes(finance: User, approved: SubsidyClaim, clock: Clock) -> None:
    client = logged_in(finance)
    clock.advance(seconds=31)  # the login's code is spent; the next one comes
    done = reauth(client, otp=totp_code(finance))
    assert done.status_code == 200 and done.json()["minutes"] == 5
    until = dt.datetime.fromisoformat(done.json()["reauth_until"])
    assert until == clock.now.replace(microsecond=0) + dt.timedelta(minutes=5)
    [stamped] = events("auth.reauth")
    assert stamped.actor == finance and "密码与动态口令" in stamped.note
    clock.advance(minutes=4, seconds=59)
    paid = disburse(client, approved)
    assert paid.status_code == 201, paid.content[:300]


def test_it_refuses_a_disbursement_more_than_five_minutes_after(
    finance: User, approved: SubsidyClaim, clock: Clock
) -> None:
    client = logged_in(finance)
    clock.advance(seconds=31)
    assert reauth(client, otp=totp_code(finance)).status_code == 200
    clock.advance(minutes=5, seconds=1)
    refused = disburse(client, approved)
    assert refused.status_code == 403 and refused.json()["code"] == "reauth_required"
    assert not Disbursement.objects.exists()


def test_the_limit_follows_the_setting(finance: User, approved: SubsidyClaim, clock: Clock, settings: Any) -> None:
    settings.JINENG_REAUTH_MINUTES = 1
    client = logged_in(finance)
    reauthenticate(client)
    clock.advance(seconds=61)
    assert disburse(client, approved).status_code == 403


def test_a_wrong_password_at_re_authentication_is_refused_and_counted(finance: User, clock: Clock) -> None:
    client = logged_in(finance)
    clock.advance(seconds=31)
    wrong = reauth(client, WRONG, totp_code(finance))
    assert wrong.status_code == 403 and wrong.json()["code"] == "reauth_failed"
    assert wrong.json()["fields"] == [{"path": "reauth_password", "message": "登录密码：不正确"}]
    assert REAUTH_AT not in client.session
    [failed] = events("auth.reauth_failed")
    assert failed.actor == finance and WRONG not in json.dumps([failed.changes, failed.note])
    assert LoginAttempt.objects.filter(username="finance", ok=False).count() == 1
    for _ in range(4):
        reauth(client, WRONG)
    locked = reauth(client, PASSWORD, totp_code(finance))
    assert locked.status_code == 403 and locked.json()["code"] == "account_locked"
    assert "已暂时锁定" in password_step(Client(), "finance").content.decode()


def test_re_authentication_needs_a_fresh_code_for_a_role_with_totp(finance: User, clock: Clock) -> None:
    client = Client()
    password_step(client, "finance")
    login_code = totp_code(finance)
    code_step(client, login_code)
    missing = reauth(client, PASSWORD, "")
    assert missing.status_code == 403 and missing.json()["fields"][0]["path"] == "reauth_otp"
    replayed = reauth(client, PASSWORD, login_code)
    assert replayed.status_code == 403 and "已使用过" in replayed.json()["message"]
    assert len(events("auth.reauth_failed")) == 2
    clock.advance(seconds=31)
    assert reauth(client, PASSWORD, totp_code(finance)).status_code == 200


def test_a_clerk_re_authenticates_with_the_password_alone(people: Cast) -> None:
    with_password(people.alice)
    client = Client()
    password_step(client, "alice")
    answer = reauth(client)
    assert answer.status_code == 200
    assert "登录密码" in events("auth.reauth")[0].note


def test_a_token_cannot_re_authenticate(people: Cast, security_admin: User) -> None:
    with_password(people.alice)
    _, token = token_issue(user=people.alice, actor=security_admin, name="教务系统")
    api = Client(headers={"Authorization": f"Bearer {token}"})
    assert reauth(api).status_code == 401


def test_a_stamp_of_another_user_in_the_session_does_not_count(finance: User, approved: SubsidyClaim) -> None:
    client = logged_in(finance)
    session = client.session
    session[REAUTH_AT] = [str(finance.pk + 1000), int(timezone.now().timestamp())]
    session.save()
    assert disburse(client, approved).status_code == 403


@pytest.mark.parametrize("step", ["sign", "clawback"])
def test_the_other_money_steps_of_the_api_need_re_authentication_too(people: Cast, finance: User, step: str) -> None:
    cls = ended_class(people)
    certify(people, cls)
    claim = noticed(people, through_review(people, claimed(people, cls)))
    batch = batch_push(actor=people.hana1, today=AFTER_NOTICE)
    client = Client()
    client.force_login(finance)
    body: dict[str, Any]
    if step == "sign":
        path, body = f"/api/v1/finance/batches/{batch.pk}/sign", {"version": batch.version}
    else:
        batch_sign(batch=batch, actor=people.finance, expected_version=batch.version)
        batch.refresh_from_db()
        batch_sign(batch=batch, actor=people.finance2, expected_version=batch.version)
        claim.refresh_from_db()
        claim_disburse(claim=claim, actor=people.finance, idempotency_key="k-000001", data=payment_for(claim))
        payment = PaymentLine.objects.filter(disbursement__claim=claim).first()
        assert payment is not None
        path = f"/api/v1/payments/{payment.pk}/clawback"
        body = {
            "amount": "100.00",
            "rule": "SUB-CLAWBACK",
            "reason": "复查",
            "reference": "SJ1",
            "decided_on": "2024-03-01",
        }
    refused = client.post(path, body, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "reauth_required"
    reauthenticate(client)
    assert client.post(path, body, content_type="application/json").status_code in (200, 201)


# ── the money-step forms ──────────────────────────────────────────────────────────────────────


def test_the_disburse_form_asks_for_the_password_and_code_and_checks_them(
    finance: User, approved: SubsidyClaim, clock: Clock
) -> None:
    client = logged_in(finance)
    page = client.get(f"/subsidy/{approved.pk}/").content.decode()
    assert 'name="reauth_password"' in page and 'name="reauth_otp"' in page
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page)
    assert key is not None
    form = {
        "idempotency_key": key.group(1),
        "amount": "4500.00",
        "paid_on": "2023-10-20",
        "bank_reference": "BOC20231020001",
        "fund_source": "employment_fund",
    }
    without = client.post(f"/subsidy/{approved.pk}/disburse/", form)
    assert without.status_code == 403 and "请先重新验证身份（密码与动态口令）" in without.content.decode()
    clock.advance(seconds=31)
    wrong = client.post(f"/subsidy/{approved.pk}/disburse/", {**form, "reauth_password": WRONG, "reauth_otp": "1"})
    assert wrong.status_code == 403 and "登录密码：不正确" in wrong.content.decode()
    assert events("auth.reauth_failed") and not Disbursement.objects.exists()
    right = {**form, "reauth_password": PASSWORD, "reauth_otp": totp_code(finance)}
    paid = client.post(f"/subsidy/{approved.pk}/disburse/", right, follow=True)
    assert "已拨付 4500.00 元" in paid.content.decode()
    # A double click posts the same code again: the fresh stamp carries it, it is not a replay.
    again = client.post(f"/subsidy/{approved.pk}/disburse/", right, follow=True)
    assert "未重复拨付" in again.content.decode() and Disbursement.objects.count() == 1
    # Within the five minutes the forms say so instead of asking again.
    assert (
        'data-testid="reauth-fresh"' in again.content.decode()
        and 'name="reauth_password"' not in again.content.decode()
    )


def test_the_batch_sign_form_needs_re_authentication(people: Cast, finance: User) -> None:
    cls = ended_class(people)
    certify(people, cls)
    noticed(people, through_review(people, claimed(people, cls)))
    batch = batch_push(actor=people.hana1, today=AFTER_NOTICE)
    client = logged_in(finance)
    page = client.get(f"/subsidy/finance/{batch.pk}/").content.decode()
    assert 'name="reauth_password"' in page
    refused = client.post(f"/subsidy/finance/{batch.pk}/sign/", {"version": batch.version})
    assert refused.status_code == 403 and "请先重新验证身份" in refused.content.decode()
    batch.refresh_from_db()
    assert batch.state == "pushed"
    reauthenticate(client)
    client.post(f"/subsidy/finance/{batch.pk}/sign/", {"version": batch.version})
    assert FinanceBatch.objects.get(pk=batch.pk).state == "finance_first"


def test_the_clawback_form_needs_re_authentication(people: Cast, finance: User, approved: SubsidyClaim) -> None:
    claim_disburse(claim=approved, actor=people.finance, idempotency_key="k-000002", data=payment_for(approved))
    payment = PaymentLine.objects.filter(disbursement__claim=approved).first()
    assert payment is not None
    client = logged_in(finance)
    body = {"amount": "100", "rule": "SUB-CLAWBACK", "reason": "复查", "reference": "SJ1", "decided_on": "2024-03-01"}
    refused = client.post(f"/subsidy/{approved.pk}/payments/{payment.pk}/clawback/", body)
    assert refused.status_code == 403 and "请先重新验证身份" in refused.content.decode()
    assert not Clawback.objects.exists()
