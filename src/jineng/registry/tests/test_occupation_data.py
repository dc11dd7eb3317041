"""The shipped occupation catalog is the 2022 classification plus separate licence catalogs, and bad data is refused.

No database: the loader is pure, so none of these tests uses the django_db mark.
"""

from __future__ import annotations

import copy
import dataclasses
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from jineng.registry.occupation_data import (
    CERTIFICATE_ROUTES,
    CLASSIFICATION,
    SPECIAL_EQUIPMENT,
    SPECIAL_OPERATION,
    OccupationDataError,
    OccupationRecord,
    load_action_titles,
    load_occupations,
)

SHIPPED = Path(__file__).resolve().parents[1] / "data" / "occupations-2022.yaml"
RECORDS = load_occupations()
BY_CODE = {record.code: record for record in RECORDS}
BY_NAME = {record.name: record for record in RECORDS}
CLASSIFIED = [record for record in RECORDS if record.catalog == CLASSIFICATION]


# --- the shipped catalog ---------------------------------------------------------------------------


def test_it_reads_the_packaged_file_by_default() -> None:
    assert load_occupations(SHIPPED) == RECORDS


def test_it_ships_at_least_ninety_occupations() -> None:
    assert len(CLASSIFIED) >= 90


def test_every_code_is_unique() -> None:
    assert [code for code, count in Counter(record.code for record in RECORDS).items() if count > 1] == []


def test_every_name_is_unique() -> None:
    assert [name for name, count in Counter(record.name for record in RECORDS).items() if count > 1] == []


def test_every_class_code_prefixes_its_code() -> None:
    for record in RECORDS:
        assert record.code.startswith(record.class_code + "-"), record


def test_a_classification_code_has_four_segments_and_its_class_code_the_first_three() -> None:
    for record in CLASSIFIED:
        segments = record.code.split("-")
        assert [len(segment) for segment in segments] == [1, 2, 2, 2], record
        assert record.class_code == "-".join(segments[:3]), record


def test_major_group_is_the_first_digit_of_the_code() -> None:
    for record in CLASSIFIED:
        assert record.major_group == int(record.code[0]), record


def test_manufacturing_flag_follows_major_group_6() -> None:
    for record in RECORDS:
        assert record.manufacturing == (record.catalog == CLASSIFICATION and record.major_group == 6), record


def test_it_covers_production_services_and_agriculture() -> None:
    assert {record.major_group for record in CLASSIFIED} >= {4, 5, 6}


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("车工", "6-18-01-01"),
        ("焊工", "6-18-02-04"),
        ("电工", "6-31-01-03"),
        ("养老护理员", "4-10-01-05"),
        ("健康照护师", "4-14-01-03"),
        ("中式烹调师", "4-03-02-01"),
        ("中式面点师", "4-03-02-02"),
        ("电子商务师", "4-01-06-01"),
        ("互联网营销师", "4-01-06-02"),
        ("农业经理人", "5-05-01-02"),
        ("保安员", "4-07-05-01"),
        ("消防设施操作员", "4-07-05-03"),
        # The plan's 育婴员 (2015: 4-10-01-02) is not in the 2022 table; 0–3 care is this occupation.
        ("婴幼儿发展引导员", "4-10-01-01"),
    ],
)
def test_it_includes_the_occupations_the_plan_names(name: str, code: str) -> None:
    assert BY_NAME[name].code == code
    assert BY_NAME[name].catalog == CLASSIFICATION


def test_钳工_is_there_as_the_three_fitter_occupations_of_2022() -> None:
    fitters = {record.name: record.code for record in CLASSIFIED if record.name.endswith("钳工")}
    assert fitters == {"工具钳工": "6-18-04-06", "装配钳工": "6-20-01-01", "机修钳工": "6-31-01-02"}


def test_it_covers_xuchang_industries() -> None:
    ceramics = ("陶瓷成型施釉工", "陶瓷工艺品制作师")  # 禹州钧瓷
    others = ("高低压电器及成套设备装配工", "再生物资加工处理工", "中药炮制工", "食用菌生产工")
    for name in ceramics + others:
        assert name in BY_NAME, name


def test_admission_occupations_carry_the_vocational_qualification_route() -> None:
    admitted = {record.name for record in RECORDS if "vocational_qualification" in record.certificate_routes}
    assert admitted == {"保安员", "消防设施操作员"}


