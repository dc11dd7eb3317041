"""Reads of classes, always through the reader's scope; gathering a class's facts for the rules engine."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from jineng.accounts.models import Role, User
from jineng.policy.engine import Evaluation, evaluate, policy_for
from jineng.policy.facts import ClassDocument, validate_document
from jineng.policy.loader import PolicySet, policies
from jineng.registry.models import Institution, InstitutionSpecialty, OrgUnit

from .models import COUNTED_STATES, ClassState, Enrollment, TrainingClass, TrainingType

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
    if role in (Role.CITY_HR, Role.FINANCE, Role.LEADER):
        return _unit_scope(user)
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


def _institution_facts(institution: Institution, as_of: dt.date) -> dict[str, Any]:
    specialties = [
        {"occupation": code, "from": start}
        for code, start in InstitutionSpecialty.objects.filter(institution=institution)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=as_of))
        .values_list("occupation__code", "effective_from")
    ]
    blacklisted = institution.blacklist_entries.filter(
        Q(listed_on__lte=as_of), Q(lifted_on__isnull=True) | Q(lifted_on__gt=as_of)
    ).exists()
    problem = institution.audit_problems.filter(obvious=True, found_on__lte=as_of).aggregate(last=Max("found_on"))
    return {
        "id": str(institution.pk),
        "name": institution.name,
        "uscc": institution.uscc,
        "kind": institution.kind,
        "home_city": institution.home_city,
        "academic_education": institution.academic_education,
        "listed_specialties": specialties,
        "blacklisted": blacklisted,
        "problem_found_on": problem["last"],
        "has_site": institution.has_site,
        "has_facilities": institution.has_facilities,
    }


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


def _local_alternative_exists(cls: TrainingClass) -> bool:
    """Another unbarred local institution is catalogued for this occupation (CLS-CROSS-CITY)."""
    return (
        InstitutionSpecialty.objects.filter(
            occupation_id=cls.occupation_id,
            effective_from__lte=cls.start,
            institution__home_city=CITY_CODE,
            institution__active=True,
        )
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=cls.start))
        .exclude(institution_id=cls.institution_id)
        .exclude(
            institution__blacklist_entries__listed_on__lte=cls.start,
            institution__blacklist_entries__lifted_on__isnull=True,
        )
        .exists()
    )


def previous_trainings(
    person_ids: list[int], *, exclude_class: int | None, before: dt.date
) -> dict[int, list[dict[str, Any]]]:
    """Every counted enrollment of these persons at any institution, in one query (no N+1)."""
    rows = (
        Enrollment.objects.filter(
            person_id__in=person_ids,
            training_class__state__in=COUNTED_STATES,
            training_class__start__lte=before,
        )
        .exclude(training_class_id=exclude_class)
        .values_list(
            "person_id",
            "training_class__code",
            "training_class__subsidised",
            "training_class__end",
            "assessed_on",
        )
        .order_by("person_id", "training_class__end")
    )
    history: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for person_id, code, subsidised, end, assessed_on in rows:
        history[person_id].append({"class_id": code, "subsidised": subsidised, "end": end, "assessed_on": assessed_on})
    return history


def class_facts_dict(cls: TrainingClass, *, as_of: dt.date | None = None) -> dict[str, Any]:
    """The class-facts document of this class (contract: class-facts.md), as Python values."""
    as_of = as_of or cls.start
    occupation = cls.occupation
    teachers = [
        {"name": name, "certified": certified} for name, certified in cls.teachers.values_list("name", "certified")
    ]
    enrollments = list(
        cls.enrollments.order_by("row").values_list(
            "person_id",
            "person__id_number",
            "person__name",
            "category",
            "student",
            "employee",
            "inmate",
            "questionnaire",
        )
    )
    history = previous_trainings([e[0] for e in enrollments], exclude_class=cls.pk, before=cls.end)
    platform = cls.online_platform
    return {
        "as_of": as_of,
        "institution": _institution_facts(cls.institution, as_of),
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
            "local_alternative_exists": _local_alternative_exists(cls),
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


def class_document(cls: TrainingClass, *, known: PolicySet | None = None) -> ClassDocument:
    """Raises InvalidDocument when the record is incomplete (e.g. no hours yet)."""
    return validate_document(class_facts_dict(cls), policies=known or policies())


def class_evaluate(cls: TrainingClass) -> Evaluation:
    """The rules engine on this class as the database holds it (the same engine as `jineng check-class`)."""
    known = policies()
    doc = class_document(cls, known=known)
    evaluation = evaluate(doc, policy_for(doc, known))
    return evaluation


def roster_size(cls: TrainingClass) -> tuple[int, int]:
    counts = TrainingClass.objects.filter(pk=cls.pk).aggregate(
        trainees=Count("enrollments", distinct=True), teachers=Count("teachers", distinct=True)
    )
    return counts["trainees"], counts["teachers"]


# ── to-do lists and deadlines ─────────────────────────────────────────────────────────────────


def todo_for(user: User) -> QuerySet[TrainingClass]:
    """Classes waiting on `user` now (待办): a clerk's drafts and returns, a reviewer's pending stage.

    A reviewer does not see, as a to-do, a class they applied for or whose current stage they
    already signed (they could not act on it: SUB-TWO-PERSON).
    """
    from .models import ReviewStep
    from .workflow import PENDING_STAGE, STAGE_ROLES

    qs = classes_for(user)
    if user.role == Role.INSTITUTION_CLERK:
        return qs.filter(state__in=(ClassState.DRAFT, ClassState.RETURNED)).order_by("state_since", "id")
    states = [state for state, stage in PENDING_STAGE.items() if user.role in STAGE_ROLES[stage]]
    if not states:
        return qs.none()
    qs = qs.filter(state__in=states).exclude(created_by=user).exclude(submitted_by=user)
    # The first signer of a stage waits for someone else's 复核.
    signed_first = ReviewStep.objects.filter(
        actor=user, action__in=(ReviewStep.Action.DEPT_FIRST, ReviewStep.Action.HR_FIRST)
    ).values("training_class_id", "to_state")
    first_pairs = {(row["training_class_id"], row["to_state"]) for row in signed_first}
    waiting = [pk for pk, state in qs.values_list("pk", "state") if (pk, state) not in first_pairs]
    return qs.filter(pk__in=waiting).order_by("state_since", "id")


def pending_deadline(cls: TrainingClass) -> Any:
    """The working-day deadline of the review step `cls` waits on, or None when nothing is pending.

    The plan sets 10 working days for the industry department's review of a claim (附件3,
    SUB-INDUSTRY-DEADLINE); jineng applies the same period to each pending review step of a class
    application (docs/decisions.md).
    """
    from django.utils import timezone

    from jineng.workdays import add_working_days

    from .workflow import PENDING_STAGE

    if cls.state not in PENDING_STAGE or cls.state_since is None:
        return None
    policy = policies().in_force(cls.start) or max(policies().policies, key=lambda p: p.end)
    days = policy.parameters_on(max(policy.start, min(cls.start, policy.end))).industry_review_working_days
    return add_working_days(timezone.localtime(cls.state_since).date(), days)
