"""The annex 3 form of a claim (附件3): its data from the records, the PDF's text, the XLSX's cells.

The record is written straight to the tables (a class of alice's, trained, inspected, assessed,
claimed, reviewed, noticed and paid): what is under test is the form, not the path to it.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jineng.assessment.models import AssessmentPlan, AssessmentResult, CertificateRecord
from jineng.classes.models import ClassState, ReviewStep, TrainingClass
from jineng.subsidy import annex3
from jineng.subsidy.annex3 import annex3_data, annex3_pdf, annex3_xlsx, mask_account, money_text, to_wan
from jineng.subsidy.models import (
    BatchState,
    ClaimLine,
    ClaimState,
    ClaimStep,
    Clawback,
    Disbursement,
    FinanceBatch,
    FundSource,
    Objection,
    PaymentLine,
    SubsidyClaim,
)
from jineng.supervision.models import Inspection
from jineng.supervision.tests.scenes import START, everyone_present, in_training, local, roster, with_timetable
from jineng.testing import Cast, unit

ACCOUNT = "6222020200012345678"


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    return "".join(text.split())


def xlsx_cells(content: bytes) -> dict[str, list[str]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return {
        sheet.title: [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
        for sheet in book.worksheets
    }


def class_step(cls: TrainingClass, action: str, actor: Any, day: dt.date, opinion: str) -> None:
    ReviewStep.objects.create(
        training_class=cls,
        action=action,
        from_state=ClassState.SUBMITTED,
        to_state=ClassState.APPROVED,
        actor=actor,
        actor_role=actor.role,
        at=local(day, 10),
        opinion=opinion,
        class_version=1,
        decision="pass",
        findings=[],
        policy="xuchang-2023",
    )


def claim_step(claim: SubsidyClaim, action: str, actor: Any, day: dt.date, opinion: str = "同意") -> None:
    ClaimStep.objects.create(
        claim=claim,
        action=action,
        from_state=ClaimState.SUBMITTED,
        to_state=ClaimState.PAID,
        actor=actor,
        actor_role=actor.role,
        at=local(day, 11),
        opinion=opinion,
        claim_version=1,
        amount=claim.amount,
        payable_count=claim.payable_count,
    )


def build(people: Cast, *, paid: bool = True) -> SubsidyClaim:
    """A 3-trainee class of alice's through to a claim of 2 × 1,500 元 (the third not certified)."""
    cls = in_training(people, trainees=3)
    everyone_present(cls, with_timetable(people, cls))
    TrainingClass.objects.filter(pk=cls.pk).update(state=ClassState.ENDED, state_since=timezone.now())
    cls.refresh_from_db()
    class_step(cls, "dept_first", people.dan1, dt.date(2023, 4, 24), "材料齐全")
    class_step(cls, "dept_second", people.dan2, dt.date(2023, 4, 25), "同意开班")
    class_step(cls, "hr_first", people.hana1, dt.date(2023, 4, 26), "符合条件")
    class_step(cls, "hr_second", people.hana2, dt.date(2023, 4, 27), "批准开班")

    for at, present, who, org, notes in (
        (local(START, 9, 30), 3, people.hana1, "area-yuzhou", "签到表、教学计划齐全"),
        (local(START + dt.timedelta(days=7), 10), 2, people.dan1, "dept-mii", "一人病假"),
    ):
        Inspection.objects.create(
            training_class=cls,
            kind=Inspection.Kind.ONSITE,
            at=at,
            inspector=who,
            inspector_org=unit(org),
            present_count=present,
            teachers_present=2,
            notes=notes,
            recorded_at=at,
        )

    plan = AssessmentPlan.objects.create(
        code="KH2023050001",
        evaluation_body=people.evaluation_body,
        certificate="skill_level",
        occupation=people.lathe,
        level=4,
        area=unit("area-yuzhou"),
        scheduled_on=dt.date(2023, 5, 29),
        place="禹州市阳光职业培训学校实训楼",
        filed_by=people.eve,
        filed_at=local(dt.date(2023, 5, 24), 9),
        inspector="许巡查",
    )
    plan.classes.add(cls)
    entries = roster(cls)
    for n, e in enumerate(entries):
        passed = n < 2
        AssessmentResult.objects.create(
            plan=plan,
            enrollment=e,
            outcome="passed" if passed else "failed",
            recorded_by=people.eve,
            recorded_at=local(dt.date(2023, 5, 29), 17),
        )
        if passed:
            CertificateRecord.objects.create(
                person=e.person,
                enrollment=e,
                kind="skill_level",
                occupation=people.lathe,
                level=4,
                number=f"S2023{n:05d}",
                issued_on=dt.date(2023, 6, 10),
                issuer="许昌市职业技能评价中心",
            )

    claim = SubsidyClaim.objects.create(
        code="BT2023060001",
        training_class=cls,
        institution=people.yuzhou_school,
        state=ClaimState.PAID if paid else ClaimState.FINANCE_APPROVED,
        contact="王爱丽",
        phone="13800000001",
        bank_name="中国银行禹州支行",
        bank_account=ACCOUNT,
        trainees=3,
        payable_count=2,
        amount=Decimal("3000.00"),
        committed=True,
        created_by=people.alice,
        submitted_by=people.alice,
        submitted_at=local(dt.date(2023, 6, 15), 9),
        accepted_on=dt.date(2023, 6, 16),
        notice_from=dt.date(2023, 9, 27),
        notice_until=dt.date(2023, 10, 9),
        notice_site="禹州市人力资源和社会保障局官网",
    )
    lines = []
    for n, e in enumerate(entries):
        payable = n < 2
        lines.append(
            ClaimLine.objects.create(
                claim=claim,
                enrollment=e,
                person=e.person,
                row=n + 1,
                payable=payable,
                amount=Decimal("1500.00") if payable else Decimal("0.00"),
                standard="职业技能等级证书·四级/中级工" if payable else "",
                blocks=[] if payable else [{"rule": "SUB-CERT", "message": "未取得证书"}],
            )
        )
    claim_step(claim, "dept_first", people.dan1, dt.date(2023, 6, 20))
    claim_step(claim, "dept_second", people.dan2, dt.date(2023, 6, 21))
    claim_step(claim, "hr_first", people.hana1, dt.date(2023, 9, 25))
    claim_step(claim, "hr_second", people.hana2, dt.date(2023, 9, 26))
    claim_step(claim, "finance_first", people.finance, dt.date(2023, 10, 16))
    claim_step(claim, "finance_second", people.finance2, dt.date(2023, 10, 17))
    Objection.objects.create(
        claim=claim,
        line=lines[0],
        received_on=dt.date(2023, 9, 28),
        source="匿名来电",
        content="反映学员未实际参训",
        recorded_by=people.hana1,
        recorded_at=local(dt.date(2023, 9, 28), 15),
        resolved_by=people.hana2,
        resolved_at=local(dt.date(2023, 10, 8), 15),
        upheld=False,
        resolution="经核实签到与录像，学员本人参训",
    )
    if paid:
        money = Disbursement.objects.create(
            claim=claim,
            idempotency_key="pay-BT2023060001",
            request_digest="0" * 64,
            amount=Decimal("3000.00"),
            paid_on=dt.date(2023, 10, 20),
            bank_reference="BOC20231020001",
            fund_source=FundSource.EMPLOYMENT,
            recorded_by=people.finance,
            recorded_at=local(dt.date(2023, 10, 20), 16),
        )
        for line in lines[:2]:
            PaymentLine.objects.create(
                disbursement=money, line=line, person=line.person, training_class=cls, amount=line.amount
            )
    return claim


