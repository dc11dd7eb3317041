"""The VCH-* rule functions (jineng.policy.rules.vouchers) on their own: no database."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from jineng.policy.loader import policies
from jineng.policy.parameters import Parameters
from jineng.policy.rules.subsidy import subsidy_amount
from jineng.policy.rules.vouchers import vch_cert_value, vch_real_name, vch_target, voucher_expiry

DAY = dt.date(2023, 4, 20)


def params() -> Parameters:
    policy = policies().in_force(DAY)
    assert policy is not None
    return policy.parameters_on(DAY)


def test_a_voucher_is_valid_for_the_configured_days_counting_the_day_of_issue() -> None:
    p = params()
    assert p.voucher_valid_days == 180
    assert voucher_expiry(p=p, issued_on=DAY) == dt.date(2023, 10, 16)
    one_day = dataclasses.replace(p, voucher_valid_days=1)
    assert voucher_expiry(p=one_day, issued_on=DAY) == DAY


def test_the_holder_may_use_the_voucher_and_nobody_else() -> None:
    assert vch_real_name(code="ABCDEFGHJKLM", holder_id=7, enrollee_id=7) is None
    refused = vch_real_name(code="ABCDEFGHJKLM", holder_id=7, enrollee_id=8)
    assert refused is not None and refused.rule == "VCH-REAL-NAME" and refused.outcome == "block"
    assert refused.subject == "voucher:ABCDEFGHJKLM" and "不得转让" in refused.message
    assert refused.values == {"holder": 7, "enrollee": 8} and refused.clause == "二(四)"


def test_no_certificate_no_value_and_a_certificate_is_worth_its_standard() -> None:
    standard, _ = subsidy_amount(p=params(), kind="skill_level", level=4)
    assert standard == Decimal("1500.00")
    value, finding = vch_cert_value(code="C", has_certificate=True, standard=standard)
    assert value == Decimal("1500.00") and finding is None
    value, finding = vch_cert_value(code="C", has_certificate=False, standard=standard)
    assert value is None and finding is not None and finding.rule == "VCH-CERT-VALUE"
    assert "无证无价" in finding.message


def test_the_target_is_met_only_when_both_counts_reach_it() -> None:
    p = params()
    assert (p.vouchers_issued_target, p.vouchers_used_target) == (50000, 10000)
    met = vch_target(p=p, issued=50000, used=10000)
    assert met.values["met"] is True and met.message.endswith("已完成") and "50,000" in met.message
    short_issued = vch_target(p=p, issued=49999, used=20000)
    short_used = vch_target(p=p, issued=60000, used=9999)
    assert short_issued.values["met"] is False and short_used.values["met"] is False
    assert short_used.message.endswith("未完成") and short_used.rule == "VCH-TARGET"
    assert short_used.values["issued"] == 60000 and short_used.values["used_target"] == 10000
