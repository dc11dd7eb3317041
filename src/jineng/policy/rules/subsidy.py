"""SUB-* rules (RULES.md section F, 二(三)4, 三(三), 附件3): claims, notice, push, payment.

Pure functions. Working days come from `jineng.workdays` (the official calendar shipped with
chinese-calendar: a table, not the clock or the database). Amounts are Decimal yuan to the fen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from jineng.workdays import Deadline, add_working_days

from ..findings import Finding, finding
from ..parameters import Parameters
from .assessment import CERTIFICATE_ZH
from .trainees import add_months

FEN = Decimal("0.01")
LEVEL_ZH = {5: "五级/初级工", 4: "四级/中级工", 3: "三级/高级工", 2: "二级/技师", 1: "一级/高级技师"}
GRADED = frozenset({"vocational_qualification", "skill_level"})
# Reasons whose `scope` voids the whole trainee (as opposed to cutting hours, which is a note).
VOIDING_SCOPES = frozenset({"trainee", "class"})


def standard_key(kind: str, level: int | None) -> str | None:
    """The key of `subsidy_standard` for a certificate; None when a graded certificate has no level."""
    if kind in GRADED:
        return f"level_{level}" if level in LEVEL_ZH else None
    return kind


def subsidy_amount(*, p: Parameters, kind: str, level: int | None) -> tuple[Decimal, str]:
    """The standard for one certified trainee and its label (e.g. 职业技能等级证书·四级/中级工)."""
    key = standard_key(kind, level)
    if key is None or key not in p.subsidy_standard:
        return Decimal("0.00"), ""
    label = CERTIFICATE_ZH.get(kind, kind) + (f"·{LEVEL_ZH[level]}" if kind in GRADED and level else "")
    return p.subsidy_standard[key].quantize(FEN), label


def sub_in_system(*, subsidised: bool, state: str, state_label: str) -> Finding | None:
    """SUB-IN-SYSTEM: only a subsidised class approved in the system and ended (结业) under its
    supervision is claimable."""
    if subsidised and state == "ended":
        return None
    why = (
        "不是补贴性培训班"
        if not subsidised
        else f"当前状态为“{state_label}”，须经系统审批开班、过程监管并结业后方可申领"
    )
    return finding(
        "SUB-IN-SYSTEM",
        "class",
        f"只有在系统内审批和监管的班级可以申领补贴（系统之外零补贴）：本班{why}",
        state=state,
        subsidised=subsidised,
        scope="class",
    )


@dataclass(frozen=True, slots=True)
class LineDecision:
    payable: bool
    amount: Decimal
    standard: str
    blocks: list[Finding]
    notes: list[Finding]


def claim_line(
    *,
    p: Parameters,
    reasons: Sequence[Finding],
    certificate_kind: str | None,
    certificate_level: int | None,
) -> LineDecision:
    """One trainee's line: payable unless a reason voids the trainee or the whole class (coded by
    rule ID); then the standard of the certificate obtained. Reasons that only cut hours are notes.
    """
    blocks = [r for r in reasons if r.values.get("scope") in VOIDING_SCOPES or r.outcome == "block"]
    notes = [r for r in reasons if r not in blocks]
    if blocks or certificate_kind is None:
        return LineDecision(False, Decimal("0.00"), "", blocks, notes)
    amount, label = subsidy_amount(p=p, kind=certificate_kind, level=certificate_level)
    if amount <= 0:
        return LineDecision(False, Decimal("0.00"), label, blocks, notes)
    return LineDecision(True, amount, label, blocks, notes)


def claim_total(amounts: Sequence[Decimal]) -> Decimal:
    return sum((a for a in amounts), Decimal("0.00")).quantize(FEN)


def industry_due(*, p: Parameters, accepted_on: dt.date) -> Deadline:
    """SUB-INDUSTRY-DEADLINE: the 10th working day after acceptance (the day of acceptance not counted)."""
    return add_working_days(accepted_on, p.industry_review_working_days)


def sub_industry_deadline(
    *, p: Parameters, accepted_on: dt.date, signed_on: dt.date | None, today: dt.date
) -> Finding | None:
    """SUB-INDUSTRY-DEADLINE (a deadline): the department's two signatures within the period."""
    due = industry_due(p=p, accepted_on=accepted_on)
    done = signed_on if signed_on is not None else today
    if done <= due.due:
        return None
    state = f"于 {signed_on} 完成复核" if signed_on is not None else f"至 {today} 尚未完成"
    return finding(
        "SUB-INDUSTRY-DEADLINE",
        "claim",
        f"行业主管部门应自受理之日（{accepted_on}）起 {p.industry_review_working_days} 个工作日内（{due.due} 前）"
        f"完成审核，{state}，已超期",
        accepted_on=accepted_on,
        due=due.due,
        signed_on=signed_on,
        official_calendar=due.official,
    )


