"""SUP-* rules (RULES.md section C, plan clause 二(三)2): the supervision of a class in training.

Pure functions like the rest of `policy.rules`: the caller gathers the facts (the timetable, the
recorded segments, counts from the database) and passes them in with the parameters in force;
nothing here reads the database or the clock. They are not registered with the class-document
engine (that engine judges an application, these judge a class's record), so callers import them.

Times are aware datetimes; the calendar dates the policy speaks of (retention, rectification,
assessment day) are Asia/Shanghai dates the caller has already converted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby

from ..findings import Finding, finding, percent
from ..parameters import Parameters
from .trainees import add_months

# ── facts ─────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class HourFacts:
    """One class hour of the timetable."""

    seq: int
    kind: str  # theory / practical / online
    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclass(frozen=True, slots=True)
class SegmentFacts:
    """One recorded video segment: which camera, from when to when, and whether every trainee shows."""

    camera: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    all_visible: bool = True


@dataclass(frozen=True, slots=True)
class HourVideo:
    """What the recordings give one hour: seconds left uncovered, and the longest run of one camera."""

    seq: int
    kind: str
    uncovered: dt.timedelta
    longest_run: dt.timedelta


# ── helpers ───────────────────────────────────────────────────────────────────────────────────


def hours_text(seqs: Iterable[int]) -> str:
    """第3–5、8课时: consecutive hours as ranges, so a long list stays readable."""
    ordered = sorted(set(seqs))
    parts: list[str] = []
    for _, run in groupby(enumerate(ordered), key=lambda item: item[1] - item[0]):
        values = [seq for _, seq in run]
        parts.append(str(values[0]) if len(values) == 1 else f"{values[0]}–{values[-1]}")
    return f"第{'、'.join(parts)}课时"


def _duration_text(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    minutes, seconds = divmod(seconds, 60)
    if minutes and seconds:
        return f"{minutes}分{seconds}秒"
    return f"{minutes}分钟" if minutes else f"{seconds}秒"


def _merged(spans: Iterable[tuple[dt.datetime, dt.datetime]]) -> list[tuple[dt.datetime, dt.datetime]]:
    """Overlapping or touching intervals joined: a segment starting the instant another ends continues it."""
    runs: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in sorted(spans):
        if runs and start <= runs[-1][1]:
            runs[-1] = (runs[-1][0], max(runs[-1][1], end))
        else:
            runs.append((start, end))
    return runs


def _clipped(
    runs: Iterable[tuple[dt.datetime, dt.datetime]], start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    return [(max(s, start), min(e, end)) for s, e in runs if s < end and e > start]


def hour_video(hour: HourFacts, segments: Sequence[SegmentFacts]) -> HourVideo:
    """Coverage of one hour by the class's segments, any camera for coverage, one camera for a run."""
    window = (hour.starts_at, hour.ends_at)
    covered = _clipped(_merged((s.starts_at, s.ends_at) for s in segments), *window)
    uncovered = (hour.ends_at - hour.starts_at) - sum((e - s for s, e in covered), dt.timedelta())
    longest = dt.timedelta()
    by_camera = sorted(segments, key=lambda s: s.camera)
    for _, same_camera in groupby(by_camera, key=lambda s: s.camera):
        for s, e in _clipped(_merged((x.starts_at, x.ends_at) for x in same_camera), *window):
            longest = max(longest, e - s)
    return HourVideo(hour.seq, hour.kind, uncovered, longest)


def hour_videos(hours: Sequence[HourFacts], segments: Sequence[SegmentFacts]) -> list[HourVideo]:
    """hour_video for every hour, each looking only at the segments that overlap it."""
    ordered = sorted(segments, key=lambda s: s.starts_at)
    result = []
    for hour in hours:
        near = [s for s in ordered if s.starts_at < hour.ends_at and s.ends_at > hour.starts_at]
        result.append(hour_video(hour, near))
    return result


# ── rules ─────────────────────────────────────────────────────────────────────────────────────


def sup_inspection(*, p: Parameters, inspections: int) -> Finding | None:
    """SUP-INSPECTION: at least `inspections_min` on-site/random checks (or remote video supervision)."""
    if inspections >= p.inspections_min:
        return None
    return finding(
        "SUP-INSPECTION",
        "class",
        f"培训期间须由行业主管部门或人社部门至少进行 {p.inspections_min} 次实地检查或随机抽查"
        f"（可由有效的远程视频监管替代）：本班已记录 {inspections} 次，不能结业",
        inspections=inspections,
        inspections_min=p.inspections_min,
        scope="class",
    )


