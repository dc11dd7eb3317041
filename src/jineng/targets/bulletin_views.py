"""The bulletin page: a small form (kind, period, format) and the download, in the reader's reach.

Both views answer the same query string, so whichever address serves the form, the form submits
to itself: `bulletin_form` hands a filled-in query to `bulletin_download`, and the download
shows the form again with the problem named when the query cannot be used.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from jineng.accounts.models import User
from jineng.audit.context import RefusedNotFound
from jineng.policy.loader import policies

from . import bulletin
from .selectors import reach_of, scope_label


def _default_period(today: dt.date) -> str:
    """This month when a policy is in force today, else the last month of the latest policy."""
    known = policies()
    if known.in_force(today) is not None or not known.policies:
        return f"{today:%Y-%m}"
    latest = max((p for p in known.policies if p.start <= today), key=lambda p: p.end, default=None)
    return f"{(latest.end if latest else today):%Y-%m}"


def _form(request: HttpRequest, user: User, *, errors: dict[str, str], status: int = 200) -> HttpResponse:
    reach = reach_of(user)
    assert reach is not None
    values = {
        "kind": request.GET.get("kind", "monthly"),
        "period": request.GET.get("period", "") or _default_period(timezone.localdate()),
        "format": request.GET.get("format", "xlsx"),
    }
    context: dict[str, Any] = {
        "kinds": [(k, v, bulletin.FORMS[k]) for k, v in bulletin.KIND_ZH.items()],
        "formats": bulletin.FORMATS,
        "values": values,
        "errors": errors,
        "scope": scope_label(reach),
    }
    return render(request, "targets/bulletin.html", context, status=status)


@login_required
def bulletin_form(request: HttpRequest) -> HttpResponse:
    """The form; with a period in the query it is the download itself."""
    user = cast(User, request.user)
    if reach_of(user) is None:
        raise RefusedNotFound("不在您的查阅范围内")
    if request.GET.get("period", "").strip():
        return bulletin_download(request)
    return _form(request, user, errors={})


@login_required
def bulletin_download(request: HttpRequest) -> HttpResponse:
    """GET kind, period, format: the bulletin of the reader's own reach (the city, their area or
    their department) as an attachment; 404 for a user who reads no dashboard."""
    user = cast(User, request.user)
    if reach_of(user) is None:
        raise RefusedNotFound("不在您的查阅范围内")
    kind = request.GET.get("kind", "monthly")
    period = request.GET.get("period", "").strip()
    fmt = request.GET.get("format", "xlsx").strip().lower()
    errors: dict[str, str] = {}
    if fmt not in bulletin.FORMATS:
        errors["format"] = "格式应为 xlsx 或 pdf"
    try:
        kind = bulletin.normalize_kind(kind)
    except ValueError as exc:
        errors["kind"] = str(exc)
    if not period:
        errors["period"] = "请填写通报期间"
    built: bulletin.Bulletin | None = None
    if not errors:
        try:
            built = bulletin.build(user, kind=kind, period=period)
        except bulletin.NoReach:
            raise RefusedNotFound("不在您的查阅范围内") from None
        except ValueError as exc:
            errors["period"] = str(exc)
    if built is None:
        return _form(request, user, errors=errors, status=400)
    response = HttpResponse(bulletin.render(built, fmt), content_type=bulletin.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(built.filename(fmt))}"
    return response
