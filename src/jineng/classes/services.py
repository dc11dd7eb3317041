"""Writes on classes. Each is a named, keyword-only service inside one transaction that writes its
audit row(s) in the same transaction; views and API endpoints only parse, call and render.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from jineng.accounts.models import Role, User
from jineng.audit.services import audit_record, diff
from jineng.ids import is_valid_uscc, mask_ric, normalise_ric
from jineng.policy.facts import InvalidDocument
from jineng.policy.findings import Finding
from jineng.policy.loader import policies
from jineng.policy.rules.reviews import cls_in_system, sub_two_person
from jineng.registry.models import Occupation, OnlinePlatform, OrgUnit, Person

from .errors import InvalidInput, InvalidTransition, NotPermitted, RosterInvalid, RuleBlocked, StaleVersion
from .models import Certificate, ClassState, Enrollment, ReviewStep, SpecialAction, Teacher, TrainingClass, TrainingType
from .selectors import class_facts_dict, evaluate_facts
from .workflow import EDITABLE_STATES, STAGE_LABELS, TRANSITIONS, Transition, transition_roles, transition_scope

# ── inputs ────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class ClassInput:
    name: str
    occupation_id: int
    training_type: str
    certificate: str
    lead_department_id: int
    area_id: int
    start: dt.date
    end: dt.date
    level: int | None = None
    subsidised: bool = True
    special_action: int | None = None
    minutes_per_hour: int = 45
    hours_theory: int = 0
    hours_practical: int = 0
    hours_online: int = 0
    online_platform_id: int | None = None
    workstations: int = 0
    enterprise_name: str = ""
    enterprise_uscc: str = ""
    cross_city_approval: bool = False


@dataclass(frozen=True)
class TeacherInput:
    name: str
    certified: bool = False
    certificate_no: str = ""


@dataclass
class Checked:
    """Findings of one evaluation, plus the problems that kept the document from being evaluated."""

    findings: list[Finding] = field(default_factory=list)
    invalid: list[dict[str, str]] = field(default_factory=list)
    policy: str = ""

    @property
    def blocks(self) -> list[Finding]:
        return [f for f in self.findings if f.outcome == "block"]

    @property
    def decision(self) -> str:
        return "block" if self.blocks or self.invalid else "approve"

    def as_list(self) -> list[dict[str, Any]]:
        return [f.as_dict() for f in self.findings]


_FIELD_LABELS = {
    "name": "班级名称",
    "occupation_id": "职业（工种）",
    "training_type": "培训类型",
    "certificate": "证书路径",
    "lead_department_id": "行业主管部门",
    "area_id": "县（市、区）",
    "start": "开班日期",
    "end": "结业日期",
    "level": "等级",
    "online_platform_id": "线上平台",
    "enterprise_name": "学徒制合作企业",
    "enterprise_uscc": "企业统一社会信用代码",
    "minutes_per_hour": "每课时分钟数",
    "hours_theory": "理论课时",
    "hours_practical": "实操课时",
    "hours_online": "线上理论课时",
    "workstations": "工位数",
    "special_action": "专项行动",
}


def _validate_class_input(data: ClassInput) -> None:
    """Impossible or incomplete applications, every field at once; what the plan forbids is left to the rules."""
    problems: list[dict[str, str]] = []

    def bad(name: str, message: str) -> None:
        problems.append({"path": name, "message": f"{_FIELD_LABELS.get(name, name)}：{message}"})

    if not data.name.strip():
        bad("name", "必填")
    for name, limit in (("name", 200), ("enterprise_name", 200)):
        if len(getattr(data, name)) > limit:
            bad(name, f"不超过 {limit} 个字符")
    # Counts are stored as small integers; what the plan forbids (e.g. 40-minute hours) is left to the rules.
    for name in ("minutes_per_hour", "hours_theory", "hours_practical", "hours_online", "workstations"):
        if not 0 <= getattr(data, name) <= 32767:
            bad(name, "应为 0 至 32767 的整数")
    if data.special_action is not None and data.special_action not in SpecialAction.values:
        bad("special_action", "应为方案二(一)的十项专项行动之一（1–10）")
    if data.training_type not in TrainingType.values:
        bad("training_type", f"应为：{'、'.join(TrainingType.labels)}")
    if data.certificate not in Certificate.values:
        bad("certificate", f"应为：{'、'.join(Certificate.labels)}")
    if data.end < data.start:
        bad("end", f"结业日期 {data.end} 早于开班日期 {data.start}")
    if policies().in_force(data.start) is None:
        bad("start", f"开班日期 {data.start} 不在任何政策的有效期内（{policies().describe_periods()}）")
    if data.level is not None and not 1 <= data.level <= 5:
        bad("level", "应为 1（高级技师）至 5（初级工）")
    if not OrgUnit.objects.filter(pk=data.lead_department_id, kind=OrgUnit.Kind.DEPARTMENT).exists():
        bad("lead_department_id", "不是附件2所列的行业主管部门")
    if not OrgUnit.objects.filter(pk=data.area_id, kind=OrgUnit.Kind.AREA).exists():
        bad("area_id", "不是附件1所列的县（市、区）")
    if data.training_type == TrainingType.APPRENTICESHIP and not data.enterprise_name.strip():
        bad("enterprise_name", "企业新型学徒制须填写合作企业")
    if data.enterprise_uscc and not is_valid_uscc(data.enterprise_uscc):
        bad("enterprise_uscc", f"{data.enterprise_uscc} 不是有效的统一社会信用代码")
    if data.online_platform_id is not None and not OnlinePlatform.objects.filter(pk=data.online_platform_id).exists():
        bad("online_platform_id", "平台不存在")
    if not Occupation.objects.filter(pk=data.occupation_id, active=True).exists():
        bad("occupation_id", "职业不存在或已停用")
    if problems:
        raise InvalidInput(f"开班申请有 {len(problems)} 处错误", problems)


# ── helpers ───────────────────────────────────────────────────────────────────────────────────


def _lock(cls: TrainingClass, expected_version: int) -> TrainingClass:
    """Lock the row and refuse a stale version (someone else changed the class since it was read)."""
    locked = (
        TrainingClass.objects.select_for_update()
        .select_related("institution", "area", "lead_department")
        .get(pk=cls.pk)
    )
    if locked.version != expected_version:
        raise StaleVersion(
            f"班级 {locked.code} 已被他人修改（当前版本 {locked.version}，"
            f"您看到的是版本 {expected_version}），请刷新后重试",
            current_version=locked.version,
        )
    return locked


def _require_clerk_of(actor: User, cls: TrainingClass) -> None:
    if actor.role != Role.INSTITUTION_CLERK or actor.institution_id != cls.institution_id:
        raise NotPermitted("只有本机构的经办人可以修改开班申请")


def _require_editable(cls: TrainingClass) -> None:
    if cls.state not in EDITABLE_STATES:
        raise InvalidTransition(f"班级 {cls.code} 当前状态为“{ClassState(cls.state).label}”，不能修改")


def _bump(cls: TrainingClass, **fields: Any) -> None:
    fields["version"] = cls.version + 1
    TrainingClass.objects.filter(pk=cls.pk).update(**fields, updated_at=timezone.now())
    for name, value in fields.items():
        setattr(cls, name, value)


def _class_values(cls: TrainingClass) -> dict[str, Any]:
    return {name: getattr(cls, name) for name in ClassInput.__dataclass_fields__}


def check_class(cls: TrainingClass) -> Checked:
    """Every CLS-*/TRN-* rule on the class as stored, plus CLS-IN-SYSTEM from the record itself."""
    checked = Checked()
    facts = class_facts_dict(cls)
    in_system = (
        cls_in_system(trainees=len(facts["trainees"]), teachers=len(facts["class"]["teachers"]))
        if cls.subsidised
        else None
    )
    try:
        evaluation = evaluate_facts(facts)
    except InvalidDocument as exc:
        checked.invalid = [{"path": e.path, "message": e.message} for e in exc.errors]
    else:
        checked.policy = evaluation.policy.name
        checked.findings = list(evaluation.findings)
    if in_system is not None:
        # CLS-IN-SYSTEM sorts last among the class rules (RULES.md order), before institution/trainees.
        index = next((i for i, f in enumerate(checked.findings) if f.subject != "class"), len(checked.findings))
        checked.findings.insert(index, in_system)
    return checked


def check_class_preview(cls: TrainingClass, data: ClassInput) -> Checked:
    """The findings the class would have with `data` as its basic information, saving nothing.

    An unsaved copy carries the edited fields; roster, teachers and history are the stored ones.
    This is what the application form shows while the clerk types.
    """
    preview = copy.copy(cls)
    preview._state = copy.copy(cls._state)
    preview._state.fields_cache = {"institution": cls.institution}  # edited foreign keys are re-read by id
    for name, value in asdict(data).items():
        setattr(preview, name, value)
    return check_class(preview)


# ── class record ──────────────────────────────────────────────────────────────────────────────


@transaction.atomic
def class_create(*, actor: User, data: ClassInput) -> TrainingClass:
    if actor.role != Role.INSTITUTION_CLERK or actor.institution_id is None:
        raise NotPermitted("只有培训机构经办人可以申请开班")
    _validate_class_input(data)
    cls = TrainingClass.objects.create(
        code=f"TMP-{uuid.uuid4().hex[:20]}",
        institution_id=actor.institution_id,
        created_by=actor,
        state=ClassState.DRAFT,
        state_since=timezone.now(),
        **asdict(data),
    )
    cls.code = f"XC{data.start.year}{cls.pk:06d}"
    TrainingClass.objects.filter(pk=cls.pk).update(code=cls.code)
    audit_record(
        actor=actor,
        event="class.create",
        obj=cls,
        changes={name: (None, value) for name, value in _class_values(cls).items()},
    )
    return cls


@transaction.atomic
def class_update(*, cls: TrainingClass, actor: User, expected_version: int, data: ClassInput) -> TrainingClass:
    cls = _lock(cls, expected_version)
    _require_clerk_of(actor, cls)
    _require_editable(cls)
    _validate_class_input(data)
    old = _class_values(cls)
    changes = diff(old, asdict(data))
    if not changes:
        return cls
    _bump(cls, **{name: new for name, (_, new) in changes.items()})
    audit_record(actor=actor, event="class.update", obj=cls, changes=changes)
    return cls


@transaction.atomic
def class_set_teachers(
    *, cls: TrainingClass, actor: User, expected_version: int, teachers: list[TeacherInput]
) -> TrainingClass:
    cls = _lock(cls, expected_version)
    _require_clerk_of(actor, cls)
    _require_editable(cls)
    problems = [
        {"path": f"teachers[{i}].name", "message": f"第 {i + 1} 名教师：姓名必填"}
        for i, t in enumerate(teachers)
        if not t.name.strip()
    ]
    if problems:
        raise InvalidInput(f"师资有 {len(problems)} 处错误", problems)
    old = [asdict(TeacherInput(t.name, t.certified, t.certificate_no)) for t in cls.teachers.all()]
    new = [asdict(t) for t in teachers]
    if old == new:
        return cls
    cls.teachers.all().delete()
    Teacher.objects.bulk_create([Teacher(training_class=cls, **item) for item in new])
    _bump(cls)
    audit_record(actor=actor, event="class.teachers", obj=cls, changes={"teachers": (old, new)})
    return cls


# ── roster ────────────────────────────────────────────────────────────────────────────────────


@transaction.atomic
def roster_import(
    *, cls: TrainingClass, actor: User, expected_version: int, content: bytes, filename: str
) -> TrainingClass:
    """Replace the roster from an XLSX/CSV file: every bad row reported, or all rows imported."""
    from .roster_io import parse_roster

    cls = _lock(cls, expected_version)
    _require_clerk_of(actor, cls)
    _require_editable(cls)
    result = parse_roster(content, filename)
    problems = [
        {"path": f"第{e.row_number}行 {e.column}".strip(), "message": e.message, "row": str(e.row_number)}
        for e in result.errors
    ]
    first_row: dict[str, int] = {}
    for row in result.rows:
        key = normalise_ric(row.id_number)
        if len(key) > 18:
            # Shorter or mistyped IDs reach the rules (TRN-IDENTITY findings); a longer one cannot
            # even be stored against a person.
            problems.append(
                {
                    "path": f"第{row.row_number}行 身份证号",
                    "message": f"身份证号应为 18 位，本行 {len(key)} 位（TRN-IDENTITY）",
                    "row": str(row.row_number),
                }
            )
            continue
        if key in first_row:
            problems.append(
                {
                    "path": f"第{row.row_number}行 身份证号",
                    "message": f"与第 {first_row[key]} 行重复：同一人在名册中只能出现一次（TRN-IDENTITY）",
                    "row": str(row.row_number),
                }
            )
        else:
            first_row[key] = row.row_number
    existing = {p.id_number: p for p in Person.objects.with_id_numbers(first_row)}
    for row in result.rows:
        person = existing.get(normalise_ric(row.id_number))
        if person is not None and person.name != row.name:
            problems.append(
                {
                    "path": f"第{row.row_number}行 姓名",
                    "message": "与系统中该身份证号登记的姓名不一致（实名制，TRN-IDENTITY）",
                    "row": str(row.row_number),
                }
            )
    if problems:
        problems.sort(key=lambda p: int(p["row"]))
        raise RosterInvalid(f"花名册有 {len(problems)} 处错误，未导入任何一行", problems)

    new_people = []
    for row in result.rows:
        key = normalise_ric(row.id_number)
        if key not in existing:
            person = Person(id_number=key, name=row.name, phone=row.phone or "", category=row.category)
            existing[key] = person
            new_people.append(person)
    Person.objects.bulk_create(new_people)
    if any(p.pk is None for p in new_people):  # backends without RETURNING: read the keys back
        ids = dict(Person.objects.filter(id_hash__in=[p.id_hash for p in new_people]).values_list("id_hash", "pk"))
        for p in new_people:
            p.pk = ids[p.id_hash]
    # Current details follow the latest roster the person appears on.
    created = {p.id_number for p in new_people}
    to_update = []
    for row in result.rows:
        key = normalise_ric(row.id_number)
        person = existing[key]
        if key not in created:
            person.category, person.student, person.employee, person.inmate = (
                row.category,
                row.student,
                row.employee,
                row.inmate,
            )
            if row.phone:
                person.phone = row.phone
            to_update.append(person)
    if to_update:
        Person.objects.bulk_update(to_update, ["category", "student", "employee", "inmate", "phone"])
    old_count = cls.enrollments.count()
    cls.enrollments.all().delete()
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                training_class=cls,
                person_id=existing[normalise_ric(row.id_number)].pk,
                row=index,
                category=row.category,
                student=row.student,
                employee=row.employee,
                inmate=row.inmate,
                questionnaire=row.questionnaire,
            )
            for index, row in enumerate(result.rows, start=1)
        ]
    )
    _bump(cls)
    audit_record(
        actor=actor,
        event="roster.import",
        obj=cls,
        changes={"trainees": (old_count, len(result.rows))},
        note=f"导入文件 {filename}，新登记人员 {len(new_people)} 人",
    )
    return cls


@transaction.atomic
def roster_remove(*, cls: TrainingClass, actor: User, expected_version: int, enrollment_id: int) -> TrainingClass:
    cls = _lock(cls, expected_version)
    _require_clerk_of(actor, cls)
    _require_editable(cls)
    enrollment = cls.enrollments.select_related("person").filter(pk=enrollment_id).first()
    if enrollment is None:
        raise InvalidInput("名册中没有这名学员", [{"path": "enrollment_id", "message": "不属于本班"}])
    person = enrollment.person
    enrollment.delete()
    _bump(cls)
    audit_record(
        actor=actor,
        event="roster.remove",
        obj=cls,
        changes={"trainee": ({"id_number": person.id_number, "name": person.name, "row": enrollment.row}, None)},
    )
    return cls


# ── review workflow ───────────────────────────────────────────────────────────────────────────


def _in_scope(actor: User, cls: TrainingClass, scope: str) -> bool:
    if scope == "institution":
        return actor.institution_id == cls.institution_id
    if scope == "department":
        return actor.org_id == cls.lead_department_id
    if scope == "area":
        org = actor.org
        return org is not None and (
            org.pk == cls.area_id or (org.kind == OrgUnit.Kind.CITY and actor.role == Role.CITY_HR)
        )
    return False


def _stage_signers(cls: TrainingClass, stage: str) -> list[int]:
    """Who signed `stage` since the class was last submitted (a returned class starts a new round)."""
    actions = [t.action for t in TRANSITIONS.values() if t.stage == stage]
    last_submit = cls.steps.filter(action=ReviewStep.Action.SUBMIT).order_by("-at", "-id").first()
    qs = cls.steps.filter(action__in=actions)
    if last_submit is not None:
        qs = qs.filter(Q(at__gt=last_submit.at) | Q(at=last_submit.at, id__gt=last_submit.id))
    return list(qs.order_by("at", "id").values_list("actor_id", flat=True))


def _check_permission(actor: User, cls: TrainingClass, transition: Transition) -> None:
    if actor.role not in transition_roles(transition, cls.state):
        raise NotPermitted(
            f"角色“{actor.role_label}”不能对处于“{ClassState(cls.state).label}”的班级执行“{transition.label}”"
        )
    if not _in_scope(actor, cls, transition_scope(transition, cls.state)):
        raise NotPermitted(f"班级 {cls.code} 不在您的管辖范围内")


@transaction.atomic
def class_transition(
    *,
    cls: TrainingClass,
    actor: User,
    action: str,
    expected_version: int,
    opinion: str = "",
    reasons: list[str] | None = None,
) -> ReviewStep:
    """Take one declared transition: permission, scope, SUB-TWO-PERSON, rules re-run and stored with the step."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise InvalidInput(f"未知操作 {action}", [{"path": "action", "message": f"应为 {'、'.join(TRANSITIONS)}"}])
    if transition.action == ReviewStep.Action.END:
        return class_end(cls=cls, actor=actor, version=expected_version, opinion=opinion)
    cls = _lock(cls, expected_version)
    if cls.state not in transition.sources:
        raise InvalidTransition(
            f"班级 {cls.code} 当前状态为“{ClassState(cls.state).label}”，不能执行“{transition.label}”",
            state=cls.state,
        )
    _check_permission(actor, cls, transition)
    if transition.stage is not None:
        params = policies().in_force(cls.start)
        assert params is not None
        refused = sub_two_person(
            p=params.parameters_on(cls.start),
            stage=transition.stage,
            stage_label=STAGE_LABELS[transition.stage],
            actor_id=actor.pk,
            applicant_ids=[i for i in (cls.created_by_id, cls.submitted_by_id) if i is not None],
            stage_signer_ids=_stage_signers(cls, transition.stage),
        )
        if refused is not None:
            raise NotPermitted(refused.message, rule=refused.rule, finding=refused.as_dict())
    # Who may act is settled first; only then is what they wrote checked (reasons, opinion).
    reasons = [r.strip() for r in (reasons or []) if r.strip()]
    if transition.needs_reasons and not reasons:
        raise InvalidInput(f"{transition.label}须写明理由", [{"path": "reasons", "message": "至少填写一条理由"}])
    if transition.needs_opinion and not opinion.strip():
        raise InvalidInput(f"{transition.label}须填写审核意见", [{"path": "opinion", "message": "审核意见必填"}])

    checked = check_class(cls)
    if transition.needs_clean_findings and checked.decision == "block":
        if checked.invalid:
            raise InvalidInput("开班信息不完整，无法进行规则核查", checked.invalid)
        raise RuleBlocked(
            f"有 {len(checked.blocks)} 项规则不满足，不能{transition.label}",
            [{"path": f.rule, "message": f.message} for f in checked.blocks],
            findings=[f.as_dict() for f in checked.blocks],
        )

    return _record_step(cls=cls, actor=actor, transition=transition, checked=checked, opinion=opinion, reasons=reasons)


