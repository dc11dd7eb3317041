"""Benchmark: gather an 80-trainee class's facts from PostgreSQL and evaluate it (issue 3).

Run:
  .venv/bin/python bench/roster_check.py [--persons 1000000 --enrollments 3000000 --runs 200
                                          --database-url postgres://postgres@127.0.0.1:5432/jineng_bench]

The first run creates a dedicated database, migrates it and bulk-loads (COPY) persons with valid
Xuchang resident IDs, institutions, ~40,000 past approved classes and the enrollments, then runs
ANALYZE; later runs with the same sizes reuse it (a different size drops and reloads it). Each run
builds a fresh 80-trainee draft class whose trainees all have history, and measures, over --runs
runs (median and p95):

  real:      read the class row, then jineng.classes.services.check_class — class_facts_dict (four
             statements, prepared once per connection: the class's context, specialties, teachers,
             and the roster with every trainee's previous trainings) + strict validation + every rule;
  baseline:  the same, but the roster read first and each trainee's previous trainings read with
             its own query (N+1).

Goal (issue 3): real median ≤ 10 ms; the ratio baseline/real is printed from the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from jineng.classes.models import TrainingClass

GOAL_MS = 10.0
ROSTER = 80
BENCH_DAY = dt.date(2023, 6, 5)  # the measured class starts here; every past class is assessed a month before
HISTORY_FROM = dt.date(2019, 1, 7)
HISTORY_TO = dt.date(2023, 3, 31)  # last past start; end + 21 days, assessed + 10 days ≤ 2023-05-01
META_TABLE = "bench_roster_check_meta"
LOAD_VERSION = 1  # bump when the generated data changes shape
STRIDE = 7919  # person of the k-th enrollment = k·STRIDE mod persons (a bijection when gcd = 1)
AREAS = ("yuzhou", "changge", "yanling", "xiangcheng", "jianan", "weidu")
BIRTH_DAYS = 13500  # births spread over 1968-01-01 … 2004-12 (18–55 years old in 2023)


def say(message: str) -> None:
    print(message, flush=True)


# ── the database ──────────────────────────────────────────────────────────────────────────────


def _server_url(url: str) -> tuple[str, str]:
    """(URL of the server's maintenance database, name of the benchmark database)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.scheme not in ("postgres", "postgresql", "pgsql") or not name:
        raise SystemExit(f"--database-url 应为 postgres://user@host:port/dbname，而不是 {url!r}")
    return urlunsplit(parts._replace(path="/postgres")), name


def _libpq(url: str) -> str:
    return url.replace("pgsql://", "postgresql://", 1)


def prepare_database(url: str, sizes: dict[str, int]) -> bool:
    """Create the database if needed; True when it already holds data of exactly these sizes."""
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
                        sql.SQL("SELECT persons, enrollments, classes, version FROM {}").format(
                            sql.Identifier(META_TABLE)
                        )
                    ).fetchone()
            wanted = (sizes["persons"], sizes["enrollments"], sizes["classes"], LOAD_VERSION)
            if stored is not None and tuple(stored) == wanted:
                say(f"== 复用数据库 {name}（{sizes['persons']:,} 人，{sizes['enrollments']:,} 条历史名册）")
                return True
            say(f"== 数据库 {name} 的数据规模不同或未载入完成：删除后重建")
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        say(f"== 新建数据库 {name}")
    return False


