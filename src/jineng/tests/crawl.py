"""A bounded crawl of every page, export and API answer the site gives one reader, for the masking test.

`Crawler` signs a test client in as one user and visits, breadth first:

1. every URL pattern of the site's resolver, each path parameter filled from real rows (`html_seeds`;
   a pattern this module cannot fill fails the test, so a new page cannot escape the crawl);
2. every GET operation of the OpenAPI document, path ids from real rows, lists at their largest page;
3. for staff, the Django admin: its index and every model's list, add, change, history and delete
   confirmation pages (`admin_seeds`);
4. every same-site link found in the HTML it read, bounded per link shape (pagination and filter
   variants are many of one shape), up to a total budget.

Every answer is decoded to text — HTML, JSON, CSV, XLSX (every cell of every sheet) and PDF (every
page) — and searched, with its headers, for the secrets the test collected (`Secrets`). Links and
redirect targets are searched separately, because nothing personal may appear in a URL whoever reads
the page: URLs end up in access logs, browser history and Referer headers.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from django.contrib import admin
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from jineng.accounts.models import User

# ── the secrets and the search for them ──────────────────────────────────────────────────────


@dataclass(frozen=True)
class Secret:
    kind: str  # "id", "phone", "bank_account"
    value: str
    owner: str  # whose it is, for the failure message ("person 12 王伟", "claim 3")
    person_id: int | None = None
    claim_id: int | None = None


_RUN = re.compile(r"[0-9Xx]{11,}")


def old_form(id_number: str) -> str:
    """The 15-digit form of an 18-digit resident ID (century and check digit dropped)."""
    return id_number[:6] + id_number[8:17]


class Secrets:
    """Every clear value the crawl must not find, by value.

    Searched as substrings of every run of 11+ digits (an ID inside a file name, a query string or a
    longer number is as much a leak as one standing alone), in the stored form, with a lower-case x
    and in the 15-digit form of an 18-digit ID. A value with other characters (a landline
    "0374-1234567", an account written in groups) is searched as it is written, and as its digits.
    """

    def __init__(self, items: Iterable[Secret]) -> None:
        self.by_value: dict[str, Secret] = {}
        self.literal: dict[str, Secret] = {}
        for item in items:
            if not item.value:
                continue
            value = item.value.upper()
            forms = {value}
            if item.kind == "id" and len(value) == 18:
                forms.add(old_form(value))
            if not _RUN.fullmatch(value):
                self.literal.setdefault(value, item)
                forms = {digits} if len(digits := re.sub(r"\D", "", value)) >= 11 else set()
            for form in forms:
                self.by_value.setdefault(form, item)
        self.lengths = sorted({len(v) for v in self.by_value}, reverse=True)

    def __len__(self) -> int:
        return len(self.by_value) + len(self.literal)

    def find(self, text: str) -> set[Secret]:
        found: set[Secret] = set()
        if self.literal:
            upper = text.upper()
            found |= {item for value, item in self.literal.items() if value in upper}
        for match in _RUN.finditer(text):
            run = match.group(0).upper()
            for size in self.lengths:
                for start in range(len(run) - size + 1):
                    hit = self.by_value.get(run[start : start + size])
                    if hit is not None:
                        found.add(hit)
        return found


# ── decoding answers ─────────────────────────────────────────────────────────────────────────


def body_of(response: HttpResponseBase) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return bytes(response.content)  # type: ignore[attr-defined]


def _text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _xlsx_text(data: bytes) -> str:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=False, data_only=False)
    parts: list[str] = []
    for sheet in book.worksheets:
        parts.append(sheet.title)
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    parts.append(str(cell.value))
                if cell.comment is not None:
                    parts.append(cell.comment.text)
                if cell.hyperlink is not None and cell.hyperlink.target:
                    parts.append(cell.hyperlink.target)
    props = book.properties
    parts.extend(str(v) for v in (props.title, props.subject, props.creator, props.description) if v)
    return "\n".join(parts)


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    parts = [page.extract_text() or "" for page in reader.pages]
    if reader.metadata:
        parts.extend(str(v) for v in reader.metadata.values())
    return "\n".join(parts)


def decoded(response: HttpResponseBase, data: bytes) -> tuple[str, str]:
    """(kind, text) of an answer: every format the site sends, as the text a reader could get out of it."""
    ctype = response.get("Content-Type", "").split(";")[0].strip().lower()
    if data[:2] == b"PK" or "spreadsheet" in ctype:
        return "xlsx", _xlsx_text(data)
    if data[:5] == b"%PDF-" or ctype == "application/pdf":
        return "pdf", _pdf_text(data)
    text = _text(data)
    if ctype == "text/csv":
        # The raw text already holds every cell; parsing proves it is the CSV it claims to be.
        list(csv.reader(io.StringIO(text)))
        return "csv", text
    if ctype == "application/json":
        return "json", text
    if ctype == "text/html":
        return "html", text
    return ctype or "other", text


_HREF = re.compile(r"""(?:href|src|action)\s*=\s*["']([^"']*)["']""", re.I)


def links_in(page: str) -> list[str]:
    return [html.unescape(m.group(1)).strip() for m in _HREF.finditer(page)]


def local_url(raw: str) -> str | None:
    """A same-site URL as path?query (fragment dropped), or None for another site, mailto:, javascript:…"""
    if not raw or raw.startswith(("#", "mailto:", "javascript:", "tel:", "data:")):
        return None
    parts = urlsplit(raw)
    if parts.scheme and parts.scheme not in ("http", "https"):
        return None
    if parts.netloc and parts.netloc != "testserver":
        return None
    if not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def shape(url: str) -> str:
    """Pages that differ only in ids and query values are one shape: /classes/N/?tab=&page=."""
    parts = urlsplit(url)
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(keys)


# ── where to start: every URL of the resolver, every API operation, the admin ────────────────


def url_patterns() -> Iterator[tuple[str, str]]:
    """(route, qualified name) of every pattern of the site, the admin's and the API's included."""

    def walk(patterns: Iterable[Any], prefix: str, namespace: str) -> Iterator[tuple[str, str]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = ":".join(x for x in (namespace, p.namespace or "") if x)
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                name = ":".join(x for x in (namespace, p.name or "") if x)
                yield prefix + str(p.pattern), name

    yield from walk(get_resolver().url_patterns, "", "")


_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


@dataclass
class Crawl:
    """What one reader's crawl saw."""

    username: str
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    # Every clear value found in an answer, as (url, where: "html", "xlsx", "header X"…, secret);
    # the test decides which of them the reader may hold.
    found: list[tuple[str, str, Secret]] = field(default_factory=list)
    url_leaks: list[tuple[str, str, Secret]] = field(default_factory=list)  # (page, url, secret)
    cacheable: list[str] = field(default_factory=list)
    errors: list[tuple[str, int]] = field(default_factory=list)
    masked_seen: int = 0  # answers that carried a masked ID: proof the crawl reached personal data
    visited: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # by URL shape, to keep the crawl bounded
    unvisited: int = 0  # URLs left in the queue when the budget ran out

    def ok(self) -> int:
        return self.statuses.get(200, 0)


