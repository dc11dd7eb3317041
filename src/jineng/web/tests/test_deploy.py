"""Production settings (JINENG_PRODUCTION=true): `manage.py check --deploy` reports nothing, and a
production start refuses what would make it unsafe (debug on, generated or short keys, no hosts).

The deploy check runs `django-admin check --deploy` in a subprocess with its own environment (the
database is never touched: `check` without --database needs none); the settings' own refusals run
the settings file afresh in this process under a patched environment.
"""

from __future__ import annotations

import base64
import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from jineng import settings as live_settings
from jineng.settings import cache_from_env
from jineng.web.checks import check_shared_cache

ROOT = Path(__file__).resolve().parents[4]
SETTINGS = Path(live_settings.__file__)


def production_env(tmp_path: Path, **changes: str | None) -> dict[str, str]:
    """A production environment as docs/deploy.md has it: keys, hosts, behind nginx, Redis."""
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("JINENG_", "DJANGO_", "DATABASE_URL"))
    }
    env.update(
        {
            "JINENG_PRODUCTION": "true",
            "JINENG_SECRET_KEY": secrets.token_urlsafe(50),
            "JINENG_DATA_KEY": base64.b64encode(os.urandom(32)).decode(),
            "JINENG_ALLOWED_HOSTS": "jineng.example.gov.cn",
            "JINENG_BEHIND_PROXY": "true",
            "JINENG_CACHE_URL": "redis://127.0.0.1:6379/0",
            "JINENG_DATA_DIR": str(tmp_path / "var"),
            "DATABASE_URL": "postgres://jineng_app@127.0.0.1:5432/jineng",
        }
    )
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "django", *args, "--settings", "jineng.settings"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return manage(env, "check", "--deploy", "--fail-level", "WARNING")


def test_the_deploy_check_is_clean_with_the_production_settings(tmp_path: Path) -> None:
    answer = deploy_check(production_env(tmp_path))
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert "System check identified no issues (0 silenced)." in answer.stdout
    # Nothing generated into the data directory: every secret came from the environment.
    assert not (tmp_path / "var" / "secret_key").exists()
    assert not (tmp_path / "var" / "data_key").exists()


def test_the_deploy_check_reports_the_https_settings_without_production() -> None:
    # The tests' own settings are a local install's: the same check must find what is missing.
    with pytest.raises(SystemCheckError) as refused:
        call_command("check", "--deploy", "--tag", "security", "--fail-level", "WARNING")
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in str(refused.value)


def test_production_without_a_shared_cache_is_reported_by_the_deploy_check(settings: Any) -> None:
    settings.PRODUCTION = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    (warning,) = check_shared_cache()
    # Per-process counters would multiply the rate limits by the number of workers.
    assert warning.id == "jineng.W001" and "JINENG_CACHE_URL" in warning.msg
    settings.CACHES = {"default": cache_from_env_of("redis://127.0.0.1:6379/0")}
    assert check_shared_cache() == []
    settings.PRODUCTION = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert check_shared_cache() == []


def cache_from_env_of(url: str) -> dict[str, object]:
    os.environ["JINENG_CACHE_URL"] = url
    try:
        return cache_from_env()
    finally:
        del os.environ["JINENG_CACHE_URL"]


def settings_module(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """jineng/settings.py run afresh under `env` (the live settings stay as they are)."""
    for key in [k for k in os.environ if k.startswith(("JINENG_", "DATABASE_URL"))]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        if key.startswith(("JINENG_", "DATABASE_URL")):
            monkeypatch.setenv(key, value)
    return runpy.run_path(str(SETTINGS))


def test_the_production_settings_are_the_hardened_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    values = settings_module(
        production_env(tmp_path, JINENG_CSRF_TRUSTED_ORIGINS="https://jineng.example.gov.cn"), monkeypatch
    )
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True and values["SECURE_HSTS_PRELOAD"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://jineng.example.gov.cn"]
    assert values["ALLOWED_HOSTS"] == ["jineng.example.gov.cn"]
    assert values["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"  # type: ignore[index]


def test_hsts_preload_or_subdomains_turned_off_is_a_recorded_choice_not_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = settings_module(production_env(tmp_path, JINENG_HSTS_PRELOAD="false"), monkeypatch)
    assert values["SECURE_HSTS_PRELOAD"] is False
    assert values["SILENCED_SYSTEM_CHECKS"] == ["security.W021"]
    values = settings_module(production_env(tmp_path, JINENG_HSTS_INCLUDE_SUBDOMAINS="no"), monkeypatch)
    assert values["SILENCED_SYSTEM_CHECKS"] == ["security.W005"]
    assert settings_module(production_env(tmp_path), monkeypatch)["SILENCED_SYSTEM_CHECKS"] == []


def test_a_local_install_keeps_plain_http_and_trusts_no_forwarded_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = settings_module({"JINENG_DATA_DIR": str(tmp_path / "var")}, monkeypatch)
    assert values["SECURE_SSL_REDIRECT"] is False and values["SESSION_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert "SECURE_PROXY_SSL_HEADER" not in values
    assert values["SECURE_CSP"]  # the policy applies in every mode


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"JINENG_DEBUG": "true"}, "JINENG_DEBUG"),
        ({"JINENG_SECRET_KEY": None}, "JINENG_SECRET_KEY"),
        ({"JINENG_SECRET_KEY": "x" * 40}, "JINENG_SECRET_KEY"),
        ({"JINENG_SECRET_KEY": "ab" * 30}, "JINENG_SECRET_KEY"),
        ({"JINENG_DATA_KEY": None}, "JINENG_DATA_KEY"),
        ({"JINENG_ALLOWED_HOSTS": None}, "JINENG_ALLOWED_HOSTS"),
        ({"JINENG_ALLOWED_HOSTS": "*"}, "JINENG_ALLOWED_HOSTS"),
        ({"JINENG_HSTS_SECONDS": "a year"}, "JINENG_HSTS_SECONDS"),
        ({"JINENG_CSRF_TRUSTED_ORIGINS": "jineng.example.gov.cn"}, "JINENG_CSRF_TRUSTED_ORIGINS"),
        ({"JINENG_CACHE_URL": "memcached://127.0.0.1:11211"}, "JINENG_CACHE_URL"),
        ({"JINENG_RATE_LOGIN_PER_IP": "ten"}, "JINENG_RATE_LOGIN_PER_IP"),
        ({"JINENG_BEHIND_PROXY": "maybe"}, "JINENG_BEHIND_PROXY"),
    ],
)
def test_an_unsafe_or_unreadable_production_setting_stops_the_start_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, changes: dict[str, str | None], says: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=says):
        settings_module(production_env(tmp_path, **changes), monkeypatch)
    # Nothing was generated into the data directory on the way.
    assert not (tmp_path / "var" / "secret_key").exists()


def test_the_cache_is_redis_when_a_url_is_given_and_process_memory_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JINENG_CACHE_URL", raising=False)
    assert cache_from_env()["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    monkeypatch.setenv("JINENG_CACHE_URL", "redis://127.0.0.1:6379/2")
    redis = cache_from_env()
    assert redis["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert redis["LOCATION"] == "redis://127.0.0.1:6379/2"
