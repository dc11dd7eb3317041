"""Reads of classes, always through the reader's scope; gathering a class's facts for the rules engine."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Any

from django.db import connection
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from jineng.accounts.models import Role, User
from jineng.policy.engine import Evaluation, evaluate, policy_for
from jineng.policy.facts import validate_document
from jineng.policy.loader import policies
from jineng.registry.models import AuditProblem, BlacklistEntry, Institution, InstitutionSpecialty, OrgUnit, Person
from jineng.workdays import Deadline, add_working_days

from .models import COUNTED_STATES, ClassState, Enrollment, ReviewStep, Teacher, TrainingClass, TrainingType
from .workflow import PENDING_STAGE, STAGE_ROLES, Transition, available, transition_roles

CITY_CODE = "411000"  # 许昌市: every area of annex 1 belongs to it


def _unit_scope(user: User) -> Q | None:
    """Classes an official's org unit covers: the city covers all, an area its own, a department what it leads."""
    org: OrgUnit | None = user.org
    if org is None:
        return None
    if org.kind == OrgUnit.Kind.CITY:
        return Q()
    if org.kind == OrgUnit.Kind.AREA:
        return Q(area=org)
    if org.kind == OrgUnit.Kind.DEPARTMENT:
        return Q(lead_department=org)
    return None


def class_scope(user: User) -> Q | None:
    """The Q that limits classes to what `user` may see; None means nothing at all."""
    if not user.is_authenticated or not user.is_active:
        return None
    role = user.role
    if role in (Role.INSTITUTION_CLERK, Role.EVALUATOR):
        return Q(institution_id=user.institution_id) if user.institution_id else None
    if role == Role.DEPT_REVIEWER:
        return Q(lead_department=user.org) if user.org and user.org.kind == OrgUnit.Kind.DEPARTMENT else None
    if role == Role.AREA_HR:
        return Q(area=user.org) if user.org and user.org.kind == OrgUnit.Kind.AREA else None
    if role in (Role.CITY_HR, Role.LEADER):
        return _unit_scope(user)
    if role == Role.FINANCE:
        # 财政局 pays for approved classes city-wide; it has no business with applications.
        return Q(state=ClassState.APPROVED) if user.org is not None else None
    if role == Role.WORKER:
        return Q(enrollments__person_id=user.person_id) if user.person_id else None
    # System, audit and security administrators run the system; they do not read cases.
    return None


def classes_for(user: User) -> QuerySet[TrainingClass]:
    scope = class_scope(user)
    base = TrainingClass.objects.select_related("institution", "occupation", "area", "lead_department")
    if scope is None:
        return base.none()
    return base.filter(scope).distinct() if user.role == Role.WORKER else base.filter(scope)


def class_get(user: User, pk: int) -> TrainingClass | None:
    """The class if `user` may see it; None otherwise (the caller answers 404 either way)."""
    return classes_for(user).filter(pk=pk).first()


def class_list(
    user: User,
    *,
    state: str | None = None,
    area: int | None = None,
    occupation: str | None = None,
    query: str | None = None,
    year: int | None = None,
) -> QuerySet[TrainingClass]:
    qs = classes_for(user).annotate(trainee_count=Count("enrollments", distinct=True))
    if state:
        qs = qs.filter(state=state)
    if area:
        qs = qs.filter(area_id=area)
    if occupation:
        qs = qs.filter(Q(occupation__code=occupation) | Q(occupation__name__contains=occupation))
    if year:
        qs = qs.filter(start__year=year)
    if query:
        qs = qs.filter(Q(code__icontains=query) | Q(name__icontains=query) | Q(institution__name__icontains=query))
    return qs.order_by("-created_at", "-id")


# ── facts for the rules engine ────────────────────────────────────────────────────────────────


