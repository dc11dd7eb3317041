"""Findings: what a rule says about a subject. The same shape in the CLI, the API and the UI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .catalog import BY_ID, Outcome


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    outcome: Outcome
    subject: str
    clause: str
    message: str
    values: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "outcome": str(self.outcome),
            "subject": self.subject,
            "clause": self.clause,
            "message": self.message,
            "values": _jsonable(self.values),
        }


def finding(rule: str, subject: str, message: str, **values: Any) -> Finding:
    """A finding of `rule`, with clause and outcome taken from the catalog."""
    spec = BY_ID[rule]
    return Finding(rule, spec.outcome, subject, spec.clause, message, values)


def percent(share: Decimal | float) -> str:
    return f"{Decimal(share) * 100:.1f}%".replace(".0%", "%")


RuleFn = Callable[..., Finding | None]
