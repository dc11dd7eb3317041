"""Where a plan's target figures disagree with themselves — reported, never corrected.

Every comparison is exact (Decimal sums of the printed 万 figures). Each kind of disagreement has
a stable code; an issue carries the figures both in its Chinese message and in `values`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from .loader import (
    ACTION_COLUMNS,
    ANNEX1_COLUMNS,
    ANNEX2_COLUMNS,
    COLUMN_NAMES,
    PERSON_UNITS,
    WAN_UNITS,
    Column,
    Plan,
    Targets,
    wan_to_persons,
)

IssueValue = Decimal | int | str

DEFAULT_HIGH_SHARE_MIN: Final = Decimal("0.35")
CITY: Final = "方案“一、目标任务”"

_SLUG: Final[Mapping[Column, str]] = {
    "training": "TRAINING",
    "subsidised": "SUBSIDISED",
    "new_skilled": "NEW-SKILLED",
    "new_high_skilled": "NEW-HIGH-SKILLED",
    "technicians": "TECHNICIANS",
    "apprentices": "APPRENTICES",
}

# (part, whole, code suffix): within one row, `part` is a subset of `whole` and cannot exceed it.
_NESTED: Final[tuple[tuple[Column, Column, str], ...]] = (
    ("subsidised", "training", "SUBSIDISED-EXCEEDS-TRAINING"),
    ("new_skilled", "training", "SKILLED-EXCEEDS-TRAINING"),
    ("new_high_skilled", "new_skilled", "HIGH-SKILLED-EXCEEDS-SKILLED"),
    ("technicians", "new_high_skilled", "TECHNICIANS-EXCEED-HIGH-SKILLED"),
)


@dataclass(frozen=True, slots=True)
class PlanIssue:
    code: str
    subject: str
    message: str
    values: dict[str, IssueValue] = field(default_factory=dict, hash=False)


def plain(value: Decimal) -> str:
    """A Decimal as people write it: fixed point, no trailing zeros (7.870 → 7.87, 12 → 12)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _figure(value: Decimal, column: Column) -> str:
    """'11.2995 万人次（112995 人次）'."""
    return f"{plain(value)} {WAN_UNITS[column]}（{wan_to_persons(value)} {PERSON_UNITS[column]}）"


def _gap(value: Decimal, target: Decimal, column: Column) -> str:
    difference = value - target
    word = "多" if difference > 0 else "少"
    return f"{word} {_figure(abs(difference), column)}"


def _comparison_values(column: Column, value: Decimal, target: Decimal, **extra: IssueValue) -> dict[str, IssueValue]:
    return {
        "column": column,
        "value_wan": value,
        "value_persons": wan_to_persons(value),
        "target_wan": target,
        "target_persons": wan_to_persons(target),
        "difference_wan": value - target,
        "difference_persons": wan_to_persons(value - target),
        **extra,
    }


def _annex1_totals(plan: Plan) -> list[PlanIssue]:
    issues: list[PlanIssue] = []
    rows = Targets.total(area.targets for area in plan.areas)
    printed = plan.annex1_printed_total
    city = plan.city
    for column in ANNEX1_COLUMNS:
        summed, total = rows.get(column), printed.get(column)
        assert summed is not None and total is not None  # every annex 1 column is required
        name = COLUMN_NAMES[column]
        if summed != total:
            issues.append(
                PlanIssue(
                    code="ANNEX1-TOTAL-MISMATCH",
                    subject=f"附件1 合计 · {name}",
                    message=(
                        f"附件1 {len(plan.areas)} 个县市区{name}相加为 {_figure(summed, column)}，"
                        f"印刷的合计行为 {_figure(total, column)}，{_gap(summed, total, column)}"
                    ),
                    values=_comparison_values(column, summed, total),
                )
            )
        target = city.get(column)
        if target is None:
            continue
        if summed != target:
            issues.append(
                PlanIssue(
                    code="ANNEX1-CITY-MISMATCH",
                    subject=f"附件1 · {name}",
                    message=(
                        f"附件1 各县市区{name}相加为 {_figure(summed, column)}，"
                        f"{CITY}为 {_figure(target, column)}，{_gap(summed, target, column)}"
                    ),
                    values=_comparison_values(column, summed, target),
                )
            )
        if total != target:
            issues.append(
                PlanIssue(
                    code="ANNEX1-PRINTED-TOTAL-CITY-MISMATCH",
                    subject=f"附件1 合计 · {name}",
                    message=(
                        f"附件1 印刷的合计行{name}为 {_figure(total, column)}，"
                        f"{CITY}为 {_figure(target, column)}，{_gap(total, target, column)}"
                    ),
                    values=_comparison_values(column, total, target),
                )
            )
    return issues


