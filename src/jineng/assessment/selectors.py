"""Reads of the completion assessment, always through the reader's scope.

Plans: the evaluation body reads its own; a clerk the plans holding its classes; an industry
department the plans of the classes it leads; an area's HR its area; the city everything. A
class's assessment is read wherever the class is (`classes_for`), and by the evaluation body of a
plan holding it (evaluation bodies assess every institution's trainees).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from jineng.accounts.models import Role, User
from jineng.classes.models import ClassState, TrainingClass
from jineng.classes.selectors import classes_for, roster_for
from jineng.ids import mask_ric
from jineng.policy.findings import Finding
from jineng.policy.rules.assessment import CERTIFICATE_ZH, asm_ledger, ledger_due
from jineng.registry.models import OrgUnit
from jineng.supervision.selectors import class_policy

from .models import AssessmentPlan, AssessmentResult, CertificateRecord, LedgerEntry

_LINK = AssessmentPlan.classes.through
_OUTCOME_ZH = dict(AssessmentResult.Outcome.choices)


def _plans_holding(**lookups: object) -> Q:
    """Plans holding at least one class matching `lookups` (on TrainingClass), as a subquery: a
    join would repeat a pooled plan once per class."""
    classes = {f"trainingclass__{key}": value for key, value in lookups.items()}
    return Q(pk__in=_LINK.objects.filter(**classes).values("assessmentplan_id"))


def plan_scope(user: User) -> Q | None:
    """The Q that limits plans to what `user` may see; None means nothing at all."""
    if not user.is_authenticated or not user.is_active:
        return None
    org: OrgUnit | None = user.org
    role = user.role
    if role == Role.EVALUATOR:
        return Q(evaluation_body_id=user.institution_id) if user.institution_id else None
    if role == Role.INSTITUTION_CLERK:
        return _plans_holding(institution_id=user.institution_id) if user.institution_id else None
    if role == Role.DEPT_REVIEWER:
        return _plans_holding(lead_department_id=org.pk) if org and org.kind == OrgUnit.Kind.DEPARTMENT else None
    if role == Role.AREA_HR:
        return Q(area_id=org.pk) if org and org.kind == OrgUnit.Kind.AREA else None
    if role in (Role.CITY_HR, Role.LEADER) and org is not None:
        if org.kind == OrgUnit.Kind.CITY:
            return Q()
        if org.kind == OrgUnit.Kind.AREA:
            return Q(area_id=org.pk)
        if org.kind == OrgUnit.Kind.DEPARTMENT:
            return _plans_holding(lead_department_id=org.pk)
    return None


def plans_for(user: User) -> QuerySet[AssessmentPlan]:
    base = AssessmentPlan.objects.select_related("evaluation_body", "occupation", "area", "filed_by")
    scope = plan_scope(user)
    if scope is None:
        return base.none()
    return base.filter(scope).annotate(class_count=Count("classes")).order_by("-scheduled_on", "-id")


def plan_get(user: User, pk: int) -> AssessmentPlan | None:
    """The plan if `user` may see it; None otherwise (the caller answers 404 either way)."""
    return plans_for(user).filter(pk=pk).first()


def plan_classes(plan: AssessmentPlan) -> list[TrainingClass]:
    return list(plan.classes.select_related("institution", "area", "occupation").order_by("code"))


def assessment_classes_for(user: User) -> QuerySet[TrainingClass]:
    """Classes whose assessment `user` may read: the classes they see, and for an evaluator the
    classes in their body's plans."""
    if user.is_authenticated and user.role == Role.EVALUATOR and user.institution_id:
        planned = _LINK.objects.filter(assessmentplan__evaluation_body_id=user.institution_id).values(
            "trainingclass_id"
        )
        return TrainingClass.objects.select_related("institution", "occupation", "area", "lead_department").filter(
            Q(institution_id=user.institution_id) | Q(pk__in=planned)
        )
    return classes_for(user)


def assessment_class_get(user: User, pk: int) -> TrainingClass | None:
    return assessment_classes_for(user).filter(pk=pk).first()


# ── one plan's results ────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class CertificateView:
    kind: str
    kind_label: str
    level: int | None
    number: str
    issued_on: dt.date
    issuer: str


@dataclass(frozen=True)
class TraineeResult:
    enrollment_id: int
    class_id: int
    class_code: str
    row: int
    name: str
    id_number: str  # masked unless the reader may see it in clear
    outcome: str | None
    outcome_label: str
    score: Decimal | None
    assessed_on: dt.date | None
    plan_code: str | None
    certificate: CertificateView | None


def _certificate(c: CertificateRecord) -> CertificateView:
    return CertificateView(c.kind, CERTIFICATE_ZH.get(c.kind, c.kind), c.level, c.number, c.issued_on, c.issuer)


