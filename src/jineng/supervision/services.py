"""Writes on a class's supervision record: timetable, make-ups, video segments, inspections, the
satisfaction survey and the suspension it may bring (plan clause 二(三)2, RULES.md section C).

Each is a keyword-only service in one transaction: it locks the class row (so a record and the
end of the class cannot cross), checks role and scope, names every bad field at once, writes, and
writes its audit row. The SUP-* rules are the pure functions of `policy.rules.supervision`; a
refusal by a rule carries that rule's finding. Face check-ins are not written here: devices push
them through the set-based ingest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from jineng.accounts.models import Role, User
from jineng.audit.services import audit_record
from jineng.classes.errors import InvalidInput, InvalidTransition, NotPermitted, RuleBlocked, StaleVersion
from jineng.classes.models import ClassState, Enrollment, TrainingClass
from jineng.policy.findings import Finding
from jineng.policy.rules.supervision import (
    satisfaction_rate,
    sup_makeup,
    sup_rectification_over,
    sup_rectification_period,
    sup_satisfaction,
    sup_video_retention,
    video_retain_until,
)
from jineng.registry.models import OrgUnit

from .models import ClassHour, HourKind, Inspection, MakeUp, SatisfactionResponse, Suspension, VideoSegment
from .selectors import class_policy, satisfaction_counts

IN_TRAINING = frozenset({ClassState.APPROVED})
RECORDING = frozenset({ClassState.APPROVED, ClassState.ENDED})  # make-ups and videos may come in after the end
TIMETABLE_CLOSED = frozenset({ClassState.ENDED, ClassState.REJECTED})
MAX_HOURS = 2000
MAX_PHOTOS = 50
MAX_ANSWERS = 100

Problems = list[dict[str, str]]


# ── helpers ───────────────────────────────────────────────────────────────────────────────────


def _locked(cls: TrainingClass, version: int | None = None) -> TrainingClass:
    """The class row locked for this transaction; with `version`, a stale one is refused."""
    locked = (
        TrainingClass.objects.select_for_update()
        .select_related("institution", "area", "lead_department")
        .get(pk=cls.pk)
    )
    if version is not None and locked.version != version:
        raise StaleVersion(
            f"班级 {locked.code} 已被他人修改（当前版本 {locked.version}，您看到的是版本 {version}），请刷新后重试",
            current_version=locked.version,
        )
    return locked


def _state_label(cls: TrainingClass) -> str:
    return str(ClassState(cls.state).label)


def _require_state(cls: TrainingClass, states: frozenset[str], doing: str) -> None:
    if cls.state not in states:
        allowed = "、".join(str(ClassState(s).label) for s in sorted(states))
        raise InvalidTransition(
            f"班级 {cls.code} 当前状态为“{_state_label(cls)}”，不能{doing}（须为：{allowed}）", state=cls.state
        )


def _require_clerk(actor: User, cls: TrainingClass, doing: str) -> None:
    if actor.role != Role.INSTITUTION_CLERK:
        raise NotPermitted(f"只有培训机构经办人可以{doing}")
    if actor.institution_id != cls.institution_id:
        raise NotPermitted(f"班级 {cls.code} 不在您的管辖范围内")


def _is_city_hr(actor: User) -> bool:
    return actor.role == Role.CITY_HR and actor.org is not None and actor.org.kind == OrgUnit.Kind.CITY


def _require_hr(actor: User, cls: TrainingClass, doing: str) -> None:
    if actor.role not in (Role.AREA_HR, Role.CITY_HR):
        raise NotPermitted(f"只有人社部门审核人可以{doing}")
    if not (_is_city_hr(actor) or (actor.role == Role.AREA_HR and actor.org_id == cls.area_id)):
        raise NotPermitted(f"班级 {cls.code} 不在您的管辖范围内")


def _require_inspector(actor: User, cls: TrainingClass) -> None:
    """The lead department's reviewers, the area's HR, or city HR — never the institution itself."""
    if actor.role not in (Role.DEPT_REVIEWER, Role.AREA_HR, Role.CITY_HR):
        raise NotPermitted("检查记录只能由行业主管部门或人力资源社会保障部门登记")
    in_scope = (
        (actor.role == Role.DEPT_REVIEWER and actor.org_id == cls.lead_department_id)
        or (actor.role == Role.AREA_HR and actor.org_id == cls.area_id)
        or _is_city_hr(actor)
    )
    if not in_scope:
        raise NotPermitted(f"班级 {cls.code} 不在您的管辖范围内")


def _aware(value: dt.datetime) -> dt.datetime:
    """Aware as given; a naive time is read as Asia/Shanghai wall time (what a clerk types)."""
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _local(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()


def _within_class(cls: TrainingClass, starts: dt.datetime, ends: dt.datetime) -> str | None:
    if _local(starts) < cls.start or _local(ends) > cls.end:
        return f"应在培训期内（{cls.start} 至 {cls.end}）"
    return None


def _text(problems: Problems, path: str, label: str, value: str, limit: int, *, required: bool) -> str:
    value = value.strip()
    if required and not value:
        problems.append({"path": path, "message": f"{label}：必填"})
    elif len(value) > limit:
        problems.append({"path": path, "message": f"{label}：不超过 {limit} 个字符"})
    return value


def _refuse(problems: Problems, what: str) -> None:
    if problems:
        raise InvalidInput(f"{what}有 {len(problems)} 处错误", problems)


def _blocked(found: Finding, doing: str) -> RuleBlocked:
    return RuleBlocked(
        f"{found.message}，不能{doing}", [{"path": found.rule, "message": found.message}], findings=[found.as_dict()]
    )


def _iso(value: dt.datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


# ── timetable ─────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class HourInput:
    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    topic: str = ""


_KIND_ZH = dict(HourKind.choices)


def _hour_row(kind: str, starts: dt.datetime, ends: dt.datetime, topic: str) -> list[Any]:
    return [kind, _iso(starts), _iso(ends), topic]


@transaction.atomic
def class_hours_set(*, cls: TrainingClass, actor: User, version: int, hours: Sequence[HourInput]) -> list[ClassHour]:
    """Replace the timetable (课表): numbered by start time; the counts per kind are the class's hours
    (theory includes online), each hour at least the class's minutes per hour, inside the class's
    dates, none overlapping. An hour that already carries a make-up or a video keeps its time.
    Editable by the clerk until the class ends; the class's version moves with it.
    """
    cls = _locked(cls, version)
    _require_clerk(actor, cls, "编排课表")
    if cls.state in TIMETABLE_CLOSED:
        raise InvalidTransition(f"班级 {cls.code} 当前状态为“{_state_label(cls)}”，课表不能再修改", state=cls.state)
    problems: Problems = []
    if len(hours) > MAX_HOURS:
        raise InvalidInput("课表过长", [{"path": "hours", "message": f"课时不超过 {MAX_HOURS} 个"}])
    minimum = dt.timedelta(minutes=cls.minutes_per_hour)
    rows: list[tuple[int, str, dt.datetime, dt.datetime, str]] = []
    for i, hour in enumerate(hours):
        where = f"第{i + 1}个课时"
        starts, ends = _aware(hour.starts_at), _aware(hour.ends_at)
        topic = _text(problems, f"hours[{i}].topic", f"{where} 内容", hour.topic, 200, required=False)
        if hour.kind not in HourKind.values:
            problems.append({"path": f"hours[{i}].kind", "message": f"{where} 类型：应为 {'、'.join(HourKind.values)}"})
        if ends - starts < minimum:
            problems.append(
                {
                    "path": f"hours[{i}].ends_at",
                    "message": f"{where} 时间：{_iso(starts)} 至 {_iso(ends)} 不足每课时 {cls.minutes_per_hour} 分钟",
                }
            )
        outside = _within_class(cls, starts, ends)
        if outside:
            problems.append({"path": f"hours[{i}].starts_at", "message": f"{where} 时间：{outside}"})
        rows.append((i, hour.kind, starts, ends, topic))
    rows.sort(key=lambda r: (r[2], r[3], r[0]))
    for (i, _, _, prev_end, _), (j, _, starts, _, _) in pairwise(rows):
        if starts < prev_end:
            problems.append(
                {
                    "path": f"hours[{j}].starts_at",
                    "message": f"第{j + 1}个课时 时间：与第{i + 1}个课时重叠（前一课时 {_iso(prev_end)} 才结束）",
                }
            )
    expected = {
        HourKind.THEORY: cls.hours_theory - cls.hours_online,
        HourKind.PRACTICAL: cls.hours_practical,
        HourKind.ONLINE: cls.hours_online,
    }
    given = {kind: sum(1 for r in rows if r[1] == kind) for kind in expected}
    for kind, want in expected.items():
        if given[kind] != want:
            problems.append(
                {
                    "path": "hours",
                    "message": f"{_KIND_ZH[kind]}课时 {given[kind]} 个，应为 {want} 个（开班申请：理论 "
                    f"{cls.hours_theory}（含线上 {cls.hours_online}）、实操 {cls.hours_practical}）",
                }
            )
    existing = {h.seq: h for h in ClassHour.objects.filter(training_class=cls).order_by("seq")}
    used = set(
        ClassHour.objects.filter(training_class=cls)
        .annotate(refs=Count("makeups", distinct=True) + Count("videos", distinct=True))
        .filter(refs__gt=0)
        .values_list("seq", flat=True)
    )
    new = {seq: r for seq, r in enumerate(rows, start=1)}
    for seq in sorted(used):
        old = existing[seq]
        moved = new.get(seq)
        if moved is None or (moved[1], moved[2], moved[3]) != (old.kind, old.starts_at, old.ends_at):
            problems.append(
                {
                    "path": "hours",
                    "message": f"第{seq}课时（{_iso(old.starts_at)}）已登记补课或录像，不能删除或修改其时间、类型",
                }
            )
    _refuse(problems, "课表")

    before = [_hour_row(h.kind, h.starts_at, h.ends_at, h.topic) for h in existing.values()]
    after = [_hour_row(k, starts, ends, topic) for _, k, starts, ends, topic in rows]
    if before == after:
        return list(existing.values())
    changed: list[ClassHour] = []
    created: list[ClassHour] = []
    for seq, (_, new_kind, starts, ends, topic) in new.items():
        stored = existing.get(seq)
        if stored is None:
            created.append(
                ClassHour(training_class=cls, seq=seq, kind=new_kind, starts_at=starts, ends_at=ends, topic=topic)
            )
        elif (stored.kind, stored.starts_at, stored.ends_at, stored.topic) != (new_kind, starts, ends, topic):
            stored.kind, stored.starts_at, stored.ends_at, stored.topic = new_kind, starts, ends, topic
            changed.append(stored)
    # Rows keep their seq (hour k is updated in place), so the (class, seq) uniqueness never trips.
    ClassHour.objects.filter(training_class=cls, seq__gt=len(new)).delete()
    ClassHour.objects.bulk_update(changed, ["kind", "starts_at", "ends_at", "topic"])
    ClassHour.objects.bulk_create(created)
    TrainingClass.objects.filter(pk=cls.pk).update(version=cls.version + 1, updated_at=timezone.now())
    cls.version += 1
    audit_record(
        actor=actor,
        event="timetable.set",
        obj=cls,
        changes={"hours": (before, after), "version": (cls.version - 1, cls.version)},
        note=f"课表 {len(after)} 个课时",
    )
    return list(ClassHour.objects.filter(training_class=cls).order_by("seq"))


# ── make-up sessions ──────────────────────────────────────────────────────────────────────────


@transaction.atomic
def makeup_record(
    *,
    cls: TrainingClass,
    actor: User,
    enrollment_id: int,
    hour_seq: int,
    held_at: dt.datetime,
    minutes: int,
    video_ref: str,
    notes: str = "",
) -> MakeUp:
    """SUP-MAKEUP: a missed hour made up, fully recorded, before the trainee's assessment day."""
    cls = _locked(cls)
    _require_clerk(actor, cls, "登记补课")
    _require_state(cls, RECORDING, "登记补课")
    problems: Problems = []
    held_at = _aware(held_at)
    video_ref = _text(problems, "video_ref", "补课录像", video_ref, 300, required=True)
    notes = _text(problems, "notes", "说明", notes, 2000, required=False)
    enrollment = Enrollment.objects.select_related("person").filter(training_class=cls, pk=enrollment_id).first()
    if enrollment is None:
        problems.append({"path": "enrollment_id", "message": "学员：不在本班花名册中"})
    hour = ClassHour.objects.filter(training_class=cls, seq=hour_seq).first()
    if hour is None:
        problems.append({"path": "hour_seq", "message": f"课时：本班课表没有第{hour_seq}课时"})
    elif hour.kind == HourKind.ONLINE:
        problems.append({"path": "hour_seq", "message": f"课时：第{hour_seq}课时为线上课时，由线上平台记录，不需补课"})
    elif held_at < hour.ends_at:
        problems.append(
            {"path": "held_at", "message": f"补课时间：应在第{hour_seq}课时结束（{_iso(hour.ends_at)}）之后"}
        )
    if held_at > timezone.now():
        problems.append({"path": "held_at", "message": "补课时间：补课完成后方可登记，不能晚于现在"})
    if not cls.minutes_per_hour <= minutes <= 32767:
        problems.append({"path": "minutes", "message": f"补课时长：不少于每课时 {cls.minutes_per_hour} 分钟"})
    if enrollment is not None:
        late = sup_makeup(
            subject=f"trainee:{enrollment.person.id_number}",
            held_on=_local(held_at),
            assessed_on=enrollment.assessed_on,
        )
        if late is not None:
            problems.append({"path": "held_at", "message": f"补课时间：{late.message}（SUP-MAKEUP）"})
    _refuse(problems, "补课记录")
    assert enrollment is not None and hour is not None
    existing = MakeUp.objects.filter(enrollment=enrollment, class_hour=hour).first()
    if existing is not None:
        if (existing.held_at, existing.minutes, existing.video_ref) == (held_at, minutes, video_ref):
            return existing  # the same record sent again
        raise InvalidInput(
            "补课记录有 1 处错误",
            [{"path": "hour_seq", "message": f"课时：该学员第{hour_seq}课时已登记补课（{_iso(existing.held_at)}）"}],
        )
    makeup = MakeUp.objects.create(
        enrollment=enrollment,
        class_hour=hour,
        held_at=held_at,
        minutes=minutes,
        video_ref=video_ref,
        notes=notes,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        event="makeup.record",
        obj=cls,
        changes={
            "makeup": (
                None,
                {
                    "id_number": enrollment.person.id_number,
                    "row": enrollment.row,
                    "hour": hour_seq,
                    "held_at": _iso(held_at),
                    "minutes": minutes,
                    "video_ref": video_ref,
                },
            )
        },
    )
    return makeup


