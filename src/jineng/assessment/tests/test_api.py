"""The assessment API (/api/v1/assessment/plans…, /api/v1/classes/{id}/assessment|ledger) against
the cast: plans in scope or 404, the evaluator records, IDs masked by role, the common error shape.

The plan is eve's (许昌市职业技能评价中心) for alice's 禹州 class, led by 市工信局 (dan1/dan2).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from jineng.assessment.models import AssessmentPlan
from jineng.classes.models import ClassState, TrainingClass
from jineng.classes.tests.test_api import client_for, send
from jineng.ids import mask_ric
from jineng.testing import Cast

from .scenes import ASSESS_ON, file, ready, roster

pytestmark = pytest.mark.django_db

CAST = [
    *("alice", "bob", "dan1", "dan2", "erin", "hana1", "hana2", "carol"),
    *("city", "leader", "finance", "sam", "audrey", "eve", "wendy"),
]
PLAN_READERS = {"alice", "dan1", "dan2", "hana1", "hana2", "city", "leader", "eve"}
CLASS_READERS = PLAN_READERS | {"finance"}


@pytest.fixture
def plan(people: Cast) -> AssessmentPlan:
    return file(people, ready(people))


def result_body(cls: TrainingClass) -> list[dict[str, Any]]:
    a, b, c = roster(cls)
    return [
        {
            "enrollment_id": a.pk,
            "outcome": "passed",
            "score": "91.5",
            "certificate": {"number": "API-1", "issued_on": "2023-05-30"},
        },
        {"enrollment_id": b.pk, "outcome": "failed", "score": 40},
        {"enrollment_id": c.pk, "outcome": "absent"},
    ]


@pytest.mark.parametrize("who", CAST)
def test_the_plan_list_and_detail_are_in_scope_or_absent(people: Cast, plan: AssessmentPlan, who: str) -> None:
    client = client_for(getattr(people, who))
    listing = send(client, "GET", "/assessment/plans")
    assert listing.status_code == 200
    codes = [p["code"] for p in listing.data["items"]]
    detail = send(client, "GET", f"/assessment/plans/{plan.pk}")
    if who in PLAN_READERS:
        assert codes == [plan.code] and listing.data["count"] == 1
        assert detail.status_code == 200 and detail.data["code"] == plan.code
    else:
        assert codes == [] and listing.data["count"] == 0
        assert detail.status_code == 404 and detail.data["code"] == "not_found"


@pytest.mark.parametrize("who", CAST)
def test_the_class_assessment_is_in_scope_or_404(people: Cast, plan: AssessmentPlan, who: str) -> None:
    cls = plan.classes.get()
    response = send(client_for(getattr(people, who)), "GET", f"/classes/{cls.pk}/assessment")
    if who in CLASS_READERS:
        assert response.status_code == 200 and response.data["plans"][0]["code"] == plan.code
    else:
        assert response.status_code == 404 and set(response.data) >= {"code", "message", "fields"}


def test_the_list_pages(people: Cast) -> None:
    for i in range(3):
        file(people, ready(people, first=10 * i))
    page = send(client_for(people.eve), "GET", "/assessment/plans?limit=2&offset=2")
    assert (page.data["count"], page.data["limit"], page.data["offset"], len(page.data["items"])) == (3, 2, 2, 1)


def test_a_clerk_files_a_plan_through_the_api(people: Cast) -> None:
    cls = ready(people)
    body = {
        "class_ids": [cls.pk],
        "scheduled_on": (dt.date.today() + dt.timedelta(days=10)).isoformat(),
        "place": "评价中心",
        "evaluation_body_id": people.evaluation_body.pk,
    }
    response = send(client_for(people.alice), "POST", "/assessment/plans", body)
    assert response.status_code == 201, response.content
    assert (
        response.data["classes"][0]["code"] == cls.code and response.data["evaluation_body"] == "许昌市职业技能评价中心"
    )


def test_a_late_filing_is_409_with_the_rule(people: Cast) -> None:
    cls = ready(people)
    body = {"class_ids": [cls.pk], "scheduled_on": dt.date.today().isoformat(), "place": "评价中心"}
    response = send(client_for(people.eve), "POST", "/assessment/plans", body)
    assert response.status_code == 409 and response.data["code"] == "rule_blocked"
    assert response.data["findings"][0]["rule"] == "ASM-NOTICE"


def test_the_evaluator_records_results_and_reads_ids_masked(people: Cast, plan: AssessmentPlan) -> None:
    cls = plan.classes.get()
    response = send(client_for(people.eve), "POST", f"/assessment/plans/{plan.pk}/results", result_body(cls))
    assert response.status_code == 200, response.content
    assert response.data["state"] == "results"
    first = response.data["results"][0]
    assert first["outcome"] == "passed" and first["certificate"]["number"] == "API-1"
    assert first["certificate"]["level"] == 4 and first["assessed_on"] == ASSESS_ON.isoformat()
    assert first["id_number"] == mask_ric(roster(cls)[0].person.id_number)  # an evaluator reads IDs masked
    clear = send(client_for(people.hana1), "GET", f"/assessment/plans/{plan.pk}")
    assert clear.data["results"][0]["id_number"] == roster(cls)[0].person.id_number


@pytest.mark.parametrize("who", ["alice", "hana1", "city"])
def test_others_who_see_the_plan_may_not_record(people: Cast, plan: AssessmentPlan, who: str) -> None:
    response = send(
        client_for(getattr(people, who)),
        "POST",
        f"/assessment/plans/{plan.pk}/results",
        result_body(plan.classes.get()),
    )
    assert response.status_code == 403 and response.data["code"] == "not_permitted"


@pytest.mark.parametrize("who", ["carol", "erin", "bob"])
def test_recording_on_a_plan_out_of_scope_is_404(people: Cast, plan: AssessmentPlan, who: str) -> None:
    response = send(client_for(getattr(people, who)), "POST", f"/assessment/plans/{plan.pk}/results", [])
    assert response.status_code == 404


def test_bad_rows_are_422_with_every_row_named(people: Cast, plan: AssessmentPlan) -> None:
    a, b, _ = roster(plan.classes.get())
    body = [
        {"enrollment_id": a.pk, "outcome": "failed", "certificate": {"number": "X", "issued_on": "2023-05-30"}},
        {"enrollment_id": b.pk, "outcome": "passed", "certificate": {"number": "", "issued_on": "2023-05-30"}},
    ]
    response = send(client_for(people.eve), "POST", f"/assessment/plans/{plan.pk}/results", body)
    assert response.status_code == 422 and response.data["code"] == "invalid_input"
    messages = [f["message"] for f in response.data["fields"]]
    assert messages[0].startswith("第1行 证书") and messages[1].startswith("第2行 证书编号")


def test_the_filer_cancels_through_the_api(people: Cast, plan: AssessmentPlan) -> None:
    refused = send(client_for(people.alice), "POST", f"/assessment/plans/{plan.pk}/cancel", {"reason": "x"})
    assert refused.status_code == 403
    response = send(client_for(people.eve), "POST", f"/assessment/plans/{plan.pk}/cancel", {"reason": "改期"})
    assert response.status_code == 200 and response.data["state"] == "cancelled"


def test_the_clerk_enters_the_ledger_through_the_api(people: Cast) -> None:
    cls = ready(people)
    TrainingClass.objects.filter(pk=cls.pk).update(state=ClassState.ENDED)
    for who in ("carol", "erin"):
        assert send(client_for(getattr(people, who)), "POST", f"/classes/{cls.pk}/ledger", {}).status_code == 404
    assert send(client_for(people.hana1), "POST", f"/classes/{cls.pk}/ledger", {}).status_code == 403
    response = send(client_for(people.alice), "POST", f"/classes/{cls.pk}/ledger", {"notes": "台账"})
    assert response.status_code == 201, response.content
    ledger = response.data["ledger"]
    assert ledger["entered"] and ledger["trainees"] == 3 and ledger["due"] == "2023-06-10"
    assert ledger["overdue"] and ledger["finding"]["rule"] == "ASM-LEDGER"  # entered years after the end
    again = send(client_for(people.alice), "POST", f"/classes/{cls.pk}/ledger", {})
    assert again.status_code == 409 and again.data["code"] == "invalid_transition"


def test_counts_per_certificate_kind_in_the_class_assessment(people: Cast, plan: AssessmentPlan) -> None:
    cls = plan.classes.get()
    send(client_for(people.eve), "POST", f"/assessment/plans/{plan.pk}/results", result_body(cls))
    data = send(client_for(people.dan1), "GET", f"/classes/{cls.pk}/assessment").data
    assert data["counts"] == [{"kind": "skill_level", "label": "职业技能等级证书", "sat": 2, "certified": 1}]
    assert (data["sat"], data["certified"]) == (2, 1)
    filed = data["plans"][0]
    assert (dt.date.fromisoformat(filed["scheduled_on"]) - dt.date.fromisoformat(filed["filed_on"])).days == filed[
        "days_ahead"
    ]


def test_a_worker_reads_only_their_own_line(people: Cast) -> None:
    cls = ready(people)
    plan = file(people, cls)
    first = roster(cls)[0]
    people.wendy.person = first.person
    people.wendy.save(update_fields=["person"])
    send(client_for(people.eve), "POST", f"/assessment/plans/{plan.pk}/results", result_body(cls))
    data = send(client_for(people.wendy), "GET", f"/classes/{cls.pk}/assessment").data
    assert [t["enrollment_id"] for t in data["trainees"]] == [first.pk]
    assert send(client_for(people.wendy), "GET", f"/assessment/plans/{plan.pk}").status_code == 404
