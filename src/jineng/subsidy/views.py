"""Pages of subsidy claims: the list, the clerk's claim form, the claim page with every step of the
chain, finance's batches and HR's monthly push, the public notice (no login), and the XLSX/PDF
downloads.

Views parse, call a selector or a service, and render; the services decide role, scope, state and
the rules again whatever the page offered. Out of scope is a 404 (`selectors.claim_get`,
`batch_get`). A refusal renders the page again with the service's message (the rule ID when the
refusal names one) and the service's status; a success redirects (POST-redirect-GET).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from openpyxl import Workbook
from openpyxl.styles import Font

from jineng import tabular
from jineng.accounts.models import Role, User
from jineng.accounts.security import REAUTH_OTP, REAUTH_PASSWORD, reauth_posted
from jineng.audit.context import RefusedNotFound
from jineng.audit.services import mask_text
from jineng.classes.errors import InvalidInput, ServiceError, StaleVersion
from jineng.classes.models import ClassState, TrainingClass
from jineng.classes.selectors import class_get
from jineng.classes.views import chinese
from jineng.ids import mask_account, mask_name, mask_phone, mask_ric
from jineng.policy.catalog import OUTCOME_ZH, Outcome

from .models import BatchState, ClaimState, FinanceBatch, FundSource, Objection, PaymentLine, SubsidyClaim
from .selectors import (
    actions_for,
    batch_get,
    batches_for,
    claim_get,
    claim_list,
    claim_totals,
    claims_for,
    deadlines,
    lines_of,
    objections_of,
    payments_of,
    public_notice_get,
    public_notices,
    pushable,
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
    in_scope,
    objection_record,
    objection_resolve,
    payment_clawback,
)
from .workflow import BATCH_NEXT, EDITABLE, OBJECTION_STATES, TRANSITIONS

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
# The commitment of the annex 3 form (附件3), signed by ticking it.
COMMITMENT = (
    "我郑重承诺对提供的各项材料和信息真实性负责，自觉接受社会监督。"
    "若有违反本承诺的行为，依法接受处理，并承担相应的责任。"
)
_STATE_ZH = dict(ClaimState.choices)
_ROLE_ZH = dict(Role.choices)
FINANCE_PAGE_ROLES = frozenset({Role.FINANCE, Role.AREA_HR, Role.CITY_HR})
FEN = Decimal("0.01")
NOTICE_TITLE = "{year}年政府补贴性职业技能培训补贴公示"
HR_ROLES = frozenset({Role.AREA_HR, Role.CITY_HR})
# Who reads the institution's bank account in full: the institution, HR (which pushes it) and
# finance (which pays into it). Department reviewers and the leadership see the last four digits.
ACCOUNT_ROLES = frozenset({Role.INSTITUTION_CLERK, Role.AREA_HR, Role.CITY_HR, Role.FINANCE})


# ── shared with the API ───────────────────────────────────────────────────────────────────────
# (they live here because api.py may import this module, never the other way round: importing an
# app's api module before jineng.api would register a half-built router)


def money(value: Decimal | int | None) -> str:
    """A sum of yuan as the API and the exports write it: "1500.00"."""
    return str(Decimal(value or 0).quantize(FEN))


def account_for(user: User, number: str) -> str:
    return number if user.role in ACCOUNT_ROLES else mask_account(number)


def phone_for(user: User, number: str) -> str:
    """The claim's contact phone is a person's: in clear only to roles that may read personal
    numbers (the institution and HR); finance reads the account it pays into, not the phone."""
    return number if user.sees_clear_ids else mask_phone(number)


def text_for(user: User, text: str) -> str:
    """Free text (opinions, objections, refusals) with resident IDs masked for roles that may not read them."""
    return text if user.sees_clear_ids else mask_text(text)


def notice_title(claim: SubsidyClaim) -> str:
    return NOTICE_TITLE.format(year=claim.training_class.start.year)


def notice_contact(claim: SubsidyClaim) -> str:
    """Where the public sends an objection: the HR bureau of the class's area."""
    return f"公示期间如有异议，请向{claim.training_class.area.name}人力资源和社会保障局反映"


@dataclass(frozen=True)
class Operation:
    """Something the user may do to a claim now (the service decides again when they do it)."""

    key: str
    label: str
    method: str
    path: str
    needs_opinion: bool = False
    needs_reasons: bool = False


def _allowed(user: User, claim: SubsidyClaim, action: str) -> bool:
    t = TRANSITIONS[action]
    return claim.state in t.sources and user.role in t.roles and in_scope(user, claim, t.scope)


