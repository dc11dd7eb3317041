"""Supervision API (过程监管): timetable, attendance, make-ups, videos, inspections, the satisfaction
survey and its suspension, the end of a class, and each trainee's eligibility so far.

Endpoints parse, call a selector or a service, and render. A class outside the caller's scope is
404 `not_found`; a role that may not do something is 403 `not_permitted` (the service decides).
Resident IDs are masked for roles that may not read them in clear, in findings and messages too;
a worker reads only their own attendance, make-ups, answer and eligibility.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.params import functions as param

from jineng.accounts.auth import AUTH, api_user, mask_ids, refusals_masked
from jineng.accounts.models import Role, User
from jineng.audit.services import mask_text
from jineng.classes.errors import NotPermitted
from jineng.classes.models import ClassState, TrainingClass
from jineng.classes.selectors import class_get
from jineng.classes.services import class_end
from jineng.ids import mask_ric
from jineng.policy.catalog import OUTCOME_ZH, Outcome
from jineng.policy.findings import Finding
from jineng.policy.rules.supervision import makeup_counts, satisfaction_rate

from ..api import READ_ERRORS, WRITE_ERRORS, ApiError, Offset
from . import selectors, services
from .models import HourKind, Inspection, SatisfactionResponse, Suspension

router = Router(tags=["过程监管"], auth=AUTH)

_KIND_ZH = dict(HourKind.choices)
_INSPECTION_ZH = dict(Inspection.Kind.choices)
_REMEDY_ZH = dict(Suspension.Remedy.choices)
SMALLINT = 32767


# ── schemas ───────────────────────────────────────────────────────────────────────────────────


class ReasonOut(Schema):
    rule: str = Field(description="规则编号（RULES.md）")
    outcome: str
    outcome_label: str
    clause: str
    scope: str | None = Field(description="class：全班；trainee：该学员；hours：部分课时不予认可")
    message: str
    values: dict[str, Any]


class HourIn(Schema):
    kind: HourKind = Field(description="theory 理论 / practical 实操 / online 线上理论")
    starts_at: dt.datetime = Field(description="开始时间（ISO 8601；不带时区按北京时间）")
    ends_at: dt.datetime
    topic: str = Field("", max_length=200)


class TimetableIn(Schema):
    version: int = Field(description="读取时的班级版本（乐观锁）")
    hours: list[HourIn] = Field(max_length=services.MAX_HOURS)


class HourOut(Schema):
    seq: int
    kind: str
    kind_label: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    topic: str


class TimetableOut(Schema):
    class_id: int
    version: int
    minutes_per_hour: int
    expected: dict[str, int] = Field(description="开班申请的课时数：theory（不含线上）、practical、online")
    hours: list[HourOut]


class AttendanceHourOut(Schema):
    seq: int
    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    due: bool = Field(description="课时已结束")
    void: bool = Field(description="录像不合格，对全体学员不予认可")


class TraineeAttendanceOut(Schema):
    enrollment_id: int
    row: int
    name: str
    id_number: str
    statuses: list[str] = Field(
        description="每课时：present 签到 / made_up 补课 / absent 缺勤 / void 录像不合格 / pending 未结束"
    )
    present: int
    made_up: int
    absent: int
    void: int
    pending: int
    rate: Decimal | None = Field(description="到课率：（签到 + 补课）/ 已结束且未作废的课时")


class HeadcountOut(Schema):
    average_present: Decimal | None = Field(description="平均出勤人数（检查在位人数的平均，SUP-HEADCOUNT）")
    inspections: int
    opening_present: int | None = Field(description="首个课时实到人数（开班人数）")
    roster: int


class AttendanceOut(Schema):
    class_id: int
    policy: str
    hours: list[AttendanceHourOut]
    trainees: list[TraineeAttendanceOut]
    totals: dict[str, Any]
    headcount: HeadcountOut
    video_findings: list[ReasonOut]


class MakeUpIn(Schema):
    enrollment_id: int = Field(description="花名册条目 id")
    hour_seq: int = Field(ge=1, le=SMALLINT, description="补的课时序号")
    held_at: dt.datetime
    minutes: int = Field(ge=1, le=SMALLINT)
    video_ref: str = Field(max_length=300, description="补课全程录像的存储位置")
    notes: str = Field("", max_length=2000)


class MakeUpOut(Schema):
    id: int
    enrollment_id: int
    row: int
    name: str
    id_number: str
    hour_seq: int
    held_at: dt.datetime
    minutes: int
    video_ref: str
    notes: str
    counts: bool = Field(description="在结业考核日之前，计入到课率（SUP-MAKEUP）")
    recorded_at: dt.datetime


class VideoIn(Schema):
    camera: str = Field(max_length=64)
    kind: HourKind = Field(description="theory / practical")
    starts_at: dt.datetime
    ends_at: dt.datetime
    all_visible: bool = Field(description="画面显示全体参训人员")
    storage_ref: str = Field(max_length=300)
    hour_seq: int | None = Field(None, ge=1, le=SMALLINT, description="所属课时（可空，按时间判定）")


class VideoOut(Schema):
    id: int
    class_id: int
    class_code: str
    camera: str
    kind: str
    hour_seq: int | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    all_visible: bool
    storage_ref: str
    retain_until: dt.date = Field(description="留存至（SUP-VIDEO-RETENTION）")
    deleted_at: dt.datetime | None


class InspectionIn(Schema):
    kind: Inspection.Kind = Field(description="onsite 实地检查 / random 随机抽查 / remote 远程视频监管")
    at: dt.datetime
    present_count: int = Field(ge=0, le=100000)
    teachers_present: int = Field(ge=0, le=SMALLINT)
    notes: str = Field("", max_length=5000)
    photo_refs: list[str] = Field(default_factory=list, max_length=services.MAX_PHOTOS)


class InspectionOut(Schema):
    id: int
    kind: str
    kind_label: str
    at: dt.datetime
    inspector: str
    inspector_org: str
    present_count: int
    teachers_present: int
    notes: str
    photo_refs: list[str]


class AnswerIn(Schema):
    enrollment_id: int
    satisfied: bool
    answers: dict[str, Any] = Field(default_factory=dict)


class AnswerOut(Schema):
    enrollment_id: int
    row: int
    name: str
    id_number: str
    satisfied: bool
    answers: dict[str, Any]
    answered_at: dt.datetime


class SuspensionOut(Schema):
    id: int
    rule: str
    rate: Decimal
    responses: int
    opened_at: dt.datetime
    remedy: str
    remedy_label: str
    decided_at: dt.datetime | None
    rectify_until: dt.date | None
    closed_at: dt.datetime | None
    notes: str


class SatisfactionOut(Schema):
    class_id: int
    responses: int
    satisfied: int
    rate: Decimal | None
    satisfaction_min: Decimal
    answers: list[AnswerOut]
    suspensions: list[SuspensionOut]


class EvaluationOut(Schema):
    responses: int
    satisfied: int
    rate: Decimal
    suspended: bool
    finding: ReasonOut | None
    suspension: SuspensionOut | None


class DecideIn(Schema):
    remedy: Suspension.Remedy = Field(description="retrain 重新培训 / cancel 取消补贴")
    rectify_until: dt.date = Field(description="整改期至（至少自决定之日起一个月）")
    notes: str = Field("", max_length=5000)


class CloseIn(Schema):
    notes: str = Field("", max_length=5000)


class EndIn(Schema):
    version: int = Field(description="读取时的班级版本（乐观锁）")
    opinion: str = Field("", max_length=2000)


class EndOut(Schema):
    class_id: int
    state: ClassState
    state_label: str
    version: int
    step_id: int
    findings: list[ReasonOut] = Field(description="结业时的过程监管结论（与审核记录一同保存）")


class TraineeEligibilityOut(Schema):
    enrollment_id: int
    row: int
    name: str
    id_number: str
    payable: bool = Field(description="目前没有使该学员整体不予补贴的原因")
    attendance_rate: Decimal | None
    reasons: list[ReasonOut]
    pending: list[str] = Field(description="尚待核查的事项（如线上课程尚无核查结果），不是规则结论")


class EligibilityOut(Schema):
    class_id: int
    policy: str
    payable: int
    not_payable: int
    class_reasons: list[ReasonOut]
    pending: list[str]
    trainees: list[TraineeEligibilityOut]


# ── helpers ───────────────────────────────────────────────────────────────────────────────────


def _get(user: User, pk: int) -> TrainingClass:
    cls = class_get(user, pk)
    if cls is None:
        raise ApiError(404, "not_found", "找不到该培训班，或不在您的管辖范围内")
    return cls


def _own(user: User) -> int | None:
    """A worker's rows only (person 0 matches nobody); everyone else reads the whole roster."""
    return (user.person_id or 0) if user.role == Role.WORKER else None