def _institution_facts(cls: TrainingClass, as_of: dt.date) -> tuple[dict[str, Any], bool]:
    """The institution's facts and whether a local alternative exists (CLS-CROSS-CITY), in two queries.

    Blacklist, last obvious problem and the local alternative are scalar subqueries of one plain SQL
    statement: at roster-check rates, compiling ORM subqueries costs more than the database's work
    (bench/roster_check.py).
    """
    institution = cls.institution
    blacklist, problems = BlacklistEntry._meta.db_table, AuditProblem._meta.db_table
    specialty, inst = InstitutionSpecialty._meta.db_table, Institution._meta.db_table
    sql = f"""
        SELECT
          EXISTS (SELECT 1 FROM {blacklist} b WHERE b.institution_id = %s AND b.listed_on <= %s
                  AND (b.lifted_on IS NULL OR b.lifted_on > %s)),
          (SELECT MAX(p.found_on) FROM {problems} p WHERE p.institution_id = %s AND p.obvious AND p.found_on <= %s),
          EXISTS (SELECT 1 FROM {specialty} s JOIN {inst} i ON i.id = s.institution_id
                  WHERE s.occupation_id = %s AND s.effective_from <= %s
                    AND (s.effective_to IS NULL OR s.effective_to > %s)
                    AND i.home_city = %s AND i.active AND s.institution_id <> %s
                    AND NOT EXISTS (SELECT 1 FROM {blacklist} x WHERE x.institution_id = s.institution_id
                                    AND x.listed_on <= %s AND x.lifted_on IS NULL))
    """
    pk, start = institution.pk, cls.start
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk, as_of, as_of, pk, as_of, cls.occupation_id, start, start, CITY_CODE, pk, start])
        row = cursor.fetchone()
    blacklisted, problem_found_on, local_alternative = bool(row[0]), _date(row[1]), bool(row[2])
    in_force = Q(effective_to__isnull=True) | Q(effective_to__gt=as_of)
    specialties = [
        {"occupation": code, "from": start}
        for code, start in InstitutionSpecialty.objects.filter(institution_id=institution.pk)
        .filter(in_force)
        .values_list("occupation__code", "effective_from")
    ]
    facts = {
        "id": str(institution.pk),
        "name": institution.name,
        "uscc": institution.uscc,
        "kind": institution.kind,
        "home_city": institution.home_city,
        "academic_education": institution.academic_education,
        "listed_specialties": specialties,
        "blacklisted": blacklisted,
        "problem_found_on": problem_found_on,
        "has_site": institution.has_site,
        "has_facilities": institution.has_facilities,
    }
    return facts, local_alternative


def _apprentices_before(cls: TrainingClass) -> dict[str, int]:
    if cls.training_type != TrainingType.APPRENTICESHIP:
        return {"institution_this_year": 0, "same_enterprise_occupation": 0}
    others = Enrollment.objects.filter(
        training_class__institution_id=cls.institution_id,
        training_class__training_type=TrainingType.APPRENTICESHIP,
        training_class__state__in=COUNTED_STATES,
        training_class__start__year=cls.start.year,
    ).exclude(training_class_id=cls.pk)
    counts = others.aggregate(
        year=Count("id"),
        same=Count(
            "id",
            filter=Q(
                training_class__enterprise_uscc=cls.enterprise_uscc,
                training_class__occupation_id=cls.occupation_id,
            ),
        ),
    )
    return {"institution_this_year": counts["year"], "same_enterprise_occupation": counts["same"]}