def operations_for(user: User, claim: SubsidyClaim) -> list[Operation]:
    """Every write the user may take on the claim from where they stand: the clerk's edit, recompute
    and submit, the review actions, publish, objections, finance's return, disbursement, clawback."""
    base = f"/claims/{claim.pk}"
    ops: list[Operation] = []
    if _allowed(user, claim, "submit"):
        ops += [
            Operation("update", "修改申请信息", "PATCH", base),
            Operation("recompute", "重新核算", "POST", f"{base}/recompute"),
            Operation("submit", TRANSITIONS["submit"].label, "POST", f"{base}/submit"),
        ]
    ops += [
        Operation(t.action, t.label, "POST", f"{base}/review", t.needs_opinion, t.needs_reasons)
        for t in actions_for(user, claim)
    ]
    if _allowed(user, claim, "publish"):
        ops.append(Operation("publish", TRANSITIONS["publish"].label, "POST", f"{base}/publish"))
    hr_here = user.role in HR_ROLES and in_scope(user, claim, "area")
    if hr_here and claim.state in OBJECTION_STATES:
        ops.append(Operation("objection", "登记公示异议", "POST", f"{base}/objections"))
    if hr_here and claim.objections.filter(resolved_at__isnull=True).exists():
        ops.append(Operation("objection_resolve", "处理公示异议", "POST", "/objections/{objection_id}/resolve"))
    if _allowed(user, claim, "finance_return"):
        label = TRANSITIONS["finance_return"].label
        ops.append(Operation("finance_return", label, "POST", f"{base}/finance-return", needs_reasons=True))
    if _allowed(user, claim, "disburse"):
        ops.append(Operation("disburse", TRANSITIONS["disburse"].label, "POST", f"{base}/disburse"))
    may_recover = user.role in (*HR_ROLES, Role.FINANCE) and in_scope(user, claim, "area")
    if claim.state == ClaimState.PAID and may_recover:
        ops.append(Operation("clawback", "收缴资金", "POST", "/payments/{payment_id}/clawback"))
    return ops


def step_label(action: str) -> str:
    t = TRANSITIONS.get(action)
    return t.label if t else action


def batch_claims(batch: FinanceBatch) -> QuerySet[SubsidyClaim]:
    return (
        SubsidyClaim.objects.filter(batch=batch)
        .select_related("training_class", "training_class__area", "institution")
        .order_by("code", "id")
    )


# ── small helpers ─────────────────────────────────────────────────────────────────────────────


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User), "login_required runs first"
    return user


def _get_claim(user: User, pk: int) -> SubsidyClaim:
    claim = claim_get(user, pk)
    if claim is None:
        raise RefusedNotFound("找不到该补贴申请，或不在您的管辖范围内")
    return claim


def _get_batch(user: User, pk: int) -> FinanceBatch:
    batch = batch_get(user, pk)
    if batch is None:
        raise RefusedNotFound("找不到该推送批次，或不在您的管辖范围内")
    return batch


def _posted_version(data: QueryDict) -> int:
    """The version the user's page showed; a missing or garbled one counts as stale (version 0)."""
    raw = data.get("version", "")
    return int(raw) if raw.isdigit() else 0


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _xlsx_response(book: Workbook, filename: str) -> HttpResponse:
    response = HttpResponse(tabular.xlsx_bytes(book), content_type=XLSX)
    response.headers["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _sheet(title: str, heading: str, columns: Sequence[str], widths: Sequence[int]) -> tuple[Workbook, Any]:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append([heading])
    sheet.append(list(columns))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for i, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + i)].width = width
    sheet.freeze_panes = "A3"
    return book, sheet


def _money_format(sheet: Any, columns: Iterable[int]) -> None:
    for row in sheet.iter_rows(min_row=3):
        for i in columns:
            row[i].number_format = "#,##0.00"


class Posted:
    """Reads a posted form into typed values, naming every bad field at once (as the services do)."""

    def __init__(self, data: QueryDict) -> None:
        self.data = data
        self.problems: list[dict[str, str]] = []

    def text(self, name: str) -> str:
        return self.data.get(name, "").strip()

    def date(self, name: str, label: str) -> dt.date:
        raw = self.text(name)
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            self.problems.append({"path": name, "message": f"{label}：“{raw}”不是有效日期（如 2023-10-20）"})
            return dt.date.min

    def amount(self, name: str, label: str) -> Decimal:
        raw = self.text(name).replace(",", "")
        try:
            return Decimal(raw)
        except InvalidOperation:
            self.problems.append({"path": name, "message": f"{label}：“{raw}”不是有效金额（如 1500.00）"})
            return Decimal(0)

    def check(self, doing: str) -> None:
        if self.problems:
            raise InvalidInput(f"{doing}有 {len(self.problems)} 处错误", self.problems)


# ── refusals ──────────────────────────────────────────────────────────────────────────────────


@dataclass
class Problem:
    """A refusal shown on the page: the message, the fields at fault, the rule and its findings."""

    code: str
    message: str
    status: int
    fields: list[dict[str, str]] = field(default_factory=list)
    rule: str = ""
    findings: list[dict[str, str]] = field(default_factory=list)

    @property
    def stale(self) -> bool:
        return self.code == StaleVersion.code


