"""The training ledger (台账, ASM-LEDGER): entered once by the class's clerk after the class ends;
day 15 after the end is in time, day 16 is late (accepted, the finding kept in the audit log)."""

from __future__ import annotations

import datetime as dt

import pytest

from jineng.assessment.models import LedgerEntry
from jineng.assessment.selectors import ledger_overdue, ledger_view
from jineng.assessment.services import ResultInput, ledger_enter, results_record
from jineng.audit.models import AuditEvent
from jineng.classes.errors import InvalidTransition, NotPermitted
from jineng.testing import Cast

from .scenes import END, ended, file, passed, ready, roster

pytestmark = pytest.mark.django_db

DAY_15 = END + dt.timedelta(days=15)
DAY_16 = END + dt.timedelta(days=16)


def test_a_ledger_entered_on_day_fifteen_is_in_time(people: Cast) -> None:
    cls = ended(people)
    entry = ledger_enter(cls=cls, actor=people.alice, notes="按时录入", today=DAY_15)
    assert (entry.entered_on, entry.trainees, entry.certified, entry.notes) == (DAY_15, 3, 0, "按时录入")
    event = AuditEvent.objects.get(event="assessment.ledger_enter")
    assert "ASM-LEDGER" not in event.note
    assert ledger_view(cls, DAY_16).finding is None  # entered in time stays in time


def test_a_ledger_entered_on_day_sixteen_is_accepted_and_recorded_as_late(people: Cast) -> None:
    cls = ended(people)
    ledger_enter(cls=cls, actor=people.alice, today=DAY_16)
    event = AuditEvent.objects.get(event="assessment.ledger_enter")
    assert event.note.startswith("ASM-LEDGER：") and "逾期 1 天" in event.note
    view = ledger_view(cls, DAY_16)
    assert view.overdue and view.finding is not None and view.finding.values["overdue_days"] == 1


def test_the_ledger_counts_the_roster_and_the_certificates(people: Cast) -> None:
    cls = ended(people)
    plan = file(people, cls)
    a, b, c = roster(cls)
    results_record(
        plan=plan, actor=people.eve, results=[passed(a, "L-1"), passed(b, "L-2"), ResultInput(c.pk, "absent")]
    )
    entry = ledger_enter(cls=cls, actor=people.alice, today=DAY_15)
    assert (entry.trainees, entry.certified) == (3, 2)


def test_the_ledger_is_entered_once(people: Cast) -> None:
    cls = ended(people)
    ledger_enter(cls=cls, actor=people.alice, today=DAY_15)
    with pytest.raises(InvalidTransition, match="已于"):
        ledger_enter(cls=cls, actor=people.alice, today=DAY_16)
    assert LedgerEntry.objects.count() == 1


def test_the_ledger_waits_for_the_end_of_the_class(people: Cast) -> None:
    with pytest.raises(InvalidTransition, match="结业后"):
        ledger_enter(cls=ready(people), actor=people.alice, today=DAY_15)


@pytest.mark.parametrize("who", ["bob", "eve", "hana1", "city"])
def test_only_the_classes_own_clerk_enters_the_ledger(people: Cast, who: str) -> None:
    with pytest.raises(NotPermitted):
        ledger_enter(cls=ended(people), actor=getattr(people, who), today=DAY_15)


def test_ledgers_past_due_are_listed_in_scope(people: Cast) -> None:
    late, on_time = ended(people), ended(people, first=10)
    ledger_enter(cls=on_time, actor=people.alice, today=DAY_15)
    assert ledger_overdue(people.hana1, DAY_15) == []
    [row] = ledger_overdue(people.hana1, DAY_16)
    assert row.cls == late and row.due == DAY_15 and row.finding.rule == "ASM-LEDGER"
    assert ledger_overdue(people.carol, DAY_16) == [] and ledger_overdue(people.erin, DAY_16) == []
