"""The voucher pages: the list in the reader's scope (filters, XLSX, VCH-TARGET), issuing from a
file, the worker's own vouchers, the clerk's redemption form, cancelling."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from jineng.accounts.models import User
from jineng.ids import mask_ric
from jineng.testing import Cast, person

from ..list_io import parse_list
from ..models import Voucher, VoucherState
from .builders import ISSUED_ON, entry, rows_of, voucher_of, wendy_of, xlsx
from .conftest import Scene

pytestmark = pytest.mark.django_db


def client(who: User) -> Client:
    c = Client()
    c.force_login(who)
    return c


def body(who: User, path: str, status: int = 200) -> str:
    response = client(who).get(path)
    assert response.status_code == status, (who.username, path, response.status_code)
    return response.content.decode()


def test_the_list_shows_the_vouchers_in_scope_and_nothing_of_another_area(people: Cast, scene: Scene) -> None:
    yz = [v.code for v in scene.yuzhou.vouchers.all()]
    cg = voucher_of(scene.changge_holder).code
    hana = body(people.hana1, "/vouchers/")
    assert all(code in hana for code in yz) and cg not in hana
    assert person(1).id_number in hana  # HR reads IDs in clear
    carol = body(people.carol, "/vouchers/")
    assert cg in carol and not any(code in carol for code in yz) and person(1).name not in carol
    clerk = body(people.bob, "/vouchers/")
    assert not any(code in clerk for code in [*yz, cg])
    leader = body(people.leader, "/vouchers/")
    assert 'data-testid="vch-target"' in leader and not any(code in leader for code in [*yz, cg])


def test_the_list_filters_and_shows_the_target_figures(people: Cast, scene: Scene) -> None:
    page = body(people.city, "/vouchers/?state=redeemed&year=2023")
    assert voucher_of(person(0)).code in page and voucher_of(person(1)).code not in page
    assert "VCH-TARGET" in page and "全年累计发放职业培训券 4 张" in page and "未完成" in page
    page = body(people.city, f"/vouchers/?batch={scene.changge.pk}")
    assert voucher_of(scene.changge_holder).code in page and voucher_of(person(0)).code not in page
    area = body(people.hana1, "/vouchers/?year=2023")
    assert "其中禹州市发放 3 张" in area


def test_the_xlsx_export_holds_the_rows_in_scope(people: Cast, scene: Scene) -> None:
    response = client(people.carol).get("/vouchers/?format=xlsx")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [r[0] for r in rows] == [voucher_of(scene.changge_holder).code]
    assert rows[0][3] == scene.changge_holder.id_number and rows[0][1] == "已发放"
    own = load_workbook(io.BytesIO(client(people.wendy).get("/vouchers/?format=xlsx").content)).active
    assert own is not None
    [mine] = list(own.iter_rows(min_row=3, values_only=True))
    assert mine[3] == mask_ric(wendy_of(people).id_number)


def test_a_worker_sees_only_her_own_vouchers(people: Cast, scene: Scene) -> None:
    mine = body(people.wendy, "/vouchers/mine/")
    own = voucher_of(wendy_of(people))
    assert own.code in mine and "2023-10-16" in mine and "取得证书后兑现" in mine
    assert voucher_of(person(1)).code not in mine and voucher_of(person(0)).code not in mine
    listed = body(people.wendy, "/vouchers/")
    assert own.code in listed and voucher_of(person(1)).code not in listed
    body(people.hana1, "/vouchers/mine/", 404)


def test_hr_issues_from_the_page_and_bad_rows_are_listed(people: Cast, scene: Scene) -> None:
    hana = client(people.hana1)
    assert hana.get("/vouchers/issue/").status_code == 200
    template = hana.get("/vouchers/issue/template.xlsx")
    assert template.status_code == 200
    assert parse_list(template.content, "t.xlsx", as_of=ISSUED_ON).problems[0].message.startswith("名单中没有劳动者")
    good = SimpleUploadedFile("名单.xlsx", xlsx(rows_of([person(30), person(31)])))
    done = hana.post("/vouchers/issue/", {"file": good, "issued_on": "2023-05-01", "purpose": "春风行动"})
    assert done.status_code == 302 and "?batch=" in done["Location"]
    assert Voucher.objects.filter(holder__in=[person(30), person(31)]).count() == 2
    bad = SimpleUploadedFile("bad.xlsx", xlsx([(person(32).id_number, "", "是"), (person(33).id_number, "某", "否")]))
    refused = hana.post("/vouchers/issue/", {"file": bad, "issued_on": "2023-05-01"})
    text = refused.content.decode()
    assert refused.status_code == 422 and "第2行 姓名" in text and "第3行 意愿" in text and "未发放任何一张" in text
    empty = hana.post("/vouchers/issue/", {"issued_on": "2023-13-01"})
    text = empty.content.decode()
    assert empty.status_code == 422 and "发放信息有 2 处错误" in text and "YYYY-MM-DD" in text and "名单文件" in text
    for who in (people.alice, people.leader, people.wendy):
        assert client(who).get("/vouchers/issue/").status_code == 404


def test_the_clerk_redeems_from_the_form_by_class_code_and_roster_row(people: Cast, scene: Scene) -> None:
    alice = client(people.alice)
    form = alice.get("/vouchers/redeem/").content.decode()
    assert scene.cls.code in form
    assert scene.cls.code not in client(people.bob).get("/vouchers/redeem/").content.decode()
    own_row = entry(scene.cls, person(1)).row
    other_row = entry(scene.cls, person(2)).row
    code = voucher_of(person(1)).code
    refused = alice.post("/vouchers/redeem/", {"code": code, "class_code": scene.cls.code, "row": other_row})
    assert refused.status_code == 409 and "VCH-REAL-NAME" in refused.content.decode()
    missing = alice.post("/vouchers/redeem/", {"code": code, "class_code": scene.cls.code, "row": 99})
    assert missing.status_code == 422 and "没有序号 99" in missing.content.decode()
    done = alice.post("/vouchers/redeem/", {"code": code, "class_code": scene.cls.code, "row": own_row})
    assert done.status_code == 302 and Voucher.objects.get(code=code).state == VoucherState.REDEEMED
    # bob cannot reach alice's roster through the form
    other = client(people.bob).post("/vouchers/redeem/", {"code": code, "class_code": scene.cls.code, "row": other_row})
    assert other.status_code == 422 and "本机构班级" in other.content.decode()
    for who in (people.hana1, people.wendy):
        assert client(who).get("/vouchers/redeem/").status_code == 404


def test_cancel_from_the_list_only_in_scope(people: Cast, scene: Scene) -> None:
    voucher = voucher_of(person(1))
    assert client(people.carol).post(f"/vouchers/{voucher.pk}/cancel/", {"reason": "错发"}).status_code == 404
    assert 'data-testid="cancel"' in body(people.hana1, "/vouchers/")
    done = client(people.hana1).post(
        f"/vouchers/{voucher.pk}/cancel/", {"reason": "错发", "next": "https://evil.example/"}
    )
    assert done.status_code == 302 and done["Location"] == "/vouchers/"
    assert Voucher.objects.get(pk=voucher.pk).state == VoucherState.CANCELLED