def _officials_only(user: User, what: str) -> None:
    if user.role == Role.WORKER:
        raise NotPermitted(f"学员不能查看{what}")


def _id(user: User, id_number: str) -> str:
    return id_number if user.sees_clear_ids else mask_ric(id_number)


def _stored_reason(user: User, data: dict[str, Any]) -> ReasonOut:
    """A finding as stored (Finding.as_dict), with resident IDs masked for roles that may not read them."""
    clear = user.sees_clear_ids
    outcome = str(data.get("outcome", ""))
    values = dict(data.get("values") or {})
    message = str(data.get("message", ""))
    return ReasonOut(
        rule=str(data.get("rule", "")),
        outcome=outcome,
        outcome_label=OUTCOME_ZH.get(Outcome(outcome), outcome) if outcome in Outcome else outcome,
        clause=str(data.get("clause", "")),
        scope=values.get("scope"),
        message=message if clear else mask_text(message),
        values=values if clear else mask_ids(values),
    )


def _reason(user: User, f: Finding) -> ReasonOut:
    return _stored_reason(user, f.as_dict())


def _timetable(cls: TrainingClass) -> TimetableOut:
    return TimetableOut(
        class_id=cls.pk,
        version=cls.version,
        minutes_per_hour=cls.minutes_per_hour,
        expected={
            HourKind.THEORY.value: cls.hours_theory - cls.hours_online,
            HourKind.PRACTICAL.value: cls.hours_practical,
            HourKind.ONLINE.value: cls.hours_online,
        },
        hours=[
            HourOut(
                seq=h.seq,
                kind=h.kind,
                kind_label=_KIND_ZH.get(h.kind, h.kind),
                starts_at=h.starts_at,
                ends_at=h.ends_at,
                topic=h.topic,
            )
            for h in selectors.timetable(cls)
        ],
    )


