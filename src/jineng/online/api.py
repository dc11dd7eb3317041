"""Online-learning API: platforms push event batches with their own key; results per learner × course.

- `POST /online/batches` — a catalogued platform pushes learning logs (`Authorization: Bearer
  <platform key>`). Idempotent by batch id: a repeat returns the first answer, other content under
  a used id is 409. Bad rows: 422 naming each ("第3行 时间：…"), nothing stored.
- `GET /classes/{id}/online-results` — a class's roster × its online courses with each result and
  its evidence (rule, session, time, message); pending where no events arrived yet.
- `GET /online/results`, `GET /online/results/{id}` — results in the caller's scope. The path
  carries the result's id, never a resident ID.

Users authenticate as for every other endpoint (session or token, jineng.accounts.auth); a result
or class outside their scope is 404. Resident IDs are masked in lists; the single result shows the
learner's in clear only to roles that may read IDs (`User.sees_clear_ids`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.params import functions as param

from jineng.accounts.auth import AUTH, api_user
from jineng.accounts.models import User
from jineng.classes.selectors import class_get
from jineng.ids import mask_ric
from jineng.ratelimit import BULK
from jineng.registry.models import Person

from ..api import RATE_LIMITED, READ_ERRORS, ApiError, ErrorOut, Offset
from .auth import PlatformAuth, platform_of
from .models import OnlineCourse, OnlineResult
from .selectors import STATUS_ZH, class_results, course_named, evidence, learners, result_get, results_for
from .services import BATCH_ID_MAX, MAX_EVENTS, events_push

router = Router(tags=["线上学习"])

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
Limit = Annotated[int, param.Query(ge=1, le=MAX_LIMIT, description=f"每页条数（最多 {MAX_LIMIT}）")]


# ── schemas ───────────────────────────────────────────────────────────────────────────────────


class BatchIn(Schema):
    batch_id: str = Field(
        min_length=1,
        max_length=BATCH_ID_MAX,
        description="平台自定的批次号：重发同一批须用同一批次号、同样的内容（返回首次的结果）；新内容用新批次号",
    )
    events: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_EVENTS,
        description="学习日志事件，字段见 contracts/online-events.md：ts、platform、learner、course、lesson、"
        "lesson_seq、session、event、position、rate",
    )


class EventBatchOut(Schema):
    batch_id: str
    events: int = Field(description="本批事件条数")
    inserted: int = Field(description="新存储的事件条数")
    duplicates: int = Field(description="已存储过（或本批内重复）而未再存储的条数")
    learners_reaudited: int = Field(description="因新事件而重新核查的学员人数")


class PushRefusal(ErrorOut):
    rule: str | None = Field(None, description="platform_refused：拒绝所依据的规则（ONL-PLATFORM）")


class EvidenceOut(Schema):
    rule: str = Field(description="规则编号，如 ONL-MULTI-WINDOW")
    requirement: str = Field(description="规则要求")
    clause: str
    session: str = Field(description="违规所在的学习会话（播放窗口）")
    at: str | None = Field(description="违规发生时间（ISO 8601，+08:00）")
    message: str


class CourseRef(Schema):
    code: str
    name: str


class CourseOut(CourseRef):
    platform: str = Field(description="平台标识")
    hour_minutes: int = Field(description="每课时分钟数")
    lessons: int


class ClassResultOut(Schema):
    row: int = Field(description="花名册序号")
    name: str
    id_number: str = Field(description="身份证号（脱敏）")
    course: CourseRef
    status: str = Field(description="recognised 学时认定；not_recognised 不予认定；pending 暂无学习记录")
    status_label: str
    result_id: int | None = Field(description="核查结果 id（GET /online/results/{id}）；暂无记录时为空")
    recognised: bool | None
    study_minutes: Decimal | None = Field(description="有效学习时长（分钟，作废的会话不计）")
    events: int | None
    audited_at: dt.datetime | None
    findings: list[EvidenceOut]


class ClassResultsPage(Schema):
    class_id: int
    courses: list[CourseOut] = Field(description="本班的线上课程")
    count: int = Field(description="学员 × 课程 的总行数")
    limit: int
    offset: int
    items: list[ClassResultOut]


class ResultOut(Schema):
    id: int
    learner: str = Field(description="学员身份证号（无权查看明文的角色为脱敏值）")
    name: str = Field(description="学员姓名（系统中有此人时）")
    course: CourseRef
    status: str
    status_label: str
    recognised: bool
    study_minutes: Decimal
    events: int
    audited_at: dt.datetime
    policy: str = Field(description="核查所依据的政策")
    findings: list[EvidenceOut]


class ResultItem(Schema):
    id: int
    learner: str = Field(description="学员身份证号（脱敏）")
    course: str
    status: str
    status_label: str
    recognised: bool
    study_minutes: Decimal
    events: int
    audited_at: dt.datetime


class ResultPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ResultItem]


# ── pushing ───────────────────────────────────────────────────────────────────────────────────


@router.post(
    "/online/batches",
    auth=PlatformAuth(),
    summary="线上平台推送学习日志（按批次号幂等）",
    response={200: EventBatchOut, 401: ErrorOut, 403: PushRefusal, 409: ErrorOut, 422: ErrorOut, **RATE_LIMITED},
    throttle=BULK,
)
def push_batch(request: HttpRequest, payload: BatchIn) -> EventBatchOut:
    answer = events_push(
        platform=platform_of(request),
        batch_id=payload.batch_id,
        events=payload.events,
        received_at=timezone.now(),
    )
    return EventBatchOut(**answer.as_dict())


# ── results ───────────────────────────────────────────────────────────────────────────────────


def _masked(person: Person | None) -> str:
    # Only the keyed hash is stored with a result: the ID comes from the registry, if registered.
    return mask_ric(person.id_number) if person else ""


def _status(result: OnlineResult) -> str:
    return "recognised" if result.recognised else "not_recognised"


def _evidence(result: OnlineResult, user: User) -> list[EvidenceOut]:
    return [EvidenceOut(**item) for item in evidence(result, clear=user.sees_clear_ids)]


def _course_out(course: OnlineCourse) -> CourseOut:
    return CourseOut(
        code=course.code,
        name=course.name,
        platform=course.platform.code,
        hour_minutes=course.hour_minutes,
        lessons=course.lessons,
    )


@router.get(
    "/classes/{int:class_id}/online-results",
    auth=AUTH,
    summary="本班线上学习核查结果（学员 × 线上课程，含违规证据）",
    response={200: ClassResultsPage, **READ_ERRORS},
)
def class_online_results(
    request: HttpRequest, class_id: int, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> ClassResultsPage:
    user = api_user(request)
    cls = class_get(user, class_id)
    if cls is None:
        raise ApiError(404, "not_found", "找不到该培训班，或不在您的管辖范围内")
    page = class_results(user, cls, limit=limit, offset=offset)
    items = []
    for row in page.rows:
        result = row.result
        items.append(
            ClassResultOut(
                row=row.row,
                name=row.name,
                id_number=row.id_number,
                course=CourseRef(code=row.course.code, name=row.course.name),
                status=row.status,
                status_label=STATUS_ZH[row.status],
                result_id=result.pk if result else None,
                recognised=result.recognised if result else None,
                study_minutes=result.study_minutes if result else None,
                events=result.events if result else None,
                audited_at=result.audited_at if result else None,
                findings=_evidence(result, user) if result else [],
            )
        )
    return ClassResultsPage(
        class_id=cls.pk,
        courses=[_course_out(c) for c in page.courses],
        count=page.count,
        limit=limit,
        offset=offset,
        items=items,
    )


@router.get(
    "/online/results",
    auth=AUTH,
    summary="线上学习核查结果列表（本人管辖范围内）",
    response={200: ResultPage, **READ_ERRORS},
)
def online_results(
    request: HttpRequest,
    course: Annotated[str | None, param.Query(max_length=64, description="课程标识")] = None,
    recognised: Annotated[bool | None, param.Query(description="true 学时认定；false 不予认定")] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> ResultPage:
    qs = results_for(api_user(request))
    if course:
        qs = qs.filter(course=course.strip())
    if recognised is not None:
        qs = qs.filter(recognised=recognised)
    qs = qs.order_by("course", "learner", "id")
    page = list(qs[offset : offset + limit])
    people = learners(r.learner for r in page)
    items = [
        ResultItem(
            id=r.pk,
            learner=_masked(people.get(r.learner)),
            course=r.course,
            status=_status(r),
            status_label=STATUS_ZH[_status(r)],
            recognised=r.recognised,
            study_minutes=r.study_minutes,
            events=r.events,
            audited_at=r.audited_at,
        )
        for r in page
    ]
    return ResultPage(count=qs.count(), limit=limit, offset=offset, items=items)


@router.get(
    "/online/results/{int:result_id}",
    auth=AUTH,
    summary="一名学员一门线上课程的核查结果及证据",
    response={200: ResultOut, **READ_ERRORS},
)
def online_result(request: HttpRequest, result_id: int) -> ResultOut:
    user = api_user(request)
    result = result_get(user, result_id)
    if result is None:
        raise ApiError(404, "not_found", "找不到该核查结果，或不在您的管辖范围内")
    course = course_named(result.course)
    person = learners([result.learner]).get(result.learner)
    return ResultOut(
        id=result.pk,
        learner=(person.id_number if user.sees_clear_ids else _masked(person)) if person else "",
        name=person.name if person else "",
        course=CourseRef(code=result.course, name=course.name if course else ""),
        status=_status(result),
        status_label=STATUS_ZH[_status(result)],
        recognised=result.recognised,
        study_minutes=result.study_minutes,
        events=result.events,
        audited_at=result.audited_at,
        policy=result.policy,
        findings=_evidence(result, user),
    )
