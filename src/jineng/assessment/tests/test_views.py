"""The assessment pages: the plan list (and XLSX), filing, a plan with its results and the upload,
the ledger button, and the 结业考核 tab fragment — each in the reader's scope."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from jineng.accounts.models import User
from jineng.assessment.models import AssessmentPlan, AssessmentResult, LedgerEntry
from jineng.assessment.services import ResultInput, results_record
from jineng.assessment.views import class_tab_context
from jineng.classes.models import ClassState, TrainingClass
from jineng.ids import mask_ric
from jineng.testing import Cast

from .scenes import changge_class, ended, file, passed, ready, roster
from .test_import import xlsx

pytestmark = pytest.mark.django_db


def client(who: User) -> Client:
    c = Client()
    c.force_login(who)
    return c


@pytest.fixture
def plan(people: Cast) -> AssessmentPlan:
    return file(people, ready(people))


@pytest.mark.parametrize("who", ["eve", "alice", "dan1", "hana1", "city"])
def test_readers_see_the_plan_in_the_list_and_its_page(people: Cast, plan: AssessmentPlan, who: str) -> None:
    c = client(getattr(people, who))
    assert plan.code in c.get("/assessment/").content.decode()
    page = c.get(f"/assessment/{plan.pk}/")
    assert page.status_code == 200 and "考核结果" in page.content.decode()


@pytest.mark.parametrize("who", ["carol", "erin", "bob", "wendy", "sam"])
def test_others_do_not_see_the_plan(people: Cast, plan: AssessmentPlan, who: str) -> None:
    c = client(getattr(people, who))
    assert plan.code not in c.get("/assessment/").content.decode()
    assert c.get(f"/assessment/{plan.pk}/").status_code == 404
    assert c.post(f"/assessment/{plan.pk}/results/").status_code == 404
    assert c.post(f"/assessment/{plan.pk}/cancel/", {"reason": "x"}).status_code == 404


def test_the_list_exports_xlsx(people: Cast, plan: AssessmentPlan) -> None:
    response = client(people.eve).get("/assessment/?format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "考核批次号" and rows[1][0] == plan.code and rows[1][4] == "许昌市职业技能评价中心"
    assert client(people.carol).get("/assessment/?format=xlsx").content != response.content


def test_the_evaluator_files_a_plan_by_class_code(people: Cast) -> None:
    cls = ready(people)
    day = timezone.localdate() + dt.timedelta(days=5)
    response = client(people.eve).post(
        "/assessment/new/", {"classes": cls.code.lower(), "scheduled_on": day.isoformat(), "place": "评价中心"}
    )
    plan = AssessmentPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/assessment/{plan.pk}/"


def test_a_late_filing_is_shown_with_the_rule(people: Cast) -> None:
    cls = ready(people)
    day = timezone.localdate() + dt.timedelta(days=2)
    response = client(people.eve).post(
        "/assessment/new/", {"classes": cls.code, "scheduled_on": day.isoformat(), "place": "评价中心"}
    )
    body = response.content.decode()
    assert response.status_code == 409 and "ASM-NOTICE" in body and "仅提前 2 天" in body


def test_a_clerk_cannot_name_another_institutions_class(people: Cast) -> None:
    theirs = changge_class(people)
    day = timezone.localdate() + dt.timedelta(days=5)
    response = client(people.alice).post(
        "/assessment/new/",
        {"classes": theirs.code, "scheduled_on": day.isoformat(), "place": "x", "body": people.evaluation_body.pk},
    )
    assert response.status_code == 422 and "不存在或不在您的管辖范围内" in response.content.decode()


@pytest.mark.parametrize("who", ["dan1", "hana1", "wendy"])
def test_only_clerks_and_evaluators_get_the_form(people: Cast, who: str) -> None:
    assert client(getattr(people, who)).get("/assessment/new/").status_code == 403


def test_the_evaluator_uploads_results_and_sees_them(people: Cast, plan: AssessmentPlan) -> None:
    cls = plan.classes.get()
    a, b, _ = roster(cls)
    content = xlsx(
        [
            [a.person.id_number, a.person.name, "合格", 90, "UP-1", dt.date(2023, 5, 30), None],
            [b.person.id_number, b.person.name, "缺考", None, None, None, None],
        ]
    )
    upload = io.BytesIO(content)
    upload.name = "结果.xlsx"
    c = client(people.eve)
    response = c.post(f"/assessment/{plan.pk}/results/", {"file": upload})
    assert response.status_code == 302
    page = c.get(f"/assessment/{plan.pk}/").content.decode()
    assert "UP-1" in page and mask_ric(a.person.id_number) in page and a.person.id_number not in page
    assert AssessmentResult.objects.count() == 2


def test_a_bad_upload_shows_each_row(people: Cast, plan: AssessmentPlan) -> None:
    a = roster(plan.classes.get())[0]
    upload = io.BytesIO(xlsx([[a.person.id_number, "别人", "合格", None, None, None, None]]))
    upload.name = "结果.xlsx"
    response = client(people.eve).post(f"/assessment/{plan.pk}/results/", {"file": upload})
    assert response.status_code == 422 and "第2行 姓名" in response.content.decode()


def test_a_clerk_cannot_upload_results(people: Cast, plan: AssessmentPlan) -> None:
    upload = io.BytesIO(xlsx([]))
    upload.name = "x.xlsx"
    response = client(people.alice).post(f"/assessment/{plan.pk}/results/", {"file": upload})
    assert response.status_code == 403
    assert "录入考核结果" not in client(people.alice).get(f"/assessment/{plan.pk}/").content.decode()


def test_the_template_downloads(people: Cast) -> None:
    response = client(people.eve).get("/assessment/results-template.xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_filer_cancels_from_the_page(people: Cast, plan: AssessmentPlan) -> None:
    assert client(people.eve).post(f"/assessment/{plan.pk}/cancel/", {"reason": "改期"}).status_code == 302
    plan.refresh_from_db()
    assert plan.state == AssessmentPlan.State.CANCELLED


def test_the_ledger_button_enters_the_ledger_and_flashes_the_late_finding(people: Cast) -> None:
    cls = ended(people)
    response = client(people.alice).post(f"/assessment/classes/{cls.pk}/ledger/", {"notes": ""})
    assert response.status_code == 302 and response["Location"] == f"/classes/{cls.pk}/?tab=assessment"
    assert LedgerEntry.objects.filter(training_class=cls).exists()
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "ASM-LEDGER" in message


def test_a_refused_ledger_is_flashed_with_its_message(people: Cast) -> None:
    cls = ready(people)
    response = client(people.alice).post(f"/assessment/classes/{cls.pk}/ledger/", {})
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "结业后才能录入培训台账" in message


@pytest.mark.parametrize("who", ["carol", "erin"])
def test_the_ledger_of_a_class_out_of_scope_is_404(people: Cast, who: str) -> None:
    cls = ended(people)
    assert client(getattr(people, who)).post(f"/assessment/classes/{cls.pk}/ledger/", {}).status_code == 404


def test_the_overdue_ledger_page_lists_classes_in_scope(people: Cast) -> None:
    cls = ended(people)
    assert cls.code in client(people.hana1).get("/assessment/ledgers/overdue/").content.decode()
    assert cls.code not in client(people.carol).get("/assessment/ledgers/overdue/").content.decode()


def test_the_tab_fragment_shows_results_counts_and_the_ledger_button(people: Cast) -> None:
    cls = ended(people)
    plan = file(people, cls)
    a, b, c = roster(cls)
    results_record(
        plan=plan,
        actor=people.eve,
        results=[passed(a, "TAB-1"), ResultInput(b.pk, "failed"), ResultInput(c.pk, "absent")],
    )
    html = render_to_string("assessment/_tab.html", class_tab_context(people.alice, cls))
    assert plan.code in html and "TAB-1" in html and a.person.id_number in html
    assert "参加考核人数" in html and "取证人数" in html and "职业技能等级证书" in html
    assert 'data-testid="ledger-enter"' in html and "ASM-LEDGER" in html  # years past 2023-06-10
    dept = render_to_string("assessment/_tab.html", class_tab_context(people.dan1, cls))
    assert mask_ric(a.person.id_number) in dept and 'data-testid="ledger-enter"' not in dept


def test_the_tab_of_a_class_in_training_has_no_ledger_button(people: Cast) -> None:
    cls = ready(people)
    TrainingClass.objects.filter(pk=cls.pk).update(state=ClassState.APPROVED)
    html = render_to_string("assessment/_tab.html", class_tab_context(people.alice, cls))
    assert "尚未填报考核计划" in html and 'data-testid="ledger-enter"' not in html


def test_the_class_page_shows_the_tab(people: Cast) -> None:
    cls = ended(people)
    file(people, cls)
    page = client(people.alice).get(f"/classes/{cls.pk}/?tab=assessment")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="assessment"' in body and 'data-testid="ledger-enter"' in body
    assert client(people.carol).get(f"/classes/{cls.pk}/?tab=assessment").status_code == 404
