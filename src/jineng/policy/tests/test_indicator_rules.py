"""IND-* indicator functions on their boundaries (RULES.md H), written as data where they are tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from jineng.policy.loader import policies
from jineng.policy.parameters import Parameters
from jineng.policy.rules.indicators import (
    completion,
    ind_competitions,
    ind_eval_institutions,
    ind_high_share,
    ind_manufacturing_share,
    ind_publicity,
    ind_vouchers,
    status,
    sub_cert_share,
    time_progress,
)

D = dt.date


@pytest.fixture(scope="module")
def p() -> Parameters:
    policy = policies().in_force(D(2023, 1, 1))
    assert policy is not None
    return policy.parameters_on(D(2023, 1, 1))


@pytest.mark.parametrize(
    ("as_of", "share"),
    [
        (D(2023, 6, 30), "0.5000"),  # the end of June is half the year
        (D(2023, 3, 31), "0.2500"),
        (D(2023, 12, 31), "1.0000"),
        (D(2023, 1, 1), "0.0027"),  # 1 of 365 days
        (D(2023, 6, 11), "0.4438"),  # 162 of 365 days, inside a month
        (D(2022, 12, 31), "0"),
        (D(2024, 1, 1), "1"),
    ],
)
def test_time_progress(as_of: dt.date, share: str) -> None:
    assert time_progress(as_of=as_of, year=2023) == Decimal(share)


@pytest.mark.parametrize(
    ("done", "expected"),
    [("0.5000", "green"), ("0.5001", "green"), ("0.4000", "amber"), ("0.3999", "red"), (None, "none")],
)
def test_status_against_half_a_year(p: Parameters, done: str | None, expected: str) -> None:
    assert status(p=p, done=None if done is None else Decimal(done), elapsed=Decimal("0.5000")) == expected


def test_completion_needs_a_target() -> None:
    assert completion(3, 8) == Decimal("0.3750")
    assert completion(3, None) is None and completion(3, 0) is None


@pytest.mark.parametrize(("high", "skilled", "met"), [(35, 100, True), (34, 100, False), (0, 0, False)])
def test_the_high_skilled_share_is_at_least_35_percent(p: Parameters, high: int, skilled: int, met: bool) -> None:
    assert ind_high_share(p=p, high=high, skilled=skilled).values["met"] is met


@pytest.mark.parametrize(("mfg", "subsidised", "met"), [(30, 100, True), (29, 100, False)])
def test_the_manufacturing_share_is_at_least_30_percent(p: Parameters, mfg: int, subsidised: int, met: bool) -> None:
    assert ind_manufacturing_share(p=p, manufacturing=mfg, subsidised=subsidised).values["met"] is met


@pytest.mark.parametrize(("low", "total", "met"), [(10, 100, True), (11, 100, False), (0, 0, True)])
def test_the_low_certificate_share_is_at_most_10_percent(p: Parameters, low: int, total: int, met: bool) -> None:
    assert sub_cert_share(p=p, low=low, certificates=total).values["met"] is met


def test_registers_against_their_bounds(p: Parameters) -> None:
    assert ind_eval_institutions(p=p, filed=100).values["met"] is True
    assert ind_eval_institutions(p=p, filed=99).values["met"] is False
    assert ind_competitions(p=p, events=20, occupations=10, certified=300).values["met"] is True
    assert ind_competitions(p=p, events=20, occupations=9, certified=300).values["met"] is False
    assert ind_vouchers(p=p, issued=50_000, used=10_000).values["met"] is True
    assert ind_vouchers(p=p, issued=50_000, used=9_999).values["met"] is False
    assert ind_publicity(p=p, unit="禹州市", kind="area", reports=3).values["met"] is True
    assert ind_publicity(p=p, unit="禹州市", kind="area", reports=2).values["met"] is False
    assert ind_publicity(p=p, unit="市工信局", kind="department", reports=1).values["met"] is True
