"""Reads of classes, always through the reader's scope; gathering a class's facts for the rules engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from jineng.accounts.models import Role, User
from jineng.crypto import decrypt
from jineng.db import Joined, fetch_all, fetch_one, json_value, json_values, q_admits
from jineng.policy.engine import Evaluation, evaluate, policy_for
from jineng.policy.facts import validate_document
from jineng.policy.loader import policies
from jineng.registry.models import (
    RIC_PURPOSE,
    AuditProblem,
    BlacklistEntry,
    Institution,
    InstitutionSpecialty,
    Occupation,
    OnlinePlatform,
    OrgUnit,
    Person,
)
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
        # 财政局 pays for approved (and ended) classes city-wide; it has no business with applications.
        return Q(state__in=COUNTED_STATES) if user.org is not None else None
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


_by_pk: dict[str, tuple[str, Joined]] = {}  # vendor → (statement, how to build its row)


def _class_by_pk(pk: int) -> TrainingClass | None:
    """The class with the four objects every page of it shows, in one prepared statement."""
    low, high = connection.ops.integer_field_range(TrainingClass._meta.pk.get_internal_type())
    if not (low or -(2**63)) <= pk <= (high or 2**63 - 1):
        return None  # as the ORM answers an out-of-range id: nothing, not a database error
    found = _by_pk.get(connection.vendor)
    if found is None:
        joined = Joined.of(TrainingClass, "c", ["institution", "occupation", "area", "lead_department"])
        sql = f"SELECT {joined.select_list} FROM {joined.from_clause} WHERE c.{connection.ops.quote_name('id')} = %s"
        found = _by_pk[connection.vendor] = (sql, joined)
    sql, joined = found
    row = fetch_one(sql, [pk])
    return None if row is None else joined.build(row)


def class_get(user: User, pk: int) -> TrainingClass | None:
    """The class if `user` may see it; None otherwise (the caller answers 404 either way).

    Every page and API read of one class starts here, so the class is read by a prepared statement
    and the reader's scope — the same `class_scope` the lists filter by — is checked on the loaded
    row; only a scope that needs the database (a worker's own enrollments) goes through the ORM.
    """
    scope = class_scope(user)
    if scope is None:
        return None
    cls = _class_by_pk(pk)
    if cls is None:
        return None
    admitted = q_admits(scope, cls)
    if admitted is None:
        return classes_for(user).filter(pk=pk).first()
    return cls if admitted else None


def with_trainee_counts(qs: QuerySet[TrainingClass]) -> QuerySet[TrainingClass]:
    """`trainee_count` on each class, as a correlated subquery rather than a join + GROUP BY.

    A join would count every roster of the reader's scope (a city reader: ~120,000 entries) before
    a page of 50 is cut; PostgreSQL evaluates the subquery after the sort and limit, for the page's
    rows only, and `count()` leaves it out altogether.
    """
    per_class = (
        Enrollment.objects.filter(training_class=OuterRef("pk"))
        .order_by()
        .values("training_class")
        .annotate(n=Count("*"))
        .values("n")
    )
    return qs.annotate(trainee_count=Coalesce(Subquery(per_class, output_field=IntegerField()), 0))


def class_list(
    user: User,
    *,
    state: str | None = None,
    area: int | None = None,
    occupation: str | None = None,
    query: str | None = None,
    year: int | None = None,
) -> QuerySet[TrainingClass]:
    qs = with_trainee_counts(classes_for(user))
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


def _context_facts(cls: TrainingClass, as_of: dt.date) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """(occupation and area/platform facts, institution facts, local alternative exists), in two statements.

    The class's own columns come from the instance (so an edited, unsaved copy previews as typed);
    what they point at is read by id. Blacklist, last obvious problem and the local alternative of
    CLS-CROSS-CITY are scalar subqueries of the same statement.
    """
    tables = {
        "inst": Institution._meta.db_table,
        "occ": Occupation._meta.db_table,
        "unit": OrgUnit._meta.db_table,
        "platform": OnlinePlatform._meta.db_table,
        "blacklist": BlacklistEntry._meta.db_table,
        "problems": AuditProblem._meta.db_table,
        "specialty": InstitutionSpecialty._meta.db_table,
    }
    sql = """
        SELECT o.code, o.name, o.class_code, o.manufacturing, o.certificate_routes, o.set_hours,
               a.region_code, a.key, pl.code, pl.listed, pl.connected,
               i.name, i.uscc, i.kind, i.home_city, i.academic_education, i.has_site, i.has_facilities,
               EXISTS (SELECT 1 FROM {blacklist} b WHERE b.institution_id = i.id AND b.listed_on <= %s
                       AND (b.lifted_on IS NULL OR b.lifted_on > %s)),
               (SELECT MAX(p.found_on) FROM {problems} p WHERE p.institution_id = i.id AND p.obvious
                AND p.found_on <= %s),
               EXISTS (SELECT 1 FROM {specialty} s JOIN {inst} li ON li.id = s.institution_id
                       WHERE s.occupation_id = o.id AND s.effective_from <= %s
                         AND (s.effective_to IS NULL OR s.effective_to > %s)
                         AND li.home_city = %s AND li.active AND s.institution_id <> i.id
                         AND NOT EXISTS (SELECT 1 FROM {blacklist} x WHERE x.institution_id = s.institution_id
                                         AND x.listed_on <= %s AND x.lifted_on IS NULL))
        FROM {inst} i
        JOIN {occ} o ON o.id = %s
        JOIN {unit} a ON a.id = %s
        LEFT JOIN {platform} pl ON pl.id = %s
        WHERE i.id = %s
    """.format(**tables)
    start = cls.start
    params = [as_of, as_of, as_of, start, start, CITY_CODE, start]
    row = fetch_one(sql, [*params, cls.occupation_id, cls.area_id, cls.online_platform_id, cls.institution_id])
    if row is None:
        raise LookupError(f"班级 {cls.code} 的机构、职业或地区不存在")
    (occ_code, occ_name, class_code, manufacturing, routes, set_hours, region_code, area_key,
     platform_code, listed, connected, *inst, blacklisted, problem_found_on, local_alternative) = row  # fmt: skip
    name, uscc, kind, home_city, academic, has_site, has_facilities = inst
    specialties = fetch_all(
        f"""SELECT o.code, s.effective_from
            FROM {tables["specialty"]} s JOIN {tables["occ"]} o ON o.id = s.occupation_id
            WHERE s.institution_id = %s AND (s.effective_to IS NULL OR s.effective_to > %s) ORDER BY s.id""",
        [cls.institution_id, as_of],
    )
    context = {
        "county": region_code or area_key,
        "occupation": {
            "code": occ_code,
            "name": occ_name,
            "class_code": class_code,
            "manufacturing": bool(manufacturing),
            "certificate_routes": list(json_value(routes)),
            "set_hours": set_hours,
        },
        "online_platform": (
            {"id": platform_code, "listed": bool(listed), "connected": bool(connected)} if platform_code else None
        ),
    }
    institution = {
        "id": str(cls.institution_id),
        "name": name,
        "uscc": uscc,
        "kind": kind,
        "home_city": home_city,
        "academic_education": bool(academic),
        "listed_specialties": [{"occupation": code, "from": _date(since)} for code, since in specialties],
        "blacklisted": bool(blacklisted),
        "problem_found_on": _date(problem_found_on),
        "has_site": bool(has_site),
        "has_facilities": bool(has_facilities),
    }
    return context, institution, bool(local_alternative)


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


def _teachers(class_id: int) -> list[dict[str, Any]]:
    return [
        {"name": name, "certified": bool(certified)}
        for name, certified in fetch_all(
            f"SELECT name, certified FROM {Teacher._meta.db_table} WHERE training_class_id = %s ORDER BY id",
            [class_id],
        )
    ]


def trainees_statement(class_id: int, *, before: dt.date) -> tuple[str, list[Any]]:
    """The SQL and parameters of _trainees (also explained by bench/roster_check.py)."""
    enrollment, person, classes = Enrollment._meta.db_table, Person._meta.db_table, TrainingClass._meta.db_table
    sql = f"""
        SELECT e.id, p.id_number, p.name, e.category, e.student, e.employee, e.inmate, e.questionnaire,
               x.code, x.subsidised, x."end", x.assessed_on
        FROM {enrollment} e
        JOIN {person} p ON p.id = e.person_id
        LEFT JOIN (
            SELECT h.person_id, c.code, c.subsidised, c."end", h.assessed_on
            FROM {enrollment} h JOIN {classes} c ON c.id = h.training_class_id
            WHERE c.state IN ({", ".join(["%s"] * len(COUNTED_STATES))}) AND c.start <= %s AND c.id <> %s
        ) x ON x.person_id = e.person_id
        WHERE e.training_class_id = %s
        ORDER BY e."row", e.id, x."end", x.code
    """
    return sql, [*[str(s) for s in COUNTED_STATES], before, class_id, class_id]


def _trainees(class_id: int, *, before: dt.date) -> list[dict[str, Any]]:
    """The roster in row order, each trainee with every counted enrollment of theirs at any
    institution, in one statement (no N+1, no IN list of 80 parameters): a roster row comes back
    once per previous training, or once with NULLs when there is none.

    Counted: approved classes starting on or before `before` (this class's end), other than this one.
    """
    sql, params = trainees_statement(class_id, before=before)
    trainees: list[dict[str, Any]] = []
    details: list[Any] = []
    last = None
    for entry, id_number, name, category, *json_columns, code, subsidised, end, assessed_on in fetch_all(sql, params):
        if entry != last:
            last = entry
            # Raw SQL reads the stored ciphertext: opened here as the model field would.
            clear = decrypt(id_number, purpose=RIC_PURPOSE)
            trainees.append({"id_number": clear, "name": name, "category": category, "previous_trainings": []})
            details.extend(json_columns)
        if code is not None:
            trainees[-1]["previous_trainings"].append(
                {"class_id": code, "subsidised": bool(subsidised), "end": _date(end), "assessed_on": _date(assessed_on)}
            )
    decoded = iter(json_values(details))
    for trainee in trainees:
        for key in ("student", "employee", "inmate", "questionnaire"):
            trainee[key] = next(decoded)
    return trainees


def class_facts_dict(cls: TrainingClass, *, as_of: dt.date | None = None) -> dict[str, Any]:
    """The class-facts document of this class (contract: class-facts.md), as Python values."""
    as_of = as_of or cls.start
    context, institution, local_alternative = _context_facts(cls, as_of)
    return {
        "as_of": as_of,
        "institution": institution,
        "class": {
            "id": cls.code,
            "city": CITY_CODE,
            "county": context["county"],
            "occupation": context["occupation"],
            "level": cls.level,
            "training_type": cls.training_type,
            "certificate": cls.certificate,
            "subsidised": cls.subsidised,
            "start": cls.start,
            "end": cls.end,
            "minutes_per_hour": cls.minutes_per_hour,
            "hours": {"theory": cls.hours_theory, "practical": cls.hours_practical, "online_theory": cls.hours_online},
            "online_platform": context["online_platform"],
            "teachers": _teachers(cls.pk),
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
        "trainees": _trainees(cls.pk, before=cls.end),
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
        # An approved class whose last training day has come waits on the clerk to end it (结业).
        ending = Q(state=ClassState.APPROVED, end__lte=timezone.localdate())
        return qs.filter(Q(state__in=(ClassState.DRAFT, ClassState.RETURNED)) | ending).order_by("state_since", "id")
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

    return deadline_for(state=cls.state, state_since=cls.state_since, start=cls.start)


def deadline_for(*, state: str, state_since: dt.datetime | None, start: dt.date) -> Deadline | None:
    """`pending_deadline` from the three columns it reads (list pages read plain values, not classes)."""
    if state not in PENDING_STAGE or state_since is None:
        return None
    policy = policies().in_force(start) or max(policies().policies, key=lambda p: p.end)
    days = policy.parameters_on(max(policy.start, min(start, policy.end))).industry_review_working_days
    return add_working_days(timezone.localtime(state_since).date(), days)


def actions_for(user: User, cls: TrainingClass) -> list[Transition]:
    """The transitions `user` may take on `cls` now, as the UI and the API offer them (the service decides).

    Signing and submitting only when the class waits on the user (their to-do list leaves out the
    applicant and a stage's first signer, SUB-TWO-PERSON); return/reject to every reviewer of the
    pending stage; ending (结业) to the clerk whenever the class is approved (the service checks
    SUP-INSPECTION).
    """

    candidates = [t for t in available(cls.state) if user.role in transition_roles(t, cls.state)]
    if not candidates:
        return []
    if all(t.needs_reasons or t.action == ReviewStep.Action.END for t in candidates):
        return candidates
    waiting_on_me = todo_for(user).filter(pk=cls.pk).exists()
    return [t for t in candidates if t.needs_reasons or t.action == ReviewStep.Action.END or waiting_on_me]


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