@pytest.fixture
def claim(people: Cast) -> SubsidyClaim:
    return build(people)


# ── data ──────────────────────────────────────────────────────────────────────────────────────


def test_money_reads_in_yuan_and_in_wan_yuan() -> None:
    assert money_text(Decimal("3000.00")) == "3,000.00 元（0.3000 万元）"
    assert money_text(Decimal("1234567.89")) == "1,234,567.89 元（123.4568 万元）"
    assert to_wan(Decimal("0.49")) == Decimal("0.0000")
    assert to_wan(Decimal("0.50")) == Decimal("0.0001")


def test_a_bank_account_keeps_only_its_last_four_digits() -> None:
    assert mask_account(ACCOUNT) == "*" * 15 + "5678"
    assert mask_account("1234") == "****"


def test_the_data_gathers_every_section_from_the_records(people: Cast, claim: SubsidyClaim) -> None:
    d = annex3_data(claim)
    assert (d.institution, d.contact, d.phone, d.bank_name) == (
        "禹州市阳光职业培训学校",
        "王爱丽",
        "138****0001",  # a person's phone: masked unless clear_ids
        "中国银行禹州支行",
    )
    # 开班申请
    assert (d.class_code, d.start, d.occupation, d.level, d.trainees, d.training_type) == (
        claim.training_class.code,
        START,
        "车工",
        "四级/中级工",
        3,
        "就业技能培训",
    )
    assert d.hours_total == 5 and d.roster_in_system == "是"
    assert (d.dept_review.first, d.dept_review.second, d.dept_review.unit) == ("赵丹", "钱东", "市工信局")
    assert (d.dept_review.first_on, d.dept_review.second_opinion) == (dt.date(2023, 4, 24), "同意开班")
    assert (d.hr_review.first, d.hr_review.second) == ("周华", "吴涵")
    # 过程监管: the inspection on the start date reports the opening; the other one is during training
    assert d.opening is not None and (d.opening.on, d.opening.present) == (START, 3)
    assert d.opening_checked_in == 3
    assert [(i.on, i.present, i.inspectors) for i in d.inspections] == [
        (START + dt.timedelta(days=7), 2, "赵丹（市工信局）")
    ]
    assert d.average_present == Decimal("2.5") and d.inspections_in_system == "是"
    # 结业考核
    assert [(p.scheduled_on, p.filed_on, p.inspector) for p in d.plans] == [
        (dt.date(2023, 5, 29), dt.date(2023, 5, 24), "许巡查")
    ]
    assert (d.assessed, d.certified_total, d.results_in_system) == (3, 2, "是")
    assert {c.kind: (c.sat, c.certified) for c in d.certificates}["skill_level"] == (3, 2)
    assert "special_equipment" not in {c.kind for c in d.certificates}  # not on the paper, and none here
    # 补贴资金申领
    assert (d.payable_count, d.amount, d.amount_wan) == (2, Decimal("3000.00"), Decimal("0.3000"))
    assert (d.applicant, d.submitted_on, d.accepted_on) == ("王爱丽", dt.date(2023, 6, 15), dt.date(2023, 6, 16))
    assert (d.dept_claim_review.first, d.dept_claim_review.second) == ("赵丹", "钱东")
    # 2023-09-27 to 10-09 spans 国庆/中秋: 27, 28 Sep, the adjusted Saturday and Sunday 7–8 Oct, 9 Oct
    assert (d.notice_from, d.notice_until, d.notice_days) == (dt.date(2023, 9, 27), dt.date(2023, 10, 9), 5)
    assert [(o.source, o.upheld, o.resolved_on) for o in d.objections] == [("匿名来电", False, dt.date(2023, 10, 8))]
    assert (d.hr_claim_review.first, d.hr_claim_review.second) == ("周华", "吴涵")
    assert (d.finance_review.first, d.finance_review.second) == ("褚财", "卢财")
    # 资金拨付
    assert (d.paid_on, d.paid_amount, d.paid_amount_wan, d.fund_source, d.bank_reference) == (
        dt.date(2023, 10, 20),
        Decimal("3000.00"),
        Decimal("0.3000"),
        "就业补助资金",
        "BOC20231020001",
    )
    assert d.clawbacks == []
    assert [(x.row, x.payable, x.amount, x.reasons) for x in d.lines] == [
        (1, True, Decimal("1500.00"), ""),
        (2, True, Decimal("1500.00"), ""),
        (3, False, Decimal("0.00"), "SUB-CERT 未取得证书"),
    ]


