"""Writes of the completion assessment (结业考核, 二(三)3, 附件3): filing and cancelling a plan,
recording results and certificates, importing them from a file, and entering the training ledger.

Each is a keyword-only service in one transaction: it checks role and scope, names every bad field
(or row) at once, writes, and writes its audit row. The ASM-* rules are the pure functions of
`policy.rules.assessment`; a refusal by a rule carries that rule's finding.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, ProtectedError
from django.utils import timezone

from jineng.accounts.models import Role, User
from jineng.audit.services import audit_record
from jineng.classes.errors import InvalidInput, InvalidTransition, NotPermitted, RuleBlocked
from jineng.classes.models import Certificate, ClassState, Enrollment, Level, TrainingClass
from jineng.ids import mask_ric
from jineng.policy.catalog import Outcome
from jineng.policy.findings import Finding
from jineng.policy.rules.assessment import (
    CERTIFICATE_ZH,
    PoolClass,
    asm_ledger,
    asm_notice,
    asm_pooling,
    pooling_problems,
)
from jineng.policy.rules.supervision import sup_suspension_standing
from jineng.registry.models import Institution, ric_keys
from jineng.supervision.selectors import class_policy, suspensions_for

from . import results_io
from .models import AssessmentPlan, AssessmentResult, CertificateRecord, LedgerEntry

ASSESSABLE = frozenset({ClassState.APPROVED, ClassState.ENDED})
# 职业资格证书 and 职业技能等级证书 are graded (五级 … 一级); the other kinds carry no level.
GRADED = frozenset({Certificate.VOCATIONAL_QUALIFICATION.value, Certificate.SKILL_LEVEL.value})
MAX_CLASSES = 50
MAX_RESULTS = 1000
SCORE_MAX = Decimal(100)
Outcomes = AssessmentResult.Outcome
Problems = list[dict[str, str]]


@dataclass(frozen=True)
class CertificateInput:
    """The certificate a passed trainee obtained. kind, level and issuer default to the plan's."""

    number: str
    issued_on: dt.date
    kind: str | None = None
    level: int | None = None
    issuer: str | None = None


@dataclass(frozen=True)
class ResultInput:
    enrollment_id: int
    outcome: str  # passed / failed / absent
    score: Decimal | None = None
    certificate: CertificateInput | None = None


# ── helpers ───────────────────────────────────────────────────────────────────────────────────


