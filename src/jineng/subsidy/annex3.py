"""The annex 3 form (附件3, 2023年政府补贴培训评价资金申请表) of one claim, as PDF and XLSX.

`annex3_data` reads the records once into plain values; `annex3_pdf` and `annex3_xlsx` only lay
them out, both from the same rows (`_form`), so the two files cannot say different things. What
has not happened yet (a claim not yet noticed or paid, a class without inspections) stays blank:
the form is the record, never a guess.

PDF font: a TrueType CJK font is embedded when one is found (JINENG_PDF_FONT, then the usual
Debian paths); otherwise reportlab's built-in CID font STSong-Light is used, which needs no file
(the reader supplies the glyphs). Text extracts from both (pypdf), which the tests check.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.db.models import Count
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.enums import TA_CENTER  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.cidfonts import UnicodeCIDFont  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFError, TTFont  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from jineng import tabular
from jineng.assessment.models import AssessmentPlan, AssessmentResult, CertificateRecord
from jineng.classes.models import Level, ReviewStep, TrainingType
from jineng.ids import mask_phone, mask_ric
from jineng.policy.rules.supervision import headcount_average
from jineng.supervision.models import Inspection
from jineng.supervision.selectors import headcount
from jineng.workdays import working_days_between

from .models import ClaimLine, ClaimStep, Clawback, Disbursement, FundSource, Objection, SubsidyClaim

TITLE = "2023年政府补贴培训评价资金申请表"
COMMITMENT = (
    "我郑重承诺对提供的各项材料和信息真实性负责，自觉接受社会监督。"
    "若有违反本承诺的行为，依法接受处理，并承担相应的责任。"
)
YES = "是"
WAN = Decimal("10000")
WAN_PLACES = Decimal("0.0001")
# An inspection up to this many days after the start date still reports on the opening (开班当日
# 检查): a class that opens on a Friday is often inspected on the Monday after.
OPENING_WINDOW_DAYS = 3
# The rows 其中… of 结业考核, in the paper's order. The paper has no row for 特种设备作业人员证; it
# is added after 特种作业 when a class has one (the form's note allows added rows).
CERTIFICATE_ROWS: tuple[tuple[str, str, bool], ...] = (
    ("vocational_qualification", "参加国家职业资格鉴定人数", True),
    ("skill_level", "参加职业技能等级评定人数", True),
    ("special_operation", "参加特种作业操作考核人数", True),
    ("special_equipment", "参加特种设备作业考核人数", False),
    ("special_capability", "参加专项能力考核认定人数", True),
    ("training_qualified", "参加合格证书结业考核人数", True),
)


# ── data ──────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Signoff:
    """One review stage of the form: 初审人, 复核人 (names and dates), opinions, and the unit (盖章)."""

    first: str = ""
    first_on: dt.date | None = None
    first_opinion: str = ""
    second: str = ""
    second_on: dt.date | None = None
    second_opinion: str = ""
    unit: str = ""

    @property
    def signed(self) -> bool:
        return bool(self.first or self.second)


@dataclass(frozen=True)
class InspectionRow:
    on: dt.date
    kind: str
    place: str
    present: int
    roster: int
    teachers: int
    notes: str
    inspectors: str


@dataclass(frozen=True)
class PlanRow:
    code: str
    scheduled_on: dt.date
    filed_on: dt.date
    place: str
    evaluation_body: str
    certificate: str
    inspector: str


@dataclass(frozen=True)
class CertificateCount:
    kind: str
    label: str
    sat: int
    certified: int


@dataclass(frozen=True)
class ObjectionRow:
    received_on: dt.date
    source: str
    content: str
    resolved_on: dt.date | None
    upheld: bool | None
    resolution: str


@dataclass(frozen=True)
class ClawbackRow:
    person: str
    amount: Decimal
    rule: str
    reason: str
    reference: str
    decided_on: dt.date


@dataclass(frozen=True)
class LineRow:
    row: int
    name: str
    id_number: str
    payable: bool
    amount: Decimal
    standard: str
    reasons: str


@dataclass
class Annex3:
    """Every field of the form for one claim, as plain values (blank where nothing happened yet)."""

    claim_code: str
    clear_ids: bool
    # header
    institution: str
    contact: str
    phone: str
    bank_name: str
    bank_account: str
    # 开班申请
    class_code: str
    class_name: str
    start: dt.date
    end: dt.date
    occupation: str
    level: str
    trainees: int
    hours_total: int
    training_type: str
    roster_in_system: str
    dept_review: Signoff
    hr_review: Signoff
    # 过程监管
    opening: InspectionRow | None
    opening_checked_in: int | None
    inspections: list[InspectionRow]
    inspections_in_system: str
    average_present: Decimal | None
    # 结业考核
    plans: list[PlanRow]
    assessed: int
    certificates: list[CertificateCount]
    certified_total: int
    results_in_system: str
    assessment_inspector: str
    # 补贴资金申领
    payable_count: int
    amount: Decimal
    amount_wan: Decimal
    commitment: str
    applicant: str
    submitted_on: dt.date | None
    accepted_on: dt.date | None
    dept_claim_review: Signoff
    notice_from: dt.date | None
    notice_until: dt.date | None
    notice_site: str
    notice_days: int | None
    objections: list[ObjectionRow]
    hr_claim_review: Signoff
    finance_review: Signoff
    # 资金拨付
    paid_on: dt.date | None = None
    paid_amount: Decimal | None = None
    paid_amount_wan: Decimal | None = None
    fund_source: str = ""
    bank_reference: str = ""
    clawbacks: list[ClawbackRow] = field(default_factory=list)
    # the claim's lines (补贴明细)
    lines: list[LineRow] = field(default_factory=list)

    @property
    def paid(self) -> bool:
        return self.paid_on is not None


def to_wan(yuan: Decimal) -> Decimal:
    """元 → 万元 to four places (one yuan), as the form asks for 万元."""
    return (yuan / WAN).quantize(WAN_PLACES, rounding=ROUND_HALF_UP)


def money_text(yuan: Decimal) -> str:
    """3,000.00 元（0.3000 万元）"""
    return f"{yuan:,.2f} 元（{to_wan(yuan)} 万元）"


def mask_account(number: str) -> str:
    """A bank account with all but its last four digits hidden."""
    number = number.replace(" ", "")
    if len(number) <= 4:
        return "*" * len(number)
    return "*" * (len(number) - 4) + number[-4:]


def _local(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(moment).date() if moment else None


def _signoff(steps: dict[str, Any], first: str, second: str, unit: str = "") -> Signoff:
    a, b = steps.get(first), steps.get(second)
    org = next((s.actor.org.name for s in (b, a) if s is not None and s.actor.org_id), "")
    return Signoff(
        first=a.actor.display_name if a else "",
        first_on=_local(a.at) if a else None,
        first_opinion=a.opinion if a else "",
        second=b.actor.display_name if b else "",
        second_on=_local(b.at) if b else None,
        second_opinion=b.opinion if b else "",
        unit=(unit or org) if (a or b) else "",
    )


def _latest(steps: Iterable[Any]) -> dict[str, Any]:
    """The last step of each action: a stage signed again after a return is the one that stands."""
    found: dict[str, Any] = {}
    for step in steps:  # ordered by time
        found[step.action] = step
    return found


def _inspection_row(i: Inspection, roster: int, institution: str) -> InspectionRow:
    # The model keeps no address: an on-site check is at the institution's training site.
    place = "远程视频" if i.kind == Inspection.Kind.REMOTE else f"{institution}培训场地"
    return InspectionRow(
        on=timezone.localtime(i.at).date(),
        kind=i.get_kind_display(),
        place=place,
        present=i.present_count,
        roster=roster,
        teachers=i.teachers_present,
        notes=i.notes,
        inspectors=f"{i.inspector.display_name}（{i.inspector_org.name}）",
    )


def annex3_data(claim: SubsidyClaim, *, clear_ids: bool = False, clear_account: bool | None = None) -> Annex3:
    """The form of `claim` from its records, in a fixed handful of queries (none per row).

    Resident IDs and the phone in clear with `clear_ids`; the bank account with `clear_account`
    (by default as the IDs) — finance reads the account it pays into but not the IDs, as on the
    claim's page (subsidy.views.ACCOUNT_ROLES)."""
    if clear_account is None:
        clear_account = clear_ids
    claim = SubsidyClaim.objects.select_related(
        "institution",
        "training_class__occupation",
        "training_class__lead_department",
        "created_by",
        "disbursement",
        "batch__first_by__org",
        "batch__second_by__org",
    ).get(pk=claim.pk)
    cls = claim.training_class
    institution = claim.institution.name

    class_steps = _latest(
        ReviewStep.objects.filter(training_class=cls).select_related("actor__org").order_by("at", "id")
    )
    claim_steps = _latest(ClaimStep.objects.filter(claim=claim).select_related("actor__org").order_by("at", "id"))

    count = headcount(cls)
    inspections = list(
        Inspection.objects.filter(training_class=cls).select_related("inspector", "inspector_org").order_by("at", "id")
    )
    rows = [_inspection_row(i, count.roster, institution) for i in inspections]
    opening = rows[0] if rows and rows[0].on <= cls.start + dt.timedelta(days=OPENING_WINDOW_DAYS) else None
    during = rows[1:] if opening else rows

    plans = [
        PlanRow(
            code=p.code,
            scheduled_on=p.scheduled_on,
            filed_on=timezone.localtime(p.filed_at).date(),
            place=p.place,
            evaluation_body=p.evaluation_body.name,
            certificate=p.get_certificate_display(),
            inspector=p.inspector,
        )
        for p in cls.assessment_plans.exclude(state=AssessmentPlan.State.CANCELLED)
        .select_related("evaluation_body")
        .order_by("scheduled_on", "id")
    ]
    sat = dict(
        AssessmentResult.objects.filter(
            enrollment__training_class=cls,
            outcome__in=(AssessmentResult.Outcome.PASSED, AssessmentResult.Outcome.FAILED),
        )
        .values_list("plan__certificate")
        .annotate(n=Count("id"))
        .values_list("plan__certificate", "n")
    )
    certified = dict(
        CertificateRecord.objects.filter(enrollment__training_class=cls)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    certificates = [
        CertificateCount(kind, label, sat.get(kind, 0), certified.get(kind, 0))
        for kind, label, on_paper in CERTIFICATE_ROWS
        if on_paper or sat.get(kind) or certified.get(kind)
    ]

    objections = [
        ObjectionRow(
            received_on=o.received_on,
            source=o.source,
            content=o.content,
            resolved_on=_local(o.resolved_at),
            upheld=o.upheld,
            resolution=o.resolution,
        )
        for o in Objection.objects.filter(claim=claim).order_by("received_on", "id")
    ]
    notice_days = (
        working_days_between(claim.notice_from - dt.timedelta(days=1), claim.notice_until)
        if claim.notice_from and claim.notice_until
        else None
    )

    finance = _signoff(claim_steps, "finance_first", "finance_second")
    if not finance.signed and claim.batch is not None and claim.batch.first_by is not None:
        # Finance may sign the month's batch rather than each claim: the batch's signers then stand.
        batch = claim.batch
        finance = Signoff(
            first=batch.first_by.display_name if batch.first_by else "",
            first_on=_local(batch.first_at),
            first_opinion=batch.first_opinion,
            second=batch.second_by.display_name if batch.second_by else "",
            second_on=_local(batch.second_at),
            second_opinion=batch.second_opinion,
            unit=batch.first_by.org.name if batch.first_by and batch.first_by.org else "",
        )

    data = Annex3(
        claim_code=claim.code,
        clear_ids=clear_ids,
        institution=institution,
        contact=claim.contact,
        phone=claim.phone if clear_ids else mask_phone(claim.phone),
        bank_name=claim.bank_name,
        bank_account=claim.bank_account if clear_account else mask_account(claim.bank_account),
        class_code=cls.code,
        class_name=cls.name,
        start=cls.start,
        end=cls.end,
        occupation=cls.occupation.name,
        level=Level(cls.level).label if cls.level else "",
        trainees=count.roster,
        hours_total=cls.hours_total,
        training_type=TrainingType(cls.training_type).label,
        roster_in_system=YES,
        dept_review=_signoff(class_steps, "dept_first", "dept_second", cls.lead_department.name),
        hr_review=_signoff(class_steps, "hr_first", "hr_second"),
        opening=opening,
        opening_checked_in=count.opening_present,
        inspections=during,
        inspections_in_system=YES if rows else "",
        average_present=headcount_average([i.present_count for i in inspections]),
        plans=plans,
        assessed=sum(sat.values()),
        certificates=certificates,
        certified_total=sum(certified.values()),
        results_in_system=YES if sat else "",
        assessment_inspector="、".join(dict.fromkeys(p.inspector for p in plans if p.inspector)),
        payable_count=claim.payable_count,
        amount=claim.amount,
        amount_wan=to_wan(claim.amount),
        commitment=COMMITMENT,
        # The commitment is the applicant's only once signed; an unsigned draft names nobody.
        applicant=claim.created_by.display_name if claim.committed else "",
        submitted_on=_local(claim.submitted_at),
        accepted_on=claim.accepted_on,
        dept_claim_review=_signoff(claim_steps, "dept_first", "dept_second", cls.lead_department.name),
        notice_from=claim.notice_from,
        notice_until=claim.notice_until,
        notice_site=claim.notice_site,
        notice_days=notice_days,
        objections=objections,
        hr_claim_review=_signoff(claim_steps, "hr_first", "hr_second"),
        finance_review=finance,
    )

    try:
        paid: Disbursement | None = claim.disbursement
    except Disbursement.DoesNotExist:
        paid = None
    if paid is not None:
        data.paid_on = paid.paid_on
        data.paid_amount = paid.amount
        data.paid_amount_wan = to_wan(paid.amount)
        data.fund_source = FundSource(paid.fund_source).label
        data.bank_reference = paid.bank_reference
        data.clawbacks = [
            ClawbackRow(
                person=c.payment.person.name,
                amount=c.amount,
                rule=c.rule,
                reason=c.reason,
                reference=c.reference,
                decided_on=c.decided_on,
            )
            for c in Clawback.objects.filter(payment__disbursement=paid)
            .select_related("payment__person")
            .order_by("decided_on", "id")
        ]

    data.lines = [
        LineRow(
            row=line.row,
            name=line.person.name,
            id_number=line.person.id_number if clear_ids else mask_ric(line.person.id_number),
            payable=line.payable,
            amount=line.amount,
            standard=line.standard,
            reasons="；".join(f"{b.get('rule', '')} {b.get('message', '')}".strip() for b in line.blocks or []),
        )
        for line in ClaimLine.objects.filter(claim=claim).select_related("person").order_by("row")
    ]
    return data


# ── the form's rows, shared by the PDF and the XLSX ───────────────────────────────────────────

COLUMNS = 4  # label, value, label, value — the section title is a fifth column on the left


@dataclass(frozen=True)
class Cell:
    text: str
    span: int = 1
    label: bool = False


@dataclass(frozen=True)
class Block:
    """A section of the form: `title` stands left of its rows (the header block has none and
    its rows use the title column too)."""

    title: str
    rows: list[list[Cell]]


def _day(day: dt.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def L(text: str, span: int = 1) -> Cell:
    return Cell(text, span, label=True)


def V(text: str, span: int = 1) -> Cell:
    return Cell(text, span)


def _signoff_text(s: Signoff) -> str:
    if not s.signed:
        return "初审人：　　复核人：　　盖章：　　年　月　日"
    parts = [
        f"初审人：{s.first}（{_day(s.first_on)}）" if s.first else "初审人：",
        f"复核人：{s.second}（{_day(s.second_on)}）" if s.second else "复核人：",
        f"盖章：{s.unit}",
    ]
    opinions = [o for o in (s.first_opinion, s.second_opinion) if o]
    text = "　".join(parts)
    return text + ("\n意见：" + "；".join(dict.fromkeys(opinions)) if opinions else "")


def _inspection_text(i: InspectionRow, *, opening: bool) -> str:
    if opening:
        return f"时间：{_day(i.on)}（{i.kind}）；学员人数：实到 {i.present} 人（花名册 {i.roster} 人）；" + (
            f"培训资料留存情况：{i.notes}" if i.notes else "培训资料留存情况："
        )
    text = (
        f"时间：{_day(i.on)}（{i.kind}）；地点：{i.place}；师资情况：在岗教师 {i.teachers} 人；"
        f"学员出勤情况：实到 {i.present} 人（花名册 {i.roster} 人）"
    )
    return text + (f"；{i.notes}" if i.notes else "")


def _objections_text(d: Annex3) -> str:
    if d.notice_from is None:
        return ""
    if not d.objections:
        return "未收到异议"
    texts = []
    for n, o in enumerate(d.objections, start=1):
        text = f"{n}. {_day(o.received_on)} 收到{o.source}异议：{o.content}"
        if o.resolved_on is None:
            text += "；尚未处理"
        else:
            verdict = {True: "异议成立", False: "异议不成立"}.get(o.upheld, "") if o.upheld is not None else ""
            text += f"；{_day(o.resolved_on)} 处理：{o.resolution}" + (f"（{verdict}）" if verdict else "")
        texts.append(text)
    return f"收到异议 {len(d.objections)} 件：" + "\n".join(texts)


def _form(d: Annex3) -> list[Block]:
    header = Block(
        "",
        [
            [
                L("培训机构（或企业、评价机构、个人）名称", 2),
                V(d.institution),
                L("联系人及电话"),
                V(f"{d.contact} {d.phone}"),
            ],
            [L("开户银行名称", 2), V(d.bank_name), L("银行帐号"), V(d.bank_account)],
        ],
    )

    opening_rows = [
        [
            L("开班批次及拟开班时间"),
            V(f"{d.class_code}（{d.class_name}），{_day(d.start)}开班"),
            L("培训工种及级别"),
            V(f"{d.occupation} {d.level}".strip()),
        ],
        [
            L("拟培训人数"),
            V(f"{d.trainees} 人"),
            L("培训时长"),
            V(f"{_day(d.start)}至{_day(d.end)}，共 {d.hours_total} 课时"),
        ],
        [L("拟培训方式（企业自主培训、委托培训等）"), V(d.training_type, 3)],
        [L("培训计划及人员名册是否在职业培训信息化管理系统填报"), V(d.roster_in_system, 3)],
        [L("行业主管部门审核意见"), V(_signoff_text(d.dept_review), 3)],
        [L("人力资源社会保障部门审核意见"), V(_signoff_text(d.hr_review), 3)],
    ]

    if d.opening is not None:
        checked = "" if d.opening_checked_in is None else f"签到情况：首课时人脸签到 {d.opening_checked_in} 人；"
        text = _inspection_text(d.opening, opening=True).replace("培训资料留存情况", checked + "培训资料留存情况", 1)
        first_row = [L("开班当日检查情况"), V(text), L("检查人员签字"), V(d.opening.inspectors)]
    else:
        first_row = [L("开班当日检查情况"), V("学员人数：　签到情况：　培训资料留存情况："), L("检查人员签字"), V("")]
    during = [
        [L("培训期间检查情况"), V(_inspection_text(i, opening=False)), L("检查人员签字"), V(i.inspectors)]
        for i in d.inspections
    ] or [[L("培训期间检查情况"), V("时间：　地点：　师资情况：　学员出勤情况："), L("检查人员签字"), V("")]]
    supervision_rows = [
        first_row,
        *during,
        [
            L("检查情况是否在职业培训信息化管理系统填报"),
            V(d.inspections_in_system),
            L("平均出勤人数"),
            V("" if d.average_present is None else f"{d.average_present} 人"),
        ],
        [L("人力资源社会保障部门检查意见"), V("", 3)],
    ]

    plan_text = "\n".join(
        f"考核日期 {_day(p.scheduled_on)}，{_day(p.filed_on)}在系统填报"
        f"（提前 {(p.scheduled_on - p.filed_on).days} 天）；"
        f"{p.certificate}，{p.evaluation_body}，{p.place}（批次 {p.code}）"
        for p in d.plans
    )
    assessment_rows = [
        [
            L("组织考核（评价、鉴定）时间提前3天提出，并在信息化管理系统上填报"),
            V(plan_text),
            L("参加考核人数"),
            V(f"{d.assessed} 人" if d.plans else ""),
        ],
        *(
            [
                L(f"其中：{c.label}"),
                V(f"{c.sat} 人" if d.plans else ""),
                L("取证人数"),
                V(f"{c.certified} 人" if d.plans else ""),
            ]
            for c in d.certificates
        ),
        [
            L("考核结果是否在职业培训信息化管理系统填报"),
            V(d.results_in_system),
            L("取证总人数"),
            V(f"{d.certified_total} 人" if d.plans else ""),
        ],
        [L("考核巡查人员签字"), V(d.assessment_inspector, 3)],
        [L("人力资源社会保障部门意见"), V("", 3)],
    ]

    commitment = (
        d.commitment + f"\n申请承诺人：{d.applicant}　　{_day(d.submitted_on) if d.applicant else '年　月　日'}"
    )
    notice = (
        f"{_day(d.notice_from)}至{_day(d.notice_until)}在{d.notice_site or '　'}进行公示，"
        f"公示期 {d.notice_days} 个工作日。"
        f"期间收到异议情况和处理情况：{_objections_text(d)}"
        if d.notice_from and d.notice_until
        else "　年　月　日至　年　月　日在　　人力资源和社会保障局官网进行公示，公示期　天，"
        "期间收到异议情况和处理情况："
    )
    dept_claim = ("受理日期：" + _day(d.accepted_on) + "\n" if d.accepted_on else "") + _signoff_text(
        d.dept_claim_review
    )
    claim_rows = [
        [
            L("企业、培训机构、评价机构、个人向行业主管部门申请"),
            V(f"申请编号：{d.claim_code}"),
            L("申请补贴人数"),
            V(f"{d.payable_count} 人"),
        ],
        [L("申请补贴资金（万元）"), V(money_text(d.amount), 3)],
        [L("申请承诺"), V(commitment, 3)],
        [L("行业主管部门审核情况（自受理之日起10个工作日内）"), V(dept_claim, 3)],
        [L("人力资源社会保障部门对补贴信息公示情况（不少于5个工作日）"), V(notice, 3)],
        [L("人力资源社会保障部门审核意见"), V(_signoff_text(d.hr_claim_review), 3)],
        [L("财政部门审核意见"), V(_signoff_text(d.finance_review), 3)],
    ]

    clawbacks = (
        "\n".join(
            f"{_day(c.decided_on)} 收缴 {c.person} {money_text(c.amount)}，{c.rule} {c.reason}（凭证号 {c.reference}）"
            for c in d.clawbacks
        )
        or "无"
        if d.paid
        else ""
    )
    payment_rows = [
        [
            L("拨付时间"),
            V(_day(d.paid_on)),
            L("拨付金额（万元）"),
            V(money_text(d.paid_amount) if d.paid_amount is not None else ""),
        ],
        [
            L("资金来源（就业补助资金、失业保险基金、职业技能提升行动资金等）"),
            V(f"{d.fund_source}（银行流水号：{d.bank_reference}）" if d.paid else "", 3),
        ],
        [L("资金收缴"), V(clawbacks, 3)],
    ]
    return [
        header,
        Block("开班申请", opening_rows),
        Block("过程监管", supervision_rows),
        Block("结业考核", assessment_rows),
        Block("补贴资金申领", claim_rows),
        Block("资金拨付", payment_rows),
    ]


NOTE = (
    "备注：培训专业及批次较多的，可在此表相应栏目中添加；"
    "评价机构、个人申请的，将培训机构栏目改为个人，仅填写此表涉及部分等基本信息。"
)
LINE_COLUMNS = ("序号", "姓名", "身份证号", "可补贴", "补贴金额（元）", "补贴标准", "不予补贴原因")


def _line_values(line: LineRow) -> list[Any]:
    return [
        line.row,
        line.name,
        line.id_number,
        "是" if line.payable else "否",
        line.amount,
        line.standard,
        line.reasons,
    ]


# ── PDF ───────────────────────────────────────────────────────────────────────────────────────

FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 0),
)
CID_FONT = "STSong-Light"
# path → registered font name, or None for a file reportlab refused (not tried again)
_registered: dict[tuple[str, int], str | None] = {}