def _date(value: Any) -> dt.date | None:
    # SQLite hands back an aggregate or raw-selected date as text; PostgreSQL as a date.
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def roster_history(class_id: int, *, before: dt.date) -> dict[int, list[dict[str, Any]]]:
    """Every counted enrollment, at any institution, of the persons on this class's roster, in one
    statement (no N+1): the roster is a subquery, so no IN list of 80 parameters is built and bound.

    Counted: approved classes starting on or before `before` (this class's end), other than this one.
    """
    sql = f"""
        SELECT h.person_id, c.code, c.subsidised, c."end", h.assessed_on
        FROM {Enrollment._meta.db_table} h
        JOIN {TrainingClass._meta.db_table} c ON c.id = h.training_class_id
        WHERE h.person_id IN (SELECT r.person_id FROM {Enrollment._meta.db_table} r WHERE r.training_class_id = %s)
          AND c.state IN ({", ".join(["%s"] * len(COUNTED_STATES))})
          AND c.start <= %s
          AND c.id <> %s
        ORDER BY h.person_id, c."end"
    """
    history: dict[int, list[dict[str, Any]]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, [class_id, *[str(s) for s in COUNTED_STATES], before, class_id])
        for person_id, code, subsidised, end, assessed_on in cursor.fetchall():
            history[person_id].append(
                {"class_id": code, "subsidised": bool(subsidised), "end": _date(end), "assessed_on": _date(assessed_on)}
            )
    return history


def _json(value: Any) -> Any:
    # Raw SQL hands JSON columns back as text on both backends (Django decodes them only in the ORM).
    return json.loads(value) if isinstance(value, str | bytes) else value


def _roster_and_teachers(class_id: int) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
    """Teachers and roster rows (with each person's ID and name) in two plain statements."""
    teacher_table, enrollment, person = Teacher._meta.db_table, Enrollment._meta.db_table, Person._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT name, certified FROM {teacher_table} WHERE training_class_id = %s ORDER BY id", [class_id]
        )
        teachers = [{"name": name, "certified": bool(certified)} for name, certified in cursor.fetchall()]
        cursor.execute(
            f"""SELECT e.person_id, p.id_number, p.name, e.category, e.student, e.employee, e.inmate, e.questionnaire
                FROM {enrollment} e JOIN {person} p ON p.id = e.person_id
                WHERE e.training_class_id = %s ORDER BY e."row", e.id""",
            [class_id],
        )
        rows = [(*row[:4], *(_json(v) for v in row[4:])) for row in cursor.fetchall()]
    return teachers, rows


def class_facts_dict(cls: TrainingClass, *, as_of: dt.date | None = None) -> dict[str, Any]:
    """The class-facts document of this class (contract: class-facts.md), as Python values."""
    as_of = as_of or cls.start
    occupation = cls.occupation
    teachers, enrollments = _roster_and_teachers(cls.pk)
    history = roster_history(cls.pk, before=cls.end) if enrollments else {}
    institution, local_alternative = _institution_facts(cls, as_of)
    platform = cls.online_platform
    return {
        "as_of": as_of,
        "institution": institution,
        "class": {
            "id": cls.code,
            "city": CITY_CODE,
            "county": cls.area.region_code or cls.area.key,
            "occupation": {
                "code": occupation.code,
                "name": occupation.name,
                "class_code": occupation.class_code,
                "manufacturing": occupation.manufacturing,
                "certificate_routes": list(occupation.certificate_routes),
                "set_hours": occupation.set_hours,
            },
            "level": cls.level,
            "training_type": cls.training_type,
            "certificate": cls.certificate,
            "subsidised": cls.subsidised,
            "start": cls.start,
            "end": cls.end,
            "minutes_per_hour": cls.minutes_per_hour,
            "hours": {"theory": cls.hours_theory, "practical": cls.hours_practical, "online_theory": cls.hours_online},
            "online_platform": (
                {"id": platform.code, "listed": platform.listed, "connected": platform.connected} if platform else None
            ),
            "teachers": teachers,
            "workstations": cls.workstations,
            "enterprise": (
                {"uscc": cls.enterprise_uscc, "name": cls.enterprise_name}
                if cls.enterprise_name or cls.training_type == TrainingType.APPRENTICESHIP
                else None
            ),
            "apprentices_before": _apprentices_before(cls),
            "cross_city_approval": cls.cross_city_approval,
            "local_alternative_exists": local_alternative,
        },
        "trainees": [
            {
                "id_number": id_number,
                "name": name,
                "category": category,
                "student": student,
                "employee": employee,
                "inmate": inmate,
                "questionnaire": questionnaire,
                "previous_trainings": history.get(person_id, []),
            }
            for person_id, id_number, name, category, student, employee, inmate, questionnaire in enrollments
        ],
    }


