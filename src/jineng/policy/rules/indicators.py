"""IND-* indicators (RULES.md section H): time progress, status against it, and the plan's bounds.

Pure functions over counts the caller has summed (jineng.targets.selectors); each returns a
finding with outcome `indicator`, its figures in `values`, so dashboards, bulletins and the API
say the same thing in the same words.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from ..findings import Finding, finding, percent
from ..parameters import Parameters

Status = Literal["green", "amber", "red", "none"]
STATUS_ZH: dict[str, str] = {
    "green": "达到时间进度",
    "amber": "略低于时间进度",
    "red": "滞后于时间进度",
    "none": "无目标",
}
FOUR = Decimal("0.0001")


def time_progress(*, as_of: dt.date, year: int) -> Decimal:
    """时间进度: the elapsed share of the plan year on `as_of`. At a month's end it is months / 12 (the
    end of June is 50 %), as the bulletins state it; inside a month, elapsed days / days of the year."""
    if as_of.year < year:
        return Decimal(0)
    if as_of.year > year:
        return Decimal(1)
    if as_of.day == calendar.monthrange(as_of.year, as_of.month)[1]:
        return (Decimal(as_of.month) / 12).quantize(FOUR, rounding=ROUND_HALF_UP)
    days = 366 if calendar.isleap(year) else 365
    elapsed = (as_of - dt.date(year, 1, 1)).days + 1
    return (Decimal(elapsed) / days).quantize(FOUR, rounding=ROUND_HALF_UP)


def completion(actual: int, target: int | None) -> Decimal | None:
    """Actual / target, four places; None without a target (or a zero target)."""
    if not target:
        return None
    return (Decimal(actual) / Decimal(target)).quantize(FOUR, rounding=ROUND_HALF_UP)


def status(*, p: Parameters, done: Decimal | None, elapsed: Decimal) -> Status:
    """Green at or above time progress; amber within `progress_amber_gap` below it; red further behind."""
    if done is None:
        return "none"
    if done >= elapsed:
        return "green"
    if done >= elapsed - p.progress_amber_gap:
        return "amber"
    return "red"


@dataclass(frozen=True, slots=True)
class Progress:
    actual: int
    target: int | None
    done: Decimal | None
    elapsed: Decimal
    status: Status

    @property
    def status_zh(self) -> str:
        return STATUS_ZH[self.status]


def progress(*, p: Parameters, actual: int, target: int | None, elapsed: Decimal) -> Progress:
    done = completion(actual, target)
    return Progress(actual, target, done, elapsed, status(p=p, done=done, elapsed=elapsed))


def _share(part: int, whole: int) -> Decimal | None:
    return None if whole == 0 else (Decimal(part) / Decimal(whole)).quantize(FOUR, rounding=ROUND_HALF_UP)


def ind_high_share(*, p: Parameters, high: int, skilled: int, subject: str = "city") -> Finding:
    """IND-HIGH-SHARE: new high-skilled / new skilled ≥ `high_skilled_share_min`."""
    share = _share(high, skilled)
    met = share is not None and share >= p.high_skilled_share_min
    shown = "—" if share is None else percent(share)
    return finding(
        "IND-HIGH-SHARE",
        subject,
        f"新增高技能人才 {high:,} 人，占新增技能人才 {skilled:,} 人的 {shown}"
        f"（目标不低于 {percent(p.high_skilled_share_min)}）" + ("" if met else "，未达到"),
        share=share,
        bound=p.high_skilled_share_min,
        met=met,
    )


def ind_manufacturing_share(*, p: Parameters, manufacturing: int, subsidised: int, subject: str = "city") -> Finding:
    """IND-MANUFACTURING-SHARE: manufacturing subsidised training / all subsidised ≥ 30 % (city and each area)."""
    share = _share(manufacturing, subsidised)
    met = share is not None and share >= p.manufacturing_share_min
    shown = "—" if share is None else percent(share)
    return finding(
        "IND-MANUFACTURING-SHARE",
        subject,
        f"制造业补贴性培训 {manufacturing:,} 人次，占补贴性培训 {subsidised:,} 人次的 {shown}"
        f"（目标不低于 {percent(p.manufacturing_share_min)}）" + ("" if met else "，未达到"),
        share=share,
        bound=p.manufacturing_share_min,
        met=met,
    )


def sub_cert_share(*, p: Parameters, low: int, certificates: int) -> Finding:
    """SUB-CERT-SHARE: 专项职业能力 + 培训合格 certificates ≤ 10 % of all certificates issued."""
    share = _share(low, certificates)
    met = share is None or share <= p.cert_share_max
    shown = "—" if share is None else percent(share)
    return finding(
        "SUB-CERT-SHARE",
        "city",
        f"专项职业能力证书和培训合格证书 {low:,} 本，占全部证书 {certificates:,} 本的 {shown}"
        f"（不超过 {percent(p.cert_share_max)}）" + ("" if met else "，超出上限"),
        share=share,
        bound=p.cert_share_max,
        met=met,
    )


def ind_eval_institutions(*, p: Parameters, filed: int) -> Finding:
    met = filed >= p.eval_institutions_min
    return finding(
        "IND-EVAL-INSTITUTIONS",
        "city",
        f"新备案用人单位职业技能等级认定机构 {filed} 家（目标 {p.eval_institutions_min} 家以上）"
        + ("" if met else "，未达到"),
        filed=filed,
        bound=p.eval_institutions_min,
        met=met,
    )


def ind_competitions(*, p: Parameters, events: int, occupations: int, certified: int) -> Finding:
    met = (
        events >= p.competition_events_min
        and occupations >= p.competition_occupations_min
        and certified >= p.competition_certified_min
    )
    return finding(
        "IND-COMPETITIONS",
        "city",
        f"举办职业技能竞赛 {events} 场（目标 {p.competition_events_min} 场以上），覆盖职业（工种）{occupations} 个"
        f"（{p.competition_occupations_min} 个以上），取证选手 {certified} 人（{p.competition_certified_min} 人以上）"
        + ("" if met else "，未全部达到"),
        events=events,
        occupations=occupations,
        certified=certified,
        met=met,
    )


def ind_vouchers(*, p: Parameters, issued: int, used: int) -> Finding:
    met = issued >= p.vouchers_issued_target and used >= p.vouchers_used_target
    return finding(
        "IND-VOUCHERS",
        "city",
        f"发放职业培训券 {issued:,} 张（目标 {p.vouchers_issued_target:,} 张），有效使用 {used:,} 张"
        f"（目标 {p.vouchers_used_target:,} 张以上）" + ("" if met else "，未达到"),
        issued=issued,
        used=used,
        met=met,
    )


def ind_publicity(*, p: Parameters, unit: str, kind: Literal["area", "department"], reports: int) -> Finding:
    """IND-PUBLICITY for one unit: an area ≥ 3 reports in county-level or higher media, a member
    unit ≥ 1 in city-level or higher media (the caller counts at the right level)."""
    bound = p.publicity_county_min if kind == "area" else p.publicity_member_min
    level = "县级以上" if kind == "area" else "市级以上"
    met = reports >= bound
    return finding(
        "IND-PUBLICITY",
        unit,
        f"在{level}媒体发布宣传信息 {reports} 篇（不少于 {bound} 篇）" + ("" if met else "，未达到"),
        reports=reports,
        bound=bound,
        met=met,
    )