def _video(v: Any) -> VideoOut:
    return VideoOut(
        id=v.pk,
        class_id=v.training_class_id,
        class_code=v.training_class.code,
        camera=v.camera,
        kind=v.kind,
        hour_seq=v.class_hour.seq if v.class_hour_id else None,
        starts_at=v.starts_at,
        ends_at=v.ends_at,
        all_visible=v.all_visible,
        storage_ref=v.storage_ref,
        retain_until=v.retain_until,
        deleted_at=v.deleted_at,
    )


def _makeup(user: User, m: Any) -> MakeUpOut:
    e = m.enrollment
    return MakeUpOut(
        id=m.pk,
        enrollment_id=e.pk,
        row=e.row,
        name=e.person.name,
        id_number=_id(user, e.person.id_number),
        hour_seq=m.class_hour.seq,
        held_at=m.held_at,
        minutes=m.minutes,
        video_ref=m.video_ref,
        notes=m.notes if user.sees_clear_ids else mask_text(m.notes),
        counts=makeup_counts(held_on=timezone.localtime(m.held_at).date(), assessed_on=e.assessed_on),
        recorded_at=m.recorded_at,
    )


def _inspection(user: User, i: Inspection) -> InspectionOut:
    return InspectionOut(
        id=i.pk,
        kind=i.kind,
        kind_label=_INSPECTION_ZH.get(i.kind, i.kind),
        at=i.at,
        inspector=i.inspector.display_name,
        inspector_org=i.inspector_org.name,
        present_count=i.present_count,
        teachers_present=i.teachers_present,
        notes=i.notes if user.sees_clear_ids else mask_text(i.notes),
        photo_refs=list(i.photo_refs),
    )


def _suspension(s: Suspension) -> SuspensionOut:
    return SuspensionOut(
        id=s.pk,
        rule=s.rule,
        rate=s.rate,
        responses=s.responses,
        opened_at=s.opened_at,
        remedy=s.remedy,
        remedy_label=_REMEDY_ZH.get(s.remedy, s.remedy),
        decided_at=s.decided_at,
        rectify_until=s.rectify_until,
        closed_at=s.closed_at,
        notes=s.notes,
    )


# ── timetable and attendance ──────────────────────────────────────────────────────────────────


@router.get("/classes/{int:class_id}/timetable", summary="课表", response={200: TimetableOut, **READ_ERRORS})
def timetable(request: HttpRequest, class_id: int) -> TimetableOut:
    return _timetable(_get(api_user(request), class_id))


