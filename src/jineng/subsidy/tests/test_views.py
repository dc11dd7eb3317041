"""The subsidy pages: the claim form, the claim page and every step of the chain through it, finance's
batches and HR's push, the XLSX/PDF downloads, the public notice (no login) and the class tab.

alice's class (scenes.ended_class) is led by 市工信局 (dan1/dan2) in 禹州 (hana1/hana2); carol
(长葛 HR), erin (市农业农村局) and a worker see nothing of it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from jineng.accounts.models import User
from jineng.ids import mask_name, mask_ric
from jineng.subsidy.models import ClaimState, Disbursement, FinanceBatch, Objection, PaymentLine, SubsidyClaim
from jineng.subsidy.services import batch_push, batch_sign
from jineng.subsidy.views import COMMITMENT, class_tab_context
from jineng.supervision.tests.scenes import in_training, roster
from jineng.testing import Cast, reauthenticate

from .scenes import certify, claimed, ended_class, noticed, through_review

pytestmark = pytest.mark.django_db

AFTER_NOTICE = dt.date(2023, 10, 10)
OUTSIDERS = ["carol", "erin", "wendy"]
FORM = {
    "contact": "王爱丽",
    "phone": "13800000001",
    "bank_name": "中国银行禹州支行",
    "bank_account": "6222 0202 0001 2345 678",
    "committed": "on",
}


def login(who: User) -> Client:
    client = Client()
    client.force_login(who)
    return client


def as_(people: Cast, who: str) -> Client:
    return login(getattr(people, who))


def paying(people: Cast, who: str) -> Client:
    """A client whose session has just re-authenticated, as a money step needs (the forms' password
    and code fields are tested in jineng.accounts.tests.test_totp)."""
    client = as_(people, who)
    reauthenticate(client)
    return client


def _v(obj: SubsidyClaim | FinanceBatch) -> int:
    obj.refresh_from_db()
    return obj.version


def flash(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def workbook(response: Any) -> Any:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    return load_workbook(io.BytesIO(response.content)).active


@pytest.fixture
def cls(people: Cast) -> Any:
    made = ended_class(people)
    certify(people, made)
    return made


@pytest.fixture
def draft(people: Cast, cls: Any) -> SubsidyClaim:
    return claimed(people, cls)


@pytest.fixture
def in_notice(people: Cast, draft: SubsidyClaim) -> SubsidyClaim:
    return noticed(people, through_review(people, draft))


@pytest.fixture
def approved(people: Cast, in_notice: SubsidyClaim) -> SubsidyClaim:
    batch = batch_push(actor=people.hana1, today=AFTER_NOTICE)
    batch_sign(batch=batch, actor=people.finance, expected_version=_v(batch))
    batch_sign(batch=batch, actor=people.finance2, expected_version=_v(batch))
    in_notice.refresh_from_db()
    return in_notice


# ── the claim form ────────────────────────────────────────────────────────────────────────────


def test_the_clerk_fills_in_the_claim_with_the_annex_3_commitment(people: Cast, cls: Any):
    alice = as_(people, "alice")
    page = alice.get(f"/subsidy/new/{cls.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert COMMITMENT in body and 'name="committed"' in body and "csrfmiddlewaretoken" in body
    response = alice.post(f"/subsidy/new/{cls.pk}/", FORM, follow=True)
    claim = SubsidyClaim.objects.get(training_class=cls)
    assert response.redirect_chain[-1][0] == f"/subsidy/{claim.pk}/"
    assert any("已创建补贴申请" in m and "4500.00 元" in m for m in flash(response))
    assert claim.bank_account == "6222020200012345678" and claim.committed
    # the same form again: the claim that exists, not a second one
    again = alice.post(f"/subsidy/new/{cls.pk}/", FORM, follow=True)
    assert again.redirect_chain[-1][0] == f"/subsidy/{claim.pk}/"
    assert any("已有补贴申请" in m for m in flash(again))
    assert alice.get(f"/subsidy/new/{cls.pk}/").status_code == 302
    assert SubsidyClaim.objects.count() == 1


def test_the_claim_form_shows_every_bad_field_next_to_it(people: Cast, cls: Any):
    response = as_(people, "alice").post(
        f"/subsidy/new/{cls.pk}/", {**FORM, "phone": "12345", "bank_account": "abc", "contact": ""}
    )
    assert response.status_code == 422
    body = response.content.decode()
    for name in ("phone", "bank_account", "contact"):
        assert f'data-field="{name}"' in body
    assert "不是有效的手机号" in body and "应为 10 至 30 位数字" in body
    assert not SubsidyClaim.objects.exists()


def test_a_class_still_in_training_is_refused_with_the_rule(people: Cast):
    cls = in_training(people, trainees=2)
    alice = as_(people, "alice")
    assert "SUB-IN-SYSTEM" in alice.get(f"/subsidy/new/{cls.pk}/").content.decode()
    response = alice.post(f"/subsidy/new/{cls.pk}/", FORM)
    assert response.status_code == 409
    assert 'data-code="rule_blocked"' in response.content.decode() and "SUB-IN-SYSTEM" in response.content.decode()


def test_only_the_institutions_clerk_may_open_the_claim_form(people: Cast, cls: Any):
    assert as_(people, "dan1").get(f"/subsidy/new/{cls.pk}/").status_code == 403
    for who in ("bob", *OUTSIDERS):
        assert as_(people, who).get(f"/subsidy/new/{cls.pk}/").status_code == 404, who
        assert as_(people, who).post(f"/subsidy/new/{cls.pk}/", FORM).status_code == 404, who
    assert Client().get(f"/subsidy/new/{cls.pk}/").status_code == 302  # to the login page


# ── the claim page ────────────────────────────────────────────────────────────────────────────


def test_the_claim_page_shows_each_trainee_payable_or_blocked_by_rule(people: Cast):
    cls = ended_class(people)
    first, second, third = roster(cls)
    certify(people, cls, [first, second])
    claim = claimed(people, cls)
    alice = as_(people, "alice").get(f"/subsidy/{claim.pk}/").content.decode()
    assert 'data-testid="claim-amount">3000.00<' in alice
    assert alice.count('title="可补贴">✓<') == 2 and alice.count(">不予补贴<") == 1
    assert "ASM-CERT-ROUTE" in alice and third.person.id_number in alice
    assert "SUB-INDUSTRY-DEADLINE" in alice and "SUB-MONTHLY-PUSH" in alice
    assert 'data-testid="edit-panel"' in alice and 'data-testid="submit-claim"' in alice
    for link in ("annex3-pdf", "annex3-xlsx", "lines-xlsx"):
        assert f'data-testid="{link}"' in alice
    dept = as_(people, "dan1").get(f"/subsidy/{claim.pk}/").content.decode()
    assert third.person.id_number not in dept and mask_ric(third.person.id_number) in dept
    assert 'data-testid="edit-panel"' not in dept and 'data-testid="review-panel"' not in dept


@pytest.mark.parametrize("who", OUTSIDERS)
def test_every_claim_page_is_404_outside_the_scope(people: Cast, approved: SubsidyClaim, who: str):
    claim = approved
    objection = Objection.objects.create(
        claim=claim,
        received_on=claim.notice_from or dt.date(2023, 9, 27),
        source="来电",
        content="核实",
        recorded_by=people.hana1,
        recorded_at=timezone.now(),
    )
    client = as_(people, who)
    base = f"/subsidy/{claim.pk}"
    for path in (f"{base}/", f"{base}/lines.xlsx", f"{base}/annex3.pdf", f"{base}/annex3.xlsx"):
        assert client.get(path).status_code == 404, (who, path)
    for path in (
        "edit/",
        "recompute/",
        "submit/",
        "review/",
        "publish/",
        "objections/",
        f"objections/{objection.pk}/resolve/",
        "finance-return/",
        "disburse/",
        "payments/1/clawback/",
    ):
        assert client.post(f"{base}/{path}", {"version": claim.version}).status_code == 404, (who, path)
    assert client.get(f"/subsidy/finance/{claim.batch_id}/").status_code == 404
    assert client.post(f"/subsidy/finance/{claim.batch_id}/sign/", {"version": 1}).status_code == 404
    listed = client.get("/subsidy/")
    assert listed.status_code == 200 and claim.code not in listed.content.decode()


def test_the_chain_runs_through_the_pages_from_clerk_to_public_notice(people: Cast, draft: SubsidyClaim):
    base = f"/subsidy/{draft.pk}"

    def post(who: str, path: str, **data: Any) -> Any:
        return as_(people, who).post(f"{base}/{path}", {"version": _v(draft), **data}, follow=True)

    submitted = post("alice", "submit/")
    assert submitted.status_code == 200 and any("已提交" in m for m in flash(submitted))
    assert 'data-testid="review-panel"' in as_(people, "dan1").get(f"{base}/").content.decode()
    assert post("dan1", "review/", action="accept").status_code == 200
    no_opinion = post("dan1", "review/", action="dept_first")
    assert no_opinion.status_code == 422 and "审核意见必填" in no_opinion.content.decode()
    assert post("dan1", "review/", action="dept_first", opinion="同意").status_code == 200
    alone = post("dan1", "review/", action="dept_second", opinion="同意")
    assert alone.status_code == 403
    assert 'data-code="not_permitted"' in alone.content.decode() and "SUB-TWO-PERSON" in alone.content.decode()
    for who, action in (("dan2", "dept_second"), ("hana1", "hr_first"), ("hana2", "hr_second")):
        response = post(who, "review/", action=action, opinion="同意")
        assert response.status_code == 200 and any("已复核通过" in m or "已初审通过" in m for m in flash(response))
    draft.refresh_from_db()
    assert draft.state == ClaimState.HR_APPROVED
    page = as_(people, "hana1").get(f"{base}/").content.decode()
    assert 'data-testid="publish-panel"' in page and "禹州市人力资源和社会保障局官网" in page
    bad_day = post("hana1", "publish/", published_on="2023-02-30", site="x")
    assert bad_day.status_code == 422 and "不是有效日期" in bad_day.content.decode()
    today = timezone.localdate()
    published = post("hana1", "publish/", published_on=today.isoformat(), site="禹州市人社局官网")
    assert published.status_code == 200 and any("已发布公示" in m for m in flash(published))
    draft.refresh_from_db()
    assert draft.state == ClaimState.NOTICE and draft.notice_from == today
    steps = as_(people, "alice").get(f"{base}/").content.decode()
    for name in ("赵丹", "钱东", "周华", "吴涵"):
        assert name in steps


def test_a_stale_page_is_refused_with_409_and_shows_the_fresh_claim(people: Cast, draft: SubsidyClaim):
    alice = as_(people, "alice")
    alice.post(f"/subsidy/{draft.pk}/edit/", {**FORM, "phone": "0374-1234567", "version": draft.version})
    stale = alice.post(f"/subsidy/{draft.pk}/submit/", {"version": draft.version})
    assert stale.status_code == 409
    body = stale.content.decode()
    assert 'data-code="stale_version"' in body and "0374-1234567" in body


def test_an_edit_with_bad_fields_shows_them_on_the_claim_page(people: Cast, draft: SubsidyClaim):
    response = as_(people, "alice").post(
        f"/subsidy/{draft.pk}/edit/", {**FORM, "bank_account": "12", "version": draft.version}
    )
    assert response.status_code == 422 and 'data-field="bank_account"' in response.content.decode()


def test_objections_are_recorded_by_one_hr_reviewer_and_resolved_by_another(people: Cast, in_notice: SubsidyClaim):
    base = f"/subsidy/{in_notice.pk}"
    line = in_notice.lines.order_by("row").first()
    assert line is not None
    page = as_(people, "hana1").get(f"{base}/").content.decode()
    assert 'data-testid="objection-form"' in page
    recorded = as_(people, "hana1").post(
        f"{base}/objections/",
        {"received_on": str(in_notice.notice_from), "line_id": line.pk, "source": "群众来信", "content": "未参训"},
        follow=True,
    )
    assert recorded.status_code == 200 and any("已登记公示异议" in m for m in flash(recorded))
    objection = Objection.objects.get(claim=in_notice)
    resolve = f"{base}/objections/{objection.pk}/resolve/"
    alone = as_(people, "hana1").post(resolve, {"upheld": "1", "resolution": "核实"})
    assert alone.status_code == 403 and "SUB-TWO-PERSON" in alone.content.decode()
    done = as_(people, "hana2").post(resolve, {"upheld": "1", "resolution": "核实未参训"}, follow=True)
    assert done.status_code == 200 and any("异议成立" in m for m in flash(done))
    in_notice.refresh_from_db()
    assert str(in_notice.amount) == "3000.00"
    assert 'data-testid="objection-form"' not in as_(people, "dan1").get(f"{base}/").content.decode()


# ── finance: the push, the batch, disbursement ────────────────────────────────────────────────


def test_hr_pushes_from_the_finance_page_and_finance_signs_the_batch(people: Cast, in_notice: SubsidyClaim):
    hr = as_(people, "hana1")
    page = hr.get("/subsidy/finance/").content.decode()
    assert 'data-testid="push-panel"' in page and in_notice.code in page
    pushed = hr.post("/subsidy/finance/push/", follow=True)
    batch = FinanceBatch.objects.get()
    assert pushed.redirect_chain[-1][0] == f"/subsidy/finance/{batch.pk}/"
    assert any("已推送批次" in m for m in flash(pushed))
    again = hr.post("/subsidy/finance/push/")
    assert again.status_code == 409 and 'data-code="invalid_transition"' in again.content.decode()
    finance = paying(people, "finance")
    assert batch.code in finance.get("/subsidy/finance/").content.decode()
    detail = finance.get(f"/subsidy/finance/{batch.pk}/").content.decode()
    assert 'data-testid="sign-panel"' in detail and "财政初审" in detail
    first = finance.post(f"/subsidy/finance/{batch.pk}/sign/", {"version": batch.version}, follow=True)
    assert any("财政初审通过" in m for m in flash(first))
    alone = finance.post(f"/subsidy/finance/{batch.pk}/sign/", {"version": _v(batch)})
    assert alone.status_code == 403 and "SUB-TWO-PERSON" in alone.content.decode()
    paying(people, "finance2").post(f"/subsidy/finance/{batch.pk}/sign/", {"version": _v(batch)})
    in_notice.refresh_from_db()
    assert in_notice.state == ClaimState.FINANCE_APPROVED
    assert as_(people, "erin").get("/subsidy/finance/").status_code == 403
    assert as_(people, "carol").get(f"/subsidy/finance/{batch.pk}/").status_code == 404


def test_a_double_click_on_the_disburse_form_pays_once(people: Cast, approved: SubsidyClaim):
    finance = paying(people, "finance")
    page = finance.get(f"/subsidy/{approved.pk}/").content.decode()
    assert 'data-testid="disburse-panel"' in page
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page)
    assert key is not None
    form = {
        "idempotency_key": key.group(1),
        "amount": "4500.00",
        "paid_on": "2023-10-20",
        "bank_reference": "BOC20231020001",
        "fund_source": "employment_fund",
    }
    first = finance.post(f"/subsidy/{approved.pk}/disburse/", form, follow=True)
    assert any("已拨付 4500.00 元" in m for m in flash(first))
    second = finance.post(f"/subsidy/{approved.pk}/disburse/", form, follow=True)
    assert any("未重复拨付" in m for m in flash(second))
    assert Disbursement.objects.count() == 1 and PaymentLine.objects.count() == 3
    paid_page = second.content.decode()
    assert 'data-testid="payments"' in paid_page and 'data-testid="clawback-form"' in paid_page
    other_key = finance.post(f"/subsidy/{approved.pk}/disburse/", {**form, "idempotency_key": "another-key-1"})
    assert other_key.status_code == 409
    # a fresh form draws a fresh key
    assert key.group(1) not in finance.get(f"/subsidy/{approved.pk}/").content.decode()


def test_a_clawback_through_the_page_keeps_the_payment(people: Cast, approved: SubsidyClaim):
    finance = paying(people, "finance")
    form = {
        "idempotency_key": "page-key-0001",
        "amount": "4500.00",
        "paid_on": "2023-10-20",
        "bank_reference": "BOC20231020002",
        "fund_source": "employment_fund",
    }
    finance.post(f"/subsidy/{approved.pk}/disburse/", form)
    payment = PaymentLine.objects.order_by("line__row").first()
    assert payment is not None
    url = f"/subsidy/{approved.pk}/payments/{payment.pk}/clawback/"
    bad = finance.post(
        url, {"amount": "abc", "rule": "SUB-CLAWBACK", "reason": "x", "reference": "y", "decided_on": ""}
    )
    assert bad.status_code == 422 and "不是有效金额" in bad.content.decode() and "不是有效日期" in bad.content.decode()
    done = finance.post(
        url,
        {"amount": "500", "rule": "SUB-CLAWBACK", "reason": "复查", "reference": "SJ1", "decided_on": "2024-03-01"},
        follow=True,
    )
    assert any("已登记收缴 500.00 元" in m for m in flash(done))
    payment.refresh_from_db()
    assert str(payment.amount) == "1500.00" and payment.clawbacks.count() == 1


def test_finance_returning_a_claim_goes_back_to_the_list(people: Cast, in_notice: SubsidyClaim):
    batch_push(actor=people.hana1, today=AFTER_NOTICE)
    finance = as_(people, "finance")
    empty = finance.post(f"/subsidy/{in_notice.pk}/finance-return/", {"reasons": ""})
    assert empty.status_code == 422
    response = finance.post(f"/subsidy/{in_notice.pk}/finance-return/", {"reasons": "账号有误"})
    assert response.status_code == 302 and response["Location"] == "/subsidy/"
    in_notice.refresh_from_db()
    assert in_notice.state == ClaimState.RETURNED


# ── exports ───────────────────────────────────────────────────────────────────────────────────


def test_the_list_filters_pages_totals_and_exports_xlsx(people: Cast, draft: SubsidyClaim):
    alice = as_(people, "alice")
    page = alice.get("/subsidy/").content.decode()
    assert draft.code in page and "1 件申请，申请补贴 3 人，4500.00 元" in page
    assert draft.code not in alice.get("/subsidy/?state=paid").content.decode()
    assert draft.code not in alice.get("/subsidy/?q=没有这个").content.decode()
    sheet = workbook(alice.get("/subsidy/?format=xlsx&state=draft"))
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:7] == ("编号", "培训班编号", "培训班", "机构", "县区", "状态", "花名册人数")
    assert rows[2][0] == draft.code and rows[2][5] == "草稿" and rows[2][7] == 3 and rows[2][8] == 4500
    assert rows[-1][0] == "合计"
    assert len(list(workbook(alice.get("/subsidy/?format=xlsx&state=paid")).iter_rows())) == 3  # heading, header, 合计


def test_the_lines_export_masks_ids_for_reviewers(people: Cast, draft: SubsidyClaim):
    person = roster(draft.training_class)[0].person
    rows = list(workbook(as_(people, "dan1").get(f"/subsidy/{draft.pk}/lines.xlsx")).iter_rows(values_only=True))
    assert rows[1][0] == "序号" and rows[2][2] == mask_ric(person.id_number) and rows[2][6] == "可补贴"
    clear = list(workbook(as_(people, "alice").get(f"/subsidy/{draft.pk}/lines.xlsx")).iter_rows(values_only=True))
    assert clear[2][2] == person.id_number


def test_the_batch_exports_the_list_finance_pays_from(people: Cast, in_notice: SubsidyClaim):
    batch = batch_push(actor=people.hana1, today=AFTER_NOTICE)
    rows = list(
        workbook(as_(people, "finance").get(f"/subsidy/finance/{batch.pk}/?format=xlsx")).iter_rows(values_only=True)
    )
    assert batch.code in rows[0][0]
    assert rows[2][1] == in_notice.code and rows[2][8] == "6222020200012345678" and rows[2][6] == 4500
    assert rows[-1][0] == "合计"


def test_the_annex_3_form_downloads_as_pdf_and_xlsx(people: Cast, draft: SubsidyClaim):
    pytest.importorskip("jineng.subsidy.annex3", reason="subsidy/annex3.py (annex3_data/pdf/xlsx) not there yet")
    alice = as_(people, "alice")
    pdf = alice.get(f"/subsidy/{draft.pk}/annex3.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf["Content-Disposition"]
    xlsx = alice.get(f"/subsidy/{draft.pk}/annex3.xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    load_workbook(io.BytesIO(xlsx.content))
    assert alice.get(f"/subsidy/{draft.pk}/annex3.doc").status_code == 404


def test_the_annex_3_form_shows_the_bank_account_to_whoever_reads_it_on_the_claims_page(
    people: Cast, in_notice: SubsidyClaim
) -> None:
    pytest.importorskip("jineng.subsidy.annex3")
    batch_push(actor=people.hana1, today=AFTER_NOTICE)  # now finance's to pay
    account = "6222020200012345678"

    def form_cells(who: str) -> str:
        answer = as_(people, who).get(f"/subsidy/{in_notice.pk}/annex3.xlsx")
        assert answer.status_code == 200
        book = load_workbook(io.BytesIO(answer.content))
        return " ".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v)

    first_id = in_notice.lines.select_related("person").get(row=1).person.id_number
    paid_from = form_cells("finance")  # finance pays into the account but reads no resident ID
    assert account in paid_from and first_id not in paid_from
    assert account in as_(people, "finance").get(f"/subsidy/{in_notice.pk}/").content.decode()
    reviewed = form_cells("dan1")  # the lead department's reviewer: last four digits, as on the page
    assert account not in reviewed and account[-4:] in reviewed


# ── the public notice ─────────────────────────────────────────────────────────────────────────


def test_the_public_notice_masks_every_name_and_id_and_needs_no_login(people: Cast, cls: Any):
    claim = noticed(people, through_review(people, claimed(people, cls)), published_on=timezone.localdate())
    anonymous = Client()
    listed = anonymous.get("/public/notices/")
    assert listed.status_code == 200 and f"/public/notices/{claim.pk}/" in listed.content.decode()
    page = anonymous.get(f"/public/notices/{claim.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "2023年政府补贴性职业技能培训补贴公示" in body
    assert "公示期间如有异议，请向禹州市人力资源和社会保障局反映" in body
    assert cls.institution.name in body and "4500.00" in body
    for e in roster(cls):
        assert e.person.id_number not in body
        assert mask_ric(e.person.id_number) in body and mask_name(e.person.name) in body
    # even for a reader who may see IDs in clear elsewhere
    assert (
        roster(cls)[0].person.id_number not in as_(people, "hana1").get(f"/public/notices/{claim.pk}/").content.decode()
    )
    assert anonymous.get("/public/notices/999999/").status_code == 404


def test_a_claim_not_noticed_has_no_public_page(people: Cast, draft: SubsidyClaim):
    assert Client().get(f"/public/notices/{draft.pk}/").status_code == 404


# ── the class tab ─────────────────────────────────────────────────────────────────────────────


def test_the_class_tab_offers_the_claim_to_the_clerk_of_an_ended_class(people: Cast, cls: Any):
    ctx = class_tab_context(people.alice, cls)
    assert ctx["claim_tab"]["new_url"] == f"/subsidy/new/{cls.pk}/"
    html = render_to_string("subsidy/_tab.html", ctx)
    assert 'data-testid="claim-new"' in html
    assert class_tab_context(people.dan1, cls)["claim_tab"]["new_url"] == ""
    running = in_training(people, trainees=1, first=50)
    assert class_tab_context(people.alice, running)["claim_tab"]["new_url"] == ""


def test_the_class_tab_shows_the_claims_state_and_amount(people: Cast, draft: SubsidyClaim):
    cls = draft.training_class
    html = render_to_string("subsidy/_tab.html", class_tab_context(people.dan1, cls))
    assert f'href="/subsidy/{draft.pk}/"' in html and "草稿" in html and "4500.00" in html
    assert class_tab_context(people.alice, cls)["claim_tab"]["new_url"] == ""
    hidden = class_tab_context(people.finance, cls)["claim_tab"]  # finance sees claims once pushed
    assert hidden["claim"] is None and hidden["exists"]