_MASKED_ID = re.compile(r"\d{4}\*{10}\d{3}[\dX]")
_SKIP = ("/static/", "/logout/", "/admin/logout/", "/api/v1/docs")


class Crawler:
    """One reader's crawl, searching every answer, header and URL for `secrets`."""

    def __init__(
        self,
        client: Client,
        *,
        username: str,
        secrets: Secrets,
        budget: int = 1500,
        per_shape: int = 2,
        admin_per_path: int = 3,
        signed_in: bool = True,
    ) -> None:
        self.client = client
        self.secrets = secrets
        self.budget = budget
        self.per_shape = per_shape
        self.admin_per_path = admin_per_path
        self.signed_in = signed_in
        self.result = Crawl(username=username)
        self._seen: set[str] = set()
        self._shapes: dict[str, int] = {}
        self._queue: deque[tuple[str, str]] = deque()

    def seed(self, urls: Iterable[str]) -> None:
        """Start URLs: always visited (within the budget), whatever their shape."""
        for url in urls:
            if url not in self._seen:
                self._seen.add(url)
                self._queue.append((url, "seed"))

    def _follow(self, url: str, page: str) -> None:
        for hit in self.secrets.find(url):
            self.result.url_leaks.append((page, url, hit))
        # Relative links ("?format=xlsx", the pagination's "?page=2") are the page's own variants.
        local = local_url(urljoin(page, url))
        if local is None or local in self._seen or local.startswith(_SKIP):
            return
        # A few URLs per shape (ids and values); in the admin also a few per path whatever the
        # query: its lists combine sort orders and filters into hundreds of key sets, all rendered
        # by the same Django code from the same columns.
        key, path = shape(local), shape(local).split("?", 1)[0]
        if self._shapes.get(key, 0) >= self.per_shape:
            return
        if local.startswith("/admin/") and self._shapes.get(path, 0) >= self.admin_per_path:
            return
        self._shapes[key] = self._shapes.get(key, 0) + 1
        self._shapes[path] = self._shapes.get(path, 0) + 1
        self._seen.add(local)
        self._queue.append((local, page))

    def run(self) -> Crawl:
        while self._queue and self.result.requests < self.budget:
            url, _ = self._queue.popleft()
            self._visit(url)
        self.result.unvisited = len(self._queue)
        return self.result

    def _visit(self, url: str) -> None:
        started = time.perf_counter()
        try:
            self._read(url)
        finally:
            key = shape(url)
            self.result.seconds[key] = self.result.seconds.get(key, 0.0) + time.perf_counter() - started

    def _read(self, url: str) -> None:
        result = self.result
        response = self.client.get(url)
        result.requests += 1
        result.visited.append(url)
        result.statuses[response.status_code] = result.statuses.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            result.errors.append((url, response.status_code))
        if self.signed_in and "no-store" not in response.get("Cache-Control", ""):
            result.cacheable.append(url)
        for name, value in response.items():
            for hit in self.secrets.find(value):
                result.found.append((url, f"header {name}", hit))
        location = response.get("Location")
        if location:
            self._follow(location, url)
        data = body_of(response)
        if not data:
            return
        kind, text = decoded(response, data)
        result.kinds[kind] = result.kinds.get(kind, 0) + 1
        for hit in self.secrets.find(text):
            result.found.append((url, kind, hit))
        if _MASKED_ID.search(text):
            result.masked_seen += 1
        if kind == "html":
            for link in links_in(text):
                self._follow(link, url)