@router.put(
    "/classes/{int:class_id}/timetable",
    summary="编排课表（整体替换；各类课时数须与开班申请一致）",
    response={200: TimetableOut, **WRITE_ERRORS},
)
def set_timetable(request: HttpRequest, class_id: int, payload: TimetableIn) -> TimetableOut:
    user = api_user(request)
    cls = _get(user, class_id)
    hours = [services.HourInput(h.kind.value, h.starts_at, h.ends_at, h.topic.strip()) for h in payload.hours]
    with refusals_masked(user):
        services.class_hours_set(cls=cls, actor=user, version=payload.version, hours=hours)
    return _timetable(_get(user, class_id))


@router.get(
    "/classes/{int:class_id}/attendance",
    summary="出勤：学员 × 课时（人脸签到、补课、录像作废），到课率，平均出勤人数",
    response={200: AttendanceOut, **READ_ERRORS},
)
def attendance(request: HttpRequest, class_id: int) -> AttendanceOut:
    user = api_user(request)
    cls = _get(user, class_id)
    record = selectors.attendance(cls, person_id=_own(user))
    count = selectors.headcount(cls)
    return AttendanceOut(
        class_id=cls.pk,
        policy=record.policy,
        hours=[
            AttendanceHourOut(seq=h.seq, kind=h.kind, starts_at=h.starts_at, ends_at=h.ends_at, due=h.due, void=h.void)
            for h in record.hours
        ],
        trainees=[
            TraineeAttendanceOut(
                enrollment_id=t.enrollment_id,
                row=t.row,
                name=t.name,
                id_number=_id(user, t.id_number),
                statuses=t.statuses,
                present=t.count(selectors.PRESENT),
                made_up=t.count(selectors.MADE_UP),
                absent=t.count(selectors.ABSENT),
                void=t.count(selectors.VOID),
                pending=t.count(selectors.PENDING),
                rate=t.rate,
            )
            for t in record.trainees
        ],
        totals=record.totals,
        headcount=HeadcountOut(
            average_present=count.average_present,
            inspections=count.inspections,
            opening_present=count.opening_present,
            roster=count.roster,
        ),
        video_findings=[_reason(user, f) for f in record.video.findings],
    )


# ── make-ups ──────────────────────────────────────────────────────────────────────────────────


@router.get("/classes/{int:class_id}/makeups", summary="补课记录", response={200: list[MakeUpOut], **READ_ERRORS})
def makeups(request: HttpRequest, class_id: int) -> list[MakeUpOut]:
    user = api_user(request)
    cls = _get(user, class_id)
    return [_makeup(user, m) for m in selectors.makeups_for(user, cls)]


@router.post(
    "/classes/{int:class_id}/makeups",
    summary="登记补课（须全程录像，结业考核前完成方计入到课率）",
    response={201: MakeUpOut, **WRITE_ERRORS},
)
def record_makeup(request: HttpRequest, class_id: int, payload: MakeUpIn) -> Status[MakeUpOut]:
    user = api_user(request)
    cls = _get(user, class_id)
    with refusals_masked(user):
        made = services.makeup_record(
            cls=cls,
            actor=user,
            enrollment_id=payload.enrollment_id,
            hour_seq=payload.hour_seq,
            held_at=payload.held_at,
            minutes=payload.minutes,
            video_ref=payload.video_ref,
            notes=payload.notes,
        )
    made = selectors.makeups_for(user, cls).get(pk=made.pk)
    return Status(201, _makeup(user, made))


# ── videos ────────────────────────────────────────────────────────────────────────────────────


@router.get(
    "/classes/{int:class_id}/videos", summary="培训录像（元数据）", response={200: list[VideoOut], **READ_ERRORS}
)
def videos(request: HttpRequest, class_id: int) -> list[VideoOut]:
    user = api_user(request)
    cls = _get(user, class_id)
    with refusals_masked(user):
        _officials_only(user, "培训录像")
    return [_video(v) for v in selectors.videos_for(cls).select_related("training_class")]


@router.post(
    "/classes/{int:class_id}/videos",
    summary="登记一段培训录像（留存 3 年）",
    response={201: VideoOut, **WRITE_ERRORS},
)
def record_video(request: HttpRequest, class_id: int, payload: VideoIn) -> Status[VideoOut]:
    user = api_user(request)
    cls = _get(user, class_id)
    with refusals_masked(user):
        video = services.video_record(
            cls=cls,
            actor=user,
            camera=payload.camera,
            kind=payload.kind.value,
            starts_at=payload.starts_at,
            ends_at=payload.ends_at,
            all_visible=payload.all_visible,
            storage_ref=payload.storage_ref,
            hour_seq=payload.hour_seq,
        )
    return Status(201, _video(selectors.videos_for(cls).select_related("training_class").get(pk=video.pk)))


