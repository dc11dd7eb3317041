"""Input no view can use, refused before any view: the NUL character anywhere it can arrive, and
values past what the database holds answered 422, never 500 (PostgreSQL raised on both)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from jineng.classes.models import TrainingClass
from jineng.testing import Cast

pytestmark = pytest.mark.django_db


def client(who: object) -> Client:
    c = Client()
    c.force_login(who)  # type: ignore[arg-type]
    return c


def error(response: Any) -> dict[str, Any]:
    assert response["Content-Type"].startswith("application/json")
    return dict(response.json())


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("/api/v1/classes?q=a%00b", "查询参数 q"),
        ("/api/v1/occupations?q=%00", "查询参数 q"),
        ("/api/v1/occupations/6-18%0001-01", "路径"),
    ],
)
def test_a_nul_in_an_api_path_or_query_is_refused_naming_where(people: Cast, url: str, where: str) -> None:
    response = client(people.city).get(url)
    assert response.status_code == 422
    body = error(response)
    assert body["code"] == "invalid_character" and where in body["message"] and "NUL" in body["message"]
    assert body["fields"][0]["path"] == where


def test_a_nul_in_a_json_body_is_refused_naming_the_field(people: Cast) -> None:
    payload = json.dumps({"name": "车工班", "trainees": [{"name": "王\u0000伟"}]})
    response = client(people.alice).post("/api/v1/classes", payload, content_type="application/json")
    assert response.status_code == 422
    assert "请求体 trainees.0.name" in error(response)["message"]
    assert TrainingClass.objects.count() == 0


def test_a_backslash_u_typed_as_text_is_not_a_nul(people: Cast) -> None:
    payload = json.dumps({"q": "\\u0000"})  # the six characters \u0000, as someone might paste them
    response = client(people.alice).post("/api/v1/classes", payload, content_type="application/json")
    assert response.status_code != 422 or error(response)["code"] != "invalid_character"


@pytest.mark.parametrize("url", ["/classes/?q=a%00b", "/audit/?actor=%00"])
def test_a_nul_in_a_page_query_is_a_400_in_chinese(people: Cast, url: str) -> None:
    response = client(people.audrey if url.startswith("/audit") else people.city).get(url)
    assert response.status_code == 400
    assert "空字符" in response.content.decode() and "查询参数" in response.content.decode()


def test_a_nul_in_a_posted_form_is_refused(people: Cast) -> None:
    response = client(people.alice).post(
        "/classes/new/", "name=a%00b&x=1", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400 and "表单字段 name" in response.content.decode()
    assert TrainingClass.objects.count() == 0


def test_an_ordinary_request_passes_untouched(people: Cast) -> None:
    assert client(people.city).get("/api/v1/classes?q=车工").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/classes?offset=9223372036854775808",  # bounded by the shared Offset: 422 from validation
        "/api/v1/vouchers?batch=99999999999999999999",  # unbounded id: the database's refusal, answered 422
    ],
)
def test_a_number_past_what_the_database_holds_is_a_422(people: Cast, url: str) -> None:
    response = client(people.city).get(url)
    assert response.status_code in (200, 422), response.content[:300]
    if response.status_code == 422:
        assert error(response)["code"] in ("invalid_request", "value_out_of_range")


def test_a_date_at_the_calendars_end_is_a_422_not_a_500(people: Cast) -> None:
    for query in ("date_from=0001-01-01", "date_to=9999-12-31"):
        response = client(people.audrey).get(f"/api/v1/audit-events?{query}")
        assert response.status_code in (200, 422), (query, response.content[:300])
