"""Reads of online-audit results, always through the reader's scope.

A result belongs to a learner (the keyed hash of a resident ID, as Person.id_hash) and a course
code, not to a class: the same platform course can be studied by the trainees of several classes.
So a reader sees a result when the learner is on the roster of a class in their scope
(jineng.classes.selectors.classes_for) that studies that course — an institution its own classes'
trainees, a county or a department the classes it covers — and a worker their own results.
Anything else does not exist for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from jineng.accounts.models import Role, User
from jineng.audit.services import mask_text
from jineng.classes.models import Enrollment, TrainingClass
from jineng.classes.selectors import class_scope, classes_for
from jineng.ids import mask_ric
from jineng.policy.catalog import BY_ID
from jineng.registry.models import Person

from .models import OnlineCourse, OnlineResult

STATUS_ZH = {"recognised": "学时认定", "not_recognised": "不予认定", "pending": "暂无学习记录"}


def results_for(user: User) -> QuerySet[OnlineResult]:
    """The results `user` may read."""
    none = OnlineResult.objects.none()
    if not user.is_authenticated or not user.is_active:
        return none
    if user.role == Role.WORKER:
        if user.person_id is None:
            return none
        own = Person.objects.filter(pk=user.person_id).values("id_hash")
        return OnlineResult.objects.filter(learner__in=own)
    if class_scope(user) is None:
        return none
    enrolled = Enrollment.objects.filter(
        training_class__in=classes_for(user).values("pk"),
        training_class__online_courses__code=OuterRef("course"),
        person__id_hash=OuterRef("learner"),
    )
    return OnlineResult.objects.filter(Exists(enrolled))


def result_get(user: User, pk: int) -> OnlineResult | None:
    """The result if `user` may read it; None otherwise (the caller answers 404 either way)."""
    return results_for(user).filter(pk=pk).first()


def evidence(result: OnlineResult, *, clear: bool) -> list[dict[str, Any]]:
    """The stored findings with what each rule requires: rule, clause, session, when, why."""
    items = []
    for item in result.findings if isinstance(result.findings, list) else []:
        rule = str(item.get("rule", ""))
        spec = BY_ID.get(rule)
        message = str(item.get("message", ""))
        items.append(
            {
                "rule": rule,
                "requirement": spec.requirement if spec else "",
                "clause": spec.clause if spec else "",
                "session": str(item.get("session", "")),
                "at": item.get("at"),
                "message": message if clear else mask_text(message),
            }
        )
    return items


@dataclass(frozen=True, slots=True)
class ClassResultRow:
    """One trainee × one of the class's online courses; `result` is None until events arrive."""

    row: int
    name: str
    id_number: str  # masked: this is a list
    course: OnlineCourse
    result: OnlineResult | None

    @property
    def status(self) -> str:
        if self.result is None:
            return "pending"
        return "recognised" if self.result.recognised else "not_recognised"


@dataclass(frozen=True, slots=True)
class ClassResultPage:
    count: int
    rows: list[ClassResultRow]
    courses: list[OnlineCourse]


def class_results(user: User, cls: TrainingClass, *, limit: int, offset: int) -> ClassResultPage:
    """The online results of a class the caller may see (class_get answered already): its roster
    × its online courses, in roster order, a missing result shown as pending. Three statements
    whatever the page: roster, courses, and the page's results.
    """
    roster = list(cls.enrollments.select_related("person").order_by("row", "id"))
    if user.role == Role.WORKER:  # a worker sees their own line, not the other trainees
        roster = [e for e in roster if e.person_id == user.person_id]
    courses = list(cls.online_courses.select_related("platform").order_by("code"))
    pairs = [(entry, course) for entry in roster for course in courses]
    page = pairs[offset : offset + limit]
    found: dict[tuple[str, str], OnlineResult] = {}
    if page:
        learners = {entry.person.id_hash for entry, _ in page}
        codes = {course.code for _, course in page}
        found = {(r.learner, r.course): r for r in OnlineResult.objects.filter(learner__in=learners, course__in=codes)}
    rows = [
        ClassResultRow(
            row=entry.row,
            name=entry.person.name,
            id_number=mask_ric(entry.person.id_number),
            course=course,
            result=found.get((entry.person.id_hash, course.code)),
        )
        for entry, course in page
    ]
    return ClassResultPage(count=len(pairs), rows=rows, courses=courses)


def learners(keys: Iterable[str]) -> dict[str, Person]:
    """The registered persons behind stored learners (keyed hashes), by hash, in one query.

    A learner nobody registered (a platform's user on no roster) is absent: a result shows no
    resident ID then, as only its hash is stored.
    """
    return {p.id_hash: p for p in Person.objects.filter(id_hash__in=set(keys))}


def course_named(code: str) -> OnlineCourse | None:
    return OnlineCourse.objects.select_related("platform").filter(code=code).first()