def evaluate_facts(data: dict[str, Any]) -> Evaluation:
    """The rules engine on gathered facts (the same engine as `jineng check-class`); raises InvalidDocument."""
    known = policies()
    doc = validate_document(data, policies=known)
    return evaluate(doc, policy_for(doc, known))


# ── to-do lists and deadlines ─────────────────────────────────────────────────────────────────


def todo_for(user: User) -> QuerySet[TrainingClass]:
    """Classes waiting on `user` now (待办): a clerk's drafts and returns, a reviewer's pending stage.

    A reviewer does not see, as a to-do, a class they applied for or whose current stage they
    already signed (they could not act on it: SUB-TWO-PERSON).
    """

    qs = classes_for(user)
    if user.role == Role.INSTITUTION_CLERK:
        return qs.filter(state__in=(ClassState.DRAFT, ClassState.RETURNED)).order_by("state_since", "id")
    states = [state for state, stage in PENDING_STAGE.items() if user.role in STAGE_ROLES[stage]]
    if not states:
        return qs.none()
    qs = qs.filter(state__in=states).exclude(created_by=user).exclude(submitted_by=user)
    # The first signer of the current round waits for someone else's 复核: the step that moved the
    # class into its present state (the latest one, so an earlier round's 初审 does not count).
    entered_by = (
        ReviewStep.objects.filter(training_class=OuterRef("pk"), to_state=OuterRef("state"))
        .order_by("-at", "-id")
        .values("actor_id")[:1]
    )
    return (
        qs.annotate(entered_by=Subquery(entered_by))
        .exclude(state__in=(ClassState.DEPT_FIRST, ClassState.HR_FIRST), entered_by=user.pk)
        .order_by("state_since", "id")
    )


def pending_deadline(cls: TrainingClass) -> Deadline | None:
    """The working-day deadline of the review step `cls` waits on, or None when nothing is pending.

    The plan sets 10 working days for the industry department's review of a claim (附件3,
    SUB-INDUSTRY-DEADLINE); jineng applies the same period to each pending review step of a class
    application (docs/decisions.md).
    """

    if cls.state not in PENDING_STAGE or cls.state_since is None:
        return None
    policy = policies().in_force(cls.start) or max(policies().policies, key=lambda p: p.end)
    days = policy.parameters_on(max(policy.start, min(cls.start, policy.end))).industry_review_working_days
    return add_working_days(timezone.localtime(cls.state_since).date(), days)


def actions_for(user: User, cls: TrainingClass) -> list[Transition]:
    """The transitions `user` may take on `cls` now, as the UI and the API offer them (the service decides).

    Signing and submitting only when the class waits on the user (their to-do list leaves out the
    applicant and a stage's first signer, SUB-TWO-PERSON); return/reject to every reviewer of the
    pending stage.
    """

    candidates = [t for t in available(cls.state) if user.role in transition_roles(t, cls.state)]
    if not candidates:
        return []
    waiting_on_me = todo_for(user).filter(pk=cls.pk).exists()
    return [t for t in candidates if t.needs_reasons or waiting_on_me]


def roster_for(user: User, cls: TrainingClass) -> QuerySet[Enrollment]:
    """The roster entries `user` may read: a worker sees only their own entry, officials all of it."""
    entries = cls.enrollments.select_related("person").order_by("row")
    if user.role == Role.WORKER:
        return entries.filter(person_id=user.person_id) if user.person_id else entries.none()
    return entries


def findings_for(user: User, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings `user` may read: a worker sees the class's and institution's, and only their own trainee ones."""
    if user.role != Role.WORKER:
        return findings
    own = f"trainee:{user.person.id_number}" if user.person_id and user.person else None
    return [f for f in findings if not str(f.get("subject", "")).startswith("trainee:") or f.get("subject") == own]