def problem_of(user: User, exc: ServiceError) -> Problem:
    found = [f for f in exc.extra.get("findings", []) if isinstance(f, dict)]
    single = exc.extra.get("finding")
    if isinstance(single, dict):
        found.append(single)
    findings = [
        {
            "rule": str(f.get("rule", "")),
            "clause": str(f.get("clause", "")),
            "message": text_for(user, str(f.get("message", ""))),
        }
        for f in found
    ]
    rule = str(exc.extra.get("rule") or (findings[0]["rule"] if findings else ""))
    fields = [
        {"path": str(f.get("path", "")), "message": text_for(user, str(f.get("message", "")))} for f in exc.fields
    ]
    if findings:  # the findings say it, with their clause; the fields repeat them
        fields = []
    return Problem(exc.code, text_for(user, exc.message), exc.status, fields, rule, findings)


# ── the claim form ────────────────────────────────────────────────────────────────────────────


class ClaimForm(forms.Form):
    """The clerk's part of the annex 3 form. Fields are optional here: the service names every bad
    field at once, in Chinese, with the same words as the API."""

    contact = forms.CharField(label="联系人", max_length=100, required=False)
    phone = forms.CharField(label="联系电话", max_length=40, required=False)
    bank_name = forms.CharField(label="开户银行名称", max_length=200, required=False)
    bank_account = forms.CharField(label="银行账号", max_length=64, required=False)
    committed = forms.BooleanField(label="申请承诺", required=False)

    @classmethod
    def for_claim(cls, claim: SubsidyClaim) -> ClaimForm:
        return cls(
            initial={k: getattr(claim, k) for k in ("contact", "phone", "bank_name", "bank_account", "committed")}
        )

    def to_input(self) -> ClaimInput:
        data = self.cleaned_data
        return ClaimInput(data["contact"], data["phone"], data["bank_name"], data["bank_account"], data["committed"])

    def add_service_errors(self, error: ServiceError) -> None:
        for item in error.fields:
            path = item.get("path", "")
            self.add_error(path if path in self.fields else None, item.get("message", ""))
        if not error.fields:
            self.add_error(None, error.message)


@chinese
@login_required
@require_http_methods(["GET", "POST"])
def claim_new(request: HttpRequest, class_id: int) -> HttpResponse:
    user = _user(request)
    cls = class_get(user, class_id)
    if cls is None:
        raise RefusedNotFound("找不到该培训班，或不在您的管辖范围内")
    existing = SubsidyClaim.objects.filter(training_class=cls).first()
    if existing is not None and claim_get(user, existing.pk) is not None:
        messages.info(request, f"培训班 {cls.code} 已有补贴申请 {existing.code}（每班一份）")
        return redirect("subsidy:detail", existing.pk)
    context: dict[str, Any] = {"cls": cls, "commitment": COMMITMENT, "ended": cls.state == ClassState.ENDED}
    if user.role != Role.INSTITUTION_CLERK or user.institution_id != cls.institution_id:
        return render(request, "subsidy/form.html", {**context, "forbidden": True}, status=403)
    if request.method == "GET":
        return render(request, "subsidy/form.html", {**context, "form": ClaimForm()})
    form = ClaimForm(request.POST)
    if not form.is_valid():
        return render(request, "subsidy/form.html", {**context, "form": form}, status=422)
    try:
        claim, created = claim_create(cls=cls, actor=user, data=form.to_input())
    except InvalidInput as exc:
        form.add_service_errors(exc)
        return render(request, "subsidy/form.html", {**context, "form": form}, status=exc.status)
    except ServiceError as exc:
        problem = problem_of(user, exc)
        return render(request, "subsidy/form.html", {**context, "form": form, "problem": problem}, status=exc.status)
    if created:
        messages.success(
            request,
            f"已创建补贴申请 {claim.code}：花名册 {claim.trainees} 人，可补贴 {claim.payable_count} 人，"
            f"{money(claim.amount)} 元。请核对每名学员的结论后提交。",
        )
    else:
        messages.info(request, f"培训班 {cls.code} 已有补贴申请 {claim.code}（每班一份）")
    return redirect("subsidy:detail", claim.pk)


# ── the claim page ────────────────────────────────────────────────────────────────────────────


def _outcome_zh(outcome: str) -> str:
    return OUTCOME_ZH.get(Outcome(outcome), outcome) if outcome in Outcome else outcome


def _line_rows(user: User, claim: SubsidyClaim) -> list[dict[str, Any]]:
    clear = user.sees_clear_ids
    return [
        {
            "pk": line.pk,
            "row": line.row,
            "name": line.person.name,
            "id_number": line.person.id_number if clear else mask_ric(line.person.id_number),
            "payable": line.payable,
            "amount": money(line.amount),
            "standard": line.standard,
            "certificate": line.certificate.number if line.certificate else "",
            "voucher": line.voucher.code if line.voucher else "",
            "blocks": [
                {
                    "rule": str(b.get("rule", "")),
                    "outcome": str(b.get("outcome", "")),
                    "outcome_zh": _outcome_zh(str(b.get("outcome", ""))),
                    "clause": str(b.get("clause", "")),
                    "message": text_for(user, str(b.get("message", ""))),
                }
                for b in line.blocks
                if isinstance(b, dict)
            ],
        }
        for line in lines_of(claim)
    ]