def _results(user: User, classes: list[TrainingClass]) -> list[TraineeResult]:
    """Every roster entry the user may read in `classes`, with its result and certificate."""
    entries = [e for cls in classes for e in roster_for(user, cls)]
    ids = [e.pk for e in entries]
    results = {
        r.enrollment_id: r for r in AssessmentResult.objects.select_related("plan").filter(enrollment_id__in=ids)
    }
    certificates = {c.enrollment_id: c for c in CertificateRecord.objects.filter(enrollment_id__in=ids)}
    codes = {c.pk: c.code for c in classes}
    rows = []
    for e in entries:
        result = results.get(e.pk)
        certificate = certificates.get(e.pk)
        rows.append(
            TraineeResult(
                enrollment_id=e.pk,
                class_id=e.training_class_id,
                class_code=codes[e.training_class_id],
                row=e.row,
                name=e.person.name,
                id_number=e.person.id_number if user.sees_clear_ids else mask_ric(e.person.id_number),
                outcome=result.outcome if result else None,
                outcome_label=_OUTCOME_ZH[result.outcome] if result else "未录入",
                score=result.score if result else None,
                assessed_on=e.assessed_on,
                plan_code=result.plan.code if result else None,
                certificate=_certificate(certificate) if certificate else None,
            )
        )
    return rows


def plan_results(user: User, plan: AssessmentPlan) -> list[TraineeResult]:
    return _results(user, plan_classes(plan))


# ── a class's assessment (the 结业考核 tab, annex 3) ───────────────────────────────────────────


@dataclass(frozen=True)
class PlanView:
    plan: AssessmentPlan
    filed_on: dt.date
    days_ahead: int  # ASM-NOTICE: a plan filed late is refused, so this is never short


@dataclass(frozen=True)
class KindCount:
    kind: str
    label: str
    sat: int  # 参加考核人数: passed or failed (an absentee did not sit)
    certified: int  # 取证人数


@dataclass(frozen=True)
class LedgerView:
    entry: LedgerEntry | None
    ended: bool
    ended_on: dt.date
    due: dt.date
    finding: Finding | None  # ASM-LEDGER as of today (or as entered)

    @property
    def overdue(self) -> bool:
        return self.finding is not None


@dataclass(frozen=True)
class ClassAssessment:
    cls: TrainingClass
    plans: list[PlanView]
    trainees: list[TraineeResult]
    counts: list[KindCount]
    sat: int
    certified: int
    ledger: LedgerView


def _plan_view(plan: AssessmentPlan) -> PlanView:
    filed_on = timezone.localtime(plan.filed_at).date()
    return PlanView(plan, filed_on, (plan.scheduled_on - filed_on).days)


def ledger_view(cls: TrainingClass, today: dt.date) -> LedgerView:
    _, p = class_policy(cls)
    entry = LedgerEntry.objects.select_related("entered_by").filter(training_class=cls).first()
    ended = cls.state == ClassState.ENDED
    due = ledger_due(ledger_days=p.ledger_days, ended_on=cls.end)
    found = None
    if ended or entry is not None:
        found = asm_ledger(
            ledger_days=p.ledger_days, ended_on=cls.end, entered_on=entry.entered_on if entry else None, today=today
        )
    return LedgerView(entry, ended, cls.end, due, found)


def class_counts(cls: TrainingClass) -> list[KindCount]:
    """Per certificate kind: who sat the assessment (by the plan's kind) and who was certified."""
    sat: dict[str, int] = defaultdict(int)
    for kind, n in (
        AssessmentResult.objects.filter(
            enrollment__training_class=cls,
            outcome__in=(AssessmentResult.Outcome.PASSED, AssessmentResult.Outcome.FAILED),
        )
        .values_list("plan__certificate")
        .annotate(n=Count("id"))
    ):
        sat[kind] += n
    certified: dict[str, int] = defaultdict(int)
    for kind, n in (
        CertificateRecord.objects.filter(enrollment__training_class=cls).values_list("kind").annotate(n=Count("id"))
    ):
        certified[kind] += n
    kinds = [k for k in CERTIFICATE_ZH if k in sat or k in certified]
    return [KindCount(k, CERTIFICATE_ZH[k], sat[k], certified[k]) for k in kinds]


def class_assessment(user: User, cls: TrainingClass, *, today: dt.date | None = None) -> ClassAssessment:
    """The class's plans, each trainee's result and certificate (a worker: their own line), the
    counts per certificate kind of annex 3, and the ledger with its due date (ASM-LEDGER)."""
    today = today or timezone.localdate()
    plans = [
        _plan_view(p)
        for p in cls.assessment_plans.select_related("evaluation_body", "filed_by").order_by("-scheduled_on", "-id")
    ]
    counts = class_counts(cls)
    return ClassAssessment(
        cls=cls,
        plans=plans,
        trainees=_results(user, [cls]),
        counts=counts,
        sat=sum(c.sat for c in counts),
        certified=sum(c.certified for c in counts),
        ledger=ledger_view(cls, today),
    )


# ── ledgers past due ──────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class OverdueLedger:
    cls: TrainingClass
    due: dt.date
    finding: Finding


def ledger_overdue(user: User, today: dt.date | None = None) -> list[OverdueLedger]:
    """Ended classes in the reader's scope whose ledger is not entered and whose due date has passed."""
    today = today or timezone.localdate()
    candidates = (
        classes_for(user)
        .filter(state=ClassState.ENDED, ledger__isnull=True, end__lt=today)
        .order_by("end", "id")
        .iterator(chunk_size=500)
    )
    late = []
    for cls in candidates:
        _, p = class_policy(cls)
        found = asm_ledger(ledger_days=p.ledger_days, ended_on=cls.end, entered_on=None, today=today)
        if found is not None:
            late.append(OverdueLedger(cls, ledger_due(ledger_days=p.ledger_days, ended_on=cls.end), found))
    return late