def _font_files() -> list[tuple[str, int]]:
    """The TrueType CJK fonts to try, in order (JINENG_PDF_FONT first)."""
    chosen = os.environ.get("JINENG_PDF_FONT", "").strip()
    candidates = [(chosen, 0)] if chosen else []
    return [c for c in [*candidates, *FONT_CANDIDATES] if Path(c[0]).is_file()]


def pdf_font() -> str:
    """The name of the font the PDF is set in: the first TrueType CJK font reportlab can embed,
    else the built-in CID font (Noto CJK is OpenType/CFF, which reportlab cannot embed)."""
    for key in _font_files():
        if key not in _registered:
            name: str | None = f"Annex3CJK{len(_registered)}"
            try:
                pdfmetrics.registerFont(TTFont(name, key[0], subfontIndex=key[1]))
            except TTFError:
                name = None
            _registered[key] = name
        found = _registered[key]
        if found is not None:
            return found
    if CID_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return str(CID_FONT)


# Column widths of the form (mm): section title, label, value, label, value = 180 mm (A4 less margins).
PDF_WIDTHS = (16, 42, 52, 30, 40)
PDF_LINE_WIDTHS = (12, 20, 40, 14, 22, 30, 42)


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


class _FormTable(Table):
    """A table that closes its title column at each page break (reportlab resolves a BOX to the
    rows of the first split only)."""

    def onSplit(self, part: Any, byRow: int = 1) -> None:  # reportlab's hook, its names
        part.setStyle(
            TableStyle(
                [
                    ("LINEABOVE", (0, 0), (0, 0), 0.6, colors.black),
                    ("LINEBELOW", (0, -1), (0, -1), 0.6, colors.black),
                ]
            )
        )


