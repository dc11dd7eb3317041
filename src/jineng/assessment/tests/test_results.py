"""Recording results and certificates: the evaluator of the plan's body only, on or after the date;
every bad row named and nothing written; assessed_on set for passed and failed, NULL for absent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from jineng.assessment.models import AssessmentPlan, AssessmentResult, CertificateRecord
from jineng.assessment.services import CertificateInput, ResultInput, plan_cancel, results_record
from jineng.audit.models import AuditEvent
from jineng.classes.errors import InvalidInput, InvalidTransition, NotPermitted
from jineng.classes.models import Enrollment
from jineng.registry.models import Institution
from jineng.testing import Cast, institution, user

from .scenes import ASSESS_ON, file, passed, ready, roster

pytestmark = pytest.mark.django_db


def assessed_on(entry: Enrollment) -> dt.date | None:
    return Enrollment.objects.get(pk=entry.pk).assessed_on


def test_passed_and_failed_set_assessed_on_and_absent_leaves_it_null(people: Cast) -> None:
    cls = ready(people)
    plan = file(people, cls)
    a, b, c = roster(cls)
    written = results_record(
        plan=plan,
        actor=people.eve,
        results=[passed(a, "XC-0001"), ResultInput(b.pk, "failed", Decimal("52.5")), ResultInput(c.pk, "absent")],
    )
    assert [r.outcome for r in written] == ["passed", "failed", "absent"]
    assert assessed_on(a) == ASSESS_ON and assessed_on(b) == ASSESS_ON
    assert assessed_on(c) is None  # not assessed: ASM-REPEAT / TRN-COOLDOWN read NULL
    certificate = CertificateRecord.objects.get()
    assert (certificate.person_id, certificate.enrollment_id, certificate.number) == (a.person_id, a.pk, "XC-0001")
    assert (certificate.kind, certificate.level, certificate.occupation_id) == ("skill_level", 4, cls.occupation_id)
    assert certificate.issuer == people.evaluation_body.name
    plan.refresh_from_db()
    assert plan.state == AssessmentPlan.State.RESULTS and plan.version == 2


def test_the_call_is_audited_with_counts(people: Cast) -> None:
    cls = ready(people)
    plan = file(people, cls)
    a, b, c = roster(cls)
    results_record(
        plan=plan, actor=people.eve, results=[passed(a, "N1"), ResultInput(b.pk, "failed"), ResultInput(c.pk, "absent")]
    )
    event = AuditEvent.objects.get(event="assessment.results_record")
    assert "合格 1、不合格 1、缺考 1" in event.note and "证书新增 1" in event.note
    assert a.person.id_number not in str(event.changes)  # IDs masked in the log


def test_certificates_are_passed_on_to_vouchers(people: Cast, voucher_calls: list[dict[str, Any]]) -> None:
    cls = ready(people)
    plan = file(people, cls)
    a, b, _ = roster(cls)
    results_record(plan=plan, actor=people.eve, results=[passed(a, "N1"), ResultInput(b.pk, "failed")])
    [call] = voucher_calls
    assert [c.number for c in call["certificates"]] == ["N1"] and call["actor"] == people.eve
    assert all(c.pk for c in call["certificates"])  # saved, so vouchers may point at them


def test_a_duplicate_certificate_number_in_the_batch_is_refused_and_nothing_is_written(people: Cast) -> None:
    cls = ready(people)
    plan = file(people, cls)
    a, b, c = roster(cls)
    with pytest.raises(InvalidInput) as refused:
        results_record(
            plan=plan,
            actor=people.eve,
            results=[ResultInput(a.pk, "failed"), passed(b, "DUP-1"), passed(c, "DUP-1")],
        )
    assert [f["message"] for f in refused.value.fields] == [
        "第3行 证书编号：DUP-1 与第2行重复（同一类别的证书编号不能重复）"
    ]
    assert not AssessmentResult.objects.exists() and not CertificateRecord.objects.exists()
    assert assessed_on(a) is None
    plan.refresh_from_db()
    assert plan.state == AssessmentPlan.State.FILED and plan.version == 1


def test_a_certificate_number_already_on_record_is_refused_naming_the_row(people: Cast) -> None:
    earlier = ready(people, first=20)
    first_plan = file(people, earlier)
    results_record(plan=first_plan, actor=people.eve, results=[passed(roster(earlier)[0], "TAKEN-9")])
    cls = ready(people)
    plan = file(people, cls)
    a, b, _ = roster(cls)
    with pytest.raises(InvalidInput) as refused:
        results_record(plan=plan, actor=people.eve, results=[passed(a, "FREE-1"), passed(b, "TAKEN-9")])
    [problem] = refused.value.fields
    assert problem["message"].startswith("第2行 证书编号：TAKEN-9 已被另一张职业技能等级证书使用")
    assert CertificateRecord.objects.count() == 1


def test_the_same_number_of_another_kind_is_not_a_duplicate(people: Cast) -> None:
    cls = ready(people)
    plan = file(people, cls)
    a, b, _ = roster(cls)
    results_record(
        plan=plan,
        actor=people.eve,
        results=[passed(a, "S-1"), passed(b, "S-1", kind="special_capability")],
    )
    assert sorted(CertificateRecord.objects.values_list("kind", "level")) == [
        ("skill_level", 4),
        ("special_capability", None),
    ]


def test_every_bad_row_is_named(people: Cast) -> None:
    cls = ready(people)
    plan = file(people, cls)
    a, b, c = roster(cls)
    outsider = ready(people, first=30)
    with pytest.raises(InvalidInput) as refused:
        results_record(
            plan=plan,
            actor=people.eve,
            results=[
                ResultInput(a.pk, "failed", None, CertificateInput("X", ASSESS_ON)),
                ResultInput(b.pk, "maybe"),
                ResultInput(c.pk, "passed", Decimal("101")),
                ResultInput(roster(outsider)[0].pk, "passed"),
                ResultInput(a.pk, "absent"),
                passed(b, "Y", issued_on=ASSESS_ON - dt.timedelta(days=1)),
            ],
        )
    messages = [f["message"] for f in refused.value.fields]
    assert any(m.startswith("第1行 证书") and "合格" in m for m in messages)
    assert any(m.startswith("第2行 考核结果") for m in messages)
    assert any(m.startswith("第3行 成绩") for m in messages)
    assert any(m.startswith("第4行 学员") for m in messages)
    assert any(m.startswith("第5行 学员") and "第1行" in m for m in messages)
    assert any(m.startswith("第6行 发证日期") for m in messages)
    assert not AssessmentResult.objects.exists()


def test_recording_again_replaces_the_result_and_the_certificate(people: Cast) -> None:
    cls = ready(people)
    plan = file(people, cls)
    a, b, _ = roster(cls)
    results_record(plan=plan, actor=people.eve, results=[passed(a, "OLD-1"), passed(b, "B-1")])
    first_id = CertificateRecord.objects.get(number="OLD-1").pk
    results_record(plan=plan, actor=people.eve, results=[passed(a, "NEW-1"), ResultInput(b.pk, "absent")])
    assert AssessmentResult.objects.count() == 2
    assert AssessmentResult.objects.get(enrollment=b).outcome == "absent"
    assert list(CertificateRecord.objects.values_list("pk", "number")) == [(first_id, "NEW-1")]
    assert assessed_on(b) is None
    plan.refresh_from_db()
    assert plan.version == 3


def test_only_the_evaluator_of_the_plans_body_records(people: Cast) -> None:
    cls = ready(people)
    plan = file(people, cls)
    other_body = institution(
        "另一评价机构", area_key="area-weidu", seed=8, occupations=[people.lathe], kind=Institution.Kind.EVALUATION_BODY
    )
    stranger = user("olga", "evaluator", inst=other_body)
    for who in (people.alice, people.city, stranger):
        with pytest.raises(NotPermitted):
            results_record(plan=plan, actor=who, results=[ResultInput(roster(cls)[0].pk, "absent")])
    assert not AssessmentResult.objects.exists()


def test_results_are_refused_before_the_assessment_date(people: Cast) -> None:
    cls = ready(people)
    plan = file(people, cls)
    entry = roster(cls)[0]
    with pytest.raises(InvalidTransition, match="考核之后才能录入"):
        results_record(
            plan=plan, actor=people.eve, results=[ResultInput(entry.pk, "failed")], today=ASSESS_ON - dt.timedelta(1)
        )
    results_record(plan=plan, actor=people.eve, results=[ResultInput(entry.pk, "failed")], today=ASSESS_ON)
    assert assessed_on(entry) == ASSESS_ON


def test_a_cancelled_plan_takes_no_results(people: Cast) -> None:
    cls = ready(people)
    plan = file(people, cls)
    plan_cancel(plan=plan, actor=people.eve, reason="取消")
    with pytest.raises(InvalidTransition, match="已取消"):
        results_record(plan=plan, actor=people.eve, results=[ResultInput(roster(cls)[0].pk, "failed")])


def test_a_pooled_plan_takes_results_for_trainees_of_each_class(people: Cast) -> None:
    first, second = ready(people), ready(people, first=10)
    plan = file(people, first, second)
    results_record(
        plan=plan, actor=people.eve, results=[passed(roster(first)[0], "P-1"), passed(roster(second)[0], "P-2")]
    )
    assert CertificateRecord.objects.count() == 2