def test_it_reads_the_form_in_a_fixed_handful_of_queries_whatever_the_rows(people: Cast, claim: SubsidyClaim) -> None:
    with CaptureQueriesContext(connection) as few:
        annex3_data(claim)
    for day in range(1, 4):
        at = local(START + dt.timedelta(days=day), 10)
        Inspection.objects.create(
            training_class=claim.training_class,
            kind=Inspection.Kind.REMOTE,
            at=at,
            inspector=people.dan2,
            inspector_org=unit("dept-mii"),
            present_count=3,
            teachers_present=2,
            recorded_at=at,
        )
    with CaptureQueriesContext(connection) as more:
        assert len(annex3_data(claim).inspections) == 4
    assert len(few) == len(more) <= 14


def test_the_bank_account_and_ids_are_masked_unless_clear_ids(claim: SubsidyClaim) -> None:
    masked, clear = annex3_data(claim), annex3_data(claim, clear_ids=True)
    assert masked.bank_account == "*" * 15 + "5678" and clear.bank_account == ACCOUNT
    assert (masked.phone, clear.phone) == ("138****0001", "13800000001")
    first = claim.lines.select_related("person").get(row=1).person.id_number
    assert clear.lines[0].id_number == first
    assert masked.lines[0].id_number != first and masked.lines[0].id_number.endswith(first[-4:])
    assert ACCOUNT not in flat(pdf_text(annex3_pdf(masked)))
    assert ACCOUNT in flat(pdf_text(annex3_pdf(clear)))
    assert ACCOUNT not in xlsx_cells(annex3_xlsx(masked))["资金申请表"]
    assert first not in xlsx_cells(annex3_xlsx(masked))["补贴明细"]
    assert first in xlsx_cells(annex3_xlsx(clear))["补贴明细"]