def _deadline_rows(user: User, claim: SubsidyClaim) -> list[dict[str, Any]]:
    due = deadlines(claim)
    rows = []
    for rule, label, day, found, done in (
        (
            "SUB-INDUSTRY-DEADLINE",
            "行业主管部门自受理之日起审核",
            due.industry_due,
            due.industry,
            claim.steps.filter(action="dept_second").exists(),
        ),
        (
            "SUB-MONTHLY-PUSH",
            "人社部门公示期满后按月推送财政",
            due.push_due,
            due.push,
            claim.steps.filter(action="push").exists(),
        ),
    ):
        rows.append(
            {
                "rule": rule,
                "label": label,
                "due": day,
                "overdue": found is not None,
                "done": done,
                "message": text_for(user, found.message) if found else "",
            }
        )
    return rows


def _payment_rows(user: User, claim: SubsidyClaim) -> list[dict[str, Any]]:
    clear = user.sees_clear_ids
    rows = []
    for p in payments_of(claim):
        recovered = getattr(p, "recovered", None) or Decimal("0.00")
        rows.append(
            {
                "pk": p.pk,
                "row": p.line.row,
                "name": p.person.name,
                "id_number": p.person.id_number if clear else mask_ric(p.person.id_number),
                "amount": money(p.amount),
                "recovered": money(recovered),
                "outstanding": money(p.amount - recovered),
                "clawbacks": p.clawbacks_in_order,  # type: ignore[attr-defined]
            }
        )
    return rows


def _facts(user: User, claim: SubsidyClaim) -> list[tuple[str, Any]]:
    cls = claim.training_class
    computed = timezone.localtime(claim.computed_at).strftime("%Y-%m-%d %H:%M") if claim.computed_at else "—"
    notice = (
        f"{claim.notice_from:%Y-%m-%d} 至 {claim.notice_until:%Y-%m-%d}（{claim.notice_site}）"
        if claim.notice_from and claim.notice_until
        else "—"
    )
    return [
        ("申请编号", claim.code),
        ("申请单位", claim.institution.name),
        ("培训班", f"{cls.code} {cls.name}"),
        ("县（市、区） / 行业主管部门", f"{cls.area.name} / {cls.lead_department.name}"),
        ("培训日期", f"{cls.start:%Y-%m-%d} 至 {cls.end:%Y-%m-%d}"),
        ("联系人 / 电话", f"{claim.contact} / {phone_for(user, claim.phone)}"),
        ("开户银行 / 账号", f"{claim.bank_name} / {account_for(user, claim.bank_account)}"),
        ("申请承诺", "已签署" if claim.committed else "未签署"),
        ("政策 / 核算时间", f"{claim.policy or '—'} / {computed}"),
        ("受理日期", f"{claim.accepted_on:%Y-%m-%d}" if claim.accepted_on else "—"),
        ("公示期", notice),
    ]


def _claim_context(
    user: User,
    claim: SubsidyClaim,
    *,
    problem: Problem | None = None,
    edit_form: ClaimForm | None = None,
) -> dict[str, Any]:
    ops = operations_for(user, claim)
    keys = {op.key for op in ops}
    today = timezone.localdate()
    objections = list(objections_of(claim))
    ctx: dict[str, Any] = {
        "claim": claim,
        "cls": claim.training_class,
        "state_label": _STATE_ZH.get(claim.state, claim.state),
        "amount": money(claim.amount),
        "facts": _facts(user, claim),
        "lines": _line_rows(user, claim),
        "steps": [
            {
                "action": step_label(s.action),
                "actor": s.actor.display_name,
                "role": _ROLE_ZH.get(s.actor_role, s.actor_role),
                "at": s.at,
                "opinion": text_for(user, s.opinion),
                "to_state": _STATE_ZH.get(s.to_state, s.to_state),
                "amount": money(s.amount),
            }
            for s in steps_of(claim)
        ],
        "deadlines": _deadline_rows(user, claim),
        "objections": [
            {
                "o": o,
                "line": f"第{o.line.row}行 {o.line.person.name}" if o.line else "整个申请",
                "source": text_for(user, o.source),
                "content": text_for(user, o.content),
                "resolution": text_for(user, o.resolution),
            }
            for o in objections
        ],
        "line_choices": [(line.pk, f"第{line.row}行 {line.person.name}") for line in lines_of(claim)],
        "keys": keys,
        "review_actions": actions_for(user, claim),
        "problem": problem,
        "today": today,
        "payments": _payment_rows(user, claim) if claim.state == ClaimState.PAID else [],
        "disbursement": getattr(claim, "disbursement", None) if claim.state == ClaimState.PAID else None,
        "commitment": COMMITMENT,
        "batch": claim.batch,
        "batch_visible": claim.batch_id is not None and batch_get(user, claim.batch_id) is not None,
    }
    if "update" in keys:
        ctx["edit_form"] = edit_form or ClaimForm.for_claim(claim)
    if "publish" in keys:
        ctx["default_site"] = f"{claim.training_class.area.name}人力资源和社会保障局官网"
    if "disburse" in keys:
        # A fresh key each time the form is drawn: a double click posts the same key twice and the
        # second is answered with the first payment instead of paying again.
        ctx["idempotency_key"] = uuid.uuid4().hex
        ctx["fund_sources"] = FundSource.choices
    return ctx


