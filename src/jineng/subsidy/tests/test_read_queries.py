"""A paid claim's page reads its clawbacks in one statement, whatever the number of payments
(bench/load.py: the claim detail issued one statement per payment line before)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jineng.subsidy.models import Clawback, PaymentLine, SubsidyClaim
from jineng.testing import Cast

from .test_api import approved, as_, cls, draft, in_notice, paid, send  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def test_the_claim_reads_every_payments_clawbacks_in_one_statement_in_date_order(people: Cast, paid: SubsidyClaim):  # noqa: F811
    payments = list(PaymentLine.objects.filter(disbursement__claim=paid).order_by("line__row"))
    assert len(payments) >= 2
    for payment, days in ((payments[0], (9, 3)), (payments[1], (5,))):
        for i, day in enumerate(days):
            Clawback.objects.create(
                payment=payment,
                amount="10.00",
                rule="SUP-FACE-CHECKIN",
                reason="复查发现代签到",
                reference=f"SJ2024{payment.pk:03d}{i}",
                decided_on=dt.date(2024, 3, day),
                recorded_by=people.hana1,
                recorded_at=timezone.now(),
            )
    client = as_(people, "finance")
    with CaptureQueriesContext(connection) as queries:
        detail = send(client, "get", f"/claims/{paid.pk}")
    assert detail.status_code == 200
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "subsidy_clawback"' in q["sql"]]
    assert len(reads) == 1
    first, second = detail.data["payments"][0], detail.data["payments"][1]
    assert [c["decided_on"] for c in first["clawbacks"]] == ["2024-03-03", "2024-03-09"]
    assert first["recovered"] == "20.00" and [c["decided_on"] for c in second["clawbacks"]] == ["2024-03-05"]
    assert all(c["recorded_by"] for c in first["clawbacks"])