def test_an_unpaid_claim_leaves_the_payment_blank(people: Cast) -> None:
    d = annex3_data(build(people, paid=False))
    assert (d.paid_on, d.paid_amount, d.fund_source, d.bank_reference, d.clawbacks) == (None, None, "", "", [])
    book = openpyxl.load_workbook(io.BytesIO(annex3_xlsx(d)))
    sheet = book["资金申请表"]
    [top] = [c.row for c in sheet["A"] if c.value == "资金拨付"]
    payment = [sheet.cell(row=r, column=c).value for r in range(top, top + 3) for c in (3, 5)]
    assert payment == [None] * 6
    page = flat(pdf_text(annex3_pdf(d)))
    assert "资金拨付" in page and "银行流水号" not in page and "2023年10月20日" not in page
    assert "拨付时间拨付金额（万元）" in page  # both cells of the row empty


def test_a_clawback_is_listed_with_its_amount(people: Cast, claim: SubsidyClaim) -> None:
    payment = PaymentLine.objects.select_related("person").order_by("id").first()
    assert payment is not None
    Clawback.objects.create(
        payment=payment,
        amount=Decimal("1500.00"),
        rule="SUB-CLAWBACK",
        reason="审计发现代签到",
        reference="SJ2024001",
        decided_on=dt.date(2024, 3, 1),
        recorded_by=people.finance,
        recorded_at=local(dt.date(2024, 3, 1), 10),
    )
    d = annex3_data(claim)
    assert [(c.person, c.amount, c.reference) for c in d.clawbacks] == [
        (payment.person.name, Decimal("1500.00"), "SJ2024001")
    ]
    assert "1,500.00元（0.1500万元）" in flat(pdf_text(annex3_pdf(d)))
    assert any("SJ2024001" in v for v in xlsx_cells(annex3_xlsx(d))["资金申请表"])


def test_the_batch_signers_stand_for_finance_when_the_claim_has_no_finance_steps(people: Cast) -> None:
    claim = build(people, paid=False)
    ClaimStep.objects.filter(claim=claim, action__startswith="finance").delete()
    batch = FinanceBatch.objects.create(
        code="CZ202310",
        org=unit("city"),
        month=dt.date(2023, 10, 1),
        state=BatchState.APPROVED,
        claims_count=1,
        persons=2,
        amount=Decimal("3000.00"),
        pushed_by=people.city,
        pushed_at=local(dt.date(2023, 10, 11), 9),
        first_by=people.finance,
        first_at=local(dt.date(2023, 10, 12), 9),
        second_by=people.finance2,
        second_at=local(dt.date(2023, 10, 13), 9),
    )
    SubsidyClaim.objects.filter(pk=claim.pk).update(batch=batch)
    d = annex3_data(claim)
    assert (d.finance_review.first, d.finance_review.first_on, d.finance_review.second) == (
        "褚财",
        dt.date(2023, 10, 12),
        "卢财",
    )


def test_an_uncommitted_claim_names_no_applicant(people: Cast) -> None:
    claim = build(people, paid=False)
    SubsidyClaim.objects.filter(pk=claim.pk).update(committed=False)
    assert annex3_data(claim).applicant == ""


# ── PDF ───────────────────────────────────────────────────────────────────────────────────────

SECTIONS = ("开班申请", "过程监管", "结业考核", "补贴资金申领", "资金拨付")
NAMES = ("赵丹", "钱东", "周华", "吴涵", "褚财", "卢财", "许巡查", "王爱丽")


def assert_the_form_reads(text: str) -> None:
    page = flat(text)
    assert "2023年政府补贴培训评价资金申请表" in page
    assert "禹州市阳光职业培训学校" in page
    assert "3,000.00元（0.3000万元）" in page
    for title in SECTIONS:
        assert title in page, title
    for name in NAMES:
        assert name in page, name
    assert "2023年10月20日" in page and "BOC20231020001" in page
    assert "公示期5个工作日" in page and "异议不成立" in page
    assert "平均出勤人数" in page and "2.5人" in page