# ── video segments ────────────────────────────────────────────────────────────────────────────


@transaction.atomic
def video_record(
    *,
    cls: TrainingClass,
    actor: User,
    camera: str,
    kind: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    all_visible: bool,
    storage_ref: str,
    hour_seq: int | None = None,
) -> VideoSegment:
    """The metadata of one recorded segment (the video stays in the institution's storage); kept
    until the local date it ends plus the retention years (SUP-VIDEO-RETENTION)."""
    cls = _locked(cls)
    _require_clerk(actor, cls, "登记培训录像")
    _require_state(cls, RECORDING, "登记培训录像")
    _, p = class_policy(cls)
    problems: Problems = []
    starts, ends = _aware(starts_at), _aware(ends_at)
    camera = _text(problems, "camera", "摄像头", camera, 64, required=True)
    storage_ref = _text(problems, "storage_ref", "存储位置", storage_ref, 300, required=True)
    if kind not in (HourKind.THEORY, HourKind.PRACTICAL):
        problems.append(
            {"path": "kind", "message": "类型：应为 theory（理论）或 practical（实操）；线上课时由平台记录"}
        )
    if ends <= starts:
        problems.append({"path": "ends_at", "message": "结束时间：应晚于开始时间"})
    else:
        outside = _within_class(cls, starts, ends)
        if outside:
            problems.append({"path": "starts_at", "message": f"时间：{outside}"})
    if ends > timezone.now():
        problems.append({"path": "ends_at", "message": "结束时间：录像结束后方可登记，不能晚于现在"})
    hour = None
    if hour_seq is not None:
        hour = ClassHour.objects.filter(training_class=cls, seq=hour_seq).first()
        if hour is None:
            problems.append({"path": "hour_seq", "message": f"课时：本班课表没有第{hour_seq}课时"})
        else:
            if hour.kind != kind:
                problems.append(
                    {"path": "kind", "message": f"类型：第{hour_seq}课时为{_KIND_ZH[hour.kind]}课时，与录像类型不符"}
                )
            if not (starts < hour.ends_at and ends > hour.starts_at):
                problems.append({"path": "hour_seq", "message": f"课时：录像时段与第{hour_seq}课时不重叠"})
    _refuse(problems, "录像信息")
    same = VideoSegment.objects.filter(training_class=cls, camera=camera, starts_at=starts, ends_at=ends).first()
    if same is not None:
        if (same.storage_ref, same.all_visible, same.kind, same.class_hour_id) == (
            storage_ref,
            all_visible,
            kind,
            hour.pk if hour else None,
        ):
            return same  # the same segment sent again
        raise InvalidInput(
            "录像信息有 1 处错误",
            [{"path": "starts_at", "message": f"时间：摄像头 {camera} 同一时段的录像已登记（{same.storage_ref}）"}],
        )
    video = VideoSegment.objects.create(
        training_class=cls,
        class_hour=hour,
        camera=camera,
        kind=kind,
        starts_at=starts,
        ends_at=ends,
        all_visible=all_visible,
        storage_ref=storage_ref,
        retain_until=video_retain_until(p=p, ended_on=_local(ends)),
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        event="video.record",
        obj=cls,
        changes={
            "video": (
                None,
                {
                    "id": video.pk,
                    "camera": camera,
                    "kind": kind,
                    "starts_at": _iso(starts),
                    "ends_at": _iso(ends),
                    "all_visible": all_visible,
                    "storage_ref": storage_ref,
                    "retain_until": video.retain_until,
                },
            )
        },
    )
    return video


