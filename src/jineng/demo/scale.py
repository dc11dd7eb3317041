"""Synthetic data at scale (issue 6, 6): `jineng demo --scale city|province`.

A plan year of realistic records for the dashboards, bulletins and their benchmark: institutions,
persons with valid resident IDs, approved and ended classes spread over the year, their rosters,
the certificates of the trainees (and earlier certificates of some persons, so the
first-certificate indicators have a history to compare with), electronic vouchers and the small
registers of the plan (competitions, evaluation filings, publicity reports).

city ≈ 3,000 classes × ~40 = 120,000 training person-times (the plan's 12 万);
province ≈ 75,000 classes = 3,000,000 person-times.

Speed: rows are never saved one by one. The large tables are written by COPY on PostgreSQL (their
secondary indexes and foreign keys dropped for the load and rebuilt once after it, ids reserved
from the table's sequence) and by executemany in batches of 5,000 on SQLite. Everything is written
in one transaction: a failed run leaves nothing behind. The records skip what the dashboards do not
read (review steps, check-ins, videos, claims, specialties).

Deterministic: the same --seed and year give the same rows (ids aside, which follow the database).
Refuses to run into a database that already holds its classes (codes "SC" + year).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
import json
import random
import sys
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from math import ceil
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from jineng.accounts.models import Role, User
from jineng.assessment.models import CertificateRecord
from jineng.classes.models import Certificate, ClassState, Enrollment, SpecialAction, TrainingClass, TrainingType
from jineng.crypto import blind_indexes, encrypt_many
from jineng.demo.seed import chinese_name, region_code
from jineng.ids import is_valid_ric
from jineng.plan.loader import load_plan
from jineng.registry.models import RIC_PURPOSE, Institution, Occupation, OrgUnit, Person
from jineng.registry.services import occupations_sync, org_units_sync
from jineng.targets.models import Competition, EvaluationFiling, PublicityReport
from jineng.testing import QUESTIONNAIRE_YES, make_ric, make_uscc
from jineng.vouchers.models import Voucher, VoucherBatch, VoucherState

LOCAL = ZoneInfo("Asia/Shanghai")
SCALES: dict[str, int] = {"city": 3_000, "province": 75_000}  # classes; ~40 trainees each
SCALE_ZH = {"city": "全市", "province": "全省"}
USERNAME = "scale-demo"
CODE_PREFIX = "SC"  # + year: the marker of a generated database (real classes are "XC" + year)

CLASS_SIZE = (30, 50)  # trainees per class, uniform: ~40 on average
ENROLLMENTS_PER_PERSON = 1.15  # a person is on one roster, some on two
INSTITUTION_CLASSES = 40  # ~1 institution per 40 classes
VOUCHERS_PER_CLASS = 50_000 / 3_000  # the plan's 5 万 vouchers at city scale (二(四))
VOUCHER_CAP = 400_000  # province scale would be 1.25 M; capped so the load stays within minutes
VOUCHER_USED = 0.25
ENDED_SHARE = 0.80  # the rest are approved classes still running (the latest to end)
CERTIFIED = 0.85  # of an ended class's trainees
EARLIER_CERTIFIED = 0.20  # of persons, a certificate from the five years before
SUBSIDISED = 0.45
WITH_ACTION = 0.70
MANUFACTURING = 0.35  # of all classes (IND-MANUFACTURING-SHARE asks ≥ 30% of subsidised ones)

BATCH = 5_000  # rows per executemany on SQLite
# Resident IDs take sequence numbers 900–999: the seed demo uses 100–899 and the roster benchmark
# counts from 0, so a generated person never collides with theirs in a shared database.
SEQ_FROM, SEQ_SPAN = 900, 100
STRIDE = 7919  # spreads consecutive persons over the birth dates (a bijection when prime to the span)

# Other Henan cities' urban districts (郑州, 洛阳, 平顶山, 安阳, 鹤壁, 新乡, 焦作, 濮阳, 漯河, 三门峡,
# 南阳, 商丘, 信阳, 周口, 驻马店): trainees from elsewhere in the province at province scale.
HENAN_REGIONS = (
    "410102",
    "410302",
    "410402",
    "410502",
    "410602",
    "410702",
    "410802",
    "410902",
    "411102",
    "411202",
    "411302",
    "411402",
    "411502",
    "411602",
    "411702",
)
XUCHANG_AREAS = ("yuzhou", "changge", "yanling", "xiangcheng", "jianan", "weidu")  # seed.AREA_REGIONS

ACTION_BY_CODE = {member.name.lower(): member.value for member in SpecialAction}
LEVEL_WEIGHTS = {5: 40, 4: 30, 3: 20, 2: 7, 1: 3}
EARLIER_LEVEL_WEIGHTS = {5: 50, 4: 35, 3: 12, 2: 3}
ROUTES: dict[str, float] = {
    Certificate.SKILL_LEVEL: 0.78,
    Certificate.VOCATIONAL_QUALIFICATION: 0.06,
    Certificate.SPECIAL_OPERATION: 0.05,
    Certificate.SPECIAL_EQUIPMENT: 0.02,
    Certificate.SPECIAL_CAPABILITY: 0.06,
    Certificate.TRAINING_QUALIFIED: 0.03,
}
GRADED = frozenset({Certificate.SKILL_LEVEL, Certificate.VOCATIONAL_QUALIFICATION})
TRAINING_TYPES: dict[str, float] = {
    TrainingType.EMPLOYMENT: 0.52,
    TrainingType.UPGRADE: 0.42,
    TrainingType.APPRENTICESHIP: 0.012,
    TrainingType.ENTREPRENEURSHIP: 0.03,
    TrainingType.TRANSFER: 0.018,
}
CATEGORIES: dict[str, float] = {
    Person.Category.EMPLOYEE: 30,
    Person.Category.MIGRANT_WORKER: 25,
    Person.Category.UNEMPLOYED: 18,
    Person.Category.GRADUATE: 8,
    Person.Category.POVERTY_RELIEF: 5,
    Person.Category.STUDENT: 5,
    Person.Category.VETERAN: 2,
    Person.Category.DISABLED: 1,
    Person.Category.OTHER: 6,
}
INSTITUTION_KINDS: dict[str, float] = {
    Institution.Kind.TRAINING_SCHOOL: 0.60,
    Institution.Kind.TECHNICAL_SCHOOL: 0.10,
    Institution.Kind.VOCATIONAL_COLLEGE: 0.10,
    Institution.Kind.UNIVERSITY: 0.04,
    Institution.Kind.ENTERPRISE_CENTER: 0.16,
}
INSTITUTION_SUFFIX = {
    Institution.Kind.TRAINING_SCHOOL: "职业培训学校",
    Institution.Kind.TECHNICAL_SCHOOL: "技工学校",
    Institution.Kind.VOCATIONAL_COLLEGE: "职业技术学校",
    Institution.Kind.UNIVERSITY: "学院",
    Institution.Kind.ENTERPRISE_CENTER: "实业有限公司培训中心",
    Institution.Kind.EVALUATION_BODY: "职业技能评价中心",
}
ACADEMIC = frozenset(
    {Institution.Kind.TECHNICAL_SCHOOL, Institution.Kind.VOCATIONAL_COLLEGE, Institution.Kind.UNIVERSITY}
)
_BRANDS = (
    "阳光",
    "技能",
    "宏达",
    "德润",
    "新时代",
    "中原",
    "华夏",
    "鑫源",
    "博远",
    "恒信",
    "腾飞",
    "启航",
    "金桥",
    "远航",
    "东方",
    "瑞丰",
    "兴业",
    "智成",
    "匠心",
    "未来",
)
TRADES = ("制造", "科技", "实业", "建设", "食品")
LEVEL_SHORT = {5: "五级", 4: "四级", 3: "三级", 2: "二级", 1: "一级"}
# Who issues what: the area's evaluation body for skill levels; the bureaus for the rest.
ISSUERS: dict[str, str] = {
    Certificate.VOCATIONAL_QUALIFICATION: "许昌市人力资源和社会保障局",
    Certificate.SPECIAL_OPERATION: "许昌市应急管理局",
    Certificate.SPECIAL_EQUIPMENT: "许昌市市场监督管理局",
    Certificate.TRAINING_QUALIFIED: "许昌市职业技能鉴定指导中心",
    Certificate.SPECIAL_CAPABILITY: "许昌市职业技能鉴定指导中心",
}
VOUCHER_VALUE = {5: "800.00", 4: "1200.00", 3: "1600.00", 2: "2000.00", 1: "2400.00", None: "600.00"}
MEDIA = {1: "{area}融媒体中心", 2: "许昌日报", 3: "河南日报", 4: "人民网"}


class AlreadyGenerated(Exception):
    """The database already holds generated data; a second run would double every figure."""


def sizes(scale: str, classes: int | None = None) -> dict[str, int]:
    """Planned sizes of a scale (or of a custom number of classes); enrollments are ~40 per class."""
    if scale not in SCALES:
        raise ValueError(f"未知的规模 {scale!r}（可选：{', '.join(SCALES)}）")
    n = SCALES[scale] if classes is None else classes
    if n < 1:
        raise ValueError("班级数至少为 1")
    enrollments = n * sum(CLASS_SIZE) // 2
    return {
        "classes": n,
        "enrollments": enrollments,
        "persons": ceil(enrollments / ENROLLMENTS_PER_PERSON),
        "institutions": max(n // INSTITUTION_CLASSES, 1),
        "vouchers": min(round(n * VOUCHERS_PER_CLASS), VOUCHER_CAP),
    }


# ── progress bar ──────────────────────────────────────────────────────────────────────────────


class Bar:
    """`[#####-----] 52% 1,560,000/3,000,000 enrollments 12.3s`, redrawn in place on a terminal
    (at most ten times a second); elsewhere (a log, a test) only the finished line is written."""

    WIDTH = 30

    def __init__(self, out: TextIO, total: int, label: str) -> None:
        self.out, self.total, self.label = out, total, label
        self.done = 0
        self.started = self.drawn = time.perf_counter()
        self.live = bool(getattr(out, "isatty", lambda: False)())
        if self.live:
            self._draw()

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.live:
            now = time.perf_counter()
            if now - self.drawn >= 0.1:
                self.drawn = now
                self._draw()

    def close(self) -> None:
        self.total = self.done  # an estimated total (certificates) ends at what was written
        self._draw(end="\n")

    def _draw(self, end: str = "") -> None:
        share = self.done / self.total if self.total else 1.0
        filled = int(share * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        seconds = time.perf_counter() - self.started
        line = f"[{bar}] {share:4.0%} {self.done:,}/{self.total:,} {self.label} {seconds:.1f}s"
        self.out.write(("\r" if self.live else "") + line + end)
        self.out.flush()


# ── writing rows: COPY on PostgreSQL, executemany elsewhere ───────────────────────────────────


class Writer:
    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self._at: dict[dt.datetime, str] = {}

    def at(self, value: dt.datetime) -> str:
        """An aware time as the backend stores it: UTC, with an offset for PostgreSQL's timestamptz
        and without for SQLite (as Django writes it there, so stored and generated times compare)."""
        text = self._at.get(value)
        if text is None:
            utc = value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
            text = self._at[value] = utc + "+00" if self.postgres else utc
        return text

    def reserve(self, model: type[Model], n: int) -> int:
        """The first of n consecutive ids for `model`'s rows (taken from its sequence on PostgreSQL)."""
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.postgres:
                # Nobody else inserts until this transaction ends, so the block stays ours.
                cursor.execute(f'LOCK TABLE "{table}" IN EXCLUSIVE MODE')
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                sequence = cursor.fetchone()[0]
                cursor.execute("SELECT nextval(%s)", [sequence])
                first = int(cursor.fetchone()[0])
                if n > 1:
                    cursor.execute("SELECT setval(%s, %s)", [sequence, first + n - 1])
                return first
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
            return int(cursor.fetchone()[0]) + 1

    def write(self, model: type[Model], columns: Sequence[str], rows: Iterable[tuple[Any, ...]], bar: Bar) -> int:
        table = model._meta.db_table
        quoted = ", ".join(f'"{c}"' for c in columns)
        count = 0
        with connection.cursor() as cursor:
            if self.postgres:
                from psycopg.copy import QueuedLibpqWriter

                # psycopg's writer thread sends while the next rows are formatted here.
                raw = cursor.cursor
                with (
                    connection.wrap_database_errors,
                    raw.copy(f'COPY "{table}" ({quoted}) FROM STDIN', writer=QueuedLibpqWriter(raw)) as copy,
                ):
                    for row in rows:
                        copy.write_row(row)
                        count += 1
                        if count % 10_000 == 0:
                            bar.advance(10_000)
                bar.advance(count % 10_000)
                return count
            statement = f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join(["%s"] * len(columns))})'
            chunk: list[tuple[Any, ...]] = []
            for row in rows:
                chunk.append(row)
                if len(chunk) == BATCH:
                    cursor.executemany(statement, chunk)
                    count += len(chunk)
                    bar.advance(len(chunk))
                    chunk = []
            if chunk:
                cursor.executemany(statement, chunk)
                count += len(chunk)
                bar.advance(len(chunk))
        return count

    @contextmanager
    def bulk(self, *models: type[Model]) -> Iterator[None]:
        """On PostgreSQL, the tables' foreign keys, unique constraints and secondary indexes are
        dropped for the load and rebuilt once after it: building a B-tree over sorted millions is
        several times faster than maintaining five of them row by row, and COPY into a table with
        deferred foreign keys queues a trigger event per row. The definitions are read from the
        catalog, so what is rebuilt is exactly what the migrations made."""
        if not self.postgres:
            yield
            return
        saved: list[tuple[str, list[tuple[str, str]], list[tuple[str, str]]]] = []
        with connection.cursor() as cursor:
            # ALTER TABLE refuses a table with pending trigger events (earlier inserts' checks).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for model in models:
                table = model._meta.db_table
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype IN ('f', 'u')",
                    [table],
                )
                constraints = list(cursor.fetchall())
                cursor.execute(
                    "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                    "WHERE indrelid = %s::regclass AND NOT indisprimary "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = indexrelid)",
                    [table],
                )
                indexes = list(cursor.fetchall())
                for name, _ in constraints:
                    cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                for name, _ in indexes:
                    cursor.execute(f"DROP INDEX {name}")
                saved.append((table, constraints, indexes))
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        yield
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for _, _, indexes in saved:
                for _, definition in indexes:
                    cursor.execute(definition)
            # Unique constraints first: the foreign keys of later tables may need them.
            for kind in ("UNIQUE", "FOREIGN KEY"):
                for table, constraints, _ in saved:
                    for name, definition in constraints:
                        if definition.startswith(kind):
                            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


