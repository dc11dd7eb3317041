"""A class from application to approval: who may act, when, and what the record keeps.

The cast (jineng.testing.Cast): alice clerks for a 禹州 school; dan1/dan2 review for 市工信局,
which leads alice's classes; erin reviews for another department; hana1/hana2 are 禹州 HR;
carol is 长葛 HR; cityhr is 市人社局.
"""

from __future__ import annotations

import datetime as dt

import pytest

from jineng.audit.models import AuditEvent
from jineng.classes.errors import InvalidInput, InvalidTransition, NotPermitted, RuleBlocked, StaleVersion
from jineng.classes.models import ClassState, ReviewStep, TrainingClass
from jineng.classes.services import TeacherInput, class_create, class_set_teachers, class_transition, roster_remove
from jineng.testing import Cast, class_input, enroll, person, unit

A = ReviewStep.Action


def ready_class(people: Cast, trainees: int = 40) -> TrainingClass:
    cls = class_create(actor=people.alice, data=class_input())
    cls = class_set_teachers(
        cls=cls,
        actor=people.alice,
        expected_version=cls.version,
        teachers=[TeacherInput("张老师", True), TeacherInput("李老师", True)],
    )
    enroll(cls, [person(i) for i in range(trainees)])
    return cls


def act(cls: TrainingClass, actor, action: str, **kw) -> TrainingClass:
    cls.refresh_from_db()
    class_transition(
        cls=cls, actor=actor, action=action, expected_version=cls.version, opinion=kw.pop("opinion", "同意"), **kw
    )
    cls.refresh_from_db()
    return cls


def test_the_whole_path_ends_approved_with_one_step_per_signature(people: Cast) -> None:
    cls = ready_class(people)
    for actor, action in [
        (people.alice, A.SUBMIT),
        (people.dan1, A.DEPT_FIRST),
        (people.dan2, A.DEPT_SECOND),
        (people.hana1, A.HR_FIRST),
        (people.hana2, A.HR_SECOND),
    ]:
        cls = act(cls, actor, action)
    assert cls.state == ClassState.APPROVED
    steps = list(cls.steps.values_list("action", "actor__username", "decision"))
    assert steps == [
        ("submit", "alice", "approve"),
        ("dept_first", "dan1", "approve"),
        ("dept_second", "dan2", "approve"),
        ("hr_first", "hana1", "approve"),
        ("hr_second", "hana2", "approve"),
    ]
    assert all(step.policy == "xuchang-2023" and step.findings == [] for step in cls.steps.all())


def test_every_transition_writes_exactly_the_expected_audit_rows(people: Cast) -> None:
    cls = ready_class(people)
    for actor, action in [(people.alice, A.SUBMIT), (people.dan1, A.DEPT_FIRST)]:
        cls = act(cls, actor, action)
    rows = list(
        AuditEvent.objects.filter(object_type="classes.trainingclass", object_id=str(cls.pk))
        .order_by("at", "id")
        .values_list("event", "actor__username", "changes")
    )
    assert [(event, who) for event, who, _ in rows] == [
        ("class.create", "alice"),
        ("class.teachers", "alice"),
        ("class.submit", "alice"),
        ("class.dept_first", "dan1"),
    ]
    assert rows[2][2] == {"state": ["draft", "submitted"], "version": [2, 3]}
    assert rows[3][2] == {"state": ["submitted", "dept_first"], "version": [3, 4]}


def test_submitting_is_refused_while_a_block_finding_stands_and_allowed_after_removing_one(people: Cast) -> None:
    cls = ready_class(people, trainees=80)
    cls = class_set_teachers(
        cls=cls,
        actor=people.alice,
        expected_version=cls.version,
        teachers=[TeacherInput(f"教师{i}", True) for i in range(5)],
    )
    enroll(cls, [person(500)])
    with pytest.raises(RuleBlocked) as refused:
        act(cls, people.alice, A.SUBMIT)
    assert [f["rule"] for f in refused.value.extra["findings"]] == ["CLS-SIZE"]
    assert TrainingClass.objects.get(pk=cls.pk).state == ClassState.DRAFT
    assert not ReviewStep.objects.filter(training_class=cls).exists()
    last = cls.enrollments.order_by("-row").first()
    assert last is not None
    cls.refresh_from_db()
    roster_remove(cls=cls, actor=people.alice, expected_version=cls.version, enrollment_id=last.pk)
    assert act(cls, people.alice, A.SUBMIT).state == ClassState.SUBMITTED


