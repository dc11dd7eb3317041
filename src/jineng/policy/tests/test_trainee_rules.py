"""CLS-SURVEY and TRN-* rules on roster entries, at their boundaries."""

from __future__ import annotations

from typing import Any

import pytest

from .builders import check, document, fires, person, resident_id


def one(trainee: dict[str, Any], **sections: Any) -> dict[str, Any]:
    return document(trainees=[trainee], **sections)


def trainee_findings(doc: dict[str, Any], rule: str) -> list[Any]:
    return [f for f in check(doc).findings if f.rule == rule]


class TestSurvey:
    def test_a_trainee_without_questionnaire_is_blocked_on_the_trainee(self) -> None:
        [f] = trainee_findings(one(person(7, questionnaire=None)), "CLS-SURVEY")
        assert f.subject == f"trainee:{resident_id(7)}"
        assert f.outcome == "block"

    def test_a_questionnaire_with_a_no_is_intent_not_survey(self) -> None:
        q = {"training_intent": True, "employment_intent": False, "employment_ability": True}
        rules = [f.rule for f in check(one(person(1, questionnaire=q))).findings]
        assert rules == ["TRN-INTENT"]


class TestIdentity:
    def test_a_valid_id_passes(self) -> None:
        assert not fires("TRN-IDENTITY", one(person(1)))

    def test_a_lowercase_final_x_is_read_as_x(self) -> None:
        upper = resident_id(3)  # 41108119900101003X
        assert upper.endswith("X")
        assert not fires("TRN-IDENTITY", one(person(3, id_number=upper.lower())))

    @pytest.mark.parametrize(
        ("id_number", "problem"),
        [
            ("411081199001011234", "checksum"),  # the contract's example number
            ("41108119900101123", "length"),
            ("4110811990010112345", "length"),
            ("41108119900A011235", "format"),
            (resident_id(1, birth="19900230"), "birth_date"),
            (resident_id(1, region="411081", birth="19850101"), "region"),  # 禹州市 code not yet in use in 1985
            (resident_id(1, region="999999"), "region"),
            (resident_id(1, birth="20230502"), "born_after_as_of"),
        ],
    )
    def test_an_invalid_number_is_a_finding_not_a_validity_error(self, id_number: str, problem: str) -> None:
        [f] = trainee_findings(one(person(1, id_number=id_number)), "TRN-IDENTITY")
        assert f.values["problem"] == problem
        assert f.subject == f"trainee:{id_number}"

    def test_born_on_the_as_of_day_passes(self) -> None:
        assert not fires("TRN-IDENTITY", one(person(1, id_number=resident_id(1, birth="20230501"))))

    def test_one_person_twice_on_the_roster_gives_one_finding_on_the_first_form(self) -> None:
        upper = resident_id(3)
        roster = [person(3, id_number=upper.lower()), person(2), person(3, id_number=upper)]
        findings = trainee_findings(document(trainees=roster), "TRN-IDENTITY")
        assert [(f.subject, f.values["occurrences"]) for f in findings] == [(f"trainee:{upper.lower()}", 2)]

    def test_unsubsidised_classes_check_only_identity(self) -> None:
        roster = [person(1, id_number="411081199001011234", questionnaire=None)] + [person(i) for i in range(2, 101)]
        doc = document(trainees=roster, klass={"subsidised": False, "teachers": [], "workstations": 0})
        assert [f.rule for f in check(doc).findings] == ["TRN-IDENTITY"]


def previous(assessed_on: str | None, *, subsidised: bool = True, end: str = "2023-01-10") -> dict[str, Any]:
    return {"class_id": "C-2022-0107", "subsidised": subsidised, "end": end, "assessed_on": assessed_on}


