"""The scene of the API and page tests.

禹州 HR (hana1) issued vouchers to person(0), person(1) and wendy, who are all on alice's class;
alice redeemed person(0)'s; 长葛 HR (carol) issued one to a 长葛 worker. The clock is at enrolment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from jineng.classes.models import TrainingClass
from jineng.registry.models import Person
from jineng.supervision.tests.scenes import in_training
from jineng.testing import Cast, enroll, make_ric, person

from ..models import VoucherBatch
from ..services import voucher_redeem
from .builders import ENROL_DAY, entry, freeze, issue_to, voucher_of, wendy_of


@dataclass
class Scene:
    cls: TrainingClass
    yuzhou: VoucherBatch
    changge: VoucherBatch
    changge_holder: Person


@pytest.fixture
def scene(people: Cast, monkeypatch: pytest.MonkeyPatch) -> Scene:
    cls = in_training(people, trainees=3)
    enroll(cls, [wendy_of(people)])
    yuzhou = issue_to(people.hana1, [person(0), person(1), wendy_of(people)])
    holder = Person.objects.create(id_number=make_ric("411082", dt.date(1997, 7, 7), 3), name="长葛人")
    changge = issue_to(people.carol, [holder])
    freeze(monkeypatch, ENROL_DAY)
    voucher_redeem(actor=people.alice, code=voucher_of(person(0)).code, enrollment_id=entry(cls, person(0)).pk)
    return Scene(cls, yuzhou, changge, holder)
