"""Pages of the plan's progress (/targets/…): the city overview, by area, by department, by special
action, the indicator panel with its registers, and the classes behind any figure (page or XLSX).

Views parse the period (`year`, `as_of`), call the selectors (`overview`, `drilldown`) and render;
the reader's reach decides what exists for them (no reach, or another unit's figure, is a 404).
Charts are ECharts options built here and written into the page as JSON
(`<script type="application/json">`); static/jineng/dashboard.js draws them, so a page carries no
inline code. Refreshing the facts and the register forms are HR's; each write is audited.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from openpyxl import Workbook
from openpyxl.styles import Font

from jineng import tabular
from jineng.accounts.models import Role, User
from jineng.audit.context import RefusedNotFound
from jineng.audit.services import audit_record
from jineng.classes.errors import InvalidInput, NotPermitted, ServiceError
from jineng.classes.models import Enrollment, SpecialAction, TrainingClass
from jineng.plan.loader import ACTION_COLUMNS, ANNEX1_COLUMNS, ANNEX2_COLUMNS, load_plan
from jineng.policy.findings import Finding, percent
from jineng.policy.rules.indicators import Progress
from jineng.registry.models import Occupation, OrgUnit

from .models import Competition, EvaluationFiling, Indicator, Measure, ProgressRefresh, PublicityReport
from .progress import progress_refresh
from .selectors import (
    CERTIFICATE_MEASURES,
    INDICATORS,
    TRAINING_MEASURES,
    CountedClasses,
    Overview,
    Reach,
    Row,
    cached_overview,
    drilldown,
    reach_of,
    scope_label,
)
from .services import CompetitionInput, competition_record, filing_record, publicity_record

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Who rebuilds the facts from the page or the API: the HR bureaus that answer for the figures.
REFRESHERS = frozenset({Role.CITY_HR, Role.AREA_HR})
# Who keeps the registers from the page (services.REGISTER_KEEPERS decides again).
KEEPERS = frozenset({Role.CITY_HR, Role.AREA_HR})
DRILL_INDICATORS: frozenset[str] = TRAINING_MEASURES | CERTIFICATE_MEASURES
NO_REACH = "您无权查看目标任务进度，或该数据不在您的管辖范围内"
STATUS_COLOURS = {"green": "#2e7d32", "amber": "#f29d00", "red": "#c62828", "none": "#9e9e9e"}
# The panel's findings and the figure each one is made of (their drill-down).
PANEL_DRILL = {
    "IND-HIGH-SHARE": "new_high_skilled",
    "IND-MANUFACTURING-SHARE": "subsidised_mfg",
    "SUB-CERT-SHARE": "certificates",
}
# Column heads of the tables (the full label is the cell's title): six indicators fit 1366 px.
SHORT = {
    "training": "职业技能培训",
    "subsidised": "补贴性培训",
    "new_skilled": "新增技能人才",
    "new_high_skilled": "新增高技能人才",
    "technicians": "技师和高级技师",
    "apprentices": "新型学徒制",
}
DRILL_COLUMNS = ("班级编号", "班级名称", "培训机构", "县（市、区）", "行业主管部门", "专项行动", "结业日期", "计入数")


# ── the period, shared with the API ───────────────────────────────────────────────────────────


@functools.cache
def plan_year() -> int:
    """The year of the shipped plan (2023): the dashboards' default."""
    return load_plan().year


def default_as_of(year: int, today: dt.date) -> dt.date:
    """Today within the year; for any other year its last day (a past year is read as it closed)."""
    return today if today.year == year else dt.date(year, 12, 31)


def period_of(year: int | None, as_of: dt.date | None, *, today: dt.date | None = None) -> tuple[int, dt.date]:
    """The year and the day the figures stand on; the day must fall in the year."""
    year = plan_year() if year is None else year
    problems = []
    if not 2000 <= year <= 2100:
        problems.append({"path": "year", "message": "年度：应为 2000 至 2100 之间的年份"})
    elif as_of is not None and as_of.year != year:
        problems.append({"path": "as_of", "message": f"截止日期：应在 {year} 年内"})
    if problems:
        raise InvalidInput(f"查询条件有 {len(problems)} 处错误", problems)
    return year, as_of or default_as_of(year, today or timezone.localdate())


