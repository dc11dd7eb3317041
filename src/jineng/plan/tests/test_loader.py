"""The shipped 2023 plan data is the plan as printed, and malformed plan data is refused by key."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from jineng.plan.loader import (
    DATA_DIR,
    PlanDataError,
    Targets,
    load_plan,
    parse_plan,
    plan_names,
    wan_to_persons,
)

SHIPPED = DATA_DIR / "xuchang-2023.yaml"
_RAW: dict[str, Any] = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def shipped() -> dict[str, Any]:
    return copy.deepcopy(_RAW)


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def refused(tmp_path: Path, data: dict[str, Any]) -> str:
    with pytest.raises(PlanDataError) as caught:
        load_plan(path=write(tmp_path, data))
    return str(caught.value)


def area_row(data: dict[str, Any], name: str) -> dict[str, Any]:
    row: dict[str, Any] = next(r for r in data["annex1"]["areas"] if r["name"] == name)
    return row


def department_row(data: dict[str, Any], name: str) -> dict[str, Any]:
    row: dict[str, Any] = next(r for r in data["annex2"]["departments"] if r["name"] == name)
    return row


class TestTheShippedPlan:
    def test_it_is_the_2023_xuchang_plan_issued_on_17_march(self) -> None:
        plan = load_plan()
        assert plan.name == "xuchang-2023"
        assert plan.year == 2023
        assert plan.document == "许技领办〔2023〕1号"
        assert plan.title == "2023年许昌市高质量推进“人人持证、技能河南”建设工作方案"
        assert plan.issued.isoformat() == "2023-03-17"
        assert plan_names() == ["xuchang-2023"]

    def test_it_has_ten_areas_twenty_eight_departments_and_ten_actions(self) -> None:
        plan = load_plan()
        assert len(plan.areas) == 10
        assert len(plan.departments) == 28
        assert [d.seq for d in plan.departments] == list(range(1, 29))
        assert [a.number for a in plan.actions] == list(range(1, 11))

    def test_the_city_targets_of_section_one_are_held_in_wan_and_in_persons(self) -> None:
        plan = load_plan()
        expected = {
            "training": ("12", 120000),
            "subsidised": ("5.2", 52000),
            "new_skilled": ("9", 90000),
            "new_high_skilled": ("3.5", 35000),
            "technicians": ("0.28", 2800),
            "apprentices": ("0.14", 1400),
        }
        for column, (wan, persons) in expected.items():
            target = plan.city_targets[column]  # type: ignore[index]
            assert (target.wan, target.persons, target.clause) == (Decimal(wan), persons, "一")
        assert plan.city_targets["training"].qualifier == "以上"
        assert plan.city_targets["technicians"].qualifier == "不低于"

    def test_annex1_areas_are_in_printed_order_with_their_region_codes(self) -> None:
        plan = load_plan()
        assert [(a.name, a.region_code) for a in plan.areas] == [
            ("市直", "411000"),
            ("禹州市", "411081"),
            ("长葛市", "411082"),
            ("鄢陵县", "411024"),
            ("襄城县", "411025"),
            ("魏都区", "411002"),
            ("建安区", "411003"),
            ("示范区", None),
            ("开发区", "411071"),
            ("东城区", None),
        ]

    def test_only_the_three_functional_zones_are_marked_as_such_with_their_full_names(self) -> None:
        plan = load_plan()
        zones = {a.name: a.full_name for a in plan.areas if a.functional_zone}
        assert zones == {
            "示范区": "许昌市城乡一体化示范区",
            "开发区": "许昌经济技术开发区",
            "东城区": "许昌市东城区",
        }

    def test_annex1_rows_and_the_printed_total_are_kept_apart(self) -> None:
        plan = load_plan()
        yuzhou = plan.area("yuzhou").targets
        assert yuzhou == Targets(
            training=Decimal("2.5"),
            subsidised=Decimal("1.1"),
            new_skilled=Decimal("2"),
            new_high_skilled=Decimal("0.45"),
            technicians=Decimal("0.04"),
            apprentices=Decimal("0.006"),
        )
        assert yuzhou.persons("apprentices") == 60
        assert plan.annex1_printed_total == Targets(
            training=Decimal("12"),
            subsidised=Decimal("5.2"),
            new_skilled=Decimal("9"),
            new_high_skilled=Decimal("3.5"),
            technicians=Decimal("0.28"),
            apprentices=Decimal("0.14"),
        )

    def test_annex2_keeps_department_names_exactly_as_printed(self) -> None:
        plan = load_plan()
        assert plan.departments[0].name == "市教育局（含许昌职业技术学院）"
        assert plan.departments[20].name == "市政务服务和大数据管理局"
        assert plan.departments[-1].name == "市残联"
        assert all(d.code.isascii() for d in plan.departments)
        assert len({d.code for d in plan.departments}) == 28

    def test_annex2_figures_keep_every_printed_digit_and_convert_to_whole_persons(self) -> None:
        plan = load_plan()
        rural = plan.department("rural").targets
        assert (rural.training, rural.new_skilled, rural.new_high_skilled) == (
            Decimal("0.0315"),
            Decimal("0.021"),
            Decimal("0.0063"),
        )
        assert (rural.persons("training"), rural.persons("new_high_skilled")) == (315, 63)
        assert plan.department("ndrc").targets.persons("new_high_skilled") == 68
        assert plan.department("sport").targets.columns() == ("training", "new_skilled", "new_high_skilled")

    def test_annex2_keeps_its_three_notes(self) -> None:
        notes = load_plan().annex2_notes
        assert len(notes) == 3
        assert notes[1].startswith("对此前未取得职业资格证书或职业技能等级证书")
        assert "15 日内" in notes[2]

    def test_the_ten_actions_carry_their_printed_names_and_figures(self) -> None:
        plan = load_plan()
        assert plan.action(1).name == "新兴制造业技能人才培养专项行动"
        assert plan.action(10).name == "职业技能竞赛培训专项行动"
        assert plan.action(3).targets == Targets(
            training=Decimal("2"), new_skilled=Decimal("1.35"), new_high_skilled=Decimal("0.225")
        )
        assert plan.action(6).clause == "二(一)6"

    def test_action_2_keeps_its_three_sub_targets_and_their_sum(self) -> None:
        action = load_plan().action(2)
        assert [
            (s.label, s.targets.training, s.targets.new_skilled, s.targets.new_high_skilled) for s in action.sub_targets
        ] == [
            ("康养照护", Decimal("0.4"), Decimal("0.225"), Decimal("0.09")),
            ("文旅文创", Decimal("0.06"), Decimal("0.045"), Decimal("0.023")),
            ("电子商务与餐饮", Decimal("0.8"), Decimal("0.45"), Decimal("0.225")),
        ]
        assert action.targets == Targets(
            training=Decimal("1.26"), new_skilled=Decimal("0.72"), new_high_skilled=Decimal("0.338")
        )
        assert action.sub_targets[1].responsible_units == ("市文广旅局", "市商务局")
        assert action.responsible_units == (
            "市民政局",
            "市卫健委",
            "市人社局",
            "市教育局",
            "市妇联",
            "市文广旅局",
            "市商务局",
        )

    def test_action_9_has_only_the_technician_target_and_the_enrolment_figures(self) -> None:
        action = load_plan().action(9)
        assert action.targets == Targets(technicians=Decimal("0.28"))
        assert {o.key: (o.value, o.unit, o.qualifier) for o in action.other_targets} == {
            "jsxy_enrolment": (Decimal("0.18"), "万人", "以上"),
            "jsxy_senior_class_enrolment": (Decimal("0.15"), "万人", "以上"),
        }

    def test_action_10_trains_through_competitions_and_has_no_new_skilled_target(self) -> None:
        action = load_plan().action(10)
        assert action.targets == Targets(training=Decimal("0.1"), new_high_skilled=Decimal("0.03"))
        assert action.training_note == "以赛促训"
        assert {o.key: o.value for o in action.other_targets} == {
            "competition_occupations": Decimal("10"),
            "competition_events": Decimal("20"),
            "competition_certified": Decimal("300"),
        }

    def test_responsible_units_are_kept_as_printed_including_a_repeat(self) -> None:
        units = load_plan().action(6).responsible_units
        assert units.count("市司法局") == 2
        assert len(units) == 9


class TestMalformedPlanData:
    def test_a_missing_annex1_column_is_refused_naming_the_area_and_the_column(self, tmp_path: Path) -> None:
        data = shipped()
        del area_row(data, "禹州市")["new_skilled"]
        message = refused(tmp_path, data)
        assert "annex1.areas[1]（禹州市）" in message
        assert "new_skilled" in message

    def test_a_non_numeric_figure_is_refused_naming_its_key(self, tmp_path: Path) -> None:
        data = shipped()
        department_row(data, "市体育局")["training"] = "二百"
        message = refused(tmp_path, data)
        assert "annex2.departments[17]（市体育局）.training" in message
        assert "应为数字" in message

    def test_a_negative_figure_is_refused(self, tmp_path: Path) -> None:
        data = shipped()
        data["city_targets"]["training"]["wan"] = "-12"
        assert "city_targets.training.wan" in refused(tmp_path, data)

    def test_a_figure_that_is_not_a_whole_number_of_persons_is_refused(self, tmp_path: Path) -> None:
        data = shipped()
        department_row(data, "市发改委")["new_high_skilled"] = "0.00685"
        message = refused(tmp_path, data)
        assert "annex2.departments[18]（市发改委）.new_high_skilled" in message
        assert "不是整数" in message

    def test_a_duplicate_department_code_is_refused(self, tmp_path: Path) -> None:
        data = shipped()
        department_row(data, "市科技局")["code"] = "edu"
        message = refused(tmp_path, data)
        assert "annex2.departments" in message
        assert "code edu 重复" in message

    def test_a_duplicate_area_region_code_is_refused(self, tmp_path: Path) -> None:
        data = shipped()
        area_row(data, "长葛市")["region_code"] = "411081"
        message = refused(tmp_path, data)
        assert "region_code 411081 重复" in message

    def test_a_duplicate_area_key_is_refused(self, tmp_path: Path) -> None:
        data = shipped()
        area_row(data, "长葛市")["key"] = "yuzhou"
        assert "key yuzhou 重复" in refused(tmp_path, data)

    def test_a_county_without_a_region_code_is_refused(self, tmp_path: Path) -> None:
        data = shipped()
        area_row(data, "魏都区")["region_code"] = None
        assert "annex1.areas[5]（魏都区）.region_code" in refused(tmp_path, data)

    def test_a_malformed_region_code_is_refused(self, tmp_path: Path) -> None:
        data = shipped()
        area_row(data, "魏都区")["region_code"] = "41102"
        assert "应为6位区划代码" in refused(tmp_path, data)

    def test_an_unknown_key_is_refused_so_a_typo_cannot_pass(self, tmp_path: Path) -> None:
        data = shipped()
        department_row(data, "市残联")["new_skiled"] = "0.1"
        message = refused(tmp_path, data)
        assert "annex2.departments[27]（市残联）" in message
        assert "未知的键 new_skiled" in message

    def test_a_missing_city_target_is_refused(self, tmp_path: Path) -> None:
        data = shipped()
        del data["city_targets"]["apprentices"]
        message = refused(tmp_path, data)
        assert "city_targets" in message
        assert "apprentices" in message

    def test_an_action_whose_sum_differs_from_its_sub_targets_is_refused(self, tmp_path: Path) -> None:
        data = shipped()
        data["actions"][1]["training"] = "1.3"
        message = refused(tmp_path, data)
        assert "actions[1]（现代服务业技能培训专项行动）.training" in message
        assert "1.26" in message

    def test_an_action_must_state_every_target_column_even_as_null(self, tmp_path: Path) -> None:
        data = shipped()
        del data["actions"][8]["training"]
        message = refused(tmp_path, data)
        assert "actions[8]（高技能人才培训专项行动）" in message
        assert "training" in message

    def test_a_duplicate_action_number_is_refused(self, tmp_path: Path) -> None:
        data = shipped()
        data["actions"][9]["number"] = 9
        assert "number 9 重复" in refused(tmp_path, data)

    def test_broken_yaml_is_refused_as_a_yaml_error(self, tmp_path: Path) -> None:
        path = tmp_path / "broken.yaml"
        path.write_text("plan: [unclosed\n", encoding="utf-8")
        with pytest.raises(PlanDataError, match="YAML 格式错误"):
            load_plan(path=path)

    def test_a_yaml_float_figure_is_read_exactly(self, tmp_path: Path) -> None:
        data = shipped()
        department_row(data, "市乡村振兴局")["training"] = 0.0315
        plan = load_plan(path=write(tmp_path, data))
        assert plan.department("rural").targets.training == Decimal("0.0315")
        assert plan.department("rural").targets.persons("training") == 315

    def test_an_unknown_plan_name_is_refused_listing_the_shipped_ones(self) -> None:
        with pytest.raises(PlanDataError, match=r"未找到计划 xuchang-2099.*xuchang-2023"):
            load_plan("xuchang-2099")

    def test_a_plan_name_that_is_a_path_is_refused(self) -> None:
        with pytest.raises(PlanDataError, match="计划名称"):
            load_plan("../policy/data/xuchang-2023")

    def test_a_document_that_is_not_a_mapping_is_refused(self) -> None:
        with pytest.raises(PlanDataError, match="应为映射"):
            parse_plan(["not", "a", "plan"])


def test_wan_convert_to_persons_exactly() -> None:
    assert wan_to_persons(Decimal("0.0315")) == 315
    assert wan_to_persons(Decimal("11.2995")) == 112995
    with pytest.raises(PlanDataError):
        wan_to_persons(Decimal("0.00001"))
