"""The voucher API (/api/v1/vouchers…) against the cast: what each reader sees, who may write,
the refusals in the common error shape, resident IDs masked by role.

The scene is conftest.py's.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jineng.classes.tests.test_api import API, client_for, send
from jineng.ids import mask_ric
from jineng.testing import Cast, person

from ..models import Voucher
from .builders import entry, rows_of, voucher_of, wendy_of, xlsx
from .conftest import Scene

pytestmark = pytest.mark.django_db


def codes(response: Any) -> set[str]:
    assert response.status_code == 200, response.content[:300]
    return {item["code"] for item in response.data["items"]}


def upload(client: Client, content: bytes, name: str = "名单.xlsx", **form: str) -> Any:
    response: Any = client.post(f"{API}/vouchers/batches", {"file": SimpleUploadedFile(name, content), **form})
    response.data = response.json()
    return response


# ── reads ─────────────────────────────────────────────────────────────────────────────────────


def test_each_reader_lists_only_the_vouchers_in_scope(people: Cast, scene: Scene) -> None:
    yz = {v.code for v in scene.yuzhou.vouchers.all()}
    cg = {v.code for v in scene.changge.vouchers.all()}
    expected = {
        "hana1": yz,
        "hana2": yz,
        "carol": cg,
        "city": yz | cg,
        "alice": {voucher_of(person(0)).code},
        "wendy": {voucher_of(wendy_of(people)).code},
    }
    for who in ("hana1", "hana2", "carol", "city", "alice", "bob", "wendy", "leader", "dan1", "erin", "finance", "sam"):
        client = client_for(getattr(people, who))
        assert codes(send(client, "GET", "/vouchers")) == expected.get(who, set()), who


def test_the_list_filters_by_state_and_batch_and_masks_ids_by_role(people: Cast, scene: Scene) -> None:
    city = client_for(people.city)
    assert codes(send(city, "GET", "/vouchers?state=redeemed")) == {voucher_of(person(0)).code}
    assert codes(send(city, "GET", f"/vouchers?batch={scene.changge.pk}")) == {voucher_of(scene.changge_holder).code}
    [item] = send(city, "GET", "/vouchers?state=redeemed").data["items"]
    assert item["holder_id_number"] == person(0).id_number  # HR reads IDs in clear
    assert item["enrollment"]["class_code"] == scene.cls.code and item["value"] is None
    [own] = send(client_for(people.wendy), "GET", "/vouchers").data["items"]
    assert own["holder_id_number"] == mask_ric(wendy_of(people).id_number)
    page = send(city, "GET", "/vouchers?limit=2&offset=0").data
    assert page["count"] == 4 and len(page["items"]) == 2


def test_a_worker_reads_her_own_vouchers_and_nobody_else_uses_mine(people: Cast, scene: Scene) -> None:
    mine = send(client_for(people.wendy), "GET", "/vouchers/mine")
    assert codes(mine) == {voucher_of(wendy_of(people)).code}
    assert mine.data["items"][0]["expires_on"] == "2023-10-16"
    for who in (people.hana1, people.alice, people.leader):
        response = send(client_for(who), "GET", "/vouchers/mine")
        assert response.status_code == 403 and response.data["code"] == "not_permitted"


def test_a_batch_is_read_by_hr_of_its_org_and_the_city_only(people: Cast, scene: Scene) -> None:
    path = f"/vouchers/batches/{scene.yuzhou.pk}"
    for who in (people.hana1, people.city):
        body = send(client_for(who), "GET", path).data
        assert body["code"] == scene.yuzhou.code and body["count"] == 3
        assert body["states"] == {"issued": 2, "redeemed": 1, "valued": 0, "expired": 0, "cancelled": 0}
    for who in (people.carol, people.alice, people.leader, people.wendy, people.dan1):
        response = send(client_for(who), "GET", path)
        assert response.status_code == 404 and response.data["code"] == "not_found"
    assert {b["id"] for b in send(client_for(people.carol), "GET", "/vouchers/batches").data["items"]} == {
        scene.changge.pk
    }


def test_the_target_figures_for_hr_and_the_leader(people: Cast, scene: Scene) -> None:
    body = send(client_for(people.leader), "GET", "/vouchers/target?year=2023").data
    assert (body["issued"], body["used"], body["issued_target"], body["used_target"]) == (4, 0, 50000, 10000)
    assert body["finding"]["rule"] == "VCH-TARGET" and body["met"] is False and body["org_issued"] is None
    area = send(client_for(people.carol), "GET", "/vouchers/target?year=2023").data
    assert (area["org_name"], area["org_issued"], area["org_used"]) == ("长葛市", 1, 0)
    assert send(client_for(people.city), "GET", "/vouchers/target?year=2022").data["issued"] == 0
    for who in (people.wendy, people.alice, people.sam):
        assert send(client_for(who), "GET", "/vouchers/target?year=2023").status_code == 403


# ── writes ────────────────────────────────────────────────────────────────────────────────────


def test_hr_issues_a_batch_by_upload_and_a_resend_returns_it(people: Cast, scene: Scene) -> None:
    persons = [person(10), person(11)]
    client = client_for(people.hana1)
    first = upload(client, xlsx(rows_of(persons)), issued_on="2023-05-01", purpose="春风行动")
    assert first.status_code == 201, first.content
    assert first.data["count"] == 2 and first.data["purpose"] == "春风行动" and first.data["org"]["name"] == "禹州市"
    again = upload(client, xlsx(rows_of(list(reversed(persons)))), issued_on="2023-05-01")
    assert again.status_code == 201 and again.data["id"] == first.data["id"]
    assert Voucher.objects.filter(holder__in=persons).count() == 2


def test_an_upload_with_bad_rows_names_them_and_others_may_not_upload(people: Cast, scene: Scene) -> None:
    bad = upload(
        client_for(people.carol), xlsx([(person(20).id_number, "", "是"), ("123", "某", "否")]), issued_on="2023-05-01"
    )
    assert bad.status_code == 422 and bad.data["code"] == "invalid_input"
    assert [f["path"] for f in bad.data["fields"]] == ["第2行 姓名", "第3行 身份证号", "第3行 意愿"]
    for who in (people.alice, people.leader, people.wendy, people.dan1):
        refused = upload(client_for(who), xlsx(rows_of([person(21)])), issued_on="2023-05-01")
        assert refused.status_code == 403 and refused.data["code"] == "not_permitted"
    assert not Voucher.objects.filter(holder=person(21)).exists()


def test_the_clerk_redeems_by_api_and_another_persons_voucher_is_refused(people: Cast, scene: Scene) -> None:
    alice = client_for(people.alice)
    wendy_code = voucher_of(wendy_of(people)).code
    refused = send(
        alice, "POST", "/vouchers/redeem", {"code": wendy_code, "enrollment_id": entry(scene.cls, person(1)).pk}
    )
    assert refused.status_code == 409 and refused.data["code"] == "rule_blocked"
    assert [f["rule"] for f in refused.data["findings"]] == ["VCH-REAL-NAME"]
    done = send(
        alice,
        "POST",
        "/vouchers/redeem",
        {"code": wendy_code, "enrollment_id": entry(scene.cls, wendy_of(people)).pk},
    )
    assert done.status_code == 200 and done.data["state"] == "redeemed" and done.data["enrollment"]["row"] == 4
    twice = send(
        alice,
        "POST",
        "/vouchers/redeem",
        {"code": wendy_code, "enrollment_id": entry(scene.cls, wendy_of(people)).pk},
    )
    assert twice.status_code == 409 and twice.data["code"] == "invalid_transition"
    code = voucher_of(person(1)).code
    other = send(
        client_for(people.bob),
        "POST",
        "/vouchers/redeem",
        {"code": code, "enrollment_id": entry(scene.cls, person(1)).pk},
    )
    assert other.status_code == 422 and [f["path"] for f in other.data["fields"]] == ["enrollment_id"]
    hr = send(
        client_for(people.hana1),
        "POST",
        "/vouchers/redeem",
        {"code": code, "enrollment_id": entry(scene.cls, person(1)).pk},
    )
    assert hr.status_code == 403


def test_a_voucher_is_cancelled_by_its_issuing_hr_and_is_invisible_to_others(people: Cast, scene: Scene) -> None:
    voucher = voucher_of(person(1))
    path = f"/vouchers/{voucher.pk}/cancel"
    assert send(client_for(people.carol), "POST", path, {"reason": "错发"}).status_code == 404
    assert send(client_for(people.carol), "GET", f"/vouchers/{voucher.pk}").status_code == 404
    assert send(client_for(people.city), "POST", path, {"reason": "错发"}).status_code == 403
    done = send(client_for(people.hana2), "POST", path, {"reason": "错发"})
    assert done.status_code == 200 and done.data["state"] == "cancelled"