def test_it_refuses_the_first_signer_as_the_second_signer_of_a_stage(people: Cast) -> None:
    cls = ready_class(people)
    cls = act(cls, people.alice, A.SUBMIT)
    cls = act(cls, people.dan1, A.DEPT_FIRST)
    with pytest.raises(NotPermitted) as refused:
        act(cls, people.dan1, A.DEPT_SECOND)
    assert refused.value.extra["rule"] == "SUB-TWO-PERSON"
    cls = act(cls, people.dan2, A.DEPT_SECOND)
    cls = act(cls, people.hana1, A.HR_FIRST)
    with pytest.raises(NotPermitted, match="不同人员"):
        act(cls, people.hana1, A.HR_SECOND)


def test_it_refuses_the_applicant_as_a_signer(people: Cast) -> None:
    # An HR user who applied (in a fictional double role) may not sign: SUB-TWO-PERSON.
    cls = ready_class(people)
    TrainingClass.objects.filter(pk=cls.pk).update(created_by=people.dan1)
    cls = act(cls, people.alice, A.SUBMIT)
    with pytest.raises(NotPermitted) as refused:
        act(cls, people.dan1, A.DEPT_FIRST)
    assert refused.value.extra["rule"] == "SUB-TWO-PERSON"


@pytest.mark.parametrize("who", ["erin", "carol", "bob", "sam", "audrey", "leader", "finance"])
def test_users_outside_the_stage_or_scope_cannot_sign(people: Cast, who: str) -> None:
    cls = act(ready_class(people), people.alice, A.SUBMIT)
    with pytest.raises(NotPermitted):
        act(cls, getattr(people, who), A.DEPT_FIRST)


def test_hr_of_another_area_cannot_sign_but_city_hr_can(people: Cast) -> None:
    cls = ready_class(people)
    for actor, action in [(people.alice, A.SUBMIT), (people.dan1, A.DEPT_FIRST), (people.dan2, A.DEPT_SECOND)]:
        cls = act(cls, actor, action)
    with pytest.raises(NotPermitted, match="管辖范围"):
        act(cls, people.carol, A.HR_FIRST)
    assert act(cls, people.city, A.HR_FIRST).state == ClassState.HR_FIRST


def test_approving_an_approved_class_again_is_refused(people: Cast) -> None:
    cls = ready_class(people)
    for actor, action in [
        (people.alice, A.SUBMIT),
        (people.dan1, A.DEPT_FIRST),
        (people.dan2, A.DEPT_SECOND),
        (people.hana1, A.HR_FIRST),
        (people.hana2, A.HR_SECOND),
    ]:
        cls = act(cls, actor, action)
    with pytest.raises(InvalidTransition, match="已批准开班"):
        act(cls, people.city, A.HR_SECOND)


def test_acting_on_a_stale_version_is_refused_and_changes_nothing(people: Cast) -> None:
    cls = act(ready_class(people), people.alice, A.SUBMIT)
    stale = cls.version
    cls = act(cls, people.dan1, A.DEPT_FIRST)
    with pytest.raises(StaleVersion):
        class_transition(cls=cls, actor=people.dan2, action=A.DEPT_SECOND, expected_version=stale, opinion="同意")
    assert TrainingClass.objects.get(pk=cls.pk).state == ClassState.DEPT_FIRST


def test_return_needs_reasons_and_starts_a_new_round_of_signatures(people: Cast) -> None:
    cls = act(ready_class(people), people.alice, A.SUBMIT)
    cls = act(cls, people.dan1, A.DEPT_FIRST)
    with pytest.raises(InvalidInput) as refused:
        act(cls, people.dan2, A.RETURN, reasons=[" "])
    assert refused.value.fields[0]["path"] == "reasons"
    cls = act(cls, people.dan2, A.RETURN, reasons=["师资证书不全"])
    assert cls.state == ClassState.RETURNED
    cls = act(cls, people.alice, A.SUBMIT)
    # A new round: dan2 may now sign 初审 and dan1 复核.
    cls = act(cls, people.dan2, A.DEPT_FIRST)
    assert act(cls, people.dan1, A.DEPT_SECOND).state == ClassState.DEPT_APPROVED


def test_reject_is_final(people: Cast) -> None:
    cls = act(ready_class(people), people.alice, A.SUBMIT)
    cls = act(cls, people.dan1, A.REJECT, reasons=["重复申报"])
    assert cls.state == ClassState.REJECTED
    with pytest.raises(InvalidTransition):
        act(cls, people.alice, A.SUBMIT)