def notice_until(*, p: Parameters, published_on: dt.date) -> Deadline:
    """The last day of a public notice published on `published_on` that runs `public_notice_working_days`
    working days: the day of publication counts when it is a working day (published 2023-09-27, a
    Wednesday, with 5 days: 27, 28 Sep, then 国庆/中秋 until the adjusted working weekend of 7–8 Oct,
    then 9 Oct — the notice ends on 2023-10-09)."""
    return add_working_days(published_on - dt.timedelta(days=1), p.public_notice_working_days)


def sub_public_notice(
    *,
    p: Parameters,
    notice_from: dt.date | None,
    notice_until_day: dt.date | None,
    today: dt.date,
    open_objections: int,
) -> Finding | None:
    """SUB-PUBLIC-NOTICE (a block on payment): noticed for the full period, the period over, and
    no objection left unresolved."""
    if notice_from is None or notice_until_day is None:
        return finding(
            "SUB-PUBLIC-NOTICE",
            "claim",
            f"审查结果须在官方网站公示不少于 {p.public_notice_working_days} 个工作日：尚未公示",
            notice_from=None,
        )
    required = notice_until(p=p, published_on=notice_from).due
    if notice_until_day < required:
        return finding(
            "SUB-PUBLIC-NOTICE",
            "claim",
            f"公示期 {notice_from} 至 {notice_until_day} 不足 {p.public_notice_working_days} 个工作日"
            f"（应至 {required}）",
            notice_from=notice_from,
            notice_until=notice_until_day,
            required_until=required,
        )
    if today <= notice_until_day:
        return finding(
            "SUB-PUBLIC-NOTICE",
            "claim",
            f"公示期 {notice_from} 至 {notice_until_day} 尚未结束",
            notice_from=notice_from,
            notice_until=notice_until_day,
        )
    if open_objections:
        return finding(
            "SUB-PUBLIC-NOTICE",
            "claim",
            f"公示期间收到的 {open_objections} 件异议尚未处理完毕，暂缓拨付",
            notice_from=notice_from,
            notice_until=notice_until_day,
            open_objections=open_objections,
        )
    return None


def push_due(*, p: Parameters, notice_ended: dt.date) -> dt.date:
    """SUB-MONTHLY-PUSH: a claim whose notice ended is pushed to finance within one push cycle
    (`finance_push_months` calendar months, clamped to the month's end)."""
    return add_months(notice_ended, p.finance_push_months)


def sub_monthly_push(
    *, p: Parameters, notice_ended: dt.date, pushed_on: dt.date | None, today: dt.date
) -> Finding | None:
    due = push_due(p=p, notice_ended=notice_ended)
    done = pushed_on if pushed_on is not None else today
    if done <= due:
        return None
    state = f"于 {pushed_on} 推送" if pushed_on is not None else "至今未推送"
    return finding(
        "SUB-MONTHLY-PUSH",
        "claim",
        f"人社部门应按月向财政部门汇总推送：公示于 {notice_ended} 结束，应于 {due} 前推送，{state}",
        notice_ended=notice_ended,
        due=due,
        pushed_on=pushed_on,
    )


def sub_no_double_pay(*, subject: str, paid_elsewhere: Sequence[str]) -> Finding | None:
    """SUB-NO-DOUBLE-PAY: this person × class already has a payment (`paid_elsewhere` names it)."""
    if not paid_elsewhere:
        return None
    return finding(
        "SUB-NO-DOUBLE-PAY",
        subject,
        f"同一人同一班次最多补贴一次：已于 {'、'.join(paid_elsewhere)} 拨付",
        paid=list(paid_elsewhere),
        scope="trainee",
    )


def clawback_problem(*, paid: Decimal, recovered: Decimal, amount: Decimal) -> str | None:
    """SUB-CLAWBACK: a recovery is positive, to the fen, and never more than what is still out."""
    if amount <= 0 or amount != amount.quantize(FEN):
        return "收缴金额应为正数且精确到分"
    outstanding = paid - recovered
    if amount > outstanding:
        return f"收缴金额 {amount} 元超过尚未收缴的拨付金额 {outstanding} 元（原拨付 {paid} 元，已收缴 {recovered} 元）"
    return None
