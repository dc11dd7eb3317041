"""ASM-* rules (RULES.md section E, 二(三)3, 附件2 备注3, 附件3): the completion assessment.

Pure functions: the caller passes the dates (Asia/Shanghai calendar dates), the class's route and
the trainee's result; nothing here reads the database or the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from ..findings import Finding, finding

# The certificates reached through an evaluation (鉴定评价或考核), as opposed to 培训合格证书.
EVALUATED_CERTIFICATES = frozenset(
    {"vocational_qualification", "skill_level", "special_operation", "special_equipment", "special_capability"}
)
CERTIFICATE_ZH = {
    "vocational_qualification": "职业资格证书",
    "skill_level": "职业技能等级证书",
    "special_operation": "特种作业操作证",
    "special_equipment": "特种设备作业人员证",
    "special_capability": "专项职业能力证书",
    "training_qualified": "培训合格证书",
}


def asm_notice(*, notice_days: int, filed_on: dt.date, scheduled_on: dt.date) -> Finding | None:
    """ASM-NOTICE: the assessment date is filed at least `notice_days` calendar days ahead
    (filed 2023-05-24 for 2023-05-27 passes with 3; filed 2023-05-25 does not)."""
    ahead = (scheduled_on - filed_on).days
    if ahead >= notice_days:
        return None
    return finding(
        "ASM-NOTICE",
        "assessment",
        f"组织考核（评价、鉴定）时间须提前 {notice_days} 天在系统中填报：考核日期 {scheduled_on}，"
        f"填报日期 {filed_on}，仅提前 {ahead} 天",
        filed_on=filed_on,
        scheduled_on=scheduled_on,
        ahead_days=ahead,
        notice_days=notice_days,
    )


def ledger_due(*, ledger_days: int, ended_on: dt.date) -> dt.date:
    """The last day the training ledger may be entered: `ledger_days` calendar days after the end."""
    return ended_on + dt.timedelta(days=ledger_days)


def asm_ledger(*, ledger_days: int, ended_on: dt.date, entered_on: dt.date | None, today: dt.date) -> Finding | None:
    """ASM-LEDGER (a deadline): entered within `ledger_days` days after the class ends (day 15 is in
    time, day 16 is late). None while in time or entered in time."""
    due = ledger_due(ledger_days=ledger_days, ended_on=ended_on)
    if entered_on is not None:
        if entered_on <= due:
            return None
        late = (entered_on - due).days
        return finding(
            "ASM-LEDGER",
            "class",
            f"培训台账应于结业后 {ledger_days} 日内（{due} 前）录入，实际于 {entered_on} 录入，逾期 {late} 天",
            ended_on=ended_on,
            due=due,
            entered_on=entered_on,
            overdue_days=late,
        )
    if today <= due:
        return None
    late = (today - due).days
    return finding(
        "ASM-LEDGER",
        "class",
        f"培训台账应于结业后 {ledger_days} 日内（{due} 前）录入，至今未录入，已逾期 {late} 天",
        ended_on=ended_on,
        due=due,
        entered_on=None,
        overdue_days=late,
    )


@dataclass(frozen=True, slots=True)
class PoolClass:
    code: str
    area: str
    occupation: str
    level: int | None
    certificate: str


def pooling_problems(classes: Sequence[PoolClass]) -> list[str]:
    """Why these classes cannot sit one session: pooling is for one area × occupation × level
    (× certificate). Empty when they can."""
    if len(classes) < 2:
        return []
    first = classes[0]
    problems = []
    for other in classes[1:]:
        for label, a, b in (
            ("县（市、区）", first.area, other.area),
            ("职业（工种）", first.occupation, other.occupation),
            ("等级", first.level, other.level),
            ("证书类别", first.certificate, other.certificate),
        ):
            if a != b:
                problems.append(
                    f"班级 {other.code} 的{label}（{b or '无'}）与班级 {first.code}（{a or '无'}）不同，"
                    "不能统筹集中考核（ASM-POOLING：同一区域同一职业同一等级）"
                )
    return problems


def asm_pooling(classes: Sequence[PoolClass]) -> Finding | None:
    """ASM-POOLING (allowed): a plan holding several classes of one area × occupation × level."""
    if len(classes) < 2 or pooling_problems(classes):
        return None
    return finding(
        "ASM-POOLING",
        "assessment",
        f"{len(classes)} 个班级（{'、'.join(c.code for c in classes)}）同一区域同一职业同一等级，统筹集中考核",
        classes=[c.code for c in classes],
    )


def asm_cert_route(*, class_certificate: str, occupation_routes: Sequence[str]) -> Finding | None:
    """ASM-CERT-ROUTE (void, for the class): the occupation offers an evaluated certificate but the
    class was assessed for a 培训合格证书 — no subsidy."""
    if class_certificate != "training_qualified":
        return None
    offered = [r for r in occupation_routes if r in EVALUATED_CERTIFICATES]
    if not offered:
        return None
    names = "、".join(CERTIFICATE_ZH[r] for r in offered)
    return finding(
        "ASM-CERT-ROUTE",
        "class",
        f"该职业（工种）可取得{names}，须组织学员参加鉴定评价或考核；直接组织培训合格证书考核的不予补贴",
        offered=offered,
        scope="class",
    )


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    kind: str
    level: int | None
    number: str


def asm_certified(
    *,
    subject: str,
    class_certificate: str,
    outcome: str | None,
    certificate: CertificateFacts | None,
) -> Finding | None:
    """ASM-CERT-ROUTE for one trainee: subsidy follows the certificate of the class's route
    (二(三)3). No result, absent, failed, or a certificate of another kind: not payable."""
    wanted = CERTIFICATE_ZH.get(class_certificate, class_certificate)
    if certificate is not None:
        if certificate.kind == class_certificate:
            return None
        message = (
            f"取得的是{CERTIFICATE_ZH.get(certificate.kind, certificate.kind)}（{certificate.number}），"
            f"不是本班申报的{wanted}，不予补贴"
        )
    elif outcome is None:
        message = f"尚未录入结业考核结果，未取得{wanted}，不予补贴"
    elif outcome == "absent":
        message = f"未参加结业考核（缺考），未取得{wanted}，不予补贴"
    elif outcome == "failed":
        message = f"结业考核不合格，未取得{wanted}，不予补贴"
    else:
        message = f"考核合格但尚未录入{wanted}，不予补贴（以证定补）"
    return finding(
        "ASM-CERT-ROUTE",
        subject,
        message,
        outcome=outcome,
        certificate=certificate.kind if certificate else None,
        scope="trainee",
    )