# ── the plan of the year ──────────────────────────────────────────────────────────────────────


def weighted(rng: random.Random, weights: Mapping[Any, float]) -> Callable[[], Any]:
    """A draw from `weights` (key → weight), by bisecting the cumulative weights."""
    keys = list(weights)
    cumulative: list[float] = []
    total = 0.0
    for key in keys:
        total += weights[key]
        cumulative.append(total)

    def draw() -> Any:
        return keys[min(bisect.bisect_right(cumulative, rng.random() * total), len(keys) - 1)]

    return draw


@dataclass(frozen=True)
class Occ:
    pk: int
    code: str
    name: str
    catalog: str
    manufacturing: bool
    routes: tuple[str, ...]
    levels: tuple[int, ...]
    actions: tuple[int, ...]


@dataclass
class Classes:
    """The year's classes, one list per column, in order of start date (ids and codes follow it)."""

    area: list[int] = field(default_factory=list)  # index into Context.areas
    dept: list[int] = field(default_factory=list)  # OrgUnit pk
    inst: list[int] = field(default_factory=list)  # Institution pk
    occ: list[Occ] = field(default_factory=list)
    level: list[int | None] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)  # training type
    route: list[str] = field(default_factory=list)  # certificate
    subsidised: list[bool] = field(default_factory=list)
    action: list[int | None] = field(default_factory=list)
    start: list[dt.date] = field(default_factory=list)
    end: list[dt.date] = field(default_factory=list)
    ended: list[bool] = field(default_factory=list)
    size: list[int] = field(default_factory=list)
    offset: list[int] = field(default_factory=list)  # index of the class's first enrollment

    def __len__(self) -> int:
        return len(self.start)


