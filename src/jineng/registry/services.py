"""Catalog writes: org units from the plan's annexes."""

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