def _pdf_block(block: Block, styles: dict[str, ParagraphStyle], *, span: bool) -> Table:
    """One section as a bordered table. With `span` its title is one cell beside all its rows, as
    on paper; a cell spanning rows cannot break across pages, so a section longer than a page
    is drawn with its title in the first row and the title column boxed as one."""
    grid: list[list[Any]] = []
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if block.title and not span:
        commands += [
            ("GRID", (1, 0), (-1, -1), 0.6, colors.black),
            ("BOX", (0, 0), (0, -1), 0.6, colors.black),
        ]
    else:
        commands.append(("GRID", (0, 0), (-1, -1), 0.6, colors.black))
    first_col = 1 if block.title else 0
    for r, row in enumerate(block.rows):
        cells: list[Any] = [""] * (COLUMNS + 1)
        if block.title and r == 0:
            cells[0] = _para(block.title, styles["section"])
        col = first_col
        for cell in row:
            cells[col] = _para(cell.text, styles["label" if cell.label else "value"])
            if cell.span > 1:
                commands.append(("SPAN", (col, r), (col + cell.span - 1, r)))
            col += cell.span
        grid.append(cells)
    if block.title and span:
        commands.append(("SPAN", (0, 0), (0, len(block.rows) - 1)))
    table = _FormTable(grid, colWidths=[w * mm for w in PDF_WIDTHS])
    table.setStyle(TableStyle(commands))
    return table