@dataclass
class Context:
    year: int
    rng: random.Random
    writer: Writer
    actor: User
    city: OrgUnit
    areas: list[OrgUnit]
    area_weights: list[float]
    departments: dict[int, float]  # pk → weight
    occupations: list[Occ]
    prefixes: dict[int, str]  # area pk → how names begin (禹州市…, 许昌示范区…)
    counts: dict[str, int] = field(default_factory=dict)


def _occupations() -> list[Occ]:
    rows = Occupation.objects.filter(active=True).order_by("code")
    return [
        Occ(
            pk=o.pk,
            code=o.code,
            name=o.name,
            catalog=o.catalog,
            manufacturing=o.manufacturing,
            routes=tuple(o.certificate_routes),
            levels=tuple(o.levels),
            actions=tuple(ACTION_BY_CODE[a] for a in o.actions if a in ACTION_BY_CODE),
        )
        for o in rows
    ]


def _pools(occupations: list[Occ]) -> dict[str, tuple[list[Occ], list[Occ]]]:
    """Per certificate route: (manufacturing occupations, the others) that can lead to it."""
    classification = [o for o in occupations if o.catalog == "classification"]
    candidates: dict[str, list[Occ]] = {
        Certificate.SKILL_LEVEL: [o for o in classification if Certificate.SKILL_LEVEL in o.routes],
        Certificate.VOCATIONAL_QUALIFICATION: [
            o for o in occupations if Certificate.VOCATIONAL_QUALIFICATION in o.routes
        ],
        Certificate.SPECIAL_OPERATION: [o for o in occupations if o.catalog == "special_operation"],
        Certificate.SPECIAL_EQUIPMENT: [o for o in occupations if o.catalog == "special_equipment"],
        # No occupation of the catalog names 专项职业能力 as its route: any occupation of the
        # classification may have a 专项职业能力 module.
        Certificate.SPECIAL_CAPABILITY: classification,
        Certificate.TRAINING_QUALIFIED: [o for o in occupations if Certificate.TRAINING_QUALIFIED in o.routes],
    }
    pools = {}
    for route, occs in candidates.items():
        if occs:
            pools[route] = ([o for o in occs if o.manufacturing], [o for o in occs if not o.manufacturing])
    if Certificate.SKILL_LEVEL not in pools:
        raise RuntimeError("职业目录为空：请先运行 occupations_sync（jineng manage migrate 后载入职业目录）")
    return pools


def _start_day(rng: random.Random, year: int) -> dt.date:
    # Weighted towards later months (the plan's work builds up over the year): December ~3×
    # January.
    month = weighted_month(rng)
    first = dt.date(year, month, 1)
    days = ((first.replace(month=month + 1) if month < 12 else dt.date(year + 1, 1, 1)) - first).days
    return first + dt.timedelta(days=rng.randrange(days))


_MONTH_CUMULATIVE = [sum(m + 5 for m in range(1, k + 1)) for k in range(1, 13)]