def sup_theory_video(*, videos: Sequence[HourVideo]) -> Finding | None:
    """SUP-THEORY-VIDEO: a theory hour not recorded in full (even one second) is void for everyone."""
    gaps = {v.seq: v.uncovered for v in videos if v.kind == "theory" and v.uncovered > dt.timedelta()}
    if not gaps:
        return None
    detail = "；".join(f"第{seq}课时缺 {_duration_text(gap)}" for seq, gap in sorted(gaps.items()))
    return finding(
        "SUP-THEORY-VIDEO",
        "class",
        f"理论教学须全程录像：{hours_text(gaps)}录像不完整（{detail}），该课时对全体学员不予认可",
        hours=sorted(gaps),
        uncovered_seconds={str(seq): int(gap.total_seconds()) for seq, gap in sorted(gaps.items())},
        scope="hours",
    )


def sup_practical_video(*, p: Parameters, videos: Sequence[HourVideo]) -> Finding | None:
    """SUP-PRACTICAL-VIDEO: each practical hour has one camera's continuous run of ≥ 15 minutes in it."""
    minimum = dt.timedelta(minutes=p.practical_video_min_minutes)
    short = {v.seq: v.longest_run for v in videos if v.kind == "practical" and v.longest_run < minimum}
    if not short:
        return None
    detail = "；".join(f"第{seq}课时最长 {_duration_text(run)}" for seq, run in sorted(short.items()))
    return finding(
        "SUP-PRACTICAL-VIDEO",
        "class",
        f"实操培训每学时连续录像不低于 {p.practical_video_min_minutes} 分钟：{hours_text(short)}不足"
        f"（{detail}），该课时对全体学员不予认可",
        hours=sorted(short),
        longest_seconds={str(seq): int(run.total_seconds()) for seq, run in sorted(short.items())},
        practical_video_min_minutes=p.practical_video_min_minutes,
        scope="hours",
    )


def sup_video_all_visible(*, p: Parameters, failures: int) -> Finding | None:
    """SUP-VIDEO-ALL-VISIBLE: the (video_fail_max + 1)-th segment not showing every trainee voids the class."""
    if failures <= p.video_fail_max:
        return None
    return finding(
        "SUP-VIDEO-ALL-VISIBLE",
        "class",
        f"同一班次录像无法显示全体参训人员已达 {failures} 次（达 {p.video_fail_max + 1} 次即取消补贴资格），"
        "取消本班补贴资格",
        failures=failures,
        video_fail_max=p.video_fail_max,
        scope="class",
    )


def video_retain_until(*, p: Parameters, ended_on: dt.date) -> dt.date:
    """SUP-VIDEO-RETENTION: kept `video_retention_years` calendar years from the day it ends (29 Feb → 28 Feb)."""
    return add_months(ended_on, 12 * p.video_retention_years)


def sup_video_retention(*, p: Parameters, retain_until: dt.date, today: dt.date) -> Finding | None:
    """SUP-VIDEO-RETENTION: a segment may be deleted on its retain-until date, not a day earlier."""
    if today >= retain_until:
        return None
    return finding(
        "SUP-VIDEO-RETENTION",
        "class",
        f"培训视频须留存 {p.video_retention_years} 年：本段录像留存至 {retain_until}，此前不得删除",
        retain_until=retain_until,
        video_retention_years=p.video_retention_years,
    )


def makeup_counts(*, held_on: dt.date, assessed_on: dt.date | None) -> bool:
    """SUP-MAKEUP: a make-up counts toward attendance when held before the assessment day (or none is set)."""
    return assessed_on is None or held_on < assessed_on


def sup_makeup(*, subject: str, held_on: dt.date, assessed_on: dt.date | None) -> Finding | None:
    """SUP-MAKEUP as a refusal: the reason a make-up does not count (held on or after the assessment day)."""
    if makeup_counts(held_on=held_on, assessed_on=assessed_on):
        return None
    return finding(
        "SUP-MAKEUP",
        subject,
        f"补课须在结业考核前完成方计入到课率：补课日期 {held_on} 不早于结业考核日期 {assessed_on}",
        held_on=held_on,
        assessed_on=assessed_on,
    )


def sup_face_checkin(*, subject: str, due_hours: int, checked_in_hours: int, missed: Sequence[int]) -> Finding | None:
    """SUP-FACE-CHECKIN for one trainee.

    `due_hours`: class hours (theory and practical) that have ended; `checked_in_hours`: of those,
    hours with a valid face check-in; `missed`: the seqs with neither a check-in nor a make-up that
    counts. No valid check-in at all voids the trainee; otherwise the missed hours are listed.
    """
    if due_hours == 0:
        return None
    if checked_in_hours == 0:
        return finding(
            "SUP-FACE-CHECKIN",
            subject,
            f"已结束的 {due_hours} 个课时均无有效人脸识别签到记录，该学员不予补贴",
            due_hours=due_hours,
            checked_in_hours=0,
            missed=list(missed),
            scope="trainee",
        )
    if not missed:
        return None
    return finding(
        "SUP-FACE-CHECKIN",
        subject,
        f"{hours_text(missed)}无有效人脸识别签到且未在结业考核前补课，共 {len(missed)} 个课时不计入到课率",
        due_hours=due_hours,
        checked_in_hours=checked_in_hours,
        missed=list(missed),
        scope="hours",
    )