def _annex2_totals(plan: Plan) -> list[PlanIssue]:
    issues: list[PlanIssue] = []
    departments = Targets.total(d.targets for d in plan.departments)
    areas = Targets.total(a.targets for a in plan.areas)
    city = plan.city
    for column in ANNEX2_COLUMNS:
        summed, target, annex1 = departments.get(column), city.get(column), areas.get(column)
        assert summed is not None and target is not None and annex1 is not None
        if summed == target and summed == annex1:
            continue
        name = COLUMN_NAMES[column]
        issues.append(
            PlanIssue(
                code=f"ANNEX2-TOTAL-{_SLUG[column]}",
                subject=f"附件2 合计 · {name}",
                message=(
                    f"附件2 {len(plan.departments)} 个行业系统{name}相加为 {_figure(summed, column)}，"
                    f"{CITY}为 {_figure(target, column)}，{_gap(summed, target, column)}；"
                    f"附件1 各县市区相加为 {_figure(annex1, column)}"
                ),
                values=_comparison_values(
                    column, summed, target, annex1_wan=annex1, annex1_persons=wan_to_persons(annex1)
                ),
            )
        )
    return issues


def _nested(prefix: str, subject: str, targets: Targets, **extra: IssueValue) -> list[PlanIssue]:
    issues: list[PlanIssue] = []
    for part, whole, suffix in _NESTED:
        part_value, whole_value = targets.get(part), targets.get(whole)
        if part_value is None or whole_value is None or part_value <= whole_value:
            continue
        issues.append(
            PlanIssue(
                code=f"{prefix}-{suffix}",
                subject=subject,
                message=(
                    f"{COLUMN_NAMES[part]} {_figure(part_value, part)}多于"
                    f"{COLUMN_NAMES[whole]} {_figure(whole_value, whole)}"
                ),
                values={
                    f"{part}_wan": part_value,
                    f"{part}_persons": wan_to_persons(part_value),
                    f"{whole}_wan": whole_value,
                    f"{whole}_persons": wan_to_persons(whole_value),
                    **extra,
                },
            )
        )
    return issues


def _rows(plan: Plan) -> list[PlanIssue]:
    issues = _nested("CITY", CITY, plan.city)
    for area in plan.areas:
        issues += _nested("ANNEX1", f"附件1 · {area.name}", area.targets, area=area.key)
    for department in plan.departments:
        subject = f"附件2 第{department.seq}行 · {department.name}"
        issues += _nested("ANNEX2", subject, department.targets, department=department.code)
    for action in plan.actions:
        subject = f"专项行动{action.number} · {action.name}"
        issues += _nested("ACTION", subject, action.targets, action=action.number)
        for sub in action.sub_targets:
            issues += _nested("ACTION", f"{subject}（{sub.label}）", sub.targets, action=action.number)
    return issues


