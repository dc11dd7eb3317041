"""Reads of a class's supervision record, and the facts the SUP-* rules are judged on.

Every read starts from a class the caller already holds through `classes.selectors.class_get`
(the scope of the reader); a worker reads only their own line of attendance and eligibility.

Attendance is computed set-based: one statement crosses the class hours with the roster and asks,
per cell, whether a valid face check-in exists in the hour's window (an index probe on
`checkin_class_person_at`) and whether a make-up that counts exists. Everything a page or an
eligibility summary needs comes from a fixed handful of statements, however many trainees.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from jineng.accounts.models import Role, User
from jineng.classes.models import Enrollment, TrainingClass
from jineng.classes.selectors import classes_for
from jineng.crypto import decrypt
from jineng.db import fetch_all, json_value
from jineng.online.models import OnlineCourse, OnlineResult
from jineng.policy.catalog import BY_ID
from jineng.policy.findings import Finding, finding
from jineng.policy.loader import Policy, policies
from jineng.policy.parameters import Parameters
from jineng.policy.rules.supervision import (
    HourFacts,
    SegmentFacts,
    hour_videos,
    sup_face_checkin,
    sup_headcount,
    sup_inspection,
    sup_practical_video,
    sup_suspension_standing,
    sup_theory_video,
    sup_video_all_visible,
)
from jineng.registry.models import RIC_PURPOSE, Person

from .models import CheckIn, ClassHour, HourKind, Inspection, MakeUp, SatisfactionResponse, Suspension, VideoSegment

PRESENT, MADE_UP, ABSENT, VOID, PENDING = "present", "made_up", "absent", "void", "pending"
STATUS_ZH = {PRESENT: "签到", MADE_UP: "补课", ABSENT: "缺勤", VOID: "录像不合格", PENDING: "未结束"}


def class_policy(cls: TrainingClass) -> tuple[Policy, Parameters]:
    """The policy of a class: the one in force on its start date (as for its application)."""
    policy = policies().in_force(cls.start)
    if policy is None:
        raise LookupError(f"班级 {cls.code} 的开班日期 {cls.start} 不在任何政策的有效期内")
    return policy, policy.parameters_on(cls.start)


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


# ── timetable and records ─────────────────────────────────────────────────────────────────────


def timetable(cls: TrainingClass) -> list[ClassHour]:
    return list(ClassHour.objects.filter(training_class=cls).order_by("seq"))


def makeups_for(user: User, cls: TrainingClass) -> QuerySet[MakeUp]:
    qs = (
        MakeUp.objects.filter(enrollment__training_class=cls)
        .select_related("enrollment__person", "class_hour", "recorded_by")
        .order_by("class_hour__seq", "enrollment__row", "id")
    )
    if user.role == Role.WORKER:
        return qs.filter(enrollment__person_id=user.person_id) if user.person_id else qs.none()
    return qs


def videos_for(cls: TrainingClass) -> QuerySet[VideoSegment]:
    return VideoSegment.objects.filter(training_class=cls).select_related("class_hour").order_by("starts_at", "id")


def inspections_for(cls: TrainingClass) -> QuerySet[Inspection]:
    return (
        Inspection.objects.filter(training_class=cls).select_related("inspector", "inspector_org").order_by("at", "id")
    )


def satisfaction_for(user: User, cls: TrainingClass) -> QuerySet[SatisfactionResponse]:
    qs = (
        SatisfactionResponse.objects.filter(enrollment__training_class=cls)
        .select_related("enrollment__person")
        .order_by("enrollment__row")
    )
    if user.role == Role.WORKER:
        return qs.filter(enrollment__person_id=user.person_id) if user.person_id else qs.none()
    return qs


def satisfaction_counts(cls: TrainingClass) -> tuple[int, int]:
    """(answers, satisfied answers) of the whole class: the figures SUP-SATISFACTION is judged on."""
    counts = SatisfactionResponse.objects.filter(enrollment__training_class=cls).aggregate(
        responses=Count("id"), satisfied=Count("id", filter=Q(satisfied=True))
    )
    return int(counts["responses"]), int(counts["satisfied"])


def suspensions_for(cls: TrainingClass) -> QuerySet[Suspension]:
    return Suspension.objects.filter(training_class=cls).order_by("opened_at", "id")


def video_expiring(user: User, within_days: int, *, today: dt.date | None = None) -> QuerySet[VideoSegment]:
    """Segments kept in the user's scope whose retention ends within `within_days` (SUP-VIDEO-RETENTION)
    — already ended ones included, since they may now be deleted."""
    today = today or timezone.localdate()
    return (
        VideoSegment.objects.filter(
            training_class__in=classes_for(user).values("pk"),
            deleted_at__isnull=True,
            retain_until__lte=today + dt.timedelta(days=within_days),
        )
        .select_related("training_class", "training_class__institution")
        .order_by("retain_until", "training_class_id", "starts_at", "id")
    )


# ── video rules on the recorded segments ──────────────────────────────────────────────────────


@dataclass(frozen=True)
class VideoJudgement:
    """The video rules on the class's record so far: which hours are void, and the class-wide void."""

    findings: list[Finding]
    void_hours: frozenset[int]  # seqs
    all_visible_failures: int