@contextmanager
def without_secondary_indexes(table: str) -> Iterator[None]:
    """Drop the table's foreign keys, unique constraints and non-primary indexes; restore them after.

    COPY into a table without them and building each index once afterwards is several times faster
    than maintaining five B-trees and deferred foreign-key checks row by row. The definitions come
    from the catalog (pg_get_constraintdef / pg_get_indexdef), so what is restored is exactly what
    the migrations created.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        # Foreign-key checks of earlier inserts in this transaction run now (ALTER TABLE refuses
        # a table with pending trigger events).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('f', 'u')",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = %s::regclass AND NOT indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = indexrelid)",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _ in constraints:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for _, definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


def _copy(table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> int:
    from django.db import connection

    count = 0
    with connection.cursor() as cursor:
        statement = f'COPY "{table}" ({", ".join(f'"{c}"' for c in columns)}) FROM STDIN'
        with cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


# ── loading ───────────────────────────────────────────────────────────────────────────────────


# The columns of person_rows: ID and phone sealed, the ID's keyed hash, as Person stores them.
PERSON_COLUMNS = ["id", "id_number", "id_hash", "name", "phone", "category", "created_at"]


def person_rows(persons: int, now: dt.datetime) -> Iterator[tuple[Any, ...]]:
    from jineng.crypto import blind_indexes, encrypt_many
    from jineng.demo.seed import chinese_name, region_code
    from jineng.registry.models import RIC_PURPOSE
    from jineng.testing import make_ric

    born_from = dt.date(1968, 1, 1)
    categories = ("unemployed", "migrant_worker", "poverty_relief", "graduate", "veteran", "other")
    chunk = 10_000
    for first in range(1, persons + 1, chunk):
        keys = range(first, min(first + chunk, persons + 1))
        numbers, phones = [], []
        for pk in keys:
            i = pk - 1
            area, rest = AREAS[i % len(AREAS)], i // len(AREAS)
            birth = born_from + dt.timedelta(days=rest % BIRTH_DAYS)
            numbers.append(make_ric(region_code(area, birth.year), birth, rest // BIRTH_DAYS))
            phones.append(f"1{37 + i % 3}{i:08d}"[:11])
        sealed = zip(
            keys,
            encrypt_many(numbers, purpose=RIC_PURPOSE),
            blind_indexes(numbers, purpose=RIC_PURPOSE),
            encrypt_many(phones, purpose="phone"),
            strict=True,
        )
        for pk, number, key, phone in sealed:
            i = pk - 1
            yield (pk, number, key, chinese_name(i), phone, categories[i % len(categories)], now)


def class_rows(classes: int, institutions: list[int], ctx: dict[str, Any]) -> Iterator[dict[str, Any]]:
    span = (HISTORY_TO - HISTORY_FROM).days
    for pk in range(1, classes + 1):
        start = HISTORY_FROM + dt.timedelta(days=(pk - 1) * span // max(1, classes - 1))
        at = dt.datetime.combine(start, dt.time(9), tzinfo=dt.UTC)
        yield {
            "id": pk,
            "code": f"XC{start.year}H{pk:07d}",
            "name": f"{start.year}年车工（四级）就业技能培训班（第{pk}期）",
            "institution_id": institutions[pk % len(institutions)],
            "occupation_id": ctx["occupation"],
            "level": 4,
            "training_type": "employment",
            "certificate": "skill_level",
            "subsidised": True,
            "special_action": 1,
            "lead_department_id": ctx["department"],
            "area_id": ctx["areas"][pk % len(ctx["areas"])],
            "start": start,
            "end": start + dt.timedelta(days=21),
            "minutes_per_hour": 45,
            "hours_theory": 24,
            "hours_practical": 56,
            "hours_online": 0,
            "online_platform_id": None,
            "workstations": 20,
            "enterprise_name": "",
            "enterprise_uscc": "",
            "cross_city_approval": False,
            "state": "approved",
            "version": 6,
            "created_by_id": ctx["clerk"],
            "created_at": at,
            "updated_at": at,
            "submitted_by_id": ctx["clerk"],
            "submitted_at": at,
            "state_since": at,
        }


def enrollment_rows(persons: int, enrollments: int, classes: int) -> Iterator[tuple[Any, ...]]:
    """Enrollment k sits in class ⌊k·classes/enrollments⌋ (consecutive blocks of ~75) and belongs to
    person k·STRIDE mod persons: one person appears in one block at most once, and every person
    appears enrollments/persons times, spread over the years."""
    span = (HISTORY_TO - HISTORY_FROM).days
    questionnaire = '{"training_intent": true, "employment_intent": true, "employment_ability": true}'
    current, row = -1, 0
    assessed: dt.date = HISTORY_FROM
    for k in range(enrollments):
        cls = k * classes // enrollments
        if cls != current:
            current, row = cls, 0
            start = HISTORY_FROM + dt.timedelta(days=cls * span // max(1, classes - 1))
            assessed = start + dt.timedelta(days=31)
        row += 1
        yield (cls + 1, k * STRIDE % persons + 1, row, "unemployed", questionnaire, assessed)


def load(sizes: dict[str, int]) -> None:
    from django.contrib.auth.hashers import make_password
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from jineng.accounts.models import Role, User
    from jineng.classes.models import Enrollment, TrainingClass
    from jineng.registry.models import Institution, InstitutionSpecialty, OrgUnit, Person
    from jineng.registry.services import org_units_sync
    from jineng.testing import make_uscc, occupation

    persons, enrollments, classes = sizes["persons"], sizes["enrollments"], sizes["classes"]
    if persons % STRIDE == 0:
        raise SystemExit(f"--persons 不能是 {STRIDE} 的倍数")
    started = time.perf_counter()

    def lap(message: str) -> None:
        say(f"   {message}（累计 {time.perf_counter() - started:.1f} s）")

    with transaction.atomic():
        org_units_sync()
        lathe = occupation()
        areas = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.AREA, key__in=[f"area-{a}" for a in AREAS]))
        institutions = Institution.objects.bulk_create(
            Institution(
                name=f"{areas[i % len(areas)].name}第{i + 1}职业培训学校",
                uscc=make_uscc(50_000 + i),
                kind=Institution.Kind.TRAINING_SCHOOL,
                area=areas[i % len(areas)],
            )
            for i in range(200)
        )
        InstitutionSpecialty.objects.bulk_create(
            InstitutionSpecialty(institution=inst, occupation=lathe, effective_from=dt.date(2018, 6, 1))
            for inst in institutions
        )
        clerk = User.objects.create(
            username="bench_clerk",
            first_name="基准测试经办人",
            role=Role.INSTITUTION_CLERK,
            org=institutions[0].area,
            institution=institutions[0],
            password=make_password(None),
        )
        ctx = {
            "occupation": lathe.pk,
            "department": OrgUnit.objects.get(key="dept-mii").pk,
            "areas": [a.pk for a in areas],
            "clerk": clerk.pk,
        }
        lap("单位、机构 200 个、职业、经办人")

        now = dt.datetime.now(dt.UTC)
        with without_secondary_indexes(Person._meta.db_table):
            n = _copy(
                Person._meta.db_table,
                PERSON_COLUMNS,
                person_rows(persons, now),
            )
            lap(f"人员 {n:,} 人（COPY）")
        lap("人员索引重建")

        columns = [str(f.column) for f in TrainingClass._meta.concrete_fields]
        rows = (tuple(r[c] for c in columns) for r in class_rows(classes, [i.pk for i in institutions], ctx))
        n = _copy(TrainingClass._meta.db_table, columns, rows)
        lap(f"往期已批准班级 {n:,} 个（COPY）")

        with without_secondary_indexes(Enrollment._meta.db_table):
            n = _copy(
                Enrollment._meta.db_table,
                ["training_class_id", "person_id", "row", "category", "questionnaire", "assessed_on"],
                enrollment_rows(persons, enrollments, classes),
            )
            lap(f"往期名册 {n:,} 条（COPY）")
        lap("名册索引与外键重建")

        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [Person, TrainingClass, Enrollment]):
                cursor.execute(statement)
            cursor.execute(
                f'CREATE TABLE IF NOT EXISTS "{META_TABLE}" '
                "(persons bigint, enrollments bigint, classes bigint, version int, loaded_at timestamptz)"
            )
            cursor.execute(f'DELETE FROM "{META_TABLE}"')
            cursor.execute(
                f'INSERT INTO "{META_TABLE}" VALUES (%s, %s, %s, %s, now())',
                [persons, enrollments, classes, LOAD_VERSION],
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    lap("ANALYZE")


# ── the class under test ──────────────────────────────────────────────────────────────────────


def build_class(persons: int) -> TrainingClass:
    """A fresh 80-trainee draft at a 禹州 school, made through the services; every trainee has history."""
    from jineng.accounts.models import User
    from jineng.classes.models import ClassState, TrainingClass
    from jineng.classes.services import TeacherInput, class_create, class_set_teachers
    from jineng.registry.models import Person
    from jineng.testing import class_input, enroll, occupation

    clerk = User.objects.get(username="bench_clerk")
    # Drafts of earlier runs go (their enrollments cascade); past classes and the audit log stay.
    TrainingClass.objects.filter(created_by=clerk, state=ClassState.DRAFT).delete()
    cls = class_create(
        actor=clerk,
        data=class_input(
            occupation_id=occupation().pk,
            area_id=clerk.org_id,
            start=BENCH_DAY,
            end=BENCH_DAY + dt.timedelta(days=20),
            workstations=4,
        ),
    )
    cls = class_set_teachers(
        cls=cls,
        actor=clerk,
        expected_version=cls.version,
        teachers=[TeacherInput(f"教师{i}", True) for i in range(1, 5)],
    )
    # Persons spread over the whole table (every one has enrollments/persons past trainings).
    step = max(1, persons // ROSTER)
    chosen = list(Person.objects.filter(pk__in=[1 + i * step for i in range(ROSTER)]).order_by("pk"))
    enroll(cls, chosen)
    return cls


def trainees_one_query_each(class_id: int, *, before: dt.date) -> list[dict[str, Any]]:
    """The baseline for jineng.classes.selectors._trainees: read the roster, then one query per trainee (N+1)."""
    from jineng.classes.models import COUNTED_STATES, Enrollment

    trainees = []
    roster = (
        Enrollment.objects.filter(training_class_id=class_id)
        .order_by("row", "id")
        .values_list(
            "person_id",
            "person__id_number",
            "person__name",
            "category",
            "student",
            "employee",
            "inmate",
            "questionnaire",
        )
    )
    for person_id, id_number, name, category, student, employee, inmate, questionnaire in roster:
        rows = (
            Enrollment.objects.filter(
                person_id=person_id,
                training_class__state__in=COUNTED_STATES,
                training_class__start__lte=before,
            )
            .exclude(training_class_id=class_id)
            .values_list("training_class__code", "training_class__subsidised", "training_class__end", "assessed_on")
            .order_by("training_class__end", "training_class__code")
        )
        trainees.append(
            {
                "id_number": id_number,
                "name": name,
                "category": category,
                "student": student,
                "employee": employee,
                "inmate": inmate,
                "questionnaire": questionnaire,
                "previous_trainings": [
                    {"class_id": code, "subsidised": subsidised, "end": end, "assessed_on": assessed_on}
                    for code, subsidised, end, assessed_on in rows
                ],
            }
        )
    return trainees


@contextmanager
def n_plus_one() -> Iterator[None]:
    from jineng.classes import selectors

    real = selectors._trainees
    selectors._trainees = trainees_one_query_each
    try:
        yield
    finally:
        selectors._trainees = real


# ── measuring ─────────────────────────────────────────────────────────────────────────────────


def timings_ms(fn: Callable[[], Any], runs: int) -> list[float]:
    for _ in range(min(20, runs)):  # warm the connection, the caches and the interpreter
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - started) / 1e6)
    return samples


def interleaved_ms(fns: list[Callable[[], Any]], runs: int) -> list[list[float]]:
    """Samples of each function, taking turns run by run (after warming each up)."""
    for fn in fns:
        for _ in range(min(20, runs)):
            fn()
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, own in zip(fns, samples, strict=True):
            started = time.perf_counter_ns()
            fn()
            own.append((time.perf_counter_ns() - started) / 1e6)
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def queries_of(fn: Callable[[], Any]) -> list[dict[str, str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return list(captured.captured_queries)


def execute_ms(fn: Callable[[], Any], runs: int) -> float:
    """Median time per call of `fn` spent inside cursor.execute (driver + round trip + server)."""
    from django.db import connection

    spent: list[int] = []
    total = 0

    def timed(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal total
        started = time.perf_counter_ns()
        try:
            return execute(sql, params, many, context)
        finally:
            total += time.perf_counter_ns() - started

    with connection.execute_wrapper(timed):
        for _ in range(runs):
            total = 0
            fn()
            spent.append(total)
    return statistics.median(spent) / 1e6


def profile(fetch: Callable[[], TrainingClass], runs: int) -> None:
    """Where the real path's time goes: each step alone, the database's share, the largest query's plan."""
    from django.db import connection

    from jineng.classes import selectors
    from jineng.classes.services import check_class
    from jineng.policy.engine import evaluate, policy_for
    from jineng.policy.facts import validate_document
    from jineng.policy.loader import policies

    cls = fetch()
    known = policies()
    facts = selectors.class_facts_dict(cls)
    doc = validate_document(facts, policies=known)
    policy = policy_for(doc, known)
    steps: dict[str, Callable[[], Any]] = {
        "read the class": fetch,
        "class context (2 statements)": lambda: selectors._context_facts(cls, cls.start),
        "teachers": lambda: selectors._teachers(cls.pk),
        "roster + histories (1 statement)": lambda: selectors._trainees(cls.pk, before=cls.end),
        "_apprentices_before": lambda: selectors._apprentices_before(cls),
        "validate_document (pydantic)": lambda: validate_document(facts, policies=known),
        "evaluate (rules)": lambda: evaluate(doc, policy),
    }
    n = max(20, runs // 4)
    say("  profile of the real path (median of each step alone; queries; time inside cursor.execute):")
    total = 0.0
    for label, fn in steps.items():
        median = statistics.median(timings_ms(fn, n))
        total += median
        say(f"    {label:<34} {median:7.3f} ms  {len(queries_of(fn))} q  execute {execute_ms(fn, n):6.3f} ms")
    whole = lambda: check_class(fetch())  # noqa: E731
    database = execute_ms(whole, n)
    say(f"    {'sum of the steps':<34} {total:7.3f} ms")
    say(
        f"  inside cursor.execute (psycopg + round trip + PostgreSQL): {database:.3f} ms per check; "
        "the rest is Django building the queries and the rows, pydantic and the rules"
    )
    sql, params = selectors.trainees_statement(cls.pk, before=cls.end)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, SUMMARY) " + sql, params)
        plan = [row[0] for row in cursor.fetchall()]
    say("  roster + histories on the server: " + "; ".join(line.strip() for line in plan if "Time:" in line))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--enrollments", type=int, default=3_000_000)
    parser.add_argument("--classes", type=int, default=40_000, help="past approved classes (default 40,000)")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/jineng_bench")
    parser.add_argument("--profile", action="store_true", help="always print the per-step profile")
    args = parser.parse_args()
    if args.persons < ROSTER or args.enrollments < args.persons or args.classes < 1:
        parser.error(f"需要 --persons ≥ {ROSTER}、--enrollments ≥ --persons、--classes ≥ 1")
    sizes = {"persons": args.persons, "enrollments": args.enrollments, "classes": args.classes}

    reuse = prepare_database(args.database_url, sizes)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jineng.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if not reuse:
        say(f"== 载入 {args.persons:,} 人、{args.classes:,} 个往期班级、{args.enrollments:,} 条名册")
        load(sizes)

    from jineng.classes.models import TrainingClass
    from jineng.classes.services import check_class

    cls = build_class(args.persons)

    def fetch() -> TrainingClass:
        # The facts are read by the ids the class row holds, so the row alone is fetched.
        return TrainingClass.objects.get(pk=cls.pk)

    def real() -> Any:
        return check_class(fetch())

    checked = real()
    history = sum(len(t["previous_trainings"]) for t in _facts(fetch())["trainees"])
    with n_plus_one():
        baseline_checked = real()
        baseline_queries = len(queries_of(real))
    assert checked.as_list() == baseline_checked.as_list(), "the baseline must find exactly what the real path finds"
    real_queries = len(queries_of(real))

    def baseline() -> Any:
        with n_plus_one():
            return real()

    # Interleaved run by run, so a neighbour's load on a shared machine hits both alike.
    real_ms, baseline_ms = interleaved_ms([real, baseline], args.runs)
    real_median, baseline_median = statistics.median(real_ms), statistics.median(baseline_ms)

    say(
        f"roster-check benchmark (PostgreSQL): {args.persons:,} persons, {args.enrollments:,} past enrollments, "
        f"{args.classes:,} past classes; class of {ROSTER} trainees with {history} previous trainings; "
        f"{args.runs} runs; decision={checked.decision}, findings={len(checked.findings)}; "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    say(
        f"  real (roster + histories in one statement): median {real_median:7.3f} ms  p95 {p95(real_ms):7.3f} ms  "
        f"{real_queries} queries  (goal ≤ {GOAL_MS} ms)"
    )
    say(
        f"  baseline (a history query per trainee):    median {baseline_median:7.3f} ms  "
        f"p95 {p95(baseline_ms):7.3f} ms  {baseline_queries} queries"
    )
    say(f"  ratio baseline/real = {baseline_median / real_median:.1f}×")
    passed = real_median <= GOAL_MS
    if args.profile or not passed:
        profile(fetch, args.runs)
    say(f"  {'PASS' if passed else 'FAIL'}: real median {real_median:.3f} ms vs goal {GOAL_MS} ms")
    return 0 if passed else 1


def _facts(cls: TrainingClass) -> dict[str, Any]:
    from jineng.classes.selectors import class_facts_dict

    return class_facts_dict(cls)


if __name__ == "__main__":
    sys.exit(main())
