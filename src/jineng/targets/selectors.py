"""The plan's progress as leadership reads it: every target against the records, time progress,
status, ranking, the indicator bounds, and the classes behind a figure — scoped by role.

Everything is summed from `ProgressFact` (two grouped statements over a few thousand rows per
year, however many enrollments there are) plus the small registers; the drill-down alone reads
the base tables, for one unit at a time, paged.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from jineng.accounts.models import Role, User
from jineng.classes.models import COUNTED_STATES, Enrollment, SpecialAction, TrainingClass
from jineng.plan.loader import COLUMNS
from jineng.policy.findings import Finding
from jineng.policy.loader import policies
from jineng.policy.parameters import Parameters
from jineng.policy.rules.indicators import (
    Progress,
    ind_competitions,
    ind_eval_institutions,
    ind_high_share,
    ind_manufacturing_share,
    ind_publicity,
    ind_vouchers,
    progress,
    sub_cert_share,
    time_progress,
)
from jineng.registry.models import OrgUnit

from .models import (
    Competition,
    EvaluationFiling,
    Indicator,
    Measure,
    ProgressFact,
    ProgressRefresh,
    PublicityReport,
    Scope,
    Target,
)
from .progress import CERTIFICATE_COLUMNS, certificate_counts_by_class

# Roles that read the dashboards, and how far: the city (city HR, leaders of the city), one area
# (area HR, an area's leader), one department (its reviewers read their own system's progress).
READERS = frozenset({Role.LEADER, Role.CITY_HR, Role.AREA_HR, Role.DEPT_REVIEWER})
INDICATORS: tuple[str, ...] = tuple(COLUMNS)
INDICATOR_ZH = dict(Indicator.choices)
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reach:
    """What a reader may see: the whole city, or one area, or one department."""

    kind: str  # "city" | "area" | "department"
    unit: OrgUnit | None

    def covers_area(self, area_id: int | None) -> bool:
        return self.kind == "city" or (self.kind == "area" and self.unit is not None and self.unit.pk == area_id)

    def covers_department(self, dept_id: int | None) -> bool:
        return self.kind == "city" or (self.kind == "department" and self.unit is not None and self.unit.pk == dept_id)


def reach_of(user: User) -> Reach | None:
    """None: the user reads no dashboard."""
    if user.role not in READERS or user.org is None:
        return None
    org = user.org
    if org.kind == OrgUnit.Kind.CITY and user.role in (Role.LEADER, Role.CITY_HR):
        return Reach("city", None)
    if org.kind == OrgUnit.Kind.AREA and user.role in (Role.LEADER, Role.AREA_HR):
        return Reach("area", org)
    if org.kind == OrgUnit.Kind.DEPARTMENT and user.role in (Role.LEADER, Role.DEPT_REVIEWER):
        return Reach("department", org)
    return None


@dataclass
class Row:
    """One line of a table: the city, an area, a department or a special action."""

    key: str
    name: str
    unit_id: int | None
    action: int | None
    progress: dict[str, Progress]
    manufacturing: Finding | None = None
    rank: int | None = None

    @property
    def training(self) -> Progress:
        return self.progress["training"]


@dataclass
class Overview:
    year: int
    as_of: dt.date
    elapsed: Decimal
    policy: str
    reach: Reach
    refreshed_at: dt.datetime | None
    headline: Row
    areas: list[Row]
    departments: list[Row]
    actions: list[Row]
    panel: list[Finding]
    publicity: list[Finding]
    monthly: dict[str, list[int]]  # indicator → cumulative actual at the end of each month ≤ as_of
    extra: dict[str, int] = field(default_factory=dict)  # shares' parts, registers' counts

    @property
    def behind(self) -> list[Row]:
        """Areas behind time progress on training (amber or red), worst first."""
        rows = [r for r in self.areas if r.training.status in ("amber", "red")]
        return sorted(rows, key=lambda r: r.training.done or Decimal(0))


def _parameters(year: int) -> tuple[str, Parameters]:
    day = dt.date(year, 1, 1)
    policy = policies().in_force(day)
    if policy is None:
        raise LookupError(f"{year} 年没有生效的政策文件")
    return policy.name, policy.parameters_on(day)


def _sums(year: int, as_of: dt.date) -> dict[tuple[str, int | None, int | None, int | None], int]:
    rows = (
        ProgressFact.objects.filter(year=year, day__lte=as_of)
        .values_list("measure", "area_id", "department_id", "action")
        .annotate(total=Sum("value"))
    )
    return {(m, a, d, x): int(t) for m, a, d, x, t in rows}


def _monthly(year: int, as_of: dt.date, reach: Reach) -> dict[str, list[int]]:
    qs = ProgressFact.objects.filter(year=year, day__lte=as_of)
    if reach.kind == "area" and reach.unit is not None:
        qs = qs.filter(area=reach.unit)
    elif reach.kind == "department" and reach.unit is not None:
        qs = qs.filter(department=reach.unit)
    by_day = qs.values_list("measure", "day").annotate(total=Sum("value"))
    months = as_of.month if as_of.year == year else 12
    series: dict[str, list[int]] = {m: [0] * months for m in Measure.values}
    for measure, day, total in by_day:
        series[measure][day.month - 1] += int(total)
    for values in series.values():
        for i in range(1, len(values)):
            values[i] += values[i - 1]
    return series


def _targets(year: int) -> dict[tuple[str, int | None, int | None], dict[str, int]]:
    out: dict[tuple[str, int | None, int | None], dict[str, int]] = defaultdict(dict)
    for scope, unit_id, action, indicator, value in Target.objects.filter(year=year).values_list(
        "scope", "unit_id", "action", "indicator", "value"
    ):
        out[(scope, unit_id, action)][indicator] = value
    return out


def _row(
    p: Parameters,
    *,
    key: str,
    name: str,
    actual: dict[str, int],
    targets: dict[str, int],
    elapsed: Decimal,
    unit_id: int | None = None,
    action: int | None = None,
    with_manufacturing: bool = False,
) -> Row:
    figures = {
        indicator: progress(p=p, actual=actual.get(indicator, 0), target=targets.get(indicator), elapsed=elapsed)
        for indicator in INDICATORS
    }
    row = Row(key=key, name=name, unit_id=unit_id, action=action, progress=figures)
    if with_manufacturing:
        row.manufacturing = ind_manufacturing_share(
            p=p,
            manufacturing=actual.get(Measure.SUBSIDISED_MANUFACTURING, 0),
            subsidised=actual.get(Measure.SUBSIDISED, 0),
            subject=key,
        )
    return row


def _rank(rows: list[Row]) -> None:
    """Rank by training completion (rows without a training target last, unranked)."""
    ranked = sorted((r for r in rows if r.training.done is not None), key=lambda r: -(r.training.done or 0))
    for position, row in enumerate(ranked, start=1):
        row.rank = position


def overview(user: User, *, year: int, as_of: dt.date) -> Overview | None:
    """The whole picture for `user`'s reach as it stood on `as_of`; None if the user reads none."""
    reach = reach_of(user)
    if reach is None:
        return None
    policy_name, p = _parameters(year)
    elapsed = time_progress(as_of=as_of, year=year)
    sums = _sums(year, as_of)
    targets = _targets(year)

    city: dict[str, int] = defaultdict(int)
    by_area: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_dept: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_action: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (measure, area, dept, action), total in sums.items():
        city[measure] += total
        by_area[area][measure] += total
        by_dept[dept][measure] += total
        by_action[action][measure] += total

    units = {u.pk: u for u in OrgUnit.objects.filter(kind__in=(OrgUnit.Kind.AREA, OrgUnit.Kind.DEPARTMENT))}
    areas = [
        _row(
            p,
            key=u.key,
            name=u.name,
            actual=by_area.get(u.pk, {}),
            targets=targets.get((Scope.AREA, u.pk, None), {}),
            elapsed=elapsed,
            unit_id=u.pk,
            with_manufacturing=True,
        )
        for u in sorted(units.values(), key=lambda u: (u.seq, u.key))
        if u.kind == OrgUnit.Kind.AREA and reach.covers_area(u.pk) and reach.kind != "department"
    ]
    departments = [
        _row(
            p,
            key=u.key,
            name=u.name,
            actual=by_dept.get(u.pk, {}),
            targets=targets.get((Scope.DEPARTMENT, u.pk, None), {}),
            elapsed=elapsed,
            unit_id=u.pk,
        )
        for u in sorted(units.values(), key=lambda u: (u.seq, u.key))
        if u.kind == OrgUnit.Kind.DEPARTMENT and reach.covers_department(u.pk) and reach.kind != "area"
    ]
    actions = (
        [
            _row(
                p,
                key=f"action-{number}",
                name=label,
                actual=by_action.get(number, {}),
                targets=targets.get((Scope.ACTION, None, number), {}),
                elapsed=elapsed,
                action=number,
            )
            for number, label in SpecialAction.choices
        ]
        if reach.kind == "city"
        else []
    )
    _rank(areas)
    _rank(departments)

    if reach.kind == "city":
        headline = _row(
            p,
            key="city",
            name="全市",
            actual=city,
            targets=targets.get((Scope.CITY, None, None), {}),
            elapsed=elapsed,
            with_manufacturing=True,
        )
        scoped: dict[str, int] = city
    else:
        headline = (areas or departments)[0]
        assert reach.unit is not None
        scoped = (by_area if reach.kind == "area" else by_dept).get(reach.unit.pk, {})

    panel, extra = _panel(p, year=year, as_of=as_of, actual=scoped, reach=reach)
    refreshed = ProgressRefresh.objects.filter(year=year).values_list("refreshed_at", flat=True).first()
    return Overview(
        year=year,
        as_of=as_of,
        elapsed=elapsed,
        policy=policy_name,
        reach=reach,
        refreshed_at=refreshed,
        headline=headline,
        areas=areas,
        departments=departments,
        actions=actions,
        panel=panel,
        publicity=_publicity(p, year=year, as_of=as_of, reach=reach),
        monthly=_monthly(year, as_of, reach),
        extra=extra,
    )


