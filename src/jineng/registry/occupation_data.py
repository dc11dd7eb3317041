"""The occupation catalog shipped as package data: read, check, return frozen records.

`data/occupations-2022.yaml` lists occupations of the 2022 national classification (职业分类大典
2022年版) together with special-operation (特种作业) and special-equipment (特种设备作业) licences,
each under its own `catalog` and code scheme. The loader is pure — no Django, no database — and
strict: a missing or unknown key, a duplicate code, a class code that does not prefix the code, an
unknown certificate route or action, a level outside 1..5 is refused, every problem at once, each
named by the entry's code and the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final, TypeGuard

import yaml

DATA_PACKAGE: Final = "jineng.registry"
DATA_FILE: Final = "occupations-2022.yaml"

CLASSIFICATION: Final = "classification"
SPECIAL_OPERATION: Final = "special_operation"
SPECIAL_EQUIPMENT: Final = "special_equipment"
CATALOGS: Final[tuple[str, ...]] = (CLASSIFICATION, SPECIAL_OPERATION, SPECIAL_EQUIPMENT)

CERTIFICATE_ROUTES: Final[tuple[str, ...]] = (
    "vocational_qualification",  # 准入类职业资格（国家职业资格目录）
    "skill_level",  # 职业技能等级证书
    "special_operation",  # 特种作业操作证
    "special_equipment",  # 特种设备作业人员证
    "special_capability",  # 专项职业能力证书
    "training_qualified",  # 培训合格证书
)
LEVELS: Final[tuple[int, ...]] = (5, 4, 3, 2, 1)  # 五级/初级工 … 一级/高级技师

ENTRY_FIELDS: Final[tuple[str, ...]] = (
    "code",
    "name",
    "class_code",
    "major_group",
    "catalog",
    "manufacturing",
    "certificate_routes",
    "levels",
    "set_hours",
    "actions",
)
TOP_LEVEL_FIELDS: Final[tuple[str, ...]] = ("sources", "actions", "occupations")

# Code and class-code shapes per catalog; a catalog's licences have no major group (0).
_CODE: Final[Mapping[str, re.Pattern[str]]] = {
    CLASSIFICATION: re.compile(r"[1-8]-\d{2}-\d{2}-\d{2}\Z"),
    SPECIAL_OPERATION: re.compile(r"SO-\d{1,2}-\d{1,2}\Z"),
    SPECIAL_EQUIPMENT: re.compile(r"SE-[A-Z]\d?\Z"),
}
_CLASS_CODE: Final[Mapping[str, re.Pattern[str]]] = {
    CLASSIFICATION: re.compile(r"[1-8]-\d{2}-\d{2}\Z"),
    SPECIAL_OPERATION: re.compile(r"SO-\d{1,2}\Z"),
    SPECIAL_EQUIPMENT: re.compile(r"SE\Z"),
}
_ROUTE_OF_LICENCE: Final[Mapping[str, str]] = {
    SPECIAL_OPERATION: "special_operation",
    SPECIAL_EQUIPMENT: "special_equipment",
}
_ACTION_KEY: Final = re.compile(r"[a-z][a-z0-9_]*\Z")

_Complaint = Callable[[str, str], None]  # (field, message) → records a problem of the current entry


class OccupationDataError(ValueError):
    """Occupation data that cannot be used as it is; `problems` names each entry code and field."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{source}: {len(problems)} problem(s) in the occupation data:\n{listing}")


@dataclass(frozen=True, slots=True)
class OccupationRecord:
    """One occupation (细类) of the classification, or one special-operation / special-equipment licence."""

    code: str
    name: str
    class_code: str
    major_group: int
    catalog: str
    manufacturing: bool
    certificate_routes: tuple[str, ...]
    levels: tuple[int, ...]
    set_hours: int | None
    actions: tuple[str, ...]


def load_occupations(path: Path | None = None) -> tuple[OccupationRecord, ...]:
    """Every entry of the catalog, in file order; raise OccupationDataError listing all problems."""
    return _load(path)[1]


def load_action_titles(path: Path | None = None) -> dict[str, str]:
    """The special-action keys used by `actions`, mapped to the plan's names, in file order."""
    return _load(path)[0]


# --- reading -------------------------------------------------------------------------------------


