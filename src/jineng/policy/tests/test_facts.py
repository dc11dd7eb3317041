"""Document validity (exit 2): every bad field by JSON path, in one run; nothing is evaluated."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jineng.policy.facts import InvalidDocument, parse_document
from jineng.policy.loader import policies

from .builders import document, person


def bad_paths(doc: Any) -> dict[str, str]:
    raw = doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False)
    with pytest.raises(InvalidDocument) as caught:
        parse_document(raw, policies=policies())
    return {e.path: e.message for e in caught.value.errors}


def test_the_contract_example_is_valid() -> None:
    assert parse_document(json.dumps(document()), policies=policies()).class_.hours.total == 80


def test_every_bad_field_is_named_at_once() -> None:
    doc = document(
        trainees=[person(1), person(2), person(3), person(4, id_number=None)],
        as_of="2023-02-29",
        klass={
            "hours": {"theory": 24, "practical": "56", "online_theory": 0},
            "workstations": 2.5,
            "training_type": "evening",
        },
        institution={"kind": "school"},
    )
    del doc["trainees"][1]["questionnaire"]
    assert set(bad_paths(doc)) == {
        "$.as_of",
        "$.institution.kind",
        "$.class.training_type",
        "$.class.hours.practical",
        "$.class.workstations",
        "$.trainees[1].questionnaire",
        "$.trainees[3].id_number",
    }


@pytest.mark.parametrize(
    ("edit", "path", "message"),
    [
        ({"klass": {"start": "2023-04-31"}}, "$.class.start", "不是有效日期"),
        ({"klass": {"end": "2023-05-01"}}, "$.class.end", "早于开始日期"),
        ({"klass": {"hours": {"theory": 0, "practical": 0, "online_theory": 0}}}, "$.class.hours", "大于 0"),
        ({"klass": {"hours": {"theory": 1, "practical": -1, "online_theory": 0}}}, "$.class.hours.practical", "≥ 0"),
        ({"klass": {"minutes_per_hour": True}}, "$.class.minutes_per_hour", "整数"),
        ({"klass": {"level": 6}}, "$.class.level", "≤ 5"),
        ({"klass": {"subsidised": "yes"}}, "$.class.subsidised", "true 或 false"),
        ({"klass": {"teachers": None}}, "$.class.teachers", "不能为 null"),
        ({"klass": {"training_type": "apprenticeship"}}, "$.class.enterprise", "enterprise"),
        ({"klass": {"online_platform": {"id": "P"}}}, "$.class.online_platform.listed", "缺少"),
        ({"as_of": "2024-01-01"}, "$.as_of", "不在任何政策的有效期内"),
        ({"as_of": "2022-12-31"}, "$.as_of", "xuchang-2023: 2023-01-01 至 2023-12-31"),
        ({"institution": {"problem_found_on": "2022-1-5"}}, "$.institution.problem_found_on", "日期"),
        (
            {"institution": {"listed_specialties": [{"occupation": "6-18-01-01"}]}},
            "$.institution.listed_specialties[0].from",
            "缺少",
        ),
    ],
)
def test_it_names_the_field_and_the_reason(edit: dict[str, Any], path: str, message: str) -> None:
    errors = bad_paths(document(**edit))
    assert path in errors
    assert message in errors[path]


def test_nullable_fields_may_be_null_and_others_may_not() -> None:
    trainee = person(
        1,
        student=None,
        employee=None,
        inmate=None,
        questionnaire=None,
        previous_trainings=[{"class_id": "C", "subsidised": True, "end": "2023-01-01", "assessed_on": None}],
    )
    doc = document(trainees=[trainee], klass={"level": None, "online_platform": None, "enterprise": None})
    doc["class"]["occupation"]["set_hours"] = None
    parse_document(json.dumps(doc), policies=policies())
    assert bad_paths(document(klass={"city": None})) == {"$.class.city": "不能为 null"}


def test_unknown_enumeration_values_are_invalid() -> None:
    doc = document(
        trainees=[person(1, category="tourist", student={"school_kind": "kindergarten", "graduation_year": 2023})]
    )
    doc["class"]["occupation"]["certificate_routes"] = ["diploma"]
    assert set(bad_paths(doc)) == {
        "$.class.occupation.certificate_routes[0]",
        "$.trainees[0].category",
        "$.trainees[0].student.school_kind",
    }


def test_an_invalid_resident_id_is_not_a_validity_error() -> None:
    parse_document(json.dumps(document(trainees=[person(1, id_number="123")])), policies=policies())


def test_unreadable_json_is_invalid_at_the_root() -> None:
    assert list(bad_paths('{"as_of": ')) == ["$"]
    assert bad_paths("[]") == {"$": "应为对象"}
