"""The SUB-* rule functions on their boundaries, written as data where they are tables.

Working days follow the State Council's calendar: 2023 中秋/国庆 is 29 Sep – 6 Oct with 7 and 8 Oct
(Sat, Sun) worked; 2024 春节 is 10 – 17 Feb with 4 Feb (Sun) and 18 Feb (Sun) worked.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from jineng.policy.findings import finding
from jineng.policy.loader import PolicyError, policies
from jineng.policy.parameters import Parameters
from jineng.policy.rules.subsidy import (
    claim_line,
    clawback_problem,
    industry_due,
    notice_until,
    push_due,
    sub_in_system,
    sub_industry_deadline,
    sub_monthly_push,
    sub_no_double_pay,
    sub_public_notice,
    subsidy_amount,
)

D = dt.date


@pytest.fixture(scope="module")
def p() -> Parameters:
    policy = policies().in_force(D(2023, 5, 1))
    assert policy is not None
    return policy.parameters_on(D(2023, 5, 1))


@pytest.mark.parametrize(
    ("published", "last_day"),
    [
        (D(2023, 9, 25), D(2023, 10, 7)),  # 25, 26, 27, 28, then the adjusted working Saturday 7 Oct
        (D(2023, 9, 27), D(2023, 10, 9)),  # 27, 28, (holiday), 7 Sat, 8 Sun worked, 9
        (D(2023, 10, 1), D(2023, 10, 11)),  # published on a holiday: 7, 8, 9, 10, 11
        (D(2023, 10, 7), D(2023, 10, 11)),  # published on the adjusted working Saturday, which counts
        (D(2024, 2, 7), D(2024, 2, 19)),  # 7, 8, 9, (春节 10–17), 18 Sun worked, 19
        (D(2024, 2, 4), D(2024, 2, 8)),  # the adjusted working Sunday before 春节 counts: 4, 5, 6, 7, 8
        (D(2023, 6, 5), D(2023, 6, 9)),  # an ordinary Monday: Mon–Fri
    ],
)
def test_a_five_working_day_notice_ends_on(p: Parameters, published: dt.date, last_day: dt.date) -> None:
    assert notice_until(p=p, published_on=published).due == last_day


@pytest.mark.parametrize(
    ("accepted", "due"),
    [
        (D(2023, 9, 25), D(2023, 10, 13)),  # 26, 27, 28, then 7, 8, 9, 10, 11, 12, 13 Oct
        (D(2024, 2, 5), D(2024, 2, 23)),  # 6, 7, 8, 9, 18 (Sun worked), 19, 20, 21, 22, 23
        (D(2023, 6, 5), D(2023, 6, 19)),  # 6–9, 12–16, 19 (no holiday; 端午 is 22–24 Jun)
    ],
)
def test_the_industry_department_has_ten_working_days_from_acceptance(
    p: Parameters, accepted: dt.date, due: dt.date
) -> None:
    assert industry_due(p=p, accepted_on=accepted).due == due


def test_signing_on_the_tenth_working_day_is_in_time_and_the_next_working_day_is_late(p: Parameters) -> None:
    accepted = D(2023, 9, 25)
    assert sub_industry_deadline(p=p, accepted_on=accepted, signed_on=D(2023, 10, 13), today=D(2023, 11, 1)) is None
    late = sub_industry_deadline(p=p, accepted_on=accepted, signed_on=D(2023, 10, 16), today=D(2023, 11, 1))
    assert late is not None and late.rule == "SUB-INDUSTRY-DEADLINE" and late.values["due"] == D(2023, 10, 13)
    waiting = sub_industry_deadline(p=p, accepted_on=accepted, signed_on=None, today=D(2023, 10, 14))
    assert waiting is not None and "尚未完成" in waiting.message
    assert sub_industry_deadline(p=p, accepted_on=accepted, signed_on=None, today=D(2023, 10, 13)) is None


def test_payment_waits_for_the_whole_notice_and_every_objection(p: Parameters) -> None:
    start, end = D(2023, 9, 27), D(2023, 10, 9)
    assert sub_public_notice(p=p, notice_from=None, notice_until_day=None, today=end, open_objections=0) is not None
    running = sub_public_notice(p=p, notice_from=start, notice_until_day=end, today=end, open_objections=0)
    assert running is not None and "尚未结束" in running.message
    assert (
        sub_public_notice(p=p, notice_from=start, notice_until_day=end, today=D(2023, 10, 10), open_objections=0)
        is None
    )
    held = sub_public_notice(p=p, notice_from=start, notice_until_day=end, today=D(2023, 10, 10), open_objections=1)
    assert held is not None and held.values["open_objections"] == 1
    short = sub_public_notice(
        p=p, notice_from=start, notice_until_day=D(2023, 10, 8), today=D(2023, 11, 1), open_objections=0
    )
    assert short is not None and short.values["required_until"] == end


def test_the_push_is_due_within_a_month_of_the_notice_ending(p: Parameters) -> None:
    assert push_due(p=p, notice_ended=D(2023, 10, 9)) == D(2023, 11, 9)
    assert push_due(p=p, notice_ended=D(2023, 1, 31)) == D(2023, 2, 28)
    assert sub_monthly_push(p=p, notice_ended=D(2023, 10, 9), pushed_on=D(2023, 11, 9), today=D(2024, 1, 1)) is None
    late = sub_monthly_push(p=p, notice_ended=D(2023, 10, 9), pushed_on=D(2023, 11, 10), today=D(2024, 1, 1))
    assert late is not None and late.rule == "SUB-MONTHLY-PUSH"


@pytest.mark.parametrize(
    ("kind", "level", "amount", "label"),
    [
        ("skill_level", 5, "1000.00", "职业技能等级证书·五级/初级工"),
        ("skill_level", 4, "1500.00", "职业技能等级证书·四级/中级工"),
        ("vocational_qualification", 3, "2000.00", "职业资格证书·三级/高级工"),
        ("skill_level", 2, "3000.00", "职业技能等级证书·二级/技师"),
        ("skill_level", 1, "3500.00", "职业技能等级证书·一级/高级技师"),
        ("special_operation", None, "800.00", "特种作业操作证"),
        ("special_equipment", None, "800.00", "特种设备作业人员证"),
        ("special_capability", None, "600.00", "专项职业能力证书"),
        ("training_qualified", None, "300.00", "培训合格证书"),
        ("skill_level", None, "0.00", ""),  # a graded certificate without its level has no standard
    ],
)
def test_the_standard_comes_from_the_policy_file(
    p: Parameters, kind: str, level: int | None, amount: str, label: str
) -> None:
    assert subsidy_amount(p=p, kind=kind, level=level) == (Decimal(amount), label)


def test_reasons_that_cut_hours_are_notes_and_reasons_that_void_the_trainee_are_blocks(p: Parameters) -> None:
    hours = finding("SUP-FACE-CHECKIN", "trainee:x", "2 个课时缺勤", scope="hours")
    voided = finding("SUP-FACE-CHECKIN", "trainee:x", "无签到", scope="trainee")
    paid = claim_line(p=p, reasons=[hours], certificate_kind="skill_level", certificate_level=4)
    assert (paid.payable, paid.amount, [n.rule for n in paid.notes]) == (True, Decimal("1500.00"), ["SUP-FACE-CHECKIN"])
    unpaid = claim_line(p=p, reasons=[hours, voided], certificate_kind="skill_level", certificate_level=4)
    assert (unpaid.payable, unpaid.amount, [b.values["scope"] for b in unpaid.blocks]) == (
        False,
        Decimal("0"),
        ["trainee"],
    )
    uncertified = claim_line(p=p, reasons=[], certificate_kind=None, certificate_level=None)
    assert not uncertified.payable


def test_only_an_ended_subsidised_class_is_claimable() -> None:
    assert sub_in_system(subsidised=True, state="ended", state_label="已结业") is None
    for subsidised, state in ((True, "approved"), (False, "ended"), (True, "draft")):
        found = sub_in_system(subsidised=subsidised, state=state, state_label=state)
        assert found is not None and found.rule == "SUB-IN-SYSTEM" and found.values["scope"] == "class"


def test_a_person_already_paid_for_the_class_is_named() -> None:
    assert sub_no_double_pay(subject="trainee:x", paid_elsewhere=[]) is None
    found = sub_no_double_pay(subject="trainee:x", paid_elsewhere=["BT-XC2023000001"])
    assert found is not None and "BT-XC2023000001" in found.message


@pytest.mark.parametrize(
    ("amount", "ok"),
    [("500.00", True), ("500.01", False), ("0.00", False), ("-1.00", False), ("0.001", False), ("0.01", True)],
)
def test_a_recovery_never_exceeds_what_is_still_out(amount: str, ok: bool) -> None:
    problem = clawback_problem(paid=Decimal("1500.00"), recovered=Decimal("1000.00"), amount=Decimal(amount))
    assert (problem is None) == ok


def test_the_policy_file_refuses_a_money_standard_written_as_a_float() -> None:
    import yaml

    from jineng.policy.loader import DATA_DIR, parse_policy

    data = yaml.safe_load((DATA_DIR / "xuchang-2023.yaml").read_text(encoding="utf-8"))
    data["parameters"]["subsidy_standard"]["values"][D(2023, 1, 1)]["level_4"] = 1500.5
    with pytest.raises(PolicyError, match="level_4"):
        parse_policy(data)
    data["parameters"]["subsidy_standard"]["values"][D(2023, 1, 1)]["level_4"] = "1500.555"
    with pytest.raises(PolicyError, match="精确到分"):
        parse_policy(data)
