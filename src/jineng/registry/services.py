"""Catalog writes: org units from the plan's annexes, occupations from the shipped classification."""

from __future__ import annotations

from django.db import transaction

from jineng.audit.services import audit_record
from jineng.plan.loader import Plan, load_plan

from .models import OrgUnit

CITY_KEY = "city"
FINANCE_KEY = "finance"


@transaction.atomic
def org_units_sync(*, plan: Plan | None = None, actor: object = None) -> dict[str, int]:
    """Create or update the city, the areas of annex 1 and the departments of annex 2 (idempotent)."""
    plan = plan or load_plan()
    created = updated = 0

    def upsert(key: str, **values: object) -> OrgUnit:
        nonlocal created, updated
        unit, was_created = OrgUnit.objects.update_or_create(key=key, defaults=values)
        if was_created:
            created += 1
            audit_record(
                actor=actor, event="orgunit.create", obj=unit, changes={k: (None, v) for k, v in values.items()}
            )
        else:
            updated += 1
        return unit

    city = upsert(CITY_KEY, kind=OrgUnit.Kind.CITY, name="许昌市", region_code="411000", parent=None, seq=0)
    for seq, area in enumerate(plan.areas, start=1):
        upsert(
            f"area-{area.key}",
            kind=OrgUnit.Kind.AREA,
            name=area.name,
            region_code=area.region_code or "",
            parent=city,
            seq=seq,
        )
    for dept in plan.departments:
        upsert(
            f"dept-{dept.code}", kind=OrgUnit.Kind.DEPARTMENT, name=dept.name, region_code="", parent=city, seq=dept.seq
        )
    upsert(FINANCE_KEY, kind=OrgUnit.Kind.BUREAU, name="市财政局", region_code="", parent=city, seq=100)
    return {"created": created, "unchanged_or_updated": updated}


@transaction.atomic
def occupations_sync(*, actor: object = None) -> dict[str, int]:
    """Load the shipped occupation catalog (idempotent; the code is the natural key)."""
    from .models import Occupation
    from .occupation_data import load_occupations

    created = 0
    for record in load_occupations():
        values = {
            "name": record.name,
            "class_code": record.class_code,
            "major_group": record.major_group,
            "catalog": record.catalog,
            "manufacturing": record.manufacturing,
            "certificate_routes": list(record.certificate_routes),
            "levels": list(record.levels),
            "set_hours": record.set_hours,
            "actions": list(record.actions),
        }
        occupation, was_created = Occupation.objects.update_or_create(code=record.code, defaults=values)
        if was_created:
            created += 1
            audit_record(actor=actor, event="occupation.create", obj=occupation)
    return {"created": created, "total": Occupation.objects.count()}
