"""Reads of vouchers, always through the reader's scope.

Area HR sees what its area issued, city HR everything; a worker their own vouchers; a clerk the
vouchers used on its institution's rosters; the leader the VCH-TARGET counts only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from jineng.accounts.models import Role, User
from jineng.policy.findings import Finding
from jineng.policy.loader import policies
from jineng.policy.rules.vouchers import vch_target
from jineng.registry.models import OrgUnit

from .models import Voucher, VoucherBatch, VoucherState

# Roles that see the year's VCH-TARGET figures (city-wide: the target is the city's).
TARGET_ROLES = frozenset({Role.AREA_HR, Role.CITY_HR, Role.LEADER})


def _hr_org(user: User) -> OrgUnit | None:
    """The org whose batches an HR user sees: an area HR its area, city HR the city (all)."""
    org = user.org
    if org is None:
        return None
    if user.role == Role.AREA_HR and org.kind == OrgUnit.Kind.AREA:
        return org
    if user.role == Role.CITY_HR and org.kind == OrgUnit.Kind.CITY:
        return org
    return None


def voucher_scope(user: User) -> Q | None:
    """The Q limiting vouchers to what `user` may see; None means nothing."""
    if not user.is_authenticated or not user.is_active:
        return None
    org = _hr_org(user)
    if org is not None:
        return Q() if org.kind == OrgUnit.Kind.CITY else Q(batch__org=org)
    if user.role == Role.WORKER:
        return Q(holder_id=user.person_id) if user.person_id else None
    if user.role == Role.INSTITUTION_CLERK:
        return Q(enrollment__training_class__institution_id=user.institution_id) if user.institution_id else None
    return None  # the leader reads counts only; administrators do not read cases


def vouchers_for(user: User) -> QuerySet[Voucher]:
    base = Voucher.objects.select_related("batch", "holder", "enrollment__training_class", "certificate").order_by(
        "-issued_on", "-id"
    )
    scope = voucher_scope(user)
    return base.none() if scope is None else base.filter(scope)


def voucher_list(user: User, *, state: str | None = None, batch: int | None = None) -> QuerySet[Voucher]:
    qs = vouchers_for(user)
    if state:
        qs = qs.filter(state=state)
    if batch:
        qs = qs.filter(batch_id=batch)
    return qs


def batches_for(user: User) -> QuerySet[VoucherBatch]:
    """Batches an HR user's organisation issued (the city: all); nobody else reads batches."""
    base = VoucherBatch.objects.select_related("org", "issued_by").order_by("-issued_at", "-id")
    org = _hr_org(user)
    if org is None or not user.is_active:
        return base.none()
    return base if org.kind == OrgUnit.Kind.CITY else base.filter(org=org)


def batch_get(user: User, pk: int) -> VoucherBatch | None:
    return batches_for(user).filter(pk=pk).first()


def batch_counts(batch: VoucherBatch) -> dict[str, int]:
    """How many of the batch's vouchers are in each state (every state present, zeros included)."""
    counts = dict(batch.vouchers.order_by().values("state").annotate(n=Count("pk")).values_list("state", "n"))
    return {state: counts.get(state, 0) for state in VoucherState.values}


def voucher_for_enrollment(enrollment_id: int) -> Voucher | None:
    """The voucher used for a roster entry, if any (the claim and the assessment read it)."""
    return Voucher.objects.select_related("holder", "certificate").filter(enrollment_id=enrollment_id).first()


@dataclass(frozen=True)
class VoucherTarget:
    year: int
    issued: int
    used: int
    finding: Finding | None  # None: no policy covers the year
    org_name: str = ""  # an area HR also sees its own area's figures
    org_issued: int | None = None
    org_used: int | None = None


def _year_counts(qs: QuerySet[Voucher], year: int) -> tuple[int, int]:
    figures = qs.filter(issued_on__year=year).aggregate(
        issued=Count("pk"), used=Count("pk", filter=Q(state=VoucherState.VALUED))
    )
    return figures["issued"] or 0, figures["used"] or 0


def voucher_target(user: User, year: int) -> VoucherTarget | None:
    """VCH-TARGET for `year`: vouchers issued in the year (by issue date) and effectively used
    (有效使用: valued with a certificate); None for roles that do not read the indicator."""
    if user.role not in TARGET_ROLES or not user.is_active or user.org is None:
        return None
    issued, used = _year_counts(Voucher.objects.all(), year)
    last_day = dt.date(year, 12, 31)
    policy = policies().in_force(last_day) or policies().in_force(dt.date(year, 1, 1))
    finding = None
    if policy is not None:
        day = last_day if policy.covers(last_day) else policy.end
        finding = vch_target(p=policy.parameters_on(day), issued=issued, used=used)
    org = _hr_org(user)
    if org is not None and org.kind == OrgUnit.Kind.AREA:
        org_issued, org_used = _year_counts(Voucher.objects.filter(batch__org=org), year)
        return VoucherTarget(year, issued, used, finding, org.name, org_issued, org_used)
    return VoucherTarget(year, issued, used, finding)