@router.delete(
    "/classes/{int:class_id}/videos/{int:video_id}",
    summary="删除录像（留存期满后；SUP-VIDEO-RETENTION）",
    response={200: VideoOut, **WRITE_ERRORS},
)
def delete_video(request: HttpRequest, class_id: int, video_id: int) -> VideoOut:
    user = api_user(request)
    cls = _get(user, class_id)
    with refusals_masked(user):
        services.video_delete(cls=cls, actor=user, video_id=video_id)
    return _video(selectors.videos_for(cls).select_related("training_class").get(pk=video_id))


@router.get(
    "/videos/expiring",
    summary="留存期即将届满（或已届满）的录像（本人管辖范围内）",
    response={200: list[VideoOut], **READ_ERRORS},
)
def videos_expiring(
    request: HttpRequest,
    within_days: Annotated[int, param.Query(ge=0, le=3660, description="今后多少天内届满")] = 90,
    limit: Annotated[int, param.Query(ge=1, le=1000)] = 200,
    offset: Offset = 0,
) -> list[VideoOut]:
    user = api_user(request)
    with refusals_masked(user):
        _officials_only(user, "培训录像")
    return [_video(v) for v in selectors.video_expiring(user, within_days)[offset : offset + limit]]


# ── inspections ───────────────────────────────────────────────────────────────────────────────


@router.get(
    "/classes/{int:class_id}/inspections", summary="检查记录", response={200: list[InspectionOut], **READ_ERRORS}
)
def inspections(request: HttpRequest, class_id: int) -> list[InspectionOut]:
    user = api_user(request)
    cls = _get(user, class_id)
    with refusals_masked(user):
        _officials_only(user, "检查记录")
    return [_inspection(user, i) for i in selectors.inspections_for(cls)]


@router.post(
    "/classes/{int:class_id}/inspections",
    summary="登记实地检查、随机抽查或远程视频监管（行业主管部门、人社部门）",
    response={201: InspectionOut, **WRITE_ERRORS},
)
def record_inspection(request: HttpRequest, class_id: int, payload: InspectionIn) -> Status[InspectionOut]:
    user = api_user(request)
    cls = _get(user, class_id)
    with refusals_masked(user):
        made = services.inspection_record(
            cls=cls,
            actor=user,
            kind=payload.kind.value,
            at=payload.at,
            present_count=payload.present_count,
            teachers_present=payload.teachers_present,
            notes=payload.notes,
            photo_refs=payload.photo_refs,
        )
    return Status(201, _inspection(user, selectors.inspections_for(cls).get(pk=made.pk)))


# ── satisfaction and suspension ───────────────────────────────────────────────────────────────


def _satisfaction(user: User, cls: TrainingClass) -> SatisfactionOut:
    _, p = selectors.class_policy(cls)
    responses, satisfied = selectors.satisfaction_counts(cls)
    return SatisfactionOut(
        class_id=cls.pk,
        responses=responses,
        satisfied=satisfied,
        rate=satisfaction_rate(satisfied, responses) if responses else None,
        satisfaction_min=p.satisfaction_min,
        answers=[_answer(user, a) for a in selectors.satisfaction_for(user, cls)],
        suspensions=[_suspension(s) for s in selectors.suspensions_for(cls)],
    )


def _answer(user: User, a: SatisfactionResponse) -> AnswerOut:
    person = a.enrollment.person
    return AnswerOut(
        enrollment_id=a.enrollment_id,
        row=a.enrollment.row,
        name=person.name,
        id_number=_id(user, person.id_number),
        satisfied=a.satisfied,
        answers=a.answers if user.sees_clear_ids else mask_ids(a.answers),
        answered_at=a.answered_at,
    )


@router.get(
    "/classes/{int:class_id}/satisfaction",
    summary="满意度调查：满意率、问卷（学员只见本人）、暂停与整改",
    response={200: SatisfactionOut, **READ_ERRORS},
)
def satisfaction(request: HttpRequest, class_id: int) -> SatisfactionOut:
    user = api_user(request)
    return _satisfaction(user, _get(user, class_id))


@router.post(
    "/classes/{int:class_id}/satisfaction",
    summary="填写满意度调查（学员本人，或经办人录入纸质问卷）",
    response={201: AnswerOut, **WRITE_ERRORS},
)
def answer_survey(request: HttpRequest, class_id: int, payload: AnswerIn) -> Status[AnswerOut]:
    user = api_user(request)
    cls = _get(user, class_id)
    with refusals_masked(user):
        made = services.satisfaction_answer(
            cls=cls,
            actor=user,
            enrollment_id=payload.enrollment_id,
            satisfied=payload.satisfied,
            answers=payload.answers,
        )
    return Status(201, _answer(user, made))