def weighted_month(rng: random.Random) -> int:
    return bisect.bisect_right(_MONTH_CUMULATIVE, rng.random() * _MONTH_CUMULATIVE[-1]) + 1


def plan_classes(ctx: Context, n: int, institutions: dict[int, list[int]]) -> Classes:
    rng = ctx.rng
    pools = _pools(ctx.occupations)
    routes = {route: share for route, share in ROUTES.items() if route in pools}
    # Routes whose occupations include manufacturing ones carry the whole manufacturing share.
    mixed = sum(share for route, share in routes.items() if pools[route][0] and pools[route][1])
    p_manufacturing = min(1.0, MANUFACTURING / mixed) if mixed else 0.0
    draw_route = weighted(rng, routes)
    draw_type = weighted(rng, TRAINING_TYPES)
    draw_area = weighted(rng, dict(enumerate(ctx.area_weights)))
    draw_dept = weighted(rng, ctx.departments)
    level_draws: dict[tuple[int, ...], Callable[[], Any]] = {}
    drafts = []
    for _ in range(n):
        kind = draw_type()
        route = Certificate.SKILL_LEVEL if kind == TrainingType.APPRENTICESHIP else draw_route()
        mfg, other = pools[route]
        pool = mfg if mfg and (not other or rng.random() < p_manufacturing) else other
        occ = pool[rng.randrange(len(pool))]
        level = None
        if route in GRADED and occ.levels:
            draw_level = level_draws.get(occ.levels)
            if draw_level is None:
                draw_level = level_draws[occ.levels] = weighted(
                    rng, {lv: LEVEL_WEIGHTS[lv] for lv in occ.levels if lv in LEVEL_WEIGHTS}
                )
            level = draw_level()
        action = None
        if rng.random() < WITH_ACTION:
            if level is not None and level <= 3 and rng.random() < 0.3:
                action = SpecialAction.HIGH_SKILL.value
            elif occ.actions:
                action = occ.actions[rng.randrange(len(occ.actions))]
            else:
                action = rng.randint(1, 10)
        area = draw_area()
        start = _start_day(rng, ctx.year)
        end = start + dt.timedelta(days=rng.randint(14, 42))
        drafts.append(
            (
                start,
                end,
                area,
                draw_dept(),
                occ,
                level,
                kind,
                route,
                kind == TrainingType.APPRENTICESHIP or rng.random() < SUBSIDISED,
                action,
                rng.randint(*CLASS_SIZE),
            )
        )
    drafts.sort(key=lambda d: (d[0], d[1]))
    # As seen at the end of the year: the classes that ended last are still running (approved).
    cutoff = sorted(d[1] for d in drafts)[min(int(n * ENDED_SHARE), n - 1)] if n > 1 else drafts[0][1]
    out = Classes()
    offset = 0
    for start, end, area, dept, occ, level, kind, route, subsidised, action, size in drafts:
        choices = institutions[area]
        out.area.append(area)
        out.dept.append(dept)
        out.inst.append(choices[rng.randrange(len(choices))])
        out.occ.append(occ)
        out.level.append(level)
        out.kind.append(kind)
        out.route.append(route)
        out.subsidised.append(subsidised)
        out.action.append(action)
        out.start.append(start)
        out.end.append(end)
        ended = end < cutoff and end.year == ctx.year
        out.ended.append(ended)
        out.size.append(size)
        out.offset.append(offset)
        offset += size
    return out


# ── steps ─────────────────────────────────────────────────────────────────────────────────────


def _refuse_if_generated() -> None:
    found = (
        TrainingClass.objects.filter(code__startswith=CODE_PREFIX, created_by__username=USERNAME)
        .values_list("code", flat=True)
        .first()
    )
    if found is not None:
        raise AlreadyGenerated(
            f"数据库中已有规模演示数据（班级编号 {found[:6]}…）：再次生成会使全部指标翻倍，未写入任何数据。"
            "如需重新生成，请换用一个新的空数据库（先运行 jineng manage migrate）。"
        )


def _context(year: int, seed: int) -> Context:
    plan = load_plan()
    org_units_sync()
    occupations_sync()
    units = {u.key: u for u in OrgUnit.objects.all()}
    city = units["city"]
    actor, _ = User.objects.get_or_create(
        username=USERNAME,
        defaults={
            "role": Role.SYS_ADMIN,
            "org": city,
            "first_name": "规模演示数据",
            "password": make_password(None),  # no login: it only signs the generated rows
        },
    )
    areas = [units[f"area-{a.key}"] for a in plan.areas]
    return Context(
        year=year,
        rng=random.Random(seed),
        writer=Writer(),
        actor=actor,
        city=city,
        areas=areas,
        area_weights=[float(a.targets.training or 0) for a in plan.areas],
        departments={units[f"dept-{d.code}"].pk: float(d.targets.training or 0) for d in plan.departments},
        occupations=_occupations(),
        prefixes={
            units[f"area-{a.key}"].pk: "许昌市"
            if a.key == "shizhi"
            else f"许昌{a.name}"
            if a.functional_zone
            else a.name
            for a in plan.areas
        },
    )


def _uscc_seed(year: int, index: int) -> int:
    # A block of seeds per plan year, far above those of the seed demo and the tests.
    return 0x5000000 + (year % 100) * 0x10000 + index


def create_institutions(ctx: Context, n: int) -> tuple[dict[int, list[int]], dict[int, str]]:
    """~n institutions over the areas in proportion to their classes (at least two each), plus one
    evaluation body per area. Returns the training institutions per area index and the name of
    each area's evaluation body (the issuer of its skill-level certificates)."""
    rng = ctx.rng
    total = sum(ctx.area_weights)
    draw_kind = weighted(rng, INSTITUTION_KINDS)
    rows: list[Institution] = []
    for index, area in enumerate(ctx.areas):
        prefix = ctx.prefixes[area.pk]
        count = max(2, round(n * ctx.area_weights[index] / total))
        for i in range(count + 1):
            kind = Institution.Kind.EVALUATION_BODY if i == count else draw_kind()
            brand = _BRANDS[(len(rows) * 7 + i) % len(_BRANDS)]
            rows.append(
                Institution(
                    name=f"{prefix}{brand}{INSTITUTION_SUFFIX[kind]}（{len(rows) + 1}）",
                    uscc=make_uscc(_uscc_seed(ctx.year, len(rows)), region=area.region_code or "411000"),
                    kind=kind,
                    area=area,
                    academic_education=kind in ACADEMIC,
                )
            )
    created = Institution.objects.bulk_create(rows, batch_size=BATCH)
    training: dict[int, list[int]] = {i: [] for i in range(len(ctx.areas))}
    evaluators: dict[int, str] = {}
    index_of = {a.pk: i for i, a in enumerate(ctx.areas)}
    for inst in created:
        if inst.kind == Institution.Kind.EVALUATION_BODY:
            evaluators[index_of[inst.area_id]] = inst.name
        else:
            training[index_of[inst.area_id]].append(inst.pk)
    ctx.counts["institutions"] = len(created)
    return training, evaluators