def _pdf_section(block: Block, styles: dict[str, ParagraphStyle], width: float, height: float) -> Table:
    table = _pdf_block(block, styles, span=True)
    _, needed = table.wrap(width, height)
    return table if needed <= height else _pdf_block(block, styles, span=False)


def annex3_pdf(data: Annex3) -> bytes:
    """The form on A4 as the paper has it (a bordered table per section), then the claim's lines."""
    font = pdf_font()
    base = ParagraphStyle("value", fontName=font, fontSize=8.5, leading=11.5, wordWrap="CJK")
    styles = {
        "value": base,
        "label": ParagraphStyle("label", parent=base, alignment=TA_CENTER),
        "section": ParagraphStyle("section", parent=base, fontSize=9.5, leading=12.5, alignment=TA_CENTER),
        "title": ParagraphStyle("title", parent=base, fontSize=15, leading=20, alignment=TA_CENTER),
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=10),
        "head": ParagraphStyle("head", parent=base, alignment=TA_CENTER),
    }
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=TITLE,
        subject=f"申请编号 {data.claim_code}",
    )
    story: list[Any] = [
        _para(TITLE, styles["title"]),
        Spacer(1, 2 * mm),
        _para(f"申请编号：{data.claim_code}", styles["small"]),
        Spacer(1, 2 * mm),
    ]
    # the frame's own padding (6 pt a side) is not in doc.height
    story += [_pdf_section(block, styles, doc.width, doc.height - 12) for block in _form(data)]
    story += [Spacer(1, 2 * mm), _para(NOTE, styles["small"])]

    if data.lines:
        story += [PageBreak(), _para(f"补贴明细（申请编号 {data.claim_code}）", styles["title"]), Spacer(1, 3 * mm)]
        grid: list[list[Any]] = [[_para(h, styles["head"]) for h in LINE_COLUMNS]]
        for line in data.lines:
            values = _line_values(line)
            values[4] = f"{line.amount:,.2f}"
            grid.append([_para(str(v), styles["value"]) for v in values])
        table = Table(grid, colWidths=[w * mm for w in PDF_LINE_WIDTHS], repeatRows=1)
        table.setStyle(
            TableStyle([("GRID", (0, 0), (-1, -1), 0.6, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")])
        )
        story.append(table)

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, f"申请编号 {data.claim_code}　第 {document.page} 页")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


# ── XLSX ──────────────────────────────────────────────────────────────────────────────────────

XLSX_WIDTHS = (10, 30, 40, 20, 32)  # character units of columns A–E
XLSX_LINE_WIDTHS = (6, 12, 22, 8, 14, 28, 60)
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="center")
WRAP_CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")


def _text_lines(text: str, width: float) -> int:
    """Lines a wrapped cell takes (Excel does not fit the height of rows with merged cells); a CJK
    character takes about two character units of a column."""
    if not text:
        return 1
    return sum(
        max(1, math.ceil(sum(2 if ord(ch) > 0x2E7F else 1 for ch in part) / max(width - 1, 1)))
        for part in text.split("\n")
    )


def annex3_xlsx(data: Annex3) -> bytes:
    """The form on sheet 资金申请表 (merged section labels, borders, wrapped text) and the claim's
    lines on sheet 补贴明细."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "资金申请表"
    last = get_column_letter(COLUMNS + 1)
    sheet["A1"] = TITLE
    sheet["A1"].font = Font(bold=True, size=15)
    sheet["A1"].alignment = WRAP_CENTER
    sheet.merge_cells(f"A1:{last}1")
    sheet.row_dimensions[1].height = 28
    sheet["A2"] = f"申请编号：{data.claim_code}"
    sheet.merge_cells(f"A2:{last}2")
    for n, width in enumerate(XLSX_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = width

    r = 3
    for block in _form(data):
        top = r
        for row in block.rows:
            col = 2 if block.title else 1
            lines = 1
            for cell in row:
                target = sheet.cell(row=r, column=col, value=cell.text or None)
                target.alignment = WRAP_CENTER if cell.label else WRAP
                if cell.label:
                    target.font = Font(bold=True)
                if cell.span > 1:
                    sheet.merge_cells(start_row=r, start_column=col, end_row=r, end_column=col + cell.span - 1)
                width = sum(XLSX_WIDTHS[col - 1 : col - 1 + cell.span])
                lines = max(lines, _text_lines(cell.text, width))
                col += cell.span
            for c in range(1, COLUMNS + 2):
                sheet.cell(row=r, column=c).border = BOX
            sheet.row_dimensions[r].height = max(20, 15 * lines + 4)
            r += 1
        if block.title:
            head = sheet.cell(row=top, column=1, value=block.title)
            head.font = Font(bold=True)
            head.alignment = WRAP_CENTER
            if r - 1 > top:
                sheet.merge_cells(start_row=top, start_column=1, end_row=r - 1, end_column=1)
    sheet.cell(row=r, column=1, value=NOTE).alignment = WRAP
    sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=COLUMNS + 1)
    sheet.row_dimensions[r].height = 32
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True

    lines = book.create_sheet("补贴明细")
    lines.append(list(LINE_COLUMNS))
    for cell in lines[1]:
        cell.font = Font(bold=True)
        cell.alignment = WRAP_CENTER
        cell.border = BOX
    for line in data.lines:
        lines.append([v if v != "" else None for v in _line_values(line)])
    payable = [line for line in data.lines if line.payable]
    lines.append(["合计", f"{len(payable)} 人可补贴", None, None, sum((x.amount for x in payable), Decimal("0.00"))])
    for row in lines.iter_rows(min_row=2):
        for cell in row:
            cell.border = BOX
            cell.alignment = WRAP
        row[4].number_format = "#,##0.00"
    for n, width in enumerate(XLSX_LINE_WIDTHS, start=1):
        lines.column_dimensions[get_column_letter(n)].width = width
    lines.freeze_panes = "A2"

    return tabular.xlsx_bytes(book)