@transaction.atomic
def video_delete(*, cls: TrainingClass, actor: User, video_id: int) -> VideoSegment:
    """Mark a segment deleted from storage: refused before its retain-until date (SUP-VIDEO-RETENTION).
    The metadata stays, so the record of what was kept remains."""
    cls = _locked(cls)
    _require_clerk(actor, cls, "删除培训录像")
    video = VideoSegment.objects.select_for_update().filter(training_class=cls, pk=video_id).first()
    if video is None:
        raise InvalidInput("录像不存在", [{"path": "video_id", "message": "不属于本班"}])
    if video.deleted_at is not None:
        return video  # deleted already: a retry changes nothing
    _, p = class_policy(cls)
    refused = sup_video_retention(p=p, retain_until=video.retain_until, today=timezone.localdate())
    if refused is not None:
        raise _blocked(refused, "删除")
    video.deleted_at, video.deleted_by = timezone.now(), actor
    video.save(update_fields=["deleted_at", "deleted_by"])
    audit_record(
        actor=actor,
        event="video.delete",
        obj=cls,
        changes={
            "video": ({"id": video.pk, "storage_ref": video.storage_ref, "retain_until": video.retain_until}, None)
        },
    )
    return video


# ── inspections ───────────────────────────────────────────────────────────────────────────────


