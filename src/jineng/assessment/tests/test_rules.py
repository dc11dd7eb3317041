"""The pure ASM-* rule functions (policy/rules/assessment.py)."""

from __future__ import annotations

import datetime as dt

from jineng.policy.catalog import Outcome
from jineng.policy.rules.assessment import (
    CertificateFacts,
    PoolClass,
    asm_cert_route,
    asm_certified,
    asm_ledger,
    asm_notice,
    asm_pooling,
    ledger_due,
    pooling_problems,
)

DAY = dt.date(2023, 5, 27)
ENDED = dt.date(2023, 5, 26)


def lathe(code: str, *, area: str = "禹州市", level: int | None = 4, certificate: str = "skill_level") -> PoolClass:
    return PoolClass(code, area, "车工（6-18-01-01）", level, certificate)


def test_asm_notice_passes_three_days_ahead_and_more() -> None:
    assert asm_notice(notice_days=3, filed_on=dt.date(2023, 5, 24), scheduled_on=DAY) is None
    assert asm_notice(notice_days=3, filed_on=dt.date(2023, 5, 1), scheduled_on=DAY) is None


def test_asm_notice_blocks_two_days_ahead() -> None:
    found = asm_notice(notice_days=3, filed_on=dt.date(2023, 5, 25), scheduled_on=DAY)
    assert found is not None and found.rule == "ASM-NOTICE" and found.outcome == Outcome.BLOCK
    assert found.values["ahead_days"] == 2 and "仅提前 2 天" in found.message


def test_asm_notice_blocks_a_date_in_the_past() -> None:
    found = asm_notice(notice_days=3, filed_on=dt.date(2023, 5, 28), scheduled_on=DAY)
    assert found is not None and found.values["ahead_days"] == -1


def test_the_ledger_is_due_fifteen_days_after_the_end() -> None:
    assert ledger_due(ledger_days=15, ended_on=ENDED) == dt.date(2023, 6, 10)


def test_asm_ledger_day_fifteen_in_time_day_sixteen_late() -> None:
    assert (
        asm_ledger(ledger_days=15, ended_on=ENDED, entered_on=dt.date(2023, 6, 10), today=dt.date(2023, 7, 1)) is None
    )
    late = asm_ledger(ledger_days=15, ended_on=ENDED, entered_on=dt.date(2023, 6, 11), today=dt.date(2023, 7, 1))
    assert late is not None and late.rule == "ASM-LEDGER" and late.outcome == Outcome.DEADLINE
    assert late.values["overdue_days"] == 1 and "实际于 2023-06-11 录入" in late.message


def test_asm_ledger_not_entered_is_overdue_only_after_the_due_date() -> None:
    assert asm_ledger(ledger_days=15, ended_on=ENDED, entered_on=None, today=dt.date(2023, 6, 10)) is None
    late = asm_ledger(ledger_days=15, ended_on=ENDED, entered_on=None, today=dt.date(2023, 6, 13))
    assert late is not None and late.values["overdue_days"] == 3 and "至今未录入" in late.message


def test_one_class_alone_has_no_pooling_question() -> None:
    assert pooling_problems([lathe("A")]) == [] and asm_pooling([lathe("A")]) is None


def test_classes_of_one_area_occupation_and_level_pool() -> None:
    classes = [lathe("A"), lathe("B")]
    assert pooling_problems(classes) == []
    found = asm_pooling(classes)
    assert found is not None and found.rule == "ASM-POOLING" and found.values["classes"] == ["A", "B"]


def test_each_difference_is_a_pooling_problem() -> None:
    problems = pooling_problems(
        [lathe("A"), lathe("B", area="长葛市"), lathe("C", level=None, certificate="special_capability")]
    )
    assert len(problems) == 3
    assert "班级 B 的县（市、区）（长葛市）" in problems[0]
    assert "班级 C 的等级（无）" in problems[1] and "证书类别" in problems[2]
    assert all("ASM-POOLING" in p for p in problems)
    assert asm_pooling([lathe("A"), lathe("B", area="长葛市")]) is None


def test_asm_cert_route_voids_a_training_certificate_where_an_evaluated_one_exists() -> None:
    found = asm_cert_route(class_certificate="training_qualified", occupation_routes=["skill_level"])
    assert found is not None and found.rule == "ASM-CERT-ROUTE" and "职业技能等级证书" in found.message
    assert asm_cert_route(class_certificate="training_qualified", occupation_routes=["training_qualified"]) is None
    assert asm_cert_route(class_certificate="skill_level", occupation_routes=["skill_level"]) is None


def test_asm_certified_for_each_kind_of_outcome() -> None:
    right = CertificateFacts("skill_level", 4, "N1")
    wrong = CertificateFacts("special_capability", None, "N2")
    subject = "trainee:x"
    assert asm_certified(subject=subject, class_certificate="skill_level", outcome="passed", certificate=right) is None
    found = {
        case: asm_certified(subject=subject, class_certificate="skill_level", outcome=outcome, certificate=cert)
        for case, outcome, cert in (
            ("other kind", "passed", wrong),
            ("none", None, None),
            ("absent", "absent", None),
            ("failed", "failed", None),
            ("no certificate", "passed", None),
        )
    }
    messages = {case: f.message for case, f in found.items() if f is not None and f.rule == "ASM-CERT-ROUTE"}
    assert len(messages) == 5
    assert "专项职业能力证书" in messages["other kind"]
    assert "尚未录入结业考核结果" in messages["none"]
    assert "缺考" in messages["absent"]
    assert "不合格" in messages["failed"]
    assert "以证定补" in messages["no certificate"]
