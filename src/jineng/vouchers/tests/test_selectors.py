"""The voucher selectors the other apps read: the voucher of a roster entry, and each role's scope."""

from __future__ import annotations

import pytest

from jineng.testing import Cast, person

from ..models import VoucherState
from ..selectors import voucher_for_enrollment, voucher_target, vouchers_for
from .builders import entry, voucher_of, wendy_of
from .conftest import Scene

pytestmark = pytest.mark.django_db


def test_the_voucher_of_a_roster_entry_is_the_one_redeemed_on_it(people: Cast, scene: Scene) -> None:
    found = voucher_for_enrollment(entry(scene.cls, person(0)).pk)
    assert found is not None and found == voucher_of(person(0)) and found.state == VoucherState.REDEEMED
    assert voucher_for_enrollment(entry(scene.cls, person(1)).pk) is None  # holds one, not used here
    assert voucher_for_enrollment(entry(scene.cls, wendy_of(people)).pk) is None


def test_each_role_reads_its_own_slice(people: Cast, scene: Scene) -> None:
    assert vouchers_for(people.hana1).count() == 3 and vouchers_for(people.city).count() == 4
    assert list(vouchers_for(people.carol)) == [voucher_of(scene.changge_holder)]
    assert list(vouchers_for(people.wendy)) == [voucher_of(wendy_of(people))]
    assert list(vouchers_for(people.alice)) == [voucher_of(person(0))]
    for who in (people.bob, people.leader, people.dan1, people.erin, people.finance, people.sam, people.audrey):
        assert not vouchers_for(who).exists(), who.username
    people.hana1.is_active = False
    assert not vouchers_for(people.hana1).exists()


def test_the_target_counts_the_year_by_issue_date_and_used_as_valued(people: Cast, scene: Scene) -> None:
    figures = voucher_target(people.leader, 2023)
    assert figures is not None and (figures.issued, figures.used) == (4, 0)
    assert figures.finding is not None and figures.finding.values["met"] is False
    none = voucher_target(people.leader, 2030)
    assert none is not None and none.issued == 0 and none.finding is None  # no policy covers 2030
    assert voucher_target(people.wendy, 2023) is None and voucher_target(people.alice, 2023) is None
