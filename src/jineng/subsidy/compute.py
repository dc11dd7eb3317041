"""Whether each trainee of a class is payable, why not (rule IDs), and how much.

The facts come from the records in a fixed handful of statements whatever the roster's size —
supervision's eligibility (attendance, video and online rules, the satisfaction suspension), the
trainee rules re-run on the class as it stands (TRN-*), assessment results and certificates,
vouchers and earlier payments — and the decision is the pure `policy.rules.subsidy.claim_line`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from jineng.assessment.models import AssessmentResult, CertificateRecord
from jineng.classes.models import ClassState, TrainingClass
from jineng.policy.findings import Finding
from jineng.policy.rules.assessment import CertificateFacts, asm_cert_route, asm_certified
from jineng.policy.rules.subsidy import LineDecision, claim_line, claim_total, sub_in_system, sub_no_double_pay
from jineng.policy.rules.vouchers import vch_cert_value
from jineng.supervision.selectors import class_policy, eligibility
from jineng.vouchers.models import Voucher, VoucherState

from .models import PaymentLine


@dataclass
class ComputedLine:
    enrollment_id: int
    person_id: int
    row: int
    name: str
    id_number: str
    certificate_id: int | None
    voucher_id: int | None
    decision: LineDecision


@dataclass
class ClaimComputation:
    policy: str
    class_blocks: list[Finding]
    lines: list[ComputedLine] = field(default_factory=list)

    @property
    def payable_count(self) -> int:
        return sum(1 for line in self.lines if line.decision.payable)

    @property
    def amount(self) -> Decimal:
        return claim_total([line.decision.amount for line in self.lines])


def compute_claim(cls: TrainingClass) -> ClaimComputation:
    policy, p = class_policy(cls)
    now = timezone.now()
    class_blocks: list[Finding] = []
    in_system = sub_in_system(subsidised=cls.subsidised, state=cls.state, state_label=ClassState(cls.state).label)
    if in_system is not None:
        class_blocks.append(in_system)
    route = asm_cert_route(class_certificate=cls.certificate, occupation_routes=cls.occupation.certificate_routes)
    if route is not None:
        class_blocks.append(route)

    state = eligibility(cls, now=now)
    trainee_rules = _trainee_rule_blocks(cls)
    results = dict(
        AssessmentResult.objects.filter(enrollment__training_class=cls).values_list("enrollment_id", "outcome")
    )
    certificates = {
        c.enrollment_id: c
        for c in CertificateRecord.objects.filter(enrollment__training_class=cls).only(
            "id", "enrollment_id", "kind", "level", "number"
        )
    }
    vouchers = {
        v.enrollment_id: v
        for v in Voucher.objects.filter(enrollment__training_class=cls).only("id", "code", "enrollment_id", "state")
    }
    paid = {
        person_id: code
        for person_id, code in PaymentLine.objects.filter(training_class=cls).values_list(
            "person_id", "disbursement__claim__code"
        )
    }
    upheld = _upheld(cls)
    persons = dict(cls.enrollments.values_list("id", "person_id"))

    computation = ClaimComputation(policy=policy.name, class_blocks=class_blocks)
    for trainee in state.trainees:
        subject = f"trainee:{trainee.id_number}"
        reasons: list[Finding] = [*class_blocks, *trainee.reasons, *trainee_rules.get(trainee.id_number, [])]
        person_id = persons[trainee.enrollment_id]
        cert = certificates.get(trainee.enrollment_id)
        facts = CertificateFacts(cert.kind, cert.level, cert.number) if cert else None
        no_cert = asm_certified(
            subject=subject,
            class_certificate=cls.certificate,
            outcome=results.get(trainee.enrollment_id),
            certificate=facts,
        )
        if no_cert is not None:
            reasons.append(no_cert)
        voucher = vouchers.get(trainee.enrollment_id)
        if voucher is not None and voucher.state != VoucherState.CANCELLED:
            _, unvalued = vch_cert_value(code=voucher.code, has_certificate=cert is not None, standard=Decimal(0))
            if unvalued is not None:
                reasons.append(unvalued)
        double = sub_no_double_pay(subject=subject, paid_elsewhere=[paid[person_id]] if person_id in paid else [])
        if double is not None:
            reasons.append(double)
        reasons.extend(upheld.get(trainee.enrollment_id, []))
        decision = claim_line(
            p=p,
            reasons=reasons,
            certificate_kind=cert.kind if cert and no_cert is None else None,
            certificate_level=cert.level if cert else None,
        )
        computation.lines.append(
            ComputedLine(
                enrollment_id=trainee.enrollment_id,
                person_id=person_id,
                row=trainee.row,
                name=trainee.name,
                id_number=trainee.id_number,
                certificate_id=cert.pk if cert else None,
                voucher_id=voucher.pk if voucher else None,
                decision=decision,
            )
        )
    return computation


def _trainee_rule_blocks(cls: TrainingClass) -> dict[str, list[Finding]]:
    """TRN-* blocks per resident ID, from the class's rules re-run on the record as it stands
    (a person who started another subsidised class meanwhile, TRN-COOLDOWN)."""
    from jineng.classes.services import check_class

    checked = check_class(cls)
    found: dict[str, list[Finding]] = {}
    for f in checked.findings:
        if f.rule.startswith("TRN-") and f.outcome in ("block", "void") and f.subject.startswith("trainee:"):
            found.setdefault(f.subject.removeprefix("trainee:"), []).append(
                Finding(f.rule, f.outcome, f.subject, f.clause, f.message, {**f.values, "scope": "trainee"})
            )
    return found


def _upheld(cls: TrainingClass) -> dict[int, list[Finding]]:
    """Objections upheld against a trainee during an earlier notice stay with the trainee."""
    from jineng.policy.findings import finding

    from .models import Objection

    out: dict[int, list[Finding]] = {}
    for enrollment_id, pk, resolution in Objection.objects.filter(
        claim__training_class=cls, upheld=True, line__isnull=False
    ).values_list("line__enrollment_id", "pk", "resolution"):
        out.setdefault(enrollment_id, []).append(
            finding("SUB-PUBLIC-NOTICE", "claim", f"公示期间异议成立：{resolution}", objection=pk, scope="trainee")
        )
    return out