# ── the overview, cached ──────────────────────────────────────────────────────────────────────
# Leaders and HR bureaus open the same overview again and again, and it costs tens of
# milliseconds of Python over the facts. It is kept per reach, year and day; the key carries the
# year's refresh stamp (a refresh of the facts is seen at once) and a generation that every save
# or delete of a register the overview reads moves on (GENERATION_MODELS). What neither catches —
# a bulk load that sends no signals, another worker's cache without Redis — is seen within
# JINENG_DASHBOARD_CACHE_SECONDS.

GENERATION_KEY = "targets:overview:generation"


def registers_changed(**_: Any) -> None:
    """A register the overview reads changed: every cached overview is out of date."""
    try:
        cache.add(GENERATION_KEY, 0, None)
        cache.incr(GENERATION_KEY)
    except Exception:
        logger.warning("看板缓存不可用：未能标记目标任务数据已变更", exc_info=True)


def cached_overview(user: User, *, year: int, as_of: dt.date) -> Overview | None:
    """`overview`, from the cache when the same reach read the same year and day lately."""
    seconds = int(getattr(settings, "JINENG_DASHBOARD_CACHE_SECONDS", 0))
    reach = reach_of(user)
    if reach is None or seconds <= 0:
        return overview(user, year=year, as_of=as_of)
    refreshed = ProgressRefresh.objects.filter(year=year).values_list("refreshed_at", flat=True).first()
    try:
        generation = cache.get(GENERATION_KEY, 0)
        key = (
            f"targets:overview:{generation}:{reach.kind}:{reach.unit.pk if reach.unit else ''}:{year}:"
            f"{as_of.isoformat()}:{refreshed.timestamp() if refreshed else ''}"
        )
        found = cache.get(key)
    except Exception:
        logger.warning("看板缓存不可用：直接计算", exc_info=True)
        return overview(user, year=year, as_of=as_of)
    if isinstance(found, Overview):
        return found
    computed = overview(user, year=year, as_of=as_of)
    if computed is not None:
        try:
            cache.set(key, computed, seconds)
        except Exception:
            logger.warning("看板缓存不可用：结果未缓存", exc_info=True)
    return computed