def _always(code: str) -> Callable[[int], str]:
    """A region code that is the same for every birth year it is used for."""

    def region(_year: int) -> str:
        return code

    return region


@dataclass(frozen=True)
class Slot:
    """A place of birth: its region code by birth year, and the births it spans."""

    region: Callable[[int], str]
    first: dt.date
    days: int


def _slots(year: int, province: bool) -> list[Slot]:
    last = dt.date(year - 18, 12, 31)  # trainees are 18 to 60
    earliest = dt.date(year - 60, 1, 1)

    def span(first: dt.date) -> int:
        days = (last - first).days + 1
        return days - 1 if days % STRIDE == 0 else days

    slots = [
        Slot(region=functools.partial(region_code, area), first=earliest, days=span(earliest)) for area in XUCHANG_AREAS
    ]
    if province:
        for code in HENAN_REGIONS:
            # The first birth year the code is valid for (stdnum's table): a district created in
            # 1997 carries no one born before.
            valid = [
                y for y in range(earliest.year, last.year + 1) if is_valid_ric(make_ric(code, dt.date(y, 6, 1), 0))
            ]
            if valid:
                first = dt.date(valid[0], 1, 1)
                slots.append(Slot(region=_always(code), first=first, days=span(first)))
    return slots


def create_persons(ctx: Context, n: int, province: bool, out: TextIO) -> tuple[int, array[int], bytearray]:
    """Persons with valid, unique resident IDs. Person i is born in slot i mod S on a day spread by
    STRIDE over the slot's span, with sequence number 900 + the round: (slot, day, seq) is one-to-one.
    Returns the first id, each person's birth year and category index."""
    slots = _slots(ctx.year, province)
    rounds = ceil(n / len(slots)) / min(s.days for s in slots)
    if rounds > SEQ_SPAN:
        raise ValueError(f"{n:,} 人超出可生成的身份证号数量")
    categories = list(CATEGORIES)
    draw_category = weighted(ctx.rng, {i: CATEGORIES[c] for i, c in enumerate(categories)})
    births = array("H", bytes(2 * n))
    kinds = bytearray(n)
    first_id = ctx.writer.reserve(Person, n)
    now = ctx.writer.at(timezone.now())
    writer = ctx.writer

    def rows() -> Iterator[tuple[Any, ...]]:
        count = len(slots)
        for start in range(0, n, BATCH):
            numbers, phones = [], []
            for i in range(start, min(start + BATCH, n)):
                slot = slots[i % count]
                rest = i // count
                birth = slot.first + dt.timedelta(days=rest * STRIDE % slot.days)
                numbers.append(make_ric(slot.region(birth.year), birth, SEQ_FROM + rest // slot.days))
                births[i] = birth.year
                kinds[i] = draw_category()
                phones.append(f"1{'3578'[i % 4]}{(i * 7919 + 12_345_678) % 10**9:09d}")
            # As Person stores them (jineng.crypto): ID and phone sealed, the ID's keyed hash to
            # find it by — a batch at a time, since the rows bypass the model's fields.
            sealed = zip(
                encrypt_many(numbers, purpose=RIC_PURPOSE),
                blind_indexes(numbers, purpose=RIC_PURPOSE),
                encrypt_many(phones, purpose="phone"),
                strict=True,
            )
            for i, (number, key, phone) in enumerate(sealed, start=start):
                yield (first_id + i, number, key, chinese_name(i), phone, categories[kinds[i]], now)

    bar = Bar(out, n, "persons")
    columns = ["id", "id_number", "id_hash", "name", "phone", "category", "created_at"]
    written = writer.write(Person, columns, rows(), bar)
    bar.close()
    ctx.counts["persons"] = written
    return first_id, births, kinds


def create_classes(ctx: Context, plan: Classes, out: TextIO) -> int:
    n = len(plan)
    first_id = ctx.writer.reserve(TrainingClass, n)
    writer = ctx.writer
    areas = ctx.areas
    rng = ctx.rng
    columns = [
        "id",
        "code",
        "name",
        "institution_id",
        "occupation_id",
        "level",
        "training_type",
        "certificate",
        "subsidised",
        "special_action",
        "lead_department_id",
        "area_id",
        "start",
        "end",
        "minutes_per_hour",
        "hours_theory",
        "hours_practical",
        "hours_online",
        "workstations",
        "enterprise_name",
        "enterprise_uscc",
        "cross_city_approval",
        "state",
        "version",
        "created_by_id",
        "created_at",
        "updated_at",
        "submitted_by_id",
        "submitted_at",
        "state_since",
    ]
    type_zh = dict(TrainingType.choices)
    actor = ctx.actor.pk

    def rows() -> Iterator[tuple[Any, ...]]:
        for c in range(n):
            start, end, occ, level = plan.start[c], plan.end[c], plan.occ[c], plan.level[c]
            area = areas[plan.area[c]]
            submitted = dt.datetime.combine(start - dt.timedelta(days=rng.randint(7, 20)), dt.time(9), tzinfo=LOCAL)
            since = dt.datetime.combine(
                end if plan.ended[c] else start - dt.timedelta(days=3), dt.time(17), tzinfo=LOCAL
            )
            hours = rng.choice((40, 64, 80, 120, 160))
            apprentice = plan.kind[c] == TrainingType.APPRENTICESHIP
            level_text = f"（{LEVEL_SHORT[level]}）" if level else ""
            yield (
                first_id + c,
                f"{CODE_PREFIX}{ctx.year}{c + 1:06d}",
                f"{ctx.year}年{ctx.prefixes[area.pk]}{occ.name}{level_text}{type_zh[plan.kind[c]]}班（第{c + 1}期）",
                plan.inst[c],
                occ.pk,
                level,
                plan.kind[c],
                plan.route[c],
                plan.subsidised[c],
                plan.action[c],
                plan.dept[c],
                area.pk,
                start.isoformat(),
                end.isoformat(),
                45,
                hours * 3 // 10,
                hours - hours * 3 // 10,
                0,
                rng.randint(20, 50),
                f"{ctx.prefixes[area.pk]}{_BRANDS[c % len(_BRANDS)]}制造有限公司" if apprentice else "",
                make_uscc(_uscc_seed(ctx.year, 0x8000 + c % 0x6000), region=area.region_code or "411000")
                if apprentice
                else "",
                False,
                ClassState.ENDED if plan.ended[c] else ClassState.APPROVED,
                7 if plan.ended[c] else 6,
                actor,
                writer.at(submitted),
                writer.at(since),
                actor,
                writer.at(submitted),
                writer.at(since),
            )

    bar = Bar(out, n, "classes")
    written = writer.write(TrainingClass, columns, rows(), bar)
    bar.close()
    ctx.counts["classes"] = written
    return first_id


def assign_persons(rng: random.Random, persons: int, plan: Classes) -> array[int]:
    """Person index of each enrollment: everyone once, some twice, shuffled; never twice in one class."""
    total = plan.offset[-1] + plan.size[-1]
    pool = array("i", range(persons))
    pool.extend(rng.sample(range(persons), total - persons))
    rng.shuffle(pool)
    offsets = plan.offset
    for c in range(len(plan)):
        lo, hi = offsets[c], offsets[c] + plan.size[c]
        seen: set[int] = set()
        for k in range(lo, hi):
            while pool[k] in seen:
                # Swap with an entry of another class that is new here and whose class does not
                # hold this person (rare: ~1 in 40 of the twice-enrolled land in one class).
                q = rng.randrange(total)
                qc = bisect.bisect_right(offsets, q) - 1
                if lo <= q < hi or pool[q] in seen:
                    continue
                other = set(pool[offsets[qc] : offsets[qc] + plan.size[qc]])
                if pool[k] in other:
                    continue
                pool[k], pool[q] = pool[q], pool[k]
            seen.add(pool[k])
    return pool


def create_enrollments(
    ctx: Context, plan: Classes, class_id: int, person_id: int, pool: array[int], kinds: bytearray, out: TextIO
) -> int:
    total = len(pool)
    first_id = ctx.writer.reserve(Enrollment, total)
    categories = list(CATEGORIES)
    questionnaire = json.dumps(QUESTIONNAIRE_YES)

    def rows() -> Iterator[tuple[Any, ...]]:
        for c in range(len(plan)):
            assessed = plan.end[c].isoformat() if plan.ended[c] else None
            lo = plan.offset[c]
            for row in range(plan.size[c]):
                k = lo + row
                person = pool[k]
                yield (
                    first_id + k,
                    class_id + c,
                    person_id + person,
                    row + 1,
                    categories[kinds[person]],
                    questionnaire,
                    assessed,
                )

    bar = Bar(out, total, "enrollments")
    columns = ["id", "training_class_id", "person_id", "row", "category", "questionnaire", "assessed_on"]
    written = ctx.writer.write(Enrollment, columns, rows(), bar)
    bar.close()
    ctx.counts["enrollments"] = written
    return first_id


def create_certificates(
    ctx: Context,
    plan: Classes,
    enrollment_id: int,
    person_id: int,
    pool: array[int],
    births: array[int],
    evaluators: dict[int, str],
    out: TextIO,
) -> array[int]:
    """Certificates of ~85% of ended classes' trainees (2–4 weeks after the end, the class's kind
    and level), then earlier ones (2018–2022 for 2023) of ~20% of persons, without a training.
    Returns each enrollment's certificate id (0: none)."""
    rng, writer, year = ctx.rng, ctx.writer, ctx.year
    ended = sum(plan.size[c] for c in range(len(plan)) if plan.ended[c])
    persons = len(births)
    expected = round(ended * CERTIFIED + persons * EARLIER_CERTIFIED * 1.05)
    first_id = writer.reserve(CertificateRecord, expected)
    certificate_of = array("q", bytes(8 * len(pool)))
    actor = ctx.actor.pk
    graded = [o for o in ctx.occupations if o.catalog == "classification" and Certificate.SKILL_LEVEL in o.routes]
    draw_earlier_level = weighted(rng, EARLIER_LEVEL_WEIGHTS)
    next_id = first_id

    def rows() -> Iterator[tuple[Any, ...]]:
        nonlocal next_id
        for c in range(len(plan)):
            if not plan.ended[c]:
                continue
            kind, level, occupation = plan.route[c], plan.level[c], plan.occ[c].pk
            issuer = evaluators[plan.area[c]] if kind == Certificate.SKILL_LEVEL else ISSUERS[kind]
            lo = plan.offset[c]
            # One assessment per class, so one issue date for all its certificates.
            day = plan.end[c] + dt.timedelta(days=rng.randint(14, 28))
            recorded = writer.at(dt.datetime.combine(day, dt.time(10), tzinfo=LOCAL))
            for k in range(lo, lo + plan.size[c]):
                if rng.random() >= CERTIFIED:
                    continue
                certificate_of[k] = next_id
                yield (
                    next_id,
                    person_id + pool[k],
                    enrollment_id + k,
                    kind,
                    occupation,
                    level,
                    f"{CODE_PREFIX}{year}C{next_id - first_id + 1:09d}",
                    day.isoformat(),
                    issuer,
                    actor,
                    recorded,
                )
                next_id += 1
        trained = next_id - first_id
        ctx.counts["certificates"] = trained
        first_day = dt.date(year - 5, 1, 1)
        span = (dt.date(year - 1, 12, 31) - first_day).days + 1
        for i in range(persons):
            if rng.random() >= EARLIER_CERTIFIED:
                continue
            # At 18 or older: persons too young for the first years get a later date.
            earliest = max(first_day, dt.date(births[i] + 18, 1, 1))
            if earliest.year >= year:
                continue
            day = earliest + dt.timedelta(days=rng.randrange(max(1, span - (earliest - first_day).days)))
            occ = graded[rng.randrange(len(graded))]
            kind = Certificate.VOCATIONAL_QUALIFICATION if rng.random() < 0.15 else Certificate.SKILL_LEVEL
            level = draw_earlier_level()
            if occ.levels and level not in occ.levels:
                level = max(occ.levels)
            recorded = writer.at(dt.datetime.combine(day, dt.time(10), tzinfo=LOCAL))
            yield (
                next_id,
                person_id + i,
                None,
                kind,
                occ.pk,
                level,
                f"{CODE_PREFIX}{year}P{next_id - first_id + 1:09d}",
                day.isoformat(),
                ISSUERS[Certificate.VOCATIONAL_QUALIFICATION]
                if kind != Certificate.SKILL_LEVEL
                else "许昌市职业技能鉴定指导中心",
                actor,
                recorded,
            )
            next_id += 1
        ctx.counts["certificates_earlier"] = next_id - first_id - trained

    columns = [
        "id",
        "person_id",
        "enrollment_id",
        "kind",
        "occupation_id",
        "level",
        "number",
        "issued_on",
        "issuer",
        "recorded_by_id",
        "recorded_at",
    ]
    bar = Bar(out, expected, "certificates")
    writer.write(CertificateRecord, columns, rows(), bar)
    bar.close()
    if writer.postgres and next_id - 1 > first_id + expected - 1:
        with connection.cursor() as cursor:  # more than reserved: move the sequence past them
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [CertificateRecord._meta.db_table, next_id - 1]
            )
    return certificate_of


def create_vouchers(
    ctx: Context,
    plan: Classes,
    n: int,
    enrollment_id: int,
    person_id: int,
    persons: int,
    pool: array[int],
    certificate_of: array[int],
    out: TextIO,
) -> None:
    """n vouchers, issued by the areas month by month; ~25% used at enrolment in a subsidised class
    by their holder, valued when the holder's certificate of that class exists (以证换券)."""
    rng, writer, year = ctx.rng, ctx.writer, ctx.year
    candidates = [
        k for c in range(len(plan)) if plan.subsidised[c] for k in range(plan.offset[c], plan.offset[c] + plan.size[c])
    ]
    used = sorted(rng.sample(candidates, min(len(candidates), round(n * VOUCHER_USED))))
    draw_area = weighted(rng, dict(enumerate(ctx.area_weights)))
    # (area, month, holder index, enrollment index or -1, redeemed day or None)
    specs: list[tuple[int, int, int, int, dt.date | None]] = []
    for k in used:
        c = bisect.bisect_right(plan.offset, k) - 1
        day = max(dt.date(year, 1, 1), plan.start[c] - dt.timedelta(days=rng.randint(1, 10)))
        specs.append((plan.area[c], day.month, pool[k], k, day))
    for _ in range(n - len(used)):
        specs.append((draw_area(), weighted_month(rng), rng.randrange(persons), -1, None))
    batches: dict[tuple[int, int], int] = {}
    for area, month, *_ in specs:
        batches[(area, month)] = batches.get((area, month), 0) + 1
    issued_at = {key: dt.datetime.combine(dt.date(year, key[1], 1), dt.time(9), tzinfo=LOCAL) for key in batches}
    rows = [
        VoucherBatch(
            code=f"{CODE_PREFIX}{year}B{area + 1:02d}{month:02d}",
            org=ctx.areas[area],
            issued_on=dt.date(year, month, 1),
            expires_on=dt.date(year, month, 1) + dt.timedelta(days=364),
            purpose=f"{year}年{ctx.areas[area].name}{month}月电子职业培训券",
            count=count,
            issued_by=ctx.actor,
            issued_at=issued_at[(area, month)],
            source_digest=hashlib.sha256(f"{CODE_PREFIX}{year}B{area}-{month}".encode()).hexdigest(),
        )
        for (area, month), count in sorted(batches.items())
    ]
    batch_ids = {(b.org_id, b.issued_on.month): b.pk for b in VoucherBatch.objects.bulk_create(rows)}
    first_id = writer.reserve(Voucher, len(specs))
    actor = ctx.actor.pk
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

    def voucher_rows() -> Iterator[tuple[Any, ...]]:
        for i, (area, month, holder, k, day) in enumerate(specs):
            issued = dt.date(year, month, 1)
            # The printed code is random (vouchers/models.py); the running number keeps it unique.
            code = f"{year % 100:02d}{i:08d}" + "".join(alphabet[rng.randrange(32)] for _ in range(6))
            state, enrollment, redeemed, certificate, value, valued = VoucherState.ISSUED, None, None, None, None, None
            if k >= 0 and day is not None:
                c = bisect.bisect_right(plan.offset, k) - 1
                enrollment = enrollment_id + k
                redeemed = writer.at(dt.datetime.combine(day, dt.time(10), tzinfo=LOCAL))
                state = VoucherState.REDEEMED
                if certificate_of[k]:
                    state = VoucherState.VALUED
                    certificate = certificate_of[k]
                    value = VOUCHER_VALUE[plan.level[c]]
                    valued_day = plan.end[c] + dt.timedelta(days=35)
                    valued = writer.at(dt.datetime.combine(valued_day, dt.time(15), tzinfo=LOCAL))
            yield (
                first_id + i,
                code,
                batch_ids[(ctx.areas[area].pk, month)],
                person_id + holder,
                state,
                issued.isoformat(),
                (issued + dt.timedelta(days=364)).isoformat(),
                enrollment,
                redeemed,
                actor if redeemed else None,
                certificate,
                value,
                valued,
            )

    columns = [
        "id",
        "code",
        "batch_id",
        "holder_id",
        "state",
        "issued_on",
        "expires_on",
        "enrollment_id",
        "redeemed_at",
        "redeemed_by_id",
        "certificate_id",
        "value",
        "valued_at",
    ]
    bar = Bar(out, len(specs), "vouchers")
    ctx.counts["vouchers"] = writer.write(Voucher, columns, voucher_rows(), bar)
    bar.close()
    ctx.counts["vouchers_used"] = len(used)
    ctx.counts["voucher_batches"] = len(rows)


def create_registers(ctx: Context) -> None:
    """The plan's small registers: ~25 competitions, ~110 evaluation filings, publicity reports
    (3–5 per area, 1–2 per department)."""
    rng, year = ctx.rng, ctx.year
    units = {u.pk: u for u in OrgUnit.objects.filter(kind=OrgUnit.Kind.DEPARTMENT)}
    organisers = [u for u in units.values() if u.key in ("dept-hrss", "dept-mii", "dept-union", "dept-edu")] or list(
        units.values()
    )
    occupations = [o for o in ctx.occupations if o.catalog == "classification"]
    rng.shuffle(occupations)

    def day() -> dt.date:
        return dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))

    competitions = []
    for i in range(25):
        contestants = rng.randint(20, 120)
        competitions.append(
            Competition(
                name=f"{year}年许昌市第{i + 1}届{occupations[(2 * i) % len(occupations)].name}职业技能竞赛",
                held_on=day(),
                organiser=organisers[i % len(organisers)],
                contestants=contestants,
                certified=round(contestants * rng.uniform(0.3, 0.8)),
                recorded_by=ctx.actor,
            )
        )
    created = Competition.objects.bulk_create(competitions)
    through = Competition.occupations.through
    links = []
    for i, comp in enumerate(created):
        for j in range(rng.randint(1, 3)):
            links.append(through(competition_id=comp.pk, occupation_id=occupations[(2 * i + j) % len(occupations)].pk))
    through.objects.bulk_create(links, ignore_conflicts=True)
    draw_area = weighted(rng, dict(enumerate(ctx.area_weights)))
    filings = []
    for i in range(110):
        area = ctx.areas[draw_area()]
        filings.append(
            EvaluationFiling(
                name=f"{ctx.prefixes[area.pk]}{_BRANDS[i % len(_BRANDS)]}{TRADES[i % len(TRADES)]}有限公司",
                uscc=make_uscc(_uscc_seed(ctx.year, 0xF000 + i), region=area.region_code or "411000"),
                area=area,
                filed_on=day(),
                occupations=rng.randint(1, 8),
            )
        )
    EvaluationFiling.objects.bulk_create(filings)
    reports = []
    for area in ctx.areas:
        for i in range(rng.randint(3, 5)):
            level = weighted(rng, {1: 50, 2: 30, 3: 15, 4: 5})()
            reports.append(
                PublicityReport(
                    unit=area,
                    title=f"{ctx.prefixes[area.pk]}扎实推进职业技能提升行动（{i + 1}）",
                    media=MEDIA[level].format(area=ctx.prefixes[area.pk]),
                    level=level,
                    published_on=day(),
                )
            )
    for unit in sorted(units.values(), key=lambda u: u.seq):
        for i in range(rng.randint(1, 2)):
            level = weighted(rng, {2: 70, 3: 25, 4: 5})()
            reports.append(
                PublicityReport(
                    unit=unit,
                    title=f"{unit.name}开展技能人才培训工作（{i + 1}）",
                    media=MEDIA[level],
                    level=level,
                    published_on=day(),
                )
            )
    PublicityReport.objects.bulk_create(reports)
    ctx.counts["competitions"] = len(created)
    ctx.counts["evaluation_filings"] = len(filings)
    ctx.counts["publicity_reports"] = len(reports)