def _hour_facts(hours: Sequence[ClassHour]) -> list[HourFacts]:
    return [HourFacts(h.seq, h.kind, h.starts_at, h.ends_at) for h in hours]


def judge_videos(
    p: Parameters, hours: Sequence[ClassHour], segments: Sequence[VideoSegment], now: dt.datetime
) -> VideoJudgement:
    """SUP-THEORY-VIDEO and SUP-PRACTICAL-VIDEO on the hours that have ended; SUP-VIDEO-ALL-VISIBLE on every segment."""
    due = [h for h in _hour_facts(hours) if h.kind != HourKind.ONLINE and h.ends_at <= now]
    facts = [SegmentFacts(s.camera, s.starts_at, s.ends_at, s.all_visible) for s in segments]
    videos = hour_videos(due, facts)
    failures = sum(1 for s in facts if not s.all_visible)
    found = [
        f
        for f in (
            sup_theory_video(videos=videos),
            sup_practical_video(p=p, videos=videos),
            sup_video_all_visible(p=p, failures=failures),
        )
        if f is not None
    ]
    void = frozenset(seq for f in found if f.values.get("scope") == "hours" for seq in f.values["hours"])
    return VideoJudgement(found, void, failures)


# ── attendance ────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class AttendanceHour:
    id: int
    seq: int
    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    due: bool  # ended by now
    void: bool  # voided for everyone by a video rule


@dataclass
class TraineeAttendance:
    enrollment_id: int
    person_id: int
    row: int
    name: str
    id_number: str
    assessed_on: dt.date | None
    statuses: list[str] = field(default_factory=list)  # one per AttendanceHour, in order
    checked_in: int = 0  # hours with a valid check-in, whatever their status

    def count(self, status: str) -> int:
        return self.statuses.count(status)

    @property
    def counted_hours(self) -> int:
        """Hours that have ended and are not void: the denominator of the attendance rate."""
        return sum(1 for s in self.statuses if s in (PRESENT, MADE_UP, ABSENT))

    @property
    def rate(self) -> Decimal | None:
        counted = self.counted_hours
        if counted == 0:
            return None
        attended = self.count(PRESENT) + self.count(MADE_UP)
        return (Decimal(attended) / counted).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


@dataclass
class Attendance:
    policy: str
    hours: list[AttendanceHour]
    trainees: list[TraineeAttendance]
    video: VideoJudgement
    params: Parameters

    def missed(self, trainee: TraineeAttendance) -> list[int]:
        return [h.seq for h, s in zip(self.hours, trainee.statuses, strict=True) if s == ABSENT]

    @property
    def totals(self) -> dict[str, Any]:
        cells: dict[str, int] = defaultdict(int)
        for t in self.trainees:
            for status in t.statuses:
                cells[status] += 1
        counted = cells[PRESENT] + cells[MADE_UP] + cells[ABSENT]
        rate = (
            (Decimal(cells[PRESENT] + cells[MADE_UP]) / counted).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
            if counted
            else None
        )
        return {
            "trainees": len(self.trainees),
            "hours": len(self.hours),
            "due_hours": sum(1 for h in self.hours if h.due),
            "void_hours": sum(1 for h in self.hours if h.void),
            "present": cells[PRESENT],
            "made_up": cells[MADE_UP],
            "absent": cells[ABSENT],
            "rate": rate,
            "without_checkin": sum(1 for t in self.trainees if t.checked_in == 0),
        }