def _panel(
    p: Parameters, *, year: int, as_of: dt.date, actual: dict[str, int], reach: Reach
) -> tuple[list[Finding], dict[str, int]]:
    panel = [
        ind_high_share(p=p, high=actual.get(Measure.NEW_HIGH_SKILLED, 0), skilled=actual.get(Measure.NEW_SKILLED, 0)),
        ind_manufacturing_share(
            p=p,
            manufacturing=actual.get(Measure.SUBSIDISED_MANUFACTURING, 0),
            subsidised=actual.get(Measure.SUBSIDISED, 0),
        ),
        sub_cert_share(
            p=p, low=actual.get(Measure.CERTIFICATES_LOW, 0), certificates=actual.get(Measure.CERTIFICATES, 0)
        ),
    ]
    extra = {m: actual.get(m, 0) for m in Measure.values}
    if reach.kind == "city":
        first = dt.date(year, 1, 1)
        competitions = Competition.objects.filter(held_on__range=(first, as_of))
        figures = competitions.aggregate(events=Count("pk", distinct=True), certified=Coalesce(Sum("certified"), 0))
        occupations = (
            Competition.occupations.through.objects.filter(competition__in=competitions)
            .values("occupation_id")
            .distinct()
            .count()
        )
        filed = EvaluationFiling.objects.filter(filed_on__range=(first, as_of)).count()
        panel += [
            ind_vouchers(p=p, issued=actual.get(Measure.VOUCHERS_ISSUED, 0), used=actual.get(Measure.VOUCHERS_USED, 0)),
            ind_competitions(p=p, events=figures["events"], occupations=occupations, certified=figures["certified"]),
            ind_eval_institutions(p=p, filed=filed),
        ]
        extra.update(
            competitions=figures["events"],
            competition_occupations=occupations,
            competition_certified=figures["certified"],
            evaluation_filings=filed,
        )
    return panel, extra


