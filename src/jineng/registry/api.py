"""Catalogs over HTTP (目录): occupations, org units, institutions (目录清单), online platforms.

Occupations, org units and platforms are reference data every signed-in user may read. The
institution catalog is public to officials (reviewers, HR, finance, leadership, the system
administrator); an institution's own staff see their own institution only; anyone else sees none.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.params import functions as param
from pydantic import WithJsonSchema

from jineng.accounts.auth import AUTH, api_user
from jineng.accounts.models import INSTITUTION_ROLES, Role, User
from jineng.classes.models import SpecialAction

from ..api import ApiError, ErrorOut, Offset
from .models import BlacklistEntry, Institution, InstitutionSpecialty, Occupation, OnlinePlatform, OrgUnit

router = Router(tags=["目录"], auth=AUTH)

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
# Officials read the whole institution catalog.
CATALOG_READERS = frozenset({Role.DEPT_REVIEWER, Role.AREA_HR, Role.CITY_HR, Role.FINANCE, Role.LEADER, Role.SYS_ADMIN})
_AUTH_ERRORS: dict[int, type[ErrorOut]] = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut}


# OrgUnit.Kind, Institution.Kind and Inspection.Kind are all called Kind, and the OpenAPI document
# keeps one schema per name: written out in place, each keeps its own values (the shared "Kind"
# had org units and institutions failing their own documented answer).
OrgUnitKind = Annotated[
    OrgUnit.Kind, WithJsonSchema({"type": "string", "enum": OrgUnit.Kind.values, "title": "OrgUnitKind"})
]
InstitutionKind = Annotated[
    Institution.Kind, WithJsonSchema({"type": "string", "enum": Institution.Kind.values, "title": "InstitutionKind"})
]
Limit = Annotated[int, param.Query(ge=1, le=MAX_LIMIT, description=f"每页条数（最多 {MAX_LIMIT}）")]


# ── occupations ───────────────────────────────────────────────────────────────────────────────


class OccupationOut(Schema):
    id: int
    code: str = Field(description="职业编码（2022 版职业分类大典细类，或特种作业/特种设备项目编码）")
    name: str
    class_code: str = Field(description="职业小类编码")
    major_group: int
    catalog: str = Field(description="classification / special_operation / special_equipment")
    manufacturing: bool = Field(description="制造业职业")
    certificate_routes: list[str]
    levels: list[int]
    set_hours: int | None = Field(description="规定课时")
    actions: list[int] = Field(description="对应的专项行动编号")
    active: bool


class OccupationPage(Schema):
    count: int = Field(description="符合条件的总数")
    limit: int
    offset: int
    items: list[OccupationOut]


# The catalog names an occupation's special actions by key (services, key_groups …); the API
# promises the plan's numbers, which the keys name one to one (see test_catalog_sync).
_ACTION_NUMBERS = {action.name.lower(): action.value for action in SpecialAction}


def _occupation(occ: Occupation) -> OccupationOut:
    return OccupationOut(
        id=occ.pk,
        code=occ.code,
        name=occ.name,
        class_code=occ.class_code,
        major_group=occ.major_group,
        catalog=occ.catalog,
        manufacturing=occ.manufacturing,
        certificate_routes=list(occ.certificate_routes),
        levels=list(occ.levels),
        set_hours=occ.set_hours,
        actions=sorted(_ACTION_NUMBERS[key] for key in occ.actions if key in _ACTION_NUMBERS),
        active=occ.active,
    )


@router.get("/occupations", summary="职业（工种）目录", response={200: OccupationPage, **_AUTH_ERRORS})
def occupations(
    request: HttpRequest,
    q: Annotated[str | None, param.Query(max_length=100, description="编码前缀或名称关键字")] = None,
    manufacturing: Annotated[bool | None, param.Query(description="true 只列制造业职业，false 只列非制造业")] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> OccupationPage:
    qs = Occupation.objects.order_by("code")
    if q and q.strip():
        term = q.strip()
        qs = qs.filter(Q(code__startswith=term) | Q(name__icontains=term))
    if manufacturing is not None:
        qs = qs.filter(manufacturing=manufacturing)
    items = [_occupation(o) for o in qs[offset : offset + limit]]
    return OccupationPage(count=qs.count(), limit=limit, offset=offset, items=items)


@router.get(
    "/occupations/{code}", summary="一个职业（按职业编码）", response={200: OccupationOut, 404: ErrorOut, 401: ErrorOut}
)
def occupation(request: HttpRequest, code: str) -> OccupationOut:
    found = Occupation.objects.filter(code=code).first()
    if found is None:
        raise ApiError(404, "not_found", f"没有编码为 {code} 的职业", [{"path": "code", "message": "职业编码不存在"}])
    return _occupation(found)


# ── org units ─────────────────────────────────────────────────────────────────────────────────


class OrgUnitOut(Schema):
    id: int
    key: str
    kind: OrgUnitKind
    kind_label: str
    name: str
    region_code: str = Field(description="行政区划代码（县市区）")
    parent_id: int | None


class OrgUnitPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[OrgUnitOut]


@router.get("/org-units", summary="单位：市、县（市、区）、行业主管部门", response={200: OrgUnitPage, **_AUTH_ERRORS})
def org_units(
    request: HttpRequest,
    kind: Annotated[OrgUnitKind | None, param.Query(description="city / area / department / bureau")] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> OrgUnitPage:
    qs = OrgUnit.objects.order_by("kind", "seq", "key")
    if kind is not None:
        qs = qs.filter(kind=kind)
    items = [
        OrgUnitOut(
            id=u.pk,
            key=u.key,
            kind=OrgUnit.Kind(u.kind),
            kind_label=OrgUnit.Kind(u.kind).label,
            name=u.name,
            region_code=u.region_code,
            parent_id=u.parent_id,
        )
        for u in qs[offset : offset + limit]
    ]
    return OrgUnitPage(count=qs.count(), limit=limit, offset=offset, items=items)


# ── institutions ──────────────────────────────────────────────────────────────────────────────


class AreaRef(Schema):
    id: int
    name: str


class SpecialtyOut(Schema):
    occupation_code: str
    occupation_name: str
    effective_from: dt.date
    effective_to: dt.date | None


class InstitutionOut(Schema):
    id: int
    name: str
    uscc: str = Field(description="统一社会信用代码")
    kind: InstitutionKind
    kind_label: str
    area: AreaRef
    home_city: str
    active: bool
    specialties: list[SpecialtyOut] = Field(description="目录专业（含已失效的，以生效、失效日期区分）")
    blacklisted: bool = Field(description="今天是否在黑名单中")
    blacklisted_since: dt.date | None = Field(description="现行黑名单记录的列入日期")


class InstitutionPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[InstitutionOut]


def institutions_for(user: User) -> QuerySet[Institution]:
    """The institutions `user` may read: officials the catalog, an institution's staff their own."""
    if not user.is_active:
        return Institution.objects.none()
    if user.role in INSTITUTION_ROLES:
        return Institution.objects.filter(pk=user.institution_id) if user.institution_id else Institution.objects.none()
    if user.role in CATALOG_READERS:
        return Institution.objects.all()
    return Institution.objects.none()


