"""The targets API (/api/v1/targets/…): the overview's shape for each reach, the classes behind a
figure, the refresh (HR only, audited) — and 404 for whoever reads no dashboard or asks for
another unit. The scene is test_views.scene (禹州 3 + 长葛 2 trainees, read at 2023-06-30).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from jineng.audit.models import AuditEvent
from jineng.classes.tests.test_api import client_for, send
from jineng.targets.models import ProgressRefresh
from jineng.testing import Cast, unit

from .test_views import area_leader, build_scene

pytestmark = pytest.mark.django_db

PERIOD = "year=2023&as_of=2023-06-30"
PROGRESS_KEYS = {"actual", "target", "done", "status"}


@pytest.fixture
def scene(people: Cast) -> dict[str, Any]:
    return build_scene(people)


def get(who: Any, path: str) -> Any:
    return send(client_for(who), "GET", path)


def test_the_city_overview_has_every_part(people: Cast, scene: dict[str, Any]) -> None:
    response = get(people.leader, f"/targets/overview?{PERIOD}")
    assert response.status_code == 200
    data = response.data
    assert set(data) == {
        *("year", "as_of", "time_progress", "policy", "scope", "refreshed_at", "headline", "areas"),
        *("departments", "actions", "panel", "publicity", "monthly", "behind"),
    }
    assert (data["year"], data["as_of"], data["time_progress"], data["scope"]) == (2023, "2023-06-30", "0.5000", "全市")
    training = data["headline"]["progress"]["training"]
    assert set(training) == PROGRESS_KEYS and training["actual"] == 5 and training["status"] == "red"
    assert data["headline"]["progress"]["new_skilled"]["actual"] == 2
    assert data["headline"]["progress"]["new_high_skilled"]["actual"] == 1
    assert data["headline"]["manufacturing"]["rule"] == "IND-MANUFACTURING-SHARE"
    areas = {a["name"]: a for a in data["areas"]}
    assert (
        areas["禹州市"]["progress"]["training"]["actual"] == 3
        and areas["长葛市"]["progress"]["training"]["actual"] == 2
    )
    assert all(a["rank"] for a in data["areas"])
    assert len(data["actions"]) == 10 and data["departments"]
    assert {f["rule"] for f in data["panel"]} >= {"IND-HIGH-SHARE", "IND-VOUCHERS", "IND-EVAL-INSTITUTIONS"}
    assert data["monthly"]["training"] == [0, 0, 0, 0, 5, 5]
    assert "禹州市" in data["behind"]
    assert data["refreshed_at"] is not None


@pytest.mark.parametrize("who", ["hana1", "area_leader"])
def test_an_area_reader_gets_its_own_area(people: Cast, scene: dict[str, Any], who: str) -> None:
    reader = area_leader() if who == "area_leader" else people.hana1
    data = get(reader, f"/targets/overview?{PERIOD}").data
    assert data["scope"] == "禹州市"
    assert [a["name"] for a in data["areas"]] == ["禹州市"]
    assert data["departments"] == [] and data["actions"] == []
    assert data["headline"]["progress"]["training"]["actual"] == 3
    assert {f["rule"] for f in data["panel"]} == {"IND-HIGH-SHARE", "IND-MANUFACTURING-SHARE", "SUB-CERT-SHARE"}


def test_a_department_reviewer_gets_its_own_department(people: Cast, scene: dict[str, Any]) -> None:
    data = get(people.dan1, f"/targets/overview?{PERIOD}").data
    assert data["scope"] == unit("dept-mii").name
    assert data["areas"] == [] and [d["key"] for d in data["departments"]] == ["dept-mii"]
    assert data["headline"]["progress"]["training"]["actual"] == 5  # 市工信局 led both classes


@pytest.mark.parametrize("who", ["wendy", "alice", "eve", "finance", "sam"])
def test_whoever_reads_no_dashboard_gets_404(people: Cast, scene: dict[str, Any], who: str) -> None:
    client = client_for(getattr(people, who))
    for method, path in (
        ("GET", f"/targets/overview?{PERIOD}"),
        ("GET", f"/targets/classes?{PERIOD}"),
        ("POST", "/targets/refresh?year=2023"),
    ):
        response = send(client, method, path)
        assert response.status_code == 404, (who, path)
        assert response.data["code"] == "not_found" and "管辖范围" in response.data["message"]


def test_an_anonymous_caller_gets_401(scene: dict[str, Any]) -> None:
    assert send(Client(), "GET", "/targets/overview").status_code == 401
    assert send(Client(), "POST", "/targets/refresh").status_code == 401


def test_a_day_outside_the_year_is_refused_with_the_field_named(people: Cast, scene: dict[str, Any]) -> None:
    response = get(people.leader, "/targets/overview?year=2023&as_of=2024-01-01")
    assert response.status_code == 422
    assert response.data["fields"] == [{"path": "as_of", "message": "截止日期：应在 2023 年内"}]
    assert get(people.leader, "/targets/overview?year=1999").status_code == 422
    no_policy = get(people.leader, "/targets/overview?year=2024")
    assert no_policy.status_code == 422 and no_policy.data["fields"][0]["path"] == "year"


def test_the_classes_behind_a_figure_page_by_page(people: Cast, scene: dict[str, Any]) -> None:
    response = get(people.city, f"/targets/classes?{PERIOD}&indicator=training&limit=1")
    assert response.status_code == 200
    data = response.data
    assert (data["count"], data["limit"], data["offset"], data["total"]) == (2, 1, 0, 5)
    assert data["indicator"] == "training" and data["indicator_label"] == "职业技能培训（人次）"
    item = data["items"][0]
    assert set(item) == {
        *("id", "code", "name", "institution", "area", "lead_department"),
        *("special_action", "special_action_label", "end", "counted"),
    }
    second = get(people.city, f"/targets/classes?{PERIOD}&indicator=training&limit=1&offset=1").data["items"]
    assert {item["code"], second[0]["code"]} == {scene["yz"].code, scene["cg"].code}
    high = get(people.city, f"/targets/classes?{PERIOD}&indicator=new_high_skilled").data
    assert [(i["code"], i["counted"]) for i in high["items"]] == [(scene["yz"].code, 1)]
    action = get(people.city, f"/targets/classes?{PERIOD}&action=1").data
    assert [i["special_action_label"] for i in action["items"]] == ["新兴制造业技能人才培养专项行动"]


@pytest.mark.parametrize("who", ["hana1", "area_leader"])
def test_an_area_reader_cannot_read_another_areas_classes(people: Cast, scene: dict[str, Any], who: str) -> None:
    reader = area_leader() if who == "area_leader" else people.hana1
    other = get(reader, f"/targets/classes?{PERIOD}&area={scene['changge'].pk}")
    assert other.status_code == 404 and other.data["code"] == "not_found"
    own = get(reader, f"/targets/classes?{PERIOD}").data
    assert [i["code"] for i in own["items"]] == [scene["yz"].code]


def test_a_department_reviewer_cannot_read_another_departments_classes(people: Cast, scene: dict[str, Any]) -> None:
    response = get(people.dan1, f"/targets/classes?{PERIOD}&department={unit('dept-agri').pk}")
    assert response.status_code == 404


def test_an_unknown_indicator_is_refused(people: Cast, scene: dict[str, Any]) -> None:
    response = get(people.leader, f"/targets/classes?{PERIOD}&indicator=vouchers")
    assert response.status_code == 422
    assert response.data["fields"][0]["path"] == "indicator"


def test_hr_refreshes_the_facts_and_it_is_audited(people: Cast, scene: dict[str, Any]) -> None:
    for who in (people.city, people.hana1):
        response = send(client_for(who), "POST", "/targets/refresh?year=2023")
        assert response.status_code == 200
        assert set(response.data) == {"year", "rows", "seconds", "refreshed_at"}
        assert response.data["year"] == 2023 and response.data["rows"] > 0
    row = ProgressRefresh.objects.get(year=2023)
    events = AuditEvent.objects.filter(event="targets.refresh", object_id=str(row.pk))
    assert {e.actor_id for e in events} == {people.city.pk, people.hana1.pk}


@pytest.mark.parametrize("who", ["leader", "dan1"])
def test_a_reader_who_is_not_hr_may_not_refresh(people: Cast, scene: dict[str, Any], who: str) -> None:
    response = send(client_for(getattr(people, who)), "POST", "/targets/refresh?year=2023")
    assert response.status_code == 403 and response.data["code"] == "not_permitted"
    assert not AuditEvent.objects.filter(event="targets.refresh").exists()


def test_the_openapi_document_describes_the_targets_endpoints(people: Cast) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    assert {"/api/v1/targets/overview", "/api/v1/targets/classes", "/api/v1/targets/refresh"} <= set(schema["paths"])
    assert "TargetOverviewOut" in schema["components"]["schemas"]
    parameters = {p["name"] for p in schema["paths"]["/api/v1/targets/classes"]["get"]["parameters"]}
    assert {"indicator", "area", "department", "action", "year", "as_of", "limit", "offset"} <= parameters


def test_the_overview_comes_from_the_cache_until_a_register_or_the_facts_change(
    people: Cast, scene: dict[str, Any], settings: Any
) -> None:
    # leader reads the city; hana1 (禹州 HR) her area, which must never be answered by the city's entry.
    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jineng.targets.progress import progress_refresh
    from jineng.targets.services import CompetitionInput, competition_record

    settings.JINENG_DASHBOARD_CACHE_SECONDS = 60

    def read(who: Any) -> tuple[dict[str, Any], bool]:
        with CaptureQueriesContext(connection) as queries:
            response = get(who, f"/targets/overview?{PERIOD}")
        assert response.status_code == 200
        return response.data, any("targets_progressfact" in q["sql"] for q in queries.captured_queries)

    first, computed = read(people.leader)
    assert computed
    again, computed = read(people.leader)
    assert not computed and again == first
    area, computed = read(people.hana1)
    assert computed and area["scope"] == "禹州市" and [a["name"] for a in area["areas"]] == ["禹州市"]

    competition_record(
        actor=people.city,
        data=CompetitionInput(
            name="2023年许昌市车工职业技能竞赛",
            held_on=dt.date(2023, 3, 1),
            organiser_id=unit("city").pk,
            occupation_ids=[people.lathe.pk],
            contestants=10,
            certified=8,
        ),
    )
    after, computed = read(people.leader)
    assert computed and after["panel"] != first["panel"]  # the new competition is counted

    progress_refresh(year=2023)
    _, computed = read(people.leader)
    assert computed
    _, computed = read(people.leader)
    assert not computed

    settings.JINENG_DASHBOARD_CACHE_SECONDS = 0
    _, computed = read(people.leader)
    assert computed
