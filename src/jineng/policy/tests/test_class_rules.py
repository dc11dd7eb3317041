"""CLS-* rules at their boundaries, both sides (the numbers come from xuchang-2023)."""

from __future__ import annotations

import pytest

from .builders import check, document, fires, person


def teachers(count: int, certified: int | None = None) -> list[dict[str, object]]:
    certified = count if certified is None else certified
    return [{"name": f"教师{i}", "certified": i < certified} for i in range(count)]


def hours(theory: int, practical: int, online: int = 0) -> dict[str, int]:
    return {"theory": theory, "practical": practical, "online_theory": online}


class TestClassSize:
    def test_80_trainees_pass(self) -> None:
        assert not fires("CLS-SIZE", document(trainees=80, klass={"teachers": teachers(4)}))

    def test_81_trainees_are_blocked_with_the_contract_message(self) -> None:
        result = check(document(trainees=81, klass={"teachers": teachers(5)}))
        [size] = [f for f in result.findings if f.rule == "CLS-SIZE"]
        assert size.as_dict() == {
            "rule": "CLS-SIZE",
            "outcome": "block",
            "subject": "class",
            "clause": "二(三)1",
            "message": "每班人数不超过80人：本班81人",
            "values": {"trainees": 81, "max": 80},
        }
        assert result.decision == "block"


@pytest.mark.parametrize(
    ("trainees", "teacher_count", "fires_"),
    [
        (20, 2, False),
        (40, 2, False),
        (41, 2, True),
        (41, 3, False),
        (60, 3, False),
        (61, 3, True),
        (80, 4, False),
        (80, 3, True),
    ],
)
def test_teacher_ratio_is_within_one_to_twenty(trainees: int, teacher_count: int, fires_: bool) -> None:
    assert (
        fires("CLS-TEACHER-RATIO", document(trainees=trainees, klass={"teachers": teachers(teacher_count)})) is fires_
    )


@pytest.mark.parametrize(
    ("trainees", "stations", "fires_"),
    [(1, 1, False), (1, 0, True), (20, 1, False), (21, 1, True), (21, 2, False), (80, 4, False), (80, 3, True)],
)
def test_workstation_ratio_is_within_one_to_twenty(trainees: int, stations: int, fires_: bool) -> None:
    doc = document(trainees=trainees, klass={"workstations": stations, "teachers": teachers(4)})
    assert fires("CLS-STATION-RATIO", doc) is fires_


@pytest.mark.parametrize(("count", "fires_"), [(2, False), (1, True), (0, True), (3, False)])
def test_at_least_two_teachers_certified_or_not(count: int, fires_: bool) -> None:
    assert fires("CLS-MIN-TEACHERS", document(klass={"teachers": teachers(count, certified=0)})) is fires_


@pytest.mark.parametrize(("minutes", "fires_"), [(40, False), (39, True), (45, False), (0, True)])
def test_a_class_hour_lasts_at_least_40_minutes(minutes: int, fires_: bool) -> None:
    assert fires("CLS-HOUR-LENGTH", document(klass={"minutes_per_hour": minutes})) is fires_


@pytest.mark.parametrize(
    ("theory", "practical", "fires_"),
    [(40, 60, False), (41, 59, True), (2, 3, False), (1, 1, True), (0, 10, False), (10, 0, True)],
)
def test_practical_hours_are_at_least_60_percent_exactly(theory: int, practical: int, fires_: bool) -> None:
    assert fires("CLS-PRACTICAL-SHARE", document(klass={"hours": hours(theory, practical)})) is fires_


def test_the_practical_share_message_names_the_hours_and_the_share() -> None:
    [f] = [f for f in check(document(klass={"hours": hours(41, 59)})).findings if f.rule == "CLS-PRACTICAL-SHARE"]
    assert f.message == "实操培训不少于总课时的60%：实操59课时/总100课时=59%"
    assert f.as_dict()["values"] == {"practical": 59, "total": 100, "share": 0.59, "min": 0.6}


