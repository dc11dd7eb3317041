"""Pages of a class application: 待办, the class list, the application form, the detail page with
its tabs (基本信息/师资/花名册/规则核查/审核记录), roster import and the review screen.

Views parse, call a service or a selector, and render: the rules live in the rules engine
(`services.check_class`, the engine of `jineng check-class`), permissions and state in the
services. A class outside the reader's scope is a 404 (`selectors.class_get`). htmx requests get
the fragment they swap in; plain form posts are answered with a redirect (POST-redirect-GET).
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jineng.accounts.models import Role, User
from jineng.audit.context import RefusedNotFound
from jineng.audit.services import mask_text
from jineng.ids import mask_phone, mask_ric
from jineng.policy.catalog import OUTCOME_ZH, Outcome
from jineng.registry.models import OrgUnit, Person, ric_keys

from . import roster_io
from .errors import InvalidInput, RosterInvalid, RuleBlocked, ServiceError, StaleVersion
from .forms import ClassForm, RosterImportForm, teacher_inputs, teachers_formset
from .models import COUNTED_STATES, ClassState, Enrollment, ReviewStep, TrainingClass
from .selectors import actions_for, class_get, class_list, findings_for, pending_deadline, roster_for, todo_for
from .services import (
    Checked,
    check_class,
    check_class_preview,
    class_create,
    class_set_teachers,
    class_transition,
    class_update,
    mask_for,
    roster_import,
    roster_remove,
)
from .workflow import EDITABLE_STATES, PENDING_ACTION, STAGE_ROLES, TRANSITIONS

PAGE_SIZE = 20
TODO_PAGE_SIZE = 50
TABS: list[tuple[str, str]] = [
    ("basic", "基本信息"),
    ("teachers", "师资"),
    ("roster", "花名册"),
    ("findings", "规则核查"),
    ("history", "审核记录"),
]
# Once a class is approved, its supervision record (过程监管) has a tab of its own.
SUPERVISION_TAB = ("supervision", "过程监管")
# The assessment (结业考核) follows from approval; the subsidy claim (补贴申领) from the end of training.
ASSESSMENT_TAB = ("assessment", "结业考核")
SUBSIDY_TAB = ("subsidy", "补贴申领")
_TAB_KEYS = {key for key, _ in TABS} | {SUPERVISION_TAB[0], ASSESSMENT_TAB[0], SUBSIDY_TAB[0]}
_CATEGORY_ZH = dict(Person.Category.choices)
_ROLE_ZH = dict(Role.choices)
_STATE_ZH = dict(ClassState.choices)
_ACTION_ZH = dict(ReviewStep.Action.choices)
_DECISION_ZH = {"approve": "无阻断项", "block": "有阻断项"}
_CLERK_PART: dict[str, str] = {
    ClassState.DRAFT.value: "完善并提交审核",
    ClassState.RETURNED.value: "按退回理由修改后重新提交",
    ClassState.APPROVED.value: "培训结束，办理结业",
}


# ── small helpers ─────────────────────────────────────────────────────────────────────────────


def chinese(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Render in Chinese whatever the browser's Accept-Language says (the UI is Chinese only;
    without this, LocaleMiddleware would give an English browser Django's English form errors)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with translation.override("zh-hans"):
            return view(request, *args, **kwargs)

    return wrapped


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User), "login_required runs first"
    return user


def _pending_label(state: str) -> str:
    """What the class waits on: 行业部门初审 … 人社复核, or the clerk's part for a draft/returned class."""
    if state in PENDING_ACTION:
        return _ACTION_ZH[PENDING_ACTION[state]]
    return _CLERK_PART.get(state, "")


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-History-Restore-Request")


def _get_class(user: User, pk: int) -> TrainingClass:
    cls = class_get(user, pk)
    if cls is None:
        raise RefusedNotFound("找不到该培训班，或不在您的管辖范围内")
    return cls


def _posted_version(data: QueryDict) -> int:
    """The version the user's page showed; a missing or garbled one counts as stale (version 0)."""
    raw = data.get("version", "")
    return int(raw) if raw.isdigit() else 0


def _detail_url(pk: int, tab: str) -> str:
    return f"{reverse('classes:detail', args=[pk])}?tab={tab}"


def _int_param(data: QueryDict, name: str) -> int | None:
    raw = data.get(name, "").strip()
    return int(raw) if raw.isdigit() else None


