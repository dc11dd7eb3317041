"""The rules over HTTP give the CLI's answers: same findings, same JSON paths for bad fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from jineng.policy.catalog import RULES

DOCUMENTS = Path(__file__).parent / "documents"
pytestmark = pytest.mark.django_db


def post(client: Client, body: bytes | str, query: str = "") -> tuple[int, dict]:
    response = client.post(f"/api/v1/check-class{query}", data=body, content_type="application/json")
    return response.status_code, response.json()


def test_an_approvable_document_gets_approve(client: Client) -> None:
    status, body = post(client, (DOCUMENTS / "approve.json").read_bytes())
    assert status == 200
    assert body == {"decision": "approve", "policy": "xuchang-2023", "findings": []}


def test_the_contract_example_is_blocked_exactly_as_by_the_cli(client: Client) -> None:
    status, body = post(client, (DOCUMENTS / "contract-example.json").read_bytes())
    assert status == 200
    assert body["decision"] == "block"
    assert [(f["rule"], f["subject"]) for f in body["findings"]] == [("TRN-IDENTITY", "trainee:411081199001011234")]


def test_an_invalid_document_gets_422_naming_every_bad_field_by_json_path(client: Client) -> None:
    doc = json.loads((DOCUMENTS / "approve.json").read_text(encoding="utf-8"))
    doc["class"]["hours"]["practical"] = "56"
    del doc["institution"]["uscc"]
    doc["trainees"][0]["category"] = "astronaut"
    status, body = post(client, json.dumps(doc))
    assert status == 422
    assert body["code"] == "invalid_document"
    assert "3 处错误" in body["message"]
    assert {f["path"] for f in body["fields"]} == {
        "$.class.hours.practical",
        "$.institution.uscc",
        "$.trainees[0].category",
    }


def test_unreadable_json_is_a_422_not_a_500(client: Client) -> None:
    status, body = post(client, b"{not json")
    assert status == 422
    assert body["code"] == "invalid_document"
    assert body["fields"]


def test_an_unknown_policy_is_a_404_naming_it(client: Client) -> None:
    status, body = post(client, (DOCUMENTS / "approve.json").read_bytes(), "?policy=nowhere-2099")
    assert status == 404
    assert body["code"] == "unknown_policy"
    assert "nowhere-2099" in body["message"]


def test_rules_lists_every_rule_with_the_parameters_in_force(client: Client) -> None:
    response = client.get("/api/v1/rules?date=2023-06-01")
    assert response.status_code == 200
    body = response.json()
    assert body["policy"] == "xuchang-2023"
    assert [r["id"] for r in body["rules"]] == [r.id for r in RULES]
    size = next(r for r in body["rules"] if r["id"] == "CLS-SIZE")
    assert size["parameters"][0] == {
        "key": "class_size_max",
        "value": 80,
        "unit": "人",
        "clause": "二(三)1",
        "description": size["parameters"][0]["description"],
    }


def test_rules_on_a_day_without_a_policy_is_a_404_naming_the_date_field(client: Client) -> None:
    response = client.get("/api/v1/rules?date=2019-01-01")
    assert response.status_code == 404
    assert response.json()["fields"][0]["path"] == "date"


def test_a_malformed_date_is_a_422_in_the_common_error_shape(client: Client) -> None:
    response = client.get("/api/v1/rules?date=2023-02-30")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_request"
    assert body["fields"][0]["path"].endswith("date")


def test_the_openapi_document_names_both_endpoints(client: Client) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/rules", "/api/v1/check-class"} <= set(spec["paths"])
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()  # swagger assets are served locally
