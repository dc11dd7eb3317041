"""Pages of vouchers: the list (filters, pages, XLSX, the VCH-TARGET figures), issuing a batch from
a list file, a worker's own vouchers, and the clerk's redemption form.

Views parse, call a selector or a service, and render; refusals are the services'. Plain form
posts are answered with a redirect (POST-redirect-GET), a refused one re-renders with the reasons.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from openpyxl import Workbook
from openpyxl.styles import Font

from jineng import tabular
from jineng.accounts.models import Role, User
from jineng.audit.context import RefusedNotFound
from jineng.audit.services import mask_text
from jineng.classes.errors import ServiceError
from jineng.classes.models import Enrollment
from jineng.classes.selectors import classes_for
from jineng.ids import mask_ric

from . import selectors
from .list_io import list_template_xlsx
from .models import Voucher, VoucherState
from .services import REDEEMABLE_CLASS_STATES, may_issue, voucher_cancel, voucher_redeem, vouchers_issue

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 50
EXPORT_COLUMNS = (
    *("券码", "状态", "持券人", "身份证号", "批次号", "发放日期", "有效期至"),
    *("使用班级", "花名册序号", "使用时间", "兑现证书", "兑现金额（元）", "兑现时间"),
)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User), "login_required runs first"
    return user


def _id(user: User, number: str) -> str:
    return number if user.sees_clear_ids else mask_ric(number)


def _refusal(user: User, exc: ServiceError) -> dict[str, Any]:
    """A service's refusal as the page shows it (IDs masked for roles that may not read them)."""
    clear = user.sees_clear_ids
    return {
        "message": exc.message if clear else mask_text(exc.message),
        "fields": [
            {"path": f.get("path", ""), "message": f["message"] if clear else mask_text(f["message"])}
            for f in exc.fields
        ],
        "findings": exc.extra.get("findings") or [],
    }


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


# ── list ──────────────────────────────────────────────────────────────────────────────────────


def _row(user: User, v: Voucher) -> dict[str, Any]:
    e = v.enrollment
    return {
        "v": v,
        "id_number": _id(user, v.holder.id_number),
        "class_code": e.training_class.code if e else "",
        "class_id": e.training_class_id if e else None,
        "row": e.row if e else None,
        "may_cancel": v.state == VoucherState.ISSUED and may_issue(user) and user.org_id == v.batch.org_id,
    }