@dataclass(frozen=True)
class DeadlineView:
    """A pending step's deadline in working days, as a reader sees it."""

    due: dt.date
    days: int  # working days left after today, or (negative) working days overdue
    overdue: bool
    official: bool  # False: a year chinese-calendar does not know yet, Monday–Friday assumed

    @property
    def text(self) -> str:
        if self.overdue:
            return f"已超期{-self.days}个工作日"
        if self.days == 0:
            return "剩余0个工作日（今日到期）"
        return f"剩余{self.days}个工作日"


def deadline_view(cls: TrainingClass, today: dt.date | None = None) -> DeadlineView | None:
    deadline = pending_deadline(cls)
    if deadline is None:
        return None
    today = today or timezone.localdate()
    return DeadlineView(
        due=deadline.due, days=deadline.remaining(today), overdue=today > deadline.due, official=deadline.official
    )


# ── findings, grouped by subject ──────────────────────────────────────────────────────────────


@dataclass
class FindingGroup:
    kind: str  # class / institution / trainee / other
    label: str
    items: list[dict[str, Any]] = field(default_factory=list)


def _trainee_rows(cls: TrainingClass, findings: Iterable[dict[str, Any]]) -> dict[str, tuple[int, str]]:
    """Roster row and name of every trainee a finding names, in one query."""
    ids = {
        str(f.get("subject", "")).removeprefix("trainee:")
        for f in findings
        if str(f.get("subject", "")).startswith("trainee:")
    }
    if not ids:
        return {}
    # Found by the IDs' keyed hashes (the IDs are stored encrypted), answered by the IDs as named.
    named = ric_keys(ids)
    rows = Enrollment.objects.filter(training_class=cls, person__id_hash__in=list(named)).values_list(
        "person__id_hash", "row", "person__name"
    )
    return {named[key]: (row, name) for key, row, name in rows}


def group_findings(
    cls: TrainingClass, findings: list[dict[str, Any]], rows: dict[str, tuple[int, str]] | None = None
) -> list[FindingGroup]:
    """班级 / 机构 / 学员 第N行 姓名 masked-ID, each with rule, outcome in Chinese, clause and message."""
    if rows is None:
        rows = _trainee_rows(cls, findings)
    groups: OrderedDict[str, FindingGroup] = OrderedDict()
    for item in findings:
        subject = str(item.get("subject", ""))
        if subject == "class":
            kind, label = "class", f"班级 {cls.code}"
        elif subject == "institution":
            kind, label = "institution", f"机构 {cls.institution.name}"
        elif subject.startswith("trainee:"):
            id_number = subject.removeprefix("trainee:")
            row, name = rows.get(id_number, (0, ""))
            where = f"第{row}行 " if row else ""
            kind, label = "trainee", f"学员 {where}{name} {mask_ric(id_number)}".replace("  ", " ")
        else:
            kind, label = "other", subject
        outcome = str(item.get("outcome", ""))
        group = groups.setdefault(label, FindingGroup(kind, label))
        group.items.append(
            {
                "rule": item.get("rule", ""),
                "outcome": outcome,
                "outcome_zh": OUTCOME_ZH.get(Outcome(outcome), outcome) if outcome in Outcome else outcome,
                "clause": item.get("clause", ""),
                "message": mask_text(str(item.get("message", ""))),
            }
        )
    return list(groups.values())


def _findings_context(cls: TrainingClass, checked: Checked, user: User) -> dict[str, Any]:
    items = findings_for(user, checked.as_list())
    return {
        "groups": group_findings(cls, items),
        "invalid": checked.invalid,
        "policy": checked.policy,
        "total": len(items),
        "blocks": len(checked.blocks),
        "decision": checked.decision,
    }


# ── who may do what here (the services decide; this only chooses which buttons to show) ───────


def _editable_by(user: User, cls: TrainingClass) -> bool:
    return (
        user.role == Role.INSTITUTION_CLERK
        and user.institution_id == cls.institution_id
        and cls.state in EDITABLE_STATES
    )


# ── detail page ───────────────────────────────────────────────────────────────────────────────


@dataclass
class Problem:
    """A refusal shown on the page: the service's message, its fields, and blocking findings if any."""

    code: str
    message: str
    fields: list[dict[str, str]] = field(default_factory=list)
    groups: list[FindingGroup] = field(default_factory=list)

    @property
    def stale(self) -> bool:
        return self.code == StaleVersion.code


