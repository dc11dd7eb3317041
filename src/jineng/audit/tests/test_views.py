"""The audit log page: only the audit administrator opens it; filters, pages and masked rows."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from jineng.audit.models import AuditEvent
from jineng.audit.services import audit_record
from jineng.classes.services import class_create
from jineng.testing import Cast, class_input, person


def rows(body: str) -> list[str]:
    return re.findall(r'<td class="mono">([\w.]+)</td>', body)


@pytest.mark.parametrize("who", ["alice", "dan1", "hana1", "city", "leader", "finance", "sam"])
def test_nobody_but_the_audit_administrator_opens_the_audit_log(client: Client, people: Cast, who: str) -> None:
    class_create(actor=people.alice, data=class_input())
    client.force_login(getattr(people, who))
    response = client.get("/audit/")
    body = response.content.decode()
    assert response.status_code == 403 and "仅供审计管理员查阅" in body
    assert "class.create" not in body
    assert "审计日志</a>" not in body[body.index("<nav>") : body.index("</nav>")]


def test_an_anonymous_visitor_is_sent_to_login(client: Client, people: Cast) -> None:
    response = client.get("/audit/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_audit_administrator_reads_who_did_what_to_which_object(client: Client, people: Cast) -> None:
    cls = class_create(actor=people.alice, data=class_input())
    client.force_login(people.audrey)
    body = client.get("/audit/").content.decode()
    assert 'href="/audit/"' in body[body.index("<nav>") : body.index("</nav>")]
    assert "class.create" in body and "王爱丽" in body and "培训机构经办人" in body
    assert cls.code in body and f"#{cls.pk}" in body
    assert "hours_practical" in body and "56" in body


def test_resident_ids_and_phones_show_as_stored_masked(client: Client, people: Cast) -> None:
    worker = person(7)
    worker.phone = "13912345678"
    audit_record(
        actor=people.alice,
        event="roster.remove",
        obj=worker,
        changes={"trainee": ({"id_number": worker.id_number, "phone": worker.phone}, None)},
        note=f"移除 {worker.id_number}",
    )
    client.force_login(people.audrey)
    body = client.get("/audit/").content.decode()
    assert worker.id_number not in body and worker.masked_id in body
    assert "13912345678" not in body and "139****5678" in body


def test_the_audit_log_filters_by_event_object_actor_and_date(client: Client, people: Cast) -> None:
    first = class_create(actor=people.alice, data=class_input(name="甲班"))
    class_create(actor=people.bob, data=class_input(name="乙班", area_id=people.carol.org_id))
    audit_record(actor=people.sam, event="account.update", obj=people.dan1, changes={"is_active": (True, False)})
    client.force_login(people.audrey)

    def events(query: str) -> list[str]:
        return rows(client.get(f"/audit/?{query}").content.decode())

    assert events("event=class") == ["class.create", "class.create"]
    assert events("event=account") == ["account.update"]
    assert events(f"object={first.pk}&event=class") == ["class.create"]
    assert events("object=accounts.user") == ["account.update"]
    assert events("object=乙班") == ["class.create"]
    assert events("actor=bob") == ["class.create"] and events("actor=卫系") == ["account.update"]
    today = timezone.localdate()
    assert len(events(f"event=class&since={today}&until={today}")) == 2
    assert events(f"until={today - dt.timedelta(days=1)}") == []
    assert events(f"since={today + dt.timedelta(days=1)}") == []
    assert "起始日期" in client.get("/audit/?since=昨天").content.decode()


def test_the_audit_log_pages_by_fifty(client: Client, people: Cast) -> None:
    for i in range(55):
        audit_record(actor=people.sam, event="account.update", obj=people.dan1, changes={"n": (i, i + 1)})
    client.force_login(people.audrey)
    first = client.get("/audit/?event=account").content.decode()
    assert len(rows(first)) == 50 and "第 1 / 2 页" in first and "?event=account&amp;page=2" in first
    assert len(rows(client.get("/audit/?event=account&page=2").content.decode())) == 5


def test_the_audit_administrator_checks_the_chain_from_the_page_and_the_check_is_logged(
    client: Client, people: Cast
) -> None:
    class_create(actor=people.alice, data=class_input())
    client.force_login(people.audrey)
    page = client.get("/audit/verify/").content.decode()
    assert "开始校验" in page and "--expect-head" in page
    body = client.post("/audit/verify/").content.decode()
    assert "审计链完整" in body and "链头：" in body
    [check] = AuditEvent.objects.filter(event="audit.verify")
    assert check.actor == people.audrey and check.changes["ok"] == [None, True]
    assert check.note.startswith(f"链头 {check.seq - 1}:")
    listing = client.get("/audit/").content.decode()
    assert f'<td class="num" title="哈希 {check.hash}">{check.seq}</td>' in listing


def test_only_the_audit_administrator_checks_the_chain(client: Client, people: Cast) -> None:
    client.force_login(people.sam)
    assert client.post("/audit/verify/").status_code == 403
    assert not AuditEvent.objects.filter(event="audit.verify").exists()