class _StrictSafeLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses a mapping with a repeated key instead of keeping the last one."""


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Hashable, Any]:
    seen: set[Hashable] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, Hashable):
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictSafeLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def _load(path: Path | None) -> tuple[dict[str, str], tuple[OccupationRecord, ...]]:
    file = resources.files(DATA_PACKAGE).joinpath("data", DATA_FILE) if path is None else path
    source = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise OccupationDataError(source, [f"cannot read the file: {exc}"]) from exc
    try:
        data = yaml.load(text, Loader=_StrictSafeLoader)  # a SafeLoader: builds plain data only
    except yaml.YAMLError as exc:
        raise OccupationDataError(source, [f"not valid YAML: {exc}"]) from exc
    problems: list[str] = []
    titles, records = _parse(data, problems)
    if problems:
        raise OccupationDataError(source, problems)
    return titles, records


# --- checking ------------------------------------------------------------------------------------


def _parse(data: object, problems: list[str]) -> tuple[dict[str, str], tuple[OccupationRecord, ...]]:
    if not isinstance(data, dict):
        problems.append(f"the file must be a mapping with keys {', '.join(TOP_LEVEL_FIELDS)}")
        return {}, ()
    _check_keys("the file", data, TOP_LEVEL_FIELDS, problems)
    sources = data.get("sources")
    if "sources" in data and (
        not isinstance(sources, list) or not sources or not all(_is_text(item) for item in sources)
    ):
        problems.append("the file: field sources: must be a non-empty list of texts")
    titles = _action_titles(data.get("actions"), problems) if "actions" in data else {}
    entries = data.get("occupations")
    if "occupations" not in data:
        return titles, ()
    if not isinstance(entries, list) or not entries:
        problems.append("the file: field occupations: must be a non-empty list of entries")
        return titles, ()
    records: list[OccupationRecord] = []
    first_seen: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        where = _where(entry, number)
        code = entry.get("code") if isinstance(entry, dict) else None
        if isinstance(code, str):
            if code in first_seen:
                problems.append(
                    f"{where}: field code: duplicate code {code} (entries #{first_seen[code]} and #{number})"
                )
            else:
                first_seen[code] = number
        record = _entry(entry, where, titles, problems)
        if record is not None:
            records.append(record)
    return titles, tuple(records)


def _action_titles(value: object, problems: list[str]) -> dict[str, str]:
    if not isinstance(value, dict) or not value:
        problems.append("the file: field actions: must map action keys to the plan's action names")
        return {}
    titles: dict[str, str] = {}
    for key, title in value.items():
        if not isinstance(key, str) or not _ACTION_KEY.match(key):
            problems.append(f"the file: field actions: {key!r} is not a lower-case key")
        elif not _is_text(title):
            problems.append(f"the file: field actions: {key} must name the action")
        else:
            titles[key] = title
    return titles


def _where(entry: object, number: int) -> str:
    if isinstance(entry, dict) and _is_text(entry.get("code")):
        return f"code {entry['code']}"
    return f"entry #{number}"


def _entry(entry: object, where: str, titles: Mapping[str, str], problems: list[str]) -> OccupationRecord | None:
    if not isinstance(entry, dict):
        problems.append(f"{where}: must be a mapping with keys {', '.join(ENTRY_FIELDS)}")
        return None
    before = len(problems)
    _check_keys(where, entry, ENTRY_FIELDS, problems)

    def bad(field: str, message: str) -> None:
        problems.append(f"{where}: field {field}: {message}")

    catalog = _text(entry, "catalog", bad)
    if catalog is not None and catalog not in CATALOGS:
        bad("catalog", f"{catalog!r} is not one of {', '.join(CATALOGS)}")
        catalog = None

    code = _text(entry, "code", bad)
    if code is not None and catalog is not None and not _CODE[catalog].match(code):
        bad("code", f"{code!r} is not a {catalog} code")

    name = _text(entry, "name", bad)

    class_code = _text(entry, "class_code", bad)
    if class_code is not None:
        if catalog is not None and not _CLASS_CODE[catalog].match(class_code):
            bad("class_code", f"{class_code!r} is not a {catalog} class code")
        if code is not None and not code.startswith(class_code + "-"):
            bad("class_code", f"{class_code!r} does not prefix the code {code!r}")

    major_group = _whole(entry, "major_group", bad)
    if major_group is not None and catalog == CLASSIFICATION:
        if code is not None and _CODE[CLASSIFICATION].match(code) and major_group != int(code[0]):
            bad("major_group", f"{major_group} is not the first digit of the code {code!r}")
        elif not 1 <= major_group <= 8:
            bad("major_group", f"{major_group} is not a 大类 1..8")
    elif major_group is not None and catalog is not None and major_group != 0:
        bad("major_group", f"must be 0 for a {catalog} entry, not {major_group}")

    manufacturing = entry.get("manufacturing")
    if "manufacturing" in entry and not isinstance(manufacturing, bool):
        bad("manufacturing", "must be true or false")

    routes = _text_list(entry, "certificate_routes", bad)
    if routes is not None:
        if not routes:
            bad("certificate_routes", "must name at least one route")
        for route in routes:
            if route not in CERTIFICATE_ROUTES:
                bad("certificate_routes", f"unknown route {route!r} (known: {', '.join(CERTIFICATE_ROUTES)})")
        licence_route = _ROUTE_OF_LICENCE.get(catalog or "")
        if licence_route is not None and licence_route not in routes:
            bad("certificate_routes", f"a {catalog} entry needs the route {licence_route}")

    levels = _whole_list(entry, "levels", bad)
    if levels is not None:
        for level in levels:
            if level not in LEVELS:
                bad("levels", f"level {level} is outside 1..5")
        if routes is not None and ("skill_level" in routes) != bool(levels):
            bad("levels", "must list the levels exactly when skill_level is a route")

    set_hours = entry.get("set_hours")
    if "set_hours" in entry and set_hours is not None and not (_is_int(set_hours) and set_hours > 0):
        bad("set_hours", "must be null or a positive whole number of hours")

    actions = _text_list(entry, "actions", bad)
    if actions is not None:
        for action in actions:
            if action not in titles:
                bad("actions", f"unknown action key {action!r}")

    if (
        len(problems) > before
        or code is None
        or name is None
        or class_code is None
        or major_group is None
        or catalog is None
        or not isinstance(manufacturing, bool)
        or routes is None
        or levels is None
        or actions is None
    ):
        return None
    return OccupationRecord(
        code=code,
        name=name,
        class_code=class_code,
        major_group=major_group,
        catalog=catalog,
        manufacturing=manufacturing,
        certificate_routes=tuple(routes),
        levels=tuple(levels),
        set_hours=set_hours,
        actions=tuple(actions),
    )


def _check_keys(where: str, mapping: Mapping[Any, Any], fields: tuple[str, ...], problems: list[str]) -> None:
    for field in fields:
        if field not in mapping:
            problems.append(f"{where}: field {field}: missing")
    for key in mapping:
        if key not in fields:
            problems.append(f"{where}: field {key}: unknown key")


def _text(entry: Mapping[str, Any], field: str, bad: _Complaint) -> str | None:
    if field not in entry:
        return None  # reported as missing
    value = entry[field]
    if not _is_text(value):
        bad(field, "must be a non-empty text (quote codes)")
        return None
    return value


def _whole(entry: Mapping[str, Any], field: str, bad: _Complaint) -> int | None:
    if field not in entry:
        return None  # reported as missing
    value = entry[field]
    if not _is_int(value):
        bad(field, "must be a whole number")
        return None
    return value


def _text_list(entry: Mapping[str, Any], field: str, bad: _Complaint) -> list[str] | None:
    if field not in entry:
        return None  # reported as missing
    value = entry[field]
    if not isinstance(value, list) or not all(_is_text(item) for item in value):
        bad(field, "must be a list of texts")
        return None
    if len(set(value)) != len(value):
        bad(field, "lists an item twice")
    return value


def _whole_list(entry: Mapping[str, Any], field: str, bad: _Complaint) -> list[int] | None:
    if field not in entry:
        return None  # reported as missing
    value = entry[field]
    if not isinstance(value, list) or not all(_is_int(item) for item in value):
        bad(field, "must be a list of whole numbers")
        return None
    if len(set(value)) != len(value):
        bad(field, "lists an item twice")
    return value


def _is_text(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value.strip())


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
