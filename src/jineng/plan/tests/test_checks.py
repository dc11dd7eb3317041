"""The checker reports, with exact figures, where the plan disagrees with itself."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest

from jineng.plan.checks import PlanIssue, check_plan, plain, render_text, to_json
from jineng.plan.loader import ANNEX1_COLUMNS, Plan, Targets, load_plan


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan()


@pytest.fixture(scope="module")
def issues(plan: Plan) -> list[PlanIssue]:
    return check_plan(plan)


def only(issues: list[PlanIssue], code: str) -> PlanIssue:
    found = [issue for issue in issues if issue.code == code]
    assert len(found) == 1, [issue.code for issue in issues]
    return found[0]


def with_area(plan: Plan, key: str, **figures: Decimal) -> Plan:
    areas = tuple(
        dataclasses.replace(a, targets=dataclasses.replace(a.targets, **figures)) if a.key == key else a
        for a in plan.areas
    )
    return dataclasses.replace(plan, areas=areas)


class TestTheShippedPlan:
    def test_it_reports_exactly_these_issues_in_this_order(self, issues: list[PlanIssue]) -> None:
        assert [issue.code for issue in issues] == [
            "ANNEX2-TOTAL-TRAINING",
            "ANNEX2-TOTAL-NEW-SKILLED",
            "ANNEX2-TOTAL-NEW-HIGH-SKILLED",
            "ANNEX2-SKILLED-EXCEEDS-TRAINING",
            "ACTIONS-TRAINING-SUM",
            "ACTIONS-NEW-SKILLED-SUM",
            "ACTIONS-NEW-HIGH-SKILLED-SUM",
            "ACTION-UNIT-LISTED-TWICE",
        ]

    def test_it_reports_that_annex2_training_adds_up_to_11_2995_not_12(self, issues: list[PlanIssue]) -> None:
        issue = only(issues, "ANNEX2-TOTAL-TRAINING")
        assert issue.values["value_wan"] == Decimal("11.2995")
        assert issue.values["value_persons"] == 112995
        assert issue.values["target_wan"] == Decimal("12")
        assert issue.values["annex1_wan"] == Decimal("12")
        assert issue.values["difference_wan"] == Decimal("-0.7005")
        assert issue.values["difference_persons"] == -7005
        assert "11.2995 万人次（112995 人次）" in issue.message
        assert "12 万人次（120000 人次）" in issue.message

    def test_it_reports_annex2_new_skilled_7_87_and_high_skilled_3_4466_against_9_and_3_5(
        self, issues: list[PlanIssue]
    ) -> None:
        skilled = only(issues, "ANNEX2-TOTAL-NEW-SKILLED")
        high = only(issues, "ANNEX2-TOTAL-NEW-HIGH-SKILLED")
        assert (skilled.values["value_wan"], skilled.values["target_wan"]) == (Decimal("7.87"), Decimal("9"))
        assert (high.values["value_wan"], high.values["target_wan"]) == (Decimal("3.4466"), Decimal("3.5"))
        assert high.values["difference_persons"] == -534

    def test_it_flags_the_sports_bureau_for_450_new_skilled_from_200_trained(self, issues: list[PlanIssue]) -> None:
        issue = only(issues, "ANNEX2-SKILLED-EXCEEDS-TRAINING")
        assert issue.subject == "附件2 第18行 · 市体育局"
        assert issue.values == {
            "new_skilled_wan": Decimal("0.045"),
            "new_skilled_persons": 450,
            "training_wan": Decimal("0.02"),
            "training_persons": 200,
            "department": "sport",
        }
        assert "0.045 万人（450 人）" in issue.message
        assert "0.02 万人次（200 人次）" in issue.message

    def test_annex1_rows_add_up_to_the_printed_total_and_the_city_targets_in_every_column(self, plan: Plan) -> None:
        rows = Targets.total(area.targets for area in plan.areas)
        for column in ANNEX1_COLUMNS:
            assert rows.get(column) == plan.annex1_printed_total.get(column) == plan.city.get(column), column

    def test_it_reports_nothing_about_annex1(self, issues: list[PlanIssue]) -> None:
        assert not [issue for issue in issues if issue.code.startswith("ANNEX1-")]

    def test_no_area_has_more_technicians_than_high_skilled_or_more_subsidised_than_trained(self, plan: Plan) -> None:
        for area in plan.areas:
            t = area.targets
            assert t.technicians is not None and t.new_high_skilled is not None
            assert t.subsidised is not None and t.training is not None
            assert t.technicians <= t.new_high_skilled and t.subsidised <= t.training, area.name

    def test_the_city_high_skilled_share_of_38_9_percent_meets_the_35_percent_bound(
        self, plan: Plan, issues: list[PlanIssue]
    ) -> None:
        assert plan.city.new_high_skilled / plan.city.new_skilled > Decimal("0.35")  # type: ignore[operator]
        assert "CITY-HIGH-SHARE-BELOW-MIN" not in {issue.code for issue in issues}

    def test_it_reports_the_actions_training_sum_of_9_56_as_information(self, issues: list[PlanIssue]) -> None:
        issue = only(issues, "ACTIONS-TRAINING-SUM")
        assert (issue.values["value_wan"], issue.values["target_wan"]) == (Decimal("9.56"), Decimal("12"))
        assert issue.values["actions"] == "1,2,3,4,5,6,7,8,10"
        assert "供参考" in issue.message

    def test_the_actions_new_skilled_and_high_skilled_sums_are_7_015_and_2_337(self, issues: list[PlanIssue]) -> None:
        assert only(issues, "ACTIONS-NEW-SKILLED-SUM").values["value_wan"] == Decimal("7.015")
        assert only(issues, "ACTIONS-NEW-HIGH-SKILLED-SUM").values["value_wan"] == Decimal("2.337")

    def test_action_9_technicians_agree_with_the_city_target_of_0_28(self, issues: list[PlanIssue]) -> None:
        assert "ACTIONS-TECHNICIANS-SUM" not in {issue.code for issue in issues}

    def test_it_reports_the_justice_bureau_listed_twice_in_action_6(self, issues: list[PlanIssue]) -> None:
        issue = only(issues, "ACTION-UNIT-LISTED-TWICE")
        assert issue.values == {"action": 6, "unit": "市司法局", "times": 2}


class TestItReportsWhatItIsShown:
    def test_an_annex1_row_that_no_longer_adds_up_is_reported_against_total_and_city(self, plan: Plan) -> None:
        changed = with_area(plan, "weidu", training=Decimal("0.8"))
        found = {(i.code, i.values.get("column")): i for i in check_plan(changed)}
        mismatch = found[("ANNEX1-TOTAL-MISMATCH", "training")]
        assert (mismatch.values["value_wan"], mismatch.values["target_wan"]) == (Decimal("12.1"), Decimal("12"))
        assert "多 0.1 万人次（1000 人次）" in mismatch.message
        assert ("ANNEX1-CITY-MISMATCH", "training") in found
        assert ("ANNEX1-PRINTED-TOTAL-CITY-MISMATCH", "training") not in found

    def test_a_printed_total_that_differs_from_the_city_target_is_reported(self, plan: Plan) -> None:
        total = dataclasses.replace(plan.annex1_printed_total, apprentices=Decimal("0.15"))
        codes = {
            (i.code, i.values.get("column")) for i in check_plan(dataclasses.replace(plan, annex1_printed_total=total))
        }
        assert ("ANNEX1-TOTAL-MISMATCH", "apprentices") in codes
        assert ("ANNEX1-PRINTED-TOTAL-CITY-MISMATCH", "apprentices") in codes
        assert ("ANNEX1-CITY-MISMATCH", "apprentices") not in codes

    def test_an_area_with_more_technicians_than_high_skilled_is_reported(self, plan: Plan) -> None:
        changed = with_area(plan, "dongchengqu", technicians=Decimal("0.3"))
        issue = only(check_plan(changed), "ANNEX1-TECHNICIANS-EXCEED-HIGH-SKILLED")
        assert issue.values["area"] == "dongchengqu"
        assert (issue.values["technicians_wan"], issue.values["new_high_skilled_wan"]) == (
            Decimal("0.3"),
            Decimal("0.25"),
        )

    def test_an_area_with_more_subsidised_than_trained_is_reported(self, plan: Plan) -> None:
        changed = with_area(plan, "weidu", subsidised=Decimal("0.71"))
        issue = only(check_plan(changed), "ANNEX1-SUBSIDISED-EXCEEDS-TRAINING")
        assert issue.subject == "附件1 · 魏都区"

    def test_a_high_skilled_share_below_the_given_bound_is_reported_with_its_percentage(self, plan: Plan) -> None:
        issue = only(check_plan(plan, high_share_min=Decimal("0.40")), "CITY-HIGH-SHARE-BELOW-MIN")
        assert issue.values["share"] == Decimal("0.3889")
        assert "38.9%" in issue.message and "40%" in issue.message


class TestRendering:
    def test_the_text_has_a_heading_one_line_per_issue_and_a_summary(self, plan: Plan, issues: list[PlanIssue]) -> None:
        text = render_text(issues, plan)
        lines = text.splitlines()
        assert lines[0].startswith("计划目标任务一致性检查：xuchang-2023")
        assert "许技领办〔2023〕1号" in lines[0]
        assert sum(1 for line in lines if line[:1].isdigit()) == len(issues)
        assert "1. [ANNEX2-TOTAL-TRAINING] 附件2 合计 · 职业技能培训：" in text
        assert lines[-1] == f"共发现 {len(issues)} 处不一致（仅报告，不修改计划数据）"

    def test_the_text_for_a_consistent_plan_says_none_were_found(self, plan: Plan) -> None:
        assert render_text([], plan).splitlines()[-1] == "共发现 0 处不一致（仅报告，不修改计划数据）"

    def test_json_renders_decimals_as_exact_strings(self, plan: Plan, issues: list[PlanIssue]) -> None:
        data = to_json(issues, plan)
        assert data["plan"] == "xuchang-2023"
        assert data["count"] == len(issues) == len(data["issues"])
        first = data["issues"][0]
        assert set(first) == {"code", "subject", "message", "values"}
        assert first["values"]["value_wan"] == "11.2995"
        assert first["values"]["value_persons"] == 112995
        assert json.loads(json.dumps(data, ensure_ascii=False)) == data

    def test_plain_writes_decimals_without_trailing_zeros_or_exponents(self) -> None:
        assert [plain(Decimal(v)) for v in ("7.870", "12", "1E+1", "0.0000", "-0.7005")] == [
            "7.87",
            "12",
            "10",
            "0",
            "-0.7005",
        ]
