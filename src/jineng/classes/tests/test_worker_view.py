"""A worker reads the classes they are on, and of the roster and findings only their own lines."""

from __future__ import annotations

from django.test import Client

from jineng.accounts.models import Role
from jineng.classes.services import class_create
from jineng.testing import Cast, class_input, enroll, person, unit, user


def test_a_worker_sees_their_own_roster_line_and_no_one_elses(people: Cast) -> None:
    cls = class_create(actor=people.alice, data=class_input())
    me, other = person(1), person(2)
    enroll(cls, [me, other], questionnaire=None)  # CLS-SURVEY for both
    worker = user("wang", Role.WORKER, org=unit("area-yuzhou"))
    worker.person = me
    worker.save()
    client = Client()
    client.force_login(worker)
    roster = client.get(f"/classes/{cls.pk}/?tab=roster").content.decode()
    assert me.name in roster and other.name not in roster
    findings = client.get(f"/classes/{cls.pk}/findings/").content.decode()
    assert me.masked_id in findings and other.masked_id not in findings
    assert client.get(f"/api/v1/classes/{cls.pk}/roster").json()["count"] == 1


def test_the_form_previews_findings_as_typed_without_saving(people: Cast) -> None:
    cls = class_create(actor=people.alice, data=class_input())
    enroll(cls, [person(i) for i in range(3)])
    client = Client()
    client.force_login(people.alice)
    form = client.get(f"/classes/{cls.pk}/?tab=basic").content.decode()
    assert f"/classes/{cls.pk}/findings/preview/" in form
    fields = {
        "name": cls.name,
        "occupation_id": cls.occupation_id,
        "training_type": "employment",
        "certificate": "skill_level",
        "lead_department_id": cls.lead_department_id,
        "area_id": cls.area_id,
        "start": "2023-05-08",
        "end": "2023-05-26",
        "level": 4,
        "minutes_per_hour": 30,
        "hours_theory": 24,
        "hours_practical": 56,
        "hours_online": 0,
        "workstations": 20,
        "subsidised": "on",
    }
    panel = client.post(f"/classes/{cls.pk}/findings/preview/", fields).content.decode()
    assert "预览" in panel and "CLS-HOUR-LENGTH" in panel
    cls.refresh_from_db()
    assert cls.minutes_per_hour == 45 and cls.version == 1
    assert "CLS-HOUR-LENGTH" not in client.get(f"/classes/{cls.pk}/findings/").content.decode()
    # Someone else's class cannot be previewed.
    client.force_login(people.bob)
    assert client.post(f"/classes/{cls.pk}/findings/preview/", fields).status_code == 404
