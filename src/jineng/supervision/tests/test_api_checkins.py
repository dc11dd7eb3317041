"""The check-in endpoints: a device pushes with its own key, a clerk imports the institution's
offline records, and a class's check-ins are read within the reader's scope, IDs masked."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from jineng.accounts.models import Role, User
from jineng.audit.models import AuditEvent
from jineng.ids import mask_ric
from jineng.supervision.devices import device_key_issue, device_key_revoke
from jineng.supervision.models import CheckIn, CheckInBatch
from jineng.testing import Cast, unit, user

from .checkin_builders import Scene, csv_of, event, jsonl_of, paths, scene

pytestmark = pytest.mark.django_db
API = "/api/v1"


@pytest.fixture
def s(people: Cast) -> Scene:
    return scene(people)


@pytest.fixture
def security() -> User:
    return user("sec", Role.SECURITY_ADMIN, org=unit("city"))


def device_client(secret: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {secret}"})


def push(client: Client, events: Any) -> Any:
    return client.post(f"{API}/checkins", {"events": events}, content_type="application/json")


def signed_in(account: User) -> Client:
    client = Client()
    client.force_login(account)
    return client


def upload(client: Client, content: bytes, name: str = "offline.csv") -> Any:
    return client.post(f"{API}/checkins/import", {"file": SimpleUploadedFile(name, content)})


# ── push ───────────────────────────────────────────────────────────────────────────────────


def test_a_device_pushes_with_its_own_key_and_a_re_push_is_counted_as_duplicates(s: Scene, security: User) -> None:
    _, secret = device_key_issue(device=s.device, actor=security)
    events = [{k: v for k, v in event(s, n).items() if k != "device"} for n in range(3)]
    first = push(device_client(secret), events)
    assert first.status_code == 200
    body = first.json()
    assert body == {"batch": body["batch"], "rows": 3, "inserted": 3, "duplicates": 0}
    again = push(device_client(secret), events).json()
    assert (again["inserted"], again["duplicates"]) == (0, 3) and CheckIn.objects.count() == 3


def test_a_push_without_a_good_key_is_401(s: Scene, security: User) -> None:
    events = [event(s, 0)]
    assert push(Client(), events).status_code == 401
    assert push(device_client("not-a-key"), events).status_code == 401
    key, secret = device_key_issue(device=s.device, actor=security)
    device_key_revoke(key=key, actor=security)
    refused = push(device_client(secret), events)
    assert refused.status_code == 401 and refused.json()["code"] == "unauthenticated"
    assert not CheckIn.objects.exists()


def test_a_user_token_or_session_is_not_a_device_key(s: Scene) -> None:
    from jineng.accounts.services import token_issue

    _, token = token_issue(user=s.people.alice, actor=s.people.alice, name="教务系统")
    assert push(device_client(token), [event(s, 0)]).status_code == 401
    assert push(signed_in(s.people.alice), [event(s, 0)]).status_code == 401


def test_an_inactive_devices_key_is_refused_at_the_door(s: Scene, security: User) -> None:
    _, secret = device_key_issue(device=s.device, actor=security)
    s.device.active = False
    s.device.save()
    refused = push(device_client(secret), [event(s, 0)])
    assert refused.status_code == 401 and "已停用" in refused.json()["message"]


def test_a_device_may_not_push_for_another_device_or_another_institutions_class(s: Scene, security: User) -> None:
    # Wrong scope for a device: bob's device named in the event, bob's class on alice's device.
    _, secret = device_key_issue(device=s.device, actor=security)
    events = [
        event(s, 0, device=s.other_device.serial),
        event(s, 1, **{"class": s.other.code, "id_number": s.others[0].id_number}),
    ]
    refused = push(device_client(secret), events)
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_checkins"
    assert paths(refused.json()["fields"]) == ["第1行 设备编号", "第2行 班级编号"]
    assert not CheckInBatch.objects.exists()


def test_a_bad_push_names_every_bad_field_and_stores_nothing(s: Scene, security: User) -> None:
    _, secret = device_key_issue(device=s.device, actor=security)
    refused = push(device_client(secret), [event(s, 0, time="2023-05-08 09:00"), event(s, 1, score=7, liveness="yes")])
    assert refused.status_code == 422
    assert paths(refused.json()["fields"]) == ["第1行 签到时间", "第2行 比对分值", "第2行 活体检测"]
    assert "未导入任何一条" in refused.json()["message"] and not CheckIn.objects.exists()


def test_a_push_body_that_is_not_json_is_422(s: Scene, security: User) -> None:
    _, secret = device_key_issue(device=s.device, actor=security)
    response = device_client(secret).post(f"{API}/checkins", b"events=1", content_type="text/plain")
    assert response.status_code == 422 and response.json()["fields"][0]["path"] == "请求体"


# ── import ─────────────────────────────────────────────────────────────────────────────────


def test_a_clerk_imports_the_institutions_offline_csv(s: Scene) -> None:
    response = upload(signed_in(s.people.alice), csv_of([event(s, n) for n in range(4)]))
    assert response.status_code == 200
    assert {k: v for k, v in response.json().items() if k != "batch"} == {"rows": 4, "inserted": 4, "duplicates": 0}
    batch = CheckInBatch.objects.get(pk=response.json()["batch"])
    assert batch.filename == "offline.csv" and batch.uploaded_by == s.people.alice


def test_a_clerks_api_token_imports_too(s: Scene) -> None:
    from jineng.accounts.services import token_issue

    _, token = token_issue(user=s.people.alice, actor=s.people.alice, name="教务系统")
    client = Client(headers={"Authorization": f"Bearer {token}"})
    assert upload(client, jsonl_of([event(s, 0)]), "offline.jsonl").status_code == 200


def test_another_institutions_clerk_may_not_import_its_devices_records(s: Scene) -> None:
    # Wrong scope: bob uploads alice's device's records (alice's class, alice's trainees).
    response = upload(signed_in(s.people.bob), csv_of([event(s, 0), event(s, 1)]))
    assert response.status_code == 422
    fields = response.json()["fields"]
    assert paths(fields) == ["第1行 设备编号", "第2行 设备编号"] and "不属于本机构" in fields[0]["message"]
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("who", ["hana1", "city", "dan1", "sam", "audrey", "leader"])
def test_nobody_but_an_institution_clerk_imports(s: Scene, who: str) -> None:
    response = upload(signed_in(getattr(s.people, who)), csv_of([event(s, 0)]))
    assert response.status_code == 403 and response.json()["code"] == "not_permitted"
    assert not CheckInBatch.objects.exists()


def test_an_anonymous_import_is_401(s: Scene) -> None:
    assert upload(Client(), csv_of([event(s, 0)])).status_code == 401


def test_an_import_without_a_file_is_422(s: Scene) -> None:
    assert signed_in(s.people.alice).post(f"{API}/checkins/import", {}).status_code == 422


# ── reading a class's check-ins ────────────────────────────────────────────────────────────


def _stored(s: Scene) -> None:
    upload(signed_in(s.people.alice), csv_of([event(s, n) for n in range(5)]))


@pytest.mark.parametrize("who", ["alice", "hana1", "dan1", "city", "leader"])
def test_readers_in_scope_see_the_check_ins_with_ids_masked(s: Scene, who: str) -> None:
    _stored(s)
    response = signed_in(getattr(s.people, who)).get(f"{API}/classes/{s.cls.pk}/checkins?limit=2&offset=1")
    assert response.status_code == 200
    page = response.json()
    assert (page["count"], page["limit"], page["offset"], len(page["items"])) == (5, 2, 1, 2)
    item = page["items"][0]
    assert item["device_event_id"] == "E00001" and item["device"] == "YZ-FACE-01"
    assert item["id_number"] == mask_ric(s.trainees[1].id_number) != s.trainees[1].id_number
    assert not any(t.id_number in response.content.decode() for t in s.trainees)


@pytest.mark.parametrize("who", ["bob", "carol", "erin", "sam", "audrey"])
def test_readers_out_of_scope_get_404(s: Scene, who: str) -> None:
    _stored(s)
    response = signed_in(getattr(s.people, who)).get(f"{API}/classes/{s.cls.pk}/checkins")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_a_trainee_sees_only_their_own_check_ins(s: Scene) -> None:
    _stored(s)
    worker = user("trainee1", Role.WORKER)
    User.objects.filter(pk=worker.pk).update(person=s.trainees[1])
    worker.refresh_from_db()
    page = signed_in(worker).get(f"{API}/classes/{s.cls.pk}/checkins").json()
    assert [i["device_event_id"] for i in page["items"]] == ["E00001", "E00004"] and page["count"] == 2


def test_check_ins_can_be_read_by_beijing_day(s: Scene) -> None:
    rows = [event(s, 0, time="2023-05-08T23:30:00+08:00"), event(s, 1, time="2023-05-09T00:30:00+08:00")]
    upload(signed_in(s.people.alice), csv_of(rows))
    client = signed_in(s.people.alice)
    eighth = client.get(f"{API}/classes/{s.cls.pk}/checkins?day=2023-05-08").json()
    ninth = client.get(f"{API}/classes/{s.cls.pk}/checkins?day=2023-05-09").json()
    assert [i["device_event_id"] for i in eighth["items"]] == ["E00000"]
    assert [i["device_event_id"] for i in ninth["items"]] == ["E00001"]


def test_an_anonymous_read_is_401(s: Scene) -> None:
    assert Client().get(f"{API}/classes/{s.cls.pk}/checkins").status_code == 401


def test_audit_rows_of_pushes_and_imports_carry_counts_only(s: Scene, security: User) -> None:
    _stored(s)
    _, secret = device_key_issue(device=s.device, actor=security)
    push(device_client(secret), [event(s, 7)])
    events = AuditEvent.objects.filter(event__in=["checkin.import", "checkin.push"]).order_by("id")
    assert [e.event for e in events] == ["checkin.import", "checkin.push"]
    text = " ".join(str(e.changes) + e.note + e.object_repr for e in events)
    assert not any(t.id_number in text for t in s.trainees)
    assert events[1].changes["inserted"] == [None, 1] and events[1].at <= timezone.now()


def test_the_openapi_document_describes_the_check_in_endpoints() -> None:
    schema = Client().get(f"{API}/openapi.json").json()
    assert {f"{API}/checkins", f"{API}/checkins/import", f"{API}/classes/{{class_id}}/checkins"} <= set(schema["paths"])
    assert "DeviceAuth" in schema["components"]["securitySchemes"]
    push_body = schema["paths"][f"{API}/checkins"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(push_body["properties"]["events"]["items"]["required"]) == {
        "event_id",
        "class",
        "id_number",
        "time",
        "score",
        "liveness",
    }