@transaction.atomic
def inspection_record(
    *,
    cls: TrainingClass,
    actor: User,
    kind: str,
    at: dt.datetime,
    present_count: int,
    teachers_present: int,
    notes: str = "",
    photo_refs: Sequence[str] = (),
) -> Inspection:
    """SUP-INSPECTION: an on-site inspection, random check or remote video supervision, recorded as
    found (present count, teachers, notes, photos) by the lead department or HR, during training."""
    cls = _locked(cls)
    _require_inspector(actor, cls)
    _require_state(cls, IN_TRAINING, "登记检查记录")
    problems: Problems = []
    at = _aware(at)
    notes = _text(problems, "notes", "检查情况", notes, 5000, required=False)
    if kind not in Inspection.Kind.values:
        problems.append({"path": "kind", "message": f"方式：应为 {'、'.join(Inspection.Kind.values)}"})
    if not cls.start <= _local(at) <= cls.end:
        problems.append({"path": "at", "message": f"检查时间：应在培训期内（{cls.start} 至 {cls.end}）"})
    if at > timezone.now():
        problems.append({"path": "at", "message": "检查时间：不能晚于现在"})
    roster = Enrollment.objects.filter(training_class=cls).count()
    if not 0 <= present_count <= roster:
        problems.append({"path": "present_count", "message": f"实到人数：应为 0 至花名册人数 {roster}"})
    if not 0 <= teachers_present <= 32767:
        problems.append({"path": "teachers_present", "message": "在岗教师数：应为非负整数"})
    if len(photo_refs) > MAX_PHOTOS:
        problems.append({"path": "photo_refs", "message": f"照片：不超过 {MAX_PHOTOS} 张"})
    photos = [
        _text(problems, f"photo_refs[{i}]", f"第{i + 1}张照片", ref, 300, required=True)
        for i, ref in enumerate(photo_refs)
    ]
    _refuse(problems, "检查记录")
    assert actor.org is not None  # inspectors belong to a department, an area or the city
    same = Inspection.objects.filter(
        training_class=cls,
        inspector=actor,
        kind=kind,
        at=at,
        present_count=present_count,
        teachers_present=teachers_present,
    ).first()
    if same is not None:
        return same  # the same record sent again
    inspection = Inspection.objects.create(
        training_class=cls,
        kind=kind,
        at=at,
        inspector=actor,
        inspector_org=actor.org,
        present_count=present_count,
        teachers_present=teachers_present,
        notes=notes,
        photo_refs=photos,
        recorded_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        event="inspection.record",
        obj=cls,
        changes={
            "inspection": (
                None,
                {
                    "id": inspection.pk,
                    "kind": kind,
                    "at": _iso(at),
                    "present_count": present_count,
                    "teachers_present": teachers_present,
                    "photos": len(photos),
                },
            )
        },
        note=notes,
    )
    return inspection