def _minus_minutes(column: str, minutes: int) -> tuple[str, list[Any]]:
    """`column` − `minutes` in SQL: an interval on PostgreSQL; on SQLite, datetime() on the stored UTC text."""
    if connection.vendor == "postgresql":
        return f"({column} - %s * INTERVAL '1 minute')", [minutes]
    return f"datetime({column}, %s)", [f"-{minutes} minutes"]


def _local_date_sql(column: str) -> tuple[str, list[Any]]:
    sql, params = connection.ops.datetime_cast_date_sql(column, (), settings.TIME_ZONE)
    return sql, list(params)


def valid_checkin_sql(p: Parameters, *, hour: str = "h", person: str = "e.person_id") -> tuple[str, list[Any]]:
    """EXISTS a valid face check-in (SUP-FACE-CHECKIN) of `person` for the hour aliased `hour`:
    liveness passed, match score ≥ checkin_match_min, at in [starts_at − checkin_early_minutes, ends_at]."""
    window, window_params = _minus_minutes(f"{hour}.starts_at", p.checkin_early_minutes)
    sql = f"""EXISTS (SELECT 1 FROM {CheckIn._meta.db_table} c
                      WHERE c.training_class_id = {hour}.training_class_id AND c.person_id = {person}
                        AND c.at >= {window} AND c.at <= {hour}.ends_at
                        AND c.liveness AND c.match_score >= %s)"""
    return sql, [*window_params, float(p.checkin_match_min)]


def _grid(cls: TrainingClass, p: Parameters, person_id: int | None) -> list[tuple[Any, ...]]:
    """(enrollment, hour, checked in, made up) for every roster entry × class hour (not online)."""
    checkin, checkin_params = valid_checkin_sql(p)
    held_on, held_params = _local_date_sql("m.held_at")
    sql = f"""
        SELECT e.id, h.id, {checkin},
               EXISTS (SELECT 1 FROM {MakeUp._meta.db_table} m
                       WHERE m.enrollment_id = e.id AND m.class_hour_id = h.id
                         AND (e.assessed_on IS NULL OR {held_on} < e.assessed_on))
        FROM {Enrollment._meta.db_table} e
        CROSS JOIN {ClassHour._meta.db_table} h
        WHERE e.training_class_id = %s AND h.training_class_id = %s AND h.kind <> %s
          {"AND e.person_id = %s" if person_id is not None else ""}
    """
    params: list[Any] = [*checkin_params, *held_params, cls.pk, cls.pk, HourKind.ONLINE.value]
    if person_id is not None:
        params.append(person_id)
    return fetch_all(sql, params)


def _roster(cls: TrainingClass, person_id: int | None) -> list[tuple[Any, ...]]:
    sql = f"""
        SELECT e.id, e.person_id, e."row", p.name, p.id_number, e.assessed_on
        FROM {Enrollment._meta.db_table} e JOIN {Person._meta.db_table} p ON p.id = e.person_id
        WHERE e.training_class_id = %s {"AND e.person_id = %s" if person_id is not None else ""}
        ORDER BY e."row", e.id
    """
    rows = fetch_all(sql, [cls.pk] if person_id is None else [cls.pk, person_id])
    # Raw SQL reads the stored ciphertext: opened here as the model field would.
    return [(*row[:4], decrypt(row[4], purpose=RIC_PURPOSE), *row[5:]) for row in rows]


