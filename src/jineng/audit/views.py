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
from django.views.decorators.http import require_GET, require_http_methods

from jineng.accounts.models import Role
from jineng.classes.views import chinese

from .models import AuditEvent
from .services import audit_record
from .verify import render as render_report
from .verify import verify_database

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


@chinese
@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """校验审计链: recompute the whole chain on demand (POST, so no prefetch starts it), and record
    the check — its result and the head — in the log itself."""
    if getattr(request.user, "role", None) != Role.AUDIT_ADMIN:
        return render(request, "audit/verify.html", {"forbidden": True}, status=403)
    context: dict[str, Any] = {"total": AuditEvent.objects.count()}
    if request.method == "POST":
        report = verify_database()
        head = f"{report.head_seq}:{report.head_hash}" if report.head_seq is not None else ""
        audit_record(
            actor=request.user,
            event="audit.verify",
            object_type="audit.chain",
            object_id=str(report.head_seq or 0),
            object_repr="审计链",
            changes={"ok": (None, report.ok), "rows": (None, report.rows), "breaks": (None, report.breaks_total)},
            note=f"链头 {head}" if head else "审计日志为空",
        )
        context.update(report=report, text=render_report(report), head=head)
    return render(request, "audit/verify.html", context, status=200)
