"""One pure function per rule ID: facts in, a finding (or None) out. No database, no I/O.

Rules register themselves by subject kind; the engine runs them in the order of RULES.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ..catalog import ORDER
from ..facts import ClassDocument, Trainee
from ..findings import Finding
from ..parameters import Parameters

SubjectKind = Literal["class", "institution", "trainee"]


@dataclass(frozen=True, slots=True)
class Context:
    """What every rule may read: the document, the parameters in force, and roster counts."""

    doc: ClassDocument
    p: Parameters
    n: int
    id_counts: Counter[str]


ClassRule = Callable[[Context], Finding | None]
TraineeRule = Callable[[Trainee, str, Context], Finding | None]

CLASS_RULES: dict[str, ClassRule] = {}
INSTITUTION_RULES: dict[str, ClassRule] = {}
TRAINEE_RULES: dict[str, TraineeRule] = {}


def class_rule(rule_id: str, *, on: Literal["class", "institution"] = "class") -> Callable[[ClassRule], ClassRule]:
    def register(fn: ClassRule) -> ClassRule:
        (CLASS_RULES if on == "class" else INSTITUTION_RULES)[rule_id] = fn
        return fn

    return register


def trainee_rule(rule_id: str) -> Callable[[TraineeRule], TraineeRule]:
    def register(fn: TraineeRule) -> TraineeRule:
        TRAINEE_RULES[rule_id] = fn
        return fn

    return register


def ordered[T](rules: dict[str, T]) -> tuple[tuple[str, T], ...]:
    return tuple(sorted(rules.items(), key=lambda item: ORDER[item[0]]))


# Importing the modules registers their rules.
from . import classes, trainees  # noqa: E402, F401
