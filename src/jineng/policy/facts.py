"""The class facts document of ../shared/contracts/class-facts.md, as typed models.

Parsing is strict (no coercion: "24" is not an integer, 24.0 is not an integer) and reports
every bad field at once by JSON path. Cross-field checks that make a document *impossible*
(end before start, apprenticeship without enterprise, no hours at all, `as_of` outside every
policy) are validity errors too; everything the plan forbids is left to the rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .loader import Policy, PolicySet

NonNegInt = Annotated[int, Field(ge=0)]

InstitutionKind = Literal[
    "training_school", "technical_school", "vocational_college", "university", "enterprise_center", "evaluation_body"
]
TrainingType = Literal["employment", "upgrade", "apprenticeship", "entrepreneurship", "transfer"]
Certificate = Literal[
    "vocational_qualification",
    "skill_level",
    "special_operation",
    "special_equipment",
    "special_capability",
    "training_qualified",
]
Category = Literal[
    "unemployed",
    "migrant_worker",
    "poverty_relief",
    "graduate",
    "student",
    "veteran",
    "disabled",
    "employee",
    "community_correction",
    "detox",
    "inmate",
    "other",
]
SchoolKind = Literal["university", "special_vocational", "technical_school", "vocational_school"]


class _Facts(BaseModel):
    # Unknown keys are ignored so that a richer document from another system still checks;
    # every key the contract shows is required (no defaults below).
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class Specialty(_Facts):
    occupation: str
    from_: dt.date = Field(alias="from")


class Institution(_Facts):
    id: str
    name: str
    uscc: str
    kind: InstitutionKind
    home_city: str
    academic_education: bool
    listed_specialties: list[Specialty]
    blacklisted: bool
    problem_found_on: dt.date | None
    has_site: bool
    has_facilities: bool


class Occupation(_Facts):
    code: str
    name: str
    class_code: str
    manufacturing: bool
    certificate_routes: list[Certificate]
    set_hours: NonNegInt | None


class Hours(_Facts):
    theory: NonNegInt
    practical: NonNegInt
    online_theory: NonNegInt

    @property
    def total(self) -> int:
        return self.theory + self.practical

    @model_validator(mode="after")
    def _some_hours(self) -> Hours:
        if self.theory + self.practical <= 0:
            raise PydanticCustomError("no_hours", "theory + practical 应大于 0")
        return self


class OnlinePlatform(_Facts):
    id: str
    listed: bool
    connected: bool


class Teacher(_Facts):
    name: str
    certified: bool


class Enterprise(_Facts):
    uscc: str
    name: str


class ApprenticesBefore(_Facts):
    institution_this_year: NonNegInt
    same_enterprise_occupation: NonNegInt


class ClassFacts(_Facts):
    id: str
    city: str
    county: str
    occupation: Occupation
    level: Annotated[int, Field(ge=1, le=5)] | None
    training_type: TrainingType
    certificate: Certificate
    subsidised: bool
    start: dt.date
    end: dt.date
    minutes_per_hour: NonNegInt
    hours: Hours
    online_platform: OnlinePlatform | None
    teachers: list[Teacher]
    workstations: NonNegInt
    enterprise: Enterprise | None
    apprentices_before: ApprenticesBefore
    cross_city_approval: bool
    local_alternative_exists: bool

    @field_validator("end")
    @classmethod
    def _end_not_before_start(cls, end: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("start")
        if start is not None and end < start:
            raise PydanticCustomError(
                "end_before_start",
                "结束日期 {end} 早于开始日期 {start}",
                {"end": end.isoformat(), "start": start.isoformat()},
            )
        return end

    @field_validator("enterprise")
    @classmethod
    def _enterprise_for_apprenticeship(cls, enterprise: Enterprise | None, info: ValidationInfo) -> Enterprise | None:
        if enterprise is None and info.data.get("training_type") == "apprenticeship":
            raise PydanticCustomError("enterprise_required", "企业新型学徒制（apprenticeship）须填写 enterprise")
        return enterprise


class Questionnaire(_Facts):
    training_intent: bool
    employment_intent: bool
    employment_ability: bool


class Student(_Facts):
    school_kind: SchoolKind
    graduation_year: Annotated[int, Field(ge=1900, le=2100)]


class Employee(_Facts):
    post_occupation: str
    post_class_code: str
    transfer: bool


class Inmate(_Facts):
    trained_during_sentence: bool
    eligible_next_level: bool
    release_date: dt.date


class PreviousTraining(_Facts):
    class_id: str
    subsidised: bool
    end: dt.date
    assessed_on: dt.date | None


class Trainee(_Facts):
    id_number: str
    name: str
    category: Category
    student: Student | None
    employee: Employee | None
    inmate: Inmate | None
    questionnaire: Questionnaire | None
    previous_trainings: list[PreviousTraining]


class ClassDocument(_Facts):
    as_of: dt.date
    institution: Institution
    class_: ClassFacts = Field(alias="class")
    trainees: list[Trainee]

    @field_validator("as_of")
    @classmethod
    def _as_of_in_a_policy(cls, as_of: dt.date, info: ValidationInfo) -> dt.date:
        context = info.context or {}
        forced: Policy | None = context.get("policy")
        known: PolicySet | None = context.get("policies")
        if forced is not None:
            if not forced.covers(as_of):
                raise PydanticCustomError(
                    "as_of_outside_policy",
                    "{as_of} 不在政策 {name} 的有效期（{start} 至 {end}）内",
                    {
                        "as_of": as_of.isoformat(),
                        "name": forced.name,
                        "start": forced.start.isoformat(),
                        "end": forced.end.isoformat(),
                    },
                )
        elif known is not None and known.in_force(as_of) is None:
            raise PydanticCustomError(
                "as_of_outside_policy",
                "{as_of} 不在任何政策的有效期内（{periods}）",
                {"as_of": as_of.isoformat(), "periods": known.describe_periods()},
            )
        return as_of


# ── errors ──────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class FieldError:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class InvalidDocument(ValueError):
    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("；".join(str(e) for e in errors))


def json_path(loc: Iterable[int | str]) -> str:
    path = "$"
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


_TYPE_ZH = {
    "string_type": "应为字符串",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "bool_type": "应为 true 或 false",
    "list_type": "应为数组",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "dict_type": "应为对象",
    "date_type": "应为日期字符串（YYYY-MM-DD）",
    "date_parsing": "不是有效日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "不是有效日期（YYYY-MM-DD）",
    "date_from_datetime_inexact": "应为日期（YYYY-MM-DD），不应带时间",
    "missing": "缺少必填字段",
}


def _message(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _TYPE_ZH[kind]
    if error.get("input", ...) is None and kind.endswith("_type"):
        return "不能为 null"
    if kind in _TYPE_ZH:
        return _TYPE_ZH[kind]
    if kind == "literal_error":
        return f"取值 {error.get('input')!r} 无效，应为：{str(ctx.get('expected', '')).replace(' or ', ', ')}"
    if kind == "greater_than_equal":
        return f"应 ≥ {ctx.get('ge')}，实际为 {error.get('input')!r}"
    if kind == "less_than_equal":
        return f"应 ≤ {ctx.get('le')}，实际为 {error.get('input')!r}"
    if kind == "json_invalid":
        return f"不是有效的 JSON（{ctx.get('error', error['msg'])}）"
    if kind == "json_type":
        return "应为 JSON 对象"
    return str(error["msg"])


def _errors(exc: ValidationError) -> list[FieldError]:
    seen: dict[str, FieldError] = {}
    for error in exc.errors(include_url=False):
        path = json_path(error["loc"])
        seen.setdefault(path, FieldError(path, _message(error)))
    return list(seen.values())


def parse_document(
    raw: str | bytes, *, policies: PolicySet | None = None, policy: Policy | None = None
) -> ClassDocument:
    """Parse a JSON class-facts document; raise InvalidDocument naming every bad field."""
    try:
        return ClassDocument.model_validate_json(raw, context={"policies": policies, "policy": policy})
    except ValidationError as exc:
        raise InvalidDocument(_errors(exc)) from None


def validate_document(data: dict[str, Any], *, policies: PolicySet | None = None) -> ClassDocument:
    """Validate a document gathered as Python values (dates as `datetime.date`), e.g. from the database."""
    try:
        return ClassDocument.model_validate(data, context={"policies": policies, "policy": None})
    except ValidationError as exc:
        raise InvalidDocument(_errors(exc)) from None
