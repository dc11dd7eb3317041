"""Request input that no view can use, refused before any view sees it.

Two kinds, both answered 422/413 as JSON in the API's error shape under /api/, as plain text on
pages, with a Chinese message saying what and where:

- The NUL character. PostgreSQL cannot hold U+0000 in a text value, nor take it as a query
  parameter: a search for `?q=%00`, a JSON field with `\\u0000` or a form field with one made the
  database raise, and the client got a 500 for its own input (SQLite stores it, so development
  never showed it). No field of the system has a use for it, so it is refused wherever it can
  arrive — the path, the query string, a form-encoded or JSON body. Multipart bodies are left to
  the view (uploaded files hold NUL bytes legitimately); the API's database-error handler
  answers for their text fields.
- An upload larger than its limit, known from Content-Length before a byte of it is read: Django
  would otherwise stream a multipart body of any size to a temporary file before the view could
  look at the file's size. The limit is JINENG_UPLOAD_MAX_MB, or JINENG_CHECKIN_IMPORT_MAX_MB for
  the offline check-in import, plus room for the form's other fields. Each endpoint still checks
  its file's own size and names the file (`jineng.tabular.size_problem`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve

from jineng.tabular import upload_limit

NUL = "\x00"
API_PREFIX = "/api/"
_JSON_TYPES = ("application/json", "text/json")
_FORM_TYPE = "application/x-www-form-urlencoded"
_MULTIPART_TYPE = "multipart/form-data"
CHECKIN_IMPORT_VIEW = "api-v1:import_checkins"
MULTIPART_SLACK = 1024 * 1024  # the boundaries and the form's other fields around the file


def _walk(value: Any, path: str) -> Iterator[str]:
    """Paths (a.b.0.c) of the JSON strings, keys included, that hold a NUL character."""
    if isinstance(value, str):
        if NUL in value:
            yield path or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                yield where.replace(NUL, "\\x00")
            yield from _walk(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}.{index}" if path else str(index))


def _in_pairs(text: str, where: str) -> str | None:
    for key, value in parse_qsl(text, keep_blank_values=True):
        if NUL in key or NUL in value:
            return f"{where} {key.replace(NUL, '\\x00')}"
    return None


def nul_location(request: HttpRequest) -> str | None:
    """Where the request carries a NUL character ("路径", "查询参数 q", "请求体 events.0.class"), or None."""
    if NUL in request.path_info:
        return "路径"
    query = request.META.get("QUERY_STRING", "")
    if "%00" in query or NUL in query:
        return _in_pairs(query, "查询参数") or "查询参数"
    content_type = request.content_type or ""
    if request.method in ("GET", "HEAD", "OPTIONS") or not (content_type in _JSON_TYPES or content_type == _FORM_TYPE):
        return None
    try:
        body = request.body
    except RequestDataTooBig:
        return None  # the view refuses it with its own message (413)
    if content_type == _FORM_TYPE:
        if b"%00" in body or b"\x00" in body:
            return _in_pairs(body.decode("utf-8", "replace"), "表单字段") or "表单字段"
        return None
    if b"\\u0000" not in body and b"\x00" not in body:
        return None  # the common case, decided without parsing
    try:
        data = json.loads(body)
    except ValueError:
        return None  # not JSON: the view says so
    found = next(_walk(data, ""), None)
    return f"请求体 {found}" if found is not None else None


def upload_limit_for(path_info: str) -> int:
    """The largest file, in bytes, an upload to this path may carry."""
    try:
        view = resolve(path_info).view_name
    except Resolver404:
        view = ""
    if view == CHECKIN_IMPORT_VIEW:
        return int(getattr(settings, "JINENG_CHECKIN_IMPORT_MAX_MB", 256)) * 1024 * 1024
    return upload_limit()


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _refuse(request: HttpRequest, status: int, code: str, message: str, path: str) -> HttpResponse:
    if request.path_info.startswith(API_PREFIX):
        body = {"code": code, "message": message, "fields": [{"path": path, "message": message}]}
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class InputGuardMiddleware:
    """Refuses a request carrying U+0000 (422 API / 400 pages) or an oversized upload (413)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (request.content_type or "") == _MULTIPART_TYPE:
            limit = upload_limit_for(request.path_info)
            if _content_length(request) > limit + MULTIPART_SLACK:
                message = f"上传的文件超过 {limit // (1024 * 1024)} MB 的上限：请分成几个文件上传"
                return _refuse(request, 413, "payload_too_large", message, "file")
        where = nul_location(request)
        if where is not None:
            message = f"请求中含有不允许的空字符（NUL，\\x00）：{where}。请删除该字符后重试"
            status = 422 if request.path_info.startswith(API_PREFIX) else 400
            return _refuse(request, status, "invalid_character", message, where)
        return self.get_response(request)
