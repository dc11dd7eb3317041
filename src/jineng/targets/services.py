"""Writes on targets and the indicator registers. Each in one transaction with its audit row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from jineng.accounts.models import Role, User
from jineng.audit.services import audit_record
from jineng.classes.errors import InvalidInput, NotPermitted
from jineng.ids import is_valid_uscc
from jineng.plan.loader import COLUMNS, Column, Plan, load_plan
from jineng.registry.models import Occupation, OrgUnit

from .models import Competition, EvaluationFiling, PublicityReport, Scope, Target

# Who keeps the plan's registers: the HR bureaus (the plan's lead unit, 三(一)) and the system administrator.
REGISTER_KEEPERS = frozenset({Role.CITY_HR, Role.AREA_HR, Role.SYS_ADMIN})


@transaction.atomic
def targets_sync(*, plan: Plan | None = None, actor: User | None = None) -> int:
    """Load the plan's targets (section 一, annex 1, annex 2, the ten special actions) as records for
    its year. Idempotent: an existing figure is updated to the plan's, others are left as edited."""
    plan = plan or load_plan()
    units = {u.key: u for u in OrgUnit.objects.all()}
    wanted: list[tuple[str, OrgUnit | None, int | None, Column, int, str]] = []
    for column, target in plan.city_targets.items():
        wanted.append((Scope.CITY, None, None, column, target.persons, f"{plan.document} {target.clause}"))
    for area in plan.areas:
        for column in area.targets.columns():
            wanted.append(
                (Scope.AREA, units[f"area-{area.key}"], None, column, area.targets.persons(column) or 0, "附件1")
            )
    for dept in plan.departments:
        for column in dept.targets.columns():
            wanted.append(
                (Scope.DEPARTMENT, units[f"dept-{dept.code}"], None, column, dept.targets.persons(column) or 0, "附件2")
            )
    for action in plan.actions:
        for column in action.targets.columns():
            wanted.append(
                (Scope.ACTION, None, action.number, column, action.targets.persons(column) or 0, action.clause)
            )
    changed = 0
    for scope, unit, number, column, value, source in wanted:
        assert column in COLUMNS
        _, created = Target.objects.update_or_create(
            year=plan.year,
            scope=scope,
            unit=unit,
            action=number,
            indicator=column,
            defaults={"value": value, "source": source},
        )
        changed += int(created)
    if actor is not None and changed:
        first = Target.objects.filter(year=plan.year).first()
        assert first is not None
        audit_record(actor=actor, event="targets.sync", obj=first, note=f"{plan.year} 年目标任务载入 {changed} 项")
    return len(wanted)


def _require_keeper(actor: User, unit: OrgUnit | None = None) -> None:
    if actor.role not in REGISTER_KEEPERS:
        raise NotPermitted("只有人社部门或系统管理员可以登记")
    if actor.role == Role.AREA_HR and unit is not None and unit.pk != actor.org_id:
        raise NotPermitted("县（市、区）人社局只能登记本地区的事项")


@dataclass(frozen=True)
class CompetitionInput:
    name: str
    held_on: dt.date
    organiser_id: int
    occupation_ids: list[int]
    contestants: int
    certified: int


@transaction.atomic
def competition_record(*, actor: User, data: CompetitionInput) -> Competition:
    organiser = OrgUnit.objects.filter(pk=data.organiser_id).first()
    _require_keeper(actor, organiser)
    problems = []
    if not data.name.strip():
        problems.append({"path": "name", "message": "竞赛名称：必填"})
    if organiser is None:
        problems.append({"path": "organiser_id", "message": "主办单位：不存在"})
    found = set(Occupation.objects.filter(pk__in=data.occupation_ids).values_list("pk", flat=True))
    if not data.occupation_ids or found != set(data.occupation_ids):
        problems.append({"path": "occupation_ids", "message": "竞赛职业（工种）：至少一个，且须为职业目录中的职业"})
    if data.contestants < 0 or data.certified < 0 or data.certified > data.contestants:
        problems.append({"path": "certified", "message": "取证人数：应为 0 至参赛人数之间的整数"})
    if problems or organiser is None:
        raise InvalidInput(f"竞赛登记有 {len(problems)} 处错误", problems)
    competition = Competition.objects.create(
        name=data.name.strip(),
        held_on=data.held_on,
        organiser=organiser,
        contestants=data.contestants,
        certified=data.certified,
        recorded_by=actor,
    )
    competition.occupations.set(data.occupation_ids)
    audit_record(actor=actor, event="competition.record", obj=competition, note=competition.name)
    return competition


@transaction.atomic
def filing_record(*, actor: User, name: str, uscc: str, area_id: int, filed_on: dt.date) -> EvaluationFiling:
    area = OrgUnit.objects.filter(pk=area_id, kind=OrgUnit.Kind.AREA).first()
    _require_keeper(actor, area)
    problems = []
    if not name.strip():
        problems.append({"path": "name", "message": "用人单位名称：必填"})
    if not is_valid_uscc(uscc):
        problems.append({"path": "uscc", "message": f"统一社会信用代码：{uscc} 无效"})
    elif EvaluationFiling.objects.filter(uscc=uscc).exists():
        problems.append({"path": "uscc", "message": "统一社会信用代码：该单位已备案"})
    if area is None:
        problems.append({"path": "area_id", "message": "县（市、区）：不存在"})
    if problems or area is None:
        raise InvalidInput(f"备案登记有 {len(problems)} 处错误", problems)
    filing = EvaluationFiling.objects.create(name=name.strip(), uscc=uscc, area=area, filed_on=filed_on)
    audit_record(actor=actor, event="evaluation_filing.record", obj=filing, note=filing.name)
    return filing


@transaction.atomic
def publicity_record(
    *, actor: User, unit_id: int, title: str, media: str, level: int, published_on: dt.date, url: str = ""
) -> PublicityReport:
    unit = OrgUnit.objects.filter(pk=unit_id).first()
    _require_keeper(actor, unit)
    problems = []
    if unit is None:
        problems.append({"path": "unit_id", "message": "发布单位：不存在"})
    if not title.strip():
        problems.append({"path": "title", "message": "标题：必填"})
    if not media.strip():
        problems.append({"path": "media", "message": "媒体：必填"})
    if level not in PublicityReport.Level.values:
        problems.append({"path": "level", "message": "媒体级别：应为县级、市级、省级或国家级"})
    if problems or unit is None:
        raise InvalidInput(f"宣传报道登记有 {len(problems)} 处错误", problems)
    report = PublicityReport.objects.create(
        unit=unit, title=title.strip(), media=media.strip(), level=level, published_on=published_on, url=url
    )
    audit_record(actor=actor, event="publicity.record", obj=report, note=report.title)
    return report
