"""Writes on subsidy claims, batches, payments and recoveries.

Each is a named, keyword-only service in one transaction that writes its audit row(s) in the same
transaction. Races are settled by row locks (`SELECT … FOR UPDATE` on the class, the claim or the
batch) and, behind them, by the database's unique constraints (one claim per class, one
disbursement per claim, one payment per person × class, one idempotency key per disbursement).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from jineng.accounts.models import Role, User
from jineng.audit.services import audit_record, mask_text
from jineng.classes.errors import InvalidInput, InvalidTransition, NotPermitted, RuleBlocked, StaleVersion
from jineng.classes.models import TrainingClass
from jineng.policy.catalog import BY_ID
from jineng.policy.findings import Finding, finding
from jineng.policy.rules.reviews import sub_two_person
from jineng.policy.rules.subsidy import clawback_problem, notice_until, sub_public_notice
from jineng.registry.models import OrgUnit
from jineng.supervision.selectors import class_policy

from .compute import ClaimComputation, compute_claim
from .models import (
    BatchState,
    ClaimLine,
    ClaimState,
    ClaimStep,
    Clawback,
    Disbursement,
    FinanceBatch,
    FundSource,
    Objection,
    PaymentLine,
    SubsidyClaim,
)
from .workflow import (
    BATCH_NEXT,
    EDITABLE,
    OBJECTION_STATES,
    REVIEW_ACTIONS,
    STAGE_LABELS,
    TRANSITIONS,
    Transition,
    batch_move,
    move,
    move_many,
)

FEN = Decimal("0.01")
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
_ACCOUNT = re.compile(r"^\d{10,30}$")

# ── inputs ────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class ClaimInput:
    contact: str
    phone: str
    bank_name: str
    bank_account: str
    committed: bool = False


_LABELS = {
    "contact": "联系人",
    "phone": "联系电话",
    "bank_name": "开户银行名称",
    "bank_account": "银行账号",
    "committed": "申请承诺",
}


def _validate(data: ClaimInput) -> ClaimInput:
    problems: list[dict[str, str]] = []
    cleaned = ClaimInput(
        contact=data.contact.strip(),
        phone=data.phone.strip(),
        bank_name=data.bank_name.strip(),
        bank_account=re.sub(r"[\s-]", "", data.bank_account),
        committed=bool(data.committed),
    )

    def bad(name: str, message: str) -> None:
        problems.append({"path": name, "message": f"{_LABELS[name]}：{message}"})

    if not cleaned.contact:
        bad("contact", "必填")
    elif len(cleaned.contact) > 50:
        bad("contact", "不超过 50 个字符")
    if not _PHONE.match(cleaned.phone):
        bad("phone", f"“{data.phone}”不是有效的手机号（11 位）或固定电话（区号-号码）")
    if not cleaned.bank_name:
        bad("bank_name", "必填")
    elif len(cleaned.bank_name) > 100:
        bad("bank_name", "不超过 100 个字符")
    if not _ACCOUNT.match(cleaned.bank_account):
        bad("bank_account", "应为 10 至 30 位数字")
    if problems:
        raise InvalidInput(f"补贴申请有 {len(problems)} 处错误", problems)
    return cleaned


# ── helpers ───────────────────────────────────────────────────────────────────────────────────


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _lock_claim(claim: SubsidyClaim, expected_version: int | None = None) -> SubsidyClaim:
    locked = (
        SubsidyClaim.objects.select_for_update()
        .select_related("training_class", "training_class__area", "institution")
        .get(pk=claim.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(
            f"补贴申请 {locked.code} 已被他人修改（当前版本 {locked.version}，您看到的是版本 {expected_version}），"
            "请刷新后重试",
            current_version=locked.version,
        )
    return locked


def in_scope(actor: User, claim: SubsidyClaim, scope: str) -> bool:
    """Whether `actor`'s organisation covers the claim for `scope` (see workflow.Scope)."""
    cls = claim.training_class
    if scope == "institution":
        return actor.institution_id is not None and actor.institution_id == claim.institution_id
    if scope == "department":
        return actor.org_id is not None and actor.org_id == cls.lead_department_id
    org = actor.org
    if org is None:
        return False
    if scope == "finance" and org.kind == OrgUnit.Kind.BUREAU:
        return True  # the city finance bureau (市财政局) pays for the whole city
    if scope in ("area", "finance"):
        return org.kind == OrgUnit.Kind.CITY or org.pk == cls.area_id
    return False