def test_the_pdf_is_a4_with_every_section_the_reviewers_and_the_amounts(claim: SubsidyClaim) -> None:
    if not annex3._font_files():
        pytest.skip("no TrueType CJK font on this machine (.ci/run installs fonts-wqy-microhei)")
    content = annex3_pdf(annex3_data(claim))
    assert content.startswith(b"%PDF") and b"FontFile2" in content  # the TrueType font is embedded
    reader = pypdf.PdfReader(io.BytesIO(content))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    assert_the_form_reads(pdf_text(content))
    # the unpadded amount, as the form prints it
    assert "3,000.00 元（0.3000 万元）" in pdf_text(content).replace("\n", "")


def test_the_pdf_falls_back_to_the_built_in_cid_font_and_still_extracts(
    claim: SubsidyClaim, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(annex3, "_font_files", list)
    content = annex3_pdf(annex3_data(claim))
    assert b"STSong-Light" in content and b"FontFile2" not in content
    assert_the_form_reads(pdf_text(content))


def test_the_pdf_appends_the_claim_lines(claim: SubsidyClaim) -> None:
    reader = pypdf.PdfReader(io.BytesIO(annex3_pdf(annex3_data(claim))))
    last = flat(reader.pages[-1].extract_text())
    assert "补贴明细" in last and "SUB-CERT未取得证书" in last


# ── XLSX ──────────────────────────────────────────────────────────────────────────────────────


def test_the_xlsx_reopens_with_every_section_label_and_value(claim: SubsidyClaim) -> None:
    cells = xlsx_cells(annex3_xlsx(annex3_data(claim)))
    form = "\n".join(cells["资金申请表"])
    assert cells["资金申请表"][0] == "2023年政府补贴培训评价资金申请表"
    for title in SECTIONS:
        assert title in cells["资金申请表"], title
    for label in (
        "培训机构（或企业、评价机构、个人）名称",
        "联系人及电话",
        "开户银行名称",
        "银行帐号",
        "开班批次及拟开班时间",
        "培训工种及级别",
        "拟培训人数",
        "培训时长",
        "行业主管部门审核意见",
        "开班当日检查情况",
        "培训期间检查情况",
        "检查人员签字",
        "平均出勤人数",
        "参加考核人数",
        "其中：参加职业技能等级评定人数",
        "取证总人数",
        "考核巡查人员签字",
        "申请补贴人数",
        "财政部门审核意见",
        "拨付时间",
        "拨付金额（万元）",
    ):
        assert label in cells["资金申请表"], label
    for value in (
        "禹州市阳光职业培训学校",
        "王爱丽 138****0001",
        "中国银行禹州支行",
        "车工 四级/中级工",
        "3 人",
        "2.5 人",
        "2 人",
        "3,000.00 元（0.3000 万元）",
        "2023年10月20日",
        "许巡查",
        "就业补助资金（银行流水号：BOC20231020001）",
    ):
        assert value in cells["资金申请表"], value
    for name in NAMES:
        assert name in form, name


def test_the_xlsx_merges_the_section_labels_and_draws_borders(claim: SubsidyClaim) -> None:
    book = openpyxl.load_workbook(io.BytesIO(annex3_xlsx(annex3_data(claim))))
    sheet = book["资金申请表"]
    [top] = [c.row for c in sheet["A"] if c.value == "过程监管"]
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert any(r.startswith(f"A{top}:A") for r in merged)
    assert sheet.cell(row=top, column=3).border.left.style == "thin"
    assert sheet.cell(row=top, column=3).alignment.wrap_text


def test_the_xlsx_lists_the_claim_lines_with_their_reasons(claim: SubsidyClaim) -> None:
    book = openpyxl.load_workbook(io.BytesIO(annex3_xlsx(annex3_data(claim))))
    rows = list(book["补贴明细"].iter_rows(values_only=True))
    assert rows[0] == ("序号", "姓名", "身份证号", "可补贴", "补贴金额（元）", "补贴标准", "不予补贴原因")
    assert [(r[0], r[3], r[4], r[6]) for r in rows[1:4]] == [
        (1, "是", 1500, None),
        (2, "是", 1500, None),
        (3, "否", 0, "SUB-CERT 未取得证书"),
    ]
    assert rows[4][0] == "合计" and rows[4][4] == 3000


def test_a_font_named_in_the_environment_comes_first_and_a_bad_one_is_passed_over(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JINENG_PDF_FONT", str(tmp_path / "missing.ttf"))
    assert str(tmp_path / "missing.ttf") not in [path for path, _ in annex3._font_files()]
    bad = tmp_path / "bad.ttf"
    bad.write_bytes(b"not a font")
    monkeypatch.setenv("JINENG_PDF_FONT", str(bad))
    assert annex3._font_files()[0] == (str(bad), 0)
    assert annex3.pdf_font() in {"STSong-Light", *(n for n in annex3._registered.values() if n)}