def api_seeds(client: Client, fill: Callable[[str], list[str] | None]) -> list[str]:
    """Every GET operation of the OpenAPI document, path parameters from `fill(name)`, at the
    largest page size so one call reads the whole list."""
    schema = json.loads(client.get("/api/v1/openapi.json").content)
    urls: list[str] = []
    for path, operations in schema["paths"].items():
        op = operations.get("get")
        if op is None:
            continue
        params = op.get("parameters", [])
        query: dict[str, str] = {}
        for p in params:
            if p["in"] == "query" and p["name"] == "limit":
                query["limit"] = str(p["schema"].get("maximum", 100))
        variants = [path]
        for p in params:
            if p["in"] != "path":
                continue
            values = fill(f"{path}:{p['name']}")
            if values is None:
                raise LookupError(f"no values for the API path parameter {p['name']} of {path}")
            variants = [v.replace("{" + p["name"] + "}", value) for v in variants for value in values]
        urls += [f"{v}?{urlencode(query)}" if query else v for v in variants]
    return urls


def html_seeds(fill: Callable[[str], list[dict[str, str]] | None]) -> list[str]:
    """Every non-admin, non-API pattern of the resolver with its parameters filled by
    `fill(route)` (one dict of parameter values per URL); raises for a route with parameters
    nobody said how to fill, so a new page cannot escape the crawl."""
    urls: list[str] = []
    for route, _name in url_patterns():
        if route.startswith(("admin/", "api/")):
            continue
        params = list(_PARAM.finditer(route))
        if not params:
            urls.append("/" + route)
            continue
        rows = fill(route)
        if rows is None:
            raise LookupError(f"no values for the parameters of /{route}")
        for row in rows:
            urls.append("/" + _PARAM.sub(_filled(row), route))
    return urls


def _filled(values: dict[str, str]) -> Callable[[re.Match[str]], str]:
    return lambda match: values[match.group(2)]


def admin_seeds(per_model: int = 2) -> list[str]:
    """The admin's index, and per registered model its list, add page, first change pages and the
    first one's history and delete confirmation (which lists the related rows by their names)."""
    urls = ["/admin/"]
    for model in admin.site._registry:
        meta = model._meta
        base = f"/admin/{meta.app_label}/{meta.model_name}/"
        urls += [base, f"{base}add/"]
        pks = list(model._default_manager.order_by("pk").values_list("pk", flat=True)[:per_model])
        urls += [f"{base}{pk}/change/" for pk in pks]
        urls += [f"{base}{pk}/{page}/" for pk in pks[:1] for page in ("history", "delete")]
    return urls


def signed_in_client(user: User | None) -> Client:
    # A view that raises is recorded as the 500 the reader would get, and the crawl goes on.
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client
