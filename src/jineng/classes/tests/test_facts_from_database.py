"""Facts gathered from the database give the same findings a document would (contract semantics)."""

from __future__ import annotations

import datetime as dt

import pytest

from jineng.classes.selectors import class_facts_dict
from jineng.classes.services import TeacherInput, check_class, class_create, class_set_teachers
from jineng.registry.models import AuditProblem, BlacklistEntry, Institution
from jineng.testing import Cast, class_input, enroll, institution, make_uscc, person, unit

D = dt.date


def draft(people: Cast):
    cls = class_create(actor=people.alice, data=class_input())
    cls = class_set_teachers(
        cls=cls,
        actor=people.alice,
        expected_version=cls.version,
        teachers=[TeacherInput("甲", True), TeacherInput("乙", True)],
    )
    enroll(cls, [person(i) for i in range(10)])
    return cls


def rules(cls) -> list[str]:
    fresh = type(cls).objects.get(pk=cls.pk)  # as a service would read it, nothing cached
    return [f.rule for f in check_class(fresh).findings]


def test_a_clean_class_has_no_findings_and_the_documents_shape(people: Cast) -> None:
    cls = draft(people)
    facts = class_facts_dict(cls)
    assert facts["class"]["county"] == "411081" and facts["institution"]["listed_specialties"] == [
        {"occupation": "6-18-01-01", "from": D(2022, 6, 1)}
    ]
    assert rules(cls) == []


@pytest.mark.parametrize(
    ("found_on", "barred"), [(D(2021, 12, 31), False), (D(2022, 1, 1), True), (D(2023, 5, 9), False)]
)
def test_an_obvious_problem_bars_from_2022_01_01_up_to_the_check_date(
    people: Cast, found_on: dt.date, barred: bool
) -> None:
    cls = draft(people)
    AuditProblem.objects.create(
        institution=people.yuzhou_school, source="audit", found_on=found_on, description="虚报人数"
    )
    assert ("CLS-INSTITUTION-BARRED" in rules(cls)) is barred


@pytest.mark.parametrize(("lifted_on", "barred"), [(None, True), (D(2023, 5, 1), False), (D(2023, 6, 1), True)])
def test_a_blacklist_entry_bars_while_in_force(people: Cast, lifted_on: dt.date | None, barred: bool) -> None:
    cls = draft(people)
    BlacklistEntry.objects.create(
        institution=people.yuzhou_school,
        reason="套取补贴",
        listed_on=D(2023, 1, 1),
        listed_by=people.city,
        lifted_on=lifted_on,
    )
    assert ("CLS-INSTITUTION-BARRED" in rules(cls)) is barred


def test_an_institution_from_another_city_is_refused_where_a_local_one_offers_the_occupation(people: Cast) -> None:
    cls = draft(people)
    Institution.objects.filter(pk=people.yuzhou_school.pk).update(home_city="410100")
    assert "CLS-CROSS-CITY" in rules(cls)  # 长葛's school is local and catalogued for 车工
    BlacklistEntry.objects.create(
        institution=people.changge_school, reason="x", listed_on=D(2023, 1, 1), listed_by=people.city
    )
    assert "CLS-CROSS-CITY" not in rules(cls)  # the only local alternative is barred


def test_a_specialty_added_after_the_start_is_not_listed(people: Cast) -> None:
    late = institution(
        "许昌新设培训学校", area_key="area-yuzhou", seed=9, occupations=[people.lathe], since=D(2023, 6, 1)
    )
    assert late.uscc == make_uscc(9)
    people.alice.institution = late
    people.alice.save()
    cls = draft(people)
    assert rules(cls) == ["CLS-INSTITUTION-LISTED"]
    assert cls.area == unit("area-yuzhou")


def test_questionnaires_stored_as_json_reach_the_rules(people: Cast) -> None:
    cls = draft(people)
    enroll(
        cls,
        [person(100)],
        questionnaire={"training_intent": False, "employment_intent": True, "employment_ability": True},
    )
    enroll(cls, [person(101)], questionnaire=None)
    assert rules(cls) == ["TRN-INTENT", "CLS-SURVEY"]


def past_class(people: Cast, code: str, *, start: dt.date, state: str = "approved", subsidised: bool = True):
    from jineng.classes.models import TrainingClass

    return TrainingClass.objects.create(
        code=code,
        name=f"往期班 {code}",
        institution=people.changge_school,
        occupation=people.lathe,
        training_type="employment",
        certificate="skill_level",
        subsidised=subsidised,
        lead_department=unit("dept-mii"),
        area=unit("area-changge"),
        start=start,
        end=start + dt.timedelta(days=20),
        created_by=people.bob,
        state=state,
    )


def test_each_trainee_carries_their_counted_trainings_at_every_institution_in_roster_order(people: Cast) -> None:
    cls = draft(people)  # 2023-05-08 … 2023-05-26, ten trainees person(0) … person(9)
    first, second = person(0), person(1)
    later = past_class(people, "P-2022B", start=D(2022, 9, 1), subsidised=False)
    earlier = past_class(people, "P-2021", start=D(2021, 3, 1))
    not_counted = [
        past_class(people, "P-DRAFT", start=D(2022, 1, 1), state="draft"),
        past_class(people, "P-RETURNED", start=D(2022, 2, 1), state="returned"),
        past_class(people, "P-AFTER", start=D(2023, 5, 27)),  # starts after this class ends
    ]
    for past in [later, earlier, *not_counted]:
        enroll(past, [first])
    enroll(earlier, [second])
    earlier.enrollments.filter(person=first).update(assessed_on=D(2021, 4, 1))

    trainees = class_facts_dict(cls)["trainees"]

    assert [t["id_number"] for t in trainees] == [person(i).id_number for i in range(10)]
    assert trainees[0]["previous_trainings"] == [
        {"class_id": "P-2021", "subsidised": True, "end": D(2021, 3, 21), "assessed_on": D(2021, 4, 1)},
        {"class_id": "P-2022B", "subsidised": False, "end": D(2022, 9, 21), "assessed_on": None},
    ]
    assert trainees[1]["previous_trainings"] == [
        {"class_id": "P-2021", "subsidised": True, "end": D(2021, 3, 21), "assessed_on": None}
    ]
    assert all(t["previous_trainings"] == [] for t in trainees[2:])
    assert trainees[0]["questionnaire"] == {
        "training_intent": True,
        "employment_intent": True,
        "employment_ability": True,
    }
    assert trainees[0]["student"] is None


def test_checking_a_class_takes_the_same_number_of_queries_however_long_its_roster(
    people: Cast, django_assert_num_queries
) -> None:
    small, large = draft(people), draft(people)
    enroll(large, [person(i) for i in range(200, 270)])
    past = past_class(people, "P-2022", start=D(2022, 3, 1))
    enroll(past, [person(i) for i in range(200, 270)])
    for cls in (small, large):
        with django_assert_num_queries(4):  # context, specialties, teachers, roster with histories
            assert check_class(cls).decision in ("approve", "block")
