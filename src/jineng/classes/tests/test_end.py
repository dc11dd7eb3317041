"""结业: an approved class ends by its clerk, once SUP-INSPECTION is met; the record keeps the step.

The cast (jineng.testing.Cast): alice clerks for the 禹州 school and applies; dan1/dan2 sign for
市工信局; hana1/hana2 for 禹州 HR; bob clerks for another school.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from jineng.audit.models import AuditEvent
from jineng.classes.errors import InvalidTransition, NotPermitted, RuleBlocked, StaleVersion
from jineng.classes.models import COUNTED_STATES, ClassState, ReviewStep, TrainingClass
from jineng.classes.selectors import actions_for, class_get, todo_for
from jineng.classes.services import class_end, class_transition
from jineng.supervision.models import Inspection
from jineng.supervision.services import inspection_record
from jineng.testing import Cast

from .test_workflow import act, ready_class

pytestmark = pytest.mark.django_db
A = ReviewStep.Action


def approved(people: Cast) -> TrainingClass:
    cls = ready_class(people, trainees=10)
    for actor, action in [
        (people.alice, A.SUBMIT),
        (people.dan1, A.DEPT_FIRST),
        (people.dan2, A.DEPT_SECOND),
        (people.hana1, A.HR_FIRST),
        (people.hana2, A.HR_SECOND),
    ]:
        cls = act(cls, actor, action)
    return cls


def inspected(people: Cast, cls: TrainingClass, kind: str = Inspection.Kind.ONSITE) -> TrainingClass:
    inspection_record(
        cls=cls,
        actor=people.dan1,
        kind=kind,
        at=dt.datetime(2023, 5, 10, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        present_count=9,
        teachers_present=2,
    )
    cls.refresh_from_db()
    return cls


def test_ending_without_an_inspection_is_refused_by_sup_inspection(people: Cast) -> None:
    cls = approved(people)
    with pytest.raises(RuleBlocked) as refused:
        class_end(cls=cls, actor=people.alice, version=cls.version)
    assert [f["rule"] for f in refused.value.extra["findings"]] == ["SUP-INSPECTION"]
    assert TrainingClass.objects.get(pk=cls.pk).state == ClassState.APPROVED


@pytest.mark.parametrize("kind", [Inspection.Kind.ONSITE, Inspection.Kind.RANDOM, Inspection.Kind.REMOTE])
def test_one_inspection_of_any_kind_lets_the_clerk_end_the_class(people: Cast, kind: str) -> None:
    cls = inspected(people, approved(people), kind)
    step = class_end(cls=cls, actor=people.alice, version=cls.version, opinion="培训已按计划完成")
    cls.refresh_from_db()
    assert cls.state == ClassState.ENDED and ClassState.ENDED in COUNTED_STATES
    assert (step.action, step.from_state, step.to_state, step.actor, step.decision, step.policy) == (
        "end",
        "approved",
        "ended",
        people.alice,
        "approve",
        "xuchang-2023",
    )
    assert step.findings[0]["rule"] == "SUP-HEADCOUNT" and step.findings[0]["values"]["average_present"] == 9.0
    assert step.opinion == "培训已按计划完成" and step.class_version == cls.version - 1


def test_the_audit_log_holds_every_step_in_order(people: Cast) -> None:
    cls = inspected(people, approved(people))
    class_end(cls=cls, actor=people.alice, version=cls.version)
    log = list(
        AuditEvent.objects.filter(object_type="classes.trainingclass", object_id=str(cls.pk))
        .order_by("at", "id")
        .values_list("event", "actor__username")
    )
    assert log == [
        ("class.create", "alice"),
        ("class.teachers", "alice"),
        ("class.submit", "alice"),
        ("class.dept_first", "dan1"),
        ("class.dept_second", "dan2"),
        ("class.hr_first", "hana1"),
        ("class.hr_second", "hana2"),
        ("inspection.record", "dan1"),
        ("class.end", "alice"),
    ]
    last = AuditEvent.objects.filter(object_id=str(cls.pk), event="class.end").get()
    assert last.changes["state"] == ["approved", "ended"]


@pytest.mark.parametrize("who", ["bob", "dan1", "hana1", "city"])
def test_only_the_classs_own_clerk_ends_it(people: Cast, who: str) -> None:
    cls = inspected(people, approved(people))
    with pytest.raises(NotPermitted):
        class_end(cls=cls, actor=getattr(people, who), version=cls.version)


def test_a_stale_page_or_a_class_not_approved_cannot_end(people: Cast) -> None:
    cls = inspected(people, approved(people))
    with pytest.raises(StaleVersion):
        class_end(cls=cls, actor=people.alice, version=cls.version - 1)
    class_end(cls=cls, actor=people.alice, version=cls.version)
    cls.refresh_from_db()
    with pytest.raises(InvalidTransition):
        class_end(cls=cls, actor=people.alice, version=cls.version)
    draft = ready_class(people, trainees=2)
    with pytest.raises(InvalidTransition):
        class_end(cls=draft, actor=people.alice, version=draft.version)


def test_the_transitions_endpoint_action_end_goes_through_the_same_check(people: Cast) -> None:
    cls = approved(people)
    with pytest.raises(RuleBlocked):
        class_transition(cls=cls, actor=people.alice, action=A.END, expected_version=cls.version)
    cls = inspected(people, cls)
    assert class_transition(cls=cls, actor=people.alice, action=A.END, expected_version=cls.version).action == "end"


def test_the_clerk_is_offered_the_end_and_an_ended_class_stays_visible_to_finance(people: Cast) -> None:
    cls = approved(people)
    assert [t.action for t in actions_for(people.alice, cls)] == ["end"]
    assert actions_for(people.hana1, cls) == []
    # Once its last day has come, the class waits on the clerk to end it.
    assert cls in todo_for(people.alice)
    TrainingClass.objects.filter(pk=cls.pk).update(end=timezone.localdate() + dt.timedelta(days=1))
    assert cls not in todo_for(people.alice)
    cls = inspected(people, cls)
    class_end(cls=cls, actor=people.alice, version=cls.version)
    assert class_get(people.finance, cls.pk) is not None
    assert cls not in todo_for(people.alice)


def test_the_class_page_shows_the_clerk_the_end_button(people: Cast) -> None:
    cls = approved(people)
    client = Client()
    client.force_login(people.alice)
    body = client.get(f"/classes/{cls.pk}/").content.decode()
    assert 'data-testid="end-class"' in body and "结业" in body
    client.force_login(people.hana1)
    assert 'data-testid="end-class"' not in client.get(f"/classes/{cls.pk}/").content.decode()
    cls = inspected(people, cls)
    client.force_login(people.alice)
    response = client.post(f"/classes/{cls.pk}/act/", {"action": "end", "version": cls.version, "tab": "history"})
    assert response.status_code == 302
    assert TrainingClass.objects.get(pk=cls.pk).state == ClassState.ENDED
    body = client.get(f"/classes/{cls.pk}/?tab=history").content.decode()
    assert "已结业" in body and 'data-testid="end-class"' not in body