def _problem(cls: TrainingClass, exc: ServiceError) -> Problem:
    groups: list[FindingGroup] = []
    if isinstance(exc, RuleBlocked):
        groups = group_findings(cls, list(exc.extra.get("findings", [])))
    fields = [] if isinstance(exc, RuleBlocked) else list(exc.fields)
    return Problem(exc.code, exc.message, fields, groups)


def _facts(cls: TrainingClass) -> list[tuple[str, Any]]:
    hours = (
        f"理论 {cls.hours_theory}（其中线上 {cls.hours_online}）+ 实操 {cls.hours_practical} = {cls.hours_total} 课时"
    )
    return [
        ("班级编号", cls.code),
        ("班级名称", cls.name),
        ("培训机构", cls.institution.name),
        ("职业（工种）", str(cls.occupation)),
        ("等级", cls.get_level_display() if cls.level else "—"),
        ("培训类型", cls.get_training_type_display()),
        ("证书路径", cls.get_certificate_display()),
        ("补贴性培训", "是" if cls.subsidised else "否"),
        ("专项行动", cls.get_special_action_display() if cls.special_action else "—"),
        ("行业主管部门", cls.lead_department.name),
        ("县（市、区）", cls.area.name),
        ("培训日期", f"{cls.start:%Y-%m-%d} 至 {cls.end:%Y-%m-%d}"),
        ("课时", hours),
        ("每课时分钟数", cls.minutes_per_hour),
        ("线上平台", str(cls.online_platform) if cls.online_platform_id else "—"),
        ("工位数", cls.workstations),
        ("学徒制合作企业", f"{cls.enterprise_name} {cls.enterprise_uscc}".strip() or "—"),
        ("已获省级跨市办班批准", "是" if cls.cross_city_approval else "否"),
        ("提交时间", timezone.localtime(cls.submitted_at).strftime("%Y-%m-%d %H:%M") if cls.submitted_at else "—"),
    ]


def _roster(user: User, cls: TrainingClass) -> list[dict[str, Any]]:
    rows = []
    for e in roster_for(user, cls):
        q = e.questionnaire or {}
        rows.append(
            {
                "pk": e.pk,
                "row": e.row,
                "name": e.person.name,
                "id_number": mask_for(user, e.person.id_number),
                "phone": e.person.phone if user.sees_clear_ids else mask_phone(e.person.phone),
                "category": _CATEGORY_ZH.get(e.category, e.category),
                "questionnaire": "、".join(
                    f"{label}{'是' if q.get(key) else '否'}"
                    for key, label in (
                        ("training_intent", "培训意愿"),
                        ("employment_intent", "就业意愿"),
                        ("employment_ability", "就业能力"),
                    )
                )
                if q
                else "未填",
            }
        )
    return rows


def _roster_problems(exc: RosterInvalid) -> list[dict[str, str]]:
    problems = []
    for item in exc.fields:
        path = item.get("path", "")
        row = item.get("row", "")
        column = path.split(" ", 1)[1] if " " in path else ""
        problems.append({"row": row if row not in ("", "0") else "", "column": column, "message": item["message"]})
    return problems


def _history(user: User, cls: TrainingClass) -> list[dict[str, Any]]:
    steps = list(cls.steps.select_related("actor").order_by("at", "id"))
    stored = [f for s in steps for f in s.findings if isinstance(f, dict) and "rule" in f]
    rows = _trainee_rows(cls, stored)
    history = []
    for s in steps:
        invalid = [f["invalid"] for f in s.findings if isinstance(f, dict) and "invalid" in f]
        findings = [f for f in s.findings if isinstance(f, dict) and "rule" in f]
        opinion = s.opinion if user.sees_clear_ids else mask_text(s.opinion)
        history.append(
            {
                "step": s,
                "action": _ACTION_ZH.get(s.action, s.action),
                "from_state": _STATE_ZH.get(s.from_state, s.from_state),
                "to_state": _STATE_ZH.get(s.to_state, s.to_state),
                "actor": s.actor.display_name,
                "role": _ROLE_ZH.get(s.actor_role, s.actor_role),
                "opinion": opinion,
                "reasons": [r if user.sees_clear_ids else mask_text(r) for r in s.reasons],
                "decision": _DECISION_ZH.get(s.decision, s.decision),
                "groups": group_findings(cls, findings, rows),
                "invalid": [item for chunk in invalid for item in chunk],
            }
        )
    return history