def _high_share(plan: Plan, minimum: Decimal) -> list[PlanIssue]:
    city = plan.city
    high, skilled = city.new_high_skilled, city.new_skilled
    if high is None or not skilled:
        return []
    share = high / skilled
    if share >= minimum:
        return []
    percent = (share * 100).quantize(Decimal("0.1"))
    return [
        PlanIssue(
            code="CITY-HIGH-SHARE-BELOW-MIN",
            subject=f"{CITY} · 新增高技能人才占比",
            message=(
                f"新增高技能人才 {_figure(high, 'new_high_skilled')} 占新增技能人才 "
                f"{_figure(skilled, 'new_skilled')} 的 {plain(percent)}%，低于 {plain(minimum * 100)}%"
            ),
            values={
                "new_high_skilled_wan": high,
                "new_skilled_wan": skilled,
                "share": share.quantize(Decimal("0.0001")),
                "share_min": minimum,
            },
        )
    ]


def _action_sums(plan: Plan) -> list[PlanIssue]:
    # The special actions need not cover every target, so their sums are information, not errors;
    # they are reported because people compare them with the city's figures.
    issues: list[PlanIssue] = []
    sums = Targets.total(action.targets for action in plan.actions)
    city = plan.city
    for column in ACTION_COLUMNS:
        summed, target = sums.get(column), city.get(column)
        if summed is None or target is None or summed == target:
            continue
        numbers = [str(a.number) for a in plan.actions if a.targets.get(column) is not None]
        name = COLUMN_NAMES[column]
        issues.append(
            PlanIssue(
                code=f"ACTIONS-{_SLUG[column]}-SUM",
                subject=f"十大专项行动 · {name}",
                message=(
                    f"专项行动（{'、'.join(numbers)}）{name}相加为 {_figure(summed, column)}，"
                    f"{CITY}为 {_figure(target, column)}，{_gap(summed, target, column)}（供参考）"
                ),
                values=_comparison_values(column, summed, target, actions=",".join(numbers)),
            )
        )
    return issues


def _repeated_units(plan: Plan) -> list[PlanIssue]:
    issues: list[PlanIssue] = []
    for action in plan.actions:
        for unit, times in Counter(action.responsible_units).items():
            if times > 1:
                issues.append(
                    PlanIssue(
                        code="ACTION-UNIT-LISTED-TWICE",
                        subject=f"专项行动{action.number} · {action.name}",
                        message=f"责任单位中 {unit} 列出 {times} 次",
                        values={"action": action.number, "unit": unit, "times": times},
                    )
                )
    return issues


def check_plan(plan: Plan, *, high_share_min: Decimal = DEFAULT_HIGH_SHARE_MIN) -> list[PlanIssue]:
    """Every place where the plan's figures disagree with each other, in a stable order."""
    return [
        *_annex1_totals(plan),
        *_annex2_totals(plan),
        *_rows(plan),
        *_high_share(plan, high_share_min),
        *_action_sums(plan),
        *_repeated_units(plan),
    ]


def render_text(issues: Iterable[PlanIssue], plan: Plan) -> str:
    """The issues for people, in Chinese."""
    issues = list(issues)
    lines = [f"计划目标任务一致性检查：{plan.name}（{plan.title}，{plan.document}）", ""]
    lines += [f"{index}. [{issue.code}] {issue.subject}：{issue.message}" for index, issue in enumerate(issues, 1)]
    if issues:
        lines.append("")
    lines.append(f"共发现 {len(issues)} 处不一致（仅报告，不修改计划数据）")
    return "\n".join(lines) + "\n"


def _json_value(value: IssueValue) -> str | int:
    return plain(value) if isinstance(value, Decimal) else value


def to_json(issues: Iterable[PlanIssue], plan: Plan) -> dict[str, Any]:
    """The issues as a JSON-ready dict; Decimal figures become strings so nothing is rounded."""
    rendered = [
        {
            "code": issue.code,
            "subject": issue.subject,
            "message": issue.message,
            "values": {key: _json_value(value) for key, value in issue.values.items()},
        }
        for issue in issues
    ]
    return {"plan": plan.name, "issues": rendered, "count": len(rendered)}