@router.post(
    "/classes/{int:class_id}/satisfaction/evaluate",
    summary="评定满意率（低于 85% 暂停结业考核，SUP-SATISFACTION）",
    response={200: EvaluationOut, **WRITE_ERRORS},
)
def evaluate_survey(request: HttpRequest, class_id: int) -> EvaluationOut:
    user = api_user(request)
    cls = _get(user, class_id)
    with refusals_masked(user):
        result = services.satisfaction_evaluate(cls=cls, actor=user)
    return EvaluationOut(
        responses=result.responses,
        satisfied=result.satisfied,
        rate=result.rate,
        suspended=result.finding is not None,
        finding=_reason(user, result.finding) if result.finding else None,
        suspension=_suspension(result.suspension) if result.suspension else None,
    )


@router.post(
    "/classes/{int:class_id}/suspensions/{int:suspension_id}/decide",
    summary="决定重新培训或取消补贴，并确定整改期（至少一个月）",
    response={200: SuspensionOut, **WRITE_ERRORS},
)
def decide_suspension(request: HttpRequest, class_id: int, suspension_id: int, payload: DecideIn) -> SuspensionOut:
    user = api_user(request)
    cls = _get(user, class_id)
    with refusals_masked(user):
        made = services.suspension_decide(
            cls=cls,
            actor=user,
            suspension_id=suspension_id,
            remedy=payload.remedy.value,
            rectify_until=payload.rectify_until,
            notes=payload.notes,
        )
    return _suspension(made)


@router.post(
    "/classes/{int:class_id}/suspensions/{int:suspension_id}/close",
    summary="整改期满，解除暂停",
    response={200: SuspensionOut, **WRITE_ERRORS},
)
def close_suspension(request: HttpRequest, class_id: int, suspension_id: int, payload: CloseIn) -> SuspensionOut:
    user = api_user(request)
    cls = _get(user, class_id)
    with refusals_masked(user):
        made = services.suspension_close(cls=cls, actor=user, suspension_id=suspension_id, notes=payload.notes)
    return _suspension(made)


# ── end of class and eligibility ──────────────────────────────────────────────────────────────


@router.post(
    "/classes/{int:class_id}/end",
    summary="结业（须已有至少一次检查记录，SUP-INSPECTION）",
    response={201: EndOut, **WRITE_ERRORS},
)
def end_class(request: HttpRequest, class_id: int, payload: EndIn) -> Status[EndOut]:
    user = api_user(request)
    cls = _get(user, class_id)
    with refusals_masked(user):
        step = class_end(cls=cls, actor=user, version=payload.version, opinion=payload.opinion)
    fresh = TrainingClass.objects.only("state", "version").get(pk=cls.pk)
    return Status(
        201,
        EndOut(
            class_id=cls.pk,
            state=ClassState(fresh.state),
            state_label=ClassState(fresh.state).label,
            version=fresh.version,
            step_id=step.pk,
            findings=[_stored_reason(user, f) for f in step.findings if isinstance(f, dict) and "rule" in f],
        ),
    )


@router.get(
    "/classes/{int:class_id}/eligibility",
    summary="各学员目前不予补贴的全部原因（按规则编号：SUP-*、ONL-*）",
    response={200: EligibilityOut, **READ_ERRORS},
)
def eligibility(request: HttpRequest, class_id: int) -> EligibilityOut:
    user = api_user(request)
    cls = _get(user, class_id)
    state = selectors.eligibility(cls, person_id=_own(user))
    trainees = [
        TraineeEligibilityOut(
            enrollment_id=t.enrollment_id,
            row=t.row,
            name=t.name,
            id_number=_id(user, t.id_number),
            payable=t.payable,
            attendance_rate=t.attendance_rate,
            reasons=[_reason(user, r) for r in t.reasons],
            pending=t.pending,
        )
        for t in state.trainees
    ]
    payable = sum(1 for t in state.trainees if t.payable)
    return EligibilityOut(
        class_id=cls.pk,
        policy=state.policy,
        payable=payable,
        not_payable=len(state.trainees) - payable,
        class_reasons=[_reason(user, r) for r in state.class_reasons],
        pending=state.pending,
        trainees=trainees,
    )