@router.get(
    "/institutions",
    summary="培训机构目录清单（含目录专业、黑名单状态）",
    response={200: InstitutionPage, **_AUTH_ERRORS},
)
def institutions(
    request: HttpRequest,
    q: Annotated[str | None, param.Query(max_length=100, description="名称关键字或统一社会信用代码")] = None,
    area: Annotated[int | None, param.Query(description="所在县（市、区）的单位 id")] = None,
    kind: Annotated[InstitutionKind | None, param.Query(description="机构类别")] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> InstitutionPage:
    user = api_user(request)
    today = timezone.localdate()
    qs = institutions_for(user).order_by("name", "id")
    if q and q.strip():
        term = q.strip()
        qs = qs.filter(Q(name__icontains=term) | Q(uscc=term.upper()))
    if area is not None:
        qs = qs.filter(area_id=area)
    if kind is not None:
        qs = qs.filter(kind=kind)
    in_force = BlacklistEntry.objects.filter(
        Q(listed_on__lte=today), Q(lifted_on__isnull=True) | Q(lifted_on__gt=today)
    ).order_by("listed_on")
    page = qs.select_related("area").prefetch_related(
        Prefetch(
            "specialties",
            queryset=InstitutionSpecialty.objects.select_related("occupation").order_by(
                "occupation__code", "effective_from"
            ),
        ),
        Prefetch("blacklist_entries", queryset=in_force, to_attr="blacklist_in_force"),
    )[offset : offset + limit]
    items = []
    for inst in page:
        listed: list[BlacklistEntry] = getattr(inst, "blacklist_in_force", [])
        items.append(
            InstitutionOut(
                id=inst.pk,
                name=inst.name,
                uscc=inst.uscc,
                kind=Institution.Kind(inst.kind),
                kind_label=Institution.Kind(inst.kind).label,
                area=AreaRef(id=inst.area.pk, name=inst.area.name),
                home_city=inst.home_city,
                active=inst.active,
                specialties=[
                    SpecialtyOut(
                        occupation_code=s.occupation.code,
                        occupation_name=s.occupation.name,
                        effective_from=s.effective_from,
                        effective_to=s.effective_to,
                    )
                    for s in inst.specialties.all()
                ],
                blacklisted=bool(listed),
                blacklisted_since=listed[0].listed_on if listed else None,
            )
        )
    return InstitutionPage(count=qs.count(), limit=limit, offset=offset, items=items)


# ── online platforms ──────────────────────────────────────────────────────────────────────────


class OnlinePlatformOut(Schema):
    id: int
    code: str
    name: str
    listed: bool = Field(description="列入目录")
    connected: bool = Field(description="已接入省级监管平台")


class OnlinePlatformPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[OnlinePlatformOut]


@router.get("/online-platforms", summary="线上培训平台目录", response={200: OnlinePlatformPage, **_AUTH_ERRORS})
def online_platforms(request: HttpRequest, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> OnlinePlatformPage:
    qs = OnlinePlatform.objects.order_by("code")
    items = [
        OnlinePlatformOut(id=p.pk, code=p.code, name=p.name, listed=p.listed, connected=p.connected)
        for p in qs[offset : offset + limit]
    ]
    return OnlinePlatformPage(count=qs.count(), limit=limit, offset=offset, items=items)
