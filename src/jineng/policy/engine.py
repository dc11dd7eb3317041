"""Evaluate a class document: run every applicable rule and order the findings per the contract."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from ..ids import normalise_ric
from .catalog import ORDER
from .facts import ClassDocument
from .findings import Finding
from .loader import Policy, PolicySet
from .rules import CLASS_RULES, INSTITUTION_RULES, TRAINEE_RULES, Context, ordered

Decision = Literal["approve", "block"]

_CLASS = ordered(CLASS_RULES)
_INSTITUTION = ordered(INSTITUTION_RULES)
_TRAINEE = ordered(TRAINEE_RULES)
# For an unsubsidised class only real-name identity matters (contract: "Scope").
_UNSUBSIDISED_TRAINEE = tuple(item for item in _TRAINEE if item[0] == "TRN-IDENTITY")


@dataclass(frozen=True, slots=True)
class Evaluation:
    policy: Policy
    findings: tuple[Finding, ...]

    @property
    def decision(self) -> Decision:
        return "block" if any(f.outcome == "block" for f in self.findings) else "approve"

    def as_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "policy": self.policy.name,
            "findings": [f.as_dict() for f in self.findings],
        }


def evaluate(doc: ClassDocument, policy: Policy) -> Evaluation:
    """Run the CLS-* and TRN-* rules of `policy` (as in force on doc.as_of) on one class document."""
    params = policy.parameters_on(doc.as_of)
    keys = [normalise_ric(t.id_number) for t in doc.trainees]
    ctx = Context(doc=doc, p=params, n=len(doc.trainees), id_counts=Counter(keys))
    subsidised = doc.class_.subsidised

    findings: list[Finding] = []
    if subsidised:
        for rules in (_CLASS, _INSTITUTION):
            for _, fn in rules:
                result = fn(ctx)
                if result is not None:
                    findings.append(result)

    trainee_rules = _TRAINEE if subsidised else _UNSUBSIDISED_TRAINEE
    # One subject per distinct (normalised) ID, named as first given; a rule fires at most once
    # per subject even when the ID appears on several roster rows.
    subject_of: dict[str, str] = {}
    for key, trainee in zip(keys, doc.trainees, strict=True):
        subject_of.setdefault(key, f"trainee:{trainee.id_number}")
    buckets: dict[str, list[Finding]] = {key: [] for key in subject_of}
    for key, trainee in zip(keys, doc.trainees, strict=True):
        bucket = buckets[key]
        for rule_id, trainee_fn in trainee_rules:
            if any(f.rule == rule_id for f in bucket):
                continue
            result = trainee_fn(trainee, subject_of[key], ctx)
            if result is not None:
                bucket.append(result)
    for bucket in buckets.values():
        bucket.sort(key=lambda f: ORDER[f.rule])
        findings.extend(bucket)
    return Evaluation(policy=policy, findings=tuple(findings))


def policy_for(doc: ClassDocument, policies: PolicySet, name: str | None = None) -> Policy:
    policy = policies.named(name) if name else policies.in_force(doc.as_of)
    if policy is None:  # parse_document already refused such an as_of; kept for direct callers
        raise LookupError(f"没有适用于 {doc.as_of} 的政策" if not name else f"没有名为 {name} 的政策")
    return policy


class UnknownPolicy(LookupError):
    pass


def check_json(
    raw: str | bytes, *, policies: PolicySet, policy_name: str | None = None
) -> tuple[ClassDocument, Evaluation]:
    """Parse and evaluate one class-facts document: the one path the CLI, the API and the web form share.

    Raises InvalidDocument (every bad field, nothing evaluated) or UnknownPolicy.
    """
    from .facts import parse_document

    forced = None
    if policy_name:
        forced = policies.named(policy_name)
        if forced is None:
            raise UnknownPolicy(f"没有名为 {policy_name} 的政策（可用：{policies.describe_periods()}）")
    doc = parse_document(raw, policies=policies, policy=forced)
    return doc, evaluate(doc, policy_for(doc, policies, policy_name))
