"""The audit log is append-only and never shows a resident ID or phone in clear."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from jineng.audit.models import AuditEvent, AuditLogImmutable
from jineng.audit.services import audit_record, mask_text
from jineng.testing import Cast, person


def an_event(people: Cast) -> AuditEvent:
    subject = person(1)
    return audit_record(
        actor=people.alice,
        event="person.update",
        obj=subject,
        changes={"id_number": (None, subject.id_number), "phone": ("13812345678", "13987654321"), "name": ("甲", "乙")},
        note=f"核对身份证 {subject.id_number}",
    )


def test_ids_and_phones_are_masked_in_values_reprs_and_notes(people: Cast) -> None:
    event = an_event(people)
    subject = person(1)
    assert event.changes["id_number"] == [None, subject.masked_id]
    assert event.changes["phone"] == ["138****5678", "139****4321"]
    assert event.changes["name"] == ["甲", "乙"]
    assert subject.id_number not in event.object_repr and subject.id_number not in event.note
    assert subject.masked_id in event.note
    assert (event.actor_name, event.actor_role) == ("王爱丽", "institution_clerk")


def test_free_text_masks_any_resident_id_but_not_other_numbers() -> None:
    assert mask_text("ID 41108119900101123X, 订单 12345678901234") == "ID 4110**********123X, 订单 12345678901234"


def test_a_row_cannot_be_changed_or_deleted_through_the_orm(people: Cast) -> None:
    event = an_event(people)
    event.note = "改写"
    with pytest.raises(AuditLogImmutable):
        event.save()
    with pytest.raises(AuditLogImmutable):
        event.delete()
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(note="改写")
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).note.startswith("核对身份证")


def _execute(sql: str, pk: int) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [pk])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the table trigger exists on PostgreSQL only")
def test_on_postgresql_the_table_itself_refuses_update_and_delete(people: Cast) -> None:
    event = an_event(people)
    for sql in ("UPDATE audit_auditevent SET note = 'x' WHERE id = %s", "DELETE FROM audit_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="审计日志不可修改或删除"):
            _execute(sql, event.pk)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_system_administrator_cannot_open_change_or_delete_audit_records(people: Cast) -> None:
    event = an_event(people)
    people.sam.is_staff = people.sam.is_superuser = True
    people.sam.save()
    client = Client()
    client.force_login(people.sam)
    assert client.get(f"/admin/audit/auditevent/{event.pk}/change/").status_code in (302, 403)
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code in (302, 403)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_audit_administrator_reads_but_cannot_change(people: Cast) -> None:
    event = an_event(people)
    people.audrey.is_staff = True
    people.audrey.save()
    client = Client()
    client.force_login(people.audrey)
    assert client.get("/admin/audit/auditevent/").status_code == 200
    page = client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert AuditEvent.objects.filter(pk=event.pk).exists()
