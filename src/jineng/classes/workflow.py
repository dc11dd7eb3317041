"""The review workflow of a class application, declared in one table (viewflow.fsm style).

Each transition names its sources, its target, the roles that may take it, the scope it needs
(the class's institution, its lead department, its area), whether the rule findings must be free
of blocks, and whether reasons are required. Services look transitions up here; nothing else
assigns `TrainingClass.state`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from jineng.accounts.models import Role

from .models import ClassState, ReviewStep

Action = ReviewStep.Action
Stage = Literal["dept", "hr"]
Scope = Literal["institution", "department", "area"]

STAGE_LABELS: dict[Stage, str] = {"dept": "行业主管部门审核", "hr": "人社部门审核"}
STAGE_ROLES: dict[Stage, frozenset[str]] = {
    "dept": frozenset({Role.DEPT_REVIEWER}),
    "hr": frozenset({Role.AREA_HR, Role.CITY_HR}),
}
STAGE_SCOPE: dict[Stage, Scope] = {"dept": "department", "hr": "area"}
# The stage a pending state waits on.
PENDING_STAGE: dict[str, Stage] = {
    ClassState.SUBMITTED: "dept",
    ClassState.DEPT_FIRST: "dept",
    ClassState.DEPT_APPROVED: "hr",
    ClassState.HR_FIRST: "hr",
}
PENDING_ACTION: dict[str, str] = {
    ClassState.SUBMITTED: Action.DEPT_FIRST,
    ClassState.DEPT_FIRST: Action.DEPT_SECOND,
    ClassState.DEPT_APPROVED: Action.HR_FIRST,
    ClassState.HR_FIRST: Action.HR_SECOND,
}
EDITABLE_STATES = frozenset({ClassState.DRAFT, ClassState.RETURNED})


@dataclass(frozen=True, slots=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    scope: Scope | None  # None: the scope of the stage pending in the source state
    stage: Stage | None = None  # a signature of this review stage (SUB-TWO-PERSON applies)
    needs_clean_findings: bool = False
    needs_reasons: bool = False
    needs_opinion: bool = False


_REVIEW_SOURCES = frozenset(PENDING_STAGE)
_REVIEWERS = STAGE_ROLES["dept"] | STAGE_ROLES["hr"]

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            Action.SUBMIT,
            "提交审核",
            frozenset({ClassState.DRAFT, ClassState.RETURNED}),
            ClassState.SUBMITTED,
            frozenset({Role.INSTITUTION_CLERK}),
            "institution",
            needs_clean_findings=True,
        ),
        Transition(
            Action.DEPT_FIRST,
            "初审通过",
            frozenset({ClassState.SUBMITTED}),
            ClassState.DEPT_FIRST,
            STAGE_ROLES["dept"],
            "department",
            stage="dept",
            needs_clean_findings=True,
            needs_opinion=True,
        ),
        Transition(
            Action.DEPT_SECOND,
            "复核通过",
            frozenset({ClassState.DEPT_FIRST}),
            ClassState.DEPT_APPROVED,
            STAGE_ROLES["dept"],
            "department",
            stage="dept",
            needs_clean_findings=True,
            needs_opinion=True,
        ),
        Transition(
            Action.HR_FIRST,
            "初审通过",
            frozenset({ClassState.DEPT_APPROVED}),
            ClassState.HR_FIRST,
            STAGE_ROLES["hr"],
            "area",
            stage="hr",
            needs_clean_findings=True,
            needs_opinion=True,
        ),
        Transition(
            Action.HR_SECOND,
            "复核通过，批准开班",
            frozenset({ClassState.HR_FIRST}),
            ClassState.APPROVED,
            STAGE_ROLES["hr"],
            "area",
            stage="hr",
            needs_clean_findings=True,
            needs_opinion=True,
        ),
        # The end of training (结业): the clerk of the class's institution; refused while fewer
        # inspections than the plan's minimum are recorded (SUP-INSPECTION, services.class_end).
        Transition(
            Action.END,
            "结业",
            frozenset({ClassState.APPROVED}),
            ClassState.ENDED,
            frozenset({Role.INSTITUTION_CLERK}),
            "institution",
        ),
        Transition(
            Action.RETURN,
            "退回修改",
            _REVIEW_SOURCES,
            ClassState.RETURNED,
            _REVIEWERS,
            None,
            needs_reasons=True,
        ),
        Transition(
            Action.REJECT,
            "不予批准",
            _REVIEW_SOURCES,
            ClassState.REJECTED,
            _REVIEWERS,
            None,
            needs_reasons=True,
        ),
    )
}


def transition_roles(transition: Transition, state: str) -> frozenset[str]:
    """Return/reject belong to the reviewers of the stage pending in `state`."""
    if transition.scope is None and state in PENDING_STAGE:
        return transition.roles & STAGE_ROLES[PENDING_STAGE[state]]
    return transition.roles


def transition_scope(transition: Transition, state: str) -> Scope:
    if transition.scope is not None:
        return transition.scope
    return STAGE_SCOPE[PENDING_STAGE[state]] if state in PENDING_STAGE else "institution"


def available(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if state in t.sources]
