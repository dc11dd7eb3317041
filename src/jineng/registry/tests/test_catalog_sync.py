"""Catalogs loaded from shipped data: idempotent, complete, in step with the plan."""

from __future__ import annotations

import pytest

from jineng.classes.models import SpecialAction
from jineng.plan.loader import load_plan
from jineng.registry.models import Occupation, OrgUnit
from jineng.registry.services import occupations_sync, org_units_sync

pytestmark = pytest.mark.django_db


def test_org_units_are_the_city_the_ten_areas_and_the_28_departments_once() -> None:
    org_units_sync()
    org_units_sync()
    assert OrgUnit.objects.filter(kind=OrgUnit.Kind.CITY).count() == 1
    assert OrgUnit.objects.filter(kind=OrgUnit.Kind.AREA).count() == 10
    assert OrgUnit.objects.filter(kind=OrgUnit.Kind.DEPARTMENT).count() == 28
    assert OrgUnit.objects.get(key="area-yuzhou").region_code == "411081"


def test_occupations_load_once_with_at_least_eighty_real_entries() -> None:
    first = occupations_sync()
    again = occupations_sync()
    assert first["created"] == first["total"] >= 80
    assert again["created"] == 0 and again["total"] == first["total"]
    lathe = Occupation.objects.get(code="6-18-01-01")
    assert (lathe.name, lathe.class_code, lathe.manufacturing) == ("车工", "6-18-01", True)
    assert not Occupation.objects.get(name="养老护理员").manufacturing


def test_special_action_choices_are_the_plans_ten_actions() -> None:
    assert [(a.number, a.name) for a in load_plan().actions] == [(c.value, c.label) for c in SpecialAction]
