"""How findings are assembled: scope, subjects, order, decision (contract "Precise semantics")."""

from __future__ import annotations

from jineng.policy.catalog import ORDER

from .builders import check, document, person, resident_id


def test_a_clean_class_is_approved_with_no_findings() -> None:
    result = check(document())
    assert result.decision == "approve"
    assert result.as_dict() == {"decision": "approve", "policy": "xuchang-2023", "findings": []}


def test_findings_come_class_then_institution_then_trainees_in_roster_order() -> None:
    roster = [person(2, questionnaire=None), person(1, id_number="411081199001011234")]
    doc = document(
        trainees=roster,
        institution={"blacklisted": True},
        klass={"minutes_per_hour": 30, "teachers": [{"name": "张老师", "certified": True}]},
    )
    subjects = [(f.subject, f.rule) for f in check(doc).findings]
    assert subjects == [
        ("class", "CLS-MIN-TEACHERS"),
        ("class", "CLS-HOUR-LENGTH"),
        ("institution", "CLS-INSTITUTION-BARRED"),
        (f"trainee:{resident_id(2)}", "CLS-SURVEY"),
        ("trainee:411081199001011234", "TRN-IDENTITY"),
    ]


def test_within_a_trainee_findings_follow_rules_md_even_across_duplicate_rows() -> None:
    # The second row of the same person is the one without a questionnaire: CLS-SURVEY still
    # comes before TRN-IDENTITY and TRN-COOLDOWN, each once.
    first = person(
        1, previous_trainings=[{"class_id": "X", "subsidised": True, "end": "2023-04-01", "assessed_on": None}]
    )
    second = person(1, questionnaire=None)
    findings = check(document(trainees=[first, second])).findings
    rules = [f.rule for f in findings]
    assert rules == ["CLS-SURVEY", "TRN-IDENTITY", "TRN-COOLDOWN"]
    assert rules == sorted(rules, key=ORDER.__getitem__)
    assert {f.subject for f in findings} == {f"trainee:{resident_id(1)}"}


def test_a_rule_fires_at_most_once_per_subject() -> None:
    roster = [person(1, questionnaire=None)] * 3
    rules = [f.rule for f in check(document(trainees=roster)).findings]
    assert rules.count("CLS-SURVEY") == 1


def test_the_decision_is_block_when_any_finding_blocks() -> None:
    assert check(document(klass={"workstations": 0})).decision == "block"


def test_every_finding_carries_clause_outcome_and_a_chinese_message_with_numbers() -> None:
    result = check(document(trainees=81, klass={"workstations": 4}))
    [ratio] = [f for f in result.findings if f.rule == "CLS-STATION-RATIO"]
    assert ratio.clause == "二(三)1"
    assert ratio.message == "工位与学员比不超过1:20：81名学员至少需5个工位，本班4个"
    assert ratio.values == {"trainees": 81, "workstations": 4, "required": 5, "ratio": 20}


def test_an_empty_roster_is_judged_on_the_class_alone() -> None:
    assert check(document(trainees=[])).findings == ()