# ── the whole ─────────────────────────────────────────────────────────────────────────────────


def generate(
    *, scale: str, year: int = 2023, seed: int = 2023, out: TextIO = sys.stderr, classes: int | None = None
) -> dict[str, int]:
    """Generate a plan year at `scale` ("city" or "province"; `classes` overrides the number of
    classes) into the configured database. Raises AlreadyGenerated when it holds generated data.
    Returns the counts of what was written (see `summary`)."""
    planned = sizes(scale, classes)
    started = time.perf_counter()
    with transaction.atomic():
        _refuse_if_generated()
        out.write(
            f"== 生成{SCALE_ZH[scale]}规模演示数据（{year} 年，种子 {seed}）：约 {planned['classes']:,} 个班、"
            f"{planned['enrollments']:,} 人次\n"
        )
        ctx = _context(year, seed)
        training, evaluators = create_institutions(ctx, planned["institutions"])
        plan = plan_classes(ctx, planned["classes"], training)
        total = plan.offset[-1] + plan.size[-1]
        persons = ceil(total / ENROLLMENTS_PER_PERSON)
        pool = assign_persons(ctx.rng, persons, plan)
        writer = ctx.writer
        with writer.bulk(Person):
            person_id, births, kinds = create_persons(ctx, persons, scale == "province", out)
        class_id = create_classes(ctx, plan, out)
        with writer.bulk(Enrollment, CertificateRecord, Voucher):
            enrollment_id = create_enrollments(ctx, plan, class_id, person_id, pool, kinds, out)
            certificate_of = create_certificates(ctx, plan, enrollment_id, person_id, pool, births, evaluators, out)
            create_vouchers(
                ctx, plan, planned["vouchers"], enrollment_id, person_id, persons, pool, certificate_of, out
            )
            if writer.postgres:
                out.write("   重建索引与外键…\n")
                out.flush()
        create_registers(ctx)
    if writer.postgres:
        with connection.cursor() as cursor:  # the planner's statistics for the new millions of rows
            cursor.execute("ANALYZE")
    counts = dict(ctx.counts)
    counts["seconds"] = round(time.perf_counter() - started)
    out.write(f"== 已写入，用时 {time.perf_counter() - started:.1f} 秒\n")
    _refresh(year, out)
    if writer.postgres:
        with connection.cursor() as cursor:  # and for the progress facts just rebuilt
            cursor.execute("ANALYZE")
    return counts


