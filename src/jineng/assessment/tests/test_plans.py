"""Filing and cancelling assessment plans: ASM-NOTICE, ASM-POOLING, the suspension of SUP-SATISFACTION,
who may file, and one live plan per class."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from jineng.assessment.models import AssessmentPlan
from jineng.assessment.services import ResultInput, plan_cancel, results_record
from jineng.audit.models import AuditEvent
from jineng.classes.errors import InvalidInput, InvalidTransition, NotPermitted, RuleBlocked
from jineng.classes.models import ClassState, TrainingClass
from jineng.registry.models import Institution
from jineng.supervision.models import Suspension
from jineng.testing import Cast, institution, user

from .scenes import ASSESS_ON, changge_class, ended, file, ready, roster

pytestmark = pytest.mark.django_db


# ── ASM-NOTICE ────────────────────────────────────────────────────────────────────────────────


def test_a_plan_filed_three_days_ahead_is_accepted(people: Cast) -> None:
    cls = ready(people)
    plan = file(people, cls, today=ASSESS_ON - dt.timedelta(days=3))
    assert plan.state == AssessmentPlan.State.FILED
    assert plan.code == f"KH2023{plan.pk:06d}"
    assert list(plan.classes.all()) == [cls]
    assert (plan.certificate, plan.occupation_id, plan.level, plan.area_id) == (
        cls.certificate,
        cls.occupation_id,
        cls.level,
        cls.area_id,
    )
    assert plan.evaluation_body == people.evaluation_body and plan.filed_by == people.eve


def test_it_refuses_a_plan_filed_two_days_ahead_with_the_rule(people: Cast) -> None:
    cls = ready(people)
    with pytest.raises(RuleBlocked) as refused:
        file(people, cls, today=ASSESS_ON - dt.timedelta(days=2))
    assert [f["rule"] for f in refused.value.extra["findings"]] == ["ASM-NOTICE"]
    assert refused.value.fields[0]["path"] == "ASM-NOTICE"
    assert "提前 3 天" in refused.value.message and "仅提前 2 天" in refused.value.message
    assert not AssessmentPlan.objects.exists()


def test_it_refuses_a_date_already_past(people: Cast) -> None:
    with pytest.raises(RuleBlocked) as refused:
        file(people, ready(people), today=ASSESS_ON + dt.timedelta(days=1))
    assert refused.value.extra["findings"][0]["values"]["ahead_days"] == -1


# ── ASM-POOLING ───────────────────────────────────────────────────────────────────────────────


def test_two_yuzhou_lathe_level_four_classes_may_be_pooled(people: Cast) -> None:
    first, second = ready(people), ready(people, first=10)
    plan = file(people, first, second)
    assert set(plan.classes.all()) == {first, second}
    event = AuditEvent.objects.get(event="assessment.plan_file")
    assert "ASM-POOLING" in event.note and first.code in event.note and second.code in event.note


def test_a_changge_class_cannot_join_a_yuzhou_pool(people: Cast) -> None:
    yuzhou, changge = ready(people), changge_class(people)
    with pytest.raises(InvalidInput) as refused:
        file(people, yuzhou, changge)
    messages = [f["message"] for f in refused.value.fields]
    assert any("ASM-POOLING" in m and changge.code in m and "县（市、区）" in m for m in messages), messages
    assert not AssessmentPlan.objects.exists()


def test_pooling_names_every_difference(people: Cast) -> None:
    four, five = ready(people), ready(people, first=10, level=5, name="2023年禹州市车工（五级）就业技能培训班")
    with pytest.raises(InvalidInput) as refused:
        file(people, four, five)
    assert sum("ASM-POOLING" in f["message"] for f in refused.value.fields) == 1
    assert "等级" in refused.value.fields[-1]["message"]


# ── who files, which classes ──────────────────────────────────────────────────────────────────


def test_the_clerk_files_for_her_own_class_naming_the_evaluation_body(people: Cast) -> None:
    cls = ended(people)
    plan = file(people, cls, actor=people.alice, evaluation_body_id=people.evaluation_body.pk)
    assert plan.evaluation_body == people.evaluation_body and plan.filed_by == people.alice


def test_a_clerk_must_name_an_evaluation_body(people: Cast) -> None:
    cls = ready(people)
    with pytest.raises(InvalidInput) as refused:
        file(people, cls, actor=people.alice)
    assert [f["path"] for f in refused.value.fields] == ["evaluation_body_id"]
    with pytest.raises(InvalidInput) as refused:
        file(people, cls, actor=people.alice, evaluation_body_id=people.changge_school.pk)
    assert "评价机构" in refused.value.fields[0]["message"]


def test_a_clerk_cannot_file_for_another_institutions_class(people: Cast) -> None:
    theirs = changge_class(people)
    with pytest.raises(InvalidInput) as refused:
        file(people, theirs, actor=people.alice, evaluation_body_id=people.evaluation_body.pk)
    assert "不在您的管辖范围内" in refused.value.fields[0]["message"]


def test_every_bad_field_is_named_at_once(people: Cast) -> None:
    draft = ready(people)
    TrainingClass.objects.filter(pk=draft.pk).update(state=ClassState.DRAFT)
    with pytest.raises(InvalidInput) as refused:
        file(people, draft, actor=people.alice, place=" ", inspector="巡" * 51, class_ids=[draft.pk, 999_999])
    paths = {f["path"] for f in refused.value.fields}
    assert {"evaluation_body_id", "place", "inspector", "class_ids[0]", "class_ids[1]"} <= paths


@pytest.mark.parametrize("who", ["dan1", "hana1", "city", "finance", "wendy", "sam"])
def test_only_clerks_and_evaluators_file_plans(people: Cast, who: str) -> None:
    with pytest.raises(NotPermitted):
        file(people, ready(people), actor=getattr(people, who))


def test_a_class_in_a_live_plan_cannot_be_planned_again_until_that_plan_is_cancelled(people: Cast) -> None:
    cls = ready(people)
    first = file(people, cls)
    with pytest.raises(InvalidInput, match="考核计划") as refused:
        file(people, cls)
    assert first.code in refused.value.fields[0]["message"]
    plan_cancel(plan=first, actor=people.eve, reason="场地调整")
    second = file(people, cls)
    assert second.pk != first.pk


def test_a_suspended_assessment_cannot_be_planned(people: Cast) -> None:
    cls = ended(people)
    Suspension.objects.create(training_class=cls, rate=Decimal("0.6"), responses=10, opened_at=timezone.now())
    with pytest.raises(RuleBlocked) as refused:
        file(people, cls)
    assert [f["rule"] for f in refused.value.extra["findings"]] == ["SUP-SATISFACTION"]
    assert cls.code in refused.value.fields[0]["message"]


def test_a_closed_retraining_no_longer_holds_the_assessment_back(people: Cast) -> None:
    cls = ended(people)
    Suspension.objects.create(
        training_class=cls,
        rate=Decimal("0.6"),
        responses=10,
        opened_at=timezone.now(),
        remedy=Suspension.Remedy.RETRAIN,
        rectify_until=dt.date(2023, 5, 20),
        closed_at=timezone.now(),
    )
    assert file(people, cls).state == AssessmentPlan.State.FILED


def test_both_a_suspension_and_a_late_filing_are_reported_together(people: Cast) -> None:
    cls = ended(people)
    Suspension.objects.create(training_class=cls, rate=Decimal("0.6"), responses=10, opened_at=timezone.now())
    with pytest.raises(RuleBlocked) as refused:
        file(people, cls, today=ASSESS_ON)
    assert {f["rule"] for f in refused.value.extra["findings"]} == {"SUP-SATISFACTION", "ASM-NOTICE"}


# ── cancelling ────────────────────────────────────────────────────────────────────────────────


def test_only_the_filing_side_cancels_and_not_once_results_are_in(people: Cast) -> None:
    cls = ready(people)
    plan = file(people, cls)
    for outsider in (people.alice, people.city):
        with pytest.raises(NotPermitted):
            plan_cancel(plan=plan, actor=outsider, reason="x")
    with pytest.raises(InvalidInput):
        plan_cancel(plan=plan, actor=people.eve, reason="  ")
    results_record(plan=plan, actor=people.eve, results=[_absent(cls)])
    with pytest.raises(InvalidTransition, match="已录入考核结果"):
        plan_cancel(plan=plan, actor=people.eve, reason="改期")


def test_cancelling_is_audited_and_bumps_the_version(people: Cast) -> None:
    plan = file(people, ready(people))
    cancelled = plan_cancel(plan=plan, actor=people.eve, reason="场地调整")
    assert cancelled.state == AssessmentPlan.State.CANCELLED and cancelled.version == 2
    event = AuditEvent.objects.get(event="assessment.plan_cancel")
    assert event.note == "场地调整" and event.changes["state"] == ["filed", "cancelled"]
    assert plan_cancel(plan=plan, actor=people.eve, reason="again").version == 2  # a retry changes nothing


def test_an_evaluator_of_a_body_that_is_not_an_evaluation_body_cannot_file(people: Cast) -> None:
    school_evaluator = user("ivan", "evaluator", inst=people.yuzhou_school)
    with pytest.raises(NotPermitted):
        file(people, ready(people), actor=school_evaluator)


def test_an_evaluator_files_only_for_her_own_body(people: Cast) -> None:
    other = institution(
        "河南省某评价中心",
        area_key="area-weidu",
        seed=9,
        occupations=[people.lathe],
        kind=Institution.Kind.EVALUATION_BODY,
    )
    with pytest.raises(InvalidInput) as refused:
        file(people, ready(people), evaluation_body_id=other.pk)
    assert refused.value.fields[0]["path"] == "evaluation_body_id"


def _absent(cls: TrainingClass) -> ResultInput:
    return ResultInput(roster(cls)[0].pk, "absent")
