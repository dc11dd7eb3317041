"""The audit log over HTTP (审计): read-only, for the audit administrator (审计管理员) only.

Rows are returned as stored; resident IDs and phone numbers were masked when they were written
(`audit.services.audit_record`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.params import functions as param

from jineng.accounts.auth import AUTH, api_user
from jineng.accounts.models import Role

from ..api import ApiError, ErrorOut, Offset
from .models import AuditEvent

router = Router(tags=["审计"], auth=AUTH)

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
_ROLE_ZH = dict(Role.choices)


class AuditEventOut(Schema):
    id: int
    seq: int = Field(description="在哈希链中的序号（1 起连续）")
    hash: str = Field(description="本条的 SHA-256 哈希（含前一条的哈希），见 jineng audit verify")
    at: dt.datetime
    event: str = Field(description="事件，如 class.submit、roster.import、token.issue")
    actor_username: str | None = Field(description="操作人用户名（系统操作为空）")
    actor_name: str
    actor_role: str
    actor_role_label: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict[str, Any] = Field(description="{字段: [原值, 新值]}（身份证号、手机号已脱敏）")
    note: str


class AuditEventPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AuditEventOut]


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@router.get(
    "/audit-events",
    summary="审计日志（仅审计管理员）",
    response={200: AuditEventPage, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
)
def audit_events(
    request: HttpRequest,
    event: Annotated[str | None, param.Query(max_length=64, description="事件（前缀匹配，如 class.）")] = None,
    object_type: Annotated[str | None, param.Query(max_length=64, description="对象类型")] = None,
    object_id: Annotated[str | None, param.Query(max_length=64, description="对象编号")] = None,
    actor: Annotated[str | None, param.Query(max_length=150, description="操作人用户名")] = None,
    date_from: Annotated[dt.date | None, param.Query(description="起始日期（含）")] = None,
    date_to: Annotated[dt.date | None, param.Query(description="截止日期（含）")] = None,
    limit: Annotated[int, param.Query(ge=1, le=MAX_LIMIT, description=f"每页条数（最多 {MAX_LIMIT}）")] = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> AuditEventPage:
    user = api_user(request)
    if user.role != Role.AUDIT_ADMIN:
        raise ApiError(403, "not_permitted", "只有审计管理员可以查看审计日志")
    if date_from and date_to and date_to < date_from:
        raise ApiError(
            422,
            "invalid_request",
            "日期范围有误",
            [{"path": "date_to", "message": f"截止日期 {date_to} 早于起始日期 {date_from}"}],
        )
    qs = AuditEvent.objects.select_related("actor").order_by("-at", "-id")
    if event:
        qs = qs.filter(event__startswith=event.strip())
    if object_type:
        qs = qs.filter(object_type=object_type.strip())
    if object_id:
        qs = qs.filter(object_id=object_id.strip())
    if actor:
        qs = qs.filter(actor__username=actor.strip())
    if date_from:
        qs = qs.filter(at__gte=_day_start(date_from))
    if date_to:
        qs = qs.filter(at__lt=_day_start(date_to + dt.timedelta(days=1)))
    items = [
        AuditEventOut(
            id=e.pk,
            seq=e.seq,
            hash=e.hash,
            at=e.at,
            event=e.event,
            actor_username=e.actor.username if e.actor else None,
            actor_name=e.actor_name,
            actor_role=e.actor_role,
            actor_role_label=_ROLE_ZH.get(e.actor_role, e.actor_role),
            object_type=e.object_type,
            object_id=e.object_id,
            object_repr=e.object_repr,
            changes=e.changes if isinstance(e.changes, dict) else {"": e.changes},
            note=e.note,
        )
        for e in qs[offset : offset + limit]
    ]
    return AuditEventPage(count=qs.count(), limit=limit, offset=offset, items=items)
