"""Refused requests, exports and pages that showed resident IDs in clear are audited, one row per
request and kind, with the method and path and nothing personal."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from jineng.accounts.models import User
from jineng.audit.middleware import attachment_name
from jineng.audit.models import AuditEvent
from jineng.classes.services import class_create
from jineng.testing import Cast, class_input, enroll, person

API = "/api/v1"


def events(name: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event=name).order_by("seq"))


def signed_in(client: Client, who: User) -> Client:
    client.force_login(who)
    return client


def test_a_page_refused_with_403_is_audited_with_who_and_where(client: Client, people: Cast) -> None:
    assert signed_in(client, people.alice).get("/audit/?actor=41108119900101123X").status_code == 403
    [row] = events("authz.refused")
    assert (row.actor, row.actor_role, row.object_type, row.object_id) == (
        people.alice,
        "institution_clerk",
        "request",
        "audit:events",
    )
    assert row.note == "GET /audit/ → 403" and "41108119900101123X" not in row.note + row.object_repr
    assert row.changes["status"] == [None, 403]


def test_a_view_raising_permission_denied_is_audited(client: Client, people: Cast) -> None:
    assert signed_in(client, people.leader).post("/targets/refresh/", {"year": "2023"}).status_code == 403
    [row] = events("authz.refused")
    assert row.actor == people.leader and row.note == "POST /targets/refresh/ → 403"


def test_an_api_call_without_credentials_is_audited_as_anonymous(client: Client, people: Cast) -> None:
    assert client.get(f"{API}/classes", HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 401
    [row] = events("authz.refused")
    assert row.actor is None and row.actor_name == "匿名" and row.note == f"GET {API}/classes → 401（unauthenticated）"
    assert row.changes["code"] == [None, "unauthenticated"] and row.changes["ip"] == [None, "127.0.0.1"]


def test_an_api_object_outside_the_callers_scope_is_a_refusal_a_missing_catalog_entry_is_not(
    client: Client, people: Cast
) -> None:
    cls = class_create(actor=people.alice, data=class_input())
    api = signed_in(client, people.carol)  # 长葛 HR: the 禹州 class is not theirs
    assert api.get(f"{API}/classes/{cls.pk}").status_code == 404
    [row] = events("authz.refused")
    assert row.actor == people.carol and row.note == f"GET {API}/classes/{cls.pk} → 404（not_found）"
    assert api.get(f"{API}/rules?policy=no-such-policy").status_code == 404
    assert len(events("authz.refused")) == 1


def test_a_page_of_an_object_outside_the_readers_scope_is_a_refusal_an_unknown_format_is_not(
    client: Client, people: Cast
) -> None:
    cls = class_create(actor=people.alice, data=class_input())
    page = signed_in(client, people.carol)  # 长葛 HR: the 禹州 class is not theirs
    assert page.get(f"/classes/{cls.pk}/").status_code == 404
    [row] = events("authz.refused")
    assert row.actor == people.carol and row.note == f"GET /classes/{cls.pk}/ → 404（not_found）"
    assert row.object_id == "classes:detail" and row.changes["code"] == [None, "not_found"]
    # One that does not exist is refused alike: the answer does not tell which.
    assert page.get(f"/classes/{cls.pk + 1000}/").status_code == 404
    assert len(events("authz.refused")) == 2
    assert page.get("/classes/roster-template.docx").status_code == 404
    assert len(events("authz.refused")) == 2


def test_a_page_the_readers_role_may_not_open_is_a_refusal(client: Client, people: Cast) -> None:
    assert signed_in(client, people.alice).get("/vouchers/mine/").status_code == 404  # a clerk, not a worker
    [row] = events("authz.refused")
    assert row.actor == people.alice and row.note == "GET /vouchers/mine/ → 404（not_found）"


def test_an_ordinary_answer_writes_no_audit_row(client: Client, people: Cast) -> None:
    before = AuditEvent.objects.count()
    assert signed_in(client, people.leader).get("/todo/").status_code == 200
    assert AuditEvent.objects.count() == before


def test_an_export_is_audited_with_its_file_name(client: Client, people: Cast) -> None:
    response = signed_in(client, people.eve).get("/assessment/results-template.xlsx")
    assert response.status_code == 200
    [row] = events("export")
    assert row.actor == people.eve and row.changes == {"filename": [None, "考核结果模板.xlsx"]}
    assert row.note == "GET /assessment/results-template.xlsx：导出文件 考核结果模板.xlsx"


@pytest.mark.parametrize(("who", "clear"), [("alice", True), ("hana1", True), ("dan1", False), ("leader", False)])
def test_showing_resident_ids_in_clear_is_audited_once_per_request(
    client: Client, people: Cast, who: str, clear: bool
) -> None:
    cls = class_create(actor=people.alice, data=class_input())
    enroll(cls, [person(i) for i in range(3)])
    api = signed_in(client, getattr(people, who))
    answer = api.get(f"{API}/classes/{cls.pk}/roster")
    assert answer.status_code == 200
    shown = person(0).id_number in answer.content.decode()
    assert shown == clear
    rows = events("pii.clear_view")
    assert len(rows) == (1 if clear else 0)
    if clear:
        assert (
            rows[0].actor == getattr(people, who)
            and rows[0].note == f"GET {API}/classes/{cls.pk}/roster：显示明文身份证号"
        )


def test_file_names_are_read_from_either_form_of_the_header() -> None:
    assert attachment_name("attachment; filename*=UTF-8''%E8%80%83%E6%A0%B8.xlsx") == "考核.xlsx"
    assert attachment_name('attachment; filename="a b.pdf"') == "a b.pdf"
    assert attachment_name("attachment; filename=x.csv") == "x.csv"
    assert attachment_name("attachment") == ""
    assert attachment_name("inline; filename=x.pdf") is None and attachment_name("") is None


def test_refusals_without_sign_in_are_audited_up_to_the_limit_per_address_then_once_more_saying_so(
    client: Client, people: Cast, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.JINENG_AUDIT_ANONYMOUS_PER_IP = 3
    monkeypatch.setattr("jineng.ratelimit._now", lambda: 1_700_000_000.0)  # one window throughout
    for _ in range(6):
        assert client.get(f"{API}/classes").status_code == 401
    rows = events("authz.refused")
    assert len(rows) == 4
    assert all(row.actor is None for row in rows)
    assert "不再逐条记录" in rows[-1].note and not any("不再逐条记录" in row.note for row in rows[:-1])
    # Another address has its own count.
    assert client.get(f"{API}/classes", REMOTE_ADDR="10.0.0.9").status_code == 401
    assert len(events("authz.refused")) == 5


def test_refusals_of_a_signed_in_user_are_each_audited_whatever_the_anonymous_limit(
    client: Client, people: Cast, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.JINENG_AUDIT_ANONYMOUS_PER_IP = 1
    monkeypatch.setattr("jineng.ratelimit._now", lambda: 1_700_000_000.0)
    api = signed_in(client, people.alice)  # a 禹州 clerk: the audit log is not hers
    for _ in range(3):
        assert api.get("/audit/").status_code == 403
    assert [row.actor for row in events("authz.refused")] == [people.alice] * 3
