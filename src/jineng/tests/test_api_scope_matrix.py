"""Role × endpoint: every cast member against every class-scoped API endpoint.

A class outside the reader's scope does not exist for them (404 `not_found`, absent from lists);
inside it, the answer is 200. Resident IDs and phone numbers appear in clear only for the roles
allowed to read them (institution clerks, area and city HR). The system and audit administrators
read no cases; only the audit administrator reads the audit log.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from jineng.accounts.models import Role
from jineng.classes.models import ClassState, Enrollment, TrainingClass
from jineng.classes.services import TeacherInput, class_create, class_set_teachers, class_transition
from jineng.classes.tests.test_api import class_payload, client_for, send
from jineng.ids import mask_ric
from jineng.registry.models import Person
from jineng.testing import Cast, class_input, enroll, person, unit, user

pytestmark = pytest.mark.django_db

CAST = ["alice", "bob", "dan1", "dan2", "erin", "hana1", "hana2", "carol", "city", "leader", "finance", "sam", "audrey"]
# alice's classes: her 禹州 school, led by 市工信局 (dan1/dan2), in 禹州 (hana1/hana2); the city sees all.
SEES_ALICES_CLASS = {"alice", "dan1", "dan2", "hana1", "hana2", "city", "leader"}
# 财政局 pays for approved classes city-wide: it sees a class once it is approved, not before.
SEES_ALICES_APPROVED_CLASS = SEES_ALICES_CLASS | {"finance"}
# bob's class: his 长葛 school, led by 市农业农村局 (erin), in 长葛 (carol).
SEES_BOBS_CLASS = {"bob", "erin", "carol", "city", "leader"}
CLEAR_IDS = {"alice", "bob", "hana1", "hana2", "carol", "city"}
READ_ENDPOINTS = ["", "/roster", "/findings", "/reviews", "/roster-template?format=csv"]


@dataclass
class Scene:
    alices: TrainingClass  # returned by dan1
    approved: TrainingClass  # approved by hana2
    bobs: TrainingClass  # a draft
    ids: list[str]
    phones: list[str]
    approved_ids: list[str]

    def readers(self) -> dict[int, set[str]]:
        return {
            self.alices.pk: SEES_ALICES_CLASS,
            self.approved.pk: SEES_ALICES_APPROVED_CLASS,
            self.bobs.pk: SEES_BOBS_CLASS,
        }


def _ready(people: Cast, trainees: int, *, first: int = 0) -> TrainingClass:
    cls = class_create(actor=people.alice, data=class_input())
    cls = class_set_teachers(
        cls=cls,
        actor=people.alice,
        expected_version=cls.version,
        teachers=[TeacherInput("张老师", True), TeacherInput("李老师", True)],
    )
    persons = [person(i) for i in range(first, first + trainees)]
    for i, p in enumerate(persons, start=first):
        Person.objects.filter(pk=p.pk).update(phone=f"1380000{i:04d}")
    enroll(cls, persons)
    return cls


def _act(cls: TrainingClass, actor: object, action: str, **kw: object) -> None:
    cls.refresh_from_db()
    class_transition(cls=cls, actor=actor, action=action, expected_version=cls.version, **kw)  # type: ignore[arg-type]


def _roster(cls: TrainingClass) -> list[Person]:
    return list(Person.objects.filter(enrollments__training_class=cls).order_by("enrollments__row"))


@pytest.fixture
def scene(people: Cast) -> Scene:
    """alice's class submitted, then returned by dan1 over a trainee's missing questionnaire (the
    step stores that trainee finding, and the reason names the trainee's resident ID); another of
    her classes approved (hana2's opinion names a resident ID); bob's class a draft."""
    alices = _ready(people, trainees=3)
    _act(alices, people.alice, "submit")
    Enrollment.objects.filter(training_class=alices, row=2).update(questionnaire=None)
    second = Enrollment.objects.select_related("person").get(training_class=alices, row=2).person
    _act(alices, people.dan1, "return", reasons=[f"学员 {second.id_number} 未做开班前问卷"])
    approved = _ready(people, trainees=3, first=100)
    approved_ids = [p.id_number for p in _roster(approved)]
    for actor, action in [
        (people.alice, "submit"),
        (people.dan1, "dept_first"),
        (people.dan2, "dept_second"),
        (people.hana1, "hr_first"),
    ]:
        _act(approved, actor, action, opinion="同意")
    _act(approved, people.hana2, "hr_second", opinion=f"同意；学员 {approved_ids[0]} 身份已核实")
    bobs = class_create(
        actor=people.bob,
        data=class_input(area_id=unit("area-changge").pk, lead_department_id=unit("dept-agri").pk),
    )
    persons = _roster(alices)
    return Scene(
        alices,
        approved,
        bobs,
        [p.id_number for p in persons],
        [p.phone for p in persons],
        approved_ids,
    )


@pytest.mark.parametrize("who", CAST)
def test_each_cast_member_reads_a_class_only_within_their_scope(people: Cast, scene: Scene, who: str) -> None:
    client = client_for(getattr(people, who))
    for pk, readers in scene.readers().items():
        for endpoint in READ_ENDPOINTS:
            response = client.get(f"/api/v1/classes/{pk}{endpoint}")
            if who in readers:
                assert response.status_code == 200, (who, pk, endpoint, response.content[:300])
            else:
                assert response.status_code == 404, (who, pk, endpoint)
                assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("who", CAST)
def test_each_cast_member_lists_only_the_classes_in_their_scope(people: Cast, scene: Scene, who: str) -> None:
    client = client_for(getattr(people, who))
    listed = send(client, "GET", "/classes").data
    expected = {pk for pk, readers in scene.readers().items() if who in readers}
    assert {c["id"] for c in listed["items"]} == expected and listed["count"] == len(expected)
    todo = {c["id"] for c in send(client, "GET", "/todo").data["items"]}
    assert todo <= expected


@pytest.mark.parametrize("who", ["sam", "audrey"])
def test_the_system_and_audit_administrators_see_no_classes_at_all(people: Cast, scene: Scene, who: str) -> None:
    client = client_for(getattr(people, who))
    assert send(client, "GET", "/classes").data == {"count": 0, "limit": 50, "offset": 0, "items": []}
    assert send(client, "GET", "/todo").data["count"] == 0
    assert send(client, "GET", f"/classes/{scene.approved.pk}").status_code == 404


@pytest.mark.parametrize("who", sorted(SEES_ALICES_CLASS))
def test_resident_ids_and_phones_are_in_clear_only_for_roles_allowed_to_read_them(
    people: Cast, scene: Scene, who: str
) -> None:
    client = client_for(getattr(people, who))
    clear = who in CLEAR_IDS
    roster = send(client, "GET", f"/classes/{scene.alices.pk}/roster").data["items"]
    assert [e["id_number"] for e in roster] == (scene.ids if clear else [mask_ric(n) for n in scene.ids])
    assert ([e["phone"] for e in roster] == scene.phones) is clear
    findings = send(client, "GET", f"/classes/{scene.alices.pk}/findings").data["findings"]
    survey = next(f for f in findings if f["rule"] == "CLS-SURVEY")
    assert survey["trainee"]["id_number"] == (scene.ids[1] if clear else mask_ric(scene.ids[1]))
    reviews = send(client, "GET", f"/classes/{scene.alices.pk}/reviews").data["items"]
    returned = reviews[-1]
    assert returned["action"] == "return" and any(f["rule"] == "CLS-SURVEY" for f in returned["findings"])
    assert (scene.ids[1] in returned["reasons"][0]) is clear
    if not clear:
        for endpoint in ["", "/roster", "/findings", "/reviews"]:
            body = client.get(f"/api/v1/classes/{scene.alices.pk}{endpoint}").content.decode()
            leaked = [n for n in scene.ids + scene.phones if n in body]
            assert not leaked, (who, endpoint, leaked)


@pytest.mark.parametrize("who", sorted(SEES_ALICES_APPROVED_CLASS))
def test_an_approved_class_shows_resident_ids_in_clear_only_to_roles_allowed_to_read_them(
    people: Cast, scene: Scene, who: str
) -> None:
    client = client_for(getattr(people, who))
    clear = who in CLEAR_IDS
    roster = send(client, "GET", f"/classes/{scene.approved.pk}/roster").data["items"]
    expected = scene.approved_ids if clear else [mask_ric(n) for n in scene.approved_ids]
    assert [e["id_number"] for e in roster] == expected
    last = send(client, "GET", f"/classes/{scene.approved.pk}/reviews").data["items"][-1]
    assert last["action"] == "hr_second" and (scene.approved_ids[0] in last["opinion"]) is clear
    if not clear:
        for endpoint in ["", "/roster", "/findings", "/reviews"]:
            body = client.get(f"/api/v1/classes/{scene.approved.pk}{endpoint}").content.decode()
            assert not [n for n in scene.approved_ids if n in body], (who, endpoint)


# Who may take 行业部门初审 on alice's submitted class: the two reviewers of 市工信局. Everyone else
# who can see the class is refused (403); everyone who cannot see it gets 404.
FIRST_SIGNERS = {"dan1", "dan2"}


@pytest.mark.parametrize("who", CAST)
def test_each_cast_member_may_sign_only_within_their_stage_and_scope(people: Cast, who: str) -> None:
    cls = _ready(people, trainees=3)
    _act(cls, people.alice, "submit")
    cls.refresh_from_db()
    response = send(
        client_for(getattr(people, who)),
        "POST",
        f"/classes/{cls.pk}/transitions",
        {"action": "dept_first", "version": cls.version, "opinion": "同意"},
    )
    if who in FIRST_SIGNERS:
        assert response.status_code == 201 and response.data["state"] == "dept_first"
    elif who in SEES_ALICES_CLASS:
        assert response.status_code == 403 and response.data["code"] == "not_permitted"
    else:
        assert response.status_code == 404 and response.data["code"] == "not_found"
    expected = ClassState.DEPT_FIRST if who in FIRST_SIGNERS else ClassState.SUBMITTED
    assert TrainingClass.objects.get(pk=cls.pk).state == expected


@pytest.mark.parametrize("who", [name for name in CAST if name not in SEES_ALICES_CLASS])
def test_writes_to_a_class_out_of_scope_are_404_and_change_nothing(people: Cast, scene: Scene, who: str) -> None:
    # In scope, refusals are the services' own (403/409/422: see classes/tests/test_api.py).
    client = client_for(getattr(people, who))
    pk, version = scene.alices.pk, TrainingClass.objects.get(pk=scene.alices.pk).version
    enrollment = Enrollment.objects.filter(training_class=scene.alices).first()
    assert enrollment is not None
    attempts = [
        send(client, "PUT", f"/classes/{pk}", {**class_payload(occupation_id=people.lathe.pk), "version": version}),
        send(client, "PUT", f"/classes/{pk}/teachers", {"version": version, "teachers": []}),
        send(client, "DELETE", f"/classes/{pk}/roster/{enrollment.pk}?version={version}"),
        client.post(
            f"/api/v1/classes/{pk}/roster", {"version": str(version), "file": SimpleUploadedFile("a.csv", b"x")}
        ),
        send(client, "POST", f"/classes/{pk}/transitions", {"action": "submit", "version": version}),
    ]
    assert [r.status_code for r in attempts] == [404] * 5
    assert TrainingClass.objects.get(pk=pk).version == version


@pytest.mark.parametrize("who", [*CAST, "worker"])
def test_only_the_audit_administrator_reads_the_audit_log(people: Cast, scene: Scene, who: str) -> None:
    reader = user("w1", Role.WORKER) if who == "worker" else getattr(people, who)
    response = send(client_for(reader), "GET", "/audit-events")
    if who == "audrey":
        assert response.status_code == 200 and response.data["count"] > 0
    else:
        assert response.status_code == 403 and response.data["code"] == "not_permitted"


def test_a_worker_sees_the_class_they_are_enrolled_in_and_only_their_own_roster_entry(
    people: Cast, scene: Scene
) -> None:
    own = Person.objects.by_id_number(scene.ids[0]).get()
    worker = user("w1", Role.WORKER)
    worker.person = own
    worker.save()
    client = client_for(worker)
    assert {c["id"] for c in send(client, "GET", "/classes").data["items"]} == {scene.alices.pk}
    roster = send(client, "GET", f"/classes/{scene.alices.pk}/roster").data
    assert roster["count"] == 1 and roster["items"][0]["id_number"] == mask_ric(own.id_number)
    findings = send(client, "GET", f"/classes/{scene.alices.pk}/findings").data["findings"]
    assert not any(f["subject"].startswith("trainee:") for f in findings)  # the finding is another trainee's
    assert send(client, "GET", f"/classes/{scene.bobs.pk}").status_code == 404
    assert Client().get(f"/api/v1/classes/{scene.alices.pk}").status_code == 401


def test_the_audit_administrator_filters_the_log_by_event_object_actor_and_date(people: Cast, scene: Scene) -> None:
    client = client_for(people.audrey)
    pk = str(scene.alices.pk)
    by_object = send(client, "GET", f"/audit-events?object_type=classes.trainingclass&object_id={pk}").data
    events = [e["event"] for e in by_object["items"]]
    assert events == ["class.return", "class.submit", "class.teachers", "class.create"]  # newest first
    assert by_object["items"][0]["actor_username"] == "dan1" and by_object["items"][0]["actor_role_label"]
    assert send(client, "GET", "/audit-events?event=class.ret").data["count"] == 1
    assert send(client, "GET", "/audit-events?actor=bob").data["count"] == 1
    today = timezone.localdate()
    assert send(client, "GET", f"/audit-events?date_from={today}&date_to={today}").data["count"] > 0
    tomorrow = today + dt.timedelta(days=1)
    assert send(client, "GET", f"/audit-events?date_from={tomorrow}").data["count"] == 0
    backwards = send(client, "GET", f"/audit-events?date_from={tomorrow}&date_to={today}")
    assert backwards.status_code == 422 and backwards.data["fields"][0]["path"] == "date_to"
    page = send(client, "GET", "/audit-events?limit=2&offset=1").data
    assert len(page["items"]) == 2 and page["count"] > 3
    # The reason naming a resident ID was masked when it was written.
    assert all(number not in json.dumps(by_object, ensure_ascii=False) for number in scene.ids)
