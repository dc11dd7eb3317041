"""Scoped reads of claims, batches and payments, and the deadlines a claim runs against.

The scope follows the class a claim is for: an institution sees its own, a department the classes
it leads, an HR bureau its area (the city bureau all), finance what has been pushed to it, the
leadership its area or the city read-only. The public notice is the one read without a login.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from jineng.accounts.models import Role, User
from jineng.policy.findings import Finding
from jineng.policy.rules.subsidy import industry_due, push_due, sub_industry_deadline, sub_monthly_push
from jineng.registry.models import OrgUnit
from jineng.supervision.selectors import class_policy

from .models import ClaimLine, ClaimState, ClaimStep, Clawback, FinanceBatch, Objection, PaymentLine, SubsidyClaim
from .services import in_scope
from .workflow import FINANCE_STATES, REVIEW_ACTIONS, TRANSITIONS, Transition


def _area_q(user: User, prefix: str = "training_class__") -> Q | None:
    """Everything for a city-level unit; its area for an area unit; None (nothing) otherwise."""
    org = user.org
    if org is None:
        return None
    if org.kind == OrgUnit.Kind.CITY:
        return Q()
    if org.kind == OrgUnit.Kind.AREA:
        return Q(**{f"{prefix}area": org})
    return None


def claim_scope(user: User) -> Q | None:
    """The claims `user` may read, as a filter; None: none at all."""
    if user.role == Role.INSTITUTION_CLERK and user.institution_id:
        return Q(institution_id=user.institution_id)
    if user.role == Role.DEPT_REVIEWER and user.org_id:
        return Q(training_class__lead_department_id=user.org_id)
    if user.role in (Role.AREA_HR, Role.CITY_HR, Role.LEADER):
        if user.role == Role.CITY_HR and user.org is not None and user.org.kind != OrgUnit.Kind.CITY:
            return None
        return _area_q(user)
    if user.role == Role.FINANCE:
        # The city finance bureau (市财政局, a city-level bureau) sees everything pushed to finance.
        area = Q() if user.org is not None and user.org.kind == OrgUnit.Kind.BUREAU else _area_q(user)
        return None if area is None else area & Q(state__in=FINANCE_STATES)
    return None


def claims_for(user: User) -> QuerySet[SubsidyClaim]:
    scope = claim_scope(user)
    qs = SubsidyClaim.objects.select_related("training_class", "institution", "training_class__area")
    return qs.none() if scope is None else qs.filter(scope)


def claim_get(user: User, pk: int) -> SubsidyClaim | None:
    return claims_for(user).filter(pk=pk).first()


def claim_list(user: User, *, state: str = "", q: str = "") -> QuerySet[SubsidyClaim]:
    qs = claims_for(user)
    if state:
        qs = qs.filter(state=state)
    if q.strip():
        text = q.strip()
        qs = qs.filter(
            Q(code__icontains=text) | Q(training_class__code__icontains=text) | Q(institution__name__icontains=text)
        )
    return qs.order_by("-created_at", "-id")


def lines_of(claim: SubsidyClaim) -> QuerySet[ClaimLine]:
    return claim.lines.select_related("person", "certificate", "voucher").order_by("row")


def steps_of(claim: SubsidyClaim) -> QuerySet[ClaimStep]:
    return claim.steps.select_related("actor").order_by("at", "id")


def objections_of(claim: SubsidyClaim) -> QuerySet[Objection]:
    return claim.objections.select_related("line__person", "recorded_by", "resolved_by").order_by("received_on", "id")


def payments_of(claim: SubsidyClaim) -> QuerySet[PaymentLine]:
    """The claim's payments, each with `recovered` and its clawbacks in order (`clawbacks_in_order`):
    one statement for all the clawbacks, not one per payment line."""
    in_order = Clawback.objects.select_related("recorded_by").order_by("decided_on", "id")
    return (
        PaymentLine.objects.filter(disbursement__claim=claim)
        .select_related("person", "line")
        .annotate(recovered=Sum("clawbacks__amount"))
        .prefetch_related(Prefetch("clawbacks", queryset=in_order, to_attr="clawbacks_in_order"))
        .order_by("line__row")
    )


def actions_for(user: User, claim: SubsidyClaim) -> list[Transition]:
    """The review actions `user` may take on the claim from its page, as the services would judge
    role, state and scope (SUB-TWO-PERSON is judged when signing, with its own message)."""
    return [
        t
        for key in REVIEW_ACTIONS
        if claim.state in (t := TRANSITIONS[key]).sources and user.role in t.roles and in_scope(user, claim, t.scope)
    ]


@dataclass
class ClaimDeadlines:
    industry_due: dt.date | None
    industry: Finding | None
    push_due: dt.date | None
    push: Finding | None


def deadlines(claim: SubsidyClaim, *, today: dt.date | None = None) -> ClaimDeadlines:
    """SUB-INDUSTRY-DEADLINE from acceptance and SUB-MONTHLY-PUSH from the end of the notice."""
    today = today or timezone.localdate()
    _, p = class_policy(claim.training_class)
    due = finding = None
    if claim.accepted_on is not None:
        due = industry_due(p=p, accepted_on=claim.accepted_on).due
        signed = claim.steps.filter(action="dept_second", at__date__gte=claim.accepted_on).order_by("-at").first()
        finding = sub_industry_deadline(
            p=p,
            accepted_on=claim.accepted_on,
            signed_on=timezone.localtime(signed.at).date() if signed else None,
            today=today,
        )
    pdue = pfinding = None
    if claim.notice_until is not None:
        pdue = push_due(p=p, notice_ended=claim.notice_until)
        pushed = claim.steps.filter(action="push").order_by("-at").first()
        pfinding = sub_monthly_push(
            p=p,
            notice_ended=claim.notice_until,
            pushed_on=timezone.localtime(pushed.at).date() if pushed else None,
            today=today,
        )
    return ClaimDeadlines(due, finding, pdue, pfinding)


def batches_for(user: User) -> QuerySet[FinanceBatch]:
    """Finance sees the batches of its scope; HR the batches it pushed (its unit)."""
    qs = FinanceBatch.objects.select_related("org", "pushed_by", "first_by", "second_by")
    if user.role == Role.FINANCE and user.org is not None:
        return qs if user.org.kind in (OrgUnit.Kind.CITY, OrgUnit.Kind.BUREAU) else qs.filter(org=user.org)
    if user.role in (Role.AREA_HR, Role.CITY_HR) and user.org is not None:
        return qs if user.org.kind == OrgUnit.Kind.CITY else qs.filter(org=user.org)
    return qs.none()


def batch_get(user: User, pk: int) -> FinanceBatch | None:
    return batches_for(user).filter(pk=pk).first()


def pushable(user: User, *, today: dt.date | None = None) -> tuple[list[SubsidyClaim], list[SubsidyClaim]]:
    """For the HR push screen: claims whose notice has ended (ready), and those held by an open objection."""
    today = today or timezone.localdate()
    scope = _area_q(user)
    if scope is None or user.role not in (Role.AREA_HR, Role.CITY_HR):
        return [], []
    claims = list(
        SubsidyClaim.objects.filter(scope, state=ClaimState.NOTICE, notice_until__lt=today)
        .select_related("training_class", "institution")
        .order_by("notice_until", "id")
    )
    held = set(Objection.objects.filter(claim__in=claims, resolved_at__isnull=True).values_list("claim_id", flat=True))
    return [c for c in claims if c.pk not in held], [c for c in claims if c.pk in held]


# ── the public notice (no login) ──────────────────────────────────────────────────────────────


# A claim sent back or refused after its notice leaves the public page with it.
NOTICED_STATES = (
    ClaimState.NOTICE,
    ClaimState.PUSHED,
    ClaimState.FINANCE_FIRST,
    ClaimState.FINANCE_APPROVED,
    ClaimState.PAID,
)


def public_notices(*, today: dt.date | None = None) -> QuerySet[SubsidyClaim]:
    """Every notice published so far, newest first: running ones and the archive (an official
    website keeps its notices); names and IDs are masked by the page."""
    today = today or timezone.localdate()
    return (
        SubsidyClaim.objects.filter(notice_from__isnull=False, notice_from__lte=today, state__in=NOTICED_STATES)
        .select_related("training_class", "training_class__occupation", "training_class__area", "institution")
        .order_by("-notice_from", "-id")
    )


def public_notice_get(pk: int, *, today: dt.date | None = None) -> SubsidyClaim | None:
    return public_notices(today=today).filter(pk=pk).first()


def claim_totals(qs: QuerySet[SubsidyClaim]) -> dict[str, Decimal | int]:
    agg = qs.aggregate(amount=Sum("amount"), persons=Sum("payable_count"))
    return {"count": qs.count(), "amount": agg["amount"] or Decimal("0.00"), "persons": agg["persons"] or 0}


# States in which a claim waits on each role (the 待办 page).
_WAITING_ON: dict[str, tuple[str, ...]] = {
    Role.INSTITUTION_CLERK: (ClaimState.DRAFT, ClaimState.RETURNED),
    Role.DEPT_REVIEWER: (ClaimState.SUBMITTED, ClaimState.ACCEPTED, ClaimState.DEPT_FIRST),
    Role.AREA_HR: (ClaimState.DEPT_APPROVED, ClaimState.HR_FIRST, ClaimState.HR_APPROVED),
    Role.CITY_HR: (ClaimState.DEPT_APPROVED, ClaimState.HR_FIRST, ClaimState.HR_APPROVED),
    Role.FINANCE: (ClaimState.FINANCE_APPROVED,),
}


def claims_todo(user: User) -> QuerySet[SubsidyClaim]:
    """Claims waiting on the user's role in its scope, oldest first (for the 待办 page)."""
    states = _WAITING_ON.get(user.role)
    if not states:
        return SubsidyClaim.objects.none()
    return claims_for(user).filter(state__in=states).order_by("state_since", "id")


def batches_todo(user: User) -> QuerySet[FinanceBatch]:
    """Batches waiting on finance's first or second signature."""
    if user.role != Role.FINANCE:
        return FinanceBatch.objects.none()
    return batches_for(user).exclude(state="approved").order_by("pushed_at", "id")
