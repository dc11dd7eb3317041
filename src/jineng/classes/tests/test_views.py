"""The class pages, driven through Django's test client: what each role sees and may do.

The cast (jineng.testing.Cast): alice clerks for a 禹州 school, bob for a 长葛 school; dan1/dan2
review for 市工信局 (lead department of alice's classes), erin for another department; hana1/hana2
are 禹州 HR, carol 长葛 HR; sam administers the system and audrey the audit log.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.test import Client
from django.utils import timezone

from jineng.audit.models import AuditEvent
from jineng.classes.models import ClassState, ReviewStep, TrainingClass
from jineng.classes.roster_io import COLUMNS
from jineng.classes.selectors import pending_deadline
from jineng.classes.services import TeacherInput, class_create, class_set_teachers, class_transition
from jineng.testing import Cast, class_input, enroll, make_ric, person, unit
from jineng.workdays import Deadline

A = ReviewStep.Action


# ── builders ──────────────────────────────────────────────────────────────────────────────────


def login(client: Client, user) -> Client:
    client.force_login(user)
    return client


def draft(people: Cast, *, trainees: int = 40, teachers: int = 2, **overrides) -> TrainingClass:
    cls = class_create(actor=people.alice, data=class_input(**overrides))
    cls = class_set_teachers(
        cls=cls,
        actor=people.alice,
        expected_version=cls.version,
        teachers=[TeacherInput(f"教师{i}", True) for i in range(teachers)],
    )
    if trainees:
        enroll(cls, [person(i) for i in range(trainees)])
    cls.refresh_from_db()
    return cls


def act(cls: TrainingClass, actor, action: str) -> TrainingClass:
    cls.refresh_from_db()
    class_transition(cls=cls, actor=actor, action=action, expected_version=cls.version, opinion="同意")
    cls.refresh_from_db()
    return cls


def submitted(people: Cast) -> TrainingClass:
    return act(draft(people), people.alice, A.SUBMIT)


def trainee_id(i: int) -> str:
    return make_ric("411081", dt.date(1991, 1, 1) + dt.timedelta(days=i), i)


def roster_csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.header for c in COLUMNS])
    for row in rows:
        writer.writerow([row.get(c.key, "") for c in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def good_row(i: int, **overrides: str) -> dict[str, str]:
    row = {
        "name": f"学员{i:03d}",
        "id_number": trainee_id(i),
        "phone": f"138{i:08d}",
        "category": "失业人员",
        "training_intent": "是",
        "employment_intent": "是",
        "employment_ability": "是",
    }
    row.update(overrides)
    return row


def upload(content: bytes, name: str = "花名册.csv") -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def form_data(**overrides) -> dict[str, str]:
    data = {
        "name": "2023年禹州市车工（四级）就业技能培训班",
        "occupation_id": "",
        "level": "4",
        "training_type": "employment",
        "certificate": "skill_level",
        "subsidised": "on",
        "special_action": "",
        "lead_department_id": str(unit("dept-mii").pk),
        "area_id": str(unit("area-yuzhou").pk),
        "start": "2023-05-08",
        "end": "2023-05-26",
        "minutes_per_hour": "45",
        "hours_theory": "24",
        "hours_practical": "56",
        "hours_online": "0",
        "online_platform_id": "",
        "workstations": "20",
        "enterprise_name": "",
        "enterprise_uscc": "",
    }
    data.update(overrides)
    return data


def page(response) -> str:
    return response.content.decode()


# ── home and to-do ────────────────────────────────────────────────────────────────────────────


def test_a_signed_in_user_is_sent_from_home_to_the_todo_list(client: Client, people: Cast) -> None:
    response = login(client, people.alice).get("/")
    assert response.status_code == 302 and response["Location"] == "/todo/"


def test_an_anonymous_visitor_is_sent_to_login_from_every_class_page(client: Client, people: Cast) -> None:
    cls = draft(people, trainees=0)
    for url in ("/todo/", "/classes/", "/classes/new/", f"/classes/{cls.pk}/", "/classes/roster-template.xlsx"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_the_clerks_todo_lists_drafts_and_returned_classes_of_its_own_institution(client: Client, people: Cast) -> None:
    mine = draft(people, trainees=0, name="阿丽的草稿班")
    body = page(login(client, people.alice).get("/todo/"))
    assert "阿丽的草稿班" in body and mine.code in body and "申请开班" in body
    assert "阿丽的草稿班" not in page(login(Client(), people.bob).get("/todo/"))


def test_a_reviewers_todo_shows_the_pending_step_with_its_deadline_in_working_days(
    client: Client, people: Cast
) -> None:
    cls = submitted(people)
    days = _deadline(cls).remaining(timezone.localdate())
    body = page(login(client, people.dan1).get("/todo/"))
    assert cls.code in body and "行业部门初审" in body
    assert f"剩余{days}个工作日" in body


def _deadline(cls: TrainingClass) -> Deadline:
    deadline = pending_deadline(cls)
    assert deadline is not None
    return deadline


def test_an_overdue_step_says_how_many_working_days_it_is_late(client: Client, people: Cast) -> None:
    cls = submitted(people)
    TrainingClass.objects.filter(pk=cls.pk).update(state_since=timezone.now() - dt.timedelta(days=40))
    cls.refresh_from_db()
    late = -_deadline(cls).remaining(timezone.localdate())
    assert late > 0
    assert f"已超期{late}个工作日" in page(login(client, people.dan1).get("/todo/"))
    assert f"已超期{late}个工作日" in page(login(Client(), people.dan1).get(f"/classes/{cls.pk}/"))


def test_erin_of_another_department_has_none_of_alices_classes_to_do_or_to_list(client: Client, people: Cast) -> None:
    cls = submitted(people)
    login(client, people.erin)
    assert cls.code not in page(client.get("/todo/"))
    assert cls.code not in page(client.get("/classes/"))
    assert "没有符合条件的培训班" in page(client.get("/classes/"))


@pytest.mark.parametrize("who", ["leader", "sam", "audrey"])
def test_roles_without_to_dos_see_a_friendly_empty_state(client: Client, people: Cast, who: str) -> None:
    submitted(people)
    body = page(login(client, getattr(people, who)).get("/todo/"))
    assert 'data-testid="todo-empty"' in body and "没有需要办理的审批事项" in body


def test_finance_has_no_class_to_dos_only_money_ones(client: Client, people: Cast) -> None:
    # Finance signs pushed batches and pays approved claims (the subsidy tests cover those rows).
    cls = submitted(people)
    body = page(login(client, people.finance).get("/todo/"))
    assert 'data-testid="todo-empty"' in body and "暂无待办" in body and cls.code not in body


def test_the_first_signer_waits_for_someone_elses_second_signature(client: Client, people: Cast) -> None:
    cls = act(submitted(people), people.dan1, A.DEPT_FIRST)
    assert cls.code not in page(login(client, people.dan1).get("/todo/"))
    assert cls.code in page(login(Client(), people.dan2).get("/todo/"))


# ── class list ────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("who", ["sam", "audrey"])
def test_system_and_audit_administrators_see_no_classes(client: Client, people: Cast, who: str) -> None:
    cls = draft(people, trainees=0)
    body = page(login(client, getattr(people, who)).get("/classes/"))
    assert cls.code not in body and "不查阅培训班案卷" in body
    nav = body[body.index("<nav>") : body.index("</nav>")]
    assert "培训班" not in nav


def test_the_class_list_filters_by_state_area_occupation_keyword_and_year(client: Client, people: Cast) -> None:
    a = draft(people, trainees=0, name="甲班")
    b = draft(people, trainees=0, name="乙班", start=dt.date(2023, 9, 4), end=dt.date(2023, 9, 22))
    enroll(b, [person(i) for i in range(10)])
    act(b, people.alice, A.SUBMIT)
    login(client, people.city)

    def codes(query: str) -> set[str]:
        return set(re.findall(r"XC2023\d{6}", page(client.get(f"/classes/?{query}"))))

    assert codes("") == {a.code, b.code}
    assert codes("state=submitted") == {b.code}
    assert codes(f"area={unit('area-yuzhou').pk}") == {a.code, b.code}
    assert codes(f"area={unit('area-changge').pk}") == set()
    assert codes("occupation=车工") == {a.code, b.code}
    assert codes("occupation=6-18-01-01&q=乙班") == {b.code}
    assert codes("year=2023") == {a.code, b.code} and codes("year=2022") == set()
    assert codes("q=阳光职业") == {a.code, b.code}


def test_the_class_list_pages_by_twenty_and_keeps_the_filters(client: Client, people: Cast) -> None:
    for i in range(25):
        draft(people, trainees=0, teachers=0, name=f"班{i:02d}")
    login(client, people.alice)
    first = page(client.get("/classes/?state=draft"))
    assert len(re.findall(r'<td class="mono"><a href="/classes/\d+/">', first)) == 20
    assert "第 1 / 2 页" in first and "?state=draft&amp;page=2" in first
    second = page(client.get("/classes/?state=draft&page=2"))
    assert len(re.findall(r'<td class="mono"><a href="/classes/\d+/">', second)) == 5


def test_the_class_list_of_thirty_classes_runs_a_bounded_number_of_queries(
    client: Client, people: Cast, django_assert_max_num_queries
) -> None:
    for i in range(30):
        cls = draft(people, trainees=0, teachers=0, name=f"班{i:02d}")
        enroll(cls, [person(1000 + i * 3 + k) for k in range(3)])
    TrainingClass.objects.filter(name__in=["班29", "班26"]).update(
        state=ClassState.SUBMITTED, state_since=timezone.now()
    )
    login(client, people.city)
    client.get("/classes/")  # warm the session and the policy cache
    with django_assert_max_num_queries(8):
        response = client.get("/classes/")
    assert response.status_code == 200 and page(response).count("剩余") == 2
    with django_assert_max_num_queries(8):
        assert client.get("/classes/?page=2").status_code == 200


# ── the application form ──────────────────────────────────────────────────────────────────────


def test_the_clerk_creates_a_class_through_the_form(client: Client, people: Cast) -> None:
    login(client, people.alice)
    assert "申请开班" in page(client.get("/classes/new/"))
    response = client.post("/classes/new/", form_data(occupation_id=str(people.lathe.pk)))
    cls = TrainingClass.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/classes/{cls.pk}/?tab=teachers"
    assert cls.state == ClassState.DRAFT and cls.institution == people.yuzhou_school
    assert cls.hours_practical == 56 and cls.level == 4 and cls.created_by == people.alice
    assert "已创建开班申请" in page(client.get(response["Location"]))


def test_the_clerk_sees_the_services_refusal_of_every_bad_field_at_once(client: Client, people: Cast) -> None:
    response = login(client, people.alice).post(
        "/classes/new/",
        form_data(
            occupation_id=str(people.lathe.pk),
            name=" ",
            end="2023-05-01",
            training_type="apprenticeship",
            enterprise_uscc="X123",
        ),
    )
    body = page(response)
    assert response.status_code == 422
    errors = dict(re.findall(r'<div class="field-error" data-field="(\w+)">([^<]+)</div>', body))
    assert set(errors) == {"name", "end", "enterprise_name", "enterprise_uscc"}
    assert "必填" in errors["name"] and "早于开班日期" in errors["end"]
    assert "共 4 处需要修改" in body
    assert not TrainingClass.objects.exists()


def test_the_clerk_sees_every_missing_or_malformed_field_at_once(client: Client, people: Cast) -> None:
    response = login(client, people.alice).post(
        "/classes/new/",
        form_data(occupation_id="", start="", end="明天", hours_practical="-5", lead_department_id="999999"),
        HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9",  # an English browser still reads Chinese
    )
    body = page(response)
    assert response.status_code == 422
    assert "这个字段是必填项" in body and "required" not in body.replace("required>", "").replace("required ", "")
    fields = set(re.findall(r'<div class="field-error" data-field="(\w+)">', body))
    assert fields == {"occupation_id", "start", "end", "hours_practical", "lead_department_id"}
    assert not TrainingClass.objects.exists()


@pytest.mark.parametrize("who", ["dan1", "hana1", "sam", "audrey"])
def test_only_an_institution_clerk_may_open_the_application_form(client: Client, people: Cast, who: str) -> None:
    login(client, getattr(people, who))
    assert client.get("/classes/new/").status_code == 403
    assert client.post("/classes/new/", form_data(occupation_id=str(people.lathe.pk))).status_code == 403
    assert not TrainingClass.objects.exists()


def test_editing_saves_and_the_fragment_comes_back_with_fresh_findings(client: Client, people: Cast) -> None:
    cls = draft(people, trainees=10)
    response = login(client, people.alice).post(
        f"/classes/{cls.pk}/edit/",
        {**form_data(occupation_id=str(people.lathe.pk), minutes_per_hour="30"), "version": cls.version},
        HTTP_HX_REQUEST="true",
    )
    body = page(response)
    assert response.status_code == 200 and "<html" not in body
    assert "基本信息已保存" in body and "CLS-HOUR-LENGTH" in body
    cls.refresh_from_db()
    assert cls.minutes_per_hour == 30


def test_editing_with_a_stale_version_asks_to_refresh_and_changes_nothing(client: Client, people: Cast) -> None:
    cls = draft(people, trainees=0)
    stale = cls.version
    class_set_teachers(cls=cls, actor=people.alice, expected_version=cls.version, teachers=[TeacherInput("新教师")])
    response = login(client, people.alice).post(
        f"/classes/{cls.pk}/edit/",
        {**form_data(occupation_id=str(people.lathe.pk), name="改过的名字"), "version": stale},
    )
    body = page(response)
    assert response.status_code == 409
    assert "已被他人修改" in body and "请刷新" in body and "刷新页面" in body
    assert TrainingClass.objects.get(pk=cls.pk).name != "改过的名字"


@pytest.mark.parametrize("who", ["dan1", "hana1", "city"])
def test_a_reviewer_in_scope_may_read_but_not_edit_the_application(client: Client, people: Cast, who: str) -> None:
    cls = draft(people, trainees=0)
    login(client, getattr(people, who))
    body = page(client.get(f"/classes/{cls.pk}/"))
    assert "保存并核查" not in body and cls.name in body
    data = {**form_data(occupation_id=str(people.lathe.pk), name="改名"), "version": cls.version}
    response = client.post(f"/classes/{cls.pk}/edit/", data)
    assert response.status_code == 403 and "只有本机构的经办人" in page(response)
    assert TrainingClass.objects.get(pk=cls.pk).name == cls.name


def test_teachers_are_saved_from_the_rows_with_a_name(client: Client, people: Cast) -> None:
    cls = draft(people, trainees=0, teachers=0)
    data = {
        "version": cls.version,
        "teachers-TOTAL_FORMS": "3",
        "teachers-INITIAL_FORMS": "0",
        "teachers-MIN_NUM_FORMS": "0",
        "teachers-MAX_NUM_FORMS": "200",
        "teachers-0-name": "张老师",
        "teachers-0-certified": "on",
        "teachers-0-certificate_no": "JS-001",
        "teachers-1-name": "",
        "teachers-2-name": "李老师",
    }
    response = login(client, people.alice).post(f"/classes/{cls.pk}/teachers/", data)
    assert response.status_code == 302
    assert list(cls.teachers.values_list("name", "certified", "certificate_no")) == [
        ("张老师", True, "JS-001"),
        ("李老师", False, ""),
    ]


# ── scope: every class URL is a 404 outside the reader's scope ────────────────────────────────


@pytest.mark.parametrize("who", ["carol", "bob", "erin", "sam", "audrey"])
def test_every_class_page_is_a_404_outside_the_readers_scope(client: Client, people: Cast, who: str) -> None:
    cls = submitted(people)
    enrollment = cls.enrollments.first()
    assert enrollment is not None
    login(client, getattr(people, who))
    for url in (f"/classes/{cls.pk}/", f"/classes/{cls.pk}/findings/", f"/classes/{cls.pk}/?tab=roster"):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/classes/{cls.pk}/edit/",
        f"/classes/{cls.pk}/teachers/",
        f"/classes/{cls.pk}/roster/import/",
        f"/classes/{cls.pk}/roster/{enrollment.pk}/remove/",
        f"/classes/{cls.pk}/act/",
    ):
        assert client.post(url, {"version": cls.version, "action": A.DEPT_FIRST}).status_code == 404, url
    cls.refresh_from_db()
    assert cls.state == ClassState.SUBMITTED and cls.enrollments.count() == 40


def test_carol_gets_404_on_alices_class_but_cityhr_reads_it(client: Client, people: Cast) -> None:
    cls = draft(people, trainees=0)
    assert login(client, people.carol).get(f"/classes/{cls.pk}/").status_code == 404
    assert login(Client(), people.city).get(f"/classes/{cls.pk}/").status_code == 200


# ── findings panel ────────────────────────────────────────────────────────────────────────────


def test_the_findings_panel_groups_findings_by_subject_with_rule_outcome_clause_and_masked_id(
    client: Client, people: Cast
) -> None:
    cls = draft(people, trainees=81, teachers=5)
    bad = person(5000)
    enroll(cls, [bad], questionnaire={"training_intent": False, "employment_intent": True, "employment_ability": True})
    body = page(login(client, people.alice).get(f"/classes/{cls.pk}/findings/"))
    assert "<html" not in body and 'id="findings-panel"' in body
    assert f"班级 {cls.code}" in body and "CLS-SIZE" in body and "阻断" in body and "〔二(三)1〕" in body
    row = cls.enrollments.get(person=bad).row
    assert f"学员 第{row}行 {bad.name} {bad.masked_id}" in body
    assert bad.id_number not in body


def test_the_findings_tab_says_so_when_every_rule_passes(client: Client, people: Cast) -> None:
    cls = draft(people)
    body = page(login(client, people.alice).get(f"/classes/{cls.pk}/?tab=findings"))
    assert "未发现问题" in body


# ── roster ────────────────────────────────────────────────────────────────────────────────────


def test_the_roster_templates_download_as_xlsx_and_csv(client: Client, people: Cast) -> None:
    login(client, people.alice)
    xlsx = client.get("/classes/roster-template.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert "attachment" in xlsx["Content-Disposition"]
    csv_ = client.get("/classes/roster-template.csv")
    assert csv_.status_code == 200 and "身份证号" in csv_.content.decode("utf-8-sig")
    assert client.get("/classes/roster-template.pdf").status_code == 404
    body = page(client.get(f"/classes/{draft(people, trainees=0).pk}/?tab=roster"))
    assert "/classes/roster-template.xlsx" in body and "/classes/roster-template.csv" in body


def test_a_good_roster_file_replaces_the_roster(client: Client, people: Cast) -> None:
    cls = draft(people, trainees=3)
    content = roster_csv([good_row(i) for i in range(12)])
    response = login(client, people.alice).post(
        f"/classes/{cls.pk}/roster/import/", {"version": cls.version, "file": upload(content)}
    )
    assert response.status_code == 302 and response["Location"].endswith("?tab=roster")
    assert cls.enrollments.count() == 12
    assert "已导入花名册：12 名学员" in page(client.get(response["Location"]))


def test_bad_roster_rows_are_listed_with_row_numbers_and_nothing_is_imported(client: Client, people: Cast) -> None:
    cls = draft(people, trainees=3)
    rows = [good_row(i) for i in range(6)]
    rows[1]["category"] = "学生"  # file row 3
    rows[3]["name"] = ""  # file row 5
    rows[4]["phone"] = "12345"  # file row 6
    rows[5]["id_number"] = rows[0]["id_number"]  # file row 7 repeats row 2
    response = login(client, people.alice).post(
        f"/classes/{cls.pk}/roster/import/",
        {"version": cls.version, "file": upload(roster_csv(rows))},
        HTTP_HX_REQUEST="true",
    )
    body = page(response)
    assert response.status_code == 422 and "<html" not in body
    assert "未导入任何一行" in body
    listed = re.findall(r"<td>第(\d+)行</td><td>([^<]*)</td><td>([^<]*)</td>", body)
    assert [(row, column) for row, column, _ in listed] == [
        ("3", "人员类别"),
        ("5", "姓名"),
        ("6", "手机号"),
        ("7", "身份证号"),
    ]
    assert "与第 2 行重复" in listed[3][2]
    assert cls.enrollments.count() == 3
    assert not AuditEvent.objects.filter(event="roster.import").exists()


def test_a_file_of_another_kind_is_refused_before_reading(client: Client, people: Cast) -> None:
    cls = draft(people, trainees=0)
    response = login(client, people.alice).post(
        f"/classes/{cls.pk}/roster/import/", {"version": cls.version, "file": upload(b"%PDF-1.4", "名册.pdf")}
    )
    assert response.status_code == 422 and "只接受 .xlsx 或 .csv" in page(response)


def test_the_clerk_removes_one_trainee_and_the_findings_follow(client: Client, people: Cast) -> None:
    cls = draft(people, trainees=81, teachers=5)
    login(client, people.alice)
    assert "CLS-SIZE" in page(client.get(f"/classes/{cls.pk}/findings/"))
    last = cls.enrollments.order_by("-row").first()
    assert last is not None
    response = client.post(
        f"/classes/{cls.pk}/roster/{last.pk}/remove/", {"version": cls.version}, HTTP_HX_REQUEST="true"
    )
    body = page(response)
    assert response.status_code == 200 and "已从花名册移除 1 名学员" in body and "CLS-SIZE" not in body
    assert cls.enrollments.count() == 80


def test_ids_and_phones_are_masked_for_a_reviewer_and_clear_for_the_clerk(client: Client, people: Cast) -> None:
    cls = draft(people, trainees=1)
    one = cls.enrollments.select_related("person").get().person
    one.phone = "13812345678"
    one.save()
    act(cls, people.alice, A.SUBMIT)
    clerk = page(login(client, people.alice).get(f"/classes/{cls.pk}/?tab=roster"))
    assert one.id_number in clerk and "13812345678" in clerk
    reviewer = page(login(Client(), people.dan1).get(f"/classes/{cls.pk}/?tab=roster"))
    assert one.id_number not in reviewer and one.masked_id in reviewer
    assert "13812345678" not in reviewer and "138****5678" in reviewer
    assert one.masked_id[:4] + "**********" + one.id_number[-4:] == one.masked_id


# ── submitting and reviewing ──────────────────────────────────────────────────────────────────


def test_submitting_is_refused_while_a_block_finding_stands_and_the_refusal_shows_the_findings(
    client: Client, people: Cast
) -> None:
    cls = draft(people, trainees=81, teachers=5)
    response = login(client, people.alice).post(
        f"/classes/{cls.pk}/act/", {"version": cls.version, "action": A.SUBMIT, "tab": "roster"}
    )
    body = page(response)
    assert response.status_code == 409
    problem = body[body.index('id="problem"') :]
    assert "不能提交审核" in problem and "CLS-SIZE" in problem and "〔二(三)1〕" in problem
    assert TrainingClass.objects.get(pk=cls.pk).state == ClassState.DRAFT


def test_the_clerk_submits_a_clean_class(client: Client, people: Cast) -> None:
    cls = draft(people)
    login(client, people.alice)
    assert 'data-testid="submit-class"' in page(client.get(f"/classes/{cls.pk}/"))
    response = client.post(f"/classes/{cls.pk}/act/", {"version": cls.version, "action": A.SUBMIT, "tab": "basic"})
    assert response.status_code == 302
    cls.refresh_from_db()
    assert cls.state == ClassState.SUBMITTED
    body = page(client.get(f"/classes/{cls.pk}/"))
    assert 'data-testid="submit-class"' not in body and "保存并核查" not in body


def test_the_review_screen_offers_only_the_transitions_available_to_this_user(client: Client, people: Cast) -> None:
    cls = submitted(people)
    dan1 = page(login(client, people.dan1).get(f"/classes/{cls.pk}/"))
    panel = dan1[dan1.index('data-testid="review-panel"') :]
    buttons = re.findall(r'name="action" value="(\w+)"', panel)
    assert buttons == ["dept_first", "return", "reject"]
    assert 'name="opinion"' in panel and "审核记录" in dan1 and "规则核查" in dan1
    for who in ("leader", "hana1", "alice"):
        assert 'data-testid="review-panel"' not in page(
            login(Client(), getattr(people, who)).get(f"/classes/{cls.pk}/")
        )
    act(cls, people.dan1, A.DEPT_FIRST)
    again = page(login(Client(), people.dan1).get(f"/classes/{cls.pk}/"))
    assert re.findall(r'name="action" value="(\w+)"', again) == ["return", "reject"]
    dan2 = page(login(Client(), people.dan2).get(f"/classes/{cls.pk}/"))
    assert re.findall(r'name="action" value="(\w+)"', dan2) == ["dept_second", "return", "reject"]


def test_four_signatures_through_the_pages_approve_the_class_and_the_history_keeps_each_step(
    client: Client, people: Cast
) -> None:
    cls = submitted(people)
    for who, action in [("dan1", A.DEPT_FIRST), ("dan2", A.DEPT_SECOND), ("hana1", A.HR_FIRST), ("hana2", A.HR_SECOND)]:
        cls.refresh_from_db()
        response = login(Client(), getattr(people, who)).post(
            f"/classes/{cls.pk}/act/",
            {"version": cls.version, "action": action, "opinion": f"{who} 同意", "tab": "history"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200, page(response)
    cls.refresh_from_db()
    assert cls.state == ClassState.APPROVED
    body = page(login(client, people.leader).get(f"/classes/{cls.pk}/?tab=history"))
    assert "已批准开班" in body
    for text in ("行业部门初审", "行业部门复核", "人社初审", "人社复核", "dan1 同意", "hana2 同意", "xuchang-2023"):
        assert text in body
    assert body.count("当时的规则核查：无阻断项") == 5


def test_a_return_without_reasons_is_refused_with_a_message_and_one_with_reasons_goes_back(
    client: Client, people: Cast
) -> None:
    cls = submitted(people)
    login(client, people.dan1)
    refused = client.post(f"/classes/{cls.pk}/act/", {"version": cls.version, "action": A.RETURN, "reasons": " "})
    assert refused.status_code == 422 and "须写明理由" in page(refused)
    done = client.post(
        f"/classes/{cls.pk}/act/", {"version": cls.version, "action": A.RETURN, "reasons": "师资证书不全\n工位不足"}
    )
    assert done.status_code == 302
    cls.refresh_from_db()
    assert cls.state == ClassState.RETURNED
    assert cls.steps.get(action=A.RETURN).reasons == ["师资证书不全", "工位不足"]
    body = page(login(Client(), people.alice).get(f"/classes/{cls.pk}/?tab=history"))
    assert "师资证书不全" in body and "退回修改" in body


def test_signing_on_a_stale_version_asks_to_refresh(client: Client, people: Cast) -> None:
    cls = submitted(people)
    stale = cls.version
    act(cls, people.dan1, A.DEPT_FIRST)
    response = login(client, people.dan2).post(
        f"/classes/{cls.pk}/act/", {"version": stale, "action": A.DEPT_SECOND}, HTTP_HX_REQUEST="true"
    )
    body = page(response)
    assert response.status_code == 409 and "<html" not in body
    assert "已被他人修改" in body and "请刷新" in body
    assert TrainingClass.objects.get(pk=cls.pk).state == ClassState.DEPT_FIRST


def test_the_first_signer_cannot_sign_again_even_by_posting_directly(client: Client, people: Cast) -> None:
    cls = act(submitted(people), people.dan1, A.DEPT_FIRST)
    response = login(client, people.dan1).post(
        f"/classes/{cls.pk}/act/", {"version": cls.version, "action": A.DEPT_SECOND}
    )
    assert response.status_code == 403 and "不同人员" in page(response)
    assert TrainingClass.objects.get(pk=cls.pk).state == ClassState.DEPT_FIRST


def test_a_pending_class_page_shows_the_step_deadline(client: Client, people: Cast) -> None:
    cls = submitted(people)
    days = _deadline(cls).remaining(timezone.localdate())
    body = page(login(client, people.alice).get(f"/classes/{cls.pk}/"))
    assert f"行业部门初审：剩余{days}个工作日" in body
