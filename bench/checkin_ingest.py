"""Benchmark: ingest 1,000,000 face check-ins from a CSV file into PostgreSQL (issue: check-in ingest).

Run:
  .venv/bin/python bench/checkin_ingest.py [--events 1000000 --classes 2000 --trainees 50 --persons 1000000
                                            --runs 3 --database-url postgres://postgres@127.0.0.1:5432/jineng_bench_ci]

The first run creates the database, migrates it and bulk-loads (COPY) the registry: --persons persons
with valid Xuchang resident IDs, one large institution with 20 check-in devices and its clerk, and
--classes approved classes of 21 days with --trainees trainees each (later runs with the same sizes
reuse it). The events are --events/(classes × trainees) check-ins per trainee, on the class's days,
spread over the devices; they are written once to a CSV file in the import format.

Measured in the same run, interleaved run by run (median of --runs):

  raw COPY:  the same rows, already resolved to ids, in the order and format the ingest sends them,
             COPY'd straight into a copy of the check-in table (`LIKE supervision_checkin INCLUDING ALL`:
             same columns, key, index and constraints) in one transaction — what the database
             alone needs to take the rows in;
  ingest:    jineng.supervision.ingest.checkins_import on the CSV file, as the clerk: Polars parse
             and format checks, the lookups (the batch's devices, locked; its classes; their
             rosters), every reference check in Polars, one COPY straight into the table, the
             batch and audit rows, the commit;
  re-ingest: the same file again, every event a duplicate (nothing inserted): the COPY stops at
             the first stored event, and the rows are staged and compared with the stored ones.

The tables are truncated before each run. Goals: ingest ≥ 200,000 events/s, and ingest at least 50 %
of the raw COPY's rate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from roster_check import PERSON_COLUMNS, _copy, _libpq, _server_url, person_rows, say, without_secondary_indexes

GOAL_RATE = 200_000
GOAL_RATIO = 0.5
DEVICES = 20
CLASS_DAYS = 21
FIRST_START = dt.date(2023, 3, 6)
META_TABLE = "bench_checkin_ingest_meta"
COPY_TABLE = "bench_checkin_copy"
LOAD_VERSION = 1


# ── the database ──────────────────────────────────────────────────────────────────────────────


def prepare_database(url: str, sizes: dict[str, int]) -> bool:
    """Create the database if needed; True when it already holds data of exactly these sizes."""
    import psycopg
    from psycopg import sql

    server, name = _server_url(url)
    wanted = (sizes["persons"], sizes["classes"], sizes["trainees"], LOAD_VERSION)
    with psycopg.connect(_libpq(server), autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None:
            with psycopg.connect(_libpq(url), autocommit=True) as conn:
                found = conn.execute("SELECT to_regclass(%s)", [META_TABLE]).fetchone()
                stored = None
                if found is not None and found[0] is not None:
                    stored = conn.execute(
                        sql.SQL("SELECT persons, classes, trainees, version FROM {}").format(sql.Identifier(META_TABLE))
                    ).fetchone()
            if stored is not None and tuple(stored) == wanted:
                say(f"== 复用数据库 {name}")
                return True
            say(f"== 数据库 {name} 的数据规模不同或未载入完成：删除后重建")
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        say(f"== 新建数据库 {name}")
    return False


def class_start(index: int, classes: int) -> dt.date:
    """Class starts spread over March … October 2023 (every class lasts CLASS_DAYS days)."""
    return FIRST_START + dt.timedelta(days=index * 230 // max(1, classes))


def load(sizes: dict[str, int]) -> None:
    from django.contrib.auth.hashers import make_password
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from jineng.accounts.models import Role, User
    from jineng.classes.models import Enrollment, TrainingClass
    from jineng.registry.models import CheckinDevice, Institution, InstitutionSpecialty, OrgUnit, Person
    from jineng.registry.services import org_units_sync
    from jineng.testing import make_uscc, occupation

    persons, classes, trainees = sizes["persons"], sizes["classes"], sizes["trainees"]
    started = time.perf_counter()

    def lap(message: str) -> None:
        say(f"   {message}（累计 {time.perf_counter() - started:.1f} s）")

    with transaction.atomic():
        org_units_sync()
        lathe = occupation()
        area = OrgUnit.objects.get(key="area-yuzhou")
        school = Institution.objects.create(
            name="许昌市基准测试职业技能培训学校",
            uscc=make_uscc(90_001),
            kind=Institution.Kind.TRAINING_SCHOOL,
            area=area,
        )
        InstitutionSpecialty.objects.create(institution=school, occupation=lathe, effective_from=dt.date(2018, 6, 1))
        clerk = User.objects.create(
            username="bench_checkin_clerk",
            first_name="签到基准经办人",
            role=Role.INSTITUTION_CLERK,
            org=area,
            institution=school,
            password=make_password(None),
        )
        CheckinDevice.objects.bulk_create(
            CheckinDevice(serial=f"BENCH-FACE-{d:03d}", institution=school, name=f"{d + 1}号签到机")
            for d in range(DEVICES)
        )
        lap(f"单位、机构、经办人、签到设备 {DEVICES} 台")

        now = dt.datetime.now(dt.UTC)
        with without_secondary_indexes(Person._meta.db_table):
            n = _copy(
                Person._meta.db_table,
                PERSON_COLUMNS,
                person_rows(persons, now),
            )
            lap(f"人员 {n:,} 人（COPY）")
        lap("人员索引重建")

        department = OrgUnit.objects.get(key="dept-mii").pk

        fields = TrainingClass._meta.concrete_fields
        columns = [str(f.column) for f in fields]

        def class_rows() -> Iterator[tuple[Any, ...]]:
            for i in range(classes):
                start = class_start(i, classes)
                at = dt.datetime.combine(start, dt.time(1), tzinfo=dt.UTC)
                row: dict[str, Any] = {
                    "id": i + 1,
                    "code": f"XC2023K{i + 1:06d}",
                    "name": f"2023年车工（四级）就业技能培训班（第{i + 1}期）",
                    "institution_id": school.pk,
                    "occupation_id": lathe.pk,
                    "level": 4,
                    "training_type": "employment",
                    "certificate": "skill_level",
                    "special_action": 1,
                    "lead_department_id": department,
                    "area_id": area.pk,
                    "start": start,
                    "end": start + dt.timedelta(days=CLASS_DAYS - 1),
                    "hours_theory": 24,
                    "hours_practical": 56,
                    "workstations": 20,
                    "state": "approved",
                    "version": 6,
                    "created_by_id": clerk.pk,
                    "created_at": at,
                    "updated_at": at,
                    "submitted_by_id": clerk.pk,
                    "submitted_at": at,
                    "state_since": at,
                }
                # Columns not named above take the model's default (None where it has none).
                yield tuple(row[c] if c in row else f.get_default() for f, c in zip(fields, columns, strict=True))

        n = _copy(TrainingClass._meta.db_table, columns, class_rows())
        lap(f"已批准班级 {n:,} 个（COPY）")

        questionnaire = '{"training_intent": true, "employment_intent": true, "employment_ability": true}'
        enrollments = (
            (c + 1, c * trainees + t + 1, t + 1, "unemployed", questionnaire)
            for c in range(classes)
            for t in range(trainees)
        )
        with without_secondary_indexes(Enrollment._meta.db_table):
            n = _copy(
                Enrollment._meta.db_table,
                ["training_class_id", "person_id", "row", "category", "questionnaire"],
                enrollments,
            )
            lap(f"花名册 {n:,} 条（COPY）")
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [Person, TrainingClass, Enrollment]):
                cursor.execute(statement)
            cursor.execute(
                f'CREATE TABLE IF NOT EXISTS "{META_TABLE}" '
                "(persons bigint, classes bigint, trainees bigint, version int, loaded_at timestamptz)"
            )
            cursor.execute(f'DELETE FROM "{META_TABLE}"')
            cursor.execute(
                f'INSERT INTO "{META_TABLE}" VALUES (%s, %s, %s, %s, now())', [persons, classes, trainees, LOAD_VERSION]
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    lap("ANALYZE")


# ── the events ────────────────────────────────────────────────────────────────────────────────


def events(total: int, classes: int, trainees: int) -> Any:
    """The events as columns: import-format strings and the resolved ids of the raw COPY."""
    import polars as pl

    from jineng.classes.models import TrainingClass
    from jineng.registry.models import CheckinDevice, Person

    per_class = total // classes
    if per_class < 1 or per_class % trainees:
        raise SystemExit(f"--events 应为 --classes × --trainees 的整数倍（{classes * trainees:,} 的倍数）")
    ids = pl.DataFrame(
        list(Person.objects.filter(pk__lte=classes * trainees).values_list("pk", "id_number")),
        schema={"person_id": pl.Int64, "id_number": pl.String},
        orient="row",
    )
    class_ids = pl.DataFrame(
        list(TrainingClass.objects.order_by("pk").values_list("pk", "code", "start")),
        schema={"class_id": pl.Int64, "class": pl.String, "start": pl.Date},
        orient="row",
    )
    devices = pl.DataFrame(
        list(CheckinDevice.objects.order_by("serial").values_list("pk", "serial")),
        schema={"device_id": pl.Int64, "device": pl.String},
        orient="row",
    ).with_row_index("device_no")
    k = pl.int_range(0, classes * per_class, dtype=pl.Int64, eager=True).alias("k").to_frame()
    j = pl.col("k") % per_class  # the event within its class
    frame = (
        k.with_columns(
            class_id=pl.col("k") // per_class + 1,
            person_id=pl.col("k") // per_class * trainees + j % trainees + 1,
            visit=j // trainees,  # the trainee's n-th check-in: one every other day
            second=(j % trainees) * 7,
            score=0.80 + (pl.col("k") % 20) / 100,
            liveness=pl.col("k") % 97 != 0,
            event_id=pl.format("K{}-{}", pl.col("k") // per_class + 1, j),
        )
        .with_columns(device_no=((pl.col("class_id") - 1) % len(devices)).cast(pl.UInt32))
        .join(class_ids, on="class_id")
        .join(ids, on="person_id")
        .join(devices, on="device_no")
        .with_columns(
            local=(pl.col("start").cast(pl.Datetime("us")) + pl.duration(hours=8))
            + pl.duration(days=(pl.col("visit") * 2) % CLASS_DAYS, seconds=pl.col("second"))
        )
        .with_columns(time=pl.col("local").dt.strftime("%Y-%m-%dT%H:%M:%S+08:00"))
        .sort("k")
    )
    return frame


def write_csv(frame: Any, path: Path) -> None:
    import polars as pl

    frame.select("event_id", "device", "class", "id_number", "time", pl.col("score").round(2), "liveness").write_csv(
        path
    )


def raw_copy_bytes(frame: Any, batch_id: int) -> bytes:
    """The rows as the ingest's COPY sends them: resolved ids, in key order, times in UTC, CSV."""
    import polars as pl

    from jineng.supervision.ingest import COPY_TIME

    return (
        frame.sort("device_id", "event_id")
        .select(
            "device_id",
            pl.col("event_id").alias("device_event_id"),
            pl.col("class_id").alias("training_class_id"),
            "person_id",
            (pl.col("local") - pl.duration(hours=8)).dt.replace_time_zone("UTC").alias("at"),
            pl.col("score").round(2).alias("match_score"),
            "liveness",
            pl.lit(batch_id, dtype=pl.Int64).alias("batch_id"),
        )
        .write_csv(include_header=False, datetime_format=COPY_TIME)
        .encode()
    )