def read_overview(user: User, *, year: int, as_of: dt.date) -> Overview | None:
    """`selectors.overview`, with a year no policy covers read as invalid input (not a server error)."""
    try:
        return cached_overview(user, year=year, as_of=as_of)
    except LookupError as exc:
        raise InvalidInput(str(exc), [{"path": "year", "message": f"年度：{exc}"}]) from exc


def drill_label(indicator: str) -> str:
    labels: dict[str, str] = {**dict(Measure.choices), **dict(Indicator.choices)}
    return labels.get(indicator, indicator)


@transaction.atomic
def refresh_progress(*, actor: User, year: int) -> ProgressRefresh:
    """Rebuild the year's progress facts now (`progress_refresh`), audited. Two refreshes of a year
    run one after the other: each deletes and rewrites the year's facts, so together they would
    leave both sets."""
    if actor.role not in REFRESHERS or reach_of(actor) is None:
        raise NotPermitted("只有市、县（市、区）人社局可以刷新进度数据")
    ProgressRefresh.objects.get_or_create(
        year=year, defaults={"refreshed_at": timezone.now(), "seconds": 0.0, "rows": 0}
    )
    ProgressRefresh.objects.select_for_update().get(year=year)
    result = progress_refresh(year=year)
    row = ProgressRefresh.objects.get(year=year)
    audit_record(
        actor=actor,
        event="targets.refresh",
        obj=row,
        note=f"{year} 年进度汇总刷新：{result.rows} 行，用时 {result.seconds:.2f} 秒",
    )
    return row


# ── what the templates show ───────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Period:
    year: int
    as_of: dt.date

    def query(self, **extra: Any) -> str:
        values = {"year": self.year, "as_of": self.as_of.isoformat()}
        values.update({k: v for k, v in extra.items() if v is not None})
        return urlencode(values)

    def drill_url(
        self, indicator: str, *, area: int | None = None, department: int | None = None, action: int | None = None
    ) -> str:
        query = self.query(indicator=indicator, area=area, department=department, action=action)
        return f"{reverse('targets:classes')}?{query}"


def pct(value: Decimal | None) -> str:
    return "—" if value is None else percent(value)


def _bar(value: Decimal | None) -> str:
    """A CSS width in percent, capped at the bar's end (an over-achieved target fills it)."""
    share = min(max(value or Decimal(0), Decimal(0)), Decimal(1))
    return f"{share * 100:.1f}%"


def _cell(pr: Progress, url: str) -> dict[str, Any]:
    return {
        "actual": f"{pr.actual:,}",
        "target": None if pr.target is None else f"{pr.target:,}",
        "done": pct(pr.done),
        "status": pr.status,
        "status_zh": pr.status_zh,
        "bar": _bar(pr.done),
        "marker": _bar(pr.elapsed),
        "url": url,
    }


def _share(f: Finding | None, url: str) -> dict[str, Any] | None:
    if f is None:
        return None
    share = f.values.get("share")
    return {"share": pct(share), "met": bool(f.values.get("met")), "message": f.message, "url": url}


def _row(
    row: Row,
    period: Period,
    columns: Sequence[str],
    *,
    area: int | None = None,
    department: int | None = None,
    action: int | None = None,
) -> dict[str, Any]:
    def url(indicator: str) -> str:
        return period.drill_url(indicator, area=area, department=department, action=action)

    return {
        "rank": row.rank,
        "name": row.name,
        "cells": [_cell(row.progress[c], url(c)) for c in columns],
        "manufacturing": _share(row.manufacturing, url("subsidised_mfg")),
    }


