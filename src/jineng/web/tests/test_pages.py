"""The pages a visitor reaches first: all Chinese, all served without external assets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

DOCUMENTS = Path(__file__).resolve().parents[2] / "policy" / "tests" / "documents"
pytestmark = pytest.mark.django_db


def test_the_home_page_links_the_rules_the_check_and_the_api(client: Client) -> None:
    page = client.get("/").content.decode()
    assert "补贴性职业技能培训" in page
    for href in ('href="/rules/"', 'href="/check-class/"', 'href="/api/v1/docs"', 'href="/login/"'):
        assert href in page
    assert "//cdn" not in page and "https://" not in page


def test_healthz_reports_the_database(client: Client) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["database"] in {"sqlite", "postgresql"}


def test_the_rules_page_shows_the_parameters_in_force_on_the_chosen_date(client: Client) -> None:
    page = client.get("/rules/?date=2023-06-01").content.decode()
    assert "CLS-SIZE" in page and "class_size_max" in page and "80" in page
    assert "二(三)1" in page and "阻断" in page


def test_the_rules_page_says_so_when_no_policy_is_in_force(client: Client) -> None:
    page = client.get("/rules/?date=2030-01-01").content.decode()
    assert "2030-01-01 没有生效的政策" in page


def test_the_rules_page_names_a_bad_date(client: Client) -> None:
    page = client.get("/rules/?date=yesterday").content.decode()
    assert "日期 &#x27;yesterday&#x27; 无效" in page


def test_checking_a_blocked_document_shows_findings_with_clause_and_masked_id(client: Client) -> None:
    raw = (DOCUMENTS / "contract-example.json").read_text(encoding="utf-8")
    response = client.post("/check-class/", {"document": raw})
    page = response.content.decode()
    assert response.status_code == 200
    assert "不予开班" in page and "TRN-IDENTITY" in page and "二(四), 二(三)1" in page
    assert "4110**********1234" in page
    findings = page[page.index('id="findings"') : page.index("<form")]
    assert "411081199001011234" not in findings


def test_an_uploaded_approvable_document_can_open(client: Client) -> None:
    with (DOCUMENTS / "approve.json").open("rb") as handle:
        page = client.post("/check-class/", {"file": handle}).content.decode()
    assert "可以开班" in page


def test_an_invalid_document_lists_every_bad_path_and_keeps_the_text(client: Client) -> None:
    doc = json.loads((DOCUMENTS / "approve.json").read_text(encoding="utf-8"))
    doc["class"]["workstations"] = -1
    doc["as_of"] = "2023-02-30"
    response = client.post("/check-class/", {"document": json.dumps(doc)})
    page = response.content.decode()
    assert response.status_code == 422
    assert "共 2 处错误" in page and "$.class.workstations" in page and "$.as_of" in page
    assert "workstations&quot;: -1" in page


def test_the_check_form_needs_its_csrf_token(client: Client) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/check-class/", {"document": "{}"}).status_code == 403


def test_login_page_is_chinese(client: Client) -> None:
    page = client.get("/login/").content.decode()
    assert "用户名" in page and "密码" in page