# ── satisfaction survey and suspension ────────────────────────────────────────────────────────


def _clean_answers(problems: Problems, answers: dict[str, Any] | None) -> dict[str, Any]:
    answers = dict(answers or {})
    if len(answers) > MAX_ANSWERS:
        problems.append({"path": "answers", "message": f"问卷答案：不超过 {MAX_ANSWERS} 项"})
    for key, value in answers.items():
        if len(str(key)) > 100:
            problems.append({"path": "answers", "message": "问卷答案：题目标识不超过 100 个字符"})
        if not isinstance(value, str | int | bool) or (isinstance(value, str) and len(value) > 2000):
            problems.append(
                {"path": f"answers.{key}", "message": f"问卷答案 {key}：应为文字（2000 字以内）、数字或是/否"}
            )
    return answers


@transaction.atomic
def satisfaction_answer(
    *, cls: TrainingClass, actor: User, enrollment_id: int, satisfied: bool, answers: dict[str, Any] | None = None
) -> SatisfactionResponse:
    """One trainee's survey after training: the worker for their own roster entry, or the clerk
    entering a paper survey. A second answer replaces the first (audited)."""
    cls = _locked(cls)
    enrollment = Enrollment.objects.select_related("person").filter(training_class=cls, pk=enrollment_id).first()
    if actor.role == Role.WORKER:
        if enrollment is None or actor.person_id is None or enrollment.person_id != actor.person_id:
            raise NotPermitted("学员只能填写本人的满意度调查")
    else:
        _require_clerk(actor, cls, "录入满意度调查")
    _require_state(cls, frozenset({ClassState.ENDED}), "填写满意度调查（培训结束后开展）")
    problems: Problems = []
    if enrollment is None:
        problems.append({"path": "enrollment_id", "message": "学员：不在本班花名册中"})
    answers = _clean_answers(problems, answers)
    _refuse(problems, "满意度调查")
    assert enrollment is not None
    existing = SatisfactionResponse.objects.filter(enrollment=enrollment).first()
    old = None if existing is None else {"satisfied": existing.satisfied, "answers": existing.answers}
    new = {"satisfied": satisfied, "answers": answers}
    if old == new and existing is not None:
        return existing
    response, _ = SatisfactionResponse.objects.update_or_create(
        enrollment=enrollment, defaults={"satisfied": satisfied, "answers": answers, "answered_at": timezone.now()}
    )
    audit_record(
        actor=actor,
        event="satisfaction.answer",
        obj=cls,
        changes={"response": (old, {**new, "id_number": enrollment.person.id_number, "row": enrollment.row})},
        note="纸质问卷录入" if actor.role == Role.INSTITUTION_CLERK else "",
    )
    return response