def _render_claim(
    request: HttpRequest, user: User, claim: SubsidyClaim, *, status: int = 200, **extra: Any
) -> HttpResponse:
    return render(request, "subsidy/detail.html", _claim_context(user, claim, **extra), status=status)


@chinese
@login_required
@require_GET
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    return _render_claim(request, user, _get_claim(user, pk))


def _act(request: HttpRequest, pk: int, run: Callable[[User, SubsidyClaim], str]) -> HttpResponse:
    """Run one write on the claim: on success a message and back to the claim (or to the list when
    the claim has left the user's scope, e.g. returned by finance); on a refusal the page again."""
    user = _user(request)
    claim = _get_claim(user, pk)
    try:
        flash = run(user, claim)
    except ServiceError as exc:
        return _render_claim(request, user, _get_claim(user, pk), status=exc.status, problem=problem_of(user, exc))
    messages.success(request, flash)
    if claim_get(user, pk) is None:
        return redirect("subsidy:list")
    return redirect("subsidy:detail", pk)


def _state_now(claim: SubsidyClaim) -> str:
    claim.refresh_from_db(fields=["state"])
    return _STATE_ZH.get(claim.state, claim.state)


@chinese
@login_required
@require_POST
def claim_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    claim = _get_claim(user, pk)
    form = ClaimForm(request.POST)
    if not form.is_valid():
        return _render_claim(request, user, claim, status=422, edit_form=form)
    try:
        claim_update(claim=claim, actor=user, expected_version=_posted_version(request.POST), data=form.to_input())
    except InvalidInput as exc:
        form.add_service_errors(exc)
        return _render_claim(request, user, claim, status=exc.status, edit_form=form, problem=problem_of(user, exc))
    except ServiceError as exc:
        return _render_claim(request, user, _get_claim(user, pk), status=exc.status, problem=problem_of(user, exc))
    messages.success(request, "申请信息已保存")
    return redirect("subsidy:detail", pk)


@chinese
@login_required
@require_POST
def claim_recompute_view(request: HttpRequest, pk: int) -> HttpResponse:
    def run(user: User, claim: SubsidyClaim) -> str:
        done = claim_recompute(claim=claim, actor=user, expected_version=_posted_version(request.POST))
        return f"已重新核算：可补贴 {done.payable_count} 人，{money(done.amount)} 元"

    return _act(request, pk, run)


@chinese
@login_required
@require_POST
def claim_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    def run(user: User, claim: SubsidyClaim) -> str:
        claim_submit(claim=claim, actor=user, expected_version=_posted_version(request.POST))
        return f"已提交补贴申请 {claim.code}，现为“{_state_now(claim)}”"

    return _act(request, pk, run)


@chinese
@login_required
@require_POST
def claim_review_view(request: HttpRequest, pk: int) -> HttpResponse:
    def run(user: User, claim: SubsidyClaim) -> str:
        action = request.POST.get("action", "")
        step = claim_review(
            claim=claim,
            actor=user,
            action=action,
            expected_version=_posted_version(request.POST),
            opinion=request.POST.get("opinion", ""),
            reasons=_lines(request.POST.get("reasons", "")),
        )
        return f"已{step_label(step.action)}：补贴申请 {claim.code} 现为“{_STATE_ZH.get(step.to_state, step.to_state)}”"

    return _act(request, pk, run)


@chinese
@login_required
@require_POST
def claim_publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    def run(user: User, claim: SubsidyClaim) -> str:
        posted = Posted(request.POST)
        published_on = posted.date("published_on", "公示开始日期")
        posted.check("发布公示")
        done = claim_publish(
            claim=claim,
            actor=user,
            expected_version=_posted_version(request.POST),
            published_on=published_on,
            site=posted.text("site"),
        )
        return f"已发布公示：{done.notice_from} 至 {done.notice_until}，{done.notice_site}"

    return _act(request, pk, run)


@chinese
@login_required
@require_POST
def objection_new(request: HttpRequest, pk: int) -> HttpResponse:
    def run(user: User, claim: SubsidyClaim) -> str:
        posted = Posted(request.POST)
        received_on = posted.date("received_on", "收到日期")
        raw_line = posted.text("line_id")
        posted.check("异议登记")
        objection_record(
            claim=claim,
            actor=user,
            received_on=received_on,
            source=posted.text("source"),
            content=posted.text("content"),
            line_id=int(raw_line) if raw_line.isdigit() else None,
        )
        return "已登记公示异议：异议处理完毕前暂缓推送和拨付"

    return _act(request, pk, run)


