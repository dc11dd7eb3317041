"""Load a year's plan targets (目标任务) as they are printed in the plan.

The data file holds the figures of section 一, annex 1 (by area), annex 2 (by department) and the
special actions of section 二(一), as the printed 万 figures. The loader is strict about the shape
of the data — an unknown or missing key, a figure that is not a number, a duplicate code are
refused with the key named — and indifferent to what the figures say: the plan's own
inconsistencies are reported by `jineng.plan.checks`, never corrected here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal, get_args

import yaml

DATA_DIR: Final = Path(__file__).resolve().parent / "data"
DEFAULT_PLAN: Final = "xuchang-2023"
PERSONS_PER_WAN: Final = 10000

Column = Literal["training", "subsidised", "new_skilled", "new_high_skilled", "technicians", "apprentices"]
COLUMNS: Final[tuple[Column, ...]] = get_args(Column)

COLUMN_NAMES: Final[Mapping[Column, str]] = MappingProxyType(
    {
        "training": "职业技能培训",
        "subsidised": "补贴性职业技能培训",
        "new_skilled": "新增技能人才",
        "new_high_skilled": "新增高技能人才",
        "technicians": "新增技师和高级技师",
        "apprentices": "企业新型学徒制",
    }
)
# Training is counted in person-times (人次), everything else in persons (人).
WAN_UNITS: Final[Mapping[Column, str]] = MappingProxyType(
    {column: "万人次" if column in ("training", "subsidised") else "万人" for column in COLUMNS}
)
PERSON_UNITS: Final[Mapping[Column, str]] = MappingProxyType(
    {column: "人次" if column in ("training", "subsidised") else "人" for column in COLUMNS}
)

ANNEX1_COLUMNS: Final[tuple[Column, ...]] = COLUMNS
ANNEX2_COLUMNS: Final[tuple[Column, ...]] = ("training", "new_skilled", "new_high_skilled")
ACTION_COLUMNS: Final[tuple[Column, ...]] = ("training", "new_skilled", "new_high_skilled", "technicians")

_NAME = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
_CODE = re.compile(r"[a-z][a-z0-9_]*\Z")
_REGION = re.compile(r"\d{6}\Z")


class PlanDataError(ValueError):
    """Plan data that cannot be used as it is; the message names the offending key."""


def wan_to_persons(wan: Decimal) -> int:
    """万 → persons, exactly; a figure that is not a whole number of persons is refused."""
    persons = wan * PERSONS_PER_WAN
    if persons != persons.to_integral_value():
        raise PlanDataError(f"{wan} 万折合 {persons} 人，不是整数")
    return int(persons)


@dataclass(frozen=True, slots=True)
class Targets:
    """One row of figures in 万 (training in 万人次, the rest in 万人); None where the plan gives none."""

    training: Decimal | None = None
    subsidised: Decimal | None = None
    new_skilled: Decimal | None = None
    new_high_skilled: Decimal | None = None
    technicians: Decimal | None = None
    apprentices: Decimal | None = None

    def get(self, column: Column) -> Decimal | None:
        value: Decimal | None = getattr(self, column)
        return value

    def persons(self, column: Column) -> int | None:
        value = self.get(column)
        return None if value is None else wan_to_persons(value)

    def columns(self) -> tuple[Column, ...]:
        """The columns that have a figure."""
        return tuple(column for column in COLUMNS if self.get(column) is not None)

    @classmethod
    def total(cls, rows: Iterable[Targets]) -> Targets:
        """Column sums; a column none of the rows has stays None."""
        sums: dict[Column, Decimal] = {}
        for row in rows:
            for column in row.columns():
                value = row.get(column)
                assert value is not None
                sums[column] = sums.get(column, Decimal(0)) + value
        return cls(**sums)


@dataclass(frozen=True, slots=True)
class CityTarget:
    """One indicator of section 一, with the qualifier as printed (以上, 不低于) if any."""

    column: Column
    wan: Decimal
    qualifier: str | None
    clause: str

    @property
    def persons(self) -> int:
        return wan_to_persons(self.wan)


@dataclass(frozen=True, slots=True)
class AreaTarget:
    """A row of annex 1."""

    key: str
    name: str
    full_name: str
    # Six-digit division code; None for a functional zone without a published one.
    region_code: str | None
    functional_zone: bool
    targets: Targets


@dataclass(frozen=True, slots=True)
class DepartmentTarget:
    """A row of annex 2."""

    seq: int
    code: str
    name: str
    targets: Targets


@dataclass(frozen=True, slots=True)
class SubTarget:
    """One of several targets printed within one special action, with its own responsible units."""

    label: str
    targets: Targets
    responsible_units: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OtherTarget:
    """A target of a special action outside the standard columns (enrolment, competitions)."""

    key: str
    label: str
    value: Decimal
    unit: str
    qualifier: str | None


@dataclass(frozen=True, slots=True)
class ActionTarget:
    """One of the ten special actions of section 二(一)."""

    number: int
    name: str
    clause: str
    targets: Targets
    # As printed, in order, repeats kept; for an action with sub-targets, theirs in order, once each.
    responsible_units: tuple[str, ...]
    sub_targets: tuple[SubTarget, ...] = ()
    other_targets: tuple[OtherTarget, ...] = ()
    training_note: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Plan:
    name: str
    year: int
    title: str
    document: str
    issued: dt.date
    issuer: str
    city_targets: Mapping[Column, CityTarget]
    annex1_title: str
    areas: tuple[AreaTarget, ...]
    annex1_printed_total: Targets
    annex2_title: str
    departments: tuple[DepartmentTarget, ...]
    annex2_notes: tuple[str, ...]
    actions: tuple[ActionTarget, ...]
    source: Path | None = None

    @property
    def city(self) -> Targets:
        return Targets(**{column: target.wan for column, target in self.city_targets.items()})

    def area(self, key: str) -> AreaTarget:
        for area in self.areas:
            if area.key == key:
                return area
        raise KeyError(key)

    def department(self, code: str) -> DepartmentTarget:
        for department in self.departments:
            if department.code == code:
                return department
        raise KeyError(code)

    def action(self, number: int) -> ActionTarget:
        for action in self.actions:
            if action.number == number:
                return action
        raise KeyError(number)


# ── parsing ──────────────────────────────────────────────────────────────────────────────


class _Parser:
    """Carries the file label into every error message."""

    def __init__(self, label: str) -> None:
        self.label = label

    def error(self, where: str, problem: str) -> PlanDataError:
        return PlanDataError(f"{self.label}：{where}：{problem}")

    def mapping(self, raw: Any, where: str, *, required: Iterable[str], optional: Iterable[str] = ()) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise self.error(where, f"应为映射（YAML 对象），实际为 {raw!r}")
        required = tuple(required)
        allowed = set(required) | set(optional)
        unknown = sorted(str(key) for key in raw if key not in allowed)
        if unknown:
            raise self.error(where, f"未知的键 {', '.join(unknown)}")
        missing = [key for key in required if key not in raw]
        if missing:
            raise self.error(where, f"缺少键 {', '.join(missing)}")
        return raw

    def text(self, raw: Any, where: str) -> str:
        if not isinstance(raw, str) or not raw.strip():
            raise self.error(where, f"应为非空字符串，实际为 {raw!r}")
        return raw.strip()

    def optional_text(self, raw: Any, where: str) -> str | None:
        return None if raw is None else self.text(raw, where)

    def positive_int(self, raw: Any, where: str) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
            raise self.error(where, f"应为正整数，实际为 {raw!r}")
        return raw

    def date(self, raw: Any, where: str) -> dt.date:
        if isinstance(raw, dt.datetime):
            raise self.error(where, "应为日期（YYYY-MM-DD），不应带时间")
        if isinstance(raw, dt.date):
            return raw
        if isinstance(raw, str):
            try:
                return dt.date.fromisoformat(raw)
            except ValueError:
                pass
        raise self.error(where, f"{raw!r} 不是有效日期（YYYY-MM-DD）")

    def number(self, raw: Any, where: str) -> Decimal:
        # Figures are written as strings; a YAML float is read through its shortest repr so that
        # 0.0315 stays 0.0315 and never becomes 0.031499999999999999.
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise self.error(where, f'应为数字（如 "0.0315"），实际为 {raw!r}')
        text = str(raw).strip()
        try:
            # Decimal would also read full-width and other non-ASCII digits; data files use ASCII.
            if not text.isascii():
                raise InvalidOperation
            value = Decimal(text)
        except InvalidOperation:
            raise self.error(where, f'应为数字（如 "0.0315"），实际为 {raw!r}') from None
        if not value.is_finite():
            raise self.error(where, f"应为有限数字，实际为 {raw!r}")
        if value < 0:
            raise self.error(where, f"不应为负数，实际为 {raw!r}")
        return value

    def wan(self, raw: Any, where: str) -> Decimal:
        value = self.number(raw, where)
        try:
            wan_to_persons(value)
        except PlanDataError as exc:
            raise self.error(where, str(exc)) from None
        return value

    def units(self, raw: Any, where: str) -> tuple[str, ...]:
        if not isinstance(raw, list) or not raw:
            raise self.error(where, f"应为非空的单位名称列表，实际为 {raw!r}")
        return tuple(self.text(item, f"{where}[{index}]") for index, item in enumerate(raw))

    def targets(
        self,
        raw: Mapping[str, Any],
        where: str,
        *,
        required: Iterable[Column] = (),
        nullable: Iterable[Column] = (),
        optional: Iterable[Column] = (),
    ) -> Targets:
        """Figures of `raw`: required must be there with a value, nullable there but maybe null,
        optional may be left out."""
        figures: dict[Column, Decimal] = {}
        for column in required:
            if column not in raw:
                raise self.error(where, f"缺少列 {column}（{COLUMN_NAMES[column]}，{WAN_UNITS[column]}）")
            if raw[column] is None:
                raise self.error(f"{where}.{column}", f"{COLUMN_NAMES[column]}不应为空")
            figures[column] = self.wan(raw[column], f"{where}.{column}")
        for column in nullable:
            if column not in raw:
                raise self.error(where, f"缺少列 {column}（{COLUMN_NAMES[column]}；无此指标时写 null）")
            if raw[column] is not None:
                figures[column] = self.wan(raw[column], f"{where}.{column}")
        for column in optional:
            if raw.get(column) is not None:
                figures[column] = self.wan(raw[column], f"{where}.{column}")
        return Targets(**figures)


def _unique(parser: _Parser, where: str, kind: str, values: Iterable[tuple[str, object]]) -> None:
    seen: dict[object, str] = {}
    for row, value in values:
        if value in seen:
            raise parser.error(where, f"{kind} {value} 重复（{seen[value]} 与 {row}）")
        seen[value] = row


def _city_targets(p: _Parser, raw: Any) -> MappingProxyType[Column, CityTarget]:
    data = p.mapping(raw, "city_targets", required=COLUMNS)
    out: dict[Column, CityTarget] = {}
    for column in COLUMNS:
        where = f"city_targets.{column}"
        spec = p.mapping(data[column], where, required=("wan", "clause"), optional=("qualifier",))
        if spec["wan"] is None:
            raise p.error(f"{where}.wan", f"{COLUMN_NAMES[column]}不应为空")
        out[column] = CityTarget(
            column=column,
            wan=p.wan(spec["wan"], f"{where}.wan"),
            qualifier=p.optional_text(spec.get("qualifier"), f"{where}.qualifier"),
            clause=p.text(spec["clause"], f"{where}.clause"),
        )
    return MappingProxyType(out)


def _areas(p: _Parser, raw: Any) -> tuple[str, tuple[AreaTarget, ...], Targets]:
    data = p.mapping(raw, "annex1", required=("title", "areas", "printed_total"))
    title = p.text(data["title"], "annex1.title")
    rows = data["areas"]
    if not isinstance(rows, list) or not rows:
        raise p.error("annex1.areas", "应为非空列表")
    areas: list[AreaTarget] = []
    for index, row in enumerate(rows):
        where = f"annex1.areas[{index}]"
        if isinstance(row, dict) and isinstance(row.get("name"), str):
            where += f"（{row['name']}）"
        spec = p.mapping(
            row,
            where,
            required=("key", "name", "full_name", "region_code", *ANNEX1_COLUMNS),
            optional=("functional_zone",),
        )
        key = p.text(spec["key"], f"{where}.key")
        if not _CODE.match(key):
            raise p.error(f"{where}.key", f"应为小写 ASCII 标识（如 yuzhou），实际为 {key!r}")
        functional_zone = spec.get("functional_zone", False)
        if not isinstance(functional_zone, bool):
            raise p.error(f"{where}.functional_zone", f"应为 true 或 false，实际为 {functional_zone!r}")
        region_raw = spec["region_code"]
        region_code: str | None = None
        if region_raw is not None:
            if isinstance(region_raw, int) and not isinstance(region_raw, bool):
                region_code = str(region_raw)
            elif isinstance(region_raw, str):
                region_code = region_raw.strip()
            if region_code is None or not _REGION.match(region_code):
                raise p.error(f"{where}.region_code", f'应为6位区划代码（如 "411081"），实际为 {region_raw!r}')
        elif not functional_zone:
            # Only a functional zone may lack a division code; a county always has one.
            raise p.error(f"{where}.region_code", "县（市、区）必须有区划代码；功能区须注明 functional_zone: true")
        areas.append(
            AreaTarget(
                key=key,
                name=p.text(spec["name"], f"{where}.name"),
                full_name=p.text(spec["full_name"], f"{where}.full_name"),
                region_code=region_code,
                functional_zone=functional_zone,
                targets=p.targets(spec, where, required=ANNEX1_COLUMNS),
            )
        )
    _unique(p, "annex1.areas", "key", ((a.name, a.key) for a in areas))
    _unique(p, "annex1.areas", "name", ((a.key, a.name) for a in areas))
    _unique(p, "annex1.areas", "region_code", ((a.name, a.region_code) for a in areas if a.region_code))
    total_raw = p.mapping(data["printed_total"], "annex1.printed_total", required=ANNEX1_COLUMNS)
    printed_total = p.targets(total_raw, "annex1.printed_total", required=ANNEX1_COLUMNS)
    return title, tuple(areas), printed_total


def _departments(p: _Parser, raw: Any) -> tuple[str, tuple[DepartmentTarget, ...], tuple[str, ...]]:
    data = p.mapping(raw, "annex2", required=("title", "departments"), optional=("notes",))
    title = p.text(data["title"], "annex2.title")
    rows = data["departments"]
    if not isinstance(rows, list) or not rows:
        raise p.error("annex2.departments", "应为非空列表")
    departments: list[DepartmentTarget] = []
    for index, row in enumerate(rows):
        where = f"annex2.departments[{index}]"
        if isinstance(row, dict) and isinstance(row.get("name"), str):
            where += f"（{row['name']}）"
        spec = p.mapping(row, where, required=("seq", "code", "name", *ANNEX2_COLUMNS))
        code = p.text(spec["code"], f"{where}.code")
        if not _CODE.match(code):
            raise p.error(f"{where}.code", f"应为小写 ASCII 标识（如 edu），实际为 {code!r}")
        departments.append(
            DepartmentTarget(
                seq=p.positive_int(spec["seq"], f"{where}.seq"),
                code=code,
                name=p.text(spec["name"], f"{where}.name"),
                targets=p.targets(spec, where, required=ANNEX2_COLUMNS),
            )
        )
    _unique(p, "annex2.departments", "seq", ((d.name, d.seq) for d in departments))
    _unique(p, "annex2.departments", "code", ((d.name, d.code) for d in departments))
    _unique(p, "annex2.departments", "name", ((d.code, d.name) for d in departments))
    notes_raw = data.get("notes") or []
    if not isinstance(notes_raw, list):
        raise p.error("annex2.notes", "应为字符串列表")
    notes = tuple(p.text(note, f"annex2.notes[{index}]") for index, note in enumerate(notes_raw))
    return title, tuple(departments), notes


def _sub_targets(p: _Parser, raw: Any, where: str) -> tuple[SubTarget, ...]:
    if not isinstance(raw, list) or len(raw) < 2:
        raise p.error(where, "应为至少两项的列表（只有一项时直接写在专项行动上）")
    subs: list[SubTarget] = []
    for index, row in enumerate(raw):
        at = f"{where}[{index}]"
        spec = p.mapping(row, at, required=("label", "responsible_units"), optional=ACTION_COLUMNS)
        subs.append(
            SubTarget(
                label=p.text(spec["label"], f"{at}.label"),
                targets=p.targets(spec, at, optional=ACTION_COLUMNS),
                responsible_units=p.units(spec["responsible_units"], f"{at}.responsible_units"),
            )
        )
    _unique(p, where, "label", ((str(i), s.label) for i, s in enumerate(subs)))
    return tuple(subs)


def _other_targets(p: _Parser, raw: Any, where: str) -> tuple[OtherTarget, ...]:
    if not isinstance(raw, list) or not raw:
        raise p.error(where, "应为非空列表")
    out: list[OtherTarget] = []
    for index, row in enumerate(raw):
        at = f"{where}[{index}]"
        spec = p.mapping(row, at, required=("key", "label", "value", "unit"), optional=("qualifier",))
        key = p.text(spec["key"], f"{at}.key")
        if not _CODE.match(key):
            raise p.error(f"{at}.key", f"应为小写 ASCII 标识，实际为 {key!r}")
        out.append(
            OtherTarget(
                key=key,
                label=p.text(spec["label"], f"{at}.label"),
                value=p.number(spec["value"], f"{at}.value"),
                unit=p.text(spec["unit"], f"{at}.unit"),
                qualifier=p.optional_text(spec.get("qualifier"), f"{at}.qualifier"),
            )
        )
    _unique(p, where, "key", ((o.label, o.key) for o in out))
    return tuple(out)


def _actions(p: _Parser, raw: Any) -> tuple[ActionTarget, ...]:
    if not isinstance(raw, list) or not raw:
        raise p.error("actions", "应为非空列表")
    actions: list[ActionTarget] = []
    for index, row in enumerate(raw):
        where = f"actions[{index}]"
        if isinstance(row, dict) and isinstance(row.get("name"), str):
            where += f"（{row['name']}）"
        spec = p.mapping(
            row,
            where,
            required=("number", "name", "clause", *ACTION_COLUMNS),
            optional=("responsible_units", "sub_targets", "other_targets", "training_note"),
        )
        targets = p.targets(spec, where, nullable=ACTION_COLUMNS)
        sub_targets: tuple[SubTarget, ...] = ()
        if "sub_targets" in spec:
            sub_targets = _sub_targets(p, spec["sub_targets"], f"{where}.sub_targets")
            if "responsible_units" in spec:
                raise p.error(where, "有 sub_targets 时，责任单位写在各分项的 responsible_units 下")
            # The action's own figures are ours (the sum), so they must be exactly that sum.
            summed = Targets.total(s.targets for s in sub_targets)
            for column in ACTION_COLUMNS:
                if targets.get(column) != summed.get(column):
                    raise p.error(
                        f"{where}.{column}",
                        f"应为各分项之和 {summed.get(column)}，实际为 {targets.get(column)}",
                    )
            units = tuple(dict.fromkeys(unit for s in sub_targets for unit in s.responsible_units))
        elif "responsible_units" in spec:
            units = p.units(spec["responsible_units"], f"{where}.responsible_units")
        else:
            raise p.error(where, "缺少键 responsible_units")
        actions.append(
            ActionTarget(
                number=p.positive_int(spec["number"], f"{where}.number"),
                name=p.text(spec["name"], f"{where}.name"),
                clause=p.text(spec["clause"], f"{where}.clause"),
                targets=targets,
                responsible_units=units,
                sub_targets=sub_targets,
                other_targets=(
                    _other_targets(p, spec["other_targets"], f"{where}.other_targets")
                    if "other_targets" in spec
                    else ()
                ),
                training_note=p.optional_text(spec.get("training_note"), f"{where}.training_note"),
            )
        )
    _unique(p, "actions", "number", ((a.name, a.number) for a in actions))
    return tuple(actions)


_TOP_KEYS = ("plan", "year", "title", "document", "issued", "issuer", "city_targets", "annex1", "annex2", "actions")


def parse_plan(data: Any, *, source: Path | None = None) -> Plan:
    """Build a Plan from a parsed YAML document, refusing anything malformed, incomplete or unknown."""
    p = _Parser(source.name if source else "<plan>")
    top = p.mapping(data, "（顶层）", required=_TOP_KEYS)
    name = p.text(top["plan"], "plan")
    if not _NAME.match(name):
        raise p.error("plan", f"应为小写字母、数字和连字符（如 xuchang-2023），实际为 {name!r}")
    year = p.positive_int(top["year"], "year")
    issued = p.date(top["issued"], "issued")
    annex1_title, areas, printed_total = _areas(p, top["annex1"])
    annex2_title, departments, notes = _departments(p, top["annex2"])
    return Plan(
        name=name,
        year=year,
        title=p.text(top["title"], "title"),
        document=p.text(top["document"], "document"),
        issued=issued,
        issuer=p.text(top["issuer"], "issuer"),
        city_targets=_city_targets(p, top["city_targets"]),
        annex1_title=annex1_title,
        areas=areas,
        annex1_printed_total=printed_total,
        annex2_title=annex2_title,
        departments=departments,
        annex2_notes=notes,
        actions=_actions(p, top["actions"]),
        source=source,
    )


def plan_names() -> list[str]:
    """Names of the plans shipped with the package."""
    return sorted(path.stem for path in DATA_DIR.glob("*.yaml"))


def load_plan(name: str = DEFAULT_PLAN, *, path: Path | None = None) -> Plan:
    """The shipped plan `name`, or the plan in the file `path` (whose own name is then used)."""
    if path is None:
        if not _NAME.match(name):
            raise PlanDataError(f"计划名称 {name!r} 无效：应为小写字母、数字和连字符（如 xuchang-2023）")
        path = DATA_DIR / f"{name}.yaml"
        if not path.is_file():
            raise PlanDataError(f"未找到计划 {name}；可用的计划：{', '.join(plan_names()) or '（无）'}")
        expected: str | None = name
    else:
        expected = None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanDataError(f"{path}：无法读取（{exc.strerror}）") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PlanDataError(f"{path.name}：YAML 格式错误：{exc}") from exc
    plan = parse_plan(data, source=path)
    if expected is not None and plan.name != expected:
        raise PlanDataError(f"{path.name}：plan 应为 {expected}（与文件名一致），实际为 {plan.name}")
    return plan
