"""Builders for the subsidy tests: an ended class of alice's whose trainees trained, were assessed
and certified — the state a claim starts from — and a walk of a claim along its path.

Training and assessment are written directly (their own services are tested in their apps);
the claim itself only ever moves through the subsidy services.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from jineng.assessment.models import AssessmentPlan, AssessmentResult, CertificateRecord
from jineng.classes.models import ClassState, Enrollment, TrainingClass
from jineng.subsidy.models import SubsidyClaim
from jineng.subsidy.services import (
    ClaimInput,
    DisbursementInput,
    claim_create,
    claim_publish,
    claim_review,
    claim_submit,
)
from jineng.supervision.tests.scenes import everyone_present, in_training, roster, with_timetable
from jineng.testing import Cast

ASSESSED_ON = dt.date(2023, 5, 29)
CLAIM = ClaimInput(
    contact="王爱丽",
    phone="13800000001",
    bank_name="中国银行禹州支行",
    bank_account="6222020200012345678",
    committed=True,
)


def ended_class(people: Cast, *, trainees: int = 3, first: int = 0, **overrides: Any) -> TrainingClass:
    """alice's class, trained (everyone checked in for every hour) and ended."""
    cls = in_training(people, trainees=trainees, first=first, **overrides)
    hours = with_timetable(people, cls)
    everyone_present(cls, hours)
    TrainingClass.objects.filter(pk=cls.pk).update(state=ClassState.ENDED, state_since=timezone.now())
    cls.refresh_from_db()
    return cls


def certify(
    people: Cast,
    cls: TrainingClass,
    enrollments: list[Enrollment] | None = None,
    *,
    outcome: str = "passed",
    level: int | None = 4,
    kind: str | None = None,
) -> list[CertificateRecord]:
    """Record results (and, when passed, certificates) for `enrollments` (default: the whole roster)."""
    plan = AssessmentPlan.objects.filter(classes=cls).first()
    if plan is None:
        plan = AssessmentPlan.objects.create(
            code=f"KH-T-{cls.pk}",
            evaluation_body=people.evaluation_body,
            certificate=cls.certificate,
            occupation=cls.occupation,
            level=cls.level,
            area=cls.area,
            scheduled_on=ASSESSED_ON,
            place="禹州市实训基地",
            filed_by=people.eve,
            filed_at=timezone.now(),
        )
        plan.classes.add(cls)
    made = []
    for e in enrollments if enrollments is not None else roster(cls):
        AssessmentResult.objects.update_or_create(
            enrollment=e,
            defaults={"plan": plan, "outcome": outcome, "recorded_by": people.eve, "recorded_at": timezone.now()},
        )
        if outcome != "absent":
            Enrollment.objects.filter(pk=e.pk).update(assessed_on=ASSESSED_ON)
        if outcome == "passed":
            made.append(
                CertificateRecord.objects.create(
                    person_id=e.person_id,
                    enrollment=e,
                    kind=kind or cls.certificate,
                    occupation=cls.occupation,
                    level=level,
                    number=f"S{cls.pk:05d}{e.row:03d}{e.person_id:06d}",
                    issued_on=ASSESSED_ON + dt.timedelta(days=10),
                    issuer=people.evaluation_body.name,
                    recorded_by=people.eve,
                )
            )
    return made


def claimed(people: Cast, cls: TrainingClass) -> SubsidyClaim:
    claim, _ = claim_create(cls=cls, actor=people.alice, data=CLAIM)
    return claim


def _v(claim: SubsidyClaim) -> int:
    claim.refresh_from_db()
    return claim.version


def through_review(people: Cast, claim: SubsidyClaim, *, accepted_on: dt.date = dt.date(2023, 6, 5)) -> SubsidyClaim:
    """Submitted by alice, accepted and signed by dan1/dan2 (市工信局), signed by hana1/hana2 (禹州 HR)."""
    claim_submit(claim=claim, actor=people.alice, expected_version=_v(claim))
    claim_review(claim=claim, actor=people.dan1, action="accept", expected_version=_v(claim), today=accepted_on)
    for actor, action in (
        (people.dan1, "dept_first"),
        (people.dan2, "dept_second"),
        (people.hana1, "hr_first"),
        (people.hana2, "hr_second"),
    ):
        claim_review(claim=claim, actor=actor, action=action, expected_version=_v(claim), opinion="同意")
    claim.refresh_from_db()
    return claim


def noticed(people: Cast, claim: SubsidyClaim, *, published_on: dt.date = dt.date(2023, 9, 27)) -> SubsidyClaim:
    claim_publish(
        claim=claim,
        actor=people.hana1,
        expected_version=_v(claim),
        published_on=published_on,
        site="禹州市人力资源和社会保障局官网",
        today=published_on,
    )
    claim.refresh_from_db()
    return claim


def payment_for(claim: SubsidyClaim, *, reference: str = "BOC20231020001") -> DisbursementInput:
    claim.refresh_from_db()
    return DisbursementInput(
        amount=claim.amount, paid_on=dt.date(2023, 10, 20), bank_reference=reference, fund_source="employment_fund"
    )
