"""Importing a roster: all rows or none, persons stored once, the change audited."""

from __future__ import annotations

import datetime as dt

import pytest

from jineng.audit.models import AuditEvent
from jineng.classes.errors import NotPermitted, RosterInvalid
from jineng.classes.services import class_create, roster_import
from jineng.classes.tests.test_roster_io import row, xlsx
from jineng.registry.models import Person
from jineng.testing import Cast, class_input, make_ric


def ids(n: int) -> list[str]:
    return [make_ric("411081", dt.date(1995, 1, 1) + dt.timedelta(days=i), i) for i in range(n)]


def test_a_good_file_replaces_the_roster_and_is_audited(people: Cast) -> None:
    cls = class_create(actor=people.alice, data=class_input())
    data = xlsx([row(姓名=f"学员{i}", 身份证号=n) for i, n in enumerate(ids(3))])
    cls = roster_import(cls=cls, actor=people.alice, expected_version=cls.version, content=data, filename="a.xlsx")
    assert list(cls.enrollments.values_list("row", flat=True)) == [1, 2, 3]
    assert Person.objects.filter(accounts=None).count() == 3  # wendy's own record aside
    event = AuditEvent.objects.filter(event="roster.import").get()
    assert event.changes == {"trainees": [0, 3]} and "a.xlsx" in event.note


def test_bad_rows_and_duplicates_import_nothing_and_are_all_reported(people: Cast) -> None:
    cls = class_create(actor=people.alice, data=class_input())
    first = ids(2)
    data = xlsx([row(身份证号=first[0]), row(身份证号=first[1], 人员类别="?"), row(身份证号=first[0].lower())])
    with pytest.raises(RosterInvalid) as refused:
        roster_import(cls=cls, actor=people.alice, expected_version=cls.version, content=data, filename="b.xlsx")
    assert [f["path"] for f in refused.value.fields] == ["第3行 人员类别", "第4行 身份证号"]
    assert "与第 2 行重复" in refused.value.fields[1]["message"]
    assert not cls.enrollments.exists() and not Person.objects.filter(accounts=None).exists()


def test_an_id_registered_under_another_name_is_refused_without_revealing_it(people: Cast) -> None:
    number = ids(1)[0]
    Person.objects.create(id_number=number, name="张三")
    cls = class_create(actor=people.alice, data=class_input())
    with pytest.raises(RosterInvalid) as refused:
        roster_import(
            cls=cls,
            actor=people.alice,
            expected_version=cls.version,
            content=xlsx([row(身份证号=number)]),
            filename="c.xlsx",
        )
    assert "张三" not in refused.value.fields[0]["message"]


def test_another_institutions_clerk_cannot_import(people: Cast) -> None:
    cls = class_create(actor=people.alice, data=class_input())
    with pytest.raises(NotPermitted):
        roster_import(cls=cls, actor=people.bob, expected_version=cls.version, content=xlsx([row()]), filename="d.xlsx")


def test_an_id_too_long_to_be_a_resident_id_is_a_row_error(people: Cast) -> None:
    cls = class_create(actor=people.alice, data=class_input())
    data = xlsx([row(身份证号=ids(1)[0] + "12")])
    with pytest.raises(RosterInvalid) as refused:
        roster_import(cls=cls, actor=people.alice, expected_version=cls.version, content=data, filename="e.xlsx")
    assert refused.value.fields[0]["path"] == "第2行 身份证号" and "18 位" in refused.value.fields[0]["message"]