def _export(user: User, rows: QuerySet[Voucher]) -> HttpResponse:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "电子培训券"
    sheet.append([f"电子职业培训券（导出于 {timezone.localdate():%Y-%m-%d}，{user.display_name}）"])
    sheet.append(list(EXPORT_COLUMNS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for v in rows.iterator(chunk_size=2000):
        e, c = v.enrollment, v.certificate
        sheet.append(
            [
                v.code,
                v.get_state_display(),
                v.holder.name,
                _id(user, v.holder.id_number),
                v.batch.code,
                v.issued_on,
                v.expires_on,
                e.training_class.code if e else "",
                e.row if e else None,
                _local(v.redeemed_at),
                str(c) if c else "",
                v.value,
                _local(v.valued_at),
            ]
        )
    for letter, width in zip("ABCDEFGHIJKLM", (16, 14, 10, 22, 14, 12, 12, 16, 10, 18, 30, 14, 18), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=3):
        row[5].number_format = row[6].number_format = "yyyy-mm-dd"
        row[9].number_format = row[12].number_format = "yyyy-mm-dd hh:mm"
        row[11].number_format = "#,##0.00"
    sheet.freeze_panes = "A3"
    response = HttpResponse(tabular.xlsx_bytes(book), content_type=XLSX)
    name = f"电子培训券-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


def _int(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() else None


@login_required
@require_GET
def vouchers_index(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    state = request.GET.get("state", "")
    state = state if state in VoucherState.values else ""
    batch = _int(request.GET.get("batch"))
    rows = selectors.voucher_list(user, state=state or None, batch=batch)
    if request.GET.get("format") == "xlsx":
        return _export(user, rows)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    year = _int(request.GET.get("year")) or timezone.localdate().year
    context = {
        "page": page,
        "rows": [_row(user, v) for v in page.object_list],
        "states": VoucherState.choices,
        "batches": list(selectors.batches_for(user)[:200]),
        "filters": {"state": state, "batch": batch},
        "export_query": urlencode(
            {k: v for k, v in (("state", state), ("batch", batch or "")) if v} | {"format": "xlsx"}
        ),
        "target": selectors.voucher_target(user, year),
        "year": year,
        "can_issue": may_issue(user),
        "can_redeem": user.role == Role.INSTITUTION_CLERK and user.institution_id is not None,
        "is_worker": user.role == Role.WORKER,
        "reads_list": selectors.voucher_scope(user) is not None,
    }
    return render(request, "vouchers/list.html", context)


@login_required
@require_GET
def my_vouchers(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.role != Role.WORKER:
        raise RefusedNotFound("“我的培训券”只对劳动者本人开放")
    page = Paginator(selectors.vouchers_for(user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "vouchers/mine.html", {"page": page, "today": timezone.localdate()})


# ── issue ─────────────────────────────────────────────────────────────────────────────────────


@login_required
@require_http_methods(["GET", "POST"])
def issue(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not may_issue(user):
        raise RefusedNotFound("只有县（市、区）或市人社局审核人可以发放培训券")
    today = timezone.localdate()
    form = {"issued_on": request.POST.get("issued_on", today.isoformat()), "purpose": request.POST.get("purpose", "")}
    if request.method == "GET":
        return render(request, "vouchers/issue.html", {"form": form})
    refusal: dict[str, Any] | None = None
    upload = request.FILES.get("file")
    issued_on: dt.date | None = None
    fields: list[dict[str, str]] = []
    try:
        issued_on = dt.date.fromisoformat(form["issued_on"].strip())
    except ValueError:
        fields.append({"path": "issued_on", "message": "发放日期：应为 YYYY-MM-DD"})
    if upload is None:
        fields.append({"path": "file", "message": "名单文件：请选择 XLSX 或 CSV 文件"})
    elif (too_big := tabular.size_problem(upload.size, upload.name or "list", what="名单文件")) is not None:
        fields.append({"path": "file", "message": too_big})
    if fields:
        refusal = {"message": f"发放信息有 {len(fields)} 处错误", "fields": fields}
    if refusal is None and upload is not None:
        try:
            batch = vouchers_issue(
                actor=user,
                content=upload.read(),
                filename=upload.name or "list",
                issued_on=issued_on,
                purpose=form["purpose"],
            )
        except ServiceError as exc:
            refusal = _refusal(user, exc)
        else:
            messages.success(
                request, f"已发放培训券 {batch.count} 张（批次 {batch.code}，有效期至 {batch.expires_on}）"
            )
            return redirect(f"{reverse('vouchers:list')}?batch={batch.pk}")
    return render(request, "vouchers/issue.html", {"form": form, "refusal": refusal}, status=422)


@login_required
@require_GET
def list_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(list_template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote('培训券发放名单模板.xlsx')}"
    return response


# ── redeem, cancel ────────────────────────────────────────────────────────────────────────────


@login_required
@require_http_methods(["GET", "POST"])
def redeem(request: HttpRequest) -> HttpResponse:
    """The clerk enters the code the trainee shows and picks the trainee by class and roster row."""
    user = _user(request)
    if user.role != Role.INSTITUTION_CLERK or user.institution_id is None:
        raise RefusedNotFound("只有培训机构经办人登记使用培训券")
    classes = list(
        classes_for(user)
        .filter(state__in=list(REDEEMABLE_CLASS_STATES))
        .order_by("-start", "-id")
        .values("code", "name")
    )
    form = {
        "code": request.POST.get("code", "").strip(),
        "class_code": request.POST.get("class_code", request.GET.get("class_code", "")).strip(),
        "row": request.POST.get("row", "").strip(),
    }
    context: dict[str, Any] = {"classes": classes, "form": form}
    if request.method == "GET":
        return render(request, "vouchers/redeem.html", context)
    row = _int(form["row"])
    enrollment = (
        Enrollment.objects.select_related("person", "training_class")
        .filter(training_class__in=classes_for(user), training_class__code=form["class_code"], row=row)
        .first()
        if row is not None
        else None
    )
    if enrollment is None:
        where = f"本机构班级 {form['class_code'] or '（未选）'} 的花名册中没有序号 {form['row'] or '（未填）'}"
        context["refusal"] = {"message": "找不到该学员", "fields": [{"path": "row", "message": where}]}
        return render(request, "vouchers/redeem.html", context, status=422)
    try:
        voucher = voucher_redeem(actor=user, code=form["code"], enrollment_id=enrollment.pk)
    except ServiceError as exc:
        context["refusal"] = _refusal(user, exc)
        return render(request, "vouchers/redeem.html", context, status=exc.status)
    cls = enrollment.training_class
    messages.success(
        request, f"已登记使用培训券 {voucher.code}：{cls.code} 第{enrollment.row}号 {enrollment.person.name}"
    )
    return redirect(reverse("vouchers:list"))


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    voucher = selectors.vouchers_for(user).filter(pk=pk).first()
    if voucher is None:
        raise RefusedNotFound("找不到该培训券，或不在您的管辖范围内")
    try:
        voucher_cancel(actor=user, voucher=voucher, reason=request.POST.get("reason", ""))
    except ServiceError as exc:
        messages.error(request, _refusal(user, exc)["message"])
    else:
        messages.success(request, f"已作废培训券 {voucher.code}")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("vouchers:list")
    return redirect(back or reverse("vouchers:list"))
