"""The README's start command loads demo data on every start: it must be repeatable."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True)
def test_seeding_twice_leaves_one_admin_who_can_log_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JINENG_DEMO_PASSWORD", "demo-pass-for-test")
    call_command("seed_demo", stdout=None)
    call_command("seed_demo", stdout=None)
    User = get_user_model()
    assert User.objects.filter(username="admin").count() == 1
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    client = Client()
    assert client.login(username="admin", password="demo-pass-for-test")
    assert client.get("/admin/").status_code == 200


@override_settings(DEBUG=False)
def test_it_refuses_a_production_install_without_the_explicit_flag() -> None:
    with pytest.raises(CommandError, match="JINENG_DEBUG=true"):
        call_command("seed_demo")
    assert not get_user_model().objects.exists()
