"""The class API (/api/v1/classes…): the same services, scope and rules as the UI, as JSON.

The cast (jineng.testing.Cast): alice clerks for a 禹州 school; dan1/dan2 review for 市工信局,
which leads alice's classes; hana1/hana2 are 禹州 HR; bob clerks for a 长葛 school.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import Workbook

from jineng.accounts.models import User
from jineng.accounts.services import token_issue, token_revoke
from jineng.audit.models import AuditEvent
from jineng.classes.models import ClassState, Enrollment, TrainingClass
from jineng.classes.services import class_create
from jineng.ids import mask_phone, mask_ric
from jineng.registry.models import Person
from jineng.testing import Cast, class_input, enroll, make_ric, person, unit

pytestmark = pytest.mark.django_db

API = "/api/v1"
HEADERS = ["姓名", "身份证号", "手机号", "人员类别", "培训意愿", "就业意愿", "就业能力"]


# ── helpers (the scope matrix test uses them too) ─────────────────────────────────────────────


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def token_client(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def send(client: Client, method: str, path: str, body: Any = None) -> Any:
    """A JSON request; returns the response (its JSON as `.data`)."""
    call = getattr(client, method.lower())
    response = call(API + path) if body is None else call(API + path, body, content_type="application/json")
    response.data = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else None
    return response


def class_payload(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "2023年禹州市车工（四级）就业技能培训班",
        "occupation_id": None,
        "training_type": "employment",
        "certificate": "skill_level",
        "lead_department_id": unit("dept-mii").pk,
        "area_id": unit("area-yuzhou").pk,
        "start": "2023-05-08",
        "end": "2023-05-26",
        "level": 4,
        "minutes_per_hour": 45,
        "hours_theory": 24,
        "hours_practical": 56,
        "workstations": 20,
    }
    values.update(overrides)
    return values


def roster_ids(n: int, *, first: int = 0) -> list[str]:
    return [make_ric("411081", dt.date(1995, 1, 1) + dt.timedelta(days=i), i) for i in range(first, first + n)]


def roster_xlsx(rows: list[dict[str, object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    for values in rows:
        base: dict[str, object] = {"人员类别": "失业人员", "培训意愿": "是", "就业意愿": "是", "就业能力": "是"}
        base.update(values)
        sheet.append([base.get(h, "") for h in HEADERS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def good_roster(n: int = 40) -> bytes:
    return roster_xlsx(
        [{"姓名": f"学员{i}", "身份证号": number, "手机号": f"139{i:08d}"} for i, number in enumerate(roster_ids(n))]
    )


def _upload_file(content: bytes, name: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def upload_roster(client: Client, class_id: int, content: bytes, version: int, name: str = "花名册.xlsx") -> Any:
    response: Any = client.post(
        f"{API}/classes/{class_id}/roster", {"file": _upload_file(content, name), "version": str(version)}
    )
    response.data = response.json()
    return response


def act(client: Client, class_id: int, action: str, version: int, **extra: Any) -> Any:
    body = {"action": action, "version": version, "opinion": extra.pop("opinion", "同意"), **extra}
    return send(client, "POST", f"/classes/{class_id}/transitions", body)


def api_ready_class(people: Cast, trainees: int = 40) -> dict[str, Any]:
    """A draft class built entirely through the API: created, teachers set, roster imported."""
    alice = client_for(people.alice)
    created = send(alice, "POST", "/classes", class_payload(occupation_id=people.lathe.pk))
    assert created.status_code == 201, created.data
    cls = created.data
    teachers = {
        "version": cls["version"],
        "teachers": [{"name": "张老师", "certified": True}, {"name": "李老师", "certified": True}],
    }
    cls = send(alice, "PUT", f"/classes/{cls['id']}/teachers", teachers).data
    response = upload_roster(alice, cls["id"], good_roster(trainees), cls["version"])
    assert response.status_code == 200, response.data
    return dict(response.data)


# ── creating and editing ──────────────────────────────────────────────────────────────────────


def test_a_clerk_creates_a_draft_and_reads_it_back_with_version_and_actions(people: Cast) -> None:
    alice = client_for(people.alice)
    response = send(alice, "POST", "/classes", class_payload(occupation_id=people.lathe.pk))
    assert response.status_code == 201
    cls = response.data
    assert cls["code"].startswith("XC2023") and cls["state"] == "draft" and cls["state_label"] == "草稿"
    assert cls["version"] == 1 and cls["institution"]["id"] == people.yuzhou_school.pk
    assert cls["editable"] is True and [a["action"] for a in cls["actions"]] == ["submit"]
    assert cls["teachers"] == [] and cls["trainee_count"] == 0 and cls["deadline_due"] is None
    again = send(alice, "GET", f"/classes/{cls['id']}")
    assert again.status_code == 200 and again.data == cls


def test_editing_needs_the_version_read_and_a_stale_one_is_409_with_the_current_version(people: Cast) -> None:
    alice = client_for(people.alice)
    cls = send(alice, "POST", "/classes", class_payload(occupation_id=people.lathe.pk)).data
    edited = send(
        alice,
        "PUT",
        f"/classes/{cls['id']}",
        {**class_payload(occupation_id=people.lathe.pk, name="改名班"), "version": 1},
    )
    assert edited.status_code == 200 and edited.data["name"] == "改名班" and edited.data["version"] == 2
    stale = send(
        alice,
        "PUT",
        f"/classes/{cls['id']}",
        {**class_payload(occupation_id=people.lathe.pk, name="又改"), "version": 1},
    )
    assert stale.status_code == 409
    assert stale.data["code"] == "stale_version" and stale.data["current_version"] == 2
    assert "版本" in stale.data["message"]
    missing = send(alice, "PUT", f"/classes/{cls['id']}", class_payload(occupation_id=people.lathe.pk))
    assert missing.status_code == 422 and any(f["path"].endswith("version") for f in missing.data["fields"])
    assert TrainingClass.objects.get(pk=cls["id"]).name == "改名班"


def test_bad_input_is_422_naming_every_field_at_fault(people: Cast) -> None:
    alice = client_for(people.alice)
    # Shapes the schema refuses: all named at once.
    response = send(
        alice,
        "POST",
        "/classes",
        class_payload(occupation_id=people.lathe.pk, training_type="cooking", hours_theory=-1, start="2023-13-01"),
    )
    assert response.status_code == 422 and response.data["code"] == "invalid_request"
    paths = {f["path"].rsplit(".", 1)[-1] for f in response.data["fields"]}
    assert {"training_type", "hours_theory", "start"} <= paths
    # Values the service refuses: all named at once, in Chinese.
    response = send(
        alice,
        "POST",
        "/classes",
        class_payload(
            occupation_id=people.lathe.pk,
            name=" ",
            end="2023-05-01",
            lead_department_id=unit("area-yuzhou").pk,
            enterprise_uscc="123",
        ),
    )
    assert response.status_code == 422 and response.data["code"] == "invalid_input"
    assert [f["path"] for f in response.data["fields"]] == ["name", "end", "lead_department_id", "enterprise_uscc"]
    assert response.data["message"] == "开班申请有 4 处错误"
    assert not TrainingClass.objects.exists()


def test_only_an_institution_clerk_may_apply(people: Cast) -> None:
    response = send(client_for(people.dan1), "POST", "/classes", class_payload(occupation_id=people.lathe.pk))
    assert response.status_code == 403 and response.data["code"] == "not_permitted"


def test_a_reviewer_in_scope_cannot_edit_and_a_clerk_out_of_scope_gets_404(people: Cast) -> None:
    cls = class_create(actor=people.alice, data=class_input())
    body = {**class_payload(occupation_id=people.lathe.pk), "version": cls.version}
    assert send(client_for(people.dan1), "PUT", f"/classes/{cls.pk}", body).status_code == 403
    refused = send(client_for(people.bob), "PUT", f"/classes/{cls.pk}", body)
    assert refused.status_code == 404 and refused.data["code"] == "not_found"


def test_teachers_are_replaced_as_a_list_and_a_blank_name_is_named(people: Cast) -> None:
    alice = client_for(people.alice)
    cls = send(alice, "POST", "/classes", class_payload(occupation_id=people.lathe.pk)).data
    body: dict[str, Any] = {
        "version": 1,
        "teachers": [{"name": "张老师", "certified": True, "certificate_no": "T-1"}, {"name": " "}],
    }
    refused = send(alice, "PUT", f"/classes/{cls['id']}/teachers", body)
    assert refused.status_code == 422 and [f["path"] for f in refused.data["fields"]] == ["teachers[1].name"]
    body["teachers"] = body["teachers"][:1]
    done = send(alice, "PUT", f"/classes/{cls['id']}/teachers", body)
    assert done.status_code == 200 and done.data["version"] == 2
    assert done.data["teachers"] == [{"name": "张老师", "certified": True, "certificate_no": "T-1"}]


# ── roster ────────────────────────────────────────────────────────────────────────────────────


def test_a_good_roster_file_is_imported_and_listed_page_by_page(people: Cast) -> None:
    cls = api_ready_class(people, trainees=5)
    assert cls["trainee_count"] == 5 and cls["version"] == 3
    alice = client_for(people.alice)
    page = send(alice, "GET", f"/classes/{cls['id']}/roster?limit=2&offset=2").data
    assert page["count"] == 5 and page["limit"] == 2 and page["offset"] == 2
    assert [e["row"] for e in page["items"]] == [3, 4]
    first = page["items"][0]
    assert first["id_number"] == roster_ids(5)[2] and first["phone"] == "13900000002"
    assert first["category"] == "unemployed" and first["category_label"] == "失业人员"


def test_roster_ids_and_phones_are_masked_for_a_department_reviewer(people: Cast) -> None:
    cls = api_ready_class(people, trainees=3)
    response = send(client_for(people.dan1), "GET", f"/classes/{cls['id']}/roster")
    items = response.data["items"]
    assert [e["id_number"] for e in items] == [mask_ric(n) for n in roster_ids(3)]
    assert items[0]["phone"] == mask_phone("13900000000")
    for number in roster_ids(3):
        assert number not in response.content.decode()


def test_a_bad_roster_file_is_422_with_every_bad_row_and_imports_nothing(people: Cast) -> None:
    alice = client_for(people.alice)
    cls = send(alice, "POST", "/classes", class_payload(occupation_id=people.lathe.pk)).data
    first, second = roster_ids(2)
    content = roster_xlsx(
        [
            {"姓名": "甲", "身份证号": first},
            {"姓名": "", "身份证号": second, "人员类别": "宇航员"},
            {"姓名": "丙", "身份证号": first},
        ]
    )
    response = upload_roster(alice, cls["id"], content, cls["version"])
    assert response.status_code == 422 and response.data["code"] == "invalid_roster"
    assert [f["path"] for f in response.data["fields"]] == ["第3行 姓名", "第3行 人员类别", "第4行 身份证号"]
    assert "未导入任何一行" in response.data["message"]
    assert not Enrollment.objects.exists() and not Person.objects.filter(accounts=None).exists()


def test_a_roster_upload_without_a_file_or_version_names_both(people: Cast) -> None:
    alice = client_for(people.alice)
    cls = send(alice, "POST", "/classes", class_payload(occupation_id=people.lathe.pk)).data
    response = alice.post(f"{API}/classes/{cls['id']}/roster", {})
    assert response.status_code == 422
    paths = {f["path"].rsplit(".", 1)[-1] for f in response.json()["fields"]}
    assert {"file", "version"} <= paths


def test_removing_a_trainee_needs_the_version_and_bumps_it(people: Cast) -> None:
    cls = api_ready_class(people, trainees=3)
    alice = client_for(people.alice)
    enrollment = Enrollment.objects.filter(training_class_id=cls["id"]).order_by("row").first()
    assert enrollment is not None
    path = f"/classes/{cls['id']}/roster/{enrollment.pk}"
    assert send(alice, "DELETE", f"{path}?version=1").status_code == 409
    done = send(alice, "DELETE", f"{path}?version={cls['version']}")
    assert done.status_code == 200 and done.data["trainee_count"] == 2 and done.data["version"] == cls["version"] + 1
    assert send(alice, "DELETE", f"{path}?version={cls['version'] + 1}").status_code == 422


@pytest.mark.parametrize(("fmt", "content_type"), [("xlsx", "spreadsheetml"), ("csv", "text/csv")])
def test_the_roster_template_downloads_in_either_format(people: Cast, fmt: str, content_type: str) -> None:
    cls = class_create(actor=people.alice, data=class_input())
    response = client_for(people.alice).get(f"{API}/classes/{cls.pk}/roster-template?format={fmt}")
    assert response.status_code == 200 and content_type in response.headers["Content-Type"]
    assert "attachment" in response.headers["Content-Disposition"] and response.content
    assert client_for(people.alice).get(f"{API}/classes/{cls.pk}/roster-template?format=pdf").status_code == 422


# ── findings and the review path ──────────────────────────────────────────────────────────────


def test_findings_name_each_failing_rule_with_its_clause_and_the_trainee_row(people: Cast) -> None:
    cls = api_ready_class(people, trainees=3)
    Enrollment.objects.filter(training_class_id=cls["id"], row=2).update(questionnaire=None)
    for reader, clear in [(people.alice, True), (people.dan1, False)]:
        response = send(client_for(reader), "GET", f"/classes/{cls['id']}/findings")
        assert response.status_code == 200
        body = response.data
        assert body["decision"] == "block" and body["policy"] == "xuchang-2023" and body["version"] == cls["version"]
        survey = next(f for f in body["findings"] if f["rule"] == "CLS-SURVEY")
        number = roster_ids(3)[1]
        assert survey["outcome"] == "block" and survey["outcome_label"] == "阻断" and survey["clause"]
        assert survey["trainee"] == {"row": 2, "name": "学员1", "id_number": number if clear else mask_ric(number)}
        assert survey["subject"] == f"trainee:{number if clear else mask_ric(number)}"
        assert (number in response.content.decode()) is clear


def test_an_incomplete_class_reports_why_it_could_not_be_checked(people: Cast) -> None:
    alice = client_for(people.alice)
    cls = send(alice, "POST", "/classes", class_payload(occupation_id=people.lathe.pk)).data
    body = send(alice, "GET", f"/classes/{cls['id']}/findings").data
    assert body["decision"] == "block"
    assert body["invalid"] or any(f["rule"] == "CLS-IN-SYSTEM" for f in body["findings"])


def test_the_whole_review_path_through_the_api_with_two_signers_per_stage(people: Cast) -> None:
    cls = api_ready_class(people)
    class_id, version = cls["id"], cls["version"]
    findings = send(client_for(people.alice), "GET", f"/classes/{class_id}/findings").data
    assert findings["decision"] == "approve" and findings["blocks"] == 0
    path = [
        (people.alice, "submit", "submitted"),
        (people.dan1, "dept_first", "dept_first"),
        (people.dan2, "dept_second", "dept_approved"),
        (people.hana1, "hr_first", "hr_first"),
        (people.hana2, "hr_second", "approved"),
    ]
    for actor, action, state in path:
        client = client_for(actor)
        detail = send(client, "GET", f"/classes/{class_id}").data
        assert action in [a["action"] for a in detail["actions"]], (actor.username, detail["actions"])
        response = act(client, class_id, action, version)
        assert response.status_code == 201, response.data
        assert response.data["state"] == state and response.data["version"] == version + 1
        step = response.data["step"]
        assert step["action"] == action and step["actor"]["name"] == actor.display_name
        assert step["decision"] == "approve" and step["class_version"] == version
        version += 1
        pending = send(client, "GET", f"/classes/{class_id}").data["deadline_due"]
        assert (pending is None) == (state == "approved")
    reviews = send(client_for(people.city), "GET", f"/classes/{class_id}/reviews").data
    assert reviews["count"] == 5
    assert [(s["action"], s["to_state_label"]) for s in reviews["items"]][-1] == ("hr_second", "已批准开班")
    assert TrainingClass.objects.get(pk=class_id).state == ClassState.APPROVED
    # Approving again is refused: the class is no longer waiting for that step.
    again = act(client_for(people.city), class_id, "hr_second", version)
    assert again.status_code == 409 and again.data["code"] == "invalid_transition"
    assert again.data["state"] == "approved"


def test_a_pending_class_shows_its_deadline_and_sits_on_the_reviewers_todo(people: Cast) -> None:
    cls = api_ready_class(people)
    assert act(client_for(people.alice), cls["id"], "submit", cls["version"]).status_code == 201
    todo = send(client_for(people.dan1), "GET", "/todo").data
    assert [c["id"] for c in todo["items"]] == [cls["id"]] and todo["count"] == 1
    assert todo["items"][0]["deadline_due"] is not None and todo["items"][0]["trainee_count"] == 40
    assert send(client_for(people.hana1), "GET", "/todo").data["count"] == 0
    assert send(client_for(people.alice), "GET", "/todo").data["count"] == 0


def test_the_first_signer_of_a_stage_is_refused_as_second_signer_with_the_rule_named(people: Cast) -> None:
    cls = api_ready_class(people)
    version = cls["version"]
    assert act(client_for(people.alice), cls["id"], "submit", version).status_code == 201
    assert act(client_for(people.dan1), cls["id"], "dept_first", version + 1).status_code == 201
    detail = send(client_for(people.dan1), "GET", f"/classes/{cls['id']}").data
    assert "dept_second" not in [a["action"] for a in detail["actions"]]
    refused = act(client_for(people.dan1), cls["id"], "dept_second", version + 2)
    assert refused.status_code == 403
    assert refused.data["code"] == "not_permitted" and refused.data["rule"] == "SUB-TWO-PERSON"
    assert refused.data["finding"]["rule"] == "SUB-TWO-PERSON" and "不同人员" in refused.data["message"]


def test_a_blocked_submission_is_409_with_the_blocking_findings(people: Cast) -> None:
    cls = api_ready_class(people, trainees=3)
    Enrollment.objects.filter(training_class_id=cls["id"], row=1).update(questionnaire=None)
    refused = act(client_for(people.alice), cls["id"], "submit", cls["version"])
    assert refused.status_code == 409 and refused.data["code"] == "rule_blocked"
    assert [f["rule"] for f in refused.data["findings"]] == ["CLS-SURVEY"]
    assert refused.data["fields"][0]["path"] == "CLS-SURVEY"
    assert TrainingClass.objects.get(pk=cls["id"]).state == ClassState.DRAFT


def test_returning_needs_reasons_and_an_unknown_action_is_named(people: Cast) -> None:
    cls = api_ready_class(people, trainees=3)
    assert act(client_for(people.alice), cls["id"], "submit", cls["version"]).status_code == 201
    dan1 = client_for(people.dan1)
    refused = act(dan1, cls["id"], "return", cls["version"] + 1, reasons=[" "])
    assert refused.status_code == 422 and refused.data["fields"][0]["path"] == "reasons"
    unknown = act(dan1, cls["id"], "approve_all", cls["version"] + 1)
    assert unknown.status_code == 422 and unknown.data["fields"][0]["path"].endswith("action")
    done = act(dan1, cls["id"], "return", cls["version"] + 1, reasons=["师资证书不全"])
    assert done.status_code == 201 and done.data["state"] == "returned"
    assert done.data["step"]["reasons"] == ["师资证书不全"]


def test_reasons_naming_a_resident_id_are_masked_for_readers_without_clear_id_rights(people: Cast) -> None:
    cls = api_ready_class(people, trainees=3)
    number = roster_ids(3)[0]
    assert act(client_for(people.alice), cls["id"], "submit", cls["version"]).status_code == 201
    reason = f"学员 {number} 身份待核实"
    assert act(client_for(people.dan1), cls["id"], "return", cls["version"] + 1, reasons=[reason]).status_code == 201
    masked = send(client_for(people.dan2), "GET", f"/classes/{cls['id']}/reviews").data
    assert masked["items"][-1]["reasons"] == [f"学员 {mask_ric(number)} 身份待核实"]
    clear = send(client_for(people.hana1), "GET", f"/classes/{cls['id']}/reviews").data
    assert clear["items"][-1]["reasons"] == [reason]


# ── lists ─────────────────────────────────────────────────────────────────────────────────────


def test_the_class_list_filters_and_pages_with_a_total(people: Cast) -> None:
    for i in range(3):
        class_create(actor=people.alice, data=class_input(name=f"车工班{i}"))
    class_create(
        actor=people.alice, data=class_input(name="另一个", start=dt.date(2023, 6, 5), end=dt.date(2023, 6, 30))
    )
    alice = client_for(people.alice)
    page = send(alice, "GET", "/classes?limit=2").data
    assert page["count"] == 4 and len(page["items"]) == 2 and page["limit"] == 2
    assert send(alice, "GET", "/classes?q=车工班").data["count"] == 3
    assert send(alice, "GET", "/classes?state=draft&occupation=6-18-01-01&year=2023").data["count"] == 4
    assert send(alice, "GET", "/classes?state=approved").data["count"] == 0
    assert send(alice, "GET", f"/classes?area={unit('area-changge').pk}").data["count"] == 0
    assert send(alice, "GET", "/classes?limit=201").status_code == 422
    assert send(alice, "GET", "/classes?state=nonsense").status_code == 422


def test_listing_thirty_classes_takes_a_fixed_number_of_queries(
    people: Cast, django_assert_max_num_queries: Any
) -> None:
    for i in range(30):
        cls = class_create(actor=people.alice, data=class_input(name=f"班{i}"))
        enroll(cls, [person(i * 3 + k) for k in range(3)])
    client = client_for(people.city)
    with django_assert_max_num_queries(6):
        response = send(client, "GET", "/classes?limit=200")
    assert response.data["count"] == 30 and {c["trainee_count"] for c in response.data["items"]} == {3}


# ── authentication ────────────────────────────────────────────────────────────────────────────


def test_a_session_post_without_a_csrf_token_is_refused(people: Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.alice)
    body = class_payload(occupation_id=people.lathe.pk)
    refused = client.post(f"{API}/classes", body, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    assert not TrainingClass.objects.exists()
    client.cookies["csrftoken"] = "a" * 32
    allowed = client.post(f"{API}/classes", body, content_type="application/json", headers={"X-CSRFToken": "a" * 32})
    assert allowed.status_code == 201
    assert client.get(f"{API}/classes").status_code == 200  # reads need no token


def test_without_a_session_or_token_the_api_answers_401(people: Cast) -> None:
    response = Client().get(f"{API}/classes")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


def test_an_institution_system_uses_a_token_and_sees_only_its_own_classes(people: Cast) -> None:
    mine = class_create(actor=people.alice, data=class_input())
    class_create(actor=people.bob, data=class_input(area_id=unit("area-changge").pk))
    _, token = token_issue(user=people.alice, actor=people.alice, name="机构教务系统")
    system = token_client(token)
    listed = send(system, "GET", "/classes").data
    assert [c["id"] for c in listed["items"]] == [mine.pk]
    # No CSRF for a token: a cross-site page cannot set the Authorization header.
    strict = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {token}"})
    created = strict.post(
        f"{API}/classes", class_payload(occupation_id=people.lathe.pk), content_type="application/json"
    )
    assert created.status_code == 201
    assert AuditEvent.objects.filter(event="class.create", actor=people.alice).count() == 2


def test_a_revoked_token_an_unknown_token_and_an_inactive_user_get_401(people: Cast) -> None:
    record, token = token_issue(user=people.alice, actor=people.alice, name="机构教务系统")
    assert send(token_client(token), "GET", "/classes").status_code == 200
    token_revoke(token=record, actor=people.alice)
    revoked = send(token_client(token), "GET", "/classes")
    assert revoked.status_code == 401 and revoked.data["code"] == "unauthenticated"
    assert send(token_client("not-a-token"), "GET", "/classes").status_code == 401
    _, other = token_issue(user=people.alice, actor=people.alice, name="另一个系统")
    User.objects.filter(pk=people.alice.pk).update(is_active=False)
    assert send(token_client(other), "GET", "/classes").status_code == 401


def test_the_openapi_document_lists_every_path(people: Cast) -> None:
    schema = Client().get(f"{API}/openapi.json").json()
    paths = set(schema["paths"])
    expected = {
        "/api/v1/classes",
        "/api/v1/classes/{class_id}",
        "/api/v1/classes/{class_id}/teachers",
        "/api/v1/classes/{class_id}/roster",
        "/api/v1/classes/{class_id}/roster/{enrollment_id}",
        "/api/v1/classes/{class_id}/roster-template",
        "/api/v1/classes/{class_id}/findings",
        "/api/v1/classes/{class_id}/reviews",
        "/api/v1/classes/{class_id}/transitions",
        "/api/v1/todo",
        "/api/v1/occupations",
        "/api/v1/occupations/{code}",
        "/api/v1/org-units",
        "/api/v1/institutions",
        "/api/v1/online-platforms",
        "/api/v1/audit-events",
    }
    assert expected <= paths
    assert {"SessionAuth", "TokenAuth"} <= set(schema["components"]["securitySchemes"])  # + device/platform keys
    assert "ClassIn" in schema["components"]["schemas"]
    assert Client().get(f"{API}/docs").status_code == 200
