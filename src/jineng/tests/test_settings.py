"""Configuration comes from the environment and a bad value is an error naming the variable."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from jineng import settings


@pytest.mark.parametrize(("raw", "value"), [("true", True), ("1", True), ("ON", True), ("no", False), ("", False)])
def test_booleans_accept_the_usual_spellings(monkeypatch: pytest.MonkeyPatch, raw: str, value: bool) -> None:
    monkeypatch.setenv("JINENG_X", raw)
    assert settings.env_bool("JINENG_X", not value) is value


def test_an_unreadable_boolean_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JINENG_DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"JINENG_DEBUG.*maybe"):
        settings.env_bool("JINENG_DEBUG", False)


def test_sqlite_is_the_default_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert settings.database_from_env()["ENGINE"] == "django.db.backends.sqlite3"


def test_postgres_comes_from_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jineng")
    config = settings.database_from_env()
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["HOST"], config["PORT"]) == ("jineng", "127.0.0.1", 5432)


def test_postgres_statements_are_prepared_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jineng")
    monkeypatch.delenv("JINENG_DB_PREPARE", raising=False)
    assert settings.database_from_env()["OPTIONS"] == {"prepare_threshold": settings.PREPARE_ONLY_WHEN_ASKED}


def test_preparing_can_be_turned_off_for_a_pooler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jineng")
    monkeypatch.setenv("JINENG_DB_PREPARE", "false")
    options = settings.database_from_env().get("OPTIONS", {})
    assert isinstance(options, dict) and "prepare_threshold" not in options


def test_an_unreadable_prepare_switch_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jineng")
    monkeypatch.setenv("JINENG_DB_PREPARE", "sometimes")
    with pytest.raises(ImproperlyConfigured, match="JINENG_DB_PREPARE"):
        settings.database_from_env()


@pytest.mark.parametrize("url", ["not a url", "postgres://postgres@127.0.0.1:5432/", "nosuchdb://x/y"])
def test_a_bad_database_url_is_an_error_naming_the_variable(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        settings.database_from_env()


def test_a_short_secret_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JINENG_SECRET_KEY", "short")
    with pytest.raises(ImproperlyConfigured, match="JINENG_SECRET_KEY"):
        settings._secret_key()


def test_lists_are_comma_separated_and_trimmed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JINENG_ALLOWED_HOSTS", " a.example , b.example ,,")
    assert settings.env_list("JINENG_ALLOWED_HOSTS", []) == ["a.example", "b.example"]
