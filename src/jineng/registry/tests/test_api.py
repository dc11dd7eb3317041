"""The catalog API (/api/v1/occupations, org-units, institutions, online-platforms)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from jineng.accounts.models import Role
from jineng.registry.models import BlacklistEntry, OnlinePlatform
from jineng.testing import Cast, occupation, unit, user

pytestmark = pytest.mark.django_db

API = "/api/v1"


def get(reader: object, path: str) -> tuple[int, dict]:
    client = Client()
    client.force_login(reader)  # type: ignore[arg-type]
    response = client.get(API + path)
    return response.status_code, response.json()


def test_occupations_filter_by_code_prefix_name_and_manufacturing_and_page(people: Cast) -> None:
    occupation("4-10-01-01", "美发师", manufacturing=False)
    occupation("6-18-01-02", "铣工")
    status, body = get(people.alice, "/occupations?q=6-18&limit=1")
    assert status == 200 and body["count"] == 2 and body["limit"] == 1 and body["offset"] == 0
    assert [o["code"] for o in body["items"]] == ["6-18-01-01"]
    _, body = get(people.alice, "/occupations?q=美发")
    assert [o["name"] for o in body["items"]] == ["美发师"]
    _, body = get(people.alice, "/occupations?manufacturing=false")
    assert [o["code"] for o in body["items"]] == ["4-10-01-01"]
    _, body = get(people.alice, "/occupations?manufacturing=true")
    assert {o["code"] for o in body["items"]} == {"6-18-01-01", "6-18-01-02"}
    assert get(people.alice, "/occupations?limit=500")[0] == 422


def test_one_occupation_by_code_and_an_unknown_code_is_404(people: Cast) -> None:
    status, body = get(people.dan1, "/occupations/6-18-01-01")
    assert status == 200 and body["name"] == "车工" and body["manufacturing"] is True
    assert body["certificate_routes"] == ["skill_level"] and body["class_code"] == "6-18-01"
    status, body = get(people.dan1, "/occupations/9-99-99-99")
    assert status == 404 and body["code"] == "not_found" and body["fields"][0]["path"] == "code"


def test_org_units_filter_by_kind(people: Cast) -> None:
    status, body = get(people.hana1, "/org-units?kind=area&limit=200")
    assert status == 200 and body["count"] == len(body["items"]) > 0
    assert {u["kind"] for u in body["items"]} == {"area"} and "area-yuzhou" in {u["key"] for u in body["items"]}
    assert body["items"][0]["kind_label"] == "县（市、区）"
    _, body = get(people.hana1, "/org-units?kind=city")
    assert [u["name"] for u in body["items"]] == ["许昌市"]
    assert get(people.hana1, "/org-units?kind=planet")[0] == 422


def test_a_clerk_sees_only_their_institution_with_its_specialties(people: Cast) -> None:
    status, body = get(people.alice, "/institutions")
    assert status == 200 and body["count"] == 1
    (inst,) = body["items"]
    assert inst["id"] == people.yuzhou_school.pk and inst["area"]["name"] == unit("area-yuzhou").name
    assert inst["specialties"] == [
        {
            "occupation_code": "6-18-01-01",
            "occupation_name": "车工",
            "effective_from": "2022-06-01",
            "effective_to": None,
        }
    ]
    assert inst["blacklisted"] is False and inst["blacklisted_since"] is None


@pytest.mark.parametrize("who", ["dan1", "erin", "hana1", "carol", "city", "leader", "finance", "sam"])
def test_officials_read_the_whole_institution_catalog(people: Cast, who: str) -> None:
    status, body = get(getattr(people, who), "/institutions")
    assert status == 200 and body["count"] == 3  # two schools and the evaluation body


@pytest.mark.parametrize("who", ["audrey", "worker"])
def test_the_audit_administrator_and_workers_see_no_institutions(people: Cast, who: str) -> None:
    reader = people.audrey if who == "audrey" else user("w1", Role.WORKER)
    status, body = get(reader, "/institutions")
    assert status == 200 and body == {"count": 0, "limit": 50, "offset": 0, "items": []}


def test_the_blacklist_status_is_the_one_in_force_today(people: Cast) -> None:
    today = dt.date.today()
    BlacklistEntry.objects.create(
        institution=people.changge_school,
        reason="虚报人数",
        listed_on=today - dt.timedelta(days=3),
        listed_by=people.city,
    )
    BlacklistEntry.objects.create(
        institution=people.yuzhou_school,
        reason="已整改",
        listed_on=today - dt.timedelta(days=400),
        lifted_on=today - dt.timedelta(days=30),
        listed_by=people.city,
    )
    _, body = get(people.city, "/institutions")
    status_by_name = {i["name"]: (i["blacklisted"], i["blacklisted_since"]) for i in body["items"]}
    assert status_by_name == {
        people.changge_school.name: (True, (today - dt.timedelta(days=3)).isoformat()),
        people.yuzhou_school.name: (False, None),
        people.evaluation_body.name: (False, None),
    }
    _, body = get(people.city, "/institutions?q=长葛")
    assert [i["name"] for i in body["items"]] == [people.changge_school.name]
    _, body = get(people.city, f"/institutions?area={unit('area-yuzhou').pk}")
    assert [i["name"] for i in body["items"]] == [people.yuzhou_school.name]


def test_the_institution_list_takes_a_fixed_number_of_queries(people: Cast, django_assert_max_num_queries) -> None:
    from jineng.testing import institution

    for i in range(20):
        institution(f"机构{i}", area_key="area-yuzhou", seed=100 + i, occupations=[people.lathe])
    client = Client()
    client.force_login(people.city)
    with django_assert_max_num_queries(8):
        body = client.get(f"{API}/institutions?limit=200").json()
    schools = [i for i in body["items"] if i["name"] != people.evaluation_body.name]
    assert body["count"] == 23 and all(len(i["specialties"]) == 1 for i in schools)


def test_online_platforms_are_listed(people: Cast) -> None:
    OnlinePlatform.objects.create(code="henan-skills", name="河南省职业技能培训平台")
    OnlinePlatform.objects.create(code="old", name="未接入平台", listed=True, connected=False)
    status, body = get(people.alice, "/online-platforms")
    assert status == 200 and body["count"] == 2
    assert [(p["code"], p["connected"]) for p in body["items"]] == [("henan-skills", True), ("old", False)]


def test_catalogs_need_a_signed_in_user(people: Cast) -> None:
    for path in ("/occupations", "/org-units", "/institutions", "/online-platforms"):
        response = Client().get(API + path)
        assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
