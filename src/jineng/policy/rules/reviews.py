"""Rules decided from the system's own records rather than from a class-facts document.

Still pure: the caller gathers the facts (who signed what, how many roster rows) and passes them in.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..findings import Finding, finding
from ..parameters import Parameters


def cls_in_system(*, trainees: int, teachers: int) -> Finding | None:
    """CLS-IN-SYSTEM: roster and teachers are entered in the system before the class opens."""
    missing = [label for label, count in (("学员花名册", trainees), ("师资", teachers)) if count == 0]
    if not missing:
        return None
    return finding(
        "CLS-IN-SYSTEM",
        "class",
        f"开班前须在系统中录入{'和'.join(missing)}（系统之外零补贴）：学员 {trainees} 人，教师 {teachers} 名",
        trainees=trainees,
        teachers=teachers,
    )


def sub_two_person(
    *,
    p: Parameters,
    stage: str,
    actor_id: int,
    applicant_ids: Sequence[int],
    stage_signer_ids: Sequence[int],
    stage_label: str | None = None,
) -> Finding | None:
    """SUB-TWO-PERSON for one signature: the actor is not an applicant and has not signed this stage.

    `stage_signer_ids` are those who already signed the stage in the current round, in order; the
    stage is complete with `signers_min` different signers.
    """
    label = stage_label or stage
    if actor_id in applicant_ids:
        return finding(
            "SUB-TWO-PERSON",
            f"stage:{stage}",
            f"{label}环节的签字人不得是申请人本人",
            actor=actor_id,
            signers_min=p.signers_min,
        )
    if actor_id in stage_signer_ids:
        return finding(
            "SUB-TWO-PERSON",
            f"stage:{stage}",
            f"{label}环节须由 {p.signers_min} 名不同人员签字：本人已在本环节签字（初审），不得再作复核",
            actor=actor_id,
            signers_min=p.signers_min,
            signed=len(stage_signer_ids),
        )
    return None
