"""Audit rows for what a request did rather than what a service changed (MLPS 8.1.4.3):

- `authz.refused`: a 401 or 403 answer — a view's PermissionDenied, a 403 page, a CSRF failure, an
  API refusal — and the API's 404 `not_found`, which is how the API refuses an object outside the
  caller's scope (it does not say the object exists), and a page's 404 raised as
  `RefusedNotFound` (audit.context) for the same reason;
- `export`: any answer sent as an attachment (XLSX, PDF, CSV), with its file name;
- `pii.clear_view`: a page or API answer that showed resident IDs in clear — `User.sees_clear_ids`,
  which every view asks before unmasking one, notes it on the request (`audit.context`).

One row per request and kind. The note is the method and the path, never the query string
(a search may hold an ID); paths carry numeric ids only.

Refusals of callers who are not signed in are audited up to JINENG_AUDIT_ANONYMOUS_PER_IP per client
address and rate-limit window (jineng.ratelimit); the first one over it writes a row saying the rest
of that window goes unrecorded. Without the bound anyone could write rows at will — each under the
hash chain's lock, which every audited write of every user waits for.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponseBase

from .context import API_ERROR_CODE, RequestNotes, current
from .services import audit_record

REQUEST = "request"

_FILENAME_STAR = re.compile(r"filename\*\s*=\s*([\w-]*)'[^']*'([^;\s]+)", re.IGNORECASE)
_FILENAME = re.compile(r'filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))', re.IGNORECASE)


def attachment_name(disposition: str) -> str | None:
    """The file name of a `Content-Disposition: attachment` header; None when it is not one."""
    if not disposition.strip().lower().startswith("attachment"):
        return None
    star = _FILENAME_STAR.search(disposition)
    if star:
        return unquote(star.group(2), encoding=star.group(1) or "utf-8", errors="replace")
    plain = _FILENAME.search(disposition)
    if plain:
        return (plain.group(1) if plain.group(1) is not None else plain.group(2)).strip()
    return ""


def _ip(request: HttpRequest) -> str | None:
    try:
        return str(ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")))
    except ValueError:
        return None


class AuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        notes = RequestNotes()
        token = current.set(notes)
        try:
            response = self.get_response(request)
        finally:
            current.reset(token)
        self.record(request, response, notes)
        return response

    def record(self, request: HttpRequest, response: HttpResponseBase, notes: RequestNotes) -> None:
        status = response.status_code
        code = getattr(request, API_ERROR_CODE, None)
        if status == 404 and notes.refused and code is None:
            code = "not_found"  # a page's RefusedNotFound: the API's refusal by another road
        refused = status in (401, 403) or (status == 404 and code == "not_found")
        filename = attachment_name(response.get("Content-Disposition", "")) if status == 200 else None
        clear = notes.clear_ids and status < 400
        if not (refused or filename is not None or clear):
            return
        # Read only now: request.user is whoever the request ended up as (an API token's user
        # included), and touching it on every request would load the session for nothing.
        actor: Any = getattr(request, "user", None) or AnonymousUser()
        where = f"{request.method} {request.path}"
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match else ""
        if refused:
            ip = _ip(request)
            note = f"{where} → {status}" + (f"（{code}）" if code else "")
            write = True
            if getattr(actor, "is_anonymous", True):
                from jineng.ratelimit import hit

                limit = int(getattr(settings, "JINENG_AUDIT_ANONYMOUS_PER_IP", 60))
                over = hit("audit-anonymous", ip or "unknown", limit=limit)
                write = over is None or over.first
                if over is not None:
                    note += f"；该地址未登录请求被拒绝过于频繁（本时段已超过 {limit} 次），本时段其余拒绝不再逐条记录"
            if write:
                audit_record(
                    actor=actor,
                    event="authz.refused",
                    changes={"status": (None, status), "code": (None, code), "ip": (None, ip)},
                    note=note,
                    object_type=REQUEST,
                    object_id=view,
                    object_repr=request.path,
                )
        if filename is not None:
            audit_record(
                actor=actor,
                event="export",
                changes={"filename": (None, filename)},
                note=f"{where}：导出文件 {filename}" if filename else f"{where}：导出文件",
                object_type=REQUEST,
                object_id=view,
                object_repr=request.path,
            )
        if clear:
            audit_record(
                actor=actor,
                event="pii.clear_view",
                note=f"{where}：显示明文身份证号",
                object_type=REQUEST,
                object_id=view,
                object_repr=request.path,
            )
