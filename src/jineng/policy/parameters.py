"""The parameters a policy file must hold, with their types.

This dataclass is the schema of a policy file: the loader accepts exactly these keys, converts
each value to the declared type and refuses anything else. Rule functions receive one instance,
resolved for the date in question, so they never read files or dates themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from decimal import Decimal
from types import MappingProxyType
from typing import Any

# Keys of `subsidy_standard`: level_5 … level_1 for 职业资格证书 and 职业技能等级证书 (one scale), and
# one amount for each ungraded kind.
SUBSIDY_STANDARD_KEYS = (
    "level_5",
    "level_4",
    "level_3",
    "level_2",
    "level_1",
    "special_operation",
    "special_equipment",
    "special_capability",
    "training_qualified",
)


@dataclass(frozen=True, slots=True)
class Parameters:
    # A. 开班审批
    class_size_max: int
    teacher_ratio: int
    station_ratio: int
    teachers_min: int
    hour_minutes_min: int
    practical_share_min: Decimal
    online_share_max: Decimal
    qualified_hours_min: int
    problem_since: dt.date
    apprentice_per_enterprise_max: int
    apprentice_annual_max: MappingProxyType[str, int] = field(metadata={"keys": ("academic", "other")})
    # B. 学员资格
    cooldown_months: int = 0
    inmate_release_before: dt.date = dt.date.min
    # C. 过程监管
    inspections_min: int = 0
    practical_video_min_minutes: int = 0
    video_fail_max: int = 0
    video_retention_years: int = 0
    satisfaction_min: Decimal = Decimal(0)
    rectification_months: int = 0
    # System parameters the plan does not fix: which face check-in counts for which class hour.
    checkin_match_min: Decimal = Decimal(0)
    checkin_early_minutes: int = 0
    # D. 互联网+
    online_seek_tolerance_seconds: int = 0
    online_popup_gap_max_seconds: int = 0
    online_default_hour_minutes: int = 0
    # E. 结业考核
    assessment_notice_days: int = 0
    ledger_days: int = 0
    # F. 补贴资金
    signers_min: int = 0
    industry_review_working_days: int = 0
    public_notice_working_days: int = 0
    finance_push_months: int = 0
    cert_share_max: Decimal = Decimal(0)
    fund_share_min: Decimal = Decimal(0)
    # Yuan per certified trainee, by certificate kind and, for the two graded kinds, by level.
    subsidy_standard: MappingProxyType[str, Decimal] = field(
        default=MappingProxyType({}), metadata={"keys": SUBSIDY_STANDARD_KEYS, "money": True}
    )
    # G. 电子职业培训券
    vouchers_issued_target: int = 0
    vouchers_used_target: int = 0
    voucher_valid_days: int = 0
    # H. 目标任务
    high_skilled_share_min: Decimal = Decimal(0)
    manufacturing_share_min: Decimal = Decimal(0)
    eval_institutions_min: int = 0
    competition_events_min: int = 0
    competition_occupations_min: int = 0
    competition_certified_min: int = 0
    publicity_county_min: int = 0
    publicity_member_min: int = 0
    reporting_cadence: tuple[str, ...] = ()
    # How far below time progress a target may be and still show amber rather than red.
    progress_amber_gap: Decimal = Decimal(0)


# The defaults above exist only so the dataclass can be declared; the loader requires every key.
PARAMETER_TYPES: dict[str, Any] = {f.name: f.type for f in fields(Parameters)}
PARAMETER_KEYS: dict[str, tuple[str, ...]] = {
    f.name: tuple(f.metadata["keys"]) for f in fields(Parameters) if "keys" in f.metadata
}
MONEY_PARAMETERS = frozenset(f.name for f in fields(Parameters) if f.metadata.get("money"))