@dataclass(frozen=True)
class SatisfactionResult:
    responses: int
    satisfied: int
    rate: Decimal
    finding: Finding | None
    suspension: Suspension | None


@transaction.atomic
def satisfaction_evaluate(*, cls: TrainingClass, actor: User) -> SatisfactionResult:
    """SUP-SATISFACTION after the class has ended: below `satisfaction_min` suspends the assessment
    (a Suspension opens, or the open one takes the new rate); at the minimum exactly, nothing opens."""
    cls = _locked(cls)
    _require_hr(actor, cls, "评定满意率")
    _require_state(cls, frozenset({ClassState.ENDED}), "评定满意率（培训结束后开展）")
    _, p = class_policy(cls)
    responses, satisfied = satisfaction_counts(cls)
    if responses == 0:
        raise InvalidInput("尚无满意度调查问卷", [{"path": "responses", "message": "有效问卷数为 0，无法评定满意率"}])
    rate = satisfaction_rate(satisfied, responses)
    found = sup_satisfaction(p=p, satisfied=satisfied, responses=responses)
    suspension = Suspension.objects.select_for_update().filter(training_class=cls, closed_at__isnull=True).first()
    if found is not None:
        if suspension is None:
            suspension = Suspension.objects.create(
                training_class=cls, rate=rate, responses=responses, opened_at=timezone.now()
            )
            audit_record(
                actor=actor,
                event="suspension.open",
                obj=cls,
                changes={"suspension": (None, {"id": suspension.pk, "rate": rate, "responses": responses})},
                note=found.message,
            )
        elif (suspension.rate, suspension.responses) != (rate, responses):
            old = {"rate": suspension.rate, "responses": suspension.responses}
            suspension.rate, suspension.responses = rate, responses
            suspension.save(update_fields=["rate", "responses"])
            audit_record(
                actor=actor,
                event="suspension.update",
                obj=cls,
                changes={"suspension": (old, {"rate": rate, "responses": responses})},
                note=found.message,
            )
    audit_record(
        actor=actor,
        event="satisfaction.evaluate",
        obj=cls,
        changes={"satisfaction": (None, {"responses": responses, "satisfied": satisfied, "rate": rate})},
        note=found.message if found else f"满意率 {rate}，不低于 {p.satisfaction_min}",
    )
    return SatisfactionResult(responses, satisfied, rate, found, suspension if found else None)