def _headline_filter(reach: Reach) -> dict[str, int | None]:
    unit = reach.unit.pk if reach.unit else None
    return {"area": unit if reach.kind == "area" else None, "department": unit if reach.kind == "department" else None}


def _finding(f: Finding, url: str | None = None) -> dict[str, Any]:
    return {"rule": f.rule, "subject": f.subject, "message": f.message, "met": bool(f.values.get("met")), "url": url}


def _heads(columns: Sequence[str]) -> list[dict[str, str]]:
    return [{"short": SHORT[c], "label": Indicator(c).label} for c in columns]


def _columns_with_targets(rows: Sequence[Row], columns: Sequence[str]) -> list[str]:
    return [c for c in columns if any(r.progress[c].target is not None for r in rows)] or list(columns)


# ── charts (ECharts options; dashboard.js draws them) ─────────────────────────────────────────


def _percent_value(value: Decimal | None) -> float:
    return float(round((value or Decimal(0)) * 100, 1))


def chart_monthly(o: Overview) -> dict[str, Any]:
    """The cumulative training of each month against the target's straight line (target × months / 12)."""
    actual = o.monthly.get(Measure.TRAINING, [])
    target = o.headline.training.target
    months = [f"{m}月" for m in range(1, 13)]
    series: list[dict[str, Any]] = [
        {"name": "累计完成", "type": "line", "data": actual, "symbolSize": 6, "itemStyle": {"color": "#1f5fa8"}}
    ]
    if target:
        series.append(
            {
                "name": "按时间进度应完成",
                "type": "line",
                "data": [round(target * m / 12) for m in range(1, 13)],
                "lineStyle": {"type": "dashed"},
                "symbol": "none",
                "itemStyle": {"color": "#9e9e9e"},
            }
        )
    return {
        "title": {"text": f"{scope_label(o.reach)}职业技能培训累计完成情况（人次）", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 24, "data": [s["name"] for s in series]},
        "grid": {"left": 16, "right": 24, "top": 64, "bottom": 16, "containLabel": True},
        "xAxis": {"type": "category", "data": months, "boundaryGap": False},
        "yAxis": {"type": "value", "name": "人次"},
        "series": series,
    }


def chart_completion(title: str, rows: Sequence[Row], elapsed: Decimal, indicator: str = "training") -> dict[str, Any]:
    """Each row's completion of `indicator` as a bar coloured by its status, time progress as a line."""
    values = [_percent_value(r.progress[indicator].done) for r in rows]
    data = [
        {"value": v, "itemStyle": {"color": STATUS_COLOURS[r.progress[indicator].status]}}
        for v, r in zip(values, rows, strict=True)
    ]
    return {
        "title": {"text": title, "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "jinengPercent": True,
        "grid": {"left": 16, "right": 48, "top": 48, "bottom": 16, "containLabel": True},
        "xAxis": {
            "type": "category",
            "data": [r.name for r in rows],
            "axisLabel": {"interval": 0, "rotate": 30 if len(rows) > 6 else 0},
        },
        # Time progress must show even when every bar is short of it; an over-achiever raises the top.
        "yAxis": {
            "type": "value",
            "name": "完成率",
            "min": 0,
            "max": max([100, *(math.ceil(v / 10) * 10 for v in values)]),
            "axisLabel": {"formatter": "{value}%"},
        },
        "series": [
            {
                "name": "完成率",
                "type": "bar",
                "data": data,
                "barMaxWidth": 36,
                "markLine": {
                    "symbol": "none",
                    "lineStyle": {"color": "#c62828", "type": "dashed"},
                    "label": {"formatter": f"时间进度 {pct(elapsed)}", "position": "insideEndTop"},
                    "data": [{"yAxis": _percent_value(elapsed)}],
                },
            }
        ],
    }


# ── request helpers ───────────────────────────────────────────────────────────────────────────


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User), "login_required runs first"
    return user