def _as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def attendance(cls: TrainingClass, *, now: dt.datetime | None = None, person_id: int | None = None) -> Attendance:
    """Per trainee × class hour (theory and practical; online hours are judged by the ONL-* rules):
    present (a valid face check-in), made_up (a make-up held before the trainee's assessment day,
    SUP-MAKEUP), absent, void (the hour failed a video rule, for everyone) or pending (not over yet).
    The rate is (present + made up) over the hours that have ended and are not void.

    Four statements: hours, segments, roster, and the grid. `person_id` limits it to one trainee.
    """
    now = now or timezone.now()
    policy, p = class_policy(cls)
    all_hours = timetable(cls)
    segments = list(VideoSegment.objects.filter(training_class=cls).order_by("starts_at", "id"))
    video = judge_videos(p, all_hours, segments, now)
    hours = [
        AttendanceHour(h.pk, h.seq, h.kind, h.starts_at, h.ends_at, h.ends_at <= now, h.seq in video.void_hours)
        for h in all_hours
        if h.kind != HourKind.ONLINE
    ]
    trainees = {
        entry: TraineeAttendance(entry, person, row, name, id_number, _as_date(assessed_on))
        for entry, person, row, name, id_number, assessed_on in _roster(cls, person_id)
    }
    cells: dict[tuple[int, int], tuple[bool, bool]] = {}
    for entry, hour, checked_in, made_up in _grid(cls, p, person_id):
        cells[(entry, hour)] = (bool(checked_in), bool(made_up))
    for trainee in trainees.values():
        for hour in hours:
            checked_in, made_up = cells.get((trainee.enrollment_id, hour.id), (False, False))
            trainee.checked_in += checked_in
            if hour.void:
                status = VOID
            elif checked_in:
                status = PRESENT
            elif made_up:
                status = MADE_UP
            else:
                status = ABSENT if hour.due else PENDING
            trainee.statuses.append(status)
    return Attendance(policy.name, hours, list(trainees.values()), video, p)


# ── headcount ─────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Headcount:
    average_present: Decimal | None  # 平均出勤人数 over the inspections
    inspections: int
    opening_present: int | None  # present at the first class hour (None: it has not begun)
    roster: int
    finding: Finding


def headcount(cls: TrainingClass, *, now: dt.datetime | None = None) -> Headcount:
    """SUP-HEADCOUNT: the average present at inspections, and who was actually present at the first hour."""
    now = now or timezone.now()
    _, p = class_policy(cls)
    counts = list(Inspection.objects.filter(training_class=cls).values_list("present_count", flat=True))
    first = (
        ClassHour.objects.filter(training_class=cls).exclude(kind=HourKind.ONLINE).order_by("starts_at", "seq").first()
    )
    checkin, checkin_params = valid_checkin_sql(p)
    row = fetch_all(
        f"""SELECT COUNT(*), COALESCE(SUM(CASE WHEN h.id IS NOT NULL AND {checkin} THEN 1 ELSE 0 END), 0)
            FROM {Enrollment._meta.db_table} e
            LEFT JOIN {ClassHour._meta.db_table} h ON h.id = %s
            WHERE e.training_class_id = %s""",
        [*checkin_params, first.pk if first else None, cls.pk],
    )[0]
    roster, present = int(row[0]), int(row[1])
    opening = present if first is not None and first.starts_at <= now else None
    measure = sup_headcount(present_counts=counts, opening_present=opening, roster=roster)
    return Headcount(measure.values["average_present"], len(counts), opening, roster, measure)


# ── eligibility ───────────────────────────────────────────────────────────────────────────────


@dataclass
class TraineeEligibility:
    enrollment_id: int
    row: int
    name: str
    id_number: str
    attendance_rate: Decimal | None
    reasons: list[Finding]
    pending: list[str]

    @property
    def payable(self) -> bool:
        """No reason so far that voids or holds the whole trainee (hour-level reasons only cut hours)."""
        return not any(r.values.get("scope") in ("trainee", "class") for r in self.reasons)


@dataclass
class Eligibility:
    policy: str
    class_reasons: list[Finding]
    pending: list[str]
    trainees: list[TraineeEligibility]