def _suspension(cls: TrainingClass, suspension_id: int) -> Suspension:
    suspension = Suspension.objects.select_for_update().filter(training_class=cls, pk=suspension_id).first()
    if suspension is None:
        raise InvalidInput("暂停记录不存在", [{"path": "suspension_id", "message": "不属于本班"}])
    return suspension


@transaction.atomic
def suspension_decide(
    *, cls: TrainingClass, actor: User, suspension_id: int, remedy: str, rectify_until: dt.date, notes: str = ""
) -> Suspension:
    """HR chooses: retrain (重新组织培训) or cancel the class's subsidy (取消当班补贴资格), and sets the
    rectification period, at least `rectification_months` calendar months from today (SUP-SATISFACTION)."""
    cls = _locked(cls)
    _require_hr(actor, cls, "决定整改方式")
    suspension = _suspension(cls, suspension_id)
    if (suspension.remedy, suspension.rectify_until) == (remedy, rectify_until):
        return suspension  # the same decision sent again
    if suspension.closed_at is not None or suspension.remedy != Suspension.Remedy.PENDING:
        raise InvalidTransition(
            f"该暂停已于 {suspension.decided_at and _iso(suspension.decided_at)} 决定为“"
            f"{suspension.get_remedy_display()}”，不能再次决定",
            state=suspension.remedy,
        )
    _, p = class_policy(cls)
    problems: Problems = []
    notes = _text(problems, "notes", "整改说明", notes, 5000, required=False)
    if remedy not in (Suspension.Remedy.RETRAIN, Suspension.Remedy.CANCEL):
        problems.append({"path": "remedy", "message": "处理方式：应为 retrain（重新培训）或 cancel（取消补贴）"})
    short = sup_rectification_period(p=p, decided_on=timezone.localdate(), rectify_until=rectify_until)
    if short is not None:
        problems.append({"path": "rectify_until", "message": f"整改期至：{short.message}（SUP-SATISFACTION）"})
    _refuse(problems, "整改决定")
    suspension.remedy = remedy
    suspension.rectify_until = rectify_until
    suspension.decided_by, suspension.decided_at = actor, timezone.now()
    suspension.notes = notes
    suspension.save(update_fields=["remedy", "rectify_until", "decided_by", "decided_at", "notes"])
    audit_record(
        actor=actor,
        event="suspension.decide",
        obj=cls,
        changes={
            "remedy": (Suspension.Remedy.PENDING.value, remedy),
            "rectify_until": (None, rectify_until),
        },
        note=notes,
    )
    return suspension