@transaction.atomic
def class_end(*, cls: TrainingClass, actor: User, version: int, opinion: str = "") -> ReviewStep:
    """结业: the clerk ends an approved class; refused while SUP-INSPECTION is not met.

    The supervision findings as they stand at the end (videos, check-ins, headcount) are stored
    with the step, as the rule findings are with every review step.
    """
    from jineng.supervision.selectors import end_of_class_check  # supervision reads classes, not vice versa

    transition = TRANSITIONS[ReviewStep.Action.END]
    cls = _lock(cls, version)
    if cls.state not in transition.sources:
        raise InvalidTransition(
            f"班级 {cls.code} 当前状态为“{ClassState(cls.state).label}”，不能执行“{transition.label}”",
            state=cls.state,
        )
    _check_permission(actor, cls, transition)
    policy_name, findings = end_of_class_check(cls)
    checked = Checked(findings=findings, policy=policy_name)
    if checked.blocks:
        raise RuleBlocked(
            f"有 {len(checked.blocks)} 项规则不满足，不能{transition.label}",
            [{"path": f.rule, "message": f.message} for f in checked.blocks],
            findings=[f.as_dict() for f in checked.blocks],
        )
    return _record_step(cls=cls, actor=actor, transition=transition, checked=checked, opinion=opinion, reasons=[])