@chinese
@login_required
@require_POST
def objection_done(request: HttpRequest, pk: int, objection_id: int) -> HttpResponse:
    def run(user: User, claim: SubsidyClaim) -> str:
        objection = Objection.objects.filter(pk=objection_id, claim=claim).first()
        if objection is None:
            raise Http404("找不到该异议")
        upheld = request.POST.get("upheld") == "1"
        objection_resolve(objection=objection, actor=user, upheld=upheld, resolution=request.POST.get("resolution", ""))
        return "异议已处理：" + ("异议成立" if upheld else "异议不成立")

    return _act(request, pk, run)


@chinese
@login_required
@require_POST
def claim_return_view(request: HttpRequest, pk: int) -> HttpResponse:
    def run(user: User, claim: SubsidyClaim) -> str:
        claim_finance_return(claim=claim, actor=user, reasons=_lines(request.POST.get("reasons", "")))
        return f"已将补贴申请 {claim.code} 退回申请单位"

    return _act(request, pk, run)


@chinese
@login_required
@require_POST
@sensitive_post_parameters(REAUTH_PASSWORD, REAUTH_OTP)
def claim_disburse_view(request: HttpRequest, pk: int) -> HttpResponse:
    def run(user: User, claim: SubsidyClaim) -> str:
        posted = Posted(request.POST)
        amount = posted.amount("amount", "拨付金额")
        paid_on = posted.date("paid_on", "拨付日期")
        posted.check("拨付信息")
        reauth_posted(request)  # after the form's own checks, so a typo does not spend a TOTP code
        data = DisbursementInput(amount, paid_on, posted.text("bank_reference"), posted.text("fund_source"))
        disbursement, created = claim_disburse(
            claim=claim, actor=user, idempotency_key=posted.text("idempotency_key"), data=data
        )
        if not created:
            return f"该笔拨付已于 {disbursement.paid_on} 登记（流水号 {disbursement.bank_reference}），未重复拨付"
        return f"已拨付 {money(disbursement.amount)} 元（流水号 {disbursement.bank_reference}）"

    return _act(request, pk, run)


@chinese
@login_required
@require_POST
@sensitive_post_parameters(REAUTH_PASSWORD, REAUTH_OTP)
def payment_clawback_view(request: HttpRequest, pk: int, payment_id: int | None = None) -> HttpResponse:
    def run(user: User, claim: SubsidyClaim) -> str:
        chosen = payment_id or _int_or_zero(request.POST.get("payment_id"))
        payment = PaymentLine.objects.filter(pk=chosen, disbursement__claim=claim).first()
        if payment is None:
            raise Http404("找不到该拨付明细")
        posted = Posted(request.POST)
        amount = posted.amount("amount", "收缴金额")
        decided_on = posted.date("decided_on", "收缴日期")
        posted.check("收缴信息")
        reauth_posted(request)
        data = ClawbackInput(amount, posted.text("rule"), posted.text("reason"), posted.text("reference"), decided_on)
        made = payment_clawback(payment=payment, actor=user, data=data)
        return f"已登记收缴 {money(made.amount)} 元（{made.rule}），原拨付记录保留"

    return _act(request, pk, run)


