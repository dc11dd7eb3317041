"""Load dated policy files and pick the one in force on a date.

A policy file has an effective period and, per parameter, values by start date (OpenFisca
style). The loader is deliberately unforgiving: an unknown key, a parameter without unit or
clause, a value of the wrong type, a value dated outside the file's period, or two files whose
periods overlap are refused with the offending key named — a policy that loads is complete.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from .parameters import MONEY_PARAMETERS, PARAMETER_KEYS, PARAMETER_TYPES, Parameters

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_POLICY = "xuchang-2023"

_TOP_KEYS = {"policy", "title", "document", "effective", "parameters"}
_REQUIRED_TOP = {"policy", "effective", "parameters"}
_PARAM_KEYS = {"description", "unit", "clause", "values"}
_REQUIRED_PARAM = {"unit", "clause", "values"}


class PolicyError(ValueError):
    """A policy file (or a set of them) that cannot be used; the message names the key."""


@dataclass(frozen=True, slots=True)
class ParameterEntry:
    key: str
    description: str
    unit: str
    clause: str
    # Sorted by start date; the first starts on the policy's own start date.
    values: tuple[tuple[dt.date, Any], ...]

    def value_on(self, day: dt.date) -> Any:
        starts = [start for start, _ in self.values]
        index = bisect_right(starts, day) - 1
        return self.values[max(index, 0)][1]


@dataclass(frozen=True, slots=True, eq=False)  # identity: one object per loaded file
class Policy:
    name: str
    title: str
    document: str
    start: dt.date
    end: dt.date
    entries: MappingProxyType[str, ParameterEntry]
    source: Path | None = None

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def parameters_on(self, day: dt.date) -> Parameters:
        if not self.covers(day):
            raise PolicyError(f"政策 {self.name} 的有效期为 {self.start} 至 {self.end}，不含 {day}")
        return _resolve(self, day)


@cache
def _resolve(policy: Policy, day: dt.date) -> Parameters:
    return Parameters(**{key: entry.value_on(day) for key, entry in policy.entries.items()})


def _as_date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise PolicyError(f"{where}：应为日期（YYYY-MM-DD），不应带时间")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise PolicyError(f"{where}：{value!r} 不是有效日期（YYYY-MM-DD）")


def _money(raw: Any, where: str) -> Decimal:
    """Yuan to the fen, written as a string ("1500.00") so YAML never makes it a float."""
    if not isinstance(raw, str):
        raise PolicyError(f'{where}：金额应写成带引号的字符串（如 "1500.00"），实际为 {raw!r}')
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise PolicyError(f"{where}：{raw!r} 不是有效金额") from None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        raise PolicyError(f"{where}：金额应为非负且精确到分，实际为 {raw!r}")
    return value.quantize(Decimal("0.01"))


def _convert(key: str, raw: Any, where: str) -> Any:
    kind = PARAMETER_TYPES[key]
    if kind == "int":
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise PolicyError(f"{where}：应为非负整数，实际为 {raw!r}")
        return raw
    if kind == "Decimal":
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise PolicyError(f'{where}：应为小数（如 "0.60"），实际为 {raw!r}')
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            raise PolicyError(f'{where}：应为小数（如 "0.60"），实际为 {raw!r}') from None
        if not (Decimal(0) <= value <= Decimal(1)):
            raise PolicyError(f"{where}：比例应在 0 与 1 之间，实际为 {raw!r}")
        return value
    if kind == "dt.date":
        return _as_date(raw, where)
    if kind.startswith("MappingProxyType"):
        expected = set(PARAMETER_KEYS[key])
        if not isinstance(raw, dict) or set(raw) != expected:
            raise PolicyError(f"{where}：应为含 {sorted(expected)} 的映射，实际为 {raw!r}")
        if key in MONEY_PARAMETERS:
            return MappingProxyType({sub: _money(amount, f"{where}.{sub}") for sub, amount in raw.items()})
        for sub, number in raw.items():
            if isinstance(number, bool) or not isinstance(number, int) or number < 0:
                raise PolicyError(f"{where}.{sub}：应为非负整数，实际为 {number!r}")
        return MappingProxyType(dict(raw))
    if kind.startswith("tuple"):
        if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
            raise PolicyError(f"{where}：应为字符串列表，实际为 {raw!r}")
        return tuple(raw)
    raise AssertionError(f"parameter {key} has an unsupported type {kind}")  # a programming error


def parse_policy(data: Any, *, source: Path | None = None) -> Policy:
    """Build a Policy from a parsed YAML document, refusing anything incomplete or unknown."""
    label = source.name if source else "<policy>"
    if not isinstance(data, dict):
        raise PolicyError(f"{label}：政策文件应为映射（YAML 对象）")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise PolicyError(f"{label}：未知的键 {', '.join(unknown)}")
    missing = sorted(_REQUIRED_TOP - set(data))
    if missing:
        raise PolicyError(f"{label}：缺少键 {', '.join(missing)}")
    name = data["policy"]
    if not isinstance(name, str) or not name:
        raise PolicyError(f"{label}：policy 应为非空字符串")
    effective = data["effective"]
    if not isinstance(effective, dict) or set(effective) != {"from", "to"}:
        raise PolicyError(f"{label}：effective 应只含 from 与 to")
    start = _as_date(effective["from"], f"{label}：effective.from")
    end = _as_date(effective["to"], f"{label}：effective.to")
    if end < start:
        raise PolicyError(f"{label}：effective.to（{end}）早于 effective.from（{start}）")

    params = data["parameters"]
    if not isinstance(params, dict):
        raise PolicyError(f"{label}：parameters 应为映射")
    unknown = sorted(set(params) - set(PARAMETER_TYPES))
    if unknown:
        raise PolicyError(f"{label}：未知的参数 {', '.join('parameters.' + k for k in unknown)}")
    missing = sorted(set(PARAMETER_TYPES) - set(params))
    if missing:
        raise PolicyError(f"{label}：缺少参数 {', '.join('parameters.' + k for k in missing)}")

    entries: dict[str, ParameterEntry] = {}
    for key in PARAMETER_TYPES:  # declaration order, so errors come in a stable order
        spec = params[key]
        where = f"{label}：parameters.{key}"
        if not isinstance(spec, dict):
            raise PolicyError(f"{where}：应为含 unit、clause、values 的映射")
        extra = sorted(set(spec) - _PARAM_KEYS)
        if extra:
            raise PolicyError(f"{where}：未知的键 {', '.join(extra)}")
        for required in sorted(_REQUIRED_PARAM):
            value = spec.get(required)
            if value is None or (isinstance(value, str) and not value.strip()):
                raise PolicyError(f"{where}.{required}：缺失或为空")
        if not isinstance(spec["unit"], str) or not isinstance(spec["clause"], str):
            raise PolicyError(f"{where}：unit 与 clause 应为字符串")
        values = spec["values"]
        if not isinstance(values, dict) or not values:
            raise PolicyError(f"{where}.values：应为「生效日期: 值」的非空映射")
        dated: list[tuple[dt.date, Any]] = []
        for when, raw in values.items():
            day = _as_date(when, f"{where}.values")
            if not (start <= day <= end):
                raise PolicyError(f"{where}.values.{day}：生效日期不在政策有效期 {start} 至 {end} 内")
            dated.append((day, _convert(key, raw, f"{where}.values.{day}")))
        dated.sort(key=lambda item: item[0])
        if dated[0][0] != start:
            raise PolicyError(f"{where}.values：最早的生效日期应为政策起始日 {start}，实际为 {dated[0][0]}")
        entries[key] = ParameterEntry(
            key=key,
            description=str(spec.get("description") or ""),
            unit=spec["unit"],
            clause=spec["clause"],
            values=tuple(dated),
        )
    return Policy(
        name=name,
        title=str(data.get("title") or name),
        document=str(data.get("document") or ""),
        start=start,
        end=end,
        entries=MappingProxyType(entries),
        source=source,
    )


def load_policy_file(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}：无法读取（{exc.strerror}）") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path.name}：YAML 格式错误：{exc}") from exc
    policy = parse_policy(data, source=path)
    if path.stem != policy.name:
        raise PolicyError(f"{path.name}：文件名应与 policy 名称一致（{policy.name}.yaml）")
    return policy


@dataclass(frozen=True, slots=True)
class PolicySet:
    """All policies of one directory, periods disjoint, sorted by start."""

    policies: tuple[Policy, ...]

    @classmethod
    def of(cls, policies: list[Policy]) -> PolicySet:
        ordered = sorted(policies, key=lambda p: p.start)
        names: set[str] = set()
        for policy in ordered:
            if policy.name in names:
                raise PolicyError(f"政策名称重复：{policy.name}")
            names.add(policy.name)
        for earlier, later in pairwise(ordered):
            if later.start <= earlier.end:
                raise PolicyError(
                    f"政策有效期重叠：{earlier.name}（{earlier.start} 至 {earlier.end}）与 "
                    f"{later.name}（{later.start} 至 {later.end}）的 effective 重叠"
                )
        return cls(tuple(ordered))

    def in_force(self, day: dt.date) -> Policy | None:
        for policy in self.policies:
            if policy.covers(day):
                return policy
        return None

    def named(self, name: str) -> Policy | None:
        for policy in self.policies:
            if policy.name == name:
                return policy
        return None

    def describe_periods(self) -> str:
        return "；".join(f"{p.name}: {p.start} 至 {p.end}" for p in self.policies) or "（无）"


def load_policy_dir(directory: Path) -> PolicySet:
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise PolicyError(f"{directory}：没有政策文件（*.yaml）")
    return PolicySet.of([load_policy_file(path) for path in files])


@cache
def _load_cached(directory: str) -> PolicySet:
    return load_policy_dir(Path(directory))


def policy_dir() -> Path:
    """The configured policy directory (settings.JINENG_POLICY_DIR), else the shipped one."""
    import os

    configured = os.environ.get("JINENG_POLICY_DIR", "").strip()
    return Path(configured) if configured else DATA_DIR


@cache
def _resolved(directory: str) -> str:
    # Resolving touches the file system (realpath), and list pages ask for the policies per row.
    return str(Path(directory).resolve())


def policies(directory: Path | None = None) -> PolicySet:
    return _load_cached(_resolved(str(directory or policy_dir())))