def _reader(request: HttpRequest) -> tuple[User, Reach]:
    user = _user(request)
    reach = reach_of(user)
    if reach is None:
        raise RefusedNotFound(NO_REACH)
    return user, reach


def _int(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _period(request: HttpRequest) -> tuple[Period, list[dict[str, str]]]:
    """The period asked for; a garbled one is named and the default used in its place."""
    problems: list[dict[str, str]] = []
    raw_year = request.GET.get("year", "").strip()
    raw_day = request.GET.get("as_of", "").strip()
    year = _int(raw_year)
    if raw_year and year is None:
        problems.append({"path": "year", "message": "年度：应为四位数字的年份"})
    as_of: dt.date | None = None
    if raw_day:
        try:
            as_of = dt.date.fromisoformat(raw_day)
        except ValueError:
            problems.append({"path": "as_of", "message": "截止日期：应为 YYYY-MM-DD"})
    try:
        y, day = period_of(year, as_of)
    except InvalidInput as exc:
        problems += exc.fields
        y, day = period_of(None, None)
    return Period(y, day), problems


def _dashboard(request: HttpRequest, tab: str) -> tuple[User, Overview, Period, dict[str, Any]]:
    """The reader, their overview and what every dashboard page shows around its own content."""
    user, reach = _reader(request)
    period, problems = _period(request)
    try:
        o = read_overview(user, year=period.year, as_of=period.as_of)
    except InvalidInput as exc:
        problems += exc.fields
        period = Period(*period_of(None, None))
        o = read_overview(user, year=period.year, as_of=period.as_of)
    if o is None:  # the reach was checked above; the selector decides again
        raise RefusedNotFound(NO_REACH)
    tabs = [("overview", "全市总览" if reach.kind == "city" else "总览", "targets:overview")]
    if reach.kind != "department":
        tabs.append(("areas", "按县（市、区）", "targets:areas"))
    if reach.kind != "area":
        tabs.append(("departments", "按行业部门", "targets:departments"))
    if reach.kind == "city":
        tabs.append(("actions", "按专项行动", "targets:actions"))
    tabs.append(("indicators", "指标面板", "targets:indicators"))
    tabs.append(("bulletin", "进度通报", "targets:bulletin"))
    refreshed = ProgressRefresh.objects.filter(year=period.year).first()
    context: dict[str, Any] = {
        "o": o,
        "tab": tab,
        "tabs": [{"key": k, "label": label, "url": f"{reverse(name)}?{period.query()}"} for k, label, name in tabs],
        "period": period,
        "query": period.query(),
        "scope": scope_label(reach),
        "elapsed": pct(o.elapsed),
        "refreshed": refreshed,
        "may_refresh": user.role in REFRESHERS,
        "problems": problems,
    }
    return user, o, period, context


def _status(problems: list[dict[str, str]]) -> int:
    return 400 if problems else 200


# ── pages ─────────────────────────────────────────────────────────────────────────────────────


@login_required
@require_GET
def overview_page(request: HttpRequest) -> HttpResponse:
    """全市总览 (or the reader's area / department): headline cards, the two charts, the panel and
    the areas behind time progress."""
    _, o, period, context = _dashboard(request, "overview")
    where = _headline_filter(o.reach)
    columns = _columns_with_targets([o.headline], INDICATORS)
    cards = [
        {"label": Indicator(c).label, **_cell(o.headline.progress[c], period.drill_url(c, **where))} for c in columns
    ]
    bars, bar_title = (
        (o.areas, "各县（市、区）职业技能培训完成率")
        if o.reach.kind != "department"
        else (o.departments, "职业技能培训完成率")
    )
    context.update(
        cards=cards,
        chart_monthly=chart_monthly(o),
        chart_units=chart_completion(bar_title, bars, o.elapsed),
        panel=[_finding(f, _panel_url(f, period, where)) for f in o.panel],
        behind=[
            {
                "name": r.name,
                "done": pct(r.training.done),
                "status": r.training.status,
                "status_zh": r.training.status_zh,
            }
            for r in o.behind
        ],
    )
    return render(request, "targets/overview.html", context, status=_status(context["problems"]))


def _panel_url(f: Finding, period: Period, where: dict[str, int | None]) -> str | None:
    indicator = PANEL_DRILL.get(f.rule)
    return period.drill_url(indicator, **where) if indicator else None


@login_required
@require_GET
def areas_page(request: HttpRequest) -> HttpResponse:
    _, o, period, context = _dashboard(request, "areas")
    if o.reach.kind == "department":
        raise RefusedNotFound(NO_REACH)
    columns = list(ANNEX1_COLUMNS)
    context.update(
        columns=_heads(columns),
        rows=[_row(r, period, columns, area=r.unit_id) for r in o.areas],
        with_manufacturing=True,
        span=3 + 2 * len(columns),
        chart=chart_completion("各县（市、区）职业技能培训完成率", o.areas, o.elapsed),
        heading="各县（市、区）目标任务完成情况（附件1）",
        unit_header="县（市、区）",
    )
    return render(request, "targets/table.html", context, status=_status(context["problems"]))


@login_required
@require_GET
def departments_page(request: HttpRequest) -> HttpResponse:
    _, o, period, context = _dashboard(request, "departments")
    if o.reach.kind == "area":
        raise RefusedNotFound(NO_REACH)
    columns = _columns_with_targets(o.departments, ANNEX2_COLUMNS)
    context.update(
        columns=_heads(columns),
        rows=[_row(r, period, columns, department=r.unit_id) for r in o.departments],
        with_manufacturing=False,
        span=2 + 2 * len(columns),
        chart=chart_completion("各行业部门职业技能培训完成率", o.departments, o.elapsed),
        heading="各行业部门目标任务完成情况（附件2）",
        unit_header="行业部门",
    )
    return render(request, "targets/table.html", context, status=_status(context["problems"]))


@login_required
@require_GET
def actions_page(request: HttpRequest) -> HttpResponse:
    _, o, period, context = _dashboard(request, "actions")
    if o.reach.kind != "city":
        raise RefusedNotFound(NO_REACH)
    columns = list(ACTION_COLUMNS)
    context.update(
        columns=_heads(columns),
        rows=[_row(r, period, columns, action=r.action) for r in o.actions],
        with_manufacturing=False,
        span=2 + 2 * len(columns),
        chart=chart_completion("各专项行动职业技能培训完成率", [r for r in o.actions if r.training.target], o.elapsed),
        heading="十大专项行动目标任务完成情况（二(一)1–10）",
        unit_header="专项行动",
    )
    return render(request, "targets/table.html", context, status=_status(context["problems"]))


# ── the indicator panel and its registers ─────────────────────────────────────────────────────


def _register_units(user: User, reach: Reach) -> dict[str, list[OrgUnit]]:
    """The units a keeper may pick in each form (an area's HR records for its own area only)."""
    if user.role not in KEEPERS:
        return {}
    if reach.kind == "area" and reach.unit is not None:
        own = [reach.unit]
        return {"organisers": own, "areas": own, "publishers": own}
    units = list(OrgUnit.objects.order_by("kind", "seq", "key"))
    areas = [u for u in units if u.kind == OrgUnit.Kind.AREA]
    return {
        "organisers": units,
        "areas": areas,
        "publishers": [u for u in units if u.kind in (OrgUnit.Kind.AREA, OrgUnit.Kind.DEPARTMENT)],
    }


def _registers(reach: Reach, period: Period) -> dict[str, QuerySet[Any]]:
    """The year's register entries up to the day read, for the reader's reach."""
    days = (dt.date(period.year, 1, 1), period.as_of)
    competitions = Competition.objects.filter(held_on__range=days).select_related("organiser")
    filings = EvaluationFiling.objects.filter(filed_on__range=days).select_related("area")
    reports = PublicityReport.objects.filter(published_on__range=days).select_related("unit")
    if reach.kind != "city" and reach.unit is not None:
        competitions = competitions.filter(organiser=reach.unit)
        filings = filings.filter(area=reach.unit)
        reports = reports.filter(unit=reach.unit)
    return {
        "competitions": competitions.prefetch_related("occupations"),
        "filings": filings,
        "reports": reports,
    }


def _indicators_render(
    request: HttpRequest,
    *,
    form: str = "",
    values: dict[str, str] | None = None,
    refusal: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    user, o, period, context = _dashboard(request, "indicators")
    where = _headline_filter(o.reach)
    registers = _registers(o.reach, period)
    context.update(
        panel=[_finding(f, _panel_url(f, period, where)) for f in o.panel],
        publicity=[_finding(f) for f in o.publicity],
        competitions=Paginator(registers["competitions"], PAGE_SIZE).get_page(request.GET.get("cpage")),
        filings=Paginator(registers["filings"], PAGE_SIZE).get_page(request.GET.get("fpage")),
        reports=Paginator(registers["reports"], PAGE_SIZE).get_page(request.GET.get("rpage")),
        units=_register_units(user, o.reach),
        levels=PublicityReport.Level.choices,
        form=form,
        values=values or {},
        refusal=refusal,
        extra=o.extra,
    )
    if context["problems"] and status == 200:
        status = 400
    return render(request, "targets/indicators.html", context, status=status)


@login_required
@require_GET
def indicators_page(request: HttpRequest) -> HttpResponse:
    """The plan's other indicators (shares, vouchers, competitions, filings), publicity per unit
    and the registers behind them, with HR's forms to add to them."""
    return _indicators_render(request)


def _date(raw: str, path: str, label: str, problems: list[dict[str, str]]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        problems.append({"path": path, "message": f"{label}：应为 YYYY-MM-DD"})
        return None


def _count(raw: str, path: str, label: str, problems: list[dict[str, str]]) -> int | None:
    value = _int(raw)
    if value is None:
        problems.append({"path": path, "message": f"{label}：应为不小于 0 的整数"})
    return value


def _occupations(raw: str, problems: list[dict[str, str]]) -> list[int]:
    codes = [c for c in re.split(r"[\s,，、;；]+", raw.strip()) if c]
    found = dict(Occupation.objects.filter(code__in=codes).values_list("code", "pk"))
    missing = [c for c in codes if c not in found]
    if not codes or missing:
        what = f"职业目录中没有 {'、'.join(missing)}" if missing else "至少填写一个职业编码"
        problems.append({"path": "occupation_ids", "message": f"竞赛职业（工种）：{what}"})
    return [found[c] for c in codes if c in found]


def _register_post(request: HttpRequest, form: str) -> HttpResponse:
    user, _ = _reader(request)
    if user.role not in KEEPERS:
        raise PermissionDenied("只有人社部门可以登记")
    values = {k: str(v) for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    problems: list[dict[str, str]] = []
    try:
        if form == "competition":
            held_on = _date(values.get("held_on", ""), "held_on", "举办日期", problems)
            occupation_ids = _occupations(values.get("occupations", ""), problems)
            contestants = _count(values.get("contestants", ""), "contestants", "参赛人数", problems)
            certified = _count(values.get("certified", ""), "certified", "取证人数", problems)
            organiser = _int(values.get("organiser_id"))
            if not values.get("name", "").strip():
                problems.append({"path": "name", "message": "竞赛名称：必填"})
            if organiser is None:
                problems.append({"path": "organiser_id", "message": "主办单位：请选择"})
            if problems or held_on is None or contestants is None or certified is None or organiser is None:
                raise InvalidInput(f"竞赛登记有 {len(problems)} 处错误", problems)
            data = CompetitionInput(
                name=values["name"],
                held_on=held_on,
                organiser_id=organiser,
                occupation_ids=occupation_ids,
                contestants=contestants,
                certified=certified,
            )
            saved: Any = competition_record(actor=user, data=data)
            done = f"已登记职业技能竞赛：{saved.name}"
        elif form == "filing":
            filed_on = _date(values.get("filed_on", ""), "filed_on", "备案日期", problems)
            area = _int(values.get("area_id"))
            if area is None:
                problems.append({"path": "area_id", "message": "县（市、区）：请选择"})
            if problems or filed_on is None or area is None:
                raise InvalidInput(f"备案登记有 {len(problems)} 处错误", problems)
            saved = filing_record(
                actor=user,
                name=values.get("name", ""),
                uscc=values.get("uscc", "").strip().upper(),
                area_id=area,
                filed_on=filed_on,
            )
            done = f"已登记职业技能等级认定机构备案：{saved.name}"
        else:
            published_on = _date(values.get("published_on", ""), "published_on", "发布日期", problems)
            unit = _int(values.get("unit_id"))
            level = _int(values.get("level"))
            if unit is None:
                problems.append({"path": "unit_id", "message": "发布单位：请选择"})
            if level is None:
                problems.append({"path": "level", "message": "媒体级别：请选择"})
            if problems or published_on is None or unit is None or level is None:
                raise InvalidInput(f"宣传报道登记有 {len(problems)} 处错误", problems)
            saved = publicity_record(
                actor=user,
                unit_id=unit,
                title=values.get("title", ""),
                media=values.get("media", ""),
                level=level,
                published_on=published_on,
                url=values.get("url", "").strip(),
            )
            done = f"已登记宣传报道：{saved.title}"
    except ServiceError as exc:
        refusal = {"message": exc.message, "fields": exc.fields}
        return _indicators_render(request, form=form, values=values, refusal=refusal, status=exc.status)
    messages.success(request, done)
    return redirect(f"{reverse('targets:indicators')}?{request.GET.urlencode()}")


@login_required
@require_POST
def competition_new(request: HttpRequest) -> HttpResponse:
    return _register_post(request, "competition")


@login_required
@require_POST
def filing_new(request: HttpRequest) -> HttpResponse:
    return _register_post(request, "filing")


@login_required
@require_POST
def publicity_new(request: HttpRequest) -> HttpResponse:
    return _register_post(request, "publicity")


@login_required
@require_POST
def refresh(request: HttpRequest) -> HttpResponse:
    """刷新数据: rebuild the year's facts, then back to the page the button was on."""
    user, _ = _reader(request)
    if user.role not in REFRESHERS:
        raise PermissionDenied("只有市、县（市、区）人社局可以刷新进度数据")
    year = _int(request.POST.get("year")) or plan_year()
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("targets:overview")
    try:
        period_of(year, None)
        row = refresh_progress(actor=user, year=year)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"已刷新 {year} 年进度数据（{row.rows} 行，用时 {row.seconds:.2f} 秒，"
            f"{timezone.localtime(row.refreshed_at):%Y-%m-%d %H:%M}）",
        )
    return redirect(back or reverse("targets:overview"))


# ── drill-down: the classes behind a figure ───────────────────────────────────────────────────


@dataclass(frozen=True)
class Drill:
    indicator: str
    area: int | None
    department: int | None
    action: int | None


def drill_title(reach: Reach, drill: Drill, period: Period) -> str:
    """What the figure is, in words: where, which measure, which period."""
    parts = [scope_label(reach)]
    names = dict(
        OrgUnit.objects.filter(pk__in=[x for x in (drill.area, drill.department) if x]).values_list("pk", "name")
    )
    if drill.area and reach.kind != "area":
        parts.append(names.get(drill.area, f"县（市、区）{drill.area}"))
    if drill.department and reach.kind != "department":
        parts.append(names.get(drill.department, f"部门 {drill.department}"))
    if drill.action:
        parts.append(dict(SpecialAction.choices).get(drill.action, f"专项行动 {drill.action}"))
    where = " · ".join(p for p in parts if p)
    return f"{where} {drill_label(drill.indicator)}（{period.year}-01-01 至 {period.as_of:%Y-%m-%d}）"


Drilled = QuerySet[TrainingClass] | CountedClasses


def drill_total(rows: Drilled) -> int:
    """What the listed classes add up to (for a training figure, the figure itself)."""
    if isinstance(rows, QuerySet):
        # A training figure: each class counts its roster entries (drilldown's `counted`), so the
        # total is the roster entries of the listed classes — one counting join, rather than the
        # per-class count evaluated for every class of the figure and summed.
        return Enrollment.objects.filter(training_class__in=rows.values("pk")).count()
    return sum(int(getattr(c, "counted", 0)) for c in rows)


def _each(rows: Drilled) -> Iterator[TrainingClass]:
    return rows.iterator(chunk_size=2000) if isinstance(rows, QuerySet) else iter(rows)


def _drill_xlsx(qs: Drilled, title: str, period: Period, label: str) -> HttpResponse:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "明细"
    sheet.append([f"{title} 明细"])
    sheet.append(list(DRILL_COLUMNS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    actions = dict(SpecialAction.choices)
    total = 0
    for c in _each(qs):
        counted = int(getattr(c, "counted", 0))
        total += counted
        sheet.append(
            [
                c.code,
                c.name,
                c.institution.name,
                c.area.name,
                c.lead_department.name,
                actions.get(c.special_action, "") if c.special_action else "",
                c.end,
                counted,
            ]
        )
    sheet.append(["合计", "", "", "", "", "", None, total])
    for letter, width in zip("ABCDEFGH", (18, 40, 30, 12, 16, 28, 12, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=3):
        row[6].number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A3"
    response = HttpResponse(tabular.xlsx_bytes(book), content_type=XLSX)
    name = f"目标进度明细-{label}-{period.as_of:%Y%m%d}.xlsx"
    response.headers["Content-Disposition"] = content_disposition_header(True, name)
    return response


@login_required
@require_GET
def classes_page(request: HttpRequest) -> HttpResponse:
    """The classes counted in a figure (indicator × area / department / special action), 50 a page or XLSX."""
    user, reach = _reader(request)
    period, problems = _period(request)
    indicator = request.GET.get("indicator", "").strip() or "training"
    if indicator not in DRILL_INDICATORS:
        problems.append({"path": "indicator", "message": "指标：无效"})
        indicator = "training"
    ids: dict[str, int | None] = {}
    for key, label in (("area", "县（市、区）"), ("department", "行业部门"), ("action", "专项行动")):
        raw = request.GET.get(key, "").strip()
        ids[key] = _int(raw)
        if raw and ids[key] is None:
            problems.append({"path": key, "message": f"{label}：应为编号"})
    drill = Drill(indicator, ids["area"], ids["department"], ids["action"])
    qs = drilldown(
        user,
        year=period.year,
        as_of=period.as_of,
        indicator=indicator,
        area_id=drill.area,
        department_id=drill.department,
        action=drill.action,
    )
    if qs is None:
        raise RefusedNotFound(NO_REACH)
    title = drill_title(reach, drill, period)
    if request.GET.get("format") == "xlsx" and not problems:
        return _drill_xlsx(qs, title, period, drill_label(indicator))
    # CountedClasses counts and slices like a queryset, which is all Paginator asks.
    page = Paginator(cast(Any, qs), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "title": title,
        "total": drill_total(qs),
        "problems": problems,
        "period": period,
        "back": f"{reverse('targets:overview')}?{period.query()}",
        "xlsx": f"{reverse('targets:classes')}?{_drill_query(period, drill, format='xlsx')}",
        "counts_certificates": indicator in CERTIFICATE_MEASURES,
    }
    return render(request, "targets/classes.html", context, status=_status(problems))


def _drill_query(period: Period, drill: Drill, **extra: Any) -> str:
    return period.query(
        indicator=drill.indicator, area=drill.area, department=drill.department, action=drill.action, **extra
    )
