"""The JSON API of vouchers (/api/v1/): list, issue a batch from a file, redeem at enrolment,
cancel, a worker's own vouchers, and the year's VCH-TARGET figures.

Endpoints parse, call a selector or a service, and render. What is outside the caller's scope does
not exist for them (404 `not_found`, absent from lists); resident IDs are masked unless the
caller's role may read them in clear, in refusals too.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile
from ninja.params import functions as param

from jineng import tabular
from jineng.accounts.auth import AUTH, api_user, refusals_masked
from jineng.accounts.models import Role, User
from jineng.classes.errors import NotPermitted
from jineng.ids import mask_ric
from jineng.ratelimit import BULK

from ..api import RATE_LIMITED, READ_ERRORS, WRITE_ERRORS, ApiError, Offset
from . import selectors
from .models import Voucher, VoucherBatch, VoucherState
from .services import voucher_cancel, voucher_redeem, vouchers_issue

router = Router(tags=["电子培训券"], auth=AUTH)

MAX_LIMIT = 200
DEFAULT_LIMIT = 50

Limit = Annotated[int, param.Query(ge=1, le=MAX_LIMIT, description=f"每页条数（最多 {MAX_LIMIT}）")]


_STATE_ZH = dict(VoucherState.choices)


# ── schemas ───────────────────────────────────────────────────────────────────────────────────


class Ref(Schema):
    id: int
    name: str


class BatchRef(Schema):
    id: int
    code: str


class EnrollmentRef(Schema):
    id: int
    class_id: int
    class_code: str
    class_name: str
    row: int = Field(description="花名册序号")


class CertificateRef(Schema):
    id: int
    kind: str
    kind_label: str
    level: int | None
    number: str
    issued_on: dt.date


class VoucherOut(Schema):
    id: int
    code: str = Field(description="券码")
    state: VoucherState
    state_label: str
    holder_name: str
    holder_id_number: str = Field(description="持券人身份证号（按角色脱敏）")
    batch: BatchRef
    issued_on: dt.date
    expires_on: dt.date = Field(description="有效期至（含当日）")
    enrollment: EnrollmentRef | None = Field(description="使用于（报名的班级和花名册序号）")
    redeemed_at: dt.datetime | None
    certificate: CertificateRef | None = Field(description="兑现证书（以证换券）")
    value: Decimal | None = Field(description="兑现金额（元）：取得证书前为空（无证无价）")
    valued_at: dt.datetime | None


class VoucherPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[VoucherOut]


class BatchOut(Schema):
    id: int
    code: str = Field(description="批次号")
    org: Ref = Field(description="发放单位")
    issued_on: dt.date
    expires_on: dt.date
    purpose: str
    count: int = Field(description="张数")
    issued_by: str
    issued_at: dt.datetime
    states: dict[str, int] = Field(description="各状态张数")


class VoucherBatchPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[BatchOut]


class RedeemIn(Schema):
    code: str = Field(max_length=40, description="券码（大小写、空格、连字符不计）")
    enrollment_id: int = Field(description="花名册条目 id（本机构培训班的学员）")


class VoucherCancelIn(Schema):
    reason: str = Field(max_length=500, description="作废理由")


class TargetOut(Schema):
    year: int
    issued: int = Field(description="全市本年度发放张数（按发放日期）")
    used: int = Field(description="全市本年度有效使用张数（已取证兑现）")
    issued_target: int | None
    used_target: int | None
    met: bool | None
    finding: dict[str, Any] | None = Field(description="VCH-TARGET 核查结果；无政策覆盖该年度时为空")
    org_name: str = Field(description="县（市、区）人社局：本地区")
    org_issued: int | None
    org_used: int | None


# ── helpers ───────────────────────────────────────────────────────────────────────────────────


def voucher_out(user: User, v: Voucher) -> VoucherOut:
    e = v.enrollment
    c = v.certificate
    return VoucherOut(
        id=v.pk,
        code=v.code,
        state=VoucherState(v.state),
        state_label=_STATE_ZH.get(v.state, v.state),
        holder_name=v.holder.name,
        holder_id_number=v.holder.id_number if user.sees_clear_ids else mask_ric(v.holder.id_number),
        batch=BatchRef(id=v.batch_id, code=v.batch.code),
        issued_on=v.issued_on,
        expires_on=v.expires_on,
        enrollment=EnrollmentRef(
            id=e.pk,
            class_id=e.training_class_id,
            class_code=e.training_class.code,
            class_name=e.training_class.name,
            row=e.row,
        )
        if e is not None
        else None,
        redeemed_at=v.redeemed_at,
        certificate=CertificateRef(
            id=c.pk, kind=c.kind, kind_label=c.get_kind_display(), level=c.level, number=c.number, issued_on=c.issued_on
        )
        if c is not None
        else None,
        value=v.value,
        valued_at=v.valued_at,
    )


def batch_out(batch: VoucherBatch) -> BatchOut:
    return BatchOut(
        id=batch.pk,
        code=batch.code,
        org=Ref(id=batch.org_id, name=batch.org.name),
        issued_on=batch.issued_on,
        expires_on=batch.expires_on,
        purpose=batch.purpose,
        count=batch.count,
        issued_by=batch.issued_by.display_name,
        issued_at=batch.issued_at,
        states=selectors.batch_counts(batch),
    )


def _page(user: User, qs: Any, limit: int, offset: int) -> VoucherPage:
    return VoucherPage(
        count=qs.count(), limit=limit, offset=offset, items=[voucher_out(user, v) for v in qs[offset : offset + limit]]
    )


def _visible(user: User, pk: int) -> Voucher:
    voucher = selectors.vouchers_for(user).filter(pk=pk).first()
    if voucher is None:
        raise ApiError(404, "not_found", "找不到该培训券，或不在您的管辖范围内")
    return voucher


# ── endpoints ─────────────────────────────────────────────────────────────────────────────────


@router.get(
    "/vouchers", summary="培训券列表（本人管辖范围内；身份证号按角色脱敏）", response={200: VoucherPage, **READ_ERRORS}
)
def vouchers(
    request: HttpRequest,
    state: VoucherState | None = None,
    batch: int | None = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> VoucherPage:
    user = api_user(request)
    qs = selectors.voucher_list(user, state=state.value if state else None, batch=batch)
    return _page(user, qs, limit, offset)


@router.get("/vouchers/mine", summary="我的培训券（劳动者本人）", response={200: VoucherPage, **READ_ERRORS})
def my_vouchers(request: HttpRequest, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> VoucherPage:
    user = api_user(request)
    if user.role != Role.WORKER:
        raise NotPermitted("“我的培训券”只对劳动者本人开放")
    return _page(user, selectors.vouchers_for(user), limit, offset)


@router.get("/vouchers/target", summary="VCH-TARGET：全年发放与有效使用张数", response={200: TargetOut, **READ_ERRORS})
def target(
    request: HttpRequest,
    year: Annotated[int | None, param.Query(ge=2000, le=2100, description="年度，默认今年")] = None,
) -> TargetOut:
    user = api_user(request)
    figures = selectors.voucher_target(user, year or timezone.localdate().year)
    if figures is None:
        raise NotPermitted(f"角色“{user.role_label}”不查阅培训券发放使用指标")
    f = figures.finding
    return TargetOut(
        year=figures.year,
        issued=figures.issued,
        used=figures.used,
        issued_target=f.values["issued_target"] if f else None,
        used_target=f.values["used_target"] if f else None,
        met=f.values["met"] if f else None,
        finding=f.as_dict() if f else None,
        org_name=figures.org_name,
        org_issued=figures.org_issued,
        org_used=figures.org_used,
    )


@router.get(
    "/vouchers/batches", summary="发放批次（本单位；市人社局为全市）", response={200: VoucherBatchPage, **READ_ERRORS}
)
def batches(request: HttpRequest, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> VoucherBatchPage:
    qs = selectors.batches_for(api_user(request))
    return VoucherBatchPage(
        count=qs.count(), limit=limit, offset=offset, items=[batch_out(b) for b in qs[offset : offset + limit]]
    )


@router.post(
    "/vouchers/batches",
    summary="按名单实名发放培训券（XLSX/CSV：身份证号、姓名、意愿；有错误行则一张不发，逐行列出）",
    response={201: BatchOut, **WRITE_ERRORS, **RATE_LIMITED},
    throttle=BULK,
)
def issue(
    request: HttpRequest,
    file: File[UploadedFile],
    issued_on: Form[dt.date | None] = None,
    purpose: Form[str] = "",
) -> Status[BatchOut]:
    user = api_user(request)
    too_big = tabular.size_problem(file.size, file.name or "list", what="名单文件")
    if too_big is not None:  # refused by its size, before a byte of it is read
        raise ApiError(413, "payload_too_large", too_big, [{"path": "file", "message": too_big}])
    with refusals_masked(user):
        batch = vouchers_issue(
            actor=user, content=file.read(), filename=file.name or "list", issued_on=issued_on, purpose=purpose
        )
    fresh = selectors.batches_for(user).get(pk=batch.pk)
    return Status(201, batch_out(fresh))


@router.get("/vouchers/batches/{int:batch_id}", summary="发放批次", response={200: BatchOut, **READ_ERRORS})
def batch_detail(request: HttpRequest, batch_id: int) -> BatchOut:
    batch = selectors.batch_get(api_user(request), batch_id)
    if batch is None:
        raise ApiError(404, "not_found", "找不到该发放批次，或不在您的管辖范围内")
    return batch_out(batch)


@router.post(
    "/vouchers/redeem",
    summary="报名时使用培训券（持券人本人，VCH-REAL-NAME）",
    response={200: VoucherOut, **WRITE_ERRORS},
)
def redeem(request: HttpRequest, payload: RedeemIn) -> VoucherOut:
    user = api_user(request)
    with refusals_masked(user):
        voucher = voucher_redeem(actor=user, code=payload.code, enrollment_id=payload.enrollment_id)
    return voucher_out(user, selectors.vouchers_for(user).get(pk=voucher.pk))


@router.get("/vouchers/{int:voucher_id}", summary="培训券", response={200: VoucherOut, **READ_ERRORS})
def voucher_detail(request: HttpRequest, voucher_id: int) -> VoucherOut:
    user = api_user(request)
    return voucher_out(user, _visible(user, voucher_id))


@router.post(
    "/vouchers/{int:voucher_id}/cancel", summary="作废未使用的培训券", response={200: VoucherOut, **WRITE_ERRORS}
)
def cancel(request: HttpRequest, voucher_id: int, payload: VoucherCancelIn) -> VoucherOut:
    user = api_user(request)
    voucher = _visible(user, voucher_id)
    with refusals_masked(user):
        voucher_cancel(actor=user, voucher=voucher, reason=payload.reason)
    return voucher_out(user, _visible(user, voucher_id))
