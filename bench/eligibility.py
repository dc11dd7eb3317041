"""Benchmark: attendance and eligibility of an 80-trainee × 80-hour class on PostgreSQL (过程监管).

Run:
  .venv/bin/python bench/eligibility.py [--trainees 80 --other-checkins 1000000 --runs 50
                                         --database-url postgres://postgres@127.0.0.1:5432/jineng_bench_sup]

Each run recreates the database, migrates it, and loads: one approved class (24 theory + 56
practical hours over ten days, its timetable through the service) whose trainees check in once per
hour (5 % of cells absent, plus rejected attempts with a low score), a make-up, video segments and
inspections; and --other-checkins check-ins of 200 other classes (COPY), so the index probes run
against a table of realistic size. Then ANALYZE, and, median and p95 over --runs:

  eligibility: jineng.supervision.selectors.eligibility — the timetable, segments, roster, the
               trainee × hour grid in one statement, suspensions and online results;
  baseline:    the same grid read trainee by trainee (one query per trainee, decided in Python), the
               N+1 shape the set-based statement replaces.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

CST = dt.timezone(dt.timedelta(hours=8))
START = dt.date(2023, 5, 8)
SLOTS = ((8, 0), (9, 0), (10, 0), (11, 0), (14, 0), (15, 0), (16, 0), (17, 0))
OTHER_CLASSES, OTHER_TRAINEES = 200, 50


def say(message: str) -> None:
    print(message, flush=True)


def recreate(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    server = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def load(trainees: int, other_checkins: int) -> Any:
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from jineng.accounts.models import User
    from jineng.classes.models import ClassState, Enrollment, TrainingClass
    from jineng.classes.services import class_create
    from jineng.registry.models import CheckinDevice, Person
    from jineng.supervision.models import CheckIn, CheckInBatch, Inspection, MakeUp, VideoSegment
    from jineng.supervision.services import HourInput, class_hours_set
    from jineng.testing import cast, class_input, make_ric, unit

    people = cast()
    User.objects.filter(pk=people.alice.pk).update(password=make_password(None))
    total = trainees + OTHER_CLASSES * OTHER_TRAINEES
    born = dt.date(1970, 1, 1)
    Person.objects.bulk_create(
        [
            Person(id_number=make_ric("411081", born + dt.timedelta(days=i % 12000), i // 12000), name=f"学员{i}")
            for i in range(total)
        ],
        batch_size=5000,
    )
    persons = list(Person.objects.order_by("id").values_list("id", flat=True))
    cls = class_create(actor=people.alice, data=class_input(start=START, end=START + dt.timedelta(days=18)))
    Enrollment.objects.bulk_create(
        [
            Enrollment(training_class=cls, person_id=pk, row=i + 1, category="unemployed")
            for i, pk in enumerate(persons[:trainees])
        ]
    )
    TrainingClass.objects.filter(pk=cls.pk).update(state=ClassState.APPROVED)
    cls.refresh_from_db()
    kinds = ["theory"] * 24 + ["practical"] * 56
    hours_in = []
    for i, kind in enumerate(kinds):
        day = START + dt.timedelta(days=i // len(SLOTS))
        h, m = SLOTS[i % len(SLOTS)]
        starts = dt.datetime(day.year, day.month, day.day, h, m, tzinfo=CST)
        hours_in.append(HourInput(kind, starts, starts + dt.timedelta(minutes=45)))
    hours = class_hours_set(cls=cls, actor=people.alice, version=cls.version, hours=hours_in)
    others = TrainingClass.objects.bulk_create(
        [
            TrainingClass(
                code=f"XC2023B{n:05d}",
                name=f"其他班{n}",
                institution=people.yuzhou_school,
                occupation=people.lathe,
                training_type="employment",
                certificate="skill_level",
                lead_department=unit("dept-mii"),
                area=unit("area-yuzhou"),
                start=START,
                end=START + dt.timedelta(days=21),
                created_by=people.alice,
                state=ClassState.APPROVED,
            )
            for n in range(OTHER_CLASSES)
        ]
    )
    device = CheckinDevice.objects.create(serial="BENCH-1", institution=people.yuzhou_school)
    batch = CheckInBatch.objects.create(source="import", device=device, received_at=timezone.now())
    rows = []
    for r, person in enumerate(persons[:trainees]):
        for h in hours:
            n = r * len(hours) + h.seq
            if n % 20 == 0:  # absent: a rejected attempt only
                rows.append((f"A{n}", person, h.starts_at - dt.timedelta(minutes=5), 0.62))
                continue
            rows.append((f"A{n}", person, h.starts_at - dt.timedelta(minutes=2 + n % 25), 0.81 + n % 18 / 100))
            if n % 7 == 0:  # a second check-in within the same hour
                rows.append((f"B{n}", person, h.starts_at + dt.timedelta(minutes=20), 0.9))
    CheckIn.objects.bulk_create(
        [
            CheckIn(
                device=device,
                device_event_id=e,
                training_class=cls,
                person_id=p,
                at=at,
                match_score=s,
                liveness=True,
                batch=batch,
            )
            for e, p, at, s in rows
        ],
        batch_size=5000,
    )

    def other_rows() -> Iterator[tuple[Any, ...]]:
        first = dt.datetime(2023, 5, 8, 0, 0, tzinfo=dt.UTC)
        for k in range(other_checkins):
            c = k % OTHER_CLASSES
            t = (k // OTHER_CLASSES) % OTHER_TRAINEES
            person = persons[trainees + c * OTHER_TRAINEES + t]
            at = first + dt.timedelta(minutes=(k * 37) % (21 * 24 * 60))
            yield (device.pk, f"O{k}", others[c].pk, person, at, 0.9, True, batch.pk)

    with connection.cursor() as cursor:
        statement = (
            f'COPY "{CheckIn._meta.db_table}" (device_id, device_event_id, training_class_id, person_id, at, '
            "match_score, liveness, batch_id) FROM STDIN"
        )
        with cursor.cursor.copy(statement) as copy:
            for row in other_rows():
                copy.write_row(row)
    entry = Enrollment.objects.filter(training_class=cls, row=1).get()
    MakeUp.objects.create(
        enrollment=entry,
        class_hour=hours[19],
        held_at=dt.datetime(2023, 5, 27, 9, tzinfo=CST),
        minutes=45,
        video_ref="nvr://m",
        recorded_by=people.alice,
        recorded_at=timezone.now(),
    )
    for day in range(10):
        for half, (first, last) in enumerate(((0, 3), (4, 7))):
            group = [h for h in hours if (h.seq - 1) // 8 == day and first <= (h.seq - 1) % 8 <= last]
            if group:
                VideoSegment.objects.create(
                    training_class=cls,
                    camera=f"CAM-{half}",
                    kind=group[0].kind,
                    starts_at=group[0].starts_at - dt.timedelta(minutes=5),
                    ends_at=group[-1].ends_at + dt.timedelta(minutes=5),
                    all_visible=True,
                    storage_ref=f"nvr://{day}/{half}",
                    retain_until=dt.date(2026, 5, 30),
                    recorded_by=people.alice,
                    recorded_at=timezone.now(),
                )
    Inspection.objects.create(
        training_class=cls,
        kind="onsite",
        at=hours[10].starts_at,
        inspector=people.dan1,
        inspector_org=unit("dept-mii"),
        present_count=trainees - 2,
        teachers_present=2,
        recorded_at=timezone.now(),
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    say(f"== 载入：{trainees} 名学员 × {len(hours)} 课时，本班签到 {len(rows):,} 条，其他班签到 {other_checkins:,} 条")
    return cls


def baseline(cls: Any) -> int:
    """The grid trainee by trainee: one query per trainee for its check-ins, decided in Python."""
    from jineng.classes.models import Enrollment
    from jineng.supervision.models import CheckIn, ClassHour
    from jineng.supervision.selectors import class_policy

    _, p = class_policy(cls)
    early = dt.timedelta(minutes=p.checkin_early_minutes)
    hours = list(ClassHour.objects.filter(training_class=cls).exclude(kind="online").order_by("seq"))
    present = 0
    for entry in Enrollment.objects.filter(training_class=cls).order_by("row"):
        moments = list(
            CheckIn.objects.filter(
                training_class=cls,
                person_id=entry.person_id,
                liveness=True,
                match_score__gte=float(p.checkin_match_min),
            ).values_list("at", flat=True)
        )
        present += sum(1 for h in hours if any(h.starts_at - early <= m <= h.ends_at for m in moments))
    return present


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trainees", type=int, default=80)
    parser.add_argument("--other-checkins", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/jineng_bench_sup")
    args = parser.parse_args()
    recreate(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jineng.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from jineng.supervision import selectors

    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    cls = load(args.trainees, args.other_checkins)
    say(f"   （载入用时 {time.perf_counter() - began:.1f} 秒）")
    state = selectors.eligibility(cls)
    record = selectors.attendance(cls)
    present = record.totals["present"]
    assert baseline(cls) == present, "the baseline must find the same attendance"
    payable = sum(1 for t in state.trainees if t.payable)
    say(
        f"== 出勤：签到 {present:,}、补课 {record.totals['made_up']}、缺勤 {record.totals['absent']}；"
        f"可补贴 {payable} 人"
    )
    median, p95 = timed(lambda: selectors.eligibility(cls), args.runs)
    say(f"eligibility  中位数 {median:7.2f} ms   p95 {p95:7.2f} ms")
    base_median, base_p95 = timed(lambda: baseline(cls), max(5, args.runs // 5))
    say(f"baseline     中位数 {base_median:7.2f} ms   p95 {base_p95:7.2f} ms   （逐名学员查询，仅出勤网格）")
    say(f"倍数 baseline / eligibility = {base_median / median:.1f}")


if __name__ == "__main__":
    main()
