"""The demo's assessments, subsidy claims, payments and vouchers — all through the services, with
the dates of 2023 passed in as "today" so the deadlines and the notice fall where they would have.

- 禹州 lathe class (the first ended class): assessed, claimed, reviewed by two people at every stage,
  noticed over 劳动节 2023 with one objection upheld, pushed, signed by finance twice, paid, and
  one payment recovered later (收缴). Its annex 3 form is complete.
- 长葛 welder class: assessed and claimed; accepted and signed once by 市工信局 — waiting for the
  re-check by a second person (dept_mii_2).
- 魏都 infant-care class: its satisfaction survey fell below 85 %, so its assessment is suspended
  and filing it is refused (SUP-SATISFACTION) — the clerk sees why.
- Vouchers: a batch issued by 禹州 HR to real-named workers; three redeemed at enrolment in the
  approved 禹州 ceramics class, worth nothing until their certificates exist (VCH-CERT-VALUE).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

from jineng.accounts.models import User
from jineng.assessment.services import CertificateInput, ResultInput, ledger_enter, plan_file, results_record
from jineng.classes.errors import RuleBlocked
from jineng.classes.models import ClassState, Enrollment, TrainingClass
from jineng.subsidy.models import PaymentLine, SubsidyClaim
from jineng.subsidy.services import (
    ClaimInput,
    ClawbackInput,
    DisbursementInput,
    batch_push,
    batch_sign,
    claim_create,
    claim_disburse,
    claim_publish,
    claim_review,
    claim_submit,
    objection_record,
    objection_resolve,
    payment_clawback,
)

Say = Callable[[str], None]
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


@contextmanager
def on(day: dt.date, hour: int = 10) -> Iterator[None]:
    """Act as on `day` (Beijing time): every timestamp the services write — steps, filings,
    payments — and every "today" they read fall on that day, a second apart, so the demo's record
    reads as it would have in 2023. The audit log keeps its own real time of writing."""
    moment = dt.datetime.combine(day, dt.time(hour), tzinfo=BEIJING).astimezone(dt.UTC)
    ticks = itertools.count()
    with mock.patch("django.utils.timezone.now", side_effect=lambda: moment + dt.timedelta(seconds=next(ticks))):
        yield


# Roster rows of the lathe class with another outcome than 合格 (row 36 never checked in: it is
# certified, but SUP-FACE-CHECKIN keeps it unpaid).
FAILED, ABSENT = 33, 34  # not among the first 18, whom later demo classes enrol again
OBJECTED_ROW, RECOVERED_ROW = 5, 7


def _v(claim: SubsidyClaim) -> int:
    claim.refresh_from_db()
    return claim.version


def _assess(cls: TrainingClass, evaluator: User, *, failed: tuple[int, ...] = (), absent: tuple[int, ...] = ()) -> int:
    """File the plan five days ahead of a date a week after the class; record the results two weeks later."""
    day = cls.end + dt.timedelta(days=7)
    with on(day - dt.timedelta(days=5)):
        plan = plan_file(
            actor=evaluator,
            class_ids=[cls.pk],
            scheduled_on=day,
            place=f"{cls.area.name}职业技能鉴定考点",
            inspector="许昌市人社局考务巡查组",
        )
    results = []
    for e in Enrollment.objects.filter(training_class=cls).order_by("row"):
        if e.row in absent:
            results.append(ResultInput(e.pk, "absent"))
        elif e.row in failed:
            results.append(ResultInput(e.pk, "failed", Decimal("52.5")))
        else:
            number = f"{cls.code[-6:]}{e.row:03d}{day:%m%d}"
            certificate = CertificateInput(number=f"Y{number}", issued_on=day + dt.timedelta(days=12))
            results.append(ResultInput(e.pk, "passed", Decimal("81.0"), certificate))
    with on(day + dt.timedelta(days=14)):
        results_record(plan=plan, actor=evaluator, results=results)
    return sum(1 for r in results if r.certificate)


def _claim(cls: TrainingClass, clerk: User) -> SubsidyClaim:
    data = ClaimInput(
        contact=clerk.display_name,
        phone=f"1390374{cls.pk:04d}",
        bank_name="中国农业银行许昌分行营业部",
        bank_account=f"62284800{cls.pk:011d}",
        committed=True,
    )
    claim, _ = claim_create(cls=cls, actor=clerk, data=data)
    return claim


def _sign(claim: SubsidyClaim, users: dict[str, User], day: dt.date, *steps: tuple[str, str, str]) -> None:
    for hour, (user, action, opinion) in enumerate(steps, start=9):
        with on(day, hour):
            claim_review(claim=claim, actor=users[user], action=action, expected_version=_v(claim), opinion=opinion)


def seed_money(users: dict[str, User], say: Say) -> None:
    ended = list(
        TrainingClass.objects.filter(state=ClassState.ENDED, code__startswith="XC2023").order_by("start", "id")
    )
    if len(ended) < 3 or SubsidyClaim.objects.exists():
        return
    lathe, welder, infant = ended[:3]
    evaluator = users["evaluator"]

    certified = _assess(lathe, evaluator, failed=(FAILED,), absent=(ABSENT,))
    certified += _assess(welder, evaluator)
    try:
        with on(infant.end + dt.timedelta(days=2)):
            _assess(infant, evaluator)
    except RuleBlocked as refused:
        say(f"== {infant.code} 满意率不达标，结业考核暂停：{refused.message}")
    # The lathe class's ledger went in on time; the welder class's is overdue (ASM-LEDGER).
    with on(lathe.end + dt.timedelta(days=12)):
        ledger_enter(cls=lathe, actor=users["clerk_yz"], notes="台账已录入河南省技能人才管理服务信息系统")
    say(f"== 结业考核 2 批，取证 {certified} 人；培训台账 1 个按时录入，1 个逾期未录入")

    # The lathe class, all the way to payment and a later recovery.
    claimed_on = lathe.end + dt.timedelta(days=25)
    with on(claimed_on):
        claim = _claim(lathe, users["clerk_yz"])
        claim_submit(claim=claim, actor=users["clerk_yz"], expected_version=_v(claim))
    accepted = dt.date(2023, 4, 17)
    with on(accepted):
        claim_review(claim=claim, actor=users["dept_mii_1"], action="accept", expected_version=_v(claim))
    _sign(claim, users, dt.date(2023, 4, 20), ("dept_mii_1", "dept_first", "材料齐全，同意"))
    _sign(claim, users, dt.date(2023, 4, 21), ("dept_mii_2", "dept_second", "复核无误，同意"))
    _sign(
        claim,
        users,
        dt.date(2023, 4, 24),
        ("hr_yz_1", "hr_first", "符合补贴条件"),
        ("hr_yz_2", "hr_second", "复核同意，予以公示"),
    )
    published = dt.date(2023, 4, 26)  # 劳动节: 29 Apr – 3 May off, 23 Apr and 6 May worked
    with on(published):
        claim_publish(
            claim=claim,
            actor=users["hr_yz_1"],
            expected_version=_v(claim),
            published_on=published,
            site="禹州市人民政府网·人社局公示公告栏",
        )
    line = claim.lines.get(row=OBJECTED_ROW)
    with on(dt.date(2023, 4, 27)):
        objection = objection_record(
            claim=claim,
            actor=users["hr_yz_1"],
            received_on=dt.date(2023, 4, 27),
            source="群众来电（12333）",
            content="反映该学员培训期间在外地务工，未实际参训",
            line_id=line.pk,
        )
    with on(dt.date(2023, 5, 4)):
        objection_resolve(
            objection=objection,
            actor=users["hr_yz_2"],
            upheld=True,
            resolution="经调取签到记录与用工登记核实属实，取消该学员本次补贴",
        )
    with on(dt.date(2023, 5, 8)):
        batch = batch_push(actor=users["hr_yz_1"])
    with on(dt.date(2023, 5, 12)):
        batch_sign(batch=batch, actor=users["finance"], expected_version=batch.version, opinion="初审同意")
    batch.refresh_from_db()
    with on(dt.date(2023, 5, 15)):
        batch_sign(
            batch=batch, actor=users["finance_2"], expected_version=batch.version, opinion="复核同意，按规定拨付"
        )
    claim.refresh_from_db()
    paid_on = dt.date(2023, 5, 19)
    with on(paid_on):
        claim_disburse(
            claim=claim,
            actor=users["finance"],
            idempotency_key=f"demo-pay-{claim.code}",
            data=DisbursementInput(claim.amount, paid_on, "ABC2023051900017", "employment_fund"),
        )
    payment = PaymentLine.objects.get(line__claim=claim, line__row=RECOVERED_ROW)
    with on(dt.date(2024, 3, 12)):
        payment_clawback(
            payment=payment,
            actor=users["hr_yz_1"],
            data=ClawbackInput(
                payment.amount,
                "SUP-FACE-CHECKIN",
                "2024年专项审计发现该学员签到为他人代签",
                "YZSJ-2024-031",
                dt.date(2024, 3, 12),
            ),
        )
    claim.refresh_from_db()
    say(f"== 补贴申请 {claim.code}：{claim.payable_count} 人 {claim.amount} 元，已拨付，收缴 1 笔")

    # The welder class: waiting for the department's re-check by a second person.
    with on(welder.end + dt.timedelta(days=25)):
        second = _claim(welder, users["clerk_cg"])
        claim_submit(claim=second, actor=users["clerk_cg"], expected_version=_v(second))
    with on(welder.end + dt.timedelta(days=28)):
        claim_review(claim=second, actor=users["dept_mii_1"], action="accept", expected_version=_v(second))
    _sign(second, users, welder.end + dt.timedelta(days=30), ("dept_mii_1", "dept_first", "同意"))
    second.refresh_from_db()
    say(f"== 补贴申请 {second.code}：{second.payable_count} 人 {second.amount} 元，待行业部门复核")
    _seed_vouchers(users, say)


def _seed_vouchers(users: dict[str, User], say: Say) -> None:
    from jineng.vouchers.services import voucher_redeem, vouchers_issue

    ceramics = (
        TrainingClass.objects.filter(state=ClassState.APPROVED, institution__users=users["clerk_yz"])
        .order_by("start")
        .first()
    )
    if ceramics is None:
        return
    roster = list(Enrollment.objects.filter(training_class=ceramics).select_related("person").order_by("row")[:20])
    lines = ["身份证号,姓名,意愿"] + [f"{e.person.id_number},{e.person.name},是" for e in roster]
    with on(dt.date(2023, 3, 1)):
        batch = vouchers_issue(
            actor=users["hr_yz_1"],
            content="\n".join(lines).encode("utf-8"),
            filename="培训券发放名单.csv",
            purpose="禹州市2023年第一批电子职业培训券",
        )
    codes = {v.holder_id: v.code for v in batch.vouchers.all()}
    with on(dt.date(2023, 4, 20)):
        for e in roster[:3]:
            voucher_redeem(actor=users["clerk_yz"], code=codes[e.person_id], enrollment_id=e.pk)
    say(f"== 电子培训券 {batch.count} 张（{batch.code}），3 张已在 {ceramics.code} 报名时使用，取证前无兑现金额")
