"""Subsidy claims over HTTP (/api/v1/): claims and their lines, the review chain, the public notice
and its objections, the monthly push and finance's batch, disbursement and clawback.

Endpoints parse, call a selector or a service, and render. A claim, batch, objection or payment
outside the caller's scope does not exist for them (404 `not_found`); a role that may not do
something is refused by the service (403 `not_permitted`). Money is always a string with two
decimals ("1500.00"). Resident IDs are masked unless the caller may read them in clear; the
public notice (no login) shows masked names and masked IDs of payable trainees only.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.params import functions as param

from jineng.accounts.auth import AUTH, api_user, refusals_masked
from jineng.accounts.models import Role, User
from jineng.accounts.security import reauth_check
from jineng.classes.models import Level
from jineng.classes.selectors import class_get
from jineng.ids import mask_name, mask_ric
from jineng.policy.catalog import OUTCOME_ZH, Outcome
from jineng.policy.findings import Finding
from jineng.ratelimit import BULK

from ..api import RATE_LIMITED, READ_ERRORS, WRITE_ERRORS, ApiError, ErrorOut, Offset
from .models import (
    BatchState,
    ClaimLine,
    ClaimState,
    ClaimStep,
    Clawback,
    Disbursement,
    FinanceBatch,
    FundSource,
    Objection,
    PaymentLine,
    SubsidyClaim,
)
from .selectors import (
    batch_get,
    batches_for,
    claim_get,
    claim_list,
    claim_totals,
    deadlines,
    lines_of,
    objections_of,
    payments_of,
    public_notice_get,
    public_notices,
    steps_of,
)
from .services import (
    ClaimInput,
    ClawbackInput,
    DisbursementInput,
    batch_push,
    batch_sign,
    claim_create,
    claim_disburse,
    claim_finance_return,
    claim_publish,
    claim_recompute,
    claim_review,
    claim_submit,
    claim_update,
    objection_record,
    objection_resolve,
    payment_clawback,
)
from .views import (
    account_for,
    batch_claims,
    money,
    notice_contact,
    notice_title,
    operations_for,
    phone_for,
    step_label,
    text_for,
)
from .workflow import REVIEW_ACTIONS

router = Router(tags=["补贴申领"], auth=AUTH)

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MONEY_PATTERN = r"^\d{1,12}(\.\d{1,2})?$"

Limit = Annotated[int, param.Query(ge=1, le=MAX_LIMIT, description=f"每页条数（最多 {MAX_LIMIT}）")]

_STATE_ZH = dict(ClaimState.choices)
_BATCH_STATE_ZH = dict(BatchState.choices)
_ROLE_ZH = dict(Role.choices)
_FUND_ZH = dict(FundSource.choices)


# ── schemas ───────────────────────────────────────────────────────────────────────────────────


class Ref(Schema):
    id: int
    name: str


class ClassRef(Schema):
    id: int
    code: str
    name: str


class Totals(Schema):
    count: int = Field(description="申请数")
    persons: int = Field(description="补贴人数")
    amount: str = Field(description="金额（元）")


class ClaimItem(Schema):
    id: int
    code: str = Field(description="申请编号")
    training_class: ClassRef
    institution: Ref
    area: Ref = Field(description="县（市、区）")
    state: ClaimState
    state_label: str
    version: int
    trainees: int = Field(description="花名册人数")
    payable_count: int = Field(description="申请补贴人数")
    amount: str = Field(description="申请补贴金额（元），两位小数")
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    notice_from: dt.date | None
    notice_until: dt.date | None
    batch_id: int | None


class ClaimPage(Schema):
    count: int
    limit: int
    offset: int
    totals: Totals = Field(description="符合条件的全部申请合计")
    items: list[ClaimItem]


class BlockOut(Schema):
    rule: str = Field(description="规则编号（RULES.md）")
    outcome: str
    outcome_label: str
    clause: str
    message: str


class LineOut(Schema):
    id: int
    row: int = Field(description="序号（花名册）")
    name: str
    id_number: str = Field(description="身份证号（无权查看明文的角色为脱敏值）")
    payable: bool
    amount: str
    standard: str = Field(description="补贴标准（证书类别·等级）")
    certificate: str | None = Field(description="证书编号")
    voucher: str | None = Field(description="培训券券码")
    blocks: list[BlockOut] = Field(description="不予补贴原因（每条一个规则编号）")


class ActorOut(Schema):
    name: str
    role: str
    role_label: str


class StepOut(Schema):
    action: str
    action_label: str
    from_state: str
    from_state_label: str
    to_state: str
    to_state_label: str
    actor: ActorOut
    at: dt.datetime
    opinion: str
    claim_version: int
    amount: str
    payable_count: int


class ObjectionOut(Schema):
    id: int
    line_id: int | None
    line_row: int | None
    line_name: str | None
    received_on: dt.date
    source: str
    content: str
    recorded_by: str
    recorded_at: dt.datetime
    open: bool
    upheld: bool | None
    resolved_by: str | None
    resolved_at: dt.datetime | None
    resolution: str


class DeadlineOut(Schema):
    rule: str
    due: dt.date | None = Field(description="期限")
    overdue: bool
    message: str


class OperationOut(Schema):
    key: str = Field(description="操作；审核操作为 POST /claims/{id}/review 的 action")
    label: str
    method: str
    path: str = Field(description="接口路径（/api/v1/ 之后）")
    needs_opinion: bool
    needs_reasons: bool


class ClawbackOut(Schema):
    id: int
    amount: str
    rule: str
    reason: str
    reference: str
    decided_on: dt.date
    recorded_by: str
    recorded_at: dt.datetime


class PaymentOut(Schema):
    id: int
    line_id: int
    row: int
    name: str
    id_number: str
    amount: str
    recovered: str
    clawbacks: list[ClawbackOut]


class DisbursementOut(Schema):
    id: int
    claim_id: int
    amount: str
    paid_on: dt.date
    bank_reference: str
    fund_source: FundSource
    fund_source_label: str
    recorded_by: str
    recorded_at: dt.datetime


class ClaimDetail(ClaimItem):
    contact: str
    phone: str
    bank_name: str
    bank_account: str = Field(description="银行账号（行业部门、领导为脱敏值）")
    committed: bool = Field(description="已签署申请承诺")
    policy: str
    computed_at: dt.datetime | None
    accepted_on: dt.date | None
    notice_site: str
    lines: list[LineOut]
    steps: list[StepOut]
    objections: list[ObjectionOut]
    deadlines: list[DeadlineOut] = Field(description="SUB-INDUSTRY-DEADLINE、SUB-MONTHLY-PUSH")
    actions: list[OperationOut] = Field(description="调用者现在可执行的操作")
    disbursement: DisbursementOut | None
    payments: list[PaymentOut]


class ClaimIn(Schema):
    """补贴申请：联系人、电话、开户银行、账号与申请承诺。"""

    contact: str = Field(max_length=100, description="联系人")
    phone: str = Field(max_length=40, description="联系电话")
    bank_name: str = Field(max_length=200, description="开户银行名称")
    bank_account: str = Field(max_length=64, description="银行账号")
    committed: bool = Field(False, description="已阅读并签署申请承诺（提交时必须）")

    def to_input(self) -> ClaimInput:
        return ClaimInput(self.contact, self.phone, self.bank_name, self.bank_account, self.committed)


class ClaimPatchIn(Schema):
    """Only the fields sent change; `version` is the one the caller read."""

    version: int = Field(description="读取时的申请版本（乐观锁）")
    contact: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=40)
    bank_name: str | None = Field(None, max_length=200)
    bank_account: str | None = Field(None, max_length=64)
    committed: bool | None = None


class VersionIn(Schema):
    version: int = Field(description="读取时的申请版本（乐观锁）")


class ReviewIn(Schema):
    action: str = Field(max_length=20, description="操作：" + "、".join(REVIEW_ACTIONS))
    version: int = Field(description="读取时的申请版本（乐观锁）")
    opinion: str = Field("", max_length=2000, description="审核意见（初审、复核必填）")
    reasons: list[str] = Field(default_factory=list, max_length=50, description="退回/不予补贴理由")


class PublishIn(Schema):
    version: int = Field(description="读取时的申请版本（乐观锁）")
    published_on: dt.date = Field(description="公示开始日期（不早于今天）")
    site: str = Field(max_length=200, description="公示网站")


class ObjectionIn(Schema):
    received_on: dt.date
    source: str = Field(max_length=200, description="异议人/来源")
    content: str = Field(max_length=5000, description="异议内容")
    line_id: int | None = Field(None, description="涉及学员（明细 id），针对整个申请时为空")


class ResolveIn(Schema):
    upheld: bool = Field(description="异议是否成立")
    resolution: str = Field(max_length=5000, description="处理情况")


class ReturnIn(Schema):
    reasons: list[str] = Field(max_length=50, description="退回理由")


class DisburseIn(Schema):
    amount: str = Field(pattern=MONEY_PATTERN, description='拨付金额（元），字符串，如 "4500.00"')
    paid_on: dt.date
    bank_reference: str = Field(max_length=64, description="银行流水号")
    fund_source: FundSource


class ClawbackIn(Schema):
    amount: str = Field(pattern=MONEY_PATTERN, description="收缴金额（元），字符串")
    rule: str = Field(max_length=32, description="违反的规则编号")
    reason: str = Field(max_length=2000)
    reference: str = Field(max_length=64, description="收缴凭证号")
    decided_on: dt.date


class SignIn(Schema):
    version: int = Field(description="读取时的批次版本（乐观锁）")
    opinion: str = Field("", max_length=2000)


class BatchItem(Schema):
    id: int
    code: str
    org: Ref = Field(description="推送单位")
    month: dt.date
    state: BatchState
    state_label: str
    version: int
    claims_count: int
    persons: int
    amount: str
    pushed_by: str
    pushed_at: dt.datetime
    first_by: str | None
    first_at: dt.datetime | None
    first_opinion: str
    second_by: str | None
    second_at: dt.datetime | None
    second_opinion: str


class BatchPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[BatchItem]


class BatchClaimOut(ClaimItem):
    bank_name: str
    bank_account: str


class BatchDetail(BatchItem):
    claims: list[BatchClaimOut]


class NoticeLineOut(Schema):
    row: int = Field(description="序号")
    name: str = Field(description="姓名（脱敏）")
    id_number: str = Field(description="身份证号（脱敏）")
    certificate: str = Field(description="证书")
    amount: str


class NoticeItem(Schema):
    id: int
    title: str
    code: str
    institution: str
    training_class: str
    occupation: str
    level: str | None
    area: str
    notice_from: dt.date
    notice_until: dt.date
    site: str
    persons: int
    amount: str
    contact: str = Field(description="异议受理单位")


class NoticePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[NoticeItem]


class NoticeDetail(NoticeItem):
    lines: list[NoticeLineOut]


# ── rendering ─────────────────────────────────────────────────────────────────────────────────


def _claim(user: User, pk: int) -> SubsidyClaim:
    claim = claim_get(user, pk)
    if claim is None:
        raise ApiError(404, "not_found", "找不到该补贴申请，或不在您的管辖范围内")
    return claim


def _batch(user: User, pk: int) -> FinanceBatch:
    batch = batch_get(user, pk)
    if batch is None:
        raise ApiError(404, "not_found", "找不到该推送批次，或不在您的管辖范围内")
    return batch


def _outcome_label(outcome: str) -> str:
    return OUTCOME_ZH.get(Outcome(outcome), outcome) if outcome in Outcome else outcome


def _item(claim: SubsidyClaim) -> dict[str, Any]:
    cls = claim.training_class
    return {
        "id": claim.pk,
        "code": claim.code,
        "training_class": ClassRef(id=cls.pk, code=cls.code, name=cls.name),
        "institution": Ref(id=claim.institution.pk, name=claim.institution.name),
        "area": Ref(id=cls.area.pk, name=cls.area.name),
        "state": ClaimState(claim.state),
        "state_label": _STATE_ZH.get(claim.state, claim.state),
        "version": claim.version,
        "trainees": claim.trainees,
        "payable_count": claim.payable_count,
        "amount": money(claim.amount),
        "created_at": claim.created_at,
        "submitted_at": claim.submitted_at,
        "notice_from": claim.notice_from,
        "notice_until": claim.notice_until,
        "batch_id": claim.batch_id,
    }


def _line(user: User, line: ClaimLine) -> LineOut:
    clear = user.sees_clear_ids
    return LineOut(
        id=line.pk,
        row=line.row,
        name=line.person.name,
        id_number=line.person.id_number if clear else mask_ric(line.person.id_number),
        payable=line.payable,
        amount=money(line.amount),
        standard=line.standard,
        certificate=line.certificate.number if line.certificate else None,
        voucher=line.voucher.code if line.voucher else None,
        blocks=[
            BlockOut(
                rule=str(b.get("rule", "")),
                outcome=str(b.get("outcome", "")),
                outcome_label=_outcome_label(str(b.get("outcome", ""))),
                clause=str(b.get("clause", "")),
                message=text_for(user, str(b.get("message", ""))),
            )
            for b in line.blocks
            if isinstance(b, dict)
        ],
    )


def _step(user: User, s: ClaimStep) -> StepOut:
    return StepOut(
        action=s.action,
        action_label=step_label(s.action),
        from_state=s.from_state,
        from_state_label=_STATE_ZH.get(s.from_state, s.from_state),
        to_state=s.to_state,
        to_state_label=_STATE_ZH.get(s.to_state, s.to_state),
        actor=ActorOut(name=s.actor.display_name, role=s.actor_role, role_label=_ROLE_ZH.get(s.actor_role, "")),
        at=s.at,
        opinion=text_for(user, s.opinion),
        claim_version=s.claim_version,
        amount=money(s.amount),
        payable_count=s.payable_count,
    )


def _objection(user: User, o: Objection) -> ObjectionOut:
    return ObjectionOut(
        id=o.pk,
        line_id=o.line_id,
        line_row=o.line.row if o.line else None,
        line_name=o.line.person.name if o.line else None,
        received_on=o.received_on,
        source=text_for(user, o.source),
        content=text_for(user, o.content),
        recorded_by=o.recorded_by.display_name,
        recorded_at=o.recorded_at,
        open=o.open,
        upheld=o.upheld,
        resolved_by=o.resolved_by.display_name if o.resolved_by else None,
        resolved_at=o.resolved_at,
        resolution=text_for(user, o.resolution),
    )


def _deadline(user: User, rule: str, due: dt.date | None, found: Finding | None) -> DeadlineOut:
    return DeadlineOut(
        rule=rule, due=due, overdue=found is not None, message=text_for(user, found.message) if found else ""
    )


def _clawback(c: Clawback) -> ClawbackOut:
    return ClawbackOut(
        id=c.pk,
        amount=money(c.amount),
        rule=c.rule,
        reason=c.reason,
        reference=c.reference,
        decided_on=c.decided_on,
        recorded_by=c.recorded_by.display_name,
        recorded_at=c.recorded_at,
    )


def _payment(user: User, p: PaymentLine) -> PaymentOut:
    clear = user.sees_clear_ids
    return PaymentOut(
        id=p.pk,
        line_id=p.line_id,
        row=p.line.row,
        name=p.person.name,
        id_number=p.person.id_number if clear else mask_ric(p.person.id_number),
        amount=money(p.amount),
        recovered=money(getattr(p, "recovered", None)),
        clawbacks=[_clawback(c) for c in p.clawbacks_in_order],  # type: ignore[attr-defined]
    )


def _disbursement(d: Disbursement) -> DisbursementOut:
    return DisbursementOut(
        id=d.pk,
        claim_id=d.claim_id,
        amount=money(d.amount),
        paid_on=d.paid_on,
        bank_reference=d.bank_reference,
        fund_source=FundSource(d.fund_source),
        fund_source_label=_FUND_ZH.get(d.fund_source, d.fund_source),
        recorded_by=d.recorded_by.display_name,
        recorded_at=d.recorded_at,
    )


def _detail(user: User, pk: int) -> ClaimDetail:
    claim = _claim(user, pk)
    due = deadlines(claim)
    disbursement = Disbursement.objects.select_related("recorded_by").filter(claim=claim).first()
    return ClaimDetail(
        **_item(claim),
        contact=claim.contact,
        phone=phone_for(user, claim.phone),
        bank_name=claim.bank_name,
        bank_account=account_for(user, claim.bank_account),
        committed=claim.committed,
        policy=claim.policy,
        computed_at=claim.computed_at,
        accepted_on=claim.accepted_on,
        notice_site=claim.notice_site,
        lines=[_line(user, line) for line in lines_of(claim)],
        steps=[_step(user, s) for s in steps_of(claim)],
        objections=[_objection(user, o) for o in objections_of(claim)],
        deadlines=[
            _deadline(user, "SUB-INDUSTRY-DEADLINE", due.industry_due, due.industry),
            _deadline(user, "SUB-MONTHLY-PUSH", due.push_due, due.push),
        ],
        actions=[OperationOut(**vars(op)) for op in operations_for(user, claim)],
        disbursement=_disbursement(disbursement) if disbursement else None,
        payments=[_payment(user, p) for p in payments_of(claim)],
    )


def _batch_item(b: FinanceBatch) -> dict[str, Any]:
    return {
        "id": b.pk,
        "code": b.code,
        "org": Ref(id=b.org.pk, name=b.org.name),
        "month": b.month,
        "state": BatchState(b.state),
        "state_label": _BATCH_STATE_ZH.get(b.state, b.state),
        "version": b.version,
        "claims_count": b.claims_count,
        "persons": b.persons,
        "amount": money(b.amount),
        "pushed_by": b.pushed_by.display_name,
        "pushed_at": b.pushed_at,
        "first_by": b.first_by.display_name if b.first_by else None,
        "first_at": b.first_at,
        "first_opinion": b.first_opinion,
        "second_by": b.second_by.display_name if b.second_by else None,
        "second_at": b.second_at,
        "second_opinion": b.second_opinion,
    }


def _batch_detail(user: User, pk: int) -> BatchDetail:
    batch = _batch(user, pk)
    claims = [
        BatchClaimOut(**_item(c), bank_name=c.bank_name, bank_account=account_for(user, c.bank_account))
        for c in batch_claims(batch)
    ]
    return BatchDetail(**_batch_item(batch), claims=claims)


def _decimal(raw: str, path: str) -> Decimal:
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise ApiError(
            422, "invalid_request", "金额不是有效数字", [{"path": path, "message": "应为如 1500.00 的金额"}]
        ) from None


# ── claims ────────────────────────────────────────────────────────────────────────────────────


@router.get("/claims", summary="补贴申请列表（本人管辖范围内）", response={200: ClaimPage, **READ_ERRORS})
def claims(
    request: HttpRequest,
    state: Annotated[ClaimState | None, param.Query(description="状态")] = None,
    q: Annotated[str | None, param.Query(max_length=100, description="申请编号、班级编号或机构名称关键字")] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> ClaimPage:
    user = api_user(request)
    qs = claim_list(user, state=state.value if state else "", q=q or "")
    totals = claim_totals(qs)
    return ClaimPage(
        count=int(totals["count"]),
        limit=limit,
        offset=offset,
        totals=Totals(count=int(totals["count"]), persons=int(totals["persons"]), amount=money(totals["amount"])),
        items=[ClaimItem(**_item(c)) for c in qs[offset : offset + limit]],
    )


@router.post(
    "/classes/{int:class_id}/claim",
    summary="申领补贴（每班一份：已有申请时原样返回 200）",
    response={200: ClaimDetail, 201: ClaimDetail, **WRITE_ERRORS},
)
def create_claim(request: HttpRequest, class_id: int, payload: ClaimIn) -> Status[ClaimDetail]:
    user = api_user(request)
    cls = class_get(user, class_id)
    if cls is None:
        raise ApiError(404, "not_found", "找不到该培训班，或不在您的管辖范围内")
    with refusals_masked(user):
        claim, created = claim_create(cls=cls, actor=user, data=payload.to_input())
    return Status(201 if created else 200, _detail(user, claim.pk))


@router.get(
    "/claims/{int:claim_id}",
    summary="补贴申请详情（明细、审核记录、异议、时限、可执行操作）",
    response={200: ClaimDetail, **READ_ERRORS},
)
def claim_detail(request: HttpRequest, claim_id: int) -> ClaimDetail:
    return _detail(api_user(request), claim_id)


@router.patch(
    "/claims/{int:claim_id}", summary="修改申请信息（草稿、退回修改时）", response={200: ClaimDetail, **WRITE_ERRORS}
)
def update_claim(request: HttpRequest, claim_id: int, payload: ClaimPatchIn) -> ClaimDetail:
    user = api_user(request)
    claim = _claim(user, claim_id)
    data = ClaimInput(
        contact=claim.contact if payload.contact is None else payload.contact,
        phone=claim.phone if payload.phone is None else payload.phone,
        bank_name=claim.bank_name if payload.bank_name is None else payload.bank_name,
        bank_account=claim.bank_account if payload.bank_account is None else payload.bank_account,
        committed=claim.committed if payload.committed is None else payload.committed,
    )
    with refusals_masked(user):
        claim_update(claim=claim, actor=user, expected_version=payload.version, data=data)
    return _detail(user, claim_id)


@router.post(
    "/claims/{int:claim_id}/recompute", summary="按现有记录重新核算", response={200: ClaimDetail, **WRITE_ERRORS}
)
def recompute_claim(request: HttpRequest, claim_id: int, payload: VersionIn) -> ClaimDetail:
    user = api_user(request)
    claim = _claim(user, claim_id)
    with refusals_masked(user):
        claim_recompute(claim=claim, actor=user, expected_version=payload.version)
    return _detail(user, claim_id)


@router.post("/claims/{int:claim_id}/submit", summary="提交申请", response={200: ClaimDetail, **WRITE_ERRORS})
def submit_claim(request: HttpRequest, claim_id: int, payload: VersionIn) -> ClaimDetail:
    user = api_user(request)
    claim = _claim(user, claim_id)
    with refusals_masked(user):
        claim_submit(claim=claim, actor=user, expected_version=payload.version)
    return _detail(user, claim_id)


@router.post(
    "/claims/{int:claim_id}/review",
    summary="受理、初审、复核、退回修改或不予补贴（行业部门、人社部门）",
    response={200: ClaimDetail, **WRITE_ERRORS},
)
def review_claim(request: HttpRequest, claim_id: int, payload: ReviewIn) -> ClaimDetail:
    user = api_user(request)
    claim = _claim(user, claim_id)
    with refusals_masked(user):
        claim_review(
            claim=claim,
            actor=user,
            action=payload.action,
            expected_version=payload.version,
            opinion=payload.opinion,
            reasons=payload.reasons,
        )
    return _detail(user, claim_id)


@router.post("/claims/{int:claim_id}/publish", summary="发布公示", response={200: ClaimDetail, **WRITE_ERRORS})
def publish_claim(request: HttpRequest, claim_id: int, payload: PublishIn) -> ClaimDetail:
    user = api_user(request)
    claim = _claim(user, claim_id)
    with refusals_masked(user):
        claim_publish(
            claim=claim,
            actor=user,
            expected_version=payload.version,
            published_on=payload.published_on,
            site=payload.site,
        )
    return _detail(user, claim_id)


@router.post(
    "/claims/{int:claim_id}/objections",
    summary="登记公示异议（未处理的异议暂缓拨付）",
    response={201: ObjectionOut, **WRITE_ERRORS},
)
def record_objection(request: HttpRequest, claim_id: int, payload: ObjectionIn) -> Status[ObjectionOut]:
    user = api_user(request)
    claim = _claim(user, claim_id)
    with refusals_masked(user):
        objection = objection_record(
            claim=claim,
            actor=user,
            received_on=payload.received_on,
            source=payload.source,
            content=payload.content,
            line_id=payload.line_id,
        )
    return Status(201, _objection(user, objections_of(claim).get(pk=objection.pk)))


@router.post(
    "/objections/{int:objection_id}/resolve",
    summary="处理公示异议（成立时该学员不予补贴）",
    response={200: ObjectionOut, **WRITE_ERRORS},
)
def resolve_objection(request: HttpRequest, objection_id: int, payload: ResolveIn) -> ObjectionOut:
    user = api_user(request)
    objection = Objection.objects.filter(pk=objection_id).first()
    if objection is None or claim_get(user, objection.claim_id) is None:
        raise ApiError(404, "not_found", "找不到该异议，或不在您的管辖范围内")
    with refusals_masked(user):
        objection_resolve(objection=objection, actor=user, upheld=payload.upheld, resolution=payload.resolution)
    fresh = Objection.objects.select_related("line__person", "recorded_by", "resolved_by").get(pk=objection_id)
    return _objection(user, fresh)


@router.post(
    "/claims/{int:claim_id}/finance-return",
    summary="财政退回（申请退出批次，回到申请单位；此后财政不再查阅该申请）",
    response={200: ClaimItem, **WRITE_ERRORS},
)
def finance_return(request: HttpRequest, claim_id: int, payload: ReturnIn) -> ClaimItem:
    user = api_user(request)
    claim = _claim(user, claim_id)
    with refusals_masked(user):
        claim_finance_return(claim=claim, actor=user, reasons=payload.reasons)
    # The returned claim has left finance's scope: the answer is its new state, not the detail.
    fresh = SubsidyClaim.objects.select_related("training_class", "training_class__area", "institution")
    return ClaimItem(**_item(fresh.get(pk=claim_id)))


@router.post(
    "/claims/{int:claim_id}/disburse",
    summary="拨付（须带 Idempotency-Key 请求头：重复请求返回首次结果 200，同一键不同内容 409；须先 POST /auth/reauth）",
    response={200: DisbursementOut, 201: DisbursementOut, **WRITE_ERRORS, **RATE_LIMITED},
    throttle=BULK,
)
def disburse(
    request: HttpRequest,
    claim_id: int,
    payload: DisburseIn,
    idempotency_key: Annotated[
        str | None, param.Header(alias="Idempotency-Key", description="幂等键：8 至 64 位，每笔拨付一个")
    ] = None,
) -> Status[DisbursementOut]:
    user = api_user(request)
    claim = _claim(user, claim_id)  # out of scope is 404 before anything else is judged
    if not idempotency_key or not idempotency_key.strip():
        raise ApiError(
            422,
            "invalid_request",
            "拨付请求须带 Idempotency-Key 请求头",
            [{"path": "Idempotency-Key", "message": "必填：同一笔拨付重试时使用同一个键"}],
        )
    reauth_check(request)
    data = DisbursementInput(
        amount=_decimal(payload.amount, "amount"),
        paid_on=payload.paid_on,
        bank_reference=payload.bank_reference,
        fund_source=payload.fund_source.value,
    )
    with refusals_masked(user):
        disbursement, created = claim_disburse(claim=claim, actor=user, idempotency_key=idempotency_key, data=data)
    fresh = Disbursement.objects.select_related("recorded_by").get(pk=disbursement.pk)
    return Status(201 if created else 200, _disbursement(fresh))


@router.post(
    "/payments/{int:payment_id}/clawback",
    summary="收缴（原拨付记录保留；须先 POST /auth/reauth）",
    response={201: ClawbackOut, **WRITE_ERRORS},
)
def clawback(request: HttpRequest, payment_id: int, payload: ClawbackIn) -> Status[ClawbackOut]:
    user = api_user(request)
    payment = PaymentLine.objects.select_related("disbursement").filter(pk=payment_id).first()
    if payment is None or claim_get(user, payment.disbursement.claim_id) is None:
        raise ApiError(404, "not_found", "找不到该拨付明细，或不在您的管辖范围内")
    reauth_check(request)
    data = ClawbackInput(
        amount=_decimal(payload.amount, "amount"),
        rule=payload.rule.strip(),
        reason=payload.reason,
        reference=payload.reference,
        decided_on=payload.decided_on,
    )
    with refusals_masked(user):
        made = payment_clawback(payment=payment, actor=user, data=data)
    return Status(201, _clawback(Clawback.objects.select_related("recorded_by").get(pk=made.pk)))


# ── the monthly push and finance's batches ────────────────────────────────────────────────────


@router.post(
    "/finance/push",
    summary="按月推送财政（公示期满且异议均已处理的申请，每单位每月一批）",
    response={201: BatchDetail, **WRITE_ERRORS, **RATE_LIMITED},
    throttle=BULK,
)
def push(request: HttpRequest) -> Status[BatchDetail]:
    user = api_user(request)
    with refusals_masked(user):
        batch = batch_push(actor=user)
    return Status(201, _batch_detail(user, batch.pk))


@router.get(
    "/finance/batches", summary="推送批次（财政：本级；人社：本单位推送的）", response={200: BatchPage, **READ_ERRORS}
)
def batches(request: HttpRequest, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> BatchPage:
    qs = batches_for(api_user(request))
    items = [BatchItem(**_batch_item(b)) for b in qs[offset : offset + limit]]
    return BatchPage(count=qs.count(), limit=limit, offset=offset, items=items)


@router.get(
    "/finance/batches/{int:batch_id}", summary="批次详情（所含申请）", response={200: BatchDetail, **READ_ERRORS}
)
def batch_detail(request: HttpRequest, batch_id: int) -> BatchDetail:
    return _batch_detail(api_user(request), batch_id)


@router.post(
    "/finance/batches/{int:batch_id}/sign",
    summary="财政初审 / 复核（两人，SUB-TWO-PERSON；须先 POST /auth/reauth）",
    response={200: BatchDetail, **WRITE_ERRORS},
)
def sign_batch(request: HttpRequest, batch_id: int, payload: SignIn) -> BatchDetail:
    user = api_user(request)
    batch = _batch(user, batch_id)
    reauth_check(request)
    with refusals_masked(user):
        batch_sign(batch=batch, actor=user, expected_version=payload.version, opinion=payload.opinion)
    return _batch_detail(user, batch_id)


# ── the public notice (no login) ──────────────────────────────────────────────────────────────


def notice_lines(claim: SubsidyClaim) -> list[NoticeLineOut]:
    """The payable trainees, numbered afresh, with names and IDs masked whoever reads them."""
    return [
        NoticeLineOut(
            row=i,
            name=mask_name(line.person.name),
            id_number=mask_ric(line.person.id_number),
            certificate=line.standard,
            amount=money(line.amount),
        )
        for i, line in enumerate(lines_of(claim).filter(payable=True), start=1)
    ]


def _notice(claim: SubsidyClaim) -> dict[str, Any]:
    cls = claim.training_class
    assert claim.notice_from is not None and claim.notice_until is not None  # public_notices() filters
    return {
        "id": claim.pk,
        "title": notice_title(claim),
        "code": claim.code,
        "institution": claim.institution.name,
        "training_class": f"{cls.code} {cls.name}",
        "occupation": cls.occupation.name,
        "level": Level(cls.level).label if cls.level else None,
        "area": cls.area.name,
        "notice_from": claim.notice_from,
        "notice_until": claim.notice_until,
        "site": claim.notice_site,
        "persons": claim.payable_count,
        "amount": money(claim.amount),
        "contact": notice_contact(claim),
    }


@router.get("/public/notices", auth=None, summary="补贴公示（无需登录）", response={200: NoticePage, 422: ErrorOut})
def notices(request: HttpRequest, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> NoticePage:
    qs = public_notices()
    items = [NoticeItem(**_notice(c)) for c in qs[offset : offset + limit]]
    return NoticePage(count=qs.count(), limit=limit, offset=offset, items=items)


@router.get(
    "/public/notices/{int:claim_id}",
    auth=None,
    summary="补贴公示详情：补贴人员名单（姓名、身份证号脱敏）",
    response={200: NoticeDetail, 404: ErrorOut, 422: ErrorOut},
)
def notice(request: HttpRequest, claim_id: int) -> NoticeDetail:
    claim = public_notice_get(claim_id)
    if claim is None:
        raise ApiError(404, "not_found", "找不到该公示")
    return NoticeDetail(**_notice(claim), lines=notice_lines(claim))