def _refresh(year: int, out: TextIO) -> None:
    """Targets and progress facts of the year, when the targets app provides them."""
    try:
        from jineng.targets.services import targets_sync
    except ImportError:
        out.write("   （未找到 jineng.targets.services.targets_sync：目标任务未载入）\n")
    else:
        targets_sync()
    try:
        from jineng.targets.progress import progress_refresh
    except ImportError:
        out.write("   （未找到 jineng.targets.progress.progress_refresh：进度汇总未刷新，请稍后自行刷新）\n")
        return
    started = time.perf_counter()
    progress_refresh(year=year)
    out.write(f"== 已刷新 {year} 年进度汇总，用时 {time.perf_counter() - started:.1f} 秒\n")


def summary(counts: dict[str, int]) -> str:
    """The counts in Chinese, one line each."""
    lines = [
        f"培训机构 {counts.get('institutions', 0):,} 个",
        f"培训班 {counts.get('classes', 0):,} 个",
        f"培训人次（花名册）{counts.get('enrollments', 0):,}",
        f"人员 {counts.get('persons', 0):,} 人",
        f"证书 {counts.get('certificates', 0):,} 本（另有往年证书 {counts.get('certificates_earlier', 0):,} 本）",
        f"电子培训券 {counts.get('vouchers', 0):,} 张（已使用 {counts.get('vouchers_used', 0):,} 张）",
        f"职业技能竞赛 {counts.get('competitions', 0)} 场，等级认定机构备案 {counts.get('evaluation_filings', 0)} 家，"
        f"宣传报道 {counts.get('publicity_reports', 0)} 篇",
    ]
    if "seconds" in counts:
        lines.append(f"用时 {counts['seconds']} 秒")
    return "".join(f"  {line}\n" for line in lines)
