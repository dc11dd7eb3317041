"""SUB-TWO-PERSON and CLS-IN-SYSTEM as pure functions: facts in, finding out."""

from __future__ import annotations

import datetime as dt

import pytest

from jineng.policy.loader import policies
from jineng.policy.rules.reviews import cls_in_system, sub_two_person

P = policies().named("xuchang-2023").parameters_on(dt.date(2023, 6, 1))  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("actor", "applicants", "signed", "fires"),
    [
        (3, [1], [], False),  # first signer, not the applicant
        (4, [1], [3], False),  # a different second signer
        (3, [1], [3], True),  # the first signer again
        (1, [1], [], True),  # the applicant as first signer
        (1, [1, 2], [3], True),  # the applicant as second signer
        (2, [1, 2], [], True),  # the submitter (not creator) is an applicant too
    ],
)
def test_two_different_signers_neither_the_applicant(
    actor: int, applicants: list[int], signed: list[int], fires: bool
) -> None:
    result = sub_two_person(p=P, stage="dept", actor_id=actor, applicant_ids=applicants, stage_signer_ids=signed)
    assert (result is not None) is fires
    if result is not None:
        assert (result.rule, result.outcome, result.clause) == ("SUB-TWO-PERSON", "block", "二(三)4, 附件3")
        assert result.values["signers_min"] == 2


@pytest.mark.parametrize(("trainees", "teachers", "fires"), [(1, 1, False), (0, 2, True), (40, 0, True), (0, 0, True)])
def test_roster_and_teachers_must_be_in_the_system(trainees: int, teachers: int, fires: bool) -> None:
    result = cls_in_system(trainees=trainees, teachers=teachers)
    assert (result is not None) is fires
    if result is not None:
        assert result.subject == "class" and f"学员 {trainees} 人" in result.message
