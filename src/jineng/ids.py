"""Resident ID numbers and unified social credit codes.

Every check is python-stdnum's (`stdnum.cn.ric`, `stdnum.cn.uscc`); nothing here computes a
check digit. The only addition is a cache of the region-code lookup by (region, birth year),
because stdnum's region table search costs tens of microseconds and a roster repeats regions.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from functools import lru_cache

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError
from stdnum.util import isdigits


class IdProblem(StrEnum):
    LENGTH = "length"
    FORMAT = "format"
    CHECKSUM = "checksum"
    BIRTH_DATE = "birth_date"
    REGION = "region"
    BORN_LATER = "born_after_as_of"


ID_PROBLEM_ZH: dict[IdProblem, str] = {
    IdProblem.LENGTH: "长度不是18位",
    IdProblem.FORMAT: "前17位不全是数字",
    IdProblem.CHECKSUM: "校验码错误",
    IdProblem.BIRTH_DATE: "出生日期不存在",
    IdProblem.REGION: "行政区划代码在出生年份无效",
    IdProblem.BORN_LATER: "出生日期晚于核查日期",
}


_CANONICAL = re.compile(r"\d{17}[\dX]\Z")


def normalise_ric(number: str) -> str:
    """The canonical form stdnum compares: separators and spaces removed, a final x read as X."""
    # stdnum's compact() normalises character by character; a number already in canonical form
    # (nearly all of them) is returned as is, which is what compact() would return.
    if _CANONICAL.match(number):
        return number
    return str(ric.compact(number))


@lru_cache(maxsize=65536)
def _region_valid_in(region: str, year: int) -> bool:
    # stdnum decides whether the 6-digit region code existed in the birth year; the synthetic
    # number only carries region and year into its lookup.
    try:
        ric.get_birth_place(f"{region}{year:04d}0101000")
    except (ValidationError, KeyError):
        # stdnum raises KeyError for a code it lists without a county (e.g. 411071, a statistics
        # division code of 许昌经济技术开发区): not a region a resident ID can carry.
        return False
    return True


def ric_problem(number: str, *, as_of: dt.date | None = None) -> IdProblem | None:
    """Why `number` is not a valid resident ID (GB 11643, as stdnum checks it), or None."""
    compact = normalise_ric(number)
    if len(compact) != 18:
        return IdProblem.LENGTH
    if not isdigits(compact[:-1]):
        return IdProblem.FORMAT
    if compact[-1] != ric.calc_check_digit(compact):
        return IdProblem.CHECKSUM
    try:
        # As stdnum's get_birth_date, without its second compact() of the same number.
        born = dt.date(int(compact[6:10]), int(compact[10:12]), int(compact[12:14]))
    except ValueError:
        return IdProblem.BIRTH_DATE
    if not _region_valid_in(compact[:6], born.year):
        return IdProblem.REGION
    if as_of is not None and born > as_of:
        return IdProblem.BORN_LATER
    return None


def is_valid_ric(number: str) -> bool:
    return ric_problem(number) is None


def mask_ric(number: str | None) -> str:
    """4110**********123X: the region prefix and the last four kept, everything between hidden."""
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_name(name: str | None) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧**娜: the form public notices use (surname kept, and the last
    character of names longer than two)."""
    if not name:
        return ""
    if len(name) <= 2:
        return name[0] + "*" * (len(name) - 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_account(number: str | None) -> str:
    """A bank account with only its last four digits shown."""
    if not number:
        return ""
    return "*" * max(len(number) - 4, 0) + number[-4:]


def mask_phone(number: str | None) -> str:
    if not number:
        return ""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def uscc_problem(code: str) -> str | None:
    """Chinese reason why `code` is not a valid unified social credit code, or None."""
    try:
        uscc.validate(code)
    except ValidationError as exc:
        reason = _USCC_REASONS.get(type(exc).__name__, "格式不正确")
        return f"统一社会信用代码 {code!r} 无效：{reason}"
    return None


# stdnum's exception classes, in the words of GB 32100-2015.
_USCC_REASONS = {
    "InvalidLength": "应为 18 位",
    "InvalidFormat": "含有不允许的字符（只允许数字和除 I、O、S、V、Z 外的大写字母）",
    "InvalidChecksum": "校验码（第 18 位）不正确",
    "InvalidComponent": "登记管理部门代码、机构类别代码或行政区划码无效",
}


def is_valid_uscc(code: str) -> bool:
    return bool(uscc.is_valid(code))