def _check(actor: User, claim: SubsidyClaim, transition: Transition) -> None:
    if claim.state not in transition.sources:
        raise InvalidTransition(
            f"补贴申请 {claim.code} 当前状态为“{ClaimState(claim.state).label}”，不能执行“{transition.label}”",
            state=claim.state,
        )
    if actor.role not in transition.roles:
        raise NotPermitted(f"角色“{actor.role_label}”不能对补贴申请执行“{transition.label}”")
    if not in_scope(actor, claim, transition.scope):
        raise NotPermitted(f"补贴申请 {claim.code} 不在您的管辖范围内")


def _applicants(claim: SubsidyClaim) -> list[int]:
    return [i for i in (claim.created_by_id, claim.submitted_by_id) if i is not None]


def _stage_signers(claim: SubsidyClaim, stage: str) -> list[int]:
    """Who signed `stage` since the claim was last submitted (a return starts a new round)."""
    actions = [t.action for t in TRANSITIONS.values() if t.stage == stage]
    last = claim.steps.filter(action="submit").order_by("-at", "-id").first()
    qs = claim.steps.filter(action__in=actions)
    if last is not None:
        qs = qs.filter(Q(at__gt=last.at) | Q(at=last.at, id__gt=last.id))
    return list(qs.order_by("at", "id").values_list("actor_id", flat=True))


def _two_person(claim: SubsidyClaim, actor: User, stage: str, signers: list[int]) -> None:
    _, p = class_policy(claim.training_class)
    refused = sub_two_person(
        p=p,
        stage=stage,
        stage_label=STAGE_LABELS[stage],  # type: ignore[index]
        actor_id=actor.pk,
        applicant_ids=_applicants(claim),
        stage_signer_ids=signers,
    )
    if refused is not None:
        raise NotPermitted(refused.message, rule=refused.rule, finding=refused.as_dict())


def _step(claim: SubsidyClaim, actor: User, action: str, from_state: str, opinion: str = "") -> ClaimStep:
    return ClaimStep.objects.create(
        claim=claim,
        action=action,
        from_state=from_state,
        to_state=claim.state,
        actor=actor,
        actor_role=actor.role,
        at=timezone.now(),
        opinion=opinion.strip(),
        claim_version=claim.version,
        amount=claim.amount,
        payable_count=claim.payable_count,
    )


def _blocked(found: Finding, doing: str) -> RuleBlocked:
    return RuleBlocked(
        f"{found.rule}：{found.message}，不能{doing}",
        [{"path": found.rule, "message": found.message}],
        findings=[found.as_dict()],
    )


# ── the claim ─────────────────────────────────────────────────────────────────────────────────


def _write_lines(claim: SubsidyClaim, computed: ClaimComputation) -> None:
    """Replace the claim's lines with a fresh computation (only while the institution edits it)."""
    claim.lines.all().delete()
    ClaimLine.objects.bulk_create(
        [
            ClaimLine(
                claim=claim,
                enrollment_id=line.enrollment_id,
                person_id=line.person_id,
                row=line.row,
                payable=line.decision.payable,
                amount=line.decision.amount,
                standard=line.decision.standard,
                certificate_id=line.certificate_id,
                voucher_id=line.voucher_id,
                blocks=[_stored(f) for f in line.decision.blocks],
            )
            for line in computed.lines
        ]
    )


def _stored(f: Finding) -> dict[str, Any]:
    """A block as kept on a line: rule, outcome, clause, message — the subject (a resident ID) is
    the line's person already and is not copied into the JSON."""
    return {"rule": f.rule, "outcome": str(f.outcome), "clause": f.clause, "message": mask_text(f.message)}


def _totals(computed: ClaimComputation) -> dict[str, Any]:
    return {
        "trainees": len(computed.lines),
        "payable_count": computed.payable_count,
        "amount": computed.amount,
        "policy": computed.policy,
        "computed_at": timezone.now(),
    }


