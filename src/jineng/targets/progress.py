"""Progress facts of a plan year from the records, set-based (the IND-* definitions of RULES.md H).

`progress_refresh(year=…)` rebuilds `ProgressFact` for the year in one transaction with three
grouped statements, whatever the number of enrollments:

- **Trainings** (IND-TRAINING, IND-APPRENTICE, IND-MANUFACTURING-SHARE): every roster entry of a
  class approved in the system (approved or ended) counts once, on the class's end date (a training
  is done when the class ends), for the class's area, lead department and special action; of
  which subsidised, subsidised in a manufacturing occupation, and new-apprenticeship classes.
- **Certificates** (IND-NEW-SKILLED, IND-NEW-HIGH-SKILLED, IND-TECHNICIAN, SUB-CERT-SHARE):
  certificates issued in the year, attributed through their training to its area, department and
  action (a certificate without a training in the system counts for the city only). Over each
  person's 职业资格/职业技能等级 certificates in date order (all years): *new skilled* is the
  person's first such certificate; *new high-skilled* a certificate at level 3 (高级工) or above
  better than every earlier one; *technician* the same at level 2 (技师) or above. A person counts
  at most once per measure in a year (their first qualifying certificate). So someone with no
  earlier certificate who goes straight to 高级工 counts as new skilled and new high-skilled (附件2
  备注2), and someone who goes from 高级工 to 技师 counts as new high-skilled and technician only.
- **Vouchers** (VCH-TARGET / IND-VOUCHERS): issued on their issue date for the issuing unit's area;
  effectively used when valued with a certificate.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from jineng.assessment.models import CertificateRecord
from jineng.classes.models import COUNTED_STATES, Enrollment, TrainingClass
from jineng.registry.models import Occupation, OrgUnit
from jineng.vouchers.models import Voucher, VoucherBatch

from .models import Measure, ProgressFact, ProgressRefresh

GRADED = ("vocational_qualification", "skill_level")
LOW = ("special_capability", "training_qualified")


@dataclass(frozen=True)
class RefreshResult:
    year: int
    rows: int
    seconds: float


def _t(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _training_sql() -> str:
    return f"""
        SELECT c."end", c.area_id, c.lead_department_id, c.special_action,
               COUNT(*),
               SUM(CASE WHEN c.subsidised THEN 1 ELSE 0 END),
               SUM(CASE WHEN c.subsidised AND o.manufacturing THEN 1 ELSE 0 END),
               SUM(CASE WHEN c.training_type = 'apprenticeship' THEN 1 ELSE 0 END)
        FROM {_t(Enrollment)} e
        JOIN {_t(TrainingClass)} c ON c.id = e.training_class_id
        JOIN {_t(Occupation)} o ON o.id = c.occupation_id
        WHERE c.state IN ({", ".join(["%s"] * len(COUNTED_STATES))}) AND c."end" BETWEEN %s AND %s
        GROUP BY c."end", c.area_id, c.lead_department_id, c.special_action
    """


def _certificates_cte() -> str:
    """`counted`: one row per certificate issued in [year start, as-of] with its flags (1/0):
    certificates, low, new_skilled, new_high, technicians. Parameters: graded kinds ×2, year end,
    year start ×2, low kinds ×2, year start, as-of day.

    Every flag comes from running window aggregates over each person's certificates in date order,
    in passes over one relation and never a join back onto it (SQLite would scan such a join
    without an index, quadratically)."""
    # best_before: the person's best (lowest-numbered) graded level before this certificate; a
    # level counts as new only when it beats it. *_upto: how many such rows so far, so the first
    # one in the year is the one that counts (a person counts once per measure and year).
    return f"""
        WITH ordered AS (
            SELECT cr.id, cr.person_id, cr.issued_on, cr.level, cr.kind, cr.enrollment_id,
                   CASE WHEN cr.kind IN (%s, %s) THEN 1 ELSE 0 END AS graded,
                   MIN(CASE WHEN cr.kind IN (%s, %s) THEN cr.level END) OVER w_before AS best_before,
                   SUM(CASE WHEN cr.kind IN (%s, %s) THEN 1 ELSE 0 END) OVER w_upto AS graded_upto
            FROM {_t(CertificateRecord)} cr
            WHERE cr.issued_on <= %s
            WINDOW w_before AS (PARTITION BY cr.person_id ORDER BY cr.issued_on, cr.id
                                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
                   w_upto AS (PARTITION BY cr.person_id ORDER BY cr.issued_on, cr.id ROWS UNBOUNDED PRECEDING)
        ),
        flagged AS (
            SELECT o.*,
                   CASE WHEN o.graded = 1 AND o.graded_upto = 1 THEN 1 ELSE 0 END AS first_graded,
                   CASE WHEN o.graded = 1 AND o.issued_on >= %s AND o.level <= 3
                             AND (o.best_before IS NULL OR o.level < o.best_before) THEN 1 ELSE 0 END AS high,
                   CASE WHEN o.graded = 1 AND o.issued_on >= %s AND o.level <= 2
                             AND (o.best_before IS NULL OR o.level < o.best_before) THEN 1 ELSE 0 END AS tech
            FROM ordered o
        ),
        numbered AS (
            SELECT f.*,
                   SUM(f.high) OVER w AS high_upto,
                   SUM(f.tech) OVER w AS tech_upto
            FROM flagged f
            WINDOW w AS (PARTITION BY f.person_id ORDER BY f.issued_on, f.id ROWS UNBOUNDED PRECEDING)
        ),
        counted AS (
            SELECT n.issued_on AS day, n.enrollment_id,
                   1 AS certificates,
                   CASE WHEN n.kind IN (%s, %s) THEN 1 ELSE 0 END AS low,
                   n.first_graded AS new_skilled,
                   CASE WHEN n.high = 1 AND n.high_upto = 1 THEN 1 ELSE 0 END AS new_high,
                   CASE WHEN n.tech = 1 AND n.tech_upto = 1 THEN 1 ELSE 0 END AS technicians
            FROM numbered n
            WHERE n.issued_on BETWEEN %s AND %s
        )
    """


def _certificate_params(year: int, as_of: dt.date) -> list[Any]:
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return [*GRADED, *GRADED, *GRADED, last, first, first, *LOW, first, min(as_of, last)]


def _certificate_sql() -> str:
    return (
        _certificates_cte()
        + f"""
        SELECT k.day, c.area_id, c.lead_department_id, c.special_action,
               SUM(k.certificates), SUM(k.low), SUM(k.new_skilled), SUM(k.new_high), SUM(k.technicians)
        FROM counted k
        LEFT JOIN {_t(Enrollment)} e ON e.id = k.enrollment_id
        LEFT JOIN {_t(TrainingClass)} c ON c.id = e.training_class_id
        GROUP BY k.day, c.area_id, c.lead_department_id, c.special_action
    """
    )


CERTIFICATE_COLUMNS = {
    "certificates": "certificates",
    "certificates_low": "low",
    "new_skilled": "new_skilled",
    "new_high_skilled": "new_high",
    "technicians": "technicians",
}


def certificate_counts_by_class(
    *, year: int, as_of: dt.date, measure: str, classes: tuple[str, Sequence[Any]]
) -> dict[int, int]:
    """For a drill-down: how many of a certificate measure each class contributes up to `as_of`,
    by exactly the definitions the facts are built with. `classes` is the SQL selecting the ids of
    the classes in the reader's view (and its parameters); only their trainees' histories are read."""
    column = CERTIFICATE_COLUMNS[measure]
    class_sql, class_params = classes
    cte = _certificates_cte().replace(
        "WHERE cr.issued_on <= %s",
        f"""WHERE cr.issued_on <= %s
              AND cr.person_id IN (SELECT e0.person_id FROM {_t(Enrollment)} e0
                                   WHERE e0.training_class_id IN ({class_sql}))""",
    )
    params = _certificate_params(year, as_of)
    params[7:7] = list(class_params)  # after the kinds and the year end: the person filter's own
    sql = (
        cte
        + f"""
        SELECT e.training_class_id, SUM(k.{column})
        FROM counted k JOIN {_t(Enrollment)} e ON e.id = k.enrollment_id
        WHERE e.training_class_id IN ({class_sql})
        GROUP BY e.training_class_id HAVING SUM(k.{column}) > 0
    """
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *list(class_params)])
        return {int(class_id): int(count) for class_id, count in cursor.fetchall()}


def _voucher_sql() -> str:
    # The issuing unit's area (a city-level unit issues for the city: no area).
    return f"""
        SELECT v.issued_on, CASE WHEN u.kind = 'area' THEN u.id END, COUNT(*), 'issued'
        FROM {_t(Voucher)} v
        JOIN {_t(VoucherBatch)} b ON b.id = v.batch_id
        JOIN {_t(OrgUnit)} u ON u.id = b.org_id
        WHERE v.issued_on BETWEEN %s AND %s
        GROUP BY v.issued_on, CASE WHEN u.kind = 'area' THEN u.id END
        UNION ALL
        SELECT cr.issued_on, CASE WHEN u.kind = 'area' THEN u.id END, COUNT(*), 'used'
        FROM {_t(Voucher)} v
        JOIN {_t(VoucherBatch)} b ON b.id = v.batch_id
        JOIN {_t(OrgUnit)} u ON u.id = b.org_id
        JOIN {_t(CertificateRecord)} cr ON cr.id = v.certificate_id
        WHERE v.value IS NOT NULL AND cr.issued_on BETWEEN %s AND %s
        GROUP BY cr.issued_on, CASE WHEN u.kind = 'area' THEN u.id END
    """


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def facts_of_year(year: int) -> list[ProgressFact]:
    """The year's facts as unsaved rows (what `progress_refresh` writes)."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    facts: list[ProgressFact] = []

    def add(day: Any, area: int | None, dept: int | None, action: int | None, measure: str, value: Any) -> None:
        if value:
            facts.append(
                ProgressFact(
                    year=year,
                    day=_day(day),
                    area_id=area,
                    department_id=dept,
                    action=action,
                    measure=measure,
                    value=int(value),
                )
            )

    with connection.cursor() as cursor:
        cursor.execute(_training_sql(), [*COUNTED_STATES, first, last])
        for day, area, dept, action, training, subsidised, mfg, apprentices in cursor.fetchall():
            add(day, area, dept, action, Measure.TRAINING, training)
            add(day, area, dept, action, Measure.SUBSIDISED, subsidised)
            add(day, area, dept, action, Measure.SUBSIDISED_MANUFACTURING, mfg)
            add(day, area, dept, action, Measure.APPRENTICES, apprentices)
        cursor.execute(_certificate_sql(), _certificate_params(year, last))
        for day, area, dept, action, certificates, low, new_skilled, new_high, technicians in cursor.fetchall():
            add(day, area, dept, action, Measure.CERTIFICATES, certificates)
            add(day, area, dept, action, Measure.CERTIFICATES_LOW, low)
            add(day, area, dept, action, Measure.NEW_SKILLED, new_skilled)
            add(day, area, dept, action, Measure.NEW_HIGH_SKILLED, new_high)
            add(day, area, dept, action, Measure.TECHNICIANS, technicians)
        cursor.execute(_voucher_sql(), [first, last, first, last])
        for day, area, count, kind in cursor.fetchall():
            add(day, area, None, None, Measure.VOUCHERS_ISSUED if kind == "issued" else Measure.VOUCHERS_USED, count)
    return facts


@transaction.atomic
def progress_refresh(*, year: int) -> RefreshResult:
    """Rebuild the year's facts. Readers see the old facts or the new ones, never a mix."""
    # Two refreshes of one year take turns on the year's row; otherwise both could insert their
    # facts after both deleted the old ones, and the year would be counted twice.
    try:
        with transaction.atomic():
            ProgressRefresh.objects.get_or_create(
                year=year, defaults={"refreshed_at": timezone.now(), "seconds": 0, "rows": 0}
            )
    except IntegrityError:  # created meanwhile by the other refresh: it exists now
        pass
    ProgressRefresh.objects.select_for_update().get(year=year)
    started = time.perf_counter()
    facts = facts_of_year(year)
    ProgressFact.objects.filter(year=year).delete()
    ProgressFact.objects.bulk_create(facts, batch_size=5000)
    if connection.vendor == "postgresql":
        # Fresh statistics, or the planner guesses a few thousand rows where there are hundreds of
        # thousands and the dashboards' sums pick a poor plan.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {_t(ProgressFact)}")
    seconds = time.perf_counter() - started
    ProgressRefresh.objects.update_or_create(
        year=year, defaults={"refreshed_at": timezone.now(), "seconds": seconds, "rows": len(facts)}
    )
    return RefreshResult(year=year, rows=len(facts), seconds=seconds)