def _detail_context(
    request: HttpRequest,
    user: User,
    cls: TrainingClass,
    tab: str,
    *,
    version: int | None = None,
    flash: str = "",
    problem: Problem | None = None,
    form: ClassForm | None = None,
    formset: Any = None,
    roster_form: RosterImportForm | None = None,
    roster_problems: list[dict[str, str]] | None = None,
    roster_message: str = "",
) -> dict[str, Any]:
    actions = actions_for(user, cls)
    tabs = [*TABS, SUPERVISION_TAB, ASSESSMENT_TAB] if cls.state in COUNTED_STATES else TABS
    if cls.state == ClassState.ENDED:
        tabs = [*tabs, SUBSIDY_TAB]
    if tab not in {key for key, _ in tabs}:
        tab = "history" if any(t.stage or t.needs_reasons for t in actions) else "basic"
    editable = _editable_by(user, cls)
    ctx: dict[str, Any] = {
        "cls": cls,
        "tab": tab,
        "tabs": tabs,
        "version": cls.version if version is None else version,
        "editable": editable,
        "findings": _findings_context(cls, check_class(cls), user),
        "submit_action": next((t for t in actions if t.action == ReviewStep.Action.SUBMIT), None),
        "end_action": next((t for t in actions if t.action == ReviewStep.Action.END), None),
        "review_actions": [t for t in actions if t.action not in (ReviewStep.Action.SUBMIT, ReviewStep.Action.END)],
        "deadline": deadline_view(cls),
        "pending_label": _pending_label(cls.state),
        "flash": flash,
        "problem": problem,
    }
    if tab == "basic":
        ctx["facts"] = _facts(cls)
        if editable:
            ctx["form"] = form or ClassForm.for_class(cls)
    elif tab == "teachers":
        ctx["teachers"] = list(cls.teachers.all())
        if editable:
            ctx["formset"] = formset or teachers_formset(cls)
    elif tab == "roster":
        ctx["roster"] = _roster(user, cls)
        ctx["roster_form"] = roster_form or RosterImportForm(initial={"version": ctx["version"]})
        ctx["roster_problems"] = roster_problems or []
        ctx["roster_message"] = roster_message
    elif tab == "history":
        ctx["history"] = _history(user, cls)
    elif tab == SUPERVISION_TAB[0]:
        from jineng.supervision.views import class_tab_context  # supervision reads classes, not vice versa

        ctx.update(class_tab_context(user, cls, online_page=_int_param(request.GET, "opage") or 1))
    elif tab == ASSESSMENT_TAB[0]:
        from jineng.assessment.views import class_tab_context as assessment_tab

        ctx.update(assessment_tab(user, cls))
    elif tab == SUBSIDY_TAB[0]:
        from jineng.subsidy.views import class_tab_context as subsidy_tab

        ctx.update(subsidy_tab(user, cls))
    return ctx


def _render_detail(
    request: HttpRequest, user: User, cls: TrainingClass, tab: str, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context = _detail_context(request, user, cls, tab, **extra)
    template = "classes/_body.html" if _is_htmx(request) else "classes/detail.html"
    return render(request, template, context, status=status)


def _done(request: HttpRequest, user: User, pk: int, tab: str, flash: str) -> HttpResponse:
    """After a successful write: the fresh fragment for htmx, else redirect (POST-redirect-GET)."""
    if _is_htmx(request):
        return _render_detail(request, user, _get_class(user, pk), tab, flash=flash)
    messages.success(request, flash)
    return redirect(_detail_url(pk, tab))


def _refused(
    request: HttpRequest, user: User, cls: TrainingClass, tab: str, exc: ServiceError, **extra: Any
) -> HttpResponse:
    """A refusal, shown on the page the user acted on; a stale page keeps the version it showed."""
    fresh = _get_class(user, cls.pk)
    if isinstance(exc, StaleVersion):
        extra.setdefault("version", _posted_version(request.POST))
    return _render_detail(request, user, fresh, tab, status=exc.status, problem=_problem(fresh, exc), **extra)


@chinese
@login_required
@require_GET
def class_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    cls = _get_class(user, pk)
    return _render_detail(request, user, cls, request.GET.get("tab", ""))


@chinese
@login_required
@require_GET
def findings_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The findings panel alone (htmx refresh): check_class on the class as stored."""
    user = _user(request)
    cls = _get_class(user, pk)
    context = {"cls": cls, "findings": _findings_context(cls, check_class(cls), user)}
    return render(request, "classes/_findings.html", context)


@chinese
@login_required
@require_POST
def findings_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The findings panel for the form as typed (htmx, on every change): nothing is saved."""
    user = _user(request)
    cls = _get_class(user, pk)
    if not _editable_by(user, cls):
        raise RefusedNotFound
    form = ClassForm(request.POST)
    if form.is_valid():
        try:
            checked = check_class_preview(cls, form.to_input())
        except ValueError:
            checked = Checked(invalid=[{"path": "form", "message": "请先填写完整的基本信息"}])
    else:
        checked = Checked(
            invalid=[
                {
                    "path": str(form.fields[name].label if name in form.fields else name),
                    "message": "；".join(str(e) for e in errors),
                }
                for name, errors in form.errors.items()
            ]
        )
    context = {"cls": cls, "findings": _findings_context(cls, checked, user), "preview": True}
    return render(request, "classes/_findings.html", context)


@chinese
@login_required
@require_POST
def class_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    cls = _get_class(user, pk)
    form = ClassForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, user, cls, "basic", status=422, form=form, version=_posted_version(request.POST))
    try:
        class_update(cls=cls, actor=user, expected_version=_posted_version(request.POST), data=form.to_input())
    except InvalidInput as exc:
        form.add_service_errors(exc)
        return _render_detail(
            request, user, cls, "basic", status=exc.status, form=form, version=_posted_version(request.POST)
        )
    except ServiceError as exc:
        return _refused(request, user, cls, "basic", exc, form=form)
    return _done(request, user, pk, "basic", "基本信息已保存，规则核查已更新")