def headcount_average(present_counts: Sequence[int]) -> Decimal | None:
    """平均出勤人数: the mean of the counts present at inspections, to one decimal place."""
    if not present_counts:
        return None
    return (Decimal(sum(present_counts)) / len(present_counts)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def sup_headcount(*, present_counts: Sequence[int], opening_present: int | None, roster: int) -> Finding:
    """SUP-HEADCOUNT (a measure): the class's size is who was present at its first hour; the trained
    headcount is the average present at inspections."""
    average = headcount_average(present_counts)
    opening = "未开课" if opening_present is None else f"{opening_present} 人"
    trained = "尚无检查记录" if average is None else f"{average} 人（{len(present_counts)} 次检查）"
    return finding(
        "SUP-HEADCOUNT",
        "class",
        f"开班实到人数 {opening}；培训人数以检查在位平均人数为准：{trained}；花名册 {roster} 人",
        opening_present=opening_present,
        average_present=average,
        inspections=len(present_counts),
        roster=roster,
    )


def satisfaction_rate(satisfied: int, responses: int) -> Decimal:
    """The share of satisfied answers, to four places (as stored); 0 answers is an error of the caller."""
    return (Decimal(satisfied) / Decimal(responses)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def sup_satisfaction(*, p: Parameters, satisfied: int, responses: int) -> Finding | None:
    """SUP-SATISFACTION: below `satisfaction_min` (compared exactly, not rounded) suspends the assessment."""
    if responses <= 0:
        raise ValueError("满意率须至少有一份问卷")
    if Decimal(satisfied) >= p.satisfaction_min * responses:
        return None
    rate = satisfaction_rate(satisfied, responses)
    return finding(
        "SUP-SATISFACTION",
        "class",
        f"培训满意率 {percent(rate)}（{satisfied}/{responses}）低于 {percent(p.satisfaction_min)}：暂停结业考核，"
        f"须重新组织培训或取消当班补贴资格，并开展至少 {p.rectification_months} 个月的全面整改",
        rate=rate,
        satisfied=satisfied,
        responses=responses,
        satisfaction_min=p.satisfaction_min,
        scope="class",
    )


def rectification_minimum(*, p: Parameters, decided_on: dt.date) -> dt.date:
    """The earliest end of the rectification period decided on `decided_on` (calendar months)."""
    return add_months(decided_on, p.rectification_months)


def sup_rectification_period(*, p: Parameters, decided_on: dt.date, rectify_until: dt.date) -> Finding | None:
    """SUP-SATISFACTION: the rectification lasts at least `rectification_months` from the decision."""
    minimum = rectification_minimum(p=p, decided_on=decided_on)
    if rectify_until >= minimum:
        return None
    return finding(
        "SUP-SATISFACTION",
        "class",
        f"整改期至少 {p.rectification_months} 个月：{decided_on} 决定的整改期应至少至 {minimum}，"
        f"填写的 {rectify_until} 过短",
        decided_on=decided_on,
        rectify_until=rectify_until,
        minimum=minimum,
        rectification_months=p.rectification_months,
    )


def sup_rectification_over(*, today: dt.date, rectify_until: dt.date) -> Finding | None:
    """SUP-SATISFACTION: a suspension is lifted on the last day of its rectification period, not before."""
    if today >= rectify_until:
        return None
    return finding(
        "SUP-SATISFACTION",
        "class",
        f"整改期至 {rectify_until}，整改期满前不能解除暂停（今日 {today}）",
        rectify_until=rectify_until,
        today=today,
    )


def sup_suspension_standing(
    *, remedy: str, rate: Decimal, responses: int, rectify_until: dt.date | None, closed: bool
) -> Finding | None:
    """SUP-SATISFACTION as it stands for payment: an open suspension holds the assessment back; a
    cancelled subsidy stays cancelled after the rectification; a closed retraining holds nothing."""
    share = f"满意率 {percent(rate)}（{responses} 份问卷）"
    if remedy == "cancel":
        return finding(
            "SUP-SATISFACTION",
            "class",
            f"{share}低于下限，已决定取消当班补贴资格",
            rate=rate,
            remedy=remedy,
            rectify_until=rectify_until,
            scope="class",
        )
    if closed:
        return None
    if remedy == "retrain":
        message = f"{share}低于下限，暂停结业考核：重新组织培训，整改期至 {rectify_until}"
    else:
        message = f"{share}低于下限，暂停结业考核，待人社部门决定重新组织培训或取消当班补贴资格"
    return finding(
        "SUP-SATISFACTION", "class", message, rate=rate, remedy=remedy, rectify_until=rectify_until, scope="class"
    )
