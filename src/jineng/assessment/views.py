"""Pages of the completion assessment (结业考核): the plan list (and its XLSX), filing a plan, a
plan with its results and the result upload, the ledgers past due, and the 结业考核 tab of a class
page (`class_tab_context` + assessment/_tab.html).

Views parse, call a service or a selector, and render; a plan or class outside the reader's scope
is a 404. A refusal is shown with its rule ID and message. Form posts answer with a redirect.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from openpyxl import Workbook
from openpyxl.styles import Font

from jineng import tabular
from jineng.accounts.models import Role, User
from jineng.audit.context import RefusedNotFound
from jineng.audit.services import mask_text
from jineng.classes.errors import RuleBlocked, ServiceError
from jineng.classes.models import ClassState, TrainingClass
from jineng.classes.views import chinese
from jineng.policy.catalog import OUTCOME_ZH, Outcome
from jineng.policy.findings import Finding
from jineng.registry.models import Institution

from . import selectors, services
from .models import AssessmentPlan

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 50
CLASS_TAB = "assessment"  # the tab key the class page uses for 结业考核
_CODES = re.compile(r"[\s,，、;；]+")


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User), "login_required runs first"
    return user


def _plan(user: User, pk: int) -> AssessmentPlan:
    plan = selectors.plan_get(user, pk)
    if plan is None:
        raise RefusedNotFound("找不到该考核计划，或不在您的管辖范围内")
    return plan


def _refusal(user: User, exc: ServiceError) -> dict[str, Any]:
    """A refusal as a page shows it: the message, each field or row, and each rule by its ID."""
    clear = user.sees_clear_ids
    rules = [
        {"rule": f.get("rule", ""), "message": f.get("message", "") if clear else mask_text(str(f.get("message", "")))}
        for f in exc.extra.get("findings", [])
    ]
    fields = (
        [] if isinstance(exc, RuleBlocked) else [f["message"] if clear else mask_text(f["message"]) for f in exc.fields]
    )
    return {"message": exc.message if clear else mask_text(exc.message), "fields": fields, "rules": rules}


def _flash_refusal(request: HttpRequest, user: User, exc: ServiceError) -> None:
    refusal = _refusal(user, exc)
    parts = [refusal["message"], *(f"{r['rule']}：{r['message']}" for r in refusal["rules"]), *refusal["fields"]]
    messages.error(request, "；".join(dict.fromkeys(parts)))


def _finding(f: Finding | None) -> dict[str, str] | None:
    if f is None:
        return None
    return {
        "rule": f.rule,
        "outcome": str(f.outcome),
        "outcome_zh": OUTCOME_ZH.get(Outcome(f.outcome), ""),
        "message": f.message,
    }


def _may_file(user: User) -> bool:
    return (user.role == Role.INSTITUTION_CLERK and user.institution_id is not None) or (
        user.role == Role.EVALUATOR and user.institution_id is not None
    )


# ── plan list and XLSX ────────────────────────────────────────────────────────────────────────

LIST_COLUMNS = (
    *("考核批次号", "状态", "考核日期", "考核地点", "评价机构", "考核类别（证书）"),
    *("职业（工种）", "等级", "县（市、区）", "班级数", "填报人", "填报时间", "考核巡查人员"),
)


def _list_row(p: AssessmentPlan) -> list[Any]:
    return [
        p.code,
        p.get_state_display(),
        p.scheduled_on,
        p.place,
        p.evaluation_body.name,
        p.get_certificate_display(),
        str(p.occupation),
        p.get_level_display() if p.level else "",
        p.area.name,
        getattr(p, "class_count", 0),
        p.filed_by.display_name,
        timezone.localtime(p.filed_at).replace(tzinfo=None),
        p.inspector,
    ]


def _plans_xlsx(rows: QuerySet[AssessmentPlan]) -> HttpResponse:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "考核计划"
    sheet.append(list(LIST_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for p in rows.iterator(chunk_size=2000):
        sheet.append(_list_row(p))
    for letter, width in zip("ABCDEFGHIJKLM", (16, 10, 12, 30, 28, 18, 22, 14, 12, 8, 10, 18, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        row[2].number_format = "yyyy-mm-dd"
        row[11].number_format = "yyyy-mm-dd hh:mm"
    sheet.freeze_panes = "A2"
    response = HttpResponse(tabular.xlsx_bytes(book), content_type=XLSX)
    name = f"考核计划-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@chinese
@login_required
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    rows = selectors.plans_for(user)
    if request.GET.get("format") == "xlsx":
        return _plans_xlsx(rows)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "may_file": _may_file(user)}
    return render(request, "assessment/list.html", context)


# ── filing a plan ─────────────────────────────────────────────────────────────────────────────


def _bodies() -> list[Institution]:
    return list(Institution.objects.filter(kind=Institution.Kind.EVALUATION_BODY, active=True).order_by("name"))


def _form_context(user: User, data: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {"form": data, "bodies": _bodies(), "is_clerk": user.role == Role.INSTITUTION_CLERK, **extra}


def _class_ids(user: User, codes: list[str], problems: list[str]) -> list[int]:
    """Class codes as typed, to ids; a code the user may not name is reported like an unknown one."""
    if user.role == Role.INSTITUTION_CLERK and user.institution_id is not None:
        known = dict(
            TrainingClass.objects.filter(code__in=codes, institution_id=user.institution_id).values_list("code", "pk")
        )
    else:
        known = dict(TrainingClass.objects.filter(code__in=codes).values_list("code", "pk"))
    ids = []
    for code in codes:
        if code in known:
            ids.append(known[code])
        else:
            problems.append(f"班级编号 {code}：不存在或不在您的管辖范围内")
    return ids


@chinese
@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not _may_file(user):
        return render(request, "assessment/new.html", {"forbidden": True}, status=403)
    if request.method == "GET":
        initial = {"classes": request.GET.get("classes", "")}
        return render(request, "assessment/new.html", _form_context(user, initial))
    data = {key: request.POST.get(key, "").strip() for key in ("classes", "scheduled_on", "place", "inspector", "body")}
    problems: list[str] = []
    codes = [c for c in _CODES.split(data["classes"].upper()) if c]
    if not codes:
        problems.append("参加考核的班级：请填写至少一个班级编号")
    ids = _class_ids(user, list(dict.fromkeys(codes)), problems)
    try:
        scheduled_on = dt.date.fromisoformat(data["scheduled_on"])
    except ValueError:
        problems.append("考核日期：请填写日期（如 2023-05-30）")
        scheduled_on = None
    body_id = int(data["body"]) if data["body"].isdigit() else None
    if problems or scheduled_on is None:
        refusal = {"message": f"考核计划有 {len(problems)} 处错误", "fields": problems, "rules": []}
        return render(request, "assessment/new.html", _form_context(user, data, refusal=refusal), status=422)
    try:
        plan = services.plan_file(
            actor=user,
            class_ids=ids,
            scheduled_on=scheduled_on,
            place=data["place"],
            inspector=data["inspector"],
            evaluation_body_id=body_id if user.role == Role.INSTITUTION_CLERK else None,
        )
    except ServiceError as exc:
        context = _form_context(user, data, refusal=_refusal(user, exc))
        return render(request, "assessment/new.html", context, status=exc.status)
    messages.success(request, f"已填报考核计划 {plan.code}（考核日期 {plan.scheduled_on}）")
    return redirect("assessment:detail", plan.pk)


# ── a plan, its results, the upload ───────────────────────────────────────────────────────────


def _detail_context(user: User, plan: AssessmentPlan, **extra: Any) -> dict[str, Any]:
    filer = plan.filed_by
    live = plan.state != AssessmentPlan.State.CANCELLED
    return {
        "plan": plan,
        "classes": selectors.plan_classes(plan),
        "results": selectors.plan_results(user, plan),
        "may_record": live and user.role == Role.EVALUATOR and user.institution_id == plan.evaluation_body_id,
        "may_cancel": plan.state == AssessmentPlan.State.FILED
        and user.role == filer.role
        and bool(user.institution_id)
        and user.institution_id == filer.institution_id,
        "today": timezone.localdate(),
        # An evaluation body reads the classes through its plans only; the class pages are not its.
        "class_links": user.role != Role.EVALUATOR,
        **extra,
    }


@chinese
@login_required
@require_GET
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    return render(request, "assessment/detail.html", _detail_context(user, _plan(user, pk)))


@chinese
@login_required
@require_POST
def results_upload(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    plan = _plan(user, pk)
    upload = request.FILES.get("file")
    if upload is None or not upload.size:
        refusal = {"message": "请选择要上传的考核结果文件（XLSX 或 CSV）", "fields": [], "rules": []}
        return render(request, "assessment/detail.html", _detail_context(user, plan, refusal=refusal), status=422)
    too_big = tabular.size_problem(upload.size, upload.name or "results", what="考核结果文件")
    if too_big is not None:  # refused by its size, before a byte of it is read
        refusal = {"message": too_big, "fields": [], "rules": []}
        return render(request, "assessment/detail.html", _detail_context(user, plan, refusal=refusal), status=413)
    try:
        results = services.results_import(
            plan=plan, actor=user, content=upload.read(), filename=upload.name or "results"
        )
    except ServiceError as exc:
        context = _detail_context(user, _plan(user, pk), refusal=_refusal(user, exc))
        return render(request, "assessment/detail.html", context, status=exc.status)
    messages.success(request, f"已导入考核结果 {len(results)} 人")
    return redirect("assessment:detail", pk)


@chinese
@login_required
@require_POST
def plan_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    plan = _plan(user, pk)
    try:
        services.plan_cancel(plan=plan, actor=user, reason=request.POST.get("reason", ""))
    except ServiceError as exc:
        context = _detail_context(user, _plan(user, pk), refusal=_refusal(user, exc))
        return render(request, "assessment/detail.html", context, status=exc.status)
    messages.success(request, f"已取消考核计划 {plan.code}")
    return redirect("assessment:detail", pk)


@chinese
@login_required
@require_GET
def results_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(services.results_template(), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote('考核结果模板.xlsx')}"
    return response


# ── ledgers ───────────────────────────────────────────────────────────────────────────────────


def _class_url(pk: int) -> str:
    return f"{reverse('classes:detail', args=[pk])}?tab={CLASS_TAB}"


@chinese
@login_required
@require_POST
def ledger_enter(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    cls = selectors.assessment_class_get(user, pk)
    if cls is None:
        raise RefusedNotFound("找不到该培训班，或不在您的管辖范围内")
    try:
        entry = services.ledger_enter(cls=cls, actor=user, notes=request.POST.get("notes", ""))
    except ServiceError as exc:
        _flash_refusal(request, user, exc)
        return redirect(_class_url(pk))
    view = selectors.ledger_view(cls, timezone.localdate())
    late = f"（ASM-LEDGER：{view.finding.message}）" if view.finding else ""
    messages.success(request, f"已录入培训台账：培训 {entry.trainees} 人，取证 {entry.certified} 人{late}")
    return redirect(_class_url(pk))


@chinese
@login_required
@require_GET
def ledgers_overdue(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    rows = selectors.ledger_overdue(user)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "assessment/ledgers_overdue.html", {"page": page, "today": timezone.localdate()})


# ── the 结业考核 tab of a class page ───────────────────────────────────────────────────────────


def class_tab_context(user: User, cls: TrainingClass) -> dict[str, Any]:
    """What the 结业考核 tab shows: plans, each trainee's result and certificate, counts per
    certificate kind (annex 3), and the ledger with its due date; the clerk gets the ledger button."""
    view = selectors.class_assessment(user, cls)
    ledger = view.ledger
    clerk = user.role == Role.INSTITUTION_CLERK and user.institution_id == cls.institution_id
    return {
        "asm": {
            "cls": cls,
            "plans": view.plans,
            "trainees": view.trainees,
            "counts": view.counts,
            "sat": view.sat,
            "certified": view.certified,
            "ledger": ledger,
            "ledger_finding": _finding(ledger.finding),
            "may_enter_ledger": clerk and ledger.ended and ledger.entry is None,
            "may_file": clerk and cls.state in (ClassState.APPROVED, ClassState.ENDED),
            "is_worker": user.role == Role.WORKER,
        }
    }