def _text(problems: Problems, path: str, label: str, value: str, limit: int, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        problems.append({"path": path, "message": f"{label}：必填"})
    elif len(value) > limit:
        problems.append({"path": path, "message": f"{label}：不超过 {limit} 个字符"})
    return value


def _refuse(problems: Problems, what: str) -> None:
    if problems:
        raise InvalidInput(f"{what}有 {len(problems)} 处错误", problems)


def _blocked(found: list[tuple[str, Finding]], doing: str) -> RuleBlocked:
    """A refusal by rule findings, each with the class (or plan) it is about."""
    fields = [{"path": f.rule, "message": f"{where}：{f.message}" if where else f.message} for where, f in found]
    head = fields[0]["message"] if len(fields) == 1 else f"{len(fields)} 项规则不允许"
    return RuleBlocked(f"{head}，不能{doing}", fields, findings=[f.as_dict() for _, f in found])


def _pool_class(cls: TrainingClass) -> PoolClass:
    return PoolClass(
        code=cls.code,
        area=cls.area.name,
        occupation=str(cls.occupation),
        level=cls.level,
        certificate=CERTIFICATE_ZH.get(cls.certificate, cls.certificate),
    )


def _is_evaluator(actor: User) -> bool:
    return (
        actor.role == Role.EVALUATOR
        and actor.institution is not None
        and actor.institution.kind == Institution.Kind.EVALUATION_BODY
    )


def _require_body_evaluator(actor: User, plan: AssessmentPlan, doing: str) -> None:
    if not _is_evaluator(actor) or actor.institution_id != plan.evaluation_body_id:
        raise NotPermitted(f"只有承担该考核的评价机构（{plan.evaluation_body.name}）经办人可以{doing}")


def _locked_plan(plan: AssessmentPlan) -> AssessmentPlan:
    return (
        AssessmentPlan.objects.select_for_update(of=("self",))
        .select_related("evaluation_body", "occupation", "filed_by")
        .get(pk=plan.pk)
    )


def _standing_suspension(cls: TrainingClass) -> Finding | None:
    """SUP-SATISFACTION as it stands: an open or cancelling suspension holds the assessment back."""
    for s in suspensions_for(cls):
        standing = sup_suspension_standing(
            remedy=s.remedy,
            rate=s.rate,
            responses=s.responses,
            rectify_until=s.rectify_until,
            closed=s.closed_at is not None,
        )
        if standing is not None and standing.outcome == Outcome.SUSPEND:
            return standing
    return None


# ── filing a plan ─────────────────────────────────────────────────────────────────────────────


def _filing_body(actor: User, evaluation_body_id: int | None, problems: Problems) -> Institution | None:
    """The evaluation body of a new plan: the evaluator's own, or the one a clerk names."""
    if _is_evaluator(actor):
        if evaluation_body_id is not None and evaluation_body_id != actor.institution_id:
            problems.append(
                {"path": "evaluation_body_id", "message": "评价机构：评价机构经办人只能填报本机构承担的考核"}
            )
        return actor.institution
    if evaluation_body_id is None:
        problems.append({"path": "evaluation_body_id", "message": "评价机构：必填（承担考核的评价机构）"})
        return None
    body = Institution.objects.filter(pk=evaluation_body_id, kind=Institution.Kind.EVALUATION_BODY, active=True).first()
    if body is None:
        problems.append({"path": "evaluation_body_id", "message": "评价机构：不是目录中有效的评价机构"})
    return body


@transaction.atomic
def plan_file(
    *,
    actor: User,
    class_ids: list[int],
    scheduled_on: dt.date,
    place: str,
    inspector: str = "",
    evaluation_body_id: int | None = None,
    today: dt.date | None = None,
) -> AssessmentPlan:
    """File an assessment plan (考核计划) for one class or several pooled ones (ASM-POOLING), at least
    `assessment_notice_days` days ahead (ASM-NOTICE). Filed by the evaluation body, or by the
    institution's clerk naming the body. Classes must be approved or ended, in no other live plan,
    and their assessment not suspended for low satisfaction (SUP-SATISFACTION)."""
    if actor.role == Role.INSTITUTION_CLERK:
        if actor.institution_id is None:
            raise NotPermitted("您的账号未关联培训机构，不能填报考核计划")
    elif not _is_evaluator(actor):
        raise NotPermitted("只有评价机构经办人或培训机构经办人可以填报考核计划")
    today = today or timezone.localdate()
    problems: Problems = []
    body = _filing_body(actor, evaluation_body_id, problems)
    place = _text(problems, "place", "考核地点", place, 200, required=True)
    inspector = _text(problems, "inspector", "考核巡查人员", inspector, 50, required=False)

    ids = list(class_ids or [])
    if not ids:
        problems.append({"path": "class_ids", "message": "参加考核的班级：至少选择一个班级"})
    elif len(ids) > MAX_CLASSES:
        problems.append({"path": "class_ids", "message": f"参加考核的班级：一个考核计划不超过 {MAX_CLASSES} 个班级"})
        ids = []
    # Locked so that two plans filed at once for one class cannot both pass the "already planned" check.
    found = {
        c.pk: c
        for c in TrainingClass.objects.select_for_update(of=("self",))
        .select_related("area", "occupation", "institution")
        .filter(pk__in=ids)
        .order_by("pk")
    }
    clerk = actor.role == Role.INSTITUTION_CLERK
    classes: list[TrainingClass] = []
    seen: set[int] = set()
    for i, pk in enumerate(ids):
        path = f"class_ids[{i}]"
        cls = found.get(pk)
        if cls is None or (clerk and cls.institution_id != actor.institution_id):
            problems.append({"path": path, "message": f"班级：第{i + 1}个班级（id {pk}）不存在或不在您的管辖范围内"})
            continue
        if pk in seen:
            problems.append({"path": path, "message": f"班级 {cls.code}：重复选择"})
            continue
        seen.add(pk)
        if cls.state not in ASSESSABLE:
            problems.append(
                {
                    "path": path,
                    "message": f"班级 {cls.code}：当前状态为“{ClassState(cls.state).label}”，须为已批准开班或已结业",
                }
            )
        if scheduled_on < cls.start:
            problems.append(
                {
                    "path": "scheduled_on",
                    "message": f"考核日期：{scheduled_on} 早于班级 {cls.code} 的开班日期 {cls.start}",
                }
            )
        classes.append(cls)
    through = AssessmentPlan.classes.through
    taken = (
        through.objects.filter(trainingclass_id__in=[c.pk for c in classes])
        .exclude(assessmentplan__state=AssessmentPlan.State.CANCELLED)
        .values_list("trainingclass_id", "assessmentplan__code", "assessmentplan__scheduled_on")
    )
    codes = {c.pk: c.code for c in classes}
    for class_id, plan_code, day in taken:
        problems.append(
            {
                "path": "class_ids",
                "message": f"班级 {codes[class_id]}：已在考核计划 {plan_code}（{day}）中，不能重复填报",
            }
        )
    pooled = [_pool_class(c) for c in classes]
    problems.extend({"path": "class_ids", "message": text} for text in pooling_problems(pooled))
    _refuse(problems, "考核计划")
    assert body is not None

    blocking: list[tuple[str, Finding]] = []
    for cls in classes:
        held = _standing_suspension(cls)
        if held is not None:
            blocking.append((f"班级 {cls.code}", held))
    notice_days = max(class_policy(c)[1].assessment_notice_days for c in classes)
    late = asm_notice(notice_days=notice_days, filed_on=today, scheduled_on=scheduled_on)
    if late is not None:
        blocking.append(("", late))
    if blocking:
        raise _blocked(blocking, "填报考核计划")

    first = classes[0]
    plan = AssessmentPlan.objects.create(
        code=f"TMP-{uuid.uuid4().hex[:20]}",
        evaluation_body=body,
        certificate=first.certificate,
        occupation=first.occupation,
        level=first.level,
        area=first.area,
        scheduled_on=scheduled_on,
        place=place,
        inspector=inspector,
        filed_by=actor,
        filed_at=timezone.now(),
    )
    plan.code = f"KH{scheduled_on.year}{plan.pk:06d}"
    AssessmentPlan.objects.filter(pk=plan.pk).update(code=plan.code)
    plan.classes.set(classes)
    ahead = (scheduled_on - today).days
    notes = [f"提前 {ahead} 天填报（ASM-NOTICE：至少 {notice_days} 天）"]
    pooling = asm_pooling(pooled)
    if pooling is not None:
        notes.append(f"{pooling.rule}：{pooling.message}")
    audit_record(
        actor=actor,
        event="assessment.plan_file",
        obj=plan,
        changes={
            "code": (None, plan.code),
            "classes": (None, [c.code for c in classes]),
            "evaluation_body": (None, body.name),
            "scheduled_on": (None, scheduled_on),
            "place": (None, place),
            "inspector": (None, inspector),
        },
        note="；".join(notes),
    )
    return plan


@transaction.atomic
def plan_cancel(*, plan: AssessmentPlan, actor: User, reason: str) -> AssessmentPlan:
    """Withdraw a filed plan: by the side that filed it (the same institution and role), and only
    while no result is recorded."""
    plan = _locked_plan(plan)
    filer = plan.filed_by
    if not (actor.role == filer.role and actor.institution_id and actor.institution_id == filer.institution_id):
        raise NotPermitted("只有填报该考核计划的机构经办人可以取消")
    if plan.state == AssessmentPlan.State.CANCELLED:
        return plan  # cancelled already: a retry changes nothing
    if plan.state == AssessmentPlan.State.RESULTS or plan.results.exists():
        raise InvalidTransition(f"考核计划 {plan.code} 已录入考核结果，不能取消", state=plan.state)
    problems: Problems = []
    reason = _text(problems, "reason", "取消原因", reason, 500, required=True)
    _refuse(problems, "取消考核计划")
    old = plan.state
    AssessmentPlan.objects.filter(pk=plan.pk).update(state=AssessmentPlan.State.CANCELLED, version=F("version") + 1)
    plan.refresh_from_db()
    audit_record(
        actor=actor,
        event="assessment.plan_cancel",
        obj=plan,
        changes={"state": (old, plan.state), "version": (plan.version - 1, plan.version)},
        note=reason,
    )
    return plan


# ── results and certificates ──────────────────────────────────────────────────────────────────


@dataclass
class _Checked:
    """One result row as it will be written."""

    label: int
    enrollment: Enrollment
    outcome: str
    score: Decimal | None
    certificate: dict[str, Any] | None  # CertificateRecord fields


def _score(problems: Problems, where: str, path: str, score: Decimal | None) -> Decimal | None:
    if score is None:
        return None
    try:
        value = Decimal(score)
    except (ArithmeticError, TypeError, ValueError):
        value = Decimal("NaN")
    if not value.is_finite() or not 0 <= value <= SCORE_MAX or value != value.quantize(Decimal("0.1")):
        problems.append({"path": path, "message": f"{where} 成绩：应为 0 至 {SCORE_MAX} 的数，最多一位小数"})
        return None
    return value.quantize(Decimal("0.1"))


def _certificate(
    problems: Problems, where: str, path: str, plan: AssessmentPlan, given: CertificateInput, today: dt.date
) -> dict[str, Any]:
    kind = given.kind or plan.certificate
    if kind not in Certificate.values:
        problems.append({"path": f"{path}.kind", "message": f"{where} 证书类别：“{kind}”不是有效的证书类别"})
    level = given.level if given.level is not None else (plan.level if kind in GRADED else None)
    if level is not None and level not in Level.values:
        problems.append({"path": f"{path}.level", "message": f"{where} 证书等级：应为 1 至 5 级"})
    if kind in GRADED and level is None:
        problems.append({"path": f"{path}.level", "message": f"{where} 证书等级：{CERTIFICATE_ZH[kind]}须注明等级"})
    number = _text(problems, f"{path}.number", f"{where} 证书编号", given.number, 64, required=True)
    issuer = _text(
        problems, f"{path}.issuer", f"{where} 发证机构", given.issuer or plan.evaluation_body.name, 200, required=True
    )
    issued_on = given.issued_on
    if issued_on < plan.scheduled_on:
        problems.append(
            {"path": f"{path}.issued_on", "message": f"{where} 发证日期：{issued_on} 早于考核日期 {plan.scheduled_on}"}
        )
    elif issued_on > today:
        problems.append({"path": f"{path}.issued_on", "message": f"{where} 发证日期：{issued_on} 晚于今天"})
    return {
        "kind": kind,
        "level": level,
        "number": number,
        "issued_on": issued_on,
        "issuer": issuer,
        "occupation_id": plan.occupation_id,
    }


def _check_rows(
    plan: AssessmentPlan, results: Sequence[ResultInput], labels: Sequence[int], today: dt.date
) -> list[_Checked]:
    """Every row checked against the plan's roster and the certificates on record; all problems at once."""
    problems: Problems = []
    if not results:
        raise InvalidInput("考核结果有 1 处错误", [{"path": "results", "message": "考核结果：至少一名学员"}])
    if len(results) > MAX_RESULTS:
        raise InvalidInput(
            "考核结果有 1 处错误", [{"path": "results", "message": f"考核结果：一次不超过 {MAX_RESULTS} 名学员"}]
        )
    enrollments = {
        e.pk: e
        for e in Enrollment.objects.select_related("person", "training_class").filter(
            pk__in=[r.enrollment_id for r in results], training_class__in=plan.classes.all()
        )
    }
    checked: list[_Checked] = []
    first_row: dict[int, int] = {}
    for i, (item, label) in enumerate(zip(results, labels, strict=True)):
        where, path = f"第{label}行", f"results[{i}]"
        enrollment = enrollments.get(item.enrollment_id)
        if enrollment is None:
            problems.append(
                {"path": f"{path}.enrollment_id", "message": f"{where} 学员：不在本考核计划所含班级的花名册中"}
            )
        elif item.enrollment_id in first_row:
            problems.append(
                {
                    "path": f"{path}.enrollment_id",
                    "message": f"{where} 学员：与第{first_row[item.enrollment_id]}行是同一名学员",
                }
            )
        else:
            first_row[item.enrollment_id] = label
        if item.outcome not in Outcomes.values:
            problems.append(
                {
                    "path": f"{path}.outcome",
                    "message": f"{where} 考核结果：应为 passed（合格）、failed（不合格）或 absent（缺考）",
                }
            )
        score = _score(problems, where, f"{path}.score", item.score)
        if item.outcome == Outcomes.ABSENT and item.score is not None:
            problems.append({"path": f"{path}.score", "message": f"{where} 成绩：缺考的学员没有成绩"})
        certificate = None
        if item.certificate is not None:
            if item.outcome != Outcomes.PASSED:
                problems.append(
                    {"path": f"{path}.certificate", "message": f"{where} 证书：只有考核合格的学员才能录入证书"}
                )
            certificate = _certificate(problems, where, f"{path}.certificate", plan, item.certificate, today)
        if enrollment is not None:
            checked.append(_Checked(label, enrollment, item.outcome, score, certificate))
    _check_numbers(problems, checked)
    _refuse(problems, "考核结果")
    return checked


def _check_numbers(problems: Problems, checked: list[_Checked]) -> None:
    """A certificate number is used once per kind: within the batch and among the certificates on record."""
    wanted = [(c, c.certificate["kind"], c.certificate["number"]) for c in checked if c.certificate]
    batch: dict[tuple[str, str], int] = {}
    for row, kind, number in wanted:
        key = (kind, number)
        if key in batch:
            problems.append(
                {
                    "path": "certificate.number",
                    "message": f"第{row.label}行 证书编号：{number} 与第{batch[key]}行重复"
                    "（同一类别的证书编号不能重复）",
                }
            )
        else:
            batch[key] = row.label
    if not wanted:
        return
    on_record = CertificateRecord.objects.filter(
        kind__in={k for _, k, _ in wanted}, number__in={n for _, _, n in wanted}
    ).values_list("kind", "number", "enrollment_id", "issued_on", "issuer")
    held = {(kind, number): (owner, day, issuer) for kind, number, owner, day, issuer in on_record}
    for row, kind, number in wanted:
        found = held.get((kind, number))
        if found is not None and found[0] != row.enrollment.pk:
            problems.append(
                {
                    "path": "certificate.number",
                    "message": f"第{row.label}行 证书编号：{number} 已被另一张{CERTIFICATE_ZH.get(kind, kind)}使用"
                    f"（{found[2]}，{found[1]} 发证）",
                }
            )


def _vouchers_on(certificates: list[CertificateRecord], actor: User) -> None:
    # Imported here: vouchers reads certificates, so assessment must not import vouchers at load time.
    from jineng.vouchers.services import vouchers_value_on_certificates

    vouchers_value_on_certificates(certificates=certificates, actor=actor)


def _record(
    *, plan: AssessmentPlan, actor: User, results: Sequence[ResultInput], labels: Sequence[int], today: dt.date
) -> list[AssessmentResult]:
    plan = _locked_plan(plan)
    _require_body_evaluator(actor, plan, "录入考核结果")
    if plan.state == AssessmentPlan.State.CANCELLED:
        raise InvalidTransition(f"考核计划 {plan.code} 已取消，不能录入考核结果", state=plan.state)
    if today < plan.scheduled_on:
        raise InvalidTransition(
            f"考核计划 {plan.code} 的考核日期为 {plan.scheduled_on}，考核之后才能录入结果（今天是 {today}）",
            state=plan.state,
        )
    checked = _check_rows(plan, results, labels, today)
    now = timezone.now()
    ids = [c.enrollment.pk for c in checked]
    before = {
        r.enrollment_id: r.outcome
        for r in AssessmentResult.objects.filter(enrollment_id__in=ids).only("enrollment_id", "outcome")
    }
    AssessmentResult.objects.bulk_create(
        [
            AssessmentResult(
                plan=plan, enrollment=c.enrollment, outcome=c.outcome, score=c.score, recorded_by=actor, recorded_at=now
            )
            for c in checked
        ],
        update_conflicts=True,
        unique_fields=["enrollment"],
        update_fields=["plan", "outcome", "score", "recorded_by", "recorded_at"],
    )

    existing: dict[int, CertificateRecord] = {
        c.enrollment_id: c for c in CertificateRecord.objects.filter(enrollment_id__in=ids) if c.enrollment_id
    }
    created: list[CertificateRecord] = []
    changed: list[CertificateRecord] = []
    removed: list[_Checked] = []
    for c in checked:
        stored = existing.get(c.enrollment.pk)
        if c.certificate is None:
            if stored is not None and c.outcome != Outcomes.PASSED:
                removed.append(c)
            continue
        if stored is None:
            created.append(
                CertificateRecord(
                    person_id=c.enrollment.person_id, enrollment=c.enrollment, recorded_by=actor, **c.certificate
                )
            )
        else:
            for name, value in c.certificate.items():
                setattr(stored, name, value)
            stored.person_id, stored.recorded_by = c.enrollment.person_id, actor
            changed.append(stored)
    if removed:
        _remove_certificates(removed, existing)
    fields = ["person", "kind", "occupation", "level", "number", "issued_on", "issuer", "recorded_by"]
    CertificateRecord.objects.bulk_update(changed, fields)
    CertificateRecord.objects.bulk_create(created)

    # "Not assessed" (ASM-REPEAT, TRN-COOLDOWN) is a NULL assessed_on: an absentee stays not assessed.
    moved: list[Enrollment] = []
    for c in checked:
        day = plan.scheduled_on if c.outcome in (Outcomes.PASSED, Outcomes.FAILED) else None
        if c.enrollment.assessed_on != day:
            c.enrollment.assessed_on = day
            moved.append(c.enrollment)
    Enrollment.objects.bulk_update(moved, ["assessed_on"])

    old_state = plan.state
    AssessmentPlan.objects.filter(pk=plan.pk).update(state=AssessmentPlan.State.RESULTS, version=F("version") + 1)
    counts = Counter(c.outcome for c in checked)
    audit_record(
        actor=actor,
        event="assessment.results_record",
        obj=plan,
        changes={
            "state": (old_state, AssessmentPlan.State.RESULTS.value),
            "results": (
                [
                    {"id_number": c.enrollment.person.id_number, "outcome": before[c.enrollment.pk]}
                    for c in checked
                    if c.enrollment.pk in before
                ],
                [
                    {
                        "id_number": c.enrollment.person.id_number,
                        "outcome": c.outcome,
                        "score": c.score,
                        "certificate": c.certificate["number"] if c.certificate else None,
                    }
                    for c in checked
                ],
            ),
        },
        note=(
            f"录入 {len(checked)} 人：合格 {counts[Outcomes.PASSED]}、不合格 {counts[Outcomes.FAILED]}、"
            f"缺考 {counts[Outcomes.ABSENT]}；证书新增 {len(created)}、更新 {len(changed)}、撤销 {len(removed)}"
        ),
    )
    certificates = created + changed
    if certificates:
        _vouchers_on(certificates, actor)
    order = {pk: i for i, pk in enumerate(ids)}
    written = AssessmentResult.objects.select_related("enrollment__person").filter(enrollment_id__in=ids)
    return sorted(written, key=lambda r: order[r.enrollment_id])


def _remove_certificates(removed: list[_Checked], existing: dict[int, CertificateRecord]) -> None:
    """A trainee re-recorded as failed or absent keeps no certificate — unless a voucher was paid on it."""
    try:
        CertificateRecord.objects.filter(pk__in=[existing[c.enrollment.pk].pk for c in removed]).delete()
    except ProtectedError as exc:
        used = {getattr(o, "certificate_id", None) for o in exc.protected_objects}
        rows = [c for c in removed if existing[c.enrollment.pk].pk in used]
        raise InvalidInput(
            f"考核结果有 {len(rows)} 处错误",
            [
                {
                    "path": "certificate",
                    "message": f"第{c.label}行 考核结果：该学员的证书 {existing[c.enrollment.pk].number} "
                    "已用于兑现职业培训券，不能改为不合格或缺考",
                }
                for c in rows
            ],
        ) from exc


@transaction.atomic
def results_record(
    *, plan: AssessmentPlan, actor: User, results: list[ResultInput], today: dt.date | None = None
) -> list[AssessmentResult]:
    """Record results (and certificates) per trainee of the plan's classes, by the plan's evaluation
    body, on or after the assessment date. A trainee recorded again is replaced. All rows are
    checked and nothing is written if any is bad. Sets `Enrollment.assessed_on` for passed and
    failed trainees (an absentee stays not assessed) and moves the plan to 已录入结果."""
    return _record(
        plan=plan,
        actor=actor,
        results=results,
        labels=range(1, len(results) + 1),
        today=today or timezone.localdate(),
    )


@transaction.atomic
def results_import(
    *, plan: AssessmentPlan, actor: User, content: bytes, filename: str, today: dt.date | None = None
) -> list[AssessmentResult]:
    """Results from an XLSX or CSV file (UTF-8 or GBK): each row's trainee found by resident ID
    among the plan's classes, the name matching the roster; then as `results_record`, with every
    problem named by its row in the file."""
    today = today or timezone.localdate()
    _require_body_evaluator(actor, plan, "导入考核结果")
    parsed = results_io.parse_results(content, filename)
    errors = [(e.row_number, {"path": e.path, "message": e.text}) for e in parsed.errors]
    numbers = [r.id_number for r in parsed.rows]
    found: dict[str, list[Enrollment]] = defaultdict(list)
    for e in Enrollment.objects.select_related("person", "training_class").filter(
        training_class__in=plan.classes.all(), person__id_hash__in=list(ric_keys(numbers))
    ):
        found[e.person.id_number].append(e)
    results: list[ResultInput] = []
    labels: list[int] = []
    first: dict[str, int] = {}
    for row in parsed.rows:
        where = f"第{row.row_number}行"
        masked = mask_ric(row.id_number)
        matches = found.get(row.id_number, [])
        if row.id_number in first:
            errors.append(
                (
                    row.row_number,
                    {
                        "path": f"{where} 身份证号",
                        "message": f"{where} 身份证号：{masked} 与第{first[row.id_number]}行重复",
                    },
                )
            )
            continue
        first[row.id_number] = row.row_number
        if not matches:
            errors.append(
                (
                    row.row_number,
                    {
                        "path": f"{where} 身份证号",
                        "message": f"{where} 身份证号：{masked} 不在本考核计划所含班级的花名册中",
                    },
                )
            )
            continue
        if len(matches) > 1:
            codes = "、".join(e.training_class.code for e in matches)
            errors.append(
                (
                    row.row_number,
                    {"path": f"{where} 身份证号", "message": f"{where} 身份证号：{masked} 同时在班级 {codes} 中"},
                )
            )
            continue
        enrollment = matches[0]
        if enrollment.person.name.strip() != row.name:
            errors.append(
                (
                    row.row_number,
                    {"path": f"{where} 姓名", "message": f"{where} 姓名：“{row.name}”与花名册登记的姓名不一致"},
                )
            )
            continue
        certificate = None
        if row.certificate_number and row.issued_on is not None:
            certificate = CertificateInput(number=row.certificate_number, issued_on=row.issued_on, level=row.level)
        results.append(ResultInput(enrollment.pk, row.outcome, row.score, certificate))
        labels.append(row.row_number)
    if errors:
        errors.sort(key=lambda e: e[0])
        raise InvalidInput(f"考核结果文件有 {len(errors)} 处错误，未导入任何数据", [e for _, e in errors])
    return _record(plan=plan, actor=actor, results=results, labels=labels, today=today)


def results_template() -> bytes:
    """The XLSX template of a result file (身份证号, 姓名, 考核结果, 成绩, 证书编号, 发证日期, 证书等级)."""
    return results_io.results_template_xlsx()


# ── training ledger ───────────────────────────────────────────────────────────────────────────


@transaction.atomic
def ledger_enter(*, cls: TrainingClass, actor: User, notes: str = "", today: dt.date | None = None) -> LedgerEntry:
    """Enter the training ledger (台账) of an ended class, once: trainees on the roster and
    certificates obtained. Due within `ledger_days` days after the class ends (ASM-LEDGER): a late
    entry is accepted and its finding kept in the audit log."""
    today = today or timezone.localdate()
    cls = TrainingClass.objects.select_for_update().get(pk=cls.pk)
    if actor.role != Role.INSTITUTION_CLERK or actor.institution_id != cls.institution_id:
        raise NotPermitted(f"只有班级 {cls.code} 所属培训机构的经办人可以录入培训台账")
    if cls.state != ClassState.ENDED:
        raise InvalidTransition(
            f"班级 {cls.code} 当前状态为“{ClassState(cls.state).label}”，结业后才能录入培训台账", state=cls.state
        )
    existing = LedgerEntry.objects.filter(training_class=cls).first()
    if existing is not None:
        raise InvalidTransition(f"班级 {cls.code} 的培训台账已于 {existing.entered_on} 录入", state=cls.state)
    problems: Problems = []
    notes = _text(problems, "notes", "说明", notes, 5000, required=False)
    _refuse(problems, "培训台账")
    _, p = class_policy(cls)
    trainees = Enrollment.objects.filter(training_class=cls).count()
    certified = CertificateRecord.objects.filter(enrollment__training_class=cls).count()
    entry = LedgerEntry.objects.create(
        training_class=cls, entered_on=today, entered_by=actor, trainees=trainees, certified=certified, notes=notes
    )
    late = asm_ledger(ledger_days=p.ledger_days, ended_on=cls.end, entered_on=today, today=today)
    audit_record(
        actor=actor,
        event="assessment.ledger_enter",
        obj=cls,
        changes={"ledger": (None, {"entered_on": today, "trainees": trainees, "certified": certified})},
        note=f"{late.rule}：{late.message}" if late else f"培训人数 {trainees}，取证人数 {certified}",
    )
    return entry
