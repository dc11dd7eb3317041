"""The subsidy API (/api/v1/claims, /finance/…, /payments/…, /public/notices): every endpoint out of
scope is 404 for carol (长葛 HR), erin (市农业农村局) and a worker; the idempotent claim and
disbursement; the review chain and its refusals; money as strings; the public notice masked.

alice's class (scenes.ended_class) is led by 市工信局 (dan1/dan2) in 禹州 (hana1/hana2); finance
and finance2 are the city's two finance signers.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jineng.classes.tests.test_api import client_for, send
from jineng.ids import mask_name, mask_ric
from jineng.subsidy.models import ClaimState, Disbursement, FinanceBatch, Objection, PaymentLine, SubsidyClaim
from jineng.subsidy.services import batch_push, batch_sign, claim_disburse
from jineng.supervision.tests.scenes import roster
from jineng.testing import Cast, reauthenticate

from .scenes import certify, claimed, ended_class, noticed, payment_for, through_review

pytestmark = pytest.mark.django_db

AFTER_NOTICE = dt.date(2023, 10, 10)  # the first day after a notice published 2023-09-27
CLAIM_BODY = {
    "contact": "王爱丽",
    "phone": "13800000001",
    "bank_name": "中国银行禹州支行",
    "bank_account": "6222020200012345678",
    "committed": True,
}
OUTSIDERS = ["carol", "erin", "wendy"]


def _v(obj: SubsidyClaim | FinanceBatch) -> int:
    obj.refresh_from_db()
    return obj.version


def as_(people: Cast, who: str) -> Client:
    return client_for(getattr(people, who))


def paying(people: Cast, who: str) -> Client:
    """A client whose session has just re-authenticated, as a money step needs (tests of re-authentication
    itself are in jineng.accounts.tests.test_totp)."""
    client = as_(people, who)
    reauthenticate(client)
    return client


def disburse(client: Client, claim: SubsidyClaim, body: dict[str, Any], key: str | None) -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    response = client.post(
        f"/api/v1/claims/{claim.pk}/disburse", json.dumps(body), content_type="application/json", headers=headers
    )
    response.data = response.json()  # type: ignore[attr-defined]
    return response


def pay_body(claim: SubsidyClaim, reference: str = "BOC20231020001") -> dict[str, Any]:
    claim.refresh_from_db()
    return {
        "amount": str(claim.amount),
        "paid_on": "2023-10-20",
        "bank_reference": reference,
        "fund_source": "employment_fund",
    }


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
    """Pushed in a batch and signed by finance and finance2: ready to be paid."""
    batch = batch_push(actor=people.hana1, today=AFTER_NOTICE)
    batch_sign(batch=batch, actor=people.finance, expected_version=_v(batch), opinion="初审同意")
    batch_sign(batch=batch, actor=people.finance2, expected_version=_v(batch), opinion="复核同意")
    in_notice.refresh_from_db()
    assert in_notice.state == ClaimState.FINANCE_APPROVED
    return in_notice


@pytest.fixture
def paid(people: Cast, approved: SubsidyClaim) -> SubsidyClaim:
    claim_disburse(claim=approved, actor=people.finance, idempotency_key="fixture-key-1", data=payment_for(approved))
    approved.refresh_from_db()
    return approved


# ── scope: 404 everywhere for whoever may not see the claim ───────────────────────────────────


@pytest.mark.parametrize("who", OUTSIDERS)
def test_every_endpoint_answers_404_to_someone_outside_the_claims_scope(people: Cast, paid: SubsidyClaim, who: str):
    claim = paid
    with_objection = Objection.objects.create(
        claim=claim,
        received_on=claim.notice_from or dt.date(2023, 9, 27),
        source="群众来电",
        content="核实",
        recorded_by=people.hana1,
        recorded_at=timezone.now(),
    )
    payment = PaymentLine.objects.filter(disbursement__claim=claim).first()
    assert payment is not None and claim.batch_id is not None
    client = as_(people, who)
    calls: list[tuple[str, str, Any]] = [
        ("get", f"/claims/{claim.pk}", None),
        ("patch", f"/claims/{claim.pk}", {"version": claim.version, "phone": "13900000000"}),
        ("post", f"/claims/{claim.pk}/recompute", {"version": claim.version}),
        ("post", f"/claims/{claim.pk}/submit", {"version": claim.version}),
        ("post", f"/claims/{claim.pk}/review", {"action": "accept", "version": claim.version}),
        ("post", f"/claims/{claim.pk}/publish", {"version": claim.version, "published_on": "2030-01-02", "site": "x"}),
        ("post", f"/claims/{claim.pk}/objections", {"received_on": "2023-09-28", "source": "x", "content": "y"}),
        ("post", f"/objections/{with_objection.pk}/resolve", {"upheld": False, "resolution": "不成立"}),
        ("post", f"/claims/{claim.pk}/finance-return", {"reasons": ["x"]}),
        ("post", f"/payments/{payment.pk}/clawback", {**_clawback_body(), "amount": "1.00"}),
        ("get", f"/finance/batches/{claim.batch_id}", None),
        ("post", f"/finance/batches/{claim.batch_id}/sign", {"version": 1}),
        ("post", f"/classes/{claim.training_class_id}/claim", CLAIM_BODY),
    ]
    for method, path, body in calls:
        response = send(client, method, path, body)
        assert response.status_code == 404, (who, method, path, response.content[:200])
        assert response.data["code"] == "not_found"
    assert disburse(client, claim, pay_body(claim), "outsider-key-1").status_code == 404
    assert disburse(client, claim, pay_body(claim), None).status_code == 404  # scope before the missing key
    assert send(client, "get", "/claims").data["count"] == 0
    assert send(client, "get", "/finance/batches").data["count"] == 0


def test_a_clerk_of_another_school_neither_sees_nor_claims_alices_class(people: Cast, draft: SubsidyClaim):
    bob = as_(people, "bob")
    assert send(bob, "get", f"/claims/{draft.pk}").status_code == 404
    assert send(bob, "post", f"/classes/{draft.training_class_id}/claim", CLAIM_BODY).status_code == 404
    assert send(bob, "get", "/claims").data["count"] == 0


def test_finance_sees_a_claim_only_once_it_is_pushed(people: Cast, in_notice: SubsidyClaim):
    finance = as_(people, "finance")
    assert send(finance, "get", f"/claims/{in_notice.pk}").status_code == 404
    batch_push(actor=people.hana1, today=AFTER_NOTICE)
    assert send(finance, "get", f"/claims/{in_notice.pk}").status_code == 200


# ── the claim ─────────────────────────────────────────────────────────────────────────────────


def test_a_second_claim_for_the_same_class_answers_200_with_the_first(people: Cast, cls: Any):
    alice = as_(people, "alice")
    first = send(alice, "post", f"/classes/{cls.pk}/claim", CLAIM_BODY)
    assert first.status_code == 201, first.content[:300]
    again = send(alice, "post", f"/classes/{cls.pk}/claim", {**CLAIM_BODY, "contact": "别人"})
    assert again.status_code == 200
    assert again.data["id"] == first.data["id"] and again.data["contact"] == "王爱丽"
    assert SubsidyClaim.objects.filter(training_class=cls).count() == 1


def test_the_claim_names_every_bad_field_at_once(people: Cast, cls: Any):
    body = {**CLAIM_BODY, "phone": "123", "bank_account": "12ab", "contact": ""}
    response = send(as_(people, "alice"), "post", f"/classes/{cls.pk}/claim", body)
    assert response.status_code == 422 and response.data["code"] == "invalid_input"
    assert {f["path"] for f in response.data["fields"]} == {"phone", "bank_account", "contact"}


def test_a_reviewer_may_not_claim_for_the_institution(people: Cast, cls: Any):
    response = send(as_(people, "dan1"), "post", f"/classes/{cls.pk}/claim", CLAIM_BODY)
    assert response.status_code == 403 and response.data["code"] == "not_permitted"


def test_the_claim_lists_each_trainee_with_money_as_strings_and_ids_masked_by_role(people: Cast, cls: Any):
    first, second, third = roster(cls)
    from jineng.assessment.models import CertificateRecord

    CertificateRecord.objects.filter(enrollment=third).delete()
    claim = claimed(people, cls)
    detail = send(as_(people, "alice"), "get", f"/claims/{claim.pk}").data
    assert detail["amount"] == "3000.00" and detail["payable_count"] == 2 and detail["trainees"] == 3
    lines = {line["row"]: line for line in detail["lines"]}
    assert lines[1]["amount"] == "1500.00" and lines[1]["payable"] is True and lines[1]["blocks"] == []
    assert lines[3]["payable"] is False and lines[3]["amount"] == "0.00"
    assert [b["rule"] for b in lines[3]["blocks"]] == ["ASM-CERT-ROUTE"]
    assert lines[1]["id_number"] == first.person.id_number  # the institution reads IDs in clear
    assert {a["key"] for a in detail["actions"]} == {"update", "recompute", "submit"}
    assert detail["bank_account"] == CLAIM_BODY["bank_account"]

    dept = send(as_(people, "dan1"), "get", f"/claims/{claim.pk}")
    assert dept.status_code == 200
    assert dept.data["lines"][1]["id_number"] == mask_ric(second.person.id_number)
    assert second.person.id_number not in dept.content.decode()
    assert dept.data["bank_account"].endswith("5678") and "*" in dept.data["bank_account"]
    assert dept.data["actions"] == []


def test_the_list_filters_by_state_and_keyword_with_totals(people: Cast, draft: SubsidyClaim):
    alice = as_(people, "alice")
    page = send(alice, "get", "/claims").data
    assert page["count"] == 1 and page["totals"] == {"count": 1, "persons": 3, "amount": "4500.00"}
    assert page["items"][0]["amount"] == "4500.00" and page["items"][0]["state"] == "draft"
    assert send(alice, "get", "/claims?state=submitted").data["count"] == 0
    assert send(alice, "get", f"/claims?q={draft.training_class.code}").data["count"] == 1
    assert send(alice, "get", "/claims?q=没有这个").data["count"] == 0
    assert send(as_(people, "dan1"), "get", "/claims").data["count"] == 1


def test_a_patch_changes_only_what_it_sends_and_a_stale_one_is_409(people: Cast, draft: SubsidyClaim):
    alice = as_(people, "alice")
    response = send(alice, "patch", f"/claims/{draft.pk}", {"version": draft.version, "phone": "0374-1234567"})
    assert response.status_code == 200, response.content[:300]
    assert response.data["phone"] == "0374-1234567" and response.data["contact"] == "王爱丽"
    assert response.data["version"] == draft.version + 1
    stale = send(alice, "patch", f"/claims/{draft.pk}", {"version": draft.version, "contact": "别人"})
    assert stale.status_code == 409 and stale.data["code"] == "stale_version"
    assert stale.data["current_version"] == draft.version + 1


def test_recompute_rebuilds_the_lines_from_the_records(people: Cast):
    cls = ended_class(people)
    first, second, third = roster(cls)
    certify(people, cls, [first, second])
    claim = claimed(people, cls)
    assert claim.amount == Decimal("3000.00")
    certify(people, cls, [third])  # the third certificate arrives after the claim was drawn up
    response = send(as_(people, "alice"), "post", f"/claims/{claim.pk}/recompute", {"version": claim.version})
    assert response.status_code == 200 and response.data["amount"] == "4500.00"
    assert send(as_(people, "dan1"), "post", f"/claims/{claim.pk}/recompute", {"version": _v(claim)}).status_code == 403


# ── the review chain ──────────────────────────────────────────────────────────────────────────


def test_the_chain_runs_from_submit_to_notice_and_each_stage_needs_two_people(people: Cast, draft: SubsidyClaim):
    path = f"/claims/{draft.pk}"

    def review(who: str, action: str, **extra: Any) -> Any:
        body = {"action": action, "version": _v(draft), **extra}
        return send(as_(people, who), "post", f"{path}/review", body)

    submitted = send(as_(people, "alice"), "post", f"{path}/submit", {"version": draft.version})
    assert submitted.status_code == 200 and submitted.data["state"] == "submitted"
    assert [a["key"] for a in send(as_(people, "dan1"), "get", path).data["actions"]] == [
        "accept",
        "dept_return",
        "dept_reject",
    ]
    assert review("dan1", "accept").data["state"] == "accepted"
    missing = review("dan1", "dept_first")
    assert missing.status_code == 422 and missing.data["fields"][0]["path"] == "opinion"
    assert review("dan1", "dept_first", opinion="同意").data["state"] == "dept_first"
    twice = review("dan1", "dept_second", opinion="同意")
    assert twice.status_code == 403 and twice.data["rule"] == "SUB-TWO-PERSON"
    assert review("dan2", "dept_second", opinion="同意").data["state"] == "dept_approved"
    assert review("dan1", "hr_first", opinion="同意").status_code == 403  # not HR
    assert review("hana1", "hr_first", opinion="同意").data["state"] == "hr_first"
    detail = review("hana2", "hr_second", opinion="同意").data
    assert detail["state"] == "hr_approved"
    assert [s["action"] for s in detail["steps"]] == [
        "submit",
        "accept",
        "dept_first",
        "dept_second",
        "hr_first",
        "hr_second",
    ]
    assert detail["steps"][1]["actor"]["name"] == "赵丹" and detail["steps"][1]["amount"] == "4500.00"
    industry = next(d for d in detail["deadlines"] if d["rule"] == "SUB-INDUSTRY-DEADLINE")
    assert industry["due"] is not None and industry["overdue"] is False

    today = timezone.localdate()
    early = send(
        as_(people, "hana1"),
        "post",
        f"{path}/publish",
        {"version": _v(draft), "published_on": str(today - dt.timedelta(days=1)), "site": "禹州市人社局官网"},
    )
    assert early.status_code == 422 and early.data["fields"][0]["path"] == "published_on"
    published = send(
        as_(people, "hana1"),
        "post",
        f"{path}/publish",
        {"version": _v(draft), "published_on": str(today), "site": "禹州市人社局官网"},
    )
    assert published.status_code == 200, published.content[:300]
    assert published.data["state"] == "notice" and published.data["notice_from"] == str(today)
    assert {"objection"} <= {a["key"] for a in published.data["actions"]}


def test_a_stale_review_is_409_and_an_unknown_action_422(people: Cast, draft: SubsidyClaim):
    send(as_(people, "alice"), "post", f"/claims/{draft.pk}/submit", {"version": draft.version})
    stale = send(as_(people, "dan1"), "post", f"/claims/{draft.pk}/review", {"action": "accept", "version": 1})
    assert stale.status_code == 409 and stale.data["code"] == "stale_version"
    unknown = send(as_(people, "dan1"), "post", f"/claims/{draft.pk}/review", {"action": "pay", "version": _v(draft)})
    assert unknown.status_code == 422


def test_a_claim_without_commitment_is_not_submitted(people: Cast, draft: SubsidyClaim):
    alice = as_(people, "alice")
    send(alice, "patch", f"/claims/{draft.pk}", {"version": draft.version, "committed": False})
    response = send(alice, "post", f"/claims/{draft.pk}/submit", {"version": _v(draft)})
    assert response.status_code == 422 and response.data["fields"][0]["path"] == "committed"


# ── objections ────────────────────────────────────────────────────────────────────────────────


def test_an_objection_upheld_against_a_trainee_takes_their_line_out(people: Cast, in_notice: SubsidyClaim):
    line = in_notice.lines.order_by("row").first()
    assert line is not None
    body = {"received_on": str(in_notice.notice_from), "source": "群众来信", "content": "未参训", "line_id": line.pk}
    recorded = send(as_(people, "hana1"), "post", f"/claims/{in_notice.pk}/objections", body)
    assert recorded.status_code == 201 and recorded.data["open"] is True and recorded.data["line_row"] == 1
    resolve = f"/objections/{recorded.data['id']}/resolve"
    alone = send(as_(people, "hana1"), "post", resolve, {"upheld": True, "resolution": "核实未参训"})
    assert alone.status_code == 403 and alone.data["rule"] == "SUB-TWO-PERSON"
    assert send(as_(people, "dan1"), "post", resolve, {"upheld": True, "resolution": "x"}).status_code == 403
    done = send(as_(people, "hana2"), "post", resolve, {"upheld": True, "resolution": "核实未参训"})
    assert done.status_code == 200 and done.data["open"] is False and done.data["upheld"] is True
    detail = send(as_(people, "hana1"), "get", f"/claims/{in_notice.pk}").data
    assert detail["amount"] == "3000.00" and detail["lines"][0]["payable"] is False
    assert detail["lines"][0]["blocks"][-1]["rule"] == "SUB-PUBLIC-NOTICE"


# ── the push, finance's batch ─────────────────────────────────────────────────────────────────


def test_hr_pushes_the_noticed_claims_and_finance_signs_twice(people: Cast, in_notice: SubsidyClaim):
    assert send(as_(people, "erin"), "post", "/finance/push").status_code == 403
    pushed = send(as_(people, "hana1"), "post", "/finance/push")
    assert pushed.status_code == 201, pushed.content[:300]
    assert pushed.data["amount"] == "4500.00" and [c["id"] for c in pushed.data["claims"]] == [in_notice.pk]
    again = send(as_(people, "hana2"), "post", "/finance/push")
    assert again.status_code == 409  # one batch per unit and month
    batch_id = pushed.data["id"]
    finance = paying(people, "finance")
    listed = send(finance, "get", "/finance/batches").data
    assert listed["count"] == 1 and listed["items"][0]["state"] == "pushed"
    assert send(as_(people, "hana1"), "get", f"/finance/batches/{batch_id}").status_code == 200
    first = send(finance, "post", f"/finance/batches/{batch_id}/sign", {"version": 1, "opinion": "同意"})
    assert first.status_code == 200 and first.data["state"] == "finance_first"
    assert first.data["claims"][0]["bank_account"] == CLAIM_BODY["bank_account"]
    alone = send(finance, "post", f"/finance/batches/{batch_id}/sign", {"version": first.data["version"]})
    assert alone.status_code == 403 and alone.data["rule"] == "SUB-TWO-PERSON"
    hr = send(paying(people, "hana1"), "post", f"/finance/batches/{batch_id}/sign", {"version": first.data["version"]})
    assert hr.status_code == 403 and hr.data["code"] == "not_permitted"
    second = send(
        paying(people, "finance2"), "post", f"/finance/batches/{batch_id}/sign", {"version": first.data["version"]}
    )
    assert second.status_code == 200 and second.data["state"] == "approved"
    assert second.data["claims"][0]["state"] == "finance_approved"


def test_finance_returns_a_claim_out_of_its_batch(people: Cast, in_notice: SubsidyClaim):
    batch = batch_push(actor=people.hana1, today=AFTER_NOTICE)
    finance = as_(people, "finance")
    assert send(finance, "post", f"/claims/{in_notice.pk}/finance-return", {"reasons": []}).status_code == 422
    response = send(finance, "post", f"/claims/{in_notice.pk}/finance-return", {"reasons": ["账号与开户名不符"]})
    assert response.status_code == 200 and response.data["state"] == "returned"
    assert send(finance, "get", f"/claims/{in_notice.pk}").status_code == 404  # back with the institution
    assert send(finance, "get", f"/finance/batches/{batch.pk}").data["claims"] == []


# ── disbursement: idempotent by key ───────────────────────────────────────────────────────────


def test_a_disbursement_without_idempotency_key_is_422(people: Cast, approved: SubsidyClaim):
    response = disburse(as_(people, "finance"), approved, pay_body(approved), None)
    assert response.status_code == 422 and response.data["fields"][0]["path"] == "Idempotency-Key"
    assert not Disbursement.objects.exists()


def test_a_repeated_disbursement_replays_the_first_and_pays_once(people: Cast, approved: SubsidyClaim):
    finance = paying(people, "finance")
    first = disburse(finance, approved, pay_body(approved), "pay-2023-10-0001")
    assert first.status_code == 201, first.content[:300]
    assert first.data["amount"] == "4500.00" and first.data["bank_reference"] == "BOC20231020001"
    again = disburse(finance, approved, pay_body(approved), "pay-2023-10-0001")
    assert again.status_code == 200 and again.data["id"] == first.data["id"]
    assert Disbursement.objects.count() == 1 and PaymentLine.objects.count() == 3
    other = disburse(finance, approved, pay_body(approved, reference="BOC20231020999"), "pay-2023-10-0001")
    assert other.status_code == 409 and other.data["code"] == "invalid_transition"
    new_key = disburse(finance, approved, pay_body(approved), "pay-2023-10-0002")
    assert new_key.status_code == 409  # already paid: a second payment of the claim is refused
    assert Disbursement.objects.count() == 1
    detail = send(finance, "get", f"/claims/{approved.pk}").data
    assert detail["state"] == "paid" and detail["disbursement"]["amount"] == "4500.00"
    assert [p["amount"] for p in detail["payments"]] == ["1500.00"] * 3


def test_a_disbursement_of_another_amount_is_refused(people: Cast, approved: SubsidyClaim):
    response = disburse(
        paying(people, "finance"), approved, {**pay_body(approved), "amount": "4499.99"}, "pay-2023-10-0003"
    )
    assert response.status_code == 422 and response.data["fields"][0]["path"] == "amount"
    garbled = disburse(paying(people, "finance"), approved, {**pay_body(approved), "amount": "4,500"}, "pay-x-0004")
    assert garbled.status_code == 422
    assert send(as_(people, "hana1"), "get", f"/claims/{approved.pk}").data["state"] == "finance_approved"


def _clawback_body() -> dict[str, Any]:
    return {
        "amount": "500.00",
        "rule": "SUP-FACE-CHECKIN",
        "reason": "复查发现代签到",
        "reference": "SJ2024001",
        "decided_on": "2024-03-01",
    }


def test_a_clawback_keeps_the_payment_and_counts_what_was_recovered(people: Cast, paid: SubsidyClaim):
    payment = PaymentLine.objects.filter(disbursement__claim=paid).order_by("line__row").first()
    assert payment is not None
    dept = send(paying(people, "dan1"), "post", f"/payments/{payment.pk}/clawback", _clawback_body())
    assert dept.status_code == 403 and dept.data["code"] == "not_permitted"
    made = send(paying(people, "hana1"), "post", f"/payments/{payment.pk}/clawback", _clawback_body())
    assert made.status_code == 201, made.content[:300]
    assert made.data["amount"] == "500.00" and made.data["rule"] == "SUP-FACE-CHECKIN"
    too_much = send(
        paying(people, "finance"), "post", f"/payments/{payment.pk}/clawback", {**_clawback_body(), "amount": "1000.01"}
    )
    assert too_much.status_code == 422
    detail = send(as_(people, "finance"), "get", f"/claims/{paid.pk}").data
    first = detail["payments"][0]
    assert first["amount"] == "1500.00" and first["recovered"] == "500.00" and len(first["clawbacks"]) == 1


# ── the public notice ─────────────────────────────────────────────────────────────────────────


def test_the_public_notice_needs_no_login_and_masks_names_and_ids(people: Cast, cls: Any):
    first, second, third = roster(cls)
    from jineng.assessment.models import CertificateRecord

    CertificateRecord.objects.filter(enrollment=third).delete()
    claim = noticed(people, through_review(people, claimed(people, cls)), published_on=timezone.localdate())
    anonymous = Client()
    listed = anonymous.get("/api/v1/public/notices")
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [i["id"] for i in items] == [claim.pk] and items[0]["amount"] == "3000.00"
    assert items[0]["title"] == "2023年政府补贴性职业技能培训补贴公示"
    assert "禹州市人力资源和社会保障局" in items[0]["contact"]
    detail = anonymous.get(f"/api/v1/public/notices/{claim.pk}")
    assert detail.status_code == 200
    body = detail.content.decode()
    lines = detail.json()["lines"]
    assert [(x["row"], x["name"], x["id_number"], x["amount"]) for x in lines] == [
        (1, mask_name(first.person.name), mask_ric(first.person.id_number), "1500.00"),
        (2, mask_name(second.person.name), mask_ric(second.person.id_number), "1500.00"),
    ]
    for e in (first, second, third):
        assert e.person.id_number not in body and e.person.name not in body
    assert anonymous.get("/api/v1/public/notices/999999").status_code == 404


def test_a_claim_not_yet_noticed_is_not_public(people: Cast, draft: SubsidyClaim):
    assert Client().get(f"/api/v1/public/notices/{draft.pk}").status_code == 404
    assert Client().get("/api/v1/public/notices").json()["count"] == 0


def test_the_api_needs_a_login_except_for_the_notice(people: Cast, draft: SubsidyClaim):
    assert Client().get(f"/api/v1/claims/{draft.pk}").status_code == 401
    assert Client().get("/api/v1/claims").status_code == 401


def test_the_openapi_schema_documents_the_subsidy_endpoints(people: Cast):
    schema = Client().get("/api/v1/openapi.json").json()
    disburse_op = schema["paths"]["/api/v1/claims/{claim_id}/disburse"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in disburse_op["parameters"])
    assert "/api/v1/public/notices/{claim_id}" in schema["paths"]
    assert "security" not in schema["paths"]["/api/v1/public/notices"]["get"]


def test_money_stays_exact_to_the_fen(people: Cast, draft: SubsidyClaim):
    detail = send(as_(people, "alice"), "get", f"/claims/{draft.pk}").data
    assert sum(Decimal(line["amount"]) for line in detail["lines"]) == Decimal(detail["amount"])