@transaction.atomic
def claim_create(*, cls: TrainingClass, actor: User, data: ClaimInput) -> tuple[SubsidyClaim, bool]:
    """The institution's claim for an ended class, its lines computed. Idempotent per class: a
    repeated (or concurrent) request returns the claim that exists, with `created=False`."""
    if actor.role != Role.INSTITUTION_CLERK or actor.institution_id != cls.institution_id:
        raise NotPermitted("只有本机构的经办人可以为本机构的培训班申领补贴")
    # The class row is the lock all claimants of one class queue on.
    locked = TrainingClass.objects.select_for_update().select_related("occupation").get(pk=cls.pk)
    existing = SubsidyClaim.objects.filter(training_class=locked).first()
    if existing is not None:
        return existing, False
    cleaned = _validate(data)
    computed = compute_claim(locked)
    if computed.class_blocks:
        first = computed.class_blocks[0]
        if first.rule == "SUB-IN-SYSTEM":
            raise _blocked(first, "申领补贴")
    try:
        with transaction.atomic():  # a savepoint: the unique constraint is the last word on a race
            claim = SubsidyClaim.objects.create(
                code=f"BT-{locked.code}",
                training_class=locked,
                institution_id=locked.institution_id,
                created_by=actor,
                state=ClaimState.DRAFT,
                state_since=timezone.now(),
                **asdict(cleaned),
                **_totals(computed),
            )
    except IntegrityError:
        return SubsidyClaim.objects.get(training_class=locked), False
    _write_lines(claim, computed)
    audit_record(
        actor=actor,
        event="claim.create",
        obj=claim,
        changes={
            "amount": (None, claim.amount),
            "payable_count": (None, claim.payable_count),
            "bank_account": (None, f"****{claim.bank_account[-4:]}"),
        },
        note=f"培训班 {locked.code}，花名册 {claim.trainees} 人，可补贴 {claim.payable_count} 人",
    )
    return claim, True


@transaction.atomic
def claim_update(*, claim: SubsidyClaim, actor: User, expected_version: int, data: ClaimInput) -> SubsidyClaim:
    claim = _lock_claim(claim, expected_version)
    if actor.role != Role.INSTITUTION_CLERK or actor.institution_id != claim.institution_id:
        raise NotPermitted("只有本机构的经办人可以修改补贴申请")
    if claim.state not in EDITABLE:
        raise InvalidTransition(f"补贴申请 {claim.code} 当前状态为“{ClaimState(claim.state).label}”，不能修改")
    cleaned = _validate(data)
    old = {k: getattr(claim, k) for k in _LABELS}
    new = asdict(cleaned)
    changes = {k: (old[k], new[k]) for k in _LABELS if old[k] != new[k]}
    if not changes:
        return claim
    SubsidyClaim.objects.filter(pk=claim.pk).update(version=claim.version + 1, **new)
    claim.refresh_from_db()
    if "bank_account" in changes:
        changes["bank_account"] = (f"****{old['bank_account'][-4:]}", f"****{new['bank_account'][-4:]}")
    audit_record(actor=actor, event="claim.update", obj=claim, changes=changes)
    return claim


@transaction.atomic
def claim_recompute(*, claim: SubsidyClaim, actor: User, expected_version: int) -> SubsidyClaim:
    """Recompute every line from the records as they stand (certificates added since, a video failure…)."""
    claim = _lock_claim(claim, expected_version)
    if actor.role != Role.INSTITUTION_CLERK or actor.institution_id != claim.institution_id:
        raise NotPermitted("只有本机构的经办人可以重新核算补贴申请")
    if claim.state not in EDITABLE:
        raise InvalidTransition(f"补贴申请 {claim.code} 当前状态为“{ClaimState(claim.state).label}”，不能重新核算")
    return _recompute(claim, actor)


def _recompute(claim: SubsidyClaim, actor: User) -> SubsidyClaim:
    old = (claim.amount, claim.payable_count)
    computed = compute_claim(claim.training_class)
    _write_lines(claim, computed)
    SubsidyClaim.objects.filter(pk=claim.pk).update(version=claim.version + 1, **_totals(computed))
    claim.refresh_from_db()
    audit_record(
        actor=actor,
        event="claim.recompute",
        obj=claim,
        changes={"amount": (old[0], claim.amount), "payable_count": (old[1], claim.payable_count)},
    )
    return claim


@transaction.atomic
def claim_submit(*, claim: SubsidyClaim, actor: User, expected_version: int) -> ClaimStep:
    """提交: lines recomputed from the records as they stand; the commitment signed; something payable."""
    transition = TRANSITIONS["submit"]
    claim = _lock_claim(claim, expected_version)
    _check(actor, claim, transition)
    claim = _recompute(claim, actor)
    problems = []
    if not claim.committed:
        problems.append({"path": "committed", "message": "须勾选申请承诺（对材料真实性负责，自觉接受社会监督）"})
    if claim.payable_count == 0:
        problems.append({"path": "lines", "message": "没有可补贴的学员：请查看每名学员的不予补贴原因"})
    if problems:
        raise InvalidInput(f"补贴申请有 {len(problems)} 处问题，不能提交", problems)
    from_state = claim.state
    move(claim, transition, submitted_by_id=actor.pk, submitted_at=timezone.now(), accepted_on=None)
    step = _step(claim, actor, transition.action, from_state)
    audit_record(
        actor=actor,
        event="claim.submit",
        obj=claim,
        changes={"state": (from_state, claim.state), "amount": (None, claim.amount)},
    )
    return step