def _record_step(
    *, cls: TrainingClass, actor: User, transition: Transition, checked: Checked, opinion: str, reasons: list[str]
) -> ReviewStep:
    """Move the locked class along `transition`: state and version, the step with its findings, the audit row."""
    now = timezone.now()
    old_state, old_version = cls.state, cls.version
    extra: dict[str, Any] = {"state": transition.target, "state_since": now}
    if transition.action == ReviewStep.Action.SUBMIT:
        extra.update(submitted_by=actor, submitted_at=now)
    _bump(cls, **extra)
    step = ReviewStep.objects.create(
        training_class=cls,
        action=transition.action,
        from_state=old_state,
        to_state=transition.target,
        actor=actor,
        actor_role=actor.role,
        at=now,
        opinion=opinion.strip(),
        reasons=reasons,
        class_version=old_version,
        decision=checked.decision,
        findings=checked.as_list() if not checked.invalid else [{"invalid": checked.invalid}],
        policy=checked.policy,
    )
    audit_record(
        actor=actor,
        event=f"class.{transition.action}",
        obj=cls,
        changes={"state": (old_state, transition.target), "version": (old_version, cls.version)},
        note="；".join(filter(None, [opinion.strip(), *reasons])),
    )
    return step


def mask_for(actor: User, id_number: str) -> str:
    return id_number if actor.sees_clear_ids else mask_ric(id_number)