def _int_or_zero(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


# ── downloads of one claim ────────────────────────────────────────────────────────────────────

LINE_COLUMNS = (
    "序号",
    "姓名",
    "身份证号",
    "证书编号",
    "补贴标准",
    "培训券",
    "结论",
    "金额（元）",
    "不予补贴原因（规则编号）",
)


@chinese
@login_required
@require_GET
def claim_lines_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """明细: every trainee of the claim, payable or why not, as the reader may see them."""
    user = _user(request)
    claim = _get_claim(user, pk)
    cls = claim.training_class
    heading = f"补贴申请明细 {claim.code}（{claim.institution.name}，{cls.code} {cls.name}）"
    book, sheet = _sheet("补贴明细", heading, LINE_COLUMNS, (6, 10, 22, 22, 26, 14, 10, 12, 80))
    for line in _line_rows(user, claim):
        sheet.append(
            [
                line["row"],
                line["name"],
                line["id_number"],
                line["certificate"],
                line["standard"],
                line["voucher"],
                "可补贴" if line["payable"] else "不予补贴",
                Decimal(line["amount"]),
                "；".join(f"{b['rule']} {b['message']}" for b in line["blocks"]),
            ]
        )
    sheet.append(["合计", "", "", "", "", "", f"{claim.payable_count} 人", claim.amount, ""])
    _money_format(sheet, [7])
    return _xlsx_response(book, f"补贴明细-{claim.code}.xlsx")


@chinese
@login_required
@require_GET
def claim_annex3(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """附件3 申请表 of the claim, PDF or XLSX, with resident IDs as the reader may see them."""
    from .annex3 import annex3_data, annex3_pdf, annex3_xlsx  # built in parallel; only these pages need it

    if fmt not in ("pdf", "xlsx"):
        raise Http404("格式应为 pdf 或 xlsx")
    user = _user(request)
    claim = _get_claim(user, pk)
    data = annex3_data(claim, clear_ids=user.sees_clear_ids, clear_account=user.role in ACCOUNT_ROLES)
    body, content_type = (annex3_pdf(data), PDF) if fmt == "pdf" else (annex3_xlsx(data), XLSX)
    response = HttpResponse(body, content_type=content_type)
    response.headers["Content-Disposition"] = content_disposition_header(True, f"补贴资金申请表-{claim.code}.{fmt}")
    return response


# ── the list ──────────────────────────────────────────────────────────────────────────────────

LIST_COLUMNS = (
    *("编号", "培训班编号", "培训班", "机构", "县区", "状态", "花名册人数"),
    *("补贴人数", "金额（元）", "提交时间", "公示期"),
)


def _list_xlsx(qs: Any, totals: dict[str, Any], heading: str) -> HttpResponse:
    book, sheet = _sheet("补贴申请", heading, LIST_COLUMNS, (18, 16, 36, 28, 10, 24, 10, 10, 14, 18, 24))
    for c in qs.iterator(chunk_size=2000):
        sheet.append(
            [
                c.code,
                c.training_class.code,
                c.training_class.name,
                c.institution.name,
                c.training_class.area.name,
                _STATE_ZH.get(c.state, c.state),
                c.trainees,
                c.payable_count,
                c.amount,
                timezone.localtime(c.submitted_at).strftime("%Y-%m-%d %H:%M") if c.submitted_at else "",
                f"{c.notice_from} 至 {c.notice_until}" if c.notice_from else "",
            ]
        )
    sheet.append(["合计", f"{totals['count']} 件", "", "", "", "", "", totals["persons"], totals["amount"], "", ""])
    _money_format(sheet, [8])
    return _xlsx_response(book, f"补贴申请-{timezone.localdate():%Y%m%d}.xlsx")


@chinese
@login_required
@require_GET
def claims_index(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    state = request.GET.get("state", "")
    state = state if state in _STATE_ZH else ""
    q = request.GET.get("q", "").strip()[:100]
    qs = claim_list(user, state=state, q=q)
    totals = claim_totals(qs)
    if request.GET.get("format") == "xlsx":
        what = "、".join(filter(None, [_STATE_ZH.get(state, ""), f"“{q}”" if q else ""])) or "全部"
        heading = f"补贴申请（{what}，{timezone.localdate():%Y-%m-%d} 导出，{user.display_name}）"
        return _list_xlsx(qs, totals, heading)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": [{"c": c, "amount": money(c.amount), "state": _STATE_ZH.get(c.state, c.state)} for c in page],
        "totals": {**totals, "amount": money(totals["amount"])},
        "states": ClaimState.choices,
        "filters": {"state": state, "q": q},
        "finance_page": user.role in FINANCE_PAGE_ROLES,
    }
    return render(request, "subsidy/list.html", context)


# ── finance: the push, the batches ────────────────────────────────────────────────────────────


def _finance_context(user: User, request: HttpRequest, problem: Problem | None = None) -> dict[str, Any]:
    ready, held = pushable(user) if user.role in (Role.AREA_HR, Role.CITY_HR) else ([], [])
    page = Paginator(batches_for(user), PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "page": page,
        "is_hr": user.role in (Role.AREA_HR, Role.CITY_HR),
        "is_finance": user.role == Role.FINANCE,
        "ready": ready,
        "held": held,
        "ready_amount": money(sum((c.amount for c in ready), Decimal(0))),
        "problem": problem,
    }


@chinese
@login_required
@require_GET
def finance_index(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.role not in FINANCE_PAGE_ROLES:
        return render(request, "subsidy/finance.html", {"forbidden": True}, status=403)
    return render(request, "subsidy/finance.html", _finance_context(user, request))


@chinese
@login_required
@require_POST
def finance_push(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    try:
        batch = batch_push(actor=user)
    except ServiceError as exc:
        if user.role not in FINANCE_PAGE_ROLES:
            return render(request, "subsidy/finance.html", {"forbidden": True}, status=exc.status)
        context = _finance_context(user, request, problem_of(user, exc))
        return render(request, "subsidy/finance.html", context, status=exc.status)
    messages.success(
        request, f"已推送批次 {batch.code}：{batch.claims_count} 件申请，{batch.persons} 人，{money(batch.amount)} 元"
    )
    return redirect("subsidy:batch", batch.pk)


BATCH_COLUMNS = (
    *("序号", "申请编号", "培训机构", "培训班", "县区", "补贴人数", "金额（元）"),
    *("开户银行", "银行账号", "联系人", "联系电话", "状态"),
)


def _batch_xlsx(user: User, batch: FinanceBatch) -> HttpResponse:
    heading = (
        f"财政推送批次 {batch.code}（{batch.org.name}，{batch.month:%Y年%m月}，"
        f"{BatchState(batch.state).label}）：{batch.claims_count} 件，{batch.persons} 人，{money(batch.amount)} 元"
    )
    book, sheet = _sheet("拨付清单", heading, BATCH_COLUMNS, (6, 18, 28, 36, 10, 10, 14, 24, 26, 10, 16, 24))
    for i, c in enumerate(batch_claims(batch), start=1):
        sheet.append(
            [
                i,
                c.code,
                c.institution.name,
                f"{c.training_class.code} {c.training_class.name}",
                c.training_class.area.name,
                c.payable_count,
                c.amount,
                c.bank_name,
                account_for(user, c.bank_account),
                c.contact,
                phone_for(user, c.phone),
                _STATE_ZH.get(c.state, c.state),
            ]
        )
    sheet.append(["合计", "", "", "", "", batch.persons, batch.amount, "", "", "", "", ""])
    _money_format(sheet, [6])
    return _xlsx_response(book, f"财政推送批次-{batch.code}.xlsx")


def _batch_context(user: User, batch: FinanceBatch, problem: Problem | None = None) -> dict[str, Any]:
    claims = list(batch_claims(batch))
    visible = set(claims_for(user).filter(batch=batch).values_list("pk", flat=True))
    next_step = BATCH_NEXT.get(batch.state)
    return {
        "batch": batch,
        "amount": money(batch.amount),
        "claims": [
            {"c": c, "amount": money(c.amount), "state": _STATE_ZH.get(c.state, c.state), "visible": c.pk in visible}
            for c in claims
        ],
        "sign_label": ("财政初审" if next_step[1] == "finance_first" else "财政复核") if next_step else "",
        "can_sign": next_step is not None and user.role == Role.FINANCE,
        "problem": problem,
    }


@chinese
@login_required
@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    batch = _get_batch(user, pk)
    if request.GET.get("format") == "xlsx":
        return _batch_xlsx(user, batch)
    return render(request, "subsidy/batch.html", _batch_context(user, batch))


@chinese
@login_required
@require_POST
@sensitive_post_parameters(REAUTH_PASSWORD, REAUTH_OTP)
def batch_sign_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    batch = _get_batch(user, pk)
    try:
        reauth_posted(request)
        signed = batch_sign(
            batch=batch,
            actor=user,
            expected_version=_posted_version(request.POST),
            opinion=request.POST.get("opinion", ""),
        )
    except ServiceError as exc:
        context = _batch_context(user, _get_batch(user, pk), problem_of(user, exc))
        return render(request, "subsidy/batch.html", context, status=exc.status)
    messages.success(request, f"批次 {signed.code} 现为“{BatchState(signed.state).label}”")
    return redirect("subsidy:batch", pk)


# ── the public notice (no login) ──────────────────────────────────────────────────────────────


def _notice_rows(claim: SubsidyClaim) -> list[dict[str, Any]]:
    """The payable trainees numbered afresh, name and ID masked whoever reads them."""
    return [
        {
            "row": i,
            "name": mask_name(line.person.name),
            "id_number": mask_ric(line.person.id_number),
            "certificate": line.standard,
            "amount": money(line.amount),
        }
        for i, line in enumerate(lines_of(claim).filter(payable=True), start=1)
    ]


@chinese
@require_GET
def public_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(public_notices(), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"c": c, "title": notice_title(c), "amount": money(c.amount)} for c in page]
    return render(request, "subsidy/public_list.html", {"page": page, "rows": rows, "today": timezone.localdate()})


@chinese
@require_GET
def public_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = public_notice_get(pk)
    if claim is None:
        raise Http404("找不到该公示")
    cls = claim.training_class
    context = {
        "claim": claim,
        "cls": cls,
        "title": notice_title(claim),
        "amount": money(claim.amount),
        "rows": _notice_rows(claim),
        "contact": notice_contact(claim),
        "running": claim.notice_until is not None and timezone.localdate() <= claim.notice_until,
    }
    return render(request, "subsidy/public_notice.html", context)


# ── the 补贴申领 tab of the class page ────────────────────────────────────────────────────────


def class_tab_context(user: User, cls: TrainingClass) -> dict[str, Any]:
    """What the class page's 补贴申领 tab shows (template subsidy/_tab.html, context key `claim_tab`):
    the claim's state and amount with a link when the reader may see it; for the institution's
    clerk of an ended class without a claim, the link to start one."""
    existing = SubsidyClaim.objects.filter(training_class=cls).only("pk").first()
    claim = claim_get(user, existing.pk) if existing is not None else None
    may_claim = (
        existing is None
        and cls.state == ClassState.ENDED
        and user.role == Role.INSTITUTION_CLERK
        and user.institution_id == cls.institution_id
    )
    return {
        "claim_tab": {
            "claim": claim,
            "state_label": _STATE_ZH.get(claim.state, claim.state) if claim else "",
            "amount": money(claim.amount) if claim else "",
            "url": reverse("subsidy:detail", args=[claim.pk]) if claim else "",
            "exists": existing is not None,
            "new_url": reverse("subsidy:new", args=[cls.pk]) if may_claim else "",
            "editable": claim is not None and claim.state in EDITABLE,
            "ended": cls.state == ClassState.ENDED,
        }
    }
