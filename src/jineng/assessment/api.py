"""The JSON API of assessment (/api/v1/): plans, results and certificates, a class's assessment and
its training ledger.

Endpoints parse, call a selector or a service, and render. A plan or class outside the caller's
scope is 404 `not_found`; a role that may not do something is 403 `not_permitted` (the service
decides). Resident IDs are masked for roles that may not read them in clear, in refusals too.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.params import functions as param

from jineng.accounts.auth import AUTH, api_user, mask_ids, refusals_masked
from jineng.accounts.models import User
from jineng.classes.models import Certificate, ClassState, TrainingClass
from jineng.policy.catalog import OUTCOME_ZH, Outcome
from jineng.policy.findings import Finding
from jineng.ratelimit import BULK

from ..api import RATE_LIMITED, READ_ERRORS, WRITE_ERRORS, ApiError, Offset
from . import selectors, services
from .models import AssessmentPlan, AssessmentResult

router = Router(tags=["结业考核"], auth=AUTH)

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
Limit = Annotated[int, param.Query(ge=1, le=MAX_LIMIT, description=f"每页条数（最多 {MAX_LIMIT}）")]

_STATE_ZH = dict(AssessmentPlan.State.choices)
_CERTIFICATE_ZH = dict(Certificate.choices)


# ── schemas ───────────────────────────────────────────────────────────────────────────────────


class AssessmentFindingOut(Schema):
    rule: str = Field(description="规则编号（RULES.md）")
    outcome: str
    outcome_label: str
    clause: str
    message: str
    values: dict[str, Any]


class PlanIn(Schema):
    class_ids: list[int] = Field(min_length=1, max_length=services.MAX_CLASSES, description="参加考核的班级 id")
    scheduled_on: dt.date = Field(description="考核日期（须至少提前 3 天填报，ASM-NOTICE）")
    place: str = Field(max_length=200, description="考核地点")
    inspector: str = Field("", max_length=50, description="考核巡查人员")
    evaluation_body_id: int | None = Field(
        None, description="评价机构 id：培训机构经办人填报时必填；评价机构经办人填报时为本机构"
    )


class PlanClassOut(Schema):
    id: int
    code: str
    name: str
    institution: str
    state: str


class PlanItem(Schema):
    id: int
    code: str
    state: str
    state_label: str
    evaluation_body_id: int
    evaluation_body: str
    certificate: str
    certificate_label: str
    occupation: str
    level: int | None
    area: str
    scheduled_on: dt.date
    place: str
    inspector: str
    filed_by: str
    filed_at: dt.datetime
    class_count: int
    version: int


class PlanPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PlanItem]


class CertificateOut(Schema):
    kind: str
    kind_label: str
    level: int | None
    number: str
    issued_on: dt.date
    issuer: str


class TraineeResultOut(Schema):
    enrollment_id: int
    class_id: int
    class_code: str
    row: int
    name: str
    id_number: str
    outcome: str | None = Field(description="passed 合格 / failed 不合格 / absent 缺考；null 未录入")
    outcome_label: str
    score: Decimal | None
    assessed_on: dt.date | None = Field(description="结业考核日期（缺考为空：视为未考核，ASM-REPEAT）")
    certificate: CertificateOut | None


class PlanDetail(PlanItem):
    classes: list[PlanClassOut]
    results: list[TraineeResultOut]


class CertificateIn(Schema):
    number: str = Field(max_length=64, description="证书编号（同一类别不得重复）")
    issued_on: dt.date = Field(description="发证日期")
    kind: Certificate | None = Field(None, description="证书类别，默认为考核计划的类别")
    level: int | None = Field(None, ge=1, le=5, description="等级，默认为考核计划的等级")
    issuer: str | None = Field(None, max_length=200, description="发证机构，默认为评价机构名称")


class ResultIn(Schema):
    enrollment_id: int = Field(description="花名册条目 id")
    outcome: AssessmentResult.Outcome = Field(description="passed 合格 / failed 不合格 / absent 缺考")
    score: Decimal | None = Field(None, ge=0, le=100, decimal_places=1, description="成绩（可空）")
    certificate: CertificateIn | None = Field(None, description="证书（仅合格学员）")


class CancelIn(Schema):
    reason: str = Field(max_length=500, description="取消原因")


class PlanViewOut(Schema):
    id: int
    code: str
    state: str
    state_label: str
    evaluation_body: str
    scheduled_on: dt.date
    place: str
    filed_on: dt.date
    days_ahead: int = Field(description="填报日至考核日的天数（ASM-NOTICE）")


class KindCountOut(Schema):
    kind: str
    label: str
    sat: int = Field(description="参加考核人数（合格与不合格，不含缺考）")
    certified: int = Field(description="取证人数")


class LedgerOut(Schema):
    entered: bool
    entered_on: dt.date | None
    entered_by: str | None
    trainees: int | None
    certified: int | None
    notes: str
    ended: bool
    ended_on: dt.date
    due: dt.date = Field(description="台账录入截止日（结业后 15 日，ASM-LEDGER）")
    overdue: bool
    finding: AssessmentFindingOut | None


class ClassAssessmentOut(Schema):
    class_id: int
    class_code: str
    plans: list[PlanViewOut]
    trainees: list[TraineeResultOut]
    counts: list[KindCountOut]
    sat: int
    certified: int
    ledger: LedgerOut


class LedgerIn(Schema):
    notes: str = Field("", max_length=5000)


# ── helpers ───────────────────────────────────────────────────────────────────────────────────


def _plan(user: User, pk: int) -> AssessmentPlan:
    plan = selectors.plan_get(user, pk)
    if plan is None:
        raise ApiError(404, "not_found", "找不到该考核计划，或不在您的管辖范围内")
    return plan


def _class(user: User, pk: int) -> TrainingClass:
    cls = selectors.assessment_class_get(user, pk)
    if cls is None:
        raise ApiError(404, "not_found", "找不到该培训班，或不在您的管辖范围内")
    return cls


def _finding(user: User, f: Finding) -> AssessmentFindingOut:
    data = f.as_dict()
    if not user.sees_clear_ids:
        data = mask_ids(data)
    return AssessmentFindingOut(
        rule=f.rule,
        outcome=str(f.outcome),
        outcome_label=OUTCOME_ZH.get(Outcome(f.outcome), str(f.outcome)),
        clause=f.clause,
        message=data["message"],
        values=data["values"],
    )


def _item(plan: AssessmentPlan) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "code": plan.code,
        "state": plan.state,
        "state_label": _STATE_ZH.get(plan.state, plan.state),
        "evaluation_body_id": plan.evaluation_body_id,
        "evaluation_body": plan.evaluation_body.name,
        "certificate": plan.certificate,
        "certificate_label": _CERTIFICATE_ZH.get(plan.certificate, plan.certificate),
        "occupation": str(plan.occupation),
        "level": plan.level,
        "area": plan.area.name,
        "scheduled_on": plan.scheduled_on,
        "place": plan.place,
        "inspector": plan.inspector,
        "filed_by": plan.filed_by.display_name,
        "filed_at": plan.filed_at,
        "class_count": getattr(plan, "class_count", 0),
        "version": plan.version,
    }


def _result(r: selectors.TraineeResult) -> TraineeResultOut:
    c = r.certificate
    return TraineeResultOut(
        enrollment_id=r.enrollment_id,
        class_id=r.class_id,
        class_code=r.class_code,
        row=r.row,
        name=r.name,
        id_number=r.id_number,
        outcome=r.outcome,
        outcome_label=r.outcome_label,
        score=r.score,
        assessed_on=r.assessed_on,
        certificate=CertificateOut(
            kind=c.kind, kind_label=c.kind_label, level=c.level, number=c.number, issued_on=c.issued_on, issuer=c.issuer
        )
        if c
        else None,
    )


def _detail(user: User, pk: int) -> PlanDetail:
    plan = _plan(user, pk)
    return PlanDetail(
        **_item(plan),
        classes=[
            PlanClassOut(
                id=c.pk,
                code=c.code,
                name=c.name,
                institution=c.institution.name,
                state=str(ClassState(c.state).label),
            )
            for c in selectors.plan_classes(plan)
        ],
        results=[_result(r) for r in selectors.plan_results(user, plan)],
    )


def _assessment(user: User, cls: TrainingClass) -> ClassAssessmentOut:
    view = selectors.class_assessment(user, cls)
    ledger = view.ledger
    entry = ledger.entry
    return ClassAssessmentOut(
        class_id=cls.pk,
        class_code=cls.code,
        plans=[
            PlanViewOut(
                id=p.plan.pk,
                code=p.plan.code,
                state=p.plan.state,
                state_label=_STATE_ZH.get(p.plan.state, p.plan.state),
                evaluation_body=p.plan.evaluation_body.name,
                scheduled_on=p.plan.scheduled_on,
                place=p.plan.place,
                filed_on=p.filed_on,
                days_ahead=p.days_ahead,
            )
            for p in view.plans
        ],
        trainees=[_result(r) for r in view.trainees],
        counts=[KindCountOut(kind=c.kind, label=c.label, sat=c.sat, certified=c.certified) for c in view.counts],
        sat=view.sat,
        certified=view.certified,
        ledger=LedgerOut(
            entered=entry is not None,
            entered_on=entry.entered_on if entry else None,
            entered_by=entry.entered_by.display_name if entry else None,
            trainees=entry.trainees if entry else None,
            certified=entry.certified if entry else None,
            notes=entry.notes if entry else "",
            ended=ledger.ended,
            ended_on=ledger.ended_on,
            due=ledger.due,
            overdue=ledger.overdue,
            finding=_finding(user, ledger.finding) if ledger.finding else None,
        ),
    )


# ── plans ─────────────────────────────────────────────────────────────────────────────────────


@router.get("/assessment/plans", summary="考核计划列表（本人管辖范围内）", response={200: PlanPage, **READ_ERRORS})
def plans(request: HttpRequest, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> PlanPage:
    qs = selectors.plans_for(api_user(request))
    items = [PlanItem(**_item(p)) for p in qs[offset : offset + limit]]
    return PlanPage(count=qs.count(), limit=limit, offset=offset, items=items)


@router.post(
    "/assessment/plans",
    summary="填报考核计划（至少提前 3 天；同一区域同一职业同一等级可统筹）",
    response={201: PlanDetail, **WRITE_ERRORS},
)
def file_plan(request: HttpRequest, payload: PlanIn) -> Status[PlanDetail]:
    user = api_user(request)
    with refusals_masked(user):
        plan = services.plan_file(
            actor=user,
            class_ids=payload.class_ids,
            scheduled_on=payload.scheduled_on,
            place=payload.place,
            inspector=payload.inspector,
            evaluation_body_id=payload.evaluation_body_id,
        )
    return Status(201, _detail(user, plan.pk))


@router.get(
    "/assessment/plans/{int:plan_id}", summary="考核计划详情与考核结果", response={200: PlanDetail, **READ_ERRORS}
)
def plan_detail(request: HttpRequest, plan_id: int) -> PlanDetail:
    return _detail(api_user(request), plan_id)


@router.post(
    "/assessment/plans/{int:plan_id}/results",
    summary="录入考核结果与证书（评价机构；考核日及以后；整批校验，有错误行则不录入）",
    response={200: PlanDetail, **WRITE_ERRORS, **RATE_LIMITED},
    throttle=BULK,
)
def record_results(request: HttpRequest, plan_id: int, payload: list[ResultIn]) -> PlanDetail:
    user = api_user(request)
    plan = _plan(user, plan_id)
    results = [
        services.ResultInput(
            enrollment_id=r.enrollment_id,
            outcome=r.outcome.value,
            score=r.score,
            certificate=services.CertificateInput(
                number=r.certificate.number,
                issued_on=r.certificate.issued_on,
                kind=r.certificate.kind.value if r.certificate.kind else None,
                level=r.certificate.level,
                issuer=r.certificate.issuer,
            )
            if r.certificate
            else None,
        )
        for r in payload
    ]
    with refusals_masked(user):
        services.results_record(plan=plan, actor=user, results=results)
    return _detail(user, plan_id)


@router.post(
    "/assessment/plans/{int:plan_id}/cancel",
    summary="取消考核计划（填报方；尚未录入结果）",
    response={200: PlanDetail, **WRITE_ERRORS},
)
def cancel_plan(request: HttpRequest, plan_id: int, payload: CancelIn) -> PlanDetail:
    user = api_user(request)
    plan = _plan(user, plan_id)
    with refusals_masked(user):
        services.plan_cancel(plan=plan, actor=user, reason=payload.reason)
    return _detail(user, plan_id)


# ── a class's assessment and ledger ───────────────────────────────────────────────────────────


@router.get(
    "/classes/{int:class_id}/assessment",
    summary="班级的结业考核：考核计划、每名学员的结果与证书、分证书类别人数、培训台账",
    response={200: ClassAssessmentOut, **READ_ERRORS},
)
def class_assessment(request: HttpRequest, class_id: int) -> ClassAssessmentOut:
    user = api_user(request)
    return _assessment(user, _class(user, class_id))


@router.post(
    "/classes/{int:class_id}/ledger",
    summary="录入培训台账（结业后 15 日内，ASM-LEDGER；逾期可录但记为逾期）",
    response={201: ClassAssessmentOut, **WRITE_ERRORS},
)
def enter_ledger(request: HttpRequest, class_id: int, payload: LedgerIn) -> Status[ClassAssessmentOut]:
    user = api_user(request)
    cls = _class(user, class_id)
    with refusals_masked(user):
        services.ledger_enter(cls=cls, actor=user, notes=payload.notes)
    return Status(201, _assessment(user, _class(user, class_id)))
