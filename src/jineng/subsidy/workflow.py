"""The path of a subsidy claim, declared in one table (viewflow.fsm style).

Each transition names its sources, target, the roles that may take it, the scope it needs (the
claim's institution, its class's lead department, its area, finance), and the review stage it
signs (SUB-TWO-PERSON applies to the stage's signatures). Services look transitions up here and
move the state with `move()`; nothing else assigns `SubsidyClaim.state` or `FinanceBatch.state`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from django.db.models import QuerySet
from django.utils import timezone

from jineng.accounts.models import Role

from .models import BatchState, ClaimState, FinanceBatch, SubsidyClaim

Stage = Literal["dept", "hr", "finance"]
Scope = Literal["institution", "department", "area", "finance"]

STAGE_LABELS: dict[Stage, str] = {"dept": "行业主管部门审核", "hr": "人社部门审核", "finance": "财政部门审核"}
HR_ROLES = frozenset({Role.AREA_HR, Role.CITY_HR})
EDITABLE = frozenset({ClaimState.DRAFT, ClaimState.RETURNED})
# States in which finance sees a claim (pushed to it, or paid).
FINANCE_STATES = frozenset({ClaimState.PUSHED, ClaimState.FINANCE_FIRST, ClaimState.FINANCE_APPROVED, ClaimState.PAID})
# A claim approved by HR and not yet paid: objections may still be received against it.
OBJECTION_STATES = frozenset(
    {ClaimState.NOTICE, ClaimState.PUSHED, ClaimState.FINANCE_FIRST, ClaimState.FINANCE_APPROVED}
)


@dataclass(frozen=True, slots=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    scope: Scope
    stage: Stage | None = None
    needs_opinion: bool = False
    needs_reasons: bool = False


def _t(
    action: str, label: str, sources: Iterable[str], target: str, roles: Iterable[str], scope: Scope, **kw: Any
) -> Transition:
    return Transition(action, label, frozenset(sources), target, frozenset(roles), scope, **kw)


S = ClaimState
_PENDING_DEPT = {S.SUBMITTED, S.ACCEPTED, S.DEPT_FIRST}
_PENDING_HR = {S.DEPT_APPROVED, S.HR_FIRST}

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("submit", "提交申请", {S.DRAFT, S.RETURNED}, S.SUBMITTED, {Role.INSTITUTION_CLERK}, "institution"),
        _t("accept", "受理", {S.SUBMITTED}, S.ACCEPTED, {Role.DEPT_REVIEWER}, "department"),
        _t(
            "dept_first",
            "初审通过",
            {S.ACCEPTED},
            S.DEPT_FIRST,
            {Role.DEPT_REVIEWER},
            "department",
            stage="dept",
            needs_opinion=True,
        ),
        _t(
            "dept_second",
            "复核通过",
            {S.DEPT_FIRST},
            S.DEPT_APPROVED,
            {Role.DEPT_REVIEWER},
            "department",
            stage="dept",
            needs_opinion=True,
        ),
        _t("hr_first", "初审通过", {S.DEPT_APPROVED}, S.HR_FIRST, HR_ROLES, "area", stage="hr", needs_opinion=True),
        _t("hr_second", "复核通过", {S.HR_FIRST}, S.HR_APPROVED, HR_ROLES, "area", stage="hr", needs_opinion=True),
        _t("publish", "发布公示", {S.HR_APPROVED}, S.NOTICE, HR_ROLES, "area"),
        _t("push", "推送财政", {S.NOTICE}, S.PUSHED, HR_ROLES, "area"),
        _t("finance_first", "财政初审通过", {S.PUSHED}, S.FINANCE_FIRST, {Role.FINANCE}, "finance", stage="finance"),
        _t(
            "finance_second",
            "财政复核通过",
            {S.FINANCE_FIRST},
            S.FINANCE_APPROVED,
            {Role.FINANCE},
            "finance",
            stage="finance",
        ),
        _t("disburse", "拨付", {S.FINANCE_APPROVED}, S.PAID, {Role.FINANCE}, "finance"),
        _t(
            "dept_return", "退回修改", _PENDING_DEPT, S.RETURNED, {Role.DEPT_REVIEWER}, "department", needs_reasons=True
        ),
        _t(
            "dept_reject", "不予补贴", _PENDING_DEPT, S.REJECTED, {Role.DEPT_REVIEWER}, "department", needs_reasons=True
        ),
        _t("hr_return", "退回修改", _PENDING_HR | {S.HR_APPROVED}, S.RETURNED, HR_ROLES, "area", needs_reasons=True),
        _t("hr_reject", "不予补贴", _PENDING_HR | {S.HR_APPROVED}, S.REJECTED, HR_ROLES, "area", needs_reasons=True),
        # An objection upheld against the claim as a whole sends it back to the institution.
        _t("objection_return", "异议成立，退回", OBJECTION_STATES, S.RETURNED, HR_ROLES, "area"),
        _t(
            "finance_return",
            "退回",
            {S.PUSHED, S.FINANCE_FIRST},
            S.RETURNED,
            {Role.FINANCE},
            "finance",
            needs_reasons=True,
        ),
    )
}
# The review actions a person takes on one claim from its page (the rest have their own services:
# submit, publish, push, the finance batch, disbursement).
REVIEW_ACTIONS = (
    "accept",
    "dept_first",
    "dept_second",
    "hr_first",
    "hr_second",
    "dept_return",
    "dept_reject",
    "hr_return",
    "hr_reject",
)

BATCH_NEXT: dict[str, tuple[str, str]] = {
    BatchState.PUSHED: (BatchState.FINANCE_FIRST, "finance_first"),
    BatchState.FINANCE_FIRST: (BatchState.APPROVED, "finance_second"),
}


def available(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if state in t.sources]


def move(claim: SubsidyClaim, transition: Transition, **fields: Any) -> None:
    """Set the state (and `fields`) of a locked claim along `transition`, bumping its version."""
    assert claim.state in transition.sources, (claim.state, transition.action)
    now = timezone.now()
    values = {"state": transition.target, "state_since": now, "version": claim.version + 1, **fields}
    SubsidyClaim.objects.filter(pk=claim.pk).update(**values)
    for name, value in values.items():
        setattr(claim, name, value)


def move_many(claims: QuerySet[SubsidyClaim], transition: Transition, **fields: Any) -> int:
    """The same move for every claim of a locked batch, in one UPDATE (the batch is the unit finance signs)."""
    from django.db.models import F

    return claims.filter(state__in=transition.sources).update(
        state=transition.target, state_since=timezone.now(), version=F("version") + 1, **fields
    )


def batch_move(batch: FinanceBatch, target: str, **fields: Any) -> None:
    values = {"state": target, "version": batch.version + 1, **fields}
    FinanceBatch.objects.filter(pk=batch.pk).update(**values)
    for name, value in values.items():
        setattr(batch, name, value)
