"""The plan's progress over HTTP (/api/v1/targets/…): the overview of the caller's reach, the classes
behind a figure, and HR's refresh of the progress facts.

A caller who reads no dashboard (a clerk, a worker, an evaluator…) or asks for another unit's
figure gets 404 `not_found`; a reader who may not refresh gets 403 `not_permitted`. Completion and
time progress are decimal strings ("0.5000"); the period is `year` (default: the plan year) and
`as_of` (default: today within that year, else its 31 December).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.params import functions as param

from jineng.accounts.auth import AUTH, api_user
from jineng.classes.models import SpecialAction, TrainingClass

from ..api import READ_ERRORS, WRITE_ERRORS, ApiError, Offset
from .selectors import as_dict, drilldown, reach_of
from .views import DRILL_INDICATORS, drill_label, drill_total, period_of, read_overview, refresh_progress

router = Router(tags=["目标进度"], auth=AUTH)

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
NOT_FOUND = "找不到目标任务进度，或不在您的管辖范围内"

Year = Annotated[int | None, param.Query(ge=2000, le=2100, description="年度（默认：方案年度 2023）")]
AsOf = Annotated[dt.date | None, param.Query(description="截至日期（默认：该年度内为今天，否则为该年 12 月 31 日）")]
Limit = Annotated[int, param.Query(ge=1, le=MAX_LIMIT, description=f"每页条数（最多 {MAX_LIMIT}）")]
UnitId = Annotated[int | None, param.Query(ge=1)]


# ── schemas ───────────────────────────────────────────────────────────────────────────────────


class TargetProgressOut(Schema):
    actual: int = Field(description="实际完成（人/人次）")
    target: int | None = Field(description="目标任务（人/人次）；无目标为 null")
    done: str | None = Field(description="完成率（0–1，四位小数）；无目标为 null")
    status: str = Field(description="green 达到时间进度 / amber 略低于 / red 滞后 / none 无目标")


class TargetFindingOut(Schema):
    rule: str = Field(description="规则编号（RULES.md H）")
    outcome: str
    subject: str
    clause: str
    message: str
    values: dict[str, Any]


class TargetRowOut(Schema):
    key: str
    name: str
    rank: int | None = Field(description="按职业技能培训完成率的排名（县区、部门）")
    progress: dict[str, TargetProgressOut] = Field(description="指标 → 进度（附件1的六项）")
    manufacturing: TargetFindingOut | None = Field(description="制造业补贴性培训占比（全市、各县区）")


class TargetOverviewOut(Schema):
    year: int
    as_of: dt.date
    time_progress: str = Field(description="时间进度（0–1，四位小数）")
    policy: str
    scope: str = Field(description="查看范围：全市或本县（市、区）、本部门")
    refreshed_at: dt.datetime | None = Field(description="进度数据汇总时间")
    headline: TargetRowOut
    areas: list[TargetRowOut]
    departments: list[TargetRowOut]
    actions: list[TargetRowOut]
    panel: list[TargetFindingOut]
    publicity: list[TargetFindingOut]
    monthly: dict[str, list[int]] = Field(description="口径 → 各月末累计（1 月至截至月）")
    behind: list[str] = Field(description="职业技能培训滞后于时间进度的县（市、区），最落后的在前")


class TargetRef(Schema):
    id: int
    name: str


class TargetClassOut(Schema):
    id: int
    code: str
    name: str
    institution: TargetRef
    area: TargetRef
    lead_department: TargetRef
    special_action: int | None
    special_action_label: str | None
    end: dt.date
    counted: int = Field(description="该班计入此数字的人次（培训口径）或证书数（取证口径）")


class TargetClassPage(Schema):
    count: int
    limit: int
    offset: int
    indicator: str
    indicator_label: str
    total: int = Field(description="全部明细的计入数合计")
    items: list[TargetClassOut]


class TargetRefreshOut(Schema):
    year: int
    rows: int = Field(description="汇总行数")
    seconds: float = Field(description="用时（秒）")
    refreshed_at: dt.datetime


# ── endpoints ─────────────────────────────────────────────────────────────────────────────────


@router.get(
    "/targets/overview",
    summary="目标任务进度总览（全市或本县区、本部门）",
    response={200: TargetOverviewOut, **READ_ERRORS},
)
def targets_overview(request: HttpRequest, year: Year = None, as_of: AsOf = None) -> dict[str, Any]:
    user = api_user(request)
    if reach_of(user) is None:
        raise ApiError(404, "not_found", NOT_FOUND)
    y, day = period_of(year, as_of)
    o = read_overview(user, year=y, as_of=day)
    if o is None:
        raise ApiError(404, "not_found", NOT_FOUND)
    return as_dict(o)


def _class(c: TrainingClass) -> dict[str, Any]:
    return {
        "id": c.pk,
        "code": c.code,
        "name": c.name,
        "institution": {"id": c.institution_id, "name": c.institution.name},
        "area": {"id": c.area_id, "name": c.area.name},
        "lead_department": {"id": c.lead_department_id, "name": c.lead_department.name},
        "special_action": c.special_action,
        "special_action_label": SpecialAction(c.special_action).label if c.special_action else None,
        "end": c.end,
        "counted": int(getattr(c, "counted", 0)),
    }


@router.get(
    "/targets/classes",
    summary="数字背后的培训班（按指标、县区、部门、专项行动）",
    response={200: TargetClassPage, **READ_ERRORS},
)
def targets_classes(
    request: HttpRequest,
    indicator: Annotated[
        str, param.Query(description="口径：" + "、".join(sorted(DRILL_INDICATORS)), max_length=20)
    ] = "training",
    area: UnitId = None,
    department: UnitId = None,
    action: Annotated[int | None, param.Query(ge=1, le=10, description="专项行动 1–10")] = None,
    year: Year = None,
    as_of: AsOf = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> TargetClassPage:
    user = api_user(request)
    if reach_of(user) is None:
        raise ApiError(404, "not_found", NOT_FOUND)
    if indicator not in DRILL_INDICATORS:
        message = "口径：应为 " + "、".join(sorted(DRILL_INDICATORS))
        raise ApiError(422, "invalid_request", "请求有 1 处错误", [{"path": "indicator", "message": message}])
    y, day = period_of(year, as_of)
    qs = drilldown(user, year=y, as_of=day, indicator=indicator, area_id=area, department_id=department, action=action)
    if qs is None:
        raise ApiError(404, "not_found", NOT_FOUND)
    return TargetClassPage(
        count=qs.count(),
        limit=limit,
        offset=offset,
        indicator=indicator,
        indicator_label=drill_label(indicator),
        total=drill_total(qs),
        items=[TargetClassOut(**_class(c)) for c in qs[offset : offset + limit]],
    )


@router.post(
    "/targets/refresh",
    summary="刷新进度数据（市、县区人社局）",
    response={200: TargetRefreshOut, **WRITE_ERRORS},
)
def targets_refresh(request: HttpRequest, year: Year = None) -> TargetRefreshOut:
    user = api_user(request)
    if reach_of(user) is None:
        raise ApiError(404, "not_found", NOT_FOUND)
    y, _ = period_of(year, None)
    row = refresh_progress(actor=user, year=y)
    return TargetRefreshOut(year=row.year, rows=row.rows, seconds=row.seconds, refreshed_at=row.refreshed_at)
