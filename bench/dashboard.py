"""Benchmark: the city overview over a province-scale year in PostgreSQL (issue 6).

Run:
  .venv/bin/python bench/dashboard.py [--runs 50 --seed 2023
                                       --database-url postgres://postgres@127.0.0.1:5432/jineng_bench_dashboard]

The first run creates a dedicated database, migrates it and loads a province-scale plan year with
the demo generator (`jineng.demo.scale.generate(scale="province")`: ~75,000 classes, ~3,000,000
enrollments, ~2.6 M persons, ~2.5 M certificates, 400,000 vouchers), which also loads the targets
and rebuilds the progress facts; later runs with the same seed reuse it (a meta table holds the
load's version). A city-level leader (Role.LEADER, org = the city) reads, and over --runs runs
(median and p95) we measure:

  real:      jineng.targets.selectors.city_overview(leader, year=2023, as_of=2023-06-30) — sums of
             the ProgressFact rows rebuilt by progress_refresh, plus the small registers;
  baseline:  the same figures from the base tables with plain GROUP BY statements written here:
             enrollments ⨝ classes ⨝ occupations for training / subsidised / manufacturing /
             apprentices by area × department × special action × month; certificates with window
             functions over each person's history for new skilled / new high-skilled / technicians
             (RULES.md H, IND-NEW-SKILLED, IND-NEW-HIGH-SKILLED incl. 附件2 备注2, IND-TECHNICIAN);
             vouchers by issuing area; the registers; the targets.

The baseline's figures are compared with the overview's (headline, every area, department and
action, the monthly series, the panel's counts) before timing, and any difference is printed.
Also printed: the time of progress_refresh(year=2023) on the same data.

Goal (issue 6): real median ≤ 200 ms; the ratio baseline/real is printed from the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from roster_check import _libpq, _server_url  # the benchmarks' shared PostgreSQL URL helpers

if TYPE_CHECKING:
    from jineng.accounts.models import User

GOAL_MS = 200.0
YEAR = 2023
AS_OF = dt.date(2023, 6, 30)
META_TABLE = "bench_dashboard_meta"
LOAD_VERSION = 2  # bump when the generated data changes shape (2: one certificate day per class)
SCALE = "province"

# The measures of ProgressFact (jineng.targets.models.Measure), as the baseline names its columns.
TRAINING_MEASURES = ("training", "subsidised", "subsidised_mfg", "apprentices")
CERTIFICATE_MEASURES = ("certificates", "certificates_low", "new_skilled", "new_high_skilled", "technicians")
VOUCHER_MEASURES = ("vouchers_issued", "vouchers_used")
INDICATORS = ("training", "subsidised", "new_skilled", "new_high_skilled", "technicians", "apprentices")


def say(message: str) -> None:
    print(message, flush=True)


# ── the database ──────────────────────────────────────────────────────────────────────────────


def prepare_database(url: str, seed: int) -> bool:
    """Create the database if needed; True when it already holds this load (scale, seed, version)."""
    import psycopg
    from psycopg import sql

    server, name = _server_url(url)
    with psycopg.connect(_libpq(server), autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
        if exists:
            with psycopg.connect(_libpq(url), autocommit=True) as conn:
                found = conn.execute("SELECT to_regclass(%s)", [META_TABLE]).fetchone()
                stored = None
                if found is not None and found[0] is not None:
                    stored = conn.execute(
                        sql.SQL("SELECT scale, seed, version FROM {}").format(sql.Identifier(META_TABLE))
                    ).fetchone()
            if stored is not None and tuple(stored) == (SCALE, seed, LOAD_VERSION):
                say(f"== 复用数据库 {name}（{SCALE} 规模，种子 {seed}）")
                return True
            say(f"== 数据库 {name} 的数据不同或未载入完成：删除后重建")
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        say(f"== 新建数据库 {name}")
    return False


def load(seed: int) -> None:
    from django.db import connection

    from jineng.demo.scale import generate, summary

    started = time.perf_counter()
    counts = generate(scale=SCALE, year=YEAR, seed=seed, out=sys.stdout)
    say(summary(counts).rstrip())
    say(f"   载入合计 {time.perf_counter() - started:.1f} s（含目标载入与进度汇总刷新）")
    with connection.cursor() as cursor:
        cursor.execute(
            f'CREATE TABLE IF NOT EXISTS "{META_TABLE}" (scale text, seed bigint, version int, loaded_at timestamptz)'
        )
        cursor.execute(f'DELETE FROM "{META_TABLE}"')
        cursor.execute(f'INSERT INTO "{META_TABLE}" VALUES (%s, %s, %s, now())', [SCALE, seed, LOAD_VERSION])


def leader() -> User:
    from django.contrib.auth.hashers import make_password

    from jineng.accounts.models import Role, User
    from jineng.registry.models import OrgUnit

    user, _ = User.objects.get_or_create(
        username="bench_leader",
        defaults={
            "role": Role.LEADER,
            "org": OrgUnit.objects.get(key="city"),
            "first_name": "基准测试领导",
            "password": make_password(None),
        },
    )
    return user


# ── the baseline: the same figures from the base tables ───────────────────────────────────────


def _tables() -> dict[str, str]:
    from django.db import connection

    from jineng.assessment.models import CertificateRecord
    from jineng.classes.models import Enrollment, TrainingClass
    from jineng.registry.models import Occupation, OrgUnit
    from jineng.targets.models import Competition, EvaluationFiling, PublicityReport, Target
    from jineng.vouchers.models import Voucher, VoucherBatch

    models: dict[str, Any] = {
        "enrollment": Enrollment,
        "class": TrainingClass,
        "occupation": Occupation,
        "certificate": CertificateRecord,
        "voucher": Voucher,
        "batch": VoucherBatch,
        "unit": OrgUnit,
        "competition": Competition,
        "filing": EvaluationFiling,
        "publicity": PublicityReport,
        "target": Target,
    }
    tables = {key: connection.ops.quote_name(model._meta.db_table) for key, model in models.items()}
    tables["competition_occupations"] = connection.ops.quote_name(Competition.occupations.through._meta.db_table)
    return tables


def baseline_statements() -> dict[str, str]:
    t = _tables()
    # IND-TRAINING, IND-APPRENTICE, IND-MANUFACTURING-SHARE: every roster entry of a class approved
    # in the system (approved or ended) counts once, on the day its class ends, for the class's
    # area, lead department and special action.
    trainings = f"""
        SELECT c.area_id, c.lead_department_id, c.special_action, EXTRACT(MONTH FROM c."end")::int AS month,
               COUNT(*) AS training,
               COUNT(*) FILTER (WHERE c.subsidised) AS subsidised,
               COUNT(*) FILTER (WHERE c.subsidised AND o.manufacturing) AS subsidised_mfg,
               COUNT(*) FILTER (WHERE c.training_type = 'apprenticeship') AS apprentices
        FROM {t["enrollment"]} e
        JOIN {t["class"]} c ON c.id = e.training_class_id
        JOIN {t["occupation"]} o ON o.id = c.occupation_id
        WHERE c.state IN ('approved', 'ended') AND c."end" BETWEEN %(first)s AND %(as_of)s
        GROUP BY c.area_id, c.lead_department_id, c.special_action, month
    """
    # IND-NEW-SKILLED: a person's first 职业资格 / 职业技能等级 certificate ever, issued in the year.
    # IND-NEW-HIGH-SKILLED: a graded certificate at level 3 (高级工) or above that beats every
    # earlier one of the person (so straight to 高级工 counts here and as new skilled, 附件2 备注2).
    # IND-TECHNICIAN: the same at level 2 (技师) or above. A person counts once per measure in the
    # year: the first such certificate. Attributed through the certificate's training (none: the
    # city only). Certificates of every kind are counted for SUB-CERT-SHARE.
    certificates = f"""
        WITH history AS (
            SELECT id, person_id, issued_on, level,
                   ROW_NUMBER() OVER person_order AS nth,
                   MIN(level) OVER (person_order ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS best_before
            FROM {t["certificate"]}
            WHERE kind IN ('vocational_qualification', 'skill_level') AND issued_on <= %(as_of)s
            WINDOW person_order AS (PARTITION BY person_id ORDER BY issued_on, id)
        ),
        this_year AS (
            SELECT id, person_id, issued_on, nth = 1 AS skilled,
                   level <= 3 AND (best_before IS NULL OR level < best_before) AS high,
                   level <= 2 AND (best_before IS NULL OR level < best_before) AS tech
            FROM history
            WHERE issued_on >= %(first)s
        ),
        counted AS (
            SELECT id, skilled,
                   high AND COUNT(*) FILTER (WHERE high) OVER earlier = 0 AS new_high,
                   tech AND COUNT(*) FILTER (WHERE tech) OVER earlier = 0 AS new_tech
            FROM this_year
            WINDOW earlier AS (PARTITION BY person_id ORDER BY issued_on, id
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
        )
        SELECT c.area_id, c.lead_department_id, c.special_action, EXTRACT(MONTH FROM cr.issued_on)::int AS month,
               COUNT(*) AS certificates,
               COUNT(*) FILTER (WHERE cr.kind IN ('special_capability', 'training_qualified')) AS certificates_low,
               COUNT(*) FILTER (WHERE k.skilled) AS new_skilled,
               COUNT(*) FILTER (WHERE k.new_high) AS new_high_skilled,
               COUNT(*) FILTER (WHERE k.new_tech) AS technicians
        FROM {t["certificate"]} cr
        LEFT JOIN counted k ON k.id = cr.id
        LEFT JOIN {t["enrollment"]} e ON e.id = cr.enrollment_id
        LEFT JOIN {t["class"]} c ON c.id = e.training_class_id
        WHERE cr.issued_on BETWEEN %(first)s AND %(as_of)s
        GROUP BY c.area_id, c.lead_department_id, c.special_action, month
    """
    # IND-VOUCHERS: issued, on the issue day, for the issuing area; used = valued with a
    # certificate (以证换券), on the certificate's day.
    vouchers = f"""
        SELECT CASE WHEN u.kind = 'area' THEN u.id END AS area_id, EXTRACT(MONTH FROM v.issued_on)::int AS month,
               'vouchers_issued' AS measure, COUNT(*)
        FROM {t["voucher"]} v
        JOIN {t["batch"]} b ON b.id = v.batch_id
        JOIN {t["unit"]} u ON u.id = b.org_id
        WHERE v.issued_on BETWEEN %(first)s AND %(as_of)s
        GROUP BY 1, 2
        UNION ALL
        SELECT CASE WHEN u.kind = 'area' THEN u.id END, EXTRACT(MONTH FROM cr.issued_on)::int, 'vouchers_used', COUNT(*)
        FROM {t["voucher"]} v
        JOIN {t["batch"]} b ON b.id = v.batch_id
        JOIN {t["unit"]} u ON u.id = b.org_id
        JOIN {t["certificate"]} cr ON cr.id = v.certificate_id
        WHERE v.value IS NOT NULL AND cr.issued_on BETWEEN %(first)s AND %(as_of)s
        GROUP BY 1, 2
    """
    registers = f"""
        SELECT (SELECT COUNT(*) FROM {t["competition"]} WHERE held_on BETWEEN %(first)s AND %(as_of)s),
               (SELECT COALESCE(SUM(certified), 0) FROM {t["competition"]}
                 WHERE held_on BETWEEN %(first)s AND %(as_of)s),
               (SELECT COUNT(DISTINCT co.occupation_id) FROM {t["competition_occupations"]} co
                  JOIN {t["competition"]} c ON c.id = co.competition_id
                 WHERE c.held_on BETWEEN %(first)s AND %(as_of)s),
               (SELECT COUNT(*) FROM {t["filing"]} WHERE filed_on BETWEEN %(first)s AND %(as_of)s)
    """
    publicity = f"""
        SELECT unit_id, COUNT(*), COUNT(*) FILTER (WHERE level >= 2)
        FROM {t["publicity"]} WHERE published_on BETWEEN %(first)s AND %(as_of)s GROUP BY unit_id
    """
    targets = f"SELECT scope, unit_id, action, indicator, value FROM {t['target']} WHERE year = %(year)s"
    return {
        "trainings": trainings,
        "certificates": certificates,
        "vouchers": vouchers,
        "registers": registers,
        "publicity": publicity,
        "targets": targets,
    }


Figures = dict[str, Any]


def baseline(statements: dict[str, str], *, year: int, as_of: dt.date) -> Figures:
    """The overview's figures from the base tables: city, by area / department / action, monthly."""
    from django.db import connection

    params = {"first": dt.date(year, 1, 1), "as_of": as_of, "year": year}
    city: dict[str, int] = defaultdict(int)
    by: dict[str, dict[Any, dict[str, int]]] = {
        k: defaultdict(lambda: defaultdict(int)) for k in ("area", "dept", "action")
    }
    monthly: dict[str, list[int]] = {
        m: [0] * as_of.month for m in TRAINING_MEASURES + CERTIFICATE_MEASURES + VOUCHER_MEASURES
    }

    def add(area: Any, dept: Any, action: Any, month: int, measure: str, value: int) -> None:
        city[measure] += value
        by["area"][area][measure] += value
        by["dept"][dept][measure] += value
        by["action"][action][measure] += value
        monthly[measure][month - 1] += value

    with connection.cursor() as cursor:
        for statement, measures in (("trainings", TRAINING_MEASURES), ("certificates", CERTIFICATE_MEASURES)):
            cursor.execute(statements[statement], params)
            for area, dept, action, month, *values in cursor.fetchall():
                for measure, value in zip(measures, values, strict=True):
                    add(area, dept, action, month, measure, int(value))
        cursor.execute(statements["vouchers"], params)
        for area, month, measure, value in cursor.fetchall():
            add(area, None, None, month, measure, int(value))
        cursor.execute(statements["registers"], params)
        events, certified, occupations, filed = cursor.fetchone()
        cursor.execute(statements["publicity"], params)
        publicity = {unit: (n, city_level) for unit, n, city_level in cursor.fetchall()}
        cursor.execute(statements["targets"], params)
        targets = cursor.fetchall()
    for values in monthly.values():
        for i in range(1, len(values)):
            values[i] += values[i - 1]
    return {
        "city": dict(city),
        "area": by["area"],
        "dept": by["dept"],
        "action": by["action"],
        "monthly": monthly,
        "registers": {
            "competitions": int(events),
            "competition_certified": int(certified),
            "competition_occupations": int(occupations),
            "evaluation_filings": int(filed),
        },
        "publicity": publicity,
        "targets": len(targets),
    }


def differences(real: Any, base: Figures) -> tuple[int, list[str]]:
    """(figures compared, the ones that differ) between the overview and the baseline."""
    compared, differ = 0, []

    def check(label: str, got: int, want: int) -> None:
        nonlocal compared
        compared += 1
        if got != want:
            differ.append(f"{label}: overview {got:,} ≠ baseline {want:,}")

    for indicator in INDICATORS:
        check(f"全市 {indicator}", real.headline.progress[indicator].actual, base["city"].get(indicator, 0))
    for row in real.areas:
        for indicator in INDICATORS:
            check(f"{row.name} {indicator}", row.progress[indicator].actual, base["area"][row.unit_id][indicator])
    for row in real.departments:
        for indicator in INDICATORS:
            check(f"{row.name} {indicator}", row.progress[indicator].actual, base["dept"][row.unit_id][indicator])
    for row in real.actions:
        for indicator in INDICATORS:
            check(
                f"专项行动{row.action} {indicator}",
                row.progress[indicator].actual,
                base["action"][row.action][indicator],
            )
    for measure, series in base["monthly"].items():
        got = list(real.monthly.get(measure, []))
        for month, want in enumerate(series, start=1):
            check(f"{measure} {month}月累计", got[month - 1] if month <= len(got) else 0, want)
    for key in ("certificates", "certificates_low", "subsidised_mfg", *VOUCHER_MEASURES):
        check(f"全市 {key}", real.extra.get(key, 0), base["city"].get(key, 0))
    for key, want in base["registers"].items():
        check(key, real.extra.get(key, 0), want)
    return compared, differ


# ── measuring ─────────────────────────────────────────────────────────────────────────────────


def interleaved_ms(fns: list[Callable[[], Any]], runs: int, warm: int) -> list[list[float]]:
    """Samples of each function, taking turns run by run (after warming each up)."""
    for fn in fns:
        for _ in range(warm):
            fn()
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, own in zip(fns, samples, strict=True):
            started = time.perf_counter_ns()
            fn()
            own.append((time.perf_counter_ns() - started) / 1e6)
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) > 1 else samples[0]


def counts() -> dict[str, int]:
    from jineng.assessment.models import CertificateRecord
    from jineng.classes.models import Enrollment, TrainingClass
    from jineng.targets.models import ProgressFact

    return {
        "classes": TrainingClass.objects.count(),
        "enrollments": Enrollment.objects.count(),
        "certificates": CertificateRecord.objects.count(),
        "facts": ProgressFact.objects.filter(year=YEAR).count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=2023, help="seed of the generated province (default 2023)")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/jineng_bench_dashboard")
    args = parser.parse_args()
    if args.runs < 2:
        parser.error("--runs 至少为 2")

    reuse = prepare_database(args.database_url, args.seed)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jineng.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if not reuse:
        say(f"== 载入全省规模演示数据（{YEAR} 年，种子 {args.seed}）")
        load(args.seed)

    try:
        from jineng.targets.progress import progress_refresh
        from jineng.targets.selectors import city_overview
    except ImportError as exc:
        say(f"无法运行：{exc}（jineng.targets 的 progress_refresh / city_overview 尚不存在）")
        return 2

    started = time.perf_counter()
    progress_refresh(year=YEAR)
    refresh_s = time.perf_counter() - started
    from django.db import connection

    from jineng.targets.models import ProgressFact

    with connection.cursor() as cursor:
        # The facts were just rewritten: measure with the planner's statistics of the new rows, as
        # a server does once autovacuum has seen them (not counted in the refresh's time).
        cursor.execute(f"ANALYZE {connection.ops.quote_name(ProgressFact._meta.db_table)}")

    reader = leader()
    statements = baseline_statements()

    def real() -> Any:
        return city_overview(reader, year=YEAR, as_of=AS_OF)

    def base() -> Figures:
        return baseline(statements, year=YEAR, as_of=AS_OF)

    overview = real()
    if overview is None:
        say("无法运行：city_overview 对市级领导返回 None")
        return 2
    compared, differ = differences(overview, base())

    # Interleaved run by run, so a neighbour's load on a shared machine hits both alike.
    real_ms, baseline_ms = interleaved_ms([real, base], args.runs, warm=3)
    real_median, baseline_median = statistics.median(real_ms), statistics.median(baseline_ms)
    sizes = counts()

    say(
        f"dashboard benchmark (PostgreSQL): {sizes['classes']:,} classes, {sizes['enrollments']:,} enrollments, "
        f"{sizes['certificates']:,} certificates, {sizes['facts']:,} progress facts; city overview as of {AS_OF}; "
        f"{args.runs} runs; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    say(
        f"  real (city_overview over ProgressFact): median {real_median:8.2f} ms  p95 {p95(real_ms):8.2f} ms  "
        f"(goal ≤ {GOAL_MS:.0f} ms)"
    )
    say(f"  baseline (GROUP BY on the base tables): median {baseline_median:8.2f} ms  p95 {p95(baseline_ms):8.2f} ms")
    say(f"  ratio baseline/real = {baseline_median / real_median:.1f}×")
    say(f"  progress_refresh(year={YEAR}): {refresh_s:.2f} s")
    if differ:
        say(f"  figures: {len(differ)} of {compared} differ between the overview and the baseline:")
        for line in differ[:20]:
            say(f"    {line}")
    else:
        say(f"  figures: all {compared} compared figures agree between the overview and the baseline")
    passed = real_median <= GOAL_MS
    say(f"  {'PASS' if passed else 'FAIL'}: real median {real_median:.2f} ms vs goal {GOAL_MS:.0f} ms")
    return 0 if passed and not differ else 1


if __name__ == "__main__":
    sys.exit(main())
