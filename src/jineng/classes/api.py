"""Classes over HTTP (培训班): applications, teachers, rosters, rule findings, reviews, to-do.

Endpoints parse, call a selector or a service, and render — the same services as the UI, so the
same permissions, scope and rules. A class outside the caller's scope does not exist for them
(404 `not_found`, absent from lists). Resident IDs and phone numbers are masked in every answer,
errors included, unless the caller's role may read them in clear (`User.sees_clear_ids`).
Writes carry the `version` the caller read (optimistic locking): a stale one is 409 `stale_version`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile
from ninja.params import functions as param

from jineng import tabular
from jineng.accounts.auth import AUTH, api_user, mask_ids, refusals_masked
from jineng.accounts.models import Role, User
from jineng.audit.services import mask_text
from jineng.db import fetch_values
from jineng.ids import mask_phone, mask_ric
from jineng.policy.catalog import OUTCOME_ZH, Outcome
from jineng.ratelimit import BULK
from jineng.registry.models import Person, ric_keys

from ..api import RATE_LIMITED, READ_ERRORS, WRITE_ERRORS, ApiError, ErrorOut, FieldProblem, Offset
from . import roster_io
from .models import Certificate, ClassState, Enrollment, Level, ReviewStep, TrainingClass, TrainingType
from .selectors import actions_for, class_get, class_list, deadline_for, pending_deadline, todo_for, with_trainee_counts
from .services import (
    ClassInput,
    TeacherInput,
    check_class,
    class_create,
    class_set_teachers,
    class_transition,
    class_update,
    roster_import,
    roster_remove,
)
from .workflow import EDITABLE_STATES

router = Router(tags=["培训班"], auth=AUTH)

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
SMALLINT = 32767

Limit = Annotated[int, param.Query(ge=1, le=MAX_LIMIT, description=f"每页条数（最多 {MAX_LIMIT}）")]

_STATE_ZH = dict(ClassState.choices)
_ACTION_ZH = dict(ReviewStep.Action.choices)
_ROLE_ZH = dict(Role.choices)
_CATEGORY_ZH = dict(Person.Category.choices)
_DECISION_ZH = {"approve": "无阻断项", "block": "有阻断项"}
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ── schemas ───────────────────────────────────────────────────────────────────────────────────


class Ref(Schema):
    id: int
    name: str


class OccupationRef(Schema):
    id: int
    code: str
    name: str


class PlatformRef(Schema):
    id: int
    code: str
    name: str


class ClassItem(Schema):
    id: int
    code: str = Field(description="班级编号")
    name: str
    institution: Ref
    occupation: OccupationRef
    area: Ref = Field(description="县（市、区）")
    lead_department: Ref = Field(description="行业主管部门")
    state: ClassState
    state_label: str
    start: dt.date
    end: dt.date
    trainee_count: int
    version: int
    deadline_due: dt.date | None = Field(description="待审核步骤的办理时限（工作日计），无待审核步骤时为空")


class ClassPage(Schema):
    count: int = Field(description="符合条件的总数")
    limit: int
    offset: int
    items: list[ClassItem]


class TeacherIO(Schema):
    name: str = Field(max_length=50)
    certified: bool = Field(False, description="持教师资格/职业资格证书")
    certificate_no: str = Field("", max_length=64)


class ActionOut(Schema):
    action: ReviewStep.Action
    label: str
    needs_reasons: bool
    needs_opinion: bool


class ClassIn(Schema):
    """开班申请：班级基本信息（机构为申请人所属机构）。"""

    name: str = Field(max_length=200, description="班级名称")
    occupation_id: int = Field(description="职业（工种）id，见 GET /occupations")
    training_type: TrainingType
    certificate: Certificate = Field(description="证书路径")
    lead_department_id: int = Field(description="行业主管部门（单位 id，kind=department）")
    area_id: int = Field(description="县（市、区）（单位 id，kind=area）")
    start: dt.date
    end: dt.date
    level: Level | None = Field(None, description="等级：5 初级工 … 1 高级技师")
    subsidised: bool = True
    special_action: int | None = Field(None, ge=1, le=10, description="专项行动编号 1–10")
    minutes_per_hour: int = Field(45, ge=1, le=SMALLINT, description="每课时分钟数")
    hours_theory: int = Field(0, ge=0, le=SMALLINT, description="理论课时（含线上）")
    hours_practical: int = Field(0, ge=0, le=SMALLINT, description="实操课时")
    hours_online: int = Field(0, ge=0, le=SMALLINT, description="线上理论课时")
    online_platform_id: int | None = Field(None, description="线上平台 id，见 GET /online-platforms")
    workstations: int = Field(0, ge=0, le=SMALLINT, description="工位数")
    enterprise_name: str = Field("", max_length=200, description="学徒制合作企业")
    enterprise_uscc: str = Field("", max_length=18, description="企业统一社会信用代码")
    cross_city_approval: bool = Field(False, description="已获省级跨市办班批准")

    def to_input(self) -> ClassInput:
        return ClassInput(
            name=self.name.strip(),
            occupation_id=self.occupation_id,
            training_type=str(self.training_type.value),
            certificate=str(self.certificate.value),
            lead_department_id=self.lead_department_id,
            area_id=self.area_id,
            start=self.start,
            end=self.end,
            level=int(self.level) if self.level is not None else None,
            subsidised=self.subsidised,
            special_action=self.special_action,
            minutes_per_hour=self.minutes_per_hour,
            hours_theory=self.hours_theory,
            hours_practical=self.hours_practical,
            hours_online=self.hours_online,
            online_platform_id=self.online_platform_id,
            workstations=self.workstations,
            enterprise_name=self.enterprise_name.strip(),
            enterprise_uscc=self.enterprise_uscc.strip(),
            cross_city_approval=self.cross_city_approval,
        )


class ClassUpdateIn(ClassIn):
    version: int = Field(description="读取时的班级版本（乐观锁）")


class TeachersIn(Schema):
    version: int = Field(description="读取时的班级版本（乐观锁）")
    teachers: list[TeacherIO] = Field(max_length=200)


class ClassDetail(ClassItem):
    level: int | None
    level_label: str | None
    training_type: TrainingType
    training_type_label: str
    certificate: Certificate
    certificate_label: str
    subsidised: bool
    special_action: int | None
    special_action_label: str | None
    minutes_per_hour: int
    hours_theory: int
    hours_practical: int
    hours_online: int
    hours_total: int
    online_platform: PlatformRef | None
    workstations: int
    enterprise_name: str
    enterprise_uscc: str
    cross_city_approval: bool
    teachers: list[TeacherIO]
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    state_since: dt.datetime | None
    editable: bool = Field(description="调用者现在能否修改本班（基本信息、师资、花名册）")
    actions: list[ActionOut] = Field(description="调用者现在可对本班执行的操作（POST /transitions）")


class RosterEntryOut(Schema):
    id: int = Field(description="花名册条目 id（DELETE /classes/{id}/roster/{enrollment_id}）")
    row: int = Field(description="序号")
    name: str
    id_number: str = Field(description="身份证号（无权查看明文的角色为脱敏值）")
    phone: str = Field(description="手机号（无权查看明文的角色为脱敏值）")
    category: str
    category_label: str
    questionnaire: dict[str, bool] | None = Field(description="开班前问卷：培训意愿、就业意愿、就业能力")
    assessed_on: dt.date | None


class RosterPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[RosterEntryOut]


class TraineeRef(Schema):
    row: int
    name: str
    id_number: str


class FindingOut(Schema):
    rule: str
    outcome: str
    outcome_label: str
    subject: str = Field(description="class / institution / trainee:<身份证号（按角色脱敏）>")
    clause: str
    message: str
    values: dict[str, Any]
    trainee: TraineeRef | None = Field(None, description="学员类结果：花名册序号、姓名、身份证号（按角色脱敏）")


class FindingsOut(Schema):
    class_id: int
    version: int
    policy: str = Field(description="适用的政策文件")
    decision: str = Field(description="approve：无阻断项；block：有阻断项或信息不完整")
    decision_label: str
    blocks: int
    findings: list[FindingOut]
    invalid: list[FieldProblem] = Field(description="开班信息不完整、未能进行规则核查的原因")


class ActorOut(Schema):
    name: str
    role: str
    role_label: str


class ReviewStepOut(Schema):
    id: int
    action: ReviewStep.Action
    action_label: str
    from_state: ClassState
    from_state_label: str
    to_state: ClassState
    to_state_label: str
    actor: ActorOut
    at: dt.datetime
    opinion: str
    reasons: list[str]
    class_version: int = Field(description="操作时的班级版本")
    decision: str = Field(description="操作时的规则结论")
    policy: str
    findings: list[FindingOut] = Field(description="操作时的规则核查结果")
    invalid: list[FieldProblem]


class ReviewPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ReviewStepOut]


class TransitionIn(Schema):
    action: ReviewStep.Action = Field(description="操作：提交、各级审核签署、退回或不予批准")
    version: int = Field(description="读取时的班级版本（乐观锁）")
    opinion: str = Field("", max_length=2000, description="审核意见")
    reasons: list[str] = Field(default_factory=list, max_length=50, description="退回/不予批准理由")


class TransitionOut(Schema):
    step: ReviewStepOut
    state: ClassState
    state_label: str
    version: int


# ── helpers ───────────────────────────────────────────────────────────────────────────────────


def _get(user: User, pk: int) -> TrainingClass:
    cls = class_get(user, pk)
    if cls is None:
        raise ApiError(404, "not_found", "找不到该培训班，或不在您的管辖范围内")
    return cls


def _trainee_rows(cls: TrainingClass, findings: Iterable[dict[str, Any]]) -> dict[str, tuple[int, str]]:
    """Roster row and name of every trainee the findings name, in one query."""
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


def _visible(user: User, findings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """A worker reads the class-level findings and their own, not those of the other trainees."""
    items = list(findings)
    if user.role != Role.WORKER:
        return items
    own = f"trainee:{user.person.id_number}" if user.person else None
    return [f for f in items if not str(f.get("subject", "")).startswith("trainee:") or f.get("subject") == own]


def _finding(user: User, item: dict[str, Any], rows: dict[str, tuple[int, str]]) -> FindingOut:
    clear = user.sees_clear_ids
    subject = str(item.get("subject", ""))
    trainee = None
    if subject.startswith("trainee:"):
        id_number = subject.removeprefix("trainee:")
        row, name = rows.get(id_number, (0, ""))
        trainee = TraineeRef(row=row, name=name, id_number=id_number if clear else mask_ric(id_number))
    outcome = str(item.get("outcome", ""))
    values = item.get("values") or {}
    return FindingOut(
        rule=str(item.get("rule", "")),
        outcome=outcome,
        outcome_label=OUTCOME_ZH.get(Outcome(outcome), outcome) if outcome in Outcome else outcome,
        subject=subject if clear else mask_ids(subject),
        clause=str(item.get("clause", "")),
        message=str(item.get("message", "")) if clear else mask_ids(str(item.get("message", ""))),
        values=dict(values) if clear else mask_ids(dict(values)),
        trainee=trainee,
    )


def _deadline_due(cls: TrainingClass) -> dt.date | None:
    deadline = pending_deadline(cls)
    due: dt.date | None = None if deadline is None else deadline.due
    return due


def _item(cls: TrainingClass, trainee_count: int) -> dict[str, Any]:
    return {
        "id": cls.pk,
        "code": cls.code,
        "name": cls.name,
        "institution": Ref(id=cls.institution.pk, name=cls.institution.name),
        "occupation": OccupationRef(id=cls.occupation.pk, code=cls.occupation.code, name=cls.occupation.name),
        "area": Ref(id=cls.area.pk, name=cls.area.name),
        "lead_department": Ref(id=cls.lead_department.pk, name=cls.lead_department.name),
        "state": ClassState(cls.state),
        "state_label": _STATE_ZH.get(cls.state, cls.state),
        "start": cls.start,
        "end": cls.end,
        "trainee_count": trainee_count,
        "version": cls.version,
        "deadline_due": _deadline_due(cls),
    }


# What a list item shows, read as plain values: building a class and its four related objects for
# each of a page's 50 rows cost more than the statement itself (bench/load.py).
_LIST_COLUMNS = (
    "pk",
    "code",
    "name",
    "institution_id",
    "institution__name",
    "occupation_id",
    "occupation__code",
    "occupation__name",
    "area_id",
    "area__name",
    "lead_department_id",
    "lead_department__name",
    "state",
    "state_since",
    "start",
    "end",
    "version",
    "trainee_count",
)


def _list_item(row: dict[str, Any]) -> ClassItem:
    deadline = deadline_for(state=row["state"], state_since=row["state_since"], start=row["start"])
    return ClassItem(
        id=row["pk"],
        code=row["code"],
        name=row["name"],
        institution=Ref(id=row["institution_id"], name=row["institution__name"]),
        occupation=OccupationRef(id=row["occupation_id"], code=row["occupation__code"], name=row["occupation__name"]),
        area=Ref(id=row["area_id"], name=row["area__name"]),
        lead_department=Ref(id=row["lead_department_id"], name=row["lead_department__name"]),
        state=ClassState(row["state"]),
        state_label=_STATE_ZH.get(row["state"], row["state"]),
        start=row["start"],
        end=row["end"],
        trainee_count=row["trainee_count"] or 0,
        version=row["version"],
        deadline_due=None if deadline is None else deadline.due,
    )


def _page_items(qs: QuerySet[TrainingClass], limit: int, offset: int) -> ClassPage:
    """A page of `qs` (annotated with `trainee_count`, as with_trainee_counts does)."""
    items = [_list_item(row) for row in fetch_values(qs.values(*_LIST_COLUMNS)[offset : offset + limit])]
    return ClassPage(count=qs.count(), limit=limit, offset=offset, items=items)


def _detail(user: User, pk: int) -> ClassDetail:
    cls = _get(user, pk)
    trainee_count = cls.enrollments.count()
    platform = cls.online_platform
    return ClassDetail(
        **_item(cls, trainee_count),
        level=cls.level,
        level_label=Level(cls.level).label if cls.level else None,
        training_type=TrainingType(cls.training_type),
        training_type_label=TrainingType(cls.training_type).label,
        certificate=Certificate(cls.certificate),
        certificate_label=Certificate(cls.certificate).label,
        subsidised=cls.subsidised,
        special_action=cls.special_action,
        special_action_label=cls.get_special_action_display() if cls.special_action else None,
        minutes_per_hour=cls.minutes_per_hour,
        hours_theory=cls.hours_theory,
        hours_practical=cls.hours_practical,
        hours_online=cls.hours_online,
        hours_total=cls.hours_total,
        online_platform=PlatformRef(id=platform.pk, code=platform.code, name=platform.name) if platform else None,
        workstations=cls.workstations,
        enterprise_name=cls.enterprise_name,
        enterprise_uscc=cls.enterprise_uscc,
        cross_city_approval=cls.cross_city_approval,
        teachers=[
            TeacherIO(name=t.name, certified=t.certified, certificate_no=t.certificate_no) for t in cls.teachers.all()
        ],
        created_at=cls.created_at,
        submitted_at=cls.submitted_at,
        state_since=cls.state_since,
        editable=(
            user.role == Role.INSTITUTION_CLERK
            and user.institution_id == cls.institution_id
            and cls.state in EDITABLE_STATES
        ),
        actions=[
            ActionOut(
                action=ReviewStep.Action(t.action),
                label=t.label,
                needs_reasons=t.needs_reasons,
                needs_opinion=t.needs_opinion,
            )
            for t in actions_for(user, cls)
        ],
    )


def _step(user: User, step: ReviewStep, rows: dict[str, tuple[int, str]]) -> ReviewStepOut:
    clear = user.sees_clear_ids
    stored = [f for f in step.findings if isinstance(f, dict)]
    invalid = [problem for f in stored if "invalid" in f for problem in f["invalid"]]
    return ReviewStepOut(
        id=step.pk,
        action=ReviewStep.Action(step.action),
        action_label=_ACTION_ZH.get(step.action, step.action),
        from_state=ClassState(step.from_state),
        from_state_label=_STATE_ZH.get(step.from_state, step.from_state),
        to_state=ClassState(step.to_state),
        to_state_label=_STATE_ZH.get(step.to_state, step.to_state),
        actor=ActorOut(
            name=step.actor.display_name, role=step.actor_role, role_label=_ROLE_ZH.get(step.actor_role, "")
        ),
        at=step.at,
        opinion=step.opinion if clear else mask_text(step.opinion),
        reasons=[r if clear else mask_text(r) for r in step.reasons],
        class_version=step.class_version,
        decision=step.decision,
        policy=step.policy,
        findings=[_finding(user, f, rows) for f in _visible(user, (f for f in stored if "rule" in f))],
        invalid=[FieldProblem(**(p if clear else mask_ids(p))) for p in invalid],
    )


# ── classes ───────────────────────────────────────────────────────────────────────────────────


@router.get("/classes", summary="培训班列表（本人管辖范围内）", response={200: ClassPage, **READ_ERRORS})
def classes(
    request: HttpRequest,
    state: Annotated[ClassState | None, param.Query(description="状态")] = None,
    area: Annotated[int | None, param.Query(description="县（市、区）单位 id")] = None,
    occupation: Annotated[str | None, param.Query(max_length=100, description="职业编码或名称")] = None,
    q: Annotated[str | None, param.Query(max_length=100, description="班级编号、班级名称或机构名称关键字")] = None,
    year: Annotated[int | None, param.Query(ge=2000, le=2100, description="开班年份")] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> ClassPage:
    user = api_user(request)
    qs = class_list(
        user,
        state=state.value if state else None,
        area=area,
        occupation=occupation.strip() if occupation and occupation.strip() else None,
        query=q.strip() if q and q.strip() else None,
        year=year,
    )
    return _page_items(qs, limit, offset)


@router.post("/classes", summary="申请开班（草稿）", response={201: ClassDetail, **WRITE_ERRORS})
def create_class(request: HttpRequest, payload: ClassIn) -> Status[ClassDetail]:
    user = api_user(request)
    with refusals_masked(user):
        cls = class_create(actor=user, data=payload.to_input())
    return Status(201, _detail(user, cls.pk))


@router.get("/classes/{int:class_id}", summary="培训班详情", response={200: ClassDetail, **READ_ERRORS})
def class_detail(request: HttpRequest, class_id: int) -> ClassDetail:
    return _detail(api_user(request), class_id)


@router.put("/classes/{int:class_id}", summary="修改开班申请", response={200: ClassDetail, **WRITE_ERRORS})
def update_class(request: HttpRequest, class_id: int, payload: ClassUpdateIn) -> ClassDetail:
    user = api_user(request)
    cls = _get(user, class_id)
    with refusals_masked(user):
        class_update(cls=cls, actor=user, expected_version=payload.version, data=payload.to_input())
    return _detail(user, class_id)


@router.put("/classes/{int:class_id}/teachers", summary="设置师资", response={200: ClassDetail, **WRITE_ERRORS})
def set_teachers(request: HttpRequest, class_id: int, payload: TeachersIn) -> ClassDetail:
    user = api_user(request)
    cls = _get(user, class_id)
    teachers = [TeacherInput(t.name.strip(), t.certified, t.certificate_no.strip()) for t in payload.teachers]
    with refusals_masked(user):
        class_set_teachers(cls=cls, actor=user, expected_version=payload.version, teachers=teachers)
    return _detail(user, class_id)


# ── roster ────────────────────────────────────────────────────────────────────────────────────


@router.get(
    "/classes/{int:class_id}/roster",
    summary="花名册（身份证号、手机号按角色脱敏）",
    response={200: RosterPage, **READ_ERRORS},
)
def roster(request: HttpRequest, class_id: int, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> RosterPage:
    user = api_user(request)
    cls = _get(user, class_id)
    clear = user.sees_clear_ids
    qs = cls.enrollments.order_by("row", "id")
    if user.role == Role.WORKER:  # a worker sees their own entry, not the other trainees
        qs = qs.filter(person_id=user.person_id) if user.person_id else qs.none()
    # Plain values (decrypted by the fields' own converters), not an entry and a person per row.
    rows = qs.values(
        "pk", "row", "person__name", "person__id_number", "person__phone", "category", "questionnaire", "assessed_on"
    )[offset : offset + limit]
    items = [
        RosterEntryOut(
            id=e["pk"],
            row=e["row"],
            name=e["person__name"],
            id_number=e["person__id_number"] if clear else mask_ric(e["person__id_number"]),
            phone=e["person__phone"] if clear else mask_phone(e["person__phone"]),
            category=e["category"],
            category_label=_CATEGORY_ZH.get(e["category"], e["category"]),
            questionnaire=e["questionnaire"],
            assessed_on=e["assessed_on"],
        )
        for e in fetch_values(rows)
    ]
    return RosterPage(count=qs.count(), limit=limit, offset=offset, items=items)


@router.post(
    "/classes/{int:class_id}/roster",
    summary="导入花名册（XLSX/CSV，整体替换；有错误行则一行不导入，逐行列出）",
    response={200: ClassDetail, **WRITE_ERRORS, **RATE_LIMITED},
    throttle=BULK,
)
def upload_roster(
    request: HttpRequest,
    class_id: int,
    file: File[UploadedFile],
    version: Form[int],
) -> ClassDetail:
    user = api_user(request)
    cls = _get(user, class_id)
    too_big = tabular.size_problem(file.size, file.name or "roster", what="花名册文件")
    if too_big is not None:  # refused by its size, before a byte of it is read
        raise ApiError(413, "payload_too_large", too_big, [{"path": "file", "message": too_big}])
    with refusals_masked(user):
        roster_import(
            cls=cls, actor=user, expected_version=version, content=file.read(), filename=file.name or "roster"
        )
    return _detail(user, class_id)


@router.delete(
    "/classes/{int:class_id}/roster/{int:enrollment_id}",
    summary="从花名册移除一名学员",
    response={200: ClassDetail, **WRITE_ERRORS},
)
def remove_from_roster(
    request: HttpRequest,
    class_id: int,
    enrollment_id: int,
    version: Annotated[int, param.Query(description="读取时的班级版本（乐观锁）")],
) -> ClassDetail:
    user = api_user(request)
    cls = _get(user, class_id)
    with refusals_masked(user):
        roster_remove(cls=cls, actor=user, expected_version=version, enrollment_id=enrollment_id)
    return _detail(user, class_id)


_TEMPLATE_RESPONSES = {
    "responses": {
        200: {
            "description": "花名册模板（XLSX 含填写说明；CSV 为 UTF-8 带 BOM）",
            "content": {
                _XLSX: {"schema": {"type": "string", "format": "binary"}},
                "text/csv": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }
}


@router.get(
    "/classes/{int:class_id}/roster-template",
    summary="下载花名册模板",
    response={401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    openapi_extra=_TEMPLATE_RESPONSES,
)
def roster_template(
    request: HttpRequest,
    class_id: int,
    fmt: Annotated[str, param.Query(alias="format", pattern="^(xlsx|csv)$", description="xlsx 或 csv")] = "xlsx",
) -> HttpResponse:
    _get(api_user(request), class_id)
    if fmt == "csv":
        response = HttpResponse(roster_io.roster_template_csv(), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(roster_io.roster_template_xlsx(), content_type=_XLSX)
    response.headers["Content-Disposition"] = content_disposition_header(True, f"花名册模板.{fmt}")
    return response


# ── findings and reviews ──────────────────────────────────────────────────────────────────────


@router.get(
    "/classes/{int:class_id}/findings",
    summary="规则核查（按当前数据运行全部开班、学员规则）",
    response={200: FindingsOut, **READ_ERRORS},
)
def findings(request: HttpRequest, class_id: int) -> FindingsOut:
    user = api_user(request)
    cls = _get(user, class_id)
    checked = check_class(cls)
    items = checked.as_list()
    rows = _trainee_rows(cls, items)
    clear = user.sees_clear_ids
    return FindingsOut(
        class_id=cls.pk,
        version=cls.version,
        policy=checked.policy,
        decision=checked.decision,
        decision_label=_DECISION_ZH.get(checked.decision, checked.decision),
        blocks=len(checked.blocks),
        findings=[_finding(user, item, rows) for item in _visible(user, items)],
        invalid=[FieldProblem(**(p if clear else mask_ids(p))) for p in checked.invalid],
    )


@router.get(
    "/classes/{int:class_id}/reviews",
    summary="审核记录（每一步及当时的规则核查结果）",
    response={200: ReviewPage, **READ_ERRORS},
)
def reviews(request: HttpRequest, class_id: int, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> ReviewPage:
    user = api_user(request)
    cls = _get(user, class_id)
    qs = cls.steps.select_related("actor").order_by("at", "id")
    steps = list(qs[offset : offset + limit])
    rows = _trainee_rows(cls, [f for s in steps for f in s.findings if isinstance(f, dict) and "rule" in f])
    return ReviewPage(count=qs.count(), limit=limit, offset=offset, items=[_step(user, s, rows) for s in steps])


@router.post(
    "/classes/{int:class_id}/transitions",
    summary="提交、审核签署、退回或不予批准",
    response={201: TransitionOut, **WRITE_ERRORS},
)
def transition(request: HttpRequest, class_id: int, payload: TransitionIn) -> Status[TransitionOut]:
    user = api_user(request)
    cls = _get(user, class_id)
    with refusals_masked(user):
        step = class_transition(
            cls=cls,
            actor=user,
            action=payload.action.value,
            expected_version=payload.version,
            opinion=payload.opinion,
            reasons=payload.reasons,
        )
    fresh = TrainingClass.objects.only("state", "version").get(pk=cls.pk)
    rows = _trainee_rows(cls, [f for f in step.findings if isinstance(f, dict) and "rule" in f])
    return Status(
        201,
        TransitionOut(
            step=_step(user, step, rows),
            state=ClassState(fresh.state),
            state_label=_STATE_ZH.get(fresh.state, fresh.state),
            version=fresh.version,
        ),
    )


# ── to-do ─────────────────────────────────────────────────────────────────────────────────────


@router.get("/todo", summary="待办：等待本人办理的培训班", response={200: ClassPage, **READ_ERRORS})
def todo(request: HttpRequest, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> ClassPage:
    user = api_user(request)
    qs = with_trainee_counts(todo_for(user))
    return _page_items(qs, limit, offset)