class TestCooldown:
    @pytest.mark.parametrize(
        ("start", "assessed_on", "fires_"),
        [
            ("2023-05-08", "2023-04-08", False),  # exactly one calendar month
            ("2023-05-08", "2023-04-09", True),  # one day less
            ("2023-04-30", "2023-03-31", False),  # 2023-03-31 + 1 month = 2023-04-30
            ("2023-04-29", "2023-03-31", True),
            ("2023-03-28", "2023-02-28", False),
            ("2023-03-27", "2023-02-28", True),
            ("2023-05-08", "2023-01-20", False),
        ],
    )
    def test_one_calendar_month_after_the_last_assessment(self, start: str, assessed_on: str, fires_: bool) -> None:
        doc = one(
            person(1, previous_trainings=[previous(assessed_on, end="2023-01-10")]),
            as_of="2023-01-01",
            klass={"start": start, "end": "2023-06-30"},
        )
        assert fires("TRN-COOLDOWN", doc) is fires_

    def test_the_finding_names_the_earliest_allowed_start(self) -> None:
        doc = one(
            person(1, previous_trainings=[previous("2023-03-31")]), klass={"start": "2023-04-29"}, as_of="2023-04-01"
        )
        [f] = trainee_findings(doc, "TRN-COOLDOWN")
        assert f.as_dict()["values"]["earliest_start"] == "2023-04-30"
        assert "2023-04-30" in f.message

    def test_an_unassessed_subsidised_training_blocks(self) -> None:
        assert fires("TRN-COOLDOWN", one(person(1, previous_trainings=[previous(None)])))

    def test_unsubsidised_previous_trainings_do_not_count(self) -> None:
        doc = one(
            person(1, previous_trainings=[previous(None, subsidised=False), previous("2023-05-01", subsidised=False)])
        )
        assert not fires("TRN-COOLDOWN", doc)

    def test_any_one_recent_training_among_several_blocks(self) -> None:
        doc = one(person(1, previous_trainings=[previous("2022-01-10"), previous("2023-04-20")]))
        assert fires("TRN-COOLDOWN", doc)


@pytest.mark.parametrize(
    ("school_kind", "graduation_year", "training_type", "fires_"),
    [
        ("vocational_school", 2023, "employment", True),
        ("technical_school", 2023, "employment", True),
        ("vocational_school", 2024, "employment", False),  # not the graduation year
        ("university", 2023, "employment", False),  # 普通高校 exempt
        ("special_vocational", 2023, "employment", False),  # 特殊职业教育 exempt
        ("vocational_school", 2023, "entrepreneurship", False),  # 创业培训 exempt
    ],
)
def test_graduation_year_students_are_excluded_except_universities_and_entrepreneurship(
    school_kind: str, graduation_year: int, training_type: str, fires_: bool
) -> None:
    student = {"school_kind": school_kind, "graduation_year": graduation_year}
    doc = one(person(1, category="student", student=student), klass={"training_type": training_type})
    assert fires("TRN-GRADUATING-STUDENT", doc) is fires_


def test_student_details_decide_not_the_category() -> None:
    student = {"school_kind": "vocational_school", "graduation_year": 2023}
    assert fires("TRN-GRADUATING-STUDENT", one(person(1, category="migrant_worker", student=student)))
    assert not fires("TRN-GRADUATING-STUDENT", one(person(1, category="student")))


@pytest.mark.parametrize(
    ("post_class", "transfer", "training_type", "fires_"),
    [
        ("6-18-01", False, "upgrade", False),  # same occupation class as the post
        ("6-18-02", False, "upgrade", True),
        ("6-18-01", True, "upgrade", True),  # a transferring employee in the same class
        ("6-18-02", True, "upgrade", False),
        ("6-18-01", False, "transfer", True),  # the class itself is a transfer training
        ("6-18-02", False, "transfer", False),
    ],
)
def test_employees_train_close_to_their_post_and_transfers_away_from_it(
    post_class: str, transfer: bool, training_type: str, fires_: bool
) -> None:
    employee = {"post_occupation": post_class + "-01", "post_class_code": post_class, "transfer": transfer}
    doc = one(person(1, category="employee", employee=employee), klass={"training_type": training_type})
    assert fires("TRN-EMPLOYEE-OCCUPATION", doc) is fires_


@pytest.mark.parametrize(
    ("answers", "fires_"),
    [
        ((True, True, True), False),
        ((False, True, True), True),
        ((True, False, True), True),
        ((True, True, False), True),
        ((False, False, False), True),
    ],
)
def test_no_intent_or_ability_excludes(answers: tuple[bool, bool, bool], fires_: bool) -> None:
    q = dict(zip(("training_intent", "employment_intent", "employment_ability"), answers, strict=True))
    assert fires("TRN-INTENT", one(person(1, questionnaire=q))) is fires_


@pytest.mark.parametrize(
    ("trained", "eligible", "release", "fires_"),
    [
        (False, True, "2024-12-31", False),
        (False, True, "2025-01-01", True),  # 刑期至2025年前: released in 2025 is too late
        (True, True, "2024-06-30", True),
        (False, False, "2024-06-30", True),
    ],
)
def test_inmates_qualify_only_untrained_eligible_and_released_before_2025(
    trained: bool, eligible: bool, release: str, fires_: bool
) -> None:
    inmate = {"trained_during_sentence": trained, "eligible_next_level": eligible, "release_date": release}
    assert fires("TRN-INMATE", one(person(1, category="inmate", inmate=inmate))) is fires_