def test_special_operations_are_kept_apart_from_the_classification() -> None:
    operations = {record.name: record for record in RECORDS if record.catalog == SPECIAL_OPERATION}
    assert {"低压电工作业", "高压电工作业", "熔化焊接与热切割作业", "高处安装、维护、拆除作业", "登高架设作业"} <= set(
        operations
    )
    assert operations["低压电工作业"].code == "SO-1-2"
    assert operations["熔化焊接与热切割作业"].code == "SO-2-1"
    for record in operations.values():
        assert record.code.startswith("SO-")
        assert record.major_group == 0
        assert record.levels == ()
        assert record.certificate_routes == ("special_operation",)


def test_special_equipment_licences_are_a_catalog_of_their_own() -> None:
    equipment = {record.name: record for record in RECORDS if record.catalog == SPECIAL_EQUIPMENT}
    assert equipment["叉车司机"].code == "SE-N1"
    assert equipment["电梯修理"].code == "SE-T"
    for record in equipment.values():
        assert record.major_group == 0
        assert record.levels == ()
        assert record.certificate_routes == ("special_equipment",)


def test_no_licence_code_can_be_taken_for_a_classification_code() -> None:
    for record in RECORDS:
        assert record.code[0].isdigit() == (record.catalog == CLASSIFICATION), record


def test_levels_are_listed_exactly_for_skill_level_occupations() -> None:
    for record in RECORDS:
        assert bool(record.levels) == ("skill_level" in record.certificate_routes), record
        assert set(record.levels) <= {1, 2, 3, 4, 5}, record


def test_婴幼儿发展引导员_starts_at_level_four() -> None:
    assert BY_NAME["婴幼儿发展引导员"].levels == (4, 3, 2, 1)


def test_no_entry_claims_set_hours_without_a_standard() -> None:
    assert {record.set_hours for record in RECORDS} == {None}


def test_action_titles_are_the_plans_ten_special_actions() -> None:
    titles = load_action_titles()
    assert len(titles) == 10
    assert titles["manufacturing"] == "新兴制造业技能人才培养专项行动"
    assert titles["contests"] == "职业技能竞赛培训专项行动"
    assert all(title.endswith("专项行动") for title in titles.values())


def test_every_special_action_is_served_by_some_occupation() -> None:
    served = {action for record in RECORDS for action in record.actions}
    assert served == set(load_action_titles())


def test_records_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        RECORDS[0].name = "改名"  # type: ignore[misc]


# --- bad data ------------------------------------------------------------------------------------

_RAW: dict[str, Any] = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def entry(**changes: Any) -> dict[str, Any]:
    """A valid classification entry (车工), with `changes` applied."""
    base: dict[str, Any] = {
        "code": "6-18-01-01",
        "name": "车工",
        "class_code": "6-18-01",
        "major_group": 6,
        "catalog": "classification",
        "manufacturing": True,
        "certificate_routes": ["skill_level"],
        "levels": [5, 4, 3, 2, 1],
        "set_hours": None,
        "actions": ["manufacturing"],
    }
    base.update(changes)
    return base


def catalog(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"sources": ["测试"], "actions": copy.deepcopy(_RAW["actions"]), "occupations": list(entries)}


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "occupations.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def refused(tmp_path: Path, data: object) -> OccupationDataError:
    with pytest.raises(OccupationDataError) as caught:
        load_occupations(write(tmp_path, data))
    return caught.value


def test_a_minimal_valid_file_loads(tmp_path: Path) -> None:
    (record,) = load_occupations(write(tmp_path, catalog(entry())))
    assert record == OccupationRecord(
        code="6-18-01-01",
        name="车工",
        class_code="6-18-01",
        major_group=6,
        catalog="classification",
        manufacturing=True,
        certificate_routes=("skill_level",),
        levels=(5, 4, 3, 2, 1),
        set_hours=None,
        actions=("manufacturing",),
    )


def test_the_shipped_data_round_trips_through_a_file(tmp_path: Path) -> None:
    assert load_occupations(write(tmp_path, _RAW)) == RECORDS


def test_it_refuses_a_duplicate_code_naming_it(tmp_path: Path) -> None:
    error = refused(tmp_path, catalog(entry(), entry(name="数控车工")))
    assert error.problems == ("code 6-18-01-01: field code: duplicate code 6-18-01-01 (entries #1 and #2)",)


def test_it_refuses_an_unknown_key_naming_the_entry_and_the_field(tmp_path: Path) -> None:
    error = refused(tmp_path, catalog(entry(hours=120)))
    assert error.problems == ("code 6-18-01-01: field hours: unknown key",)


def test_it_refuses_a_missing_key_naming_the_entry_and_the_field(tmp_path: Path) -> None:
    incomplete = entry()
    del incomplete["levels"]
    error = refused(tmp_path, catalog(incomplete))
    assert "code 6-18-01-01: field levels: missing" in error.problems


