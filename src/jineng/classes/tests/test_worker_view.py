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