def test_a_clerk_cannot_take_a_review_step_and_a_reviewer_cannot_submit(people: Cast) -> None:
    cls = ready_class(people)
    with pytest.raises(NotPermitted):
        act(cls, people.dan1, A.SUBMIT)
    cls = act(cls, people.alice, A.SUBMIT)
    with pytest.raises(NotPermitted):
        act(cls, people.alice, A.DEPT_FIRST)


def test_cooldown_applies_across_institutions(people: Cast) -> None:
    # Assessed 20 days before this class starts, at another institution: blocked (TRN-COOLDOWN).
    earlier = TrainingClass.objects.create(
        code="XC2023-OTHER",
        name="长葛班",
        institution=people.changge_school,
        occupation=people.lathe,
        training_type="employment",
        certificate="skill_level",
        lead_department=unit("dept-mii"),
        area=unit("area-changge"),
        start=dt.date(2023, 3, 1),
        end=dt.date(2023, 4, 1),
        created_by=people.bob,
        state=ClassState.APPROVED,
    )
    trainee = person(900)
    enroll(earlier, [trainee])
    earlier.enrollments.update(assessed_on=dt.date(2023, 5, 8) - dt.timedelta(days=20))
    cls = ready_class(people, trainees=10)
    enroll(cls, [trainee])
    with pytest.raises(RuleBlocked) as refused:
        act(cls, people.alice, A.SUBMIT)
    assert [(f["rule"], f["subject"]) for f in refused.value.extra["findings"]] == [
        ("TRN-COOLDOWN", f"trainee:{trainee.id_number}")
    ]


def test_an_empty_roster_is_cls_in_system(people: Cast) -> None:
    cls = class_create(actor=people.alice, data=class_input())
    with pytest.raises(RuleBlocked) as refused:
        act(cls, people.alice, A.SUBMIT)
    assert "CLS-IN-SYSTEM" in [f["rule"] for f in refused.value.extra["findings"]]


def test_bad_class_input_names_every_field_at_once(people: Cast) -> None:
    with pytest.raises(InvalidInput) as refused:
        class_create(
            actor=people.alice,
            data=class_input(
                name=" ", end=dt.date(2023, 5, 1), lead_department_id=people.hana1.org_id, enterprise_uscc="X"
            ),
        )
    assert {f["path"] for f in refused.value.fields} == {"name", "end", "lead_department_id", "enterprise_uscc"}
    assert not TrainingClass.objects.exists()


def test_only_a_clerk_with_an_institution_may_apply(people: Cast) -> None:
    with pytest.raises(NotPermitted):
        class_create(actor=people.dan1, data=class_input())


def test_a_signature_needs_an_opinion(people: Cast) -> None:
    cls = act(ready_class(people), people.alice, A.SUBMIT)
    with pytest.raises(InvalidInput) as refused:
        act(cls, people.dan1, A.DEPT_FIRST, opinion="  ")
    assert refused.value.fields == [{"path": "opinion", "message": "审核意见必填"}]


def test_the_todo_list_follows_the_current_round(people: Cast) -> None:
    from jineng.classes.selectors import todo_for

    cls = act(ready_class(people), people.alice, A.SUBMIT)
    assert list(todo_for(people.dan1)) == [cls] and list(todo_for(people.alice)) == []
    cls = act(cls, people.dan1, A.DEPT_FIRST)
    assert list(todo_for(people.dan1)) == [] and list(todo_for(people.dan2)) == [cls]
    cls = act(cls, people.dan2, A.RETURN, reasons=["补充材料"])
    assert list(todo_for(people.alice)) == [cls]
    cls = act(act(cls, people.alice, A.SUBMIT), people.dan2, A.DEPT_FIRST)
    # dan1 signed 初审 in the first round only: in this round he is the one to sign 复核.
    assert list(todo_for(people.dan1)) == [cls] and list(todo_for(people.dan2)) == []
    assert list(todo_for(people.erin)) == [] and list(todo_for(people.hana1)) == []


def test_out_of_range_values_are_named_before_the_database_sees_them(people: Cast) -> None:
    with pytest.raises(InvalidInput) as refused:
        class_create(
            actor=people.alice,
            data=class_input(name="班" * 201, hours_practical=40000, special_action=11, certificate="diploma"),
        )
    assert {f["path"] for f in refused.value.fields} == {"name", "hours_practical", "special_action", "certificate"}