PLATFORM = {"id": "PLAT-1", "listed": True, "connected": True}


@pytest.mark.parametrize(
    ("class_hours", "platform", "fires_", "reasons"),
    [
        (hours(40, 60, online=40), PLATFORM, False, None),
        (hours(41, 60, online=41), PLATFORM, True, ["share"]),  # 41/101 = 40.6 %
        (hours(40, 60, online=0), None, False, None),
        (hours(40, 60, online=1), None, True, ["no_platform"]),
        (hours(40, 60, online=10), {**PLATFORM, "listed": False}, True, ["platform_not_listed"]),
        (hours(40, 60, online=10), {**PLATFORM, "connected": False}, True, ["platform_not_connected"]),
        (hours(10, 90, online=20), PLATFORM, True, ["not_theory"]),
    ],
)
def test_online_hours_are_theory_at_most_40_percent_on_a_catalogued_platform(
    class_hours: dict[str, int], platform: dict[str, object] | None, fires_: bool, reasons: list[str] | None
) -> None:
    result = check(document(klass={"hours": class_hours, "online_platform": platform}))
    found = [f for f in result.findings if f.rule == "CLS-ONLINE-SHARE"]
    assert bool(found) is fires_
    if found:
        assert found[0].values["reasons"] == reasons


class TestQualifiedHours:
    @pytest.mark.parametrize(("total", "fires_"), [(40, False), (39, True)])
    def test_a_training_certificate_class_has_40_hours(self, total: int, fires_: bool) -> None:
        doc = document(klass={"certificate": "training_qualified", "hours": hours(total - 24, 24)})
        assert fires("CLS-QUALIFIED-HOURS", doc) is fires_

    @pytest.mark.parametrize(
        ("set_hours", "total", "fires_"), [(60, 60, False), (60, 59, True), (30, 30, False), (30, 29, True)]
    )
    def test_the_occupations_own_hours_replace_the_40(self, set_hours: int, total: int, fires_: bool) -> None:
        occupation = {**document()["class"]["occupation"], "set_hours": set_hours}
        doc = document(
            klass={"certificate": "training_qualified", "hours": hours(10, total - 10), "occupation": occupation}
        )
        assert fires("CLS-QUALIFIED-HOURS", doc) is fires_

    def test_other_certificates_are_not_held_to_it(self) -> None:
        assert not fires("CLS-QUALIFIED-HOURS", document(klass={"hours": hours(4, 8)}))


@pytest.mark.parametrize(
    ("specialties", "fires_"),
    [
        ([{"occupation": "6-18-01-01", "from": "2023-05-08"}], False),  # listed on the opening day
        ([{"occupation": "6-18-01-01", "from": "2023-05-09"}], True),  # one day too late
        ([{"occupation": "6-18-01-02", "from": "2020-01-01"}], True),  # another occupation
        ([], True),
        (
            [{"occupation": "6-18-01-01", "from": "2023-06-01"}, {"occupation": "6-18-01-01", "from": "2021-01-01"}],
            False,
        ),
    ],
)
def test_the_institution_is_listed_for_the_occupation_from_its_date(specialties: list[object], fires_: bool) -> None:
    assert fires("CLS-INSTITUTION-LISTED", document(institution={"listed_specialties": specialties})) is fires_


@pytest.mark.parametrize(
    ("blacklisted", "problem_found_on", "fires_"),
    [
        (False, None, False),
        (False, "2021-12-31", False),
        (False, "2022-01-01", True),
        (True, None, True),
        (True, "2021-06-01", True),
    ],
)
def test_a_blacklisted_or_problem_institution_is_barred(
    blacklisted: bool, problem_found_on: str | None, fires_: bool
) -> None:
    result = check(document(institution={"blacklisted": blacklisted, "problem_found_on": problem_found_on}))
    barred = [f for f in result.findings if f.rule == "CLS-INSTITUTION-BARRED"]
    assert bool(barred) is fires_
    if barred:
        assert barred[0].subject == "institution"


