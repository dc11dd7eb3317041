"""The policy loader refuses incomplete or ambiguous policy data, naming the key."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml

from jineng.policy.catalog import RULES
from jineng.policy.loader import DATA_DIR, PolicyError, load_policy_dir, load_policy_file, parse_policy, policies
from jineng.policy.parameters import Parameters

from .builders import check, document, person

SHIPPED = DATA_DIR / "xuchang-2023.yaml"


def shipped() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    return data


def write(directory: Path, data: dict[str, Any]) -> Path:
    path = directory / f"{data['policy']}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


class TestTheShippedPolicy:
    def test_it_is_in_force_for_the_whole_of_2023_only(self) -> None:
        known = policies()
        assert known.in_force(dt.date(2023, 1, 1)).name == "xuchang-2023"  # type: ignore[union-attr]
        assert known.in_force(dt.date(2023, 12, 31)).name == "xuchang-2023"  # type: ignore[union-attr]
        assert known.in_force(dt.date(2022, 12, 31)) is None
        assert known.in_force(dt.date(2024, 1, 1)) is None

    def test_every_parameter_has_value_unit_and_clause(self) -> None:
        policy = load_policy_file(SHIPPED)
        assert set(policy.entries) == {f.name for f in fields(Parameters)}
        for entry in policy.entries.values():
            assert entry.unit and entry.clause and entry.values

    def test_every_parameter_a_rule_names_exists(self) -> None:
        names = {f.name for f in fields(Parameters)}
        assert {p for spec in RULES for p in spec.params} <= names

    def test_it_holds_the_plans_numbers(self) -> None:
        p = load_policy_file(SHIPPED).parameters_on(dt.date(2023, 6, 1))
        assert (p.class_size_max, p.teacher_ratio, p.station_ratio, p.teachers_min, p.hour_minutes_min) == (
            80,
            20,
            20,
            2,
            40,
        )
        assert (str(p.practical_share_min), str(p.online_share_max), p.qualified_hours_min) == ("0.60", "0.40", 40)
        assert p.problem_since == dt.date(2022, 1, 1)
        assert dict(p.apprentice_annual_max) == {"academic": 1000, "other": 400}
        assert p.apprentice_per_enterprise_max == 200
        assert p.inmate_release_before == dt.date(2025, 1, 1)
        assert (p.cooldown_months, p.public_notice_working_days, p.industry_review_working_days) == (1, 5, 10)


class TestItRefuses:
    def test_an_unknown_parameter_naming_it(self) -> None:
        data = shipped()
        data["parameters"]["class_size_maximum"] = data["parameters"]["class_size_max"]
        with pytest.raises(PolicyError, match=r"parameters\.class_size_maximum"):
            parse_policy(data)

    def test_a_missing_parameter_naming_it(self) -> None:
        data = shipped()
        del data["parameters"]["teacher_ratio"]
        with pytest.raises(PolicyError, match=r"parameters\.teacher_ratio"):
            parse_policy(data)

    @pytest.mark.parametrize("key", ["clause", "unit"])
    def test_a_parameter_without_clause_or_unit(self, key: str) -> None:
        data = shipped()
        del data["parameters"]["station_ratio"][key]
        with pytest.raises(PolicyError, match=rf"parameters\.station_ratio\.{key}"):
            parse_policy(data)

    def test_an_empty_clause(self) -> None:
        data = shipped()
        data["parameters"]["station_ratio"]["clause"] = " "
        with pytest.raises(PolicyError, match=r"parameters\.station_ratio\.clause"):
            parse_policy(data)

    def test_an_unknown_key_inside_a_parameter(self) -> None:
        data = shipped()
        data["parameters"]["teachers_min"]["vaule"] = 3
        with pytest.raises(PolicyError, match=r"parameters\.teachers_min.*vaule"):
            parse_policy(data)

    def test_an_unknown_top_level_key(self) -> None:
        data = shipped()
        data["parmeters"] = {}
        with pytest.raises(PolicyError, match="parmeters"):
            parse_policy(data)

    @pytest.mark.parametrize(
        ("key", "value"),
        [
            ("class_size_max", "80"),
            ("class_size_max", -1),
            ("class_size_max", True),
            ("practical_share_min", 60),
            ("problem_since", "2022-13-01"),
            ("apprentice_annual_max", {"academic": 1000}),
        ],
    )
    def test_a_value_of_the_wrong_type(self, key: str, value: object) -> None:
        data = shipped()
        data["parameters"][key]["values"] = {dt.date(2023, 1, 1): value}
        with pytest.raises(PolicyError, match=rf"parameters\.{key}"):
            parse_policy(data)

    def test_a_value_dated_outside_the_policys_period(self) -> None:
        data = shipped()
        data["parameters"]["class_size_max"]["values"][dt.date(2024, 1, 1)] = 60
        with pytest.raises(PolicyError, match=r"parameters\.class_size_max\.values\.2024-01-01"):
            parse_policy(data)

    def test_a_parameter_without_a_value_on_the_first_day(self) -> None:
        data = shipped()
        data["parameters"]["class_size_max"]["values"] = {dt.date(2023, 2, 1): 80}
        with pytest.raises(PolicyError, match=r"parameters\.class_size_max\.values"):
            parse_policy(data)

    def test_overlapping_effective_periods_naming_both_policies(self, tmp_path: Path) -> None:
        shutil.copy(SHIPPED, tmp_path)
        second = shipped()
        second["policy"] = "xuchang-2023b"
        second["effective"] = {"from": dt.date(2023, 12, 31), "to": dt.date(2024, 12, 31)}
        for entry in second["parameters"].values():
            entry["values"] = {dt.date(2023, 12, 31): next(iter(entry["values"].values()))}
        write(tmp_path, second)
        with pytest.raises(PolicyError, match=r"xuchang-2023（.*xuchang-2023b（.*effective 重叠"):
            load_policy_dir(tmp_path)

    def test_a_file_named_differently_from_its_policy(self, tmp_path: Path) -> None:
        shutil.copy(SHIPPED, tmp_path / "other.yaml")
        with pytest.raises(PolicyError, match="文件名应与 policy 名称一致"):
            load_policy_dir(tmp_path)


def later_policy(tmp_path: Path, *, class_size_max: int) -> Path:
    """The shipped file plus a 2024 policy in which only class_size_max changed."""
    shutil.copy(SHIPPED, tmp_path)
    data = shipped()
    data["policy"] = "xuchang-2024"
    data["effective"] = {"from": dt.date(2024, 1, 1), "to": dt.date(2024, 12, 31)}
    for entry in data["parameters"].values():
        entry["values"] = {dt.date(2024, 1, 1): next(iter(entry["values"].values()))}
    data["parameters"]["class_size_max"]["values"] = {dt.date(2024, 1, 1): class_size_max}
    write(tmp_path, data)
    return tmp_path


def a_class_of(size: int, *, year: int) -> dict[str, Any]:
    teachers = [{"name": f"教师{i}", "certified": True} for i in range(4)]
    return document(
        trainees=[person(i + 1) for i in range(size)],
        as_of=f"{year}-05-01",
        klass={"start": f"{year}-05-08", "end": f"{year}-05-26", "teachers": teachers},
    )


class TestThePolicyInForceOnAsOf:
    def test_a_later_policy_applies_from_its_start_and_not_before(self, tmp_path: Path) -> None:
        known = load_policy_dir(later_policy(tmp_path, class_size_max=60))
        in_2023 = check(a_class_of(61, year=2023), policy_set=known)
        in_2024 = check(a_class_of(61, year=2024), policy_set=known)
        assert (in_2023.policy.name, in_2023.decision) == ("xuchang-2023", "approve")
        assert (in_2024.policy.name, in_2024.decision) == ("xuchang-2024", "block")
        [size] = in_2024.findings
        assert size.message == "每班人数不超过60人：本班61人"
        assert check(a_class_of(60, year=2024), policy_set=known).decision == "approve"

    def test_a_value_changed_mid_period_applies_from_its_date(self, tmp_path: Path) -> None:
        data = shipped()
        data["parameters"]["class_size_max"]["values"][dt.date(2023, 7, 1)] = 60
        write(tmp_path, data)
        known = load_policy_dir(tmp_path)
        before = a_class_of(61, year=2023) | {"as_of": "2023-06-30"}
        after = a_class_of(61, year=2023) | {"as_of": "2023-07-01"}
        assert check(before, policy_set=known).decision == "approve"
        assert check(after, policy_set=known).decision == "block"