@chinese
@login_required
@require_POST
def class_teachers(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    cls = _get_class(user, pk)
    formset = teachers_formset(cls, data=request.POST)
    if not formset.is_valid():
        return _render_detail(
            request, user, cls, "teachers", status=422, formset=formset, version=_posted_version(request.POST)
        )
    try:
        class_set_teachers(
            cls=cls, actor=user, expected_version=_posted_version(request.POST), teachers=teacher_inputs(formset)
        )
    except ServiceError as exc:
        return _refused(request, user, cls, "teachers", exc, formset=formset)
    return _done(request, user, pk, "teachers", "师资已保存，规则核查已更新")


@chinese
@login_required
@require_POST
def roster_upload(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    cls = _get_class(user, pk)
    form = RosterImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_detail(
            request, user, cls, "roster", status=422, roster_form=form, version=_posted_version(request.POST)
        )
    upload = form.cleaned_data["file"]
    try:
        updated = roster_import(
            cls=cls,
            actor=user,
            expected_version=form.cleaned_data["version"],
            content=upload.read(),
            filename=upload.name or "roster",
        )
    except RosterInvalid as exc:
        return _render_detail(
            request,
            user,
            cls,
            "roster",
            status=exc.status,
            version=form.cleaned_data["version"],
            roster_problems=_roster_problems(exc),
            roster_message=exc.message,
        )
    except ServiceError as exc:
        return _refused(request, user, cls, "roster", exc)
    count = updated.enrollments.count()
    return _done(request, user, pk, "roster", f"已导入花名册：{count} 名学员，规则核查已更新")


@chinese
@login_required
@require_POST
def roster_delete(request: HttpRequest, pk: int, enrollment_id: int) -> HttpResponse:
    user = _user(request)
    cls = _get_class(user, pk)
    try:
        roster_remove(cls=cls, actor=user, expected_version=_posted_version(request.POST), enrollment_id=enrollment_id)
    except ServiceError as exc:
        return _refused(request, user, cls, "roster", exc)
    return _done(request, user, pk, "roster", "已从花名册移除 1 名学员，规则核查已更新")


@chinese
@login_required
@require_POST
def class_act(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit, sign, return or reject: the service checks role, scope, SUB-TWO-PERSON and the rules."""
    user = _user(request)
    cls = _get_class(user, pk)
    tab = request.POST.get("tab", "")
    tab = tab if tab in _TAB_KEYS else "history"
    action = request.POST.get("action", "")
    reasons = [line.strip() for line in request.POST.get("reasons", "").splitlines() if line.strip()]
    try:
        step = class_transition(
            cls=cls,
            actor=user,
            action=action,
            expected_version=_posted_version(request.POST),
            opinion=request.POST.get("opinion", ""),
            reasons=reasons,
        )
    except ServiceError as exc:
        return _refused(request, user, cls, tab, exc)
    label = TRANSITIONS[step.action].label
    flash = f"已{label}：班级 {cls.code} 现为“{_STATE_ZH.get(step.to_state, step.to_state)}”"
    return _done(request, user, pk, tab, flash)


# ── creating a class ──────────────────────────────────────────────────────────────────────────


@chinese
@login_required
@require_http_methods(["GET", "POST"])
def class_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.role != Role.INSTITUTION_CLERK or user.institution_id is None:
        return render(request, "classes/form.html", {"forbidden": True}, status=403)
    if request.method == "GET":
        return render(request, "classes/form.html", {"form": ClassForm()})
    form = ClassForm(request.POST)
    if not form.is_valid():
        return render(request, "classes/form.html", {"form": form}, status=422)
    try:
        cls = class_create(actor=user, data=form.to_input())
    except InvalidInput as exc:
        form.add_service_errors(exc)
        return render(request, "classes/form.html", {"form": form, "message": exc.message}, status=exc.status)
    except ServiceError as exc:
        return render(request, "classes/form.html", {"form": form, "message": exc.message}, status=exc.status)
    messages.success(request, f"已创建开班申请 {cls.code}（草稿）。请填写师资、导入花名册，核查无阻断项后提交审核。")
    return redirect(_detail_url(cls.pk, "teachers"))


# ── list and to-do ────────────────────────────────────────────────────────────────────────────


def _reads_classes(user: User) -> bool:
    return user.role not in (Role.SYS_ADMIN, Role.AUDIT_ADMIN, Role.SECURITY_ADMIN)


@chinese
@login_required
@require_GET
def classes_index(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    params = request.GET
    state = params.get("state", "")
    state = state if state in _STATE_ZH else ""
    occupation = params.get("occupation", "").strip()[:100]
    query = params.get("q", "").strip()[:100]
    qs = class_list(
        user,
        state=state or None,
        area=_int_param(params, "area"),
        occupation=occupation or None,
        query=query or None,
        year=_int_param(params, "year"),
    )
    page = Paginator(qs, PAGE_SIZE).get_page(params.get("page"))
    today = timezone.localdate()
    rows = [{"cls": c, "deadline": deadline_view(c, today)} for c in page.object_list]
    context = {
        "page": page,
        "rows": rows,
        "states": ClassState.choices,
        "areas": OrgUnit.objects.filter(kind=OrgUnit.Kind.AREA).order_by("seq", "key").values_list("pk", "name"),
        "filters": {
            "state": state,
            "area": _int_param(params, "area"),
            "occupation": occupation,
            "q": query,
            "year": _int_param(params, "year") or "",
        },
        "reads_classes": _reads_classes(user),
        "can_apply": user.role == Role.INSTITUTION_CLERK and user.institution_id is not None,
    }
    return render(request, "classes/list.html", context)


@chinese
@login_required
@require_GET
def todo(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    has_todos = user.role == Role.INSTITUTION_CLERK or any(user.role in roles for roles in STAGE_ROLES.values())
    page = Paginator(todo_for(user) if has_todos else TrainingClass.objects.none(), TODO_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    today = timezone.localdate()
    rows = [
        {
            "cls": c,
            "deadline": deadline_view(c, today),
            "waiting": _pending_label(c.state),
            "since": c.state_since,
        }
        for c in page.object_list
    ]
    from jineng.subsidy.selectors import batches_todo, claims_todo  # subsidy reads classes, not vice versa

    claims = list(claims_todo(user)[:TODO_PAGE_SIZE])
    batches = list(batches_todo(user)[:TODO_PAGE_SIZE])
    has_todos = has_todos or user.role == Role.FINANCE
    context = {
        "page": page,
        "rows": rows,
        "claims": claims,
        "batches": batches,
        "has_todos": has_todos,
        "reads_classes": _reads_classes(user),
        "can_apply": user.role == Role.INSTITUTION_CLERK and user.institution_id is not None,
        "is_clerk": user.role == Role.INSTITUTION_CLERK,
    }
    return render(request, "classes/todo.html", context)


# ── roster templates ──────────────────────────────────────────────────────────────────────────

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@chinese
@login_required
@require_GET
def roster_template(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt == "xlsx":
        response = HttpResponse(roster_io.roster_template_xlsx(), content_type=_XLSX)
    elif fmt == "csv":
        response = HttpResponse(roster_io.roster_template_csv(), content_type="text/csv; charset=utf-8")
    else:
        raise Http404("模板格式应为 xlsx 或 csv")
    response.headers["Content-Disposition"] = content_disposition_header(True, f"花名册模板.{fmt}")
    return response