@pytest.mark.parametrize(
    ("home_city", "kind", "approval", "local", "fires_"),
    [
        ("411000", "training_school", False, True, False),
        ("410100", "training_school", False, True, True),
        ("410100", "technical_school", False, True, False),  # 技工学校 exempt
        ("410100", "training_school", True, True, False),  # provincial approval
        ("410100", "training_school", False, False, False),  # no local alternative
        ("410100", "vocational_college", False, True, True),
    ],
)
def test_cross_city_training_needs_approval_unless_a_technical_school(
    home_city: str, kind: str, approval: bool, local: bool, fires_: bool
) -> None:
    doc = document(
        institution={"home_city": home_city, "kind": kind},
        klass={"cross_city_approval": approval, "local_alternative_exists": local},
    )
    assert fires("CLS-CROSS-CITY", doc) is fires_


class TestEnterpriseCenter:
    @pytest.mark.parametrize(
        ("trainees", "teacher_count", "certified", "fires_"),
        [(40, 3, 2, False), (41, 3, 2, True), (41, 3, 3, False), (10, 2, 1, True), (10, 2, 2, False)],
    )
    def test_certified_teachers_at_least_two_and_one_per_twenty(
        self, trainees: int, teacher_count: int, certified: int, fires_: bool
    ) -> None:
        doc = document(
            trainees=trainees,
            institution={"kind": "enterprise_center"},
            klass={"teachers": teachers(teacher_count, certified)},
        )
        assert fires("CLS-ENTERPRISE-CENTER", doc) is fires_

    @pytest.mark.parametrize("missing", ["has_site", "has_facilities"])
    def test_it_needs_a_site_and_facilities(self, missing: str) -> None:
        doc = document(institution={"kind": "enterprise_center", missing: False})
        assert fires("CLS-ENTERPRISE-CENTER", doc)

    def test_other_institutions_are_not_held_to_it(self) -> None:
        assert not fires(
            "CLS-ENTERPRISE-CENTER", document(institution={"has_site": False}, klass={"teachers": teachers(2, 0)})
        )


ENTERPRISE = {"uscc": "91411000MA44XXXXXX", "name": "许昌某机械有限公司"}


def apprenticeship(trainees: int, *, per_enterprise: int = 0, this_year: int = 0, academic: bool = False) -> dict:
    return document(
        trainees=trainees,
        institution={"academic_education": academic},
        klass={
            "training_type": "apprenticeship",
            "enterprise": ENTERPRISE,
            "teachers": teachers(4),
            "apprentices_before": {"institution_this_year": this_year, "same_enterprise_occupation": per_enterprise},
        },
    )


@pytest.mark.parametrize(("before", "fires_"), [(190, False), (191, True), (0, False)])
def test_apprentices_per_enterprise_and_occupation_at_most_200(before: int, fires_: bool) -> None:
    assert fires("CLS-APPRENTICE-ENTERPRISE", apprenticeship(10, per_enterprise=before)) is fires_


@pytest.mark.parametrize(
    ("academic", "before", "fires_"),
    [(True, 990, False), (True, 991, True), (False, 390, False), (False, 391, True)],
)
def test_apprentices_per_institution_year_1000_academic_else_400(academic: bool, before: int, fires_: bool) -> None:
    assert fires("CLS-APPRENTICE-ANNUAL", apprenticeship(10, this_year=before, academic=academic)) is fires_


def test_apprentice_limits_apply_only_to_apprenticeship_classes() -> None:
    doc = document(klass={"apprentices_before": {"institution_this_year": 5000, "same_enterprise_occupation": 5000}})
    assert check(doc).findings == ()


def test_trainees_entries_count_duplicates_towards_class_size() -> None:
    roster = [person(i + 1) for i in range(80)] + [person(1)]
    assert fires("CLS-SIZE", document(trainees=roster, klass={"teachers": teachers(5)}))