def _publicity(p: Parameters, *, year: int, as_of: dt.date, reach: Reach) -> list[Finding]:
    """IND-PUBLICITY per area (county-level media or higher) and per member unit (city-level or higher)."""
    reports = PublicityReport.objects.filter(published_on__range=(dt.date(year, 1, 1), as_of))
    area_counts = dict(
        reports.filter(level__gte=PublicityReport.Level.COUNTY).values_list("unit_id").annotate(n=Count("pk"))
    )
    member_counts = dict(
        reports.filter(level__gte=PublicityReport.Level.CITY).values_list("unit_id").annotate(n=Count("pk"))
    )
    out = []
    for unit in OrgUnit.objects.filter(kind__in=(OrgUnit.Kind.AREA, OrgUnit.Kind.DEPARTMENT)).order_by("kind", "seq"):
        if unit.kind == OrgUnit.Kind.AREA and reach.covers_area(unit.pk) and reach.kind != "department":
            out.append(ind_publicity(p=p, unit=unit.name, kind="area", reports=area_counts.get(unit.pk, 0)))
        elif unit.kind == OrgUnit.Kind.DEPARTMENT and reach.covers_department(unit.pk) and reach.kind != "area":
            out.append(ind_publicity(p=p, unit=unit.name, kind="department", reports=member_counts.get(unit.pk, 0)))
    return out


def city_overview(user: User, *, year: int, as_of: dt.date) -> Overview | None:
    """The benchmark's and the home dashboard's entry point (the reader's whole reach)."""
    return overview(user, year=year, as_of=as_of)


# ── drill-down: the classes behind a figure ───────────────────────────────────────────────────

TRAINING_MEASURES = frozenset({"training", "subsidised", "apprentices", "subsidised_mfg"})
CERTIFICATE_MEASURES = frozenset(CERTIFICATE_COLUMNS)


