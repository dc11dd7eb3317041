"""Identifiers people read: masked the same way everywhere, validated by python-stdnum."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from jineng.ids import is_valid_uscc, mask_phone, mask_ric, uscc_problem

VALID_USCC = "91110000600037341L"  # stdnum's own documented example


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("41108119900101123X", "4110**********123X"),
        ("411081199001011235", "4110**********1235"),
        ("", ""),
        (None, ""),
        ("1234567", "*******"),
    ],
)
def test_resident_ids_keep_region_and_last_four(number: str | None, masked: str) -> None:
    assert mask_ric(number) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [("13812345678", "138****5678"), ("", ""), (None, ""), ("1234567", "*******")],
)
def test_phones_keep_prefix_and_last_four(number: str | None, masked: str) -> None:
    assert mask_phone(number) == masked


def test_a_valid_unified_social_credit_code_passes() -> None:
    assert uscc.is_valid(VALID_USCC)
    assert is_valid_uscc(VALID_USCC)
    assert uscc_problem(VALID_USCC) is None


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (VALID_USCC[:-1], "应为 18 位"),
        (VALID_USCC[:-1] + "M", "校验码"),
        ("91110000600037341I", "不允许的字符"),
    ],
)
def test_a_bad_unified_social_credit_code_is_named_with_its_reason(code: str, reason: str) -> None:
    assert not is_valid_uscc(code)
    problem = uscc_problem(code)
    assert problem is not None and reason in problem and code in problem
