"""Rate limits (jineng.ratelimit): logins per client address and per username, bulk API calls per
authenticated client and endpoint; 429 with Retry-After; fresh counts once the window has passed.

The window's clock is `jineng.ratelimit._now`, moved by the `clock` fixture.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from jineng.accounts.models import Role
from jineng.audit.models import AuditEvent
from jineng.registry.models import CheckinDevice
from jineng.supervision.devices import device_key_issue
from jineng.testing import Cast, unit, user
from jineng.web.middleware import forwarded_client

pytestmark = pytest.mark.django_db

START = 1_700_000_080.0  # 40 s into a 60 s window (1_700_000_040 is a multiple of 60)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moving = Clock()
    monkeypatch.setattr("jineng.ratelimit._now", moving)
    return moving


@pytest.fixture
def limits(settings: Any, clock: Clock) -> Any:
    """The shipped defaults (conftest raises them out of every other test's way)."""
    settings.JINENG_RATE_WINDOW_SECONDS = 60
    settings.JINENG_RATE_LOGIN_PER_IP = 10
    settings.JINENG_RATE_LOGIN_PER_USERNAME = 10
    settings.JINENG_RATE_BULK = 60
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


def login(client: Client, username: str, ip: str = "203.0.113.7", **headers: Any) -> Any:
    return client.post("/login/", {"username": username, "password": "wrong"}, REMOTE_ADDR=ip, **headers)


# ── logins ─────────────────────────────────────────────────────────────────────────────────


def test_the_eleventh_login_from_one_address_within_a_minute_gets_429(people: Cast, limits: Any) -> None:
    client = Client()
    for n in range(10):
        answer = login(client, f"nobody{n}")
        assert answer.status_code == 200, n  # the login page again, with its error
    refused = login(client, "nobody10")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "20"  # the window ends 20 s later
    assert "登录尝试过于频繁，请 20 秒后再试" in refused.content.decode()
    # Another address is not affected.
    assert login(client, "nobody11", ip="198.51.100.2").status_code == 200


def test_the_limit_refuses_even_the_right_password(people: Cast, limits: Any) -> None:
    people.alice.set_password("Xuchang-考核-2023")
    people.alice.save()
    client = Client()
    for n in range(10):
        login(client, f"nobody{n}")
    answer = client.post("/login/", {"username": "alice", "password": "Xuchang-考核-2023"}, REMOTE_ADDR="203.0.113.7")
    assert answer.status_code == 429
    assert "_auth_user_id" not in client.session


def test_one_username_tried_from_many_addresses_is_limited_too(people: Cast, limits: Any) -> None:
    client = Client()
    for n in range(10):
        assert login(client, "target", ip=f"198.51.100.{n + 1}").status_code == 200
    assert login(client, "TARGET", ip="198.51.100.99").status_code == 429


def test_the_limits_reset_after_the_window(people: Cast, limits: Any, clock: Clock) -> None:
    client = Client()
    for n in range(11):
        login(client, f"nobody{n}")
    assert login(client, "again").status_code == 429
    clock.now += 20  # the next window
    assert login(client, "again").status_code == 200


def test_reading_the_login_page_is_never_counted(people: Cast, limits: Any) -> None:
    client = Client()
    for _ in range(30):
        assert client.get("/login/", REMOTE_ADDR="203.0.113.7").status_code == 200
    assert login(client, "nobody").status_code == 200


def test_the_first_refusal_of_a_window_is_audited_once(people: Cast, limits: Any) -> None:
    client = Client()
    for _ in range(10):
        login(client, "alice")
    for _ in range(3):
        assert login(client, "alice").status_code == 429
    refusals = AuditEvent.objects.filter(event="ratelimit.refused")
    assert refusals.count() == 1
    assert refusals.get().object_id == str(people.alice.pk)


def test_a_failing_cache_lets_logins_through(people: Cast, limits: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("redis is down")

    monkeypatch.setattr("jineng.ratelimit.cache.add", broken)
    client = Client()
    for n in range(12):
        assert login(client, f"nobody{n}").status_code == 200


# ── behind nginx ───────────────────────────────────────────────────────────────────────────


def test_behind_the_proxy_the_client_is_the_address_nginx_appended(people: Cast, limits: Any) -> None:
    limits.JINENG_BEHIND_PROXY = True
    client = Client()
    for n in range(10):
        # A client writing its own X-Forwarded-For changes only the part nginx does not vouch for.
        forged = f"10.0.0.{n}, 203.0.113.7"
        assert login(client, f"nobody{n}", ip="127.0.0.1", HTTP_X_FORWARDED_FOR=forged).status_code == 200
    assert login(client, "x", ip="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7").status_code == 429
    # Another client behind the same proxy has its own count.
    assert login(client, "y", ip="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200


def test_without_the_proxy_setting_the_forwarded_header_is_ignored(people: Cast, limits: Any) -> None:
    client = Client()
    for n in range(10):
        login(client, f"nobody{n}", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert login(client, "x", HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429


@pytest.mark.parametrize(
    ("header", "client"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("10.0.0.1, 203.0.113.7", "203.0.113.7"),
        ("2001:db8::1", "2001:db8::1"),
        ("", None),
        ("10.0.0.1, junk", None),
    ],
)
def test_the_forwarded_client_is_the_last_entry_if_it_is_an_address(header: str, client: str | None) -> None:
    assert forwarded_client(header) == client


# ── bulk APIs ──────────────────────────────────────────────────────────────────────────────


def test_a_bulk_endpoint_over_its_limit_answers_429_in_the_common_error_shape(people: Cast, limits: Any) -> None:
    limits.JINENG_RATE_BULK = 3
    hana = Client()
    hana.force_login(people.hana1)
    for _ in range(3):
        assert hana.post("/api/v1/finance/push").status_code != 429
    refused = hana.post("/api/v1/finance/push")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "20"
    body = refused.json()
    assert body["code"] == "rate_limited"
    assert body["message"] == "调用过于频繁，请 20 秒后再试"
    assert body["fields"] == []
    # Another user has a count of their own; reads are never counted.
    other = Client()
    other.force_login(people.hana2)
    assert other.post("/api/v1/finance/push").status_code != 429
    for _ in range(5):
        assert hana.get("/api/v1/claims").status_code == 200


def test_each_device_has_its_own_count_and_the_window_resets_it(people: Cast, limits: Any, clock: Clock) -> None:
    limits.JINENG_RATE_BULK = 2
    security = user("sec", Role.SECURITY_ADMIN, org=unit("city"))
    devices = [CheckinDevice.objects.create(serial=f"YZ-FACE-0{n}", institution=people.yuzhou_school) for n in (1, 2)]
    first, second = (
        Client(headers={"Authorization": f"Bearer {device_key_issue(device=d, actor=security)[1]}"}) for d in devices
    )

    def push(client: Client) -> int:
        return client.post("/api/v1/checkins", {"events": []}, content_type="application/json").status_code

    assert 429 not in [push(first), push(first)]
    assert push(first) == 429
    assert push(second) != 429
    assert AuditEvent.objects.filter(event="ratelimit.refused", object_id=str(devices[0].pk)).count() == 1
    clock.now += 20
    assert push(first) != 429


def test_the_bulk_endpoints_are_the_limited_ones_and_say_so_in_the_openapi_document(client: Client) -> None:
    document = client.get("/api/v1/openapi.json").json()
    limited = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "429" in operation.get("responses", {})
    }
    assert limited == {
        ("POST", "/api/v1/checkins"),
        ("POST", "/api/v1/checkins/import"),
        ("POST", "/api/v1/online/batches"),
        ("POST", "/api/v1/classes/{class_id}/roster"),
        ("POST", "/api/v1/assessment/plans/{plan_id}/results"),
        ("POST", "/api/v1/vouchers/batches"),
        ("POST", "/api/v1/finance/push"),
        ("POST", "/api/v1/claims/{claim_id}/disburse"),
    }