class CountedClasses:
    """The classes behind a certificate figure, each with `counted`, read a page at a time: it
    slices, counts and iterates like the queryset the training drill-downs return."""

    def __init__(self, classes: QuerySet[TrainingClass], counts: dict[int, int]) -> None:
        self._ids = [pk for pk in classes.values_list("pk", flat=True) if pk in counts]
        self._classes = classes.model.objects.select_related("institution", "area", "lead_department", "occupation")
        self._counts = counts

    def count(self) -> int:
        return len(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def _load(self, ids: list[int]) -> list[TrainingClass]:
        found = self._classes.in_bulk(ids)
        out = []
        for pk in ids:
            cls = found[pk]
            cls.counted = self._counts[pk]  # type: ignore[attr-defined]
            out.append(cls)
        return out

    def __getitem__(self, index: slice) -> list[TrainingClass]:
        return self._load(self._ids[index])

    def __iter__(self) -> Iterator[TrainingClass]:
        for start in range(0, len(self._ids), 500):
            yield from self._load(self._ids[start : start + 500])


def drilldown(
    user: User,
    *,
    year: int,
    as_of: dt.date,
    indicator: str,
    area_id: int | None = None,
    department_id: int | None = None,
    action: int | None = None,
) -> QuerySet[TrainingClass] | CountedClasses | None:
    """The classes counted in a figure, with the count each contributes (`counted`); None when the
    reader may not see that unit. Training measures count roster entries of classes ended in the
    period; certificate measures count certificates issued in the period to the class's trainees."""
    reach = reach_of(user)
    if reach is None:
        return None
    if reach.kind == "area":
        if area_id is not None and not reach.covers_area(area_id):
            return None
        area_id = reach.unit.pk if reach.unit else None
    if reach.kind == "department":
        if department_id is not None and not reach.covers_department(department_id):
            return None
        department_id = reach.unit.pk if reach.unit else None
    qs = TrainingClass.objects.select_related("institution", "area", "lead_department", "occupation")
    if area_id is not None:
        qs = qs.filter(area_id=area_id)
    if department_id is not None:
        qs = qs.filter(lead_department_id=department_id)
    if action is not None:
        qs = qs.filter(special_action=action)
    first = dt.date(year, 1, 1)
    if indicator in TRAINING_MEASURES:
        qs = qs.filter(state__in=COUNTED_STATES, end__range=(first, as_of))
        if indicator in ("subsidised", "subsidised_mfg"):
            qs = qs.filter(subsidised=True)
        if indicator == "subsidised_mfg":
            qs = qs.filter(occupation__manufacturing=True)
        if indicator == "apprentices":
            qs = qs.filter(training_type="apprenticeship")
        # Per class as a correlated subquery, not a join + GROUP BY over every roster entry of the
        # scope: the page is cut first, and count() leaves the subquery out.
        per_class = (
            Enrollment.objects.filter(training_class=OuterRef("pk"))
            .order_by()
            .values("training_class")
            .annotate(n=Count("*"))
            .values("n")
        )
        return qs.annotate(counted=Coalesce(Subquery(per_class, output_field=IntegerField()), 0)).order_by(
            "-end", "-id"
        )
    if indicator in CERTIFICATE_MEASURES:
        counts = certificate_counts_by_class(
            year=year, as_of=as_of, measure=indicator, classes=qs.values("pk").query.sql_with_params()
        )
        return CountedClasses(qs.order_by("-end", "-id"), counts)
    return TrainingClass.objects.none()


def scope_label(reach: Reach) -> str:
    return "全市" if reach.kind == "city" else (reach.unit.name if reach.unit else "")


def as_dict(o: Overview) -> dict[str, Any]:
    """The overview as plain data (the API's answer and the bulletin's input)."""

    def prog(pr: Progress) -> dict[str, Any]:
        return {
            "actual": pr.actual,
            "target": pr.target,
            "done": None if pr.done is None else str(pr.done),
            "status": pr.status,
        }

    def row(r: Row) -> dict[str, Any]:
        return {
            "key": r.key,
            "name": r.name,
            "rank": r.rank,
            "progress": {k: prog(v) for k, v in r.progress.items()},
            "manufacturing": r.manufacturing.as_dict() if r.manufacturing else None,
        }

    return {
        "year": o.year,
        "as_of": o.as_of.isoformat(),
        "time_progress": str(o.elapsed),
        "policy": o.policy,
        "scope": scope_label(o.reach),
        "refreshed_at": o.refreshed_at.isoformat() if o.refreshed_at else None,
        "headline": row(o.headline),
        "areas": [row(r) for r in o.areas],
        "departments": [row(r) for r in o.departments],
        "actions": [row(r) for r in o.actions],
        "panel": [f.as_dict() for f in o.panel],
        "publicity": [f.as_dict() for f in o.publicity],
        "monthly": o.monthly,
        "behind": [r.name for r in o.behind],
    }