@transaction.atomic
def suspension_close(*, cls: TrainingClass, actor: User, suspension_id: int, notes: str = "") -> Suspension:
    """Lift a decided suspension once its rectification period is over (on its last day, not before)."""
    cls = _locked(cls)
    _require_hr(actor, cls, "解除暂停")
    suspension = _suspension(cls, suspension_id)
    if suspension.closed_at is not None:
        return suspension  # closed already: a retry changes nothing
    if suspension.remedy == Suspension.Remedy.PENDING or suspension.rectify_until is None:
        raise InvalidTransition("尚未决定重新培训或取消补贴，不能解除暂停", state=suspension.remedy)
    problems: Problems = []
    notes = _text(problems, "notes", "整改说明", notes, 5000, required=False)
    _refuse(problems, "解除暂停")
    early = sup_rectification_over(today=timezone.localdate(), rectify_until=suspension.rectify_until)
    if early is not None:
        raise _blocked(early, "解除暂停")
    suspension.closed_at, suspension.closed_by = timezone.now(), actor
    if notes:
        suspension.notes = f"{suspension.notes}\n{notes}".strip()
    suspension.save(update_fields=["closed_at", "closed_by", "notes"])
    audit_record(
        actor=actor,
        event="suspension.close",
        obj=cls,
        changes={"closed_at": (None, suspension.closed_at)},
        note=notes,
    )
    return suspension