@transaction.atomic
def claim_review(
    *,
    claim: SubsidyClaim,
    actor: User,
    action: str,
    expected_version: int,
    opinion: str = "",
    reasons: list[str] | None = None,
    today: dt.date | None = None,
) -> ClaimStep:
    """受理, 初审, 复核, 退回, 不予补贴 by the industry department and the HR bureau."""
    transition = TRANSITIONS.get(action)
    if transition is None or action not in REVIEW_ACTIONS:
        raise InvalidInput(f"未知操作 {action}", [{"path": "action", "message": "不是行业部门或人社部门的审核操作"}])
    claim = _lock_claim(claim, expected_version)
    _check(actor, claim, transition)
    if transition.stage is not None:
        _two_person(claim, actor, transition.stage, _stage_signers(claim, transition.stage))
    elif actor.pk in _applicants(claim):
        raise NotPermitted("申请人不得审核本人提交的补贴申请", rule="SUB-TWO-PERSON")
    reasons = [r.strip() for r in (reasons or []) if r.strip()]
    if transition.needs_reasons and not reasons:
        raise InvalidInput(f"{transition.label}须写明理由", [{"path": "reasons", "message": "至少填写一条理由"}])
    if transition.needs_opinion and not opinion.strip():
        raise InvalidInput(f"{transition.label}须填写审核意见", [{"path": "opinion", "message": "审核意见必填"}])
    from_state = claim.state
    extra: dict[str, Any] = {}
    if action == "accept":
        extra["accepted_on"] = _today(today)
    move(claim, transition, **extra)
    text = "；".join(filter(None, [opinion.strip(), *reasons]))
    step = _step(claim, actor, action, from_state, text)
    audit_record(
        actor=actor, event=f"claim.{action}", obj=claim, changes={"state": (from_state, claim.state)}, note=text
    )
    return step


@transaction.atomic
def claim_publish(
    *,
    claim: SubsidyClaim,
    actor: User,
    expected_version: int,
    published_on: dt.date,
    site: str,
    today: dt.date | None = None,
) -> SubsidyClaim:
    """公示: the approved list on the official website for `public_notice_working_days` working days
    counted on the official calendar from the day of publication."""
    transition = TRANSITIONS["publish"]
    claim = _lock_claim(claim, expected_version)
    _check(actor, claim, transition)
    problems = []
    if published_on < _today(today):
        problems.append(
            {"path": "published_on", "message": f"公示开始日期 {published_on} 早于今天，不能补登过去的公示"}
        )
    if not site.strip():
        problems.append({"path": "site", "message": "公示网站必填（如 许昌市人力资源和社会保障局官网）"})
    if problems:
        raise InvalidInput(f"发布公示有 {len(problems)} 处错误", problems)
    _, p = class_policy(claim.training_class)
    until = notice_until(p=p, published_on=published_on)
    from_state = claim.state
    move(claim, transition, notice_from=published_on, notice_until=until.due, notice_site=site.strip())
    _step(claim, actor, "publish", from_state, f"{published_on} 至 {until.due} 在{site.strip()}公示")
    audit_record(
        actor=actor,
        event="claim.publish",
        obj=claim,
        changes={"state": (from_state, claim.state), "notice": (None, [published_on, until.due])},
        note=site.strip() + ("" if until.official else "（该年度法定节假日安排未知，按周一至周五计算工作日）"),
    )
    return claim


# ── objections ────────────────────────────────────────────────────────────────────────────────


def _require_hr(actor: User, claim: SubsidyClaim, doing: str) -> None:
    if actor.role not in (Role.AREA_HR, Role.CITY_HR) or not in_scope(actor, claim, "area"):
        raise NotPermitted(f"只有本地人社部门可以{doing}")


