"""The audit log page: read-only, for the audit administrator (审计管理员) only.

Rows are shown as stored; resident IDs and phone numbers were masked when they were written
(`audit.services.audit_record`), so nothing is unmasked or re-masked here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from jineng.accounts.models import Role
from jineng.classes.views import chinese

from .models import AuditEvent

PAGE_SIZE = 50
_ROLE_ZH = dict(Role.choices)


def _date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw.strip()) if raw.strip() else None
    except ValueError:
        return None


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _changes(changes: Any) -> list[tuple[str, Any, Any]]:
    """{field: [old, new]} as rows; anything else shown as it is."""
    if not isinstance(changes, dict):
        return [("", None, changes)]
    rows = []
    for name, pair in changes.items():
        if isinstance(pair, list | tuple) and len(pair) == 2:
            rows.append((name, pair[0], pair[1]))
        else:
            rows.append((name, None, pair))
    return rows


@chinese
@login_required
@require_GET
def events(request: HttpRequest) -> HttpResponse:
    if getattr(request.user, "role", None) != Role.AUDIT_ADMIN:
        return render(request, "audit/events.html", {"forbidden": True}, status=403)
    params = request.GET
    filters = {
        "event": params.get("event", "").strip()[:64],
        "object": params.get("object", "").strip()[:100],
        "actor": params.get("actor", "").strip()[:150],
        "since": params.get("since", "").strip(),
        "until": params.get("until", "").strip(),
    }
    problems = []
    qs = AuditEvent.objects.select_related("actor").order_by("-at", "-id")
    if filters["event"]:
        qs = qs.filter(event__startswith=filters["event"])
    if filters["object"]:
        term = filters["object"]
        qs = qs.filter(Q(object_id=term) | Q(object_type__startswith=term) | Q(object_repr__icontains=term))
    if filters["actor"]:
        term = filters["actor"]
        qs = qs.filter(Q(actor__username=term) | Q(actor_name__icontains=term))
    since, until = _date(filters["since"]), _date(filters["until"])
    if filters["since"] and since is None:
        problems.append(f"起始日期 {filters['since']!r} 无效，应为 YYYY-MM-DD")
    if filters["until"] and until is None:
        problems.append(f"截止日期 {filters['until']!r} 无效，应为 YYYY-MM-DD")
    if since is not None:
        qs = qs.filter(at__gte=_day_start(since))
    if until is not None:
        qs = qs.filter(at__lt=_day_start(until + dt.timedelta(days=1)))
    page = Paginator(qs, PAGE_SIZE).get_page(params.get("page"))
    rows = [
        {
            "event": e,
            "role": _ROLE_ZH.get(e.actor_role, e.actor_role),
            "username": e.actor.username if e.actor else "",
            "changes": _changes(e.changes),
        }
        for e in page.object_list
    ]
    known_events = AuditEvent.objects.order_by("event").values_list("event", flat=True).distinct()
    context = {"page": page, "rows": rows, "filters": filters, "problems": problems, "known_events": known_events}
    return render(request, "audit/events.html", context)