def _online_reasons(
    cls: TrainingClass, person_id: int | None, subjects: dict[int, str]
) -> tuple[dict[int, list[Finding]], dict[int, list[str]], list[str]]:
    """ONL-* reasons per roster entry from the online audit's results for the class's courses, the
    courses still without a result per roster entry, and the class's course codes.

    Results carry the learner's keyed hash, joined to the roster through Person.id_hash; `subjects`
    (roster entry → "trainee:<ID>") names the trainee in the findings."""
    courses = list(OnlineCourse.objects.filter(classes=cls).order_by("code").values_list("code", "name"))
    if not courses:
        return {}, {}, []
    link = OnlineCourse.classes.through._meta.db_table
    sql = f"""
        SELECT e.id, r.course, r.recognised, r.findings
        FROM {OnlineResult._meta.db_table} r
        JOIN {Person._meta.db_table} p ON p.id_hash = r.learner
        JOIN {Enrollment._meta.db_table} e ON e.person_id = p.id AND e.training_class_id = %s
        JOIN {OnlineCourse._meta.db_table} oc ON oc.code = r.course
        JOIN {link} cc ON cc.onlinecourse_id = oc.id AND cc.trainingclass_id = %s
        {"WHERE e.person_id = %s" if person_id is not None else ""}
        ORDER BY e."row", e.id, r.course
    """
    params: list[Any] = [cls.pk, cls.pk] + ([person_id] if person_id is not None else [])
    names = dict(courses)
    reasons: dict[int, list[Finding]] = defaultdict(list)
    seen: dict[int, set[str]] = defaultdict(set)
    for entry, course, recognised, stored in fetch_all(sql, params):
        seen[entry].add(course)
        if recognised:
            continue
        subject = subjects[entry]
        for item in json_value(stored) or []:
            rule = str(item.get("rule", ""))
            if rule not in BY_ID:
                continue
            reasons[entry].append(
                finding(
                    rule,
                    subject,
                    f"线上课程“{names.get(course, course)}”（{course}）学时不予认定：{item.get('message', '')}".rstrip(
                        "："
                    ),
                    course=course,
                    session=item.get("session"),
                    at=item.get("at"),
                    scope="hours",
                )
            )
    missing = {entry: [c for c, _ in courses if c not in got] for entry, got in seen.items()}
    return reasons, missing, [c for c, _ in courses]


def eligibility(
    cls: TrainingClass,
    *,
    now: dt.datetime | None = None,
    person_id: int | None = None,
    record: Attendance | None = None,
) -> Eligibility:
    """Every reason, by rule ID, that each trainee would not be payable so far (SUP-*, ONL-*).

    Class-wide reasons (video rules, satisfaction) are listed once for the class and again with
    every trainee, so a trainee's list is complete on its own. A missing online result is a pending
    note, not a finding. Seven statements whatever the roster's size.
    """
    now = now or timezone.now()
    if record is None:  # a page showing attendance too passes the one it read
        record = attendance(cls, now=now, person_id=person_id)
    class_reasons = list(record.video.findings)
    for s in suspensions_for(cls):
        standing = sup_suspension_standing(
            remedy=s.remedy,
            rate=s.rate,
            responses=s.responses,
            rectify_until=s.rectify_until,
            closed=s.closed_at is not None,
        )
        if standing is not None:
            class_reasons.append(standing)
    subjects = {t.enrollment_id: f"trainee:{t.id_number}" for t in record.trainees}
    online, missing, courses = _online_reasons(cls, person_id, subjects)
    trainees = []
    for t in record.trainees:
        subject = f"trainee:{t.id_number}"
        reasons = list(class_reasons)
        face = sup_face_checkin(
            subject=subject,
            due_hours=sum(1 for h in record.hours if h.due),
            checked_in_hours=t.checked_in,
            missed=record.missed(t),
        )
        if face is not None:
            reasons.append(face)
        reasons.extend(online.get(t.enrollment_id, []))
        pending = [f"线上课程 {code} 尚无学习核查结果" for code in missing.get(t.enrollment_id, courses)]
        trainees.append(TraineeEligibility(t.enrollment_id, t.row, t.name, t.id_number, t.rate, reasons, pending))
    pending = [] if record.hours else ["尚未录入课表，无法核对签到与录像"]
    return Eligibility(record.policy, class_reasons, pending, trainees)


def end_of_class_check(cls: TrainingClass, *, now: dt.datetime | None = None) -> tuple[str, list[Finding]]:
    """What ending the class is judged on (SUP-INSPECTION, a block) and what is stored with the step:
    the headcount and every eligibility reason as it stands."""
    now = now or timezone.now()
    policy, p = class_policy(cls)
    count = Inspection.objects.filter(training_class=cls).count()
    found: list[Finding] = []
    refused = sup_inspection(p=p, inspections=count)
    if refused is not None:
        return policy.name, [refused]
    found.append(headcount(cls, now=now).finding)
    state = eligibility(cls, now=now)
    found.extend(state.class_reasons)
    for trainee in state.trainees:
        found.extend(r for r in trainee.reasons if r.subject != "class")
    return policy.name, found