@transaction.atomic
def objection_record(
    *,
    claim: SubsidyClaim,
    actor: User,
    received_on: dt.date,
    source: str,
    content: str,
    line_id: int | None = None,
    today: dt.date | None = None,
) -> Objection:
    """An objection received during (or after) the notice; it holds the payment until resolved."""
    claim = _lock_claim(claim)
    _require_hr(actor, claim, "登记公示异议")
    if claim.state not in OBJECTION_STATES:
        raise InvalidTransition(f"补贴申请 {claim.code} 当前状态为“{ClaimState(claim.state).label}”，不能登记异议")
    problems = []
    if not source.strip():
        problems.append({"path": "source", "message": "异议人/来源必填"})
    if not content.strip():
        problems.append({"path": "content", "message": "异议内容必填"})
    if claim.notice_from and received_on < claim.notice_from:
        problems.append({"path": "received_on", "message": f"收到日期 {received_on} 早于公示开始 {claim.notice_from}"})
    if received_on > _today(today):
        problems.append({"path": "received_on", "message": f"收到日期 {received_on} 晚于今天"})
    if line_id is not None and not claim.lines.filter(pk=line_id).exists():
        problems.append({"path": "line_id", "message": "该学员不在本申请中"})
    if problems:
        raise InvalidInput(f"异议登记有 {len(problems)} 处错误", problems)
    objection = Objection.objects.create(
        claim=claim,
        line_id=line_id,
        received_on=received_on,
        source=source.strip()[:100],
        content=content.strip(),
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    SubsidyClaim.objects.filter(pk=claim.pk).update(version=claim.version + 1)
    audit_record(actor=actor, event="claim.objection", obj=claim, note=f"异议 #{objection.pk}：{content.strip()[:200]}")
    return objection


@transaction.atomic
def objection_resolve(*, objection: Objection, actor: User, upheld: bool, resolution: str) -> Objection:
    """Resolve an objection. Upheld against a trainee: that line is no longer payable (SUB-PUBLIC-NOTICE)
    and the claim's amount falls with it; upheld against the whole claim: the claim goes back to
    the institution (RETURNED) after this."""
    claim = _lock_claim(objection.claim)
    _require_hr(actor, claim, "处理公示异议")
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if not objection.open:
        raise InvalidTransition("该异议已处理")
    if not resolution.strip():
        raise InvalidInput("处理情况必填", [{"path": "resolution", "message": "写明核查结果与处理意见"}])
    if objection.recorded_by_id == actor.pk:
        # The one who logged it does not close it alone: two people touch every money decision.
        raise NotPermitted("异议登记人不得同时处理该异议，请由另一名人社审核人处理", rule="SUB-TWO-PERSON")
    now = timezone.now()
    Objection.objects.filter(pk=objection.pk).update(
        resolved_by=actor, resolved_at=now, upheld=upheld, resolution=resolution.strip()
    )
    objection.refresh_from_db()
    changes: dict[str, tuple[Any, Any]] = {"upheld": (None, upheld)}
    if upheld and objection.line_id is not None:
        line = ClaimLine.objects.select_for_update().get(pk=objection.line_id)
        if line.payable:
            block = finding(
                "SUB-PUBLIC-NOTICE",
                "claim",
                f"公示期间异议成立：{resolution.strip()}",
                objection=objection.pk,
            )
            ClaimLine.objects.filter(pk=line.pk).update(
                payable=False, amount=Decimal("0.00"), blocks=[*line.blocks, _stored(block)]
            )
            totals = claim.lines.filter(payable=True).aggregate(n=Count("pk"), s=Sum("amount"))
            count = totals["n"]
            amount = (totals["s"] or Decimal("0.00")).quantize(FEN)
            changes["amount"] = (claim.amount, amount)
            changes["payable_count"] = (claim.payable_count, count)
            SubsidyClaim.objects.filter(pk=claim.pk).update(
                amount=amount, payable_count=count, version=claim.version + 1
            )
            claim.refresh_from_db()
            if claim.batch_id is not None:
                _batch_totals(claim.batch_id)
    elif upheld:
        transition = TRANSITIONS["objection_return"]
        from_state, batch_id = claim.state, claim.batch_id
        move(claim, transition, batch=None)
        if batch_id is not None:
            FinanceBatch.objects.select_for_update().get(pk=batch_id)
            _batch_totals(batch_id)
        _step(claim, actor, transition.action, from_state, f"异议成立：{resolution.strip()}")
        changes["state"] = (from_state, claim.state)
    else:
        SubsidyClaim.objects.filter(pk=claim.pk).update(version=claim.version + 1)
    audit_record(actor=actor, event="claim.objection_resolve", obj=claim, changes=changes, note=resolution.strip())
    return objection


# ── the monthly push and finance ──────────────────────────────────────────────────────────────


def _batch_totals(batch_id: int) -> None:
    claims = SubsidyClaim.objects.filter(batch_id=batch_id)
    agg = claims.aggregate(s=Sum("amount"), n=Sum("payable_count"))
    FinanceBatch.objects.filter(pk=batch_id).update(
        claims_count=claims.count(), persons=agg["n"] or 0, amount=(agg["s"] or Decimal("0.00")).quantize(FEN)
    )


@transaction.atomic
def batch_push(*, actor: User, today: dt.date | None = None) -> FinanceBatch:
    """按月推送: every claim in the actor's scope whose notice has ended with no open objection, in
    one batch for the month; one batch per unit and month (SUB-MONTHLY-PUSH)."""
    if actor.role not in (Role.AREA_HR, Role.CITY_HR) or actor.org is None:
        raise NotPermitted("只有人社部门可以向财政部门推送")
    day = _today(today)
    month = day.replace(day=1)
    earlier = FinanceBatch.objects.filter(org=actor.org, month=month).first()
    if earlier is not None:
        raise InvalidTransition(f"本单位 {month:%Y年%m月} 已推送（批次 {earlier.code}），公示期满的其余申请于下月推送")
    scope = Q(state=ClaimState.NOTICE, notice_until__lt=day)
    if actor.org.kind != OrgUnit.Kind.CITY:
        scope &= Q(training_class__area=actor.org)
    candidates = list(SubsidyClaim.objects.select_for_update().filter(scope).select_related("training_class"))
    held = set(
        Objection.objects.filter(claim__in=candidates, resolved_at__isnull=True).values_list("claim_id", flat=True)
    )
    ready = [c for c in candidates if c.pk not in held and c.payable_count > 0]
    if not ready:
        raise InvalidInput(
            "没有可推送的申请：须公示期满且异议均已处理",
            [{"path": "claims", "message": f"公示期满的 {len(candidates)} 件中 {len(held)} 件有未处理的异议"}],
        )
    try:
        with transaction.atomic():
            batch = FinanceBatch.objects.create(
                code=f"TS{month:%Y%m}-{actor.org.region_code or actor.org.key}"[:32],
                org=actor.org,
                month=month,
                state=BatchState.PUSHED,
                claims_count=len(ready),
                persons=sum(c.payable_count for c in ready),
                amount=sum((c.amount for c in ready), Decimal("0.00")),
                pushed_by=actor,
                pushed_at=timezone.now(),
            )
    except IntegrityError:
        raise InvalidTransition(f"本单位 {month:%Y年%m月} 已推送，公示期满的其余申请于下月推送") from None
    transition = TRANSITIONS["push"]
    move_many(SubsidyClaim.objects.filter(pk__in=[c.pk for c in ready]), transition, batch=batch)
    for claim in ready:
        claim.refresh_from_db()
        _step(claim, actor, "push", ClaimState.NOTICE, f"批次 {batch.code}")
    audit_record(
        actor=actor,
        event="batch.push",
        obj=batch,
        changes={"claims": (None, [c.code for c in ready]), "amount": (None, batch.amount)},
        note=f"{len(ready)} 件申请，{batch.persons} 人，{batch.amount} 元；{len(held)} 件因异议未处理暂缓",
    )
    return batch


def _require_finance(actor: User, org: OrgUnit | None) -> None:
    if actor.role != Role.FINANCE or actor.org is None:
        raise NotPermitted("只有财政部门经办人可以办理")
    city_wide = actor.org.kind in (OrgUnit.Kind.CITY, OrgUnit.Kind.BUREAU)
    if org is not None and not city_wide and actor.org_id != org.pk:
        raise NotPermitted("该批次不在您的管辖范围内")


@transaction.atomic
def batch_sign(*, batch: FinanceBatch, actor: User, expected_version: int, opinion: str = "") -> FinanceBatch:
    """财政初审 / 复核 of a pushed batch: two different finance users (SUB-TWO-PERSON); each claim in
    the batch records the signature too (the annex 3 form shows it per claim)."""
    batch = FinanceBatch.objects.select_for_update().select_related("org").get(pk=batch.pk)
    _require_finance(actor, batch.org)
    if batch.version != expected_version:
        raise StaleVersion(f"批次 {batch.code} 已被他人处理，请刷新后重试", current_version=batch.version)
    if batch.state not in BATCH_NEXT:
        raise InvalidTransition(f"批次 {batch.code} 当前状态为“{BatchState(batch.state).label}”，不能再签")
    target, action = BATCH_NEXT[batch.state]
    claims = list(SubsidyClaim.objects.select_for_update().filter(batch=batch).select_related("training_class"))
    signers = [batch.first_by_id] if batch.first_by_id else []
    for claim in claims:
        _two_person(claim, actor, "finance", signers)
    fields: dict[str, Any] = (
        {"first_by": actor, "first_at": timezone.now(), "first_opinion": opinion.strip()}
        if action == "finance_first"
        else {"second_by": actor, "second_at": timezone.now(), "second_opinion": opinion.strip()}
    )
    from_state = batch.state
    batch_move(batch, target, **fields)
    transition = TRANSITIONS[action]
    move_many(SubsidyClaim.objects.filter(batch=batch), transition)
    for claim in claims:
        before = claim.state
        claim.refresh_from_db()
        _step(claim, actor, action, before, opinion)
    audit_record(
        actor=actor,
        event=f"batch.{action}",
        obj=batch,
        changes={"state": (from_state, batch.state)},
        note=opinion.strip(),
    )
    return batch


@transaction.atomic
def claim_finance_return(*, claim: SubsidyClaim, actor: User, reasons: list[str]) -> ClaimStep:
    """Finance sends one claim of a batch back (it leaves the batch; the batch totals follow)."""
    transition = TRANSITIONS["finance_return"]
    claim = _lock_claim(claim)
    _check(actor, claim, transition)
    reasons = [r.strip() for r in reasons if r.strip()]
    if not reasons:
        raise InvalidInput("退回须写明理由", [{"path": "reasons", "message": "至少填写一条理由"}])
    batch_id, from_state = claim.batch_id, claim.state
    move(claim, transition, batch=None)
    if batch_id is not None:
        FinanceBatch.objects.select_for_update().get(pk=batch_id)
        _batch_totals(batch_id)
    step = _step(claim, actor, transition.action, from_state, "；".join(reasons))
    audit_record(
        actor=actor,
        event="claim.finance_return",
        obj=claim,
        changes={"state": (from_state, claim.state)},
        note="；".join(reasons),
    )
    return step


# ── disbursement and clawback ─────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class DisbursementInput:
    amount: Decimal
    paid_on: dt.date
    bank_reference: str
    fund_source: str


def _digest(claim_id: int, data: DisbursementInput) -> str:
    body = json.dumps(
        [
            claim_id,
            str(Decimal(data.amount).quantize(FEN)),
            data.paid_on.isoformat(),
            data.bank_reference.strip(),
            data.fund_source,
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _validate_disbursement(data: DisbursementInput, today: dt.date) -> None:
    problems = []
    try:
        amount = Decimal(data.amount)
        if amount <= 0 or amount != amount.quantize(FEN):
            problems.append({"path": "amount", "message": "拨付金额应为正数且精确到分"})
    except (InvalidOperation, TypeError):
        problems.append({"path": "amount", "message": "拨付金额不是有效数字"})
    if data.paid_on > today:
        problems.append({"path": "paid_on", "message": f"拨付日期 {data.paid_on} 晚于今天"})
    if not re.fullmatch(r"[0-9A-Za-z-]{6,64}", data.bank_reference.strip()):
        problems.append({"path": "bank_reference", "message": "银行流水号应为 6 至 64 位字母、数字或连字符"})
    if data.fund_source not in FundSource.values:
        problems.append({"path": "fund_source", "message": f"应为：{'、'.join(FundSource.labels)}"})
    if problems:
        raise InvalidInput(f"拨付信息有 {len(problems)} 处错误", problems)


@transaction.atomic
def claim_disburse(
    *,
    claim: SubsidyClaim,
    actor: User,
    idempotency_key: str,
    data: DisbursementInput,
    today: dt.date | None = None,
) -> tuple[Disbursement, bool]:
    """拨付, once: the same key with the same content returns the first result (`False`: not new);
    the same key with other content, or a second payment of a paid claim, is refused."""
    key = idempotency_key.strip()
    if not re.fullmatch(r"[0-9A-Za-z_.:-]{8,64}", key):
        raise InvalidInput("幂等键无效", [{"path": "idempotency_key", "message": "应为 8 至 64 位字母、数字或 _.:-"}])
    _validate_disbursement(data, _today(today))
    # Every disbursement of this claim queues here; the first one through decides.
    claim = _lock_claim(claim)
    digest = _digest(claim.pk, data)
    earlier = Disbursement.objects.filter(idempotency_key=key).first()
    if earlier is not None:
        if earlier.request_digest != digest:
            raise InvalidTransition(
                "该幂等键已用于另一笔拨付（金额、日期、流水号或资金来源不同），请勿重复使用",
                [{"path": "idempotency_key", "message": "已被使用"}],
            )
        return earlier, False
    transition = TRANSITIONS["disburse"]
    _check(actor, claim, transition)
    amount = Decimal(data.amount).quantize(FEN)
    if amount != claim.amount:
        raise InvalidInput(
            f"拨付金额 {amount} 元与财政审核确认的金额 {claim.amount} 元不一致",
            [{"path": "amount", "message": f"应为 {claim.amount}"}],
        )
    _, p = class_policy(claim.training_class)
    open_objections = claim.objections.filter(resolved_at__isnull=True).count()
    held = sub_public_notice(
        p=p,
        notice_from=claim.notice_from,
        notice_until_day=claim.notice_until,
        today=_today(today),
        open_objections=open_objections,
    )
    if held is not None:
        raise _blocked(held, "拨付")
    lines = list(claim.lines.filter(payable=True))
    disbursement = Disbursement.objects.create(
        claim=claim,
        idempotency_key=key,
        request_digest=digest,
        amount=amount,
        paid_on=data.paid_on,
        bank_reference=data.bank_reference.strip(),
        fund_source=data.fund_source,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    PaymentLine.objects.bulk_create(
        [
            PaymentLine(
                disbursement=disbursement,
                line=line,
                person_id=line.person_id,
                training_class_id=claim.training_class_id,
                amount=line.amount,
            )
            for line in lines
        ]
    )
    from_state = claim.state
    move(claim, transition)
    _step(
        claim, actor, "disburse", from_state, f"{data.paid_on} 拨付 {amount} 元，流水号 {disbursement.bank_reference}"
    )
    audit_record(
        actor=actor,
        event="claim.disburse",
        obj=claim,
        changes={"state": (from_state, claim.state), "paid": (None, amount), "persons": (None, len(lines))},
        note=f"{FundSource(data.fund_source).label}，银行流水号 {disbursement.bank_reference}",
    )
    return disbursement, True


@dataclass(frozen=True)
class ClawbackInput:
    amount: Decimal
    rule: str
    reason: str
    reference: str
    decided_on: dt.date


@transaction.atomic
def payment_clawback(
    *, payment: PaymentLine, actor: User, data: ClawbackInput, today: dt.date | None = None
) -> Clawback:
    """收缴 (SUB-CLAWBACK): the original payment stays; the recovery is a row of its own."""
    payment = (
        PaymentLine.objects.select_for_update().select_related("disbursement__claim__training_class").get(pk=payment.pk)
    )
    claim = payment.disbursement.claim
    scope = "finance" if actor.role == Role.FINANCE else "area"
    if actor.role not in (Role.AREA_HR, Role.CITY_HR, Role.FINANCE) or not in_scope(actor, claim, scope):
        raise NotPermitted("只有本地人社或财政部门可以收缴资金")
    recovered = payment.clawbacks.aggregate(s=Sum("amount"))["s"] or Decimal("0.00")
    problems = []
    try:
        amount = Decimal(data.amount)
    except (InvalidOperation, TypeError):
        amount = Decimal(-1)
    problem = clawback_problem(paid=payment.amount, recovered=recovered, amount=amount)
    if problem:
        problems.append({"path": "amount", "message": problem})
    if data.rule not in BY_ID:
        problems.append({"path": "rule", "message": f"{data.rule} 不是规则目录中的规则编号"})
    if not data.reason.strip():
        problems.append({"path": "reason", "message": "收缴原因必填"})
    if not data.reference.strip():
        problems.append({"path": "reference", "message": "收缴凭证号必填"})
    if data.decided_on > _today(today):
        problems.append({"path": "decided_on", "message": f"收缴日期 {data.decided_on} 晚于今天"})
    if problems:
        raise InvalidInput(f"收缴信息有 {len(problems)} 处错误", problems)
    clawback = Clawback.objects.create(
        payment=payment,
        amount=amount.quantize(FEN),
        rule=data.rule,
        reason=data.reason.strip(),
        reference=data.reference.strip()[:64],
        decided_on=data.decided_on,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        event="payment.clawback",
        obj=claim,
        changes={"recovered": (recovered, recovered + clawback.amount), "paid": (payment.amount, payment.amount)},
        note=f"{data.rule}：{data.reason.strip()}（凭证 {clawback.reference}，学员记录 #{payment.person_id}）",
    )
    return clawback
