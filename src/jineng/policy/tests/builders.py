"""Builders for class-facts documents in tests: a valid, approvable class and small edits to it.

The base document is the contract's example with a valid resident ID: a 车工 class of one
trainee at a Xuchang training school, 24 theory + 56 practical hours, two certified teachers.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from stdnum.cn import ric

from jineng.policy.engine import Evaluation, evaluate
from jineng.policy.facts import parse_document
from jineng.policy.loader import PolicySet, policies


def resident_id(seq: int = 1, *, region: str = "411081", birth: str = "19900101") -> str:
    """A valid GB 11643 number (check digit from stdnum) for region, birth date and sequence."""
    body = f"{region}{birth}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def person(seq: int = 1, **overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id_number": resident_id(seq),
        "name": f"学员{seq}",
        "category": "unemployed",
        "student": None,
        "employee": None,
        "inmate": None,
        "questionnaire": {"training_intent": True, "employment_intent": True, "employment_ability": True},
        "previous_trainings": [],
    }
    entry.update(overrides)
    return entry


BASE: dict[str, Any] = {
    "as_of": "2023-05-01",
    "institution": {
        "id": "INST-001",
        "name": "许昌市某职业培训学校",
        "uscc": "91411000MA44XXXXXX",
        "kind": "training_school",
        "home_city": "411000",
        "academic_education": False,
        "listed_specialties": [{"occupation": "6-18-01-01", "from": "2022-06-01"}],
        "blacklisted": False,
        "problem_found_on": None,
        "has_site": True,
        "has_facilities": True,
    },
    "class": {
        "id": "C-2023-0001",
        "city": "411000",
        "county": "411081",
        "occupation": {
            "code": "6-18-01-01",
            "name": "车工",
            "class_code": "6-18-01",
            "manufacturing": True,
            "certificate_routes": ["skill_level"],
            "set_hours": None,
        },
        "level": 4,
        "training_type": "employment",
        "certificate": "skill_level",
        "subsidised": True,
        "start": "2023-05-08",
        "end": "2023-05-26",
        "minutes_per_hour": 45,
        "hours": {"theory": 24, "practical": 56, "online_theory": 0},
        "online_platform": None,
        "teachers": [{"name": "张老师", "certified": True}, {"name": "李老师", "certified": True}],
        "workstations": 20,
        "enterprise": None,
        "apprentices_before": {"institution_this_year": 0, "same_enterprise_occupation": 0},
        "cross_city_approval": False,
        "local_alternative_exists": True,
    },
    "trainees": [person(1)],
}


def document(*, trainees: int | list[dict[str, Any]] | None = None, **sections: dict[str, Any] | str) -> dict[str, Any]:
    """The base document with `trainees` (a count or entries) and shallow edits per section.

    document(klass={"workstations": 3}) edits class.workstations; document(as_of="2023-06-01").
    """
    doc = copy.deepcopy(BASE)
    if isinstance(trainees, int):
        doc["trainees"] = [person(i + 1) for i in range(trainees)]
    elif trainees is not None:
        doc["trainees"] = trainees
    for key, value in sections.items():
        name = "class" if key == "klass" else key
        if isinstance(value, dict):
            doc[name].update(value)
        else:
            doc[name] = value
    return doc


def check(doc: dict[str, Any], *, policy_set: PolicySet | None = None) -> Evaluation:
    """Through the real path: JSON text → strict parse → the policy in force on as_of → rules."""
    known = policy_set or policies()
    parsed = parse_document(json.dumps(doc, ensure_ascii=False), policies=known)
    policy = known.in_force(parsed.as_of)
    assert policy is not None
    return evaluate(parsed, policy)


def rules_fired(doc: dict[str, Any], **kwargs: Any) -> list[str]:
    return [f.rule for f in check(doc, **kwargs).findings]


def fires(rule: str, doc: dict[str, Any]) -> bool:
    return rule in rules_fired(doc)
