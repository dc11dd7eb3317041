"""Claims, review, notice, push, finance, payment and recovery — through the services.

The cast (jineng.testing): alice clerks for a 禹州 school and claims for her classes; dan1/dan2
review for 市工信局 (the lead department); erin reviews for 市农业农村局 and may touch nothing of
alice's; hana1/hana2 are 禹州 HR; carol is 长葛 HR and may touch nothing of 禹州; finance and
finance2 are the city finance bureau's two signers.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from jineng.audit.models import AuditEvent
from jineng.classes.errors import InvalidInput, InvalidTransition, NotPermitted, RuleBlocked, StaleVersion
from jineng.classes.models import ClassState, TrainingClass
from jineng.subsidy.models import ClaimState, Clawback, Disbursement, FinanceBatch, PaymentLine, SubsidyClaim
from jineng.subsidy.services import (
    ClaimInput,
    ClawbackInput,
    batch_push,
    batch_sign,
    claim_create,
    claim_disburse,
    claim_finance_return,
    claim_review,
    claim_submit,
    objection_record,
    objection_resolve,
    payment_clawback,
)
from jineng.supervision.tests.scenes import roster
from jineng.testing import Cast
from jineng.vouchers.models import Voucher, VoucherBatch

from .scenes import CLAIM, certify, claimed, ended_class, noticed, payment_for, through_review

pytestmark = pytest.mark.django_db

AFTER_NOTICE = dt.date(2023, 10, 10)  # the first day after a notice published 2023-09-27
PAY_DAY = dt.date(2023, 10, 20)


def _v(obj: SubsidyClaim | FinanceBatch) -> int:
    obj.refresh_from_db()
    return obj.version


def _blocks(claim: SubsidyClaim) -> dict[int, list[str]]:
    return {line.row: [b["rule"] for b in line.blocks] for line in claim.lines.order_by("row")}


def _approved_by_finance(people: Cast, claim: SubsidyClaim) -> FinanceBatch:
    batch = batch_push(actor=people.hana1, today=AFTER_NOTICE)
    batch_sign(batch=batch, actor=people.finance, expected_version=_v(batch), opinion="初审同意")
    batch_sign(batch=batch, actor=people.finance2, expected_version=_v(batch), opinion="复核同意")
    claim.refresh_from_db()
    return batch


@pytest.fixture
def paid_ready(people: Cast) -> SubsidyClaim:
    """A claim of three certified trainees, reviewed, noticed from 2023-09-27 and approved by finance."""
    cls = ended_class(people)
    certify(people, cls)
    claim = noticed(people, through_review(people, claimed(people, cls)))
    _approved_by_finance(people, claim)
    assert claim.state == ClaimState.FINANCE_APPROVED
    return claim


# ── the claim and its lines ──────────────────────────────────────────────────────────────────


def test_it_pays_the_certified_and_names_the_rule_for_everyone_else(people: Cast) -> None:
    cls = ended_class(people, trainees=4)
    first, failed, absent, _uncertified = roster(cls)
    certify(people, cls, [first])
    certify(people, cls, [failed], outcome="failed")
    certify(people, cls, [absent], outcome="absent")
    claim = claimed(people, cls)
    assert _blocks(claim) == {1: [], 2: ["ASM-CERT-ROUTE"], 3: ["ASM-CERT-ROUTE"], 4: ["ASM-CERT-ROUTE"]}
    messages = [line.blocks[0]["message"] for line in claim.lines.order_by("row")[1:]]
    assert "不合格" in messages[0] and "缺考" in messages[1] and "尚未录入结业考核结果" in messages[2]
    # The policy file's standard for a level-4 skill certificate, to the fen.
    assert (claim.payable_count, claim.amount) == (1, Decimal("1500.00"))
    assert claim.lines.get(row=1).standard == "职业技能等级证书·四级/中级工"


def test_a_trainee_without_any_check_in_is_not_payable(people: Cast) -> None:
    from jineng.supervision.models import CheckIn

    cls = ended_class(people)
    certify(people, cls)
    CheckIn.objects.filter(training_class=cls, person=roster(cls)[0].person).delete()
    claim = claimed(people, cls)
    assert _blocks(claim)[1] == ["SUP-FACE-CHECKIN"]
    assert claim.amount == Decimal("3000.00")


def test_a_class_not_ended_in_the_system_cannot_claim(people: Cast) -> None:
    cls = ended_class(people)
    TrainingClass.objects.filter(pk=cls.pk).update(state=ClassState.APPROVED)
    cls.refresh_from_db()
    with pytest.raises(RuleBlocked) as refused:
        claim_create(cls=cls, actor=people.alice, data=CLAIM)
    assert "SUB-IN-SYSTEM" in refused.value.message
    assert not SubsidyClaim.objects.exists()


def test_a_training_qualified_class_of_an_occupation_with_a_skill_certificate_pays_nobody(people: Cast) -> None:
    cls = ended_class(people, certificate="training_qualified", level=None)
    certify(people, cls, level=None)
    claim = claimed(people, cls)
    assert all(rules == ["ASM-CERT-ROUTE"] for rules in _blocks(claim).values())
    assert claim.amount == Decimal("0.00")


def test_a_voucher_holder_without_a_certificate_is_not_paid_and_the_voucher_says_why(people: Cast) -> None:
    cls = ended_class(people)
    first, second, _ = roster(cls)
    certify(people, cls, [first, second])
    batch = VoucherBatch.objects.create(
        code="Q-T",
        org=cls.area,
        issued_on=dt.date(2023, 4, 1),
        expires_on=dt.date(2023, 9, 27),
        count=1,
        issued_by=people.hana1,
        issued_at=dt.datetime(2023, 4, 1, tzinfo=dt.UTC),
        source_digest="t",
    )
    third = roster(cls)[2]
    Voucher.objects.create(
        code="ABCDEFGH2345",
        batch=batch,
        holder=third.person,
        issued_on=batch.issued_on,
        expires_on=batch.expires_on,
        enrollment=third,
        state="redeemed",
    )
    claim = claimed(people, cls)
    assert _blocks(claim)[3] == ["ASM-CERT-ROUTE", "VCH-CERT-VALUE"]


def test_the_claim_form_names_every_bad_field_at_once(people: Cast) -> None:
    cls = ended_class(people)
    with pytest.raises(InvalidInput) as refused:
        claim_create(
            cls=cls, actor=people.alice, data=ClaimInput(contact="", phone="12345", bank_name="", bank_account="12ab")
        )
    assert [f["path"] for f in refused.value.fields] == ["contact", "phone", "bank_name", "bank_account"]
    assert not SubsidyClaim.objects.exists()


def test_a_second_claim_for_the_same_class_is_the_first_one(people: Cast) -> None:
    cls = ended_class(people)
    certify(people, cls)
    first, created = claim_create(cls=cls, actor=people.alice, data=CLAIM)
    again, created_again = claim_create(cls=cls, actor=people.alice, data=CLAIM)
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert SubsidyClaim.objects.count() == 1


def test_only_the_institutions_clerk_claims(people: Cast) -> None:
    cls = ended_class(people)
    for outsider in (people.bob, people.hana1, people.dan1):
        with pytest.raises(NotPermitted):
            claim_create(cls=cls, actor=outsider, data=CLAIM)


def test_submitting_needs_the_commitment(people: Cast) -> None:
    cls = ended_class(people)
    certify(people, cls)
    claim, _ = claim_create(cls=cls, actor=people.alice, data=ClaimInput(**{**CLAIM.__dict__, "committed": False}))
    with pytest.raises(InvalidInput) as refused:
        claim_submit(claim=claim, actor=people.alice, expected_version=_v(claim))
    assert refused.value.fields[0]["path"] == "committed"


# ── review: two people at every stage, never the applicant, in scope ──────────────────────────


def test_each_stage_needs_two_different_signers(people: Cast) -> None:
    cls = ended_class(people)
    certify(people, cls)
    claim = claimed(people, cls)
    claim_submit(claim=claim, actor=people.alice, expected_version=_v(claim))
    claim_review(claim=claim, actor=people.dan1, action="accept", expected_version=_v(claim))
    claim_review(claim=claim, actor=people.dan1, action="dept_first", expected_version=_v(claim), opinion="同意")
    with pytest.raises(NotPermitted) as refused:
        claim_review(claim=claim, actor=people.dan1, action="dept_second", expected_version=_v(claim), opinion="同意")
    assert refused.value.extra["rule"] == "SUB-TWO-PERSON"
    claim_review(claim=claim, actor=people.dan2, action="dept_second", expected_version=_v(claim), opinion="同意")
    claim_review(claim=claim, actor=people.hana1, action="hr_first", expected_version=_v(claim), opinion="同意")
    with pytest.raises(NotPermitted):
        claim_review(claim=claim, actor=people.hana1, action="hr_second", expected_version=_v(claim), opinion="同意")


def test_finance_needs_two_different_signers(people: Cast) -> None:
    cls = ended_class(people)
    certify(people, cls)
    noticed(people, through_review(people, claimed(people, cls)))
    batch = batch_push(actor=people.hana1, today=AFTER_NOTICE)
    batch_sign(batch=batch, actor=people.finance, expected_version=_v(batch))
    with pytest.raises(NotPermitted) as refused:
        batch_sign(batch=batch, actor=people.finance, expected_version=_v(batch))
    assert refused.value.extra["rule"] == "SUB-TWO-PERSON"
    batch_sign(batch=batch, actor=people.finance2, expected_version=_v(batch))
    assert SubsidyClaim.objects.get().state == ClaimState.FINANCE_APPROVED


def test_the_applicant_never_signs(people: Cast) -> None:
    cls = ended_class(people)
    certify(people, cls)
    claim = claimed(people, cls)
    claim_submit(claim=claim, actor=people.alice, expected_version=_v(claim))
    with pytest.raises(NotPermitted):
        claim_review(claim=claim, actor=people.alice, action="accept", expected_version=_v(claim))
    # Even a reviewer account that created the claim could not sign it (the rule itself).
    SubsidyClaim.objects.filter(pk=claim.pk).update(created_by=people.dan1)
    claim_review(claim=claim, actor=people.dan2, action="accept", expected_version=_v(claim))
    with pytest.raises(NotPermitted) as refused:
        claim_review(claim=claim, actor=people.dan1, action="dept_first", expected_version=_v(claim), opinion="同意")
    assert "申请人" in refused.value.message


def test_reviewers_out_of_scope_are_refused(people: Cast) -> None:
    cls = ended_class(people)
    certify(people, cls)
    claim = claimed(people, cls)
    claim_submit(claim=claim, actor=people.alice, expected_version=_v(claim))
    with pytest.raises(NotPermitted):
        claim_review(claim=claim, actor=people.erin, action="accept", expected_version=_v(claim))
    through_review_state = claim_review(claim=claim, actor=people.dan1, action="accept", expected_version=_v(claim))
    assert through_review_state.to_state == ClaimState.ACCEPTED
    claim_review(claim=claim, actor=people.dan1, action="dept_first", expected_version=_v(claim), opinion="同意")
    claim_review(claim=claim, actor=people.dan2, action="dept_second", expected_version=_v(claim), opinion="同意")
    with pytest.raises(NotPermitted):
        claim_review(claim=claim, actor=people.carol, action="hr_first", expected_version=_v(claim), opinion="同意")


def test_a_stale_version_is_refused(people: Cast) -> None:
    cls = ended_class(people)
    certify(people, cls)
    claim = claimed(people, cls)
    seen = claim.version
    claim_submit(claim=claim, actor=people.alice, expected_version=seen)
    with pytest.raises(StaleVersion):
        claim_review(claim=claim, actor=people.dan1, action="accept", expected_version=seen)


def test_a_return_starts_a_new_round_and_the_claim_is_recomputed_on_resubmission(people: Cast) -> None:
    cls = ended_class(people)
    first, second, third = roster(cls)
    certify(people, cls, [first, second])
    claim = claimed(people, cls)
    claim_submit(claim=claim, actor=people.alice, expected_version=_v(claim))
    claim_review(claim=claim, actor=people.dan1, action="accept", expected_version=_v(claim))
    claim_review(
        claim=claim, actor=people.dan1, action="dept_return", expected_version=_v(claim), reasons=["证书待补录"]
    )
    certify(people, cls, [third])
    claim_submit(claim=claim, actor=people.alice, expected_version=_v(claim))
    claim.refresh_from_db()
    assert (claim.payable_count, claim.amount) == (3, Decimal("4500.00"))
    claim_review(claim=claim, actor=people.dan1, action="accept", expected_version=_v(claim))
    claim_review(claim=claim, actor=people.dan1, action="dept_first", expected_version=_v(claim), opinion="同意")


# ── notice, objections, push ─────────────────────────────────────────────────────────────────


def test_a_notice_published_2023_09_27_runs_over_the_national_day_holiday_to_10_09(people: Cast) -> None:
    cls = ended_class(people)
    certify(people, cls)
    claim = noticed(people, through_review(people, claimed(people, cls)), published_on=dt.date(2023, 9, 27))
    # 27, 28 Sep; 29 Sep – 6 Oct 中秋/国庆; 7 and 8 Oct are adjusted working days; 9 Oct the fifth.
    assert (claim.notice_from, claim.notice_until) == (dt.date(2023, 9, 27), dt.date(2023, 10, 9))
    with pytest.raises(InvalidInput):
        batch_push(actor=people.hana1, today=dt.date(2023, 10, 9))
    batch = batch_push(actor=people.hana1, today=AFTER_NOTICE)
    assert (batch.claims_count, batch.amount, batch.persons) == (1, Decimal("4500.00"), 3)


def test_a_notice_cannot_be_backdated(people: Cast) -> None:
    from jineng.subsidy.services import claim_publish

    cls = ended_class(people)
    certify(people, cls)
    claim = through_review(people, claimed(people, cls))
    with pytest.raises(InvalidInput) as refused:
        claim_publish(
            claim=claim,
            actor=people.hana1,
            expected_version=_v(claim),
            published_on=dt.date(2023, 9, 26),
            site="官网",
            today=dt.date(2023, 9, 27),
        )
    assert refused.value.fields[0]["path"] == "published_on"


def test_an_open_objection_holds_the_push_and_an_upheld_one_drops_the_trainee(people: Cast) -> None:
    cls = ended_class(people)
    certify(people, cls)
    claim = noticed(people, through_review(people, claimed(people, cls)))
    line = claim.lines.get(row=2)
    objection = objection_record(
        claim=claim,
        actor=people.hana1,
        received_on=dt.date(2023, 9, 28),
        source="匿名来电",
        content="该学员培训期间在外务工",
        line_id=line.pk,
        today=dt.date(2023, 9, 28),
    )
    with pytest.raises(InvalidInput) as refused:
        batch_push(actor=people.hana1, today=AFTER_NOTICE)
    assert "异议" in refused.value.fields[0]["message"]
    with pytest.raises(NotPermitted):  # the one who logged it does not close it alone
        objection_resolve(objection=objection, actor=people.hana1, upheld=True, resolution="核实属实")
    objection_resolve(objection=objection, actor=people.hana2, upheld=True, resolution="经核实属实，取消该学员补贴")
    claim.refresh_from_db()
    assert (claim.payable_count, claim.amount) == (2, Decimal("3000.00"))
    assert _blocks(claim)[2] == ["SUB-PUBLIC-NOTICE"]
    batch = batch_push(actor=people.hana1, today=AFTER_NOTICE)
    assert batch.amount == Decimal("3000.00")


def test_one_push_per_unit_and_month(people: Cast) -> None:
    cls = ended_class(people)
    certify(people, cls)
    noticed(people, through_review(people, claimed(people, cls)))
    batch_push(actor=people.hana1, today=AFTER_NOTICE)
    with pytest.raises(InvalidTransition) as refused:
        batch_push(actor=people.hana2, today=dt.date(2023, 10, 31))
    assert "已推送" in refused.value.message


def test_carol_pushes_nothing_of_yuzhou(people: Cast) -> None:
    cls = ended_class(people)
    certify(people, cls)
    noticed(people, through_review(people, claimed(people, cls)))
    with pytest.raises(InvalidInput):
        batch_push(actor=people.carol, today=AFTER_NOTICE)


# ── disbursement ─────────────────────────────────────────────────────────────────────────────


def test_disbursement_pays_each_payable_trainee_once_and_is_audited(people: Cast, paid_ready: SubsidyClaim) -> None:
    claim = paid_ready
    disbursement, created = claim_disburse(
        claim=claim,
        actor=people.finance,
        idempotency_key="pay-0001-abcdef",
        data=payment_for(claim),
        today=PAY_DAY,
    )
    claim.refresh_from_db()
    assert created and claim.state == ClaimState.PAID
    assert disbursement.amount == Decimal("4500.00")
    assert sorted(PaymentLine.objects.values_list("amount", flat=True)) == [Decimal("1500.00")] * 3
    events = list(
        AuditEvent.objects.filter(object_id=str(claim.pk), object_type="subsidy.subsidyclaim").values_list(
            "event", flat=True
        )
    )
    assert events == [
        "claim.disburse",
        "claim.publish",
        "claim.hr_second",
        "claim.hr_first",
        "claim.dept_second",
        "claim.dept_first",
        "claim.accept",
        "claim.submit",
        "claim.recompute",
        "claim.create",
    ]
    actions = list(claim.steps.values_list("action", flat=True))
    assert actions == [
        "submit",
        "accept",
        "dept_first",
        "dept_second",
        "hr_first",
        "hr_second",
        "publish",
        "push",
        "finance_first",
        "finance_second",
        "disburse",
    ]


def test_the_same_key_replays_and_other_content_under_it_is_refused(people: Cast, paid_ready: SubsidyClaim) -> None:
    claim = paid_ready
    first, _ = claim_disburse(
        claim=claim,
        actor=people.finance,
        idempotency_key="pay-0001-abcdef",
        data=payment_for(claim),
        today=PAY_DAY,
    )
    again, created = claim_disburse(
        claim=claim,
        actor=people.finance,
        idempotency_key="pay-0001-abcdef",
        data=payment_for(claim),
        today=PAY_DAY,
    )
    assert (again.pk, created) == (first.pk, False)
    with pytest.raises(InvalidTransition) as refused:
        claim_disburse(
            claim=claim,
            actor=people.finance,
            idempotency_key="pay-0001-abcdef",
            data=payment_for(claim, reference="BOC20231020999"),
            today=PAY_DAY,
        )
    assert "幂等键" in refused.value.message
    with pytest.raises(InvalidTransition):  # a second payment under a new key
        claim_disburse(
            claim=claim,
            actor=people.finance,
            idempotency_key="pay-0002-abcdef",
            data=payment_for(claim, reference="X1234567"),
            today=PAY_DAY,
        )
    assert Disbursement.objects.count() == 1


def test_the_amount_paid_must_be_the_amount_approved(people: Cast, paid_ready: SubsidyClaim) -> None:
    data = payment_for(paid_ready)
    with pytest.raises(InvalidInput) as refused:
        claim_disburse(
            claim=paid_ready,
            actor=people.finance,
            idempotency_key="pay-0003-abcdef",
            data=type(data)(Decimal("4500.01"), data.paid_on, data.bank_reference, data.fund_source),
            today=PAY_DAY,
        )
    assert refused.value.fields[0]["path"] == "amount"


def test_an_objection_received_after_the_push_holds_the_payment(people: Cast, paid_ready: SubsidyClaim) -> None:
    objection_record(
        claim=paid_ready,
        actor=people.hana1,
        received_on=dt.date(2023, 10, 12),
        source="来信",
        content="举报虚假培训",
        today=dt.date(2023, 10, 12),
    )
    with pytest.raises(RuleBlocked) as refused:
        claim_disburse(
            claim=paid_ready,
            actor=people.finance,
            idempotency_key="pay-0004-abcdef",
            data=payment_for(paid_ready),
            today=PAY_DAY,
        )
    assert "SUB-PUBLIC-NOTICE" in refused.value.message


def test_finance_can_send_a_claim_back_and_the_batch_follows(people: Cast) -> None:
    cls = ended_class(people)
    certify(people, cls)
    claim = noticed(people, through_review(people, claimed(people, cls)))
    batch = batch_push(actor=people.hana1, today=AFTER_NOTICE)
    claim_finance_return(claim=claim, actor=people.finance, reasons=["银行账号与开户名不符"])
    batch.refresh_from_db()
    claim.refresh_from_db()
    assert (claim.state, claim.batch_id, batch.claims_count, batch.amount) == (
        ClaimState.RETURNED,
        None,
        0,
        Decimal("0"),
    )


def test_the_database_refuses_a_second_payment_of_one_person_for_one_class(
    people: Cast, paid_ready: SubsidyClaim
) -> None:
    disbursement, _ = claim_disburse(
        claim=paid_ready,
        actor=people.finance,
        idempotency_key="pay-0005-abcdef",
        data=payment_for(paid_ready),
        today=PAY_DAY,
    )
    line = PaymentLine.objects.first()
    assert line is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentLine.objects.create(
            disbursement=disbursement,
            line=paid_ready.lines.exclude(pk=line.line_id).get(row=1 if line.line.row != 1 else 2),
            person_id=line.person_id,
            training_class_id=line.training_class_id,
            amount=Decimal("1.00"),
        )


# ── clawback ─────────────────────────────────────────────────────────────────────────────────


def test_a_clawback_keeps_the_original_payment_and_cannot_exceed_it(people: Cast, paid_ready: SubsidyClaim) -> None:
    claim_disburse(
        claim=paid_ready,
        actor=people.finance,
        idempotency_key="pay-0006-abcdef",
        data=payment_for(paid_ready),
        today=PAY_DAY,
    )
    payment = PaymentLine.objects.order_by("line__row").first()
    assert payment is not None
    data = ClawbackInput(Decimal("1000.00"), "SUP-FACE-CHECKIN", "审计发现代签到", "SJ2024-001", dt.date(2024, 3, 1))
    payment_clawback(payment=payment, actor=people.hana1, data=data, today=dt.date(2024, 3, 1))
    with pytest.raises(InvalidInput) as refused:
        payment_clawback(
            payment=payment,
            actor=people.hana1,
            data=ClawbackInput(Decimal("500.01"), "XXX-1", "", "", dt.date(2024, 3, 2)),
            today=dt.date(2024, 3, 2),
        )
    assert [f["path"] for f in refused.value.fields] == ["amount", "rule", "reason", "reference"]
    payment.refresh_from_db()
    assert payment.amount == Decimal("1500.00")
    assert Clawback.objects.get().amount == Decimal("1000.00")
    with pytest.raises(NotPermitted):
        payment_clawback(payment=payment, actor=people.carol, data=data, today=dt.date(2024, 3, 1))


def test_the_city_finance_bureau_signs_and_sees_only_what_was_pushed_to_it(people: Cast) -> None:
    from jineng.subsidy.selectors import claims_for
    from jineng.testing import unit

    for signer in (people.finance, people.finance2):  # 市财政局, a city-level bureau
        signer.org = unit("finance")
        signer.save(update_fields=["org"])
    cls = ended_class(people)
    certify(people, cls)
    claim = noticed(people, through_review(people, claimed(people, cls)))
    assert not claims_for(people.finance).exists()
    _approved_by_finance(people, claim)
    assert list(claims_for(people.finance)) == [claim]
    claim_disburse(
        claim=claim, actor=people.finance2, idempotency_key="pay-bureau-0001", data=payment_for(claim), today=PAY_DAY
    )


def test_an_objection_upheld_against_the_whole_claim_sends_it_back_and_off_the_public_page(people: Cast) -> None:
    from jineng.subsidy.selectors import public_notices

    cls = ended_class(people)
    certify(people, cls)
    claim = noticed(people, through_review(people, claimed(people, cls)))
    assert list(public_notices(today=dt.date(2023, 9, 28))) == [claim]
    objection = objection_record(
        claim=claim,
        actor=people.hana1,
        received_on=dt.date(2023, 9, 28),
        source="来信",
        content="机构伪造签到记录",
        today=dt.date(2023, 9, 28),
    )
    objection_resolve(objection=objection, actor=people.hana2, upheld=True, resolution="经查属实，整体退回")
    claim.refresh_from_db()
    assert claim.state == ClaimState.RETURNED
    assert list(claim.steps.values_list("action", flat=True))[-1] == "objection_return"
    assert not public_notices(today=dt.date(2023, 9, 28)).exists()
    with pytest.raises(InvalidInput):
        batch_push(actor=people.hana1, today=AFTER_NOTICE)