# ── measuring ─────────────────────────────────────────────────────────────────────────────────


def truncate() -> None:
    from django.db import connection

    from jineng.supervision.models import CheckIn, CheckInBatch

    with connection.cursor() as cursor:
        cursor.execute(f'TRUNCATE "{COPY_TABLE}", "{CheckIn._meta.db_table}", "{CheckInBatch._meta.db_table}"')
        cursor.execute("CHECKPOINT")  # each run starts with no dirty pages left by the one before


def raw_copy(data: bytes) -> float:
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        columns = "device_id, device_event_id, training_class_id, person_id, at, match_score, liveness, batch_id"
        with cursor.cursor.copy(f'COPY "{COPY_TABLE}" ({columns}) FROM STDIN (FORMAT csv)') as copy:
            copy.write(data)
    return time.perf_counter() - started


class Phases:
    """Time spent in each step of the ingest, by wrapping its module-level functions for one run."""

    STEPS = ("read_file", "parse", "_devices", "_classes", "_rosters", "_registered", "_resolve", "_write", "_add_new")

    def __init__(self) -> None:
        self.spent: dict[str, float] = dict.fromkeys(self.STEPS, 0.0)

    @contextmanager
    def watching(self) -> Iterator[None]:
        from jineng.supervision import ingest

        originals = {name: getattr(ingest, name) for name in self.STEPS}

        def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
            def run(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return function(*args, **kwargs)
                finally:
                    self.spent[name] += time.perf_counter() - started

            return run

        for name, function in originals.items():
            setattr(ingest, name, timed(name, function))
        try:
            yield
        finally:
            for name, function in originals.items():
                setattr(ingest, name, function)

    def summary(self, total: float) -> str:
        spent = self.spent
        lookups = spent["_devices"] + spent["_classes"] + spent["_rosters"] + spent["_registered"]
        steps = {
            "read + parse + format checks (Polars)": spent["read_file"] + spent["parse"],
            "lookups (devices, classes, rosters)": lookups,
            "reference checks (Polars)": spent["_resolve"] - lookups,
            "sort + COPY into the table": spent["_write"] - spent["_add_new"],
            "staged + compared with stored events": spent["_add_new"],
        }
        steps["batch/audit rows, commit, other"] = total - sum(steps.values())
        return "; ".join(f"{name} {seconds:.2f} s" for name, seconds in steps.items())


def ingest(path: Path, phases: Phases | None = None) -> tuple[float, Any]:
    from jineng.accounts.models import User
    from jineng.supervision.ingest import checkins_import

    clerk = User.objects.select_related("institution").get(username="bench_checkin_clerk")
    with phases.watching() if phases is not None else nullcontext():
        started = time.perf_counter()
        result = checkins_import(actor=clerk, content=path.read_bytes(), filename=path.name)
        spent = time.perf_counter() - started
    return spent, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=2_000)
    parser.add_argument("--trainees", type=int, default=50)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/jineng_bench_ci")
    args = parser.parse_args()
    if args.persons < args.classes * args.trainees:
        parser.error("需要 --persons ≥ --classes × --trainees")
    sizes = {"persons": args.persons, "classes": args.classes, "trainees": args.trainees}

    reuse = prepare_database(args.database_url, sizes)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jineng.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from jineng.supervision.models import CheckIn

    call_command("migrate", verbosity=0)
    if not reuse:
        say(f"== 载入 {args.persons:,} 人、{args.classes:,} 个已批准班级（每班 {args.trainees} 人）")
        load(sizes)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE IF EXISTS "{COPY_TABLE}"')
        cursor.execute(f'CREATE TABLE "{COPY_TABLE}" (LIKE "{CheckIn._meta.db_table}" INCLUDING ALL)')

    started = time.perf_counter()
    frame = events(args.events, args.classes, args.trainees)
    workdir = Path(tempfile.mkdtemp(prefix="jineng-checkin-bench-"))
    path = workdir / "offline-checkins.csv"
    write_csv(frame, path)
    data = raw_copy_bytes(frame, batch_id=1)
    n = frame.height
    say(
        f"== 事件 {n:,} 条写入 {path}（{path.stat().st_size / 1e6:.0f} MB），用时 {time.perf_counter() - started:.1f} s"
    )
    del frame

    raw_s: list[float] = []
    ingest_s: list[float] = []
    again_s: list[float] = []
    first, repeat = Phases(), Phases()
    for run in range(args.runs):
        truncate()
        raw_s.append(raw_copy(data))
        truncate()
        spent, result = ingest(path, first if run == 0 else None)
        ingest_s.append(spent)
        assert (result.inserted, result.duplicates) == (n, 0), result
        spent, result = ingest(path, repeat if run == 0 else None)
        again_s.append(spent)
        assert (result.inserted, result.duplicates) == (0, n), result
        say(f"   第 {run + 1} 轮：raw COPY {raw_s[-1]:.2f} s，导入 {ingest_s[-1]:.2f} s，重复导入 {again_s[-1]:.2f} s")
    truncate()

    raw_rate = n / statistics.median(raw_s)
    rate = n / statistics.median(ingest_s)
    again_rate = n / statistics.median(again_s)
    ratio = rate / raw_rate
    say(
        f"check-in ingest benchmark (PostgreSQL): {n:,} events, {args.classes:,} classes × {args.trainees} "
        f"trainees, {args.persons:,} persons, {DEVICES} devices; median of {args.runs} runs; "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    say(f"  raw COPY into a copy of the table:  {statistics.median(raw_s):6.2f} s  {raw_rate:>10,.0f} events/s")
    say(f"  ingest (CSV file → checked → rows): {statistics.median(ingest_s):6.2f} s  {rate:>10,.0f} events/s")
    say(
        f"  re-ingest of the same file:         {statistics.median(again_s):6.2f} s  {again_rate:>10,.0f} events/s "
        "(all duplicates)"
    )
    say(f"  ratio ingest/raw COPY = {ratio:.0%}")
    say(f"  where the first ingest's time went: {first.summary(ingest_s[0])}")
    say(f"  where the first re-ingest's time went: {repeat.summary(again_s[0])}")
    rate_ok, ratio_ok = rate >= GOAL_RATE, ratio >= GOAL_RATIO
    say(f"  {'PASS' if rate_ok else 'FAIL'}: ingest {rate:,.0f} events/s vs goal ≥ {GOAL_RATE:,}")
    say(f"  {'PASS' if ratio_ok else 'FAIL'}: ingest at {ratio:.0%} of raw COPY vs goal ≥ {GOAL_RATIO:.0%}")
    path.unlink()
    workdir.rmdir()
    return 0 if rate_ok and ratio_ok else 1


if __name__ == "__main__":
    sys.exit(main())