def test_it_refuses_a_class_code_that_does_not_prefix_the_code(tmp_path: Path) -> None:
    error = refused(tmp_path, catalog(entry(class_code="6-18-02")))
    assert error.problems == ("code 6-18-01-01: field class_code: '6-18-02' does not prefix the code '6-18-01-01'",)


def test_it_refuses_an_unknown_certificate_route(tmp_path: Path) -> None:
    error = refused(tmp_path, catalog(entry(certificate_routes=["skill_level", "diploma"])))
    (problem,) = error.problems
    assert problem.startswith("code 6-18-01-01: field certificate_routes: unknown route 'diploma'")


@pytest.mark.parametrize("level", [0, 6])
def test_it_refuses_a_level_outside_one_to_five(tmp_path: Path, level: int) -> None:
    error = refused(tmp_path, catalog(entry(levels=[level, 4, 3])))
    assert error.problems == (f"code 6-18-01-01: field levels: level {level} is outside 1..5",)


def test_it_refuses_an_unknown_action_key(tmp_path: Path) -> None:
    error = refused(tmp_path, catalog(entry(actions=["manufacturing", "tourism"])))
    assert error.problems == ("code 6-18-01-01: field actions: unknown action key 'tourism'",)


def test_it_refuses_a_major_group_that_is_not_the_codes_first_digit(tmp_path: Path) -> None:
    error = refused(tmp_path, catalog(entry(major_group=4)))
    assert error.problems == ("code 6-18-01-01: field major_group: 4 is not the first digit of the code '6-18-01-01'",)


def test_it_refuses_an_unquoted_code(tmp_path: Path) -> None:
    error = refused(tmp_path, catalog(entry(code=61801)))
    assert "entry #1: field code: must be a non-empty text (quote codes)" in error.problems


def test_it_refuses_levels_without_the_skill_level_route(tmp_path: Path) -> None:
    error = refused(tmp_path, catalog(entry(certificate_routes=["training_qualified"])))
    assert error.problems == (
        "code 6-18-01-01: field levels: must list the levels exactly when skill_level is a route",
    )


def test_it_refuses_a_licence_posing_as_a_classification_code(tmp_path: Path) -> None:
    licence = entry(code="6-18-01-01", class_code="6-18-01", catalog="special_operation", major_group=0, levels=[])
    licence["certificate_routes"] = ["special_operation"]
    problems = refused(tmp_path, catalog(licence)).problems
    assert "code 6-18-01-01: field code: '6-18-01-01' is not a special_operation code" in problems


def test_it_reports_every_problem_at_once(tmp_path: Path) -> None:
    error = refused(
        tmp_path,
        catalog(
            entry(levels=[7]),
            entry(code="6-18-01-02", name="铣工", class_code="6-18-02", actions=["nowhere"]),
            entry(code="SO-1-2", name="低压电工作业", catalog="special_operation"),
        ),
    )
    message = str(error)
    assert "code 6-18-01-01: field levels" in message
    assert "code 6-18-01-02: field class_code" in message
    assert "code 6-18-01-02: field actions" in message
    assert "code SO-1-2: field class_code" in message
    assert "code SO-1-2: field major_group" in message
    assert len(error.problems) >= 6


def test_it_refuses_a_repeated_key_in_one_entry(tmp_path: Path) -> None:
    path = tmp_path / "occupations.yaml"
    path.write_text(
        "sources: [测试]\n"
        "actions: {manufacturing: 新兴制造业技能人才培养专项行动}\n"
        "occupations:\n"
        '  - {code: "6-18-01-01", name: 车工, name: 铣工}\n',
        encoding="utf-8",
    )
    with pytest.raises(OccupationDataError, match="duplicate key 'name'"):
        load_occupations(path)


def test_it_refuses_a_file_that_is_not_a_catalog(tmp_path: Path) -> None:
    error = refused(tmp_path, [entry()])
    assert error.problems == ("the file must be a mapping with keys sources, actions, occupations",)


def test_it_refuses_an_unknown_top_level_key(tmp_path: Path) -> None:
    data = catalog(entry())
    data["edition"] = 2022
    assert refused(tmp_path, data).problems == ("the file: field edition: unknown key",)


def test_the_known_certificate_routes_are_the_six_of_the_brief() -> None:
    assert set(CERTIFICATE_ROUTES) == {
        "vocational_qualification",
        "skill_level",
        "special_operation",
        "special_equipment",
        "special_capability",
        "training_qualified",
    }
