"""Security headers and the Content Security Policy.

Every page carries the policy (scripts and styles from /static/ or with the request's nonce, no
framing, no plugins, forms to the site only) and the other headers; and no page the site renders
breaks it: a crawl, as readers of every kind, of the main pages and the links they show, parses
each HTML answer for inline scripts or styles without the nonce, event-handler and style
attributes, `javascript:` links and assets from other hosts. A scan of the template sources
catches what the crawl's data does not reach.
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from django.test import Client

from jineng.classes.services import class_create
from jineng.testing import Cast, class_input, enroll, person

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parents[2]
START = [
    "/",
    "/todo/",
    "/classes/",
    "/classes/new/",
    "/assessment/",
    "/subsidy/",
    "/subsidy/finance/",
    "/vouchers/",
    "/vouchers/mine/",
    "/targets/",
    "/audit/",
    "/rules/",
    "/check-class/",
    "/public/notices/",
    "/password/change/",
    "/supervision/videos/expiring/",
    "/api/v1/docs",
    "/admin/",
]
# Links not followed: they change state on GET, leave the HTML world or only multiply one page.
SKIP = re.compile(r"^/(logout|static/|api/v1/(?!docs$))|[?&](format|fmt)=|\.(xlsx|pdf|csv)$")
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


class Page(HTMLParser):
    """The CSP problems of one HTML page, and its same-site links."""

    def __init__(self, nonce: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.problems: list[str] = []
        self.links: list[str] = []
        self._inline: str | None = None  # the tag whose body is inline code or style

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name in values:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>: inline event handler")
        if "style" in values:
            self.problems.append(f'<{tag} style="{values["style"]}">: style attribute')
        for name in ("src", "href", "action", "formaction", "data"):
            url = values.get(name, "").strip()
            if url.lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={url[:40]}>: javascript: URL")
            if url.startswith(("http://", "https://", "//")) and tag in {"script", "link", "img", "iframe", "object"}:
                self.problems.append(f"<{tag} {name}={url}>: asset from another host")
        if tag == "script" and "src" not in values and values.get("type", "").lower() not in DATA_SCRIPT_TYPES:
            self._check_nonce(tag, values)
        if tag == "style":
            self._check_nonce(tag, values)
        for name in ("href", "hx-get"):
            link = values.get(name, "")
            if link and not urlsplit(link).scheme and not link.startswith(("//", "#")):
                self.links.append(link)

    def _check_nonce(self, tag: str, values: dict[str, str]) -> None:
        if not self.nonce or values.get("nonce") != self.nonce:
            self.problems.append(f"<{tag}> inline without the request's nonce")


def nonce_of(policy: str) -> str | None:
    found = re.search(r"'nonce-([^']+)'", policy)
    return found.group(1) if found else None


def directives(policy: str) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: part.strip() for part in policy.split(";") if part.strip()}


def crawl(client: Client, budget: int = 200) -> dict[str, list[str]]:
    """Visit START and the links found, breadth first; the problems by URL."""
    seen: set[str] = set()
    queue = deque(START)
    problems: dict[str, list[str]] = {}
    shapes: dict[str, int] = {}
    while queue and len(seen) < budget:
        url = queue.popleft()
        if url in seen or SKIP.search(url):
            continue
        # One or two of each link shape (the same page or tab with other ids or filters) are enough.
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        shape = re.sub(r"\d+", "N", parts.path) + "?" + ",".join(sorted(query)) + "=" + ",".join(query.get("tab", []))
        if shapes.get(shape, 0) >= 2:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        seen.add(url)
        answer = client.get(url)
        if answer.status_code != 200 or "text/html" not in answer.get("Content-Type", ""):
            continue
        policy = answer.get("Content-Security-Policy", "")
        found = []
        if not policy:
            found.append("no Content-Security-Policy header")
        page = Page(nonce_of(policy))
        page.feed(answer.content.decode())
        found += page.problems
        if found:
            problems[url] = found
        queue.extend(urljoin(url, link) for link in page.links)
    return problems


@pytest.fixture
def scene(people: Cast) -> Cast:
    """A class with a roster in alice's school, so the class pages have rows and tabs; sam is the
    Django staff superuser the demo's `admin` is."""
    cls = class_create(actor=people.alice, data=class_input())
    enroll(cls, [person(i) for i in range(3)])
    people.sam.is_staff = people.sam.is_superuser = True
    people.sam.save()
    return people


def test_every_page_carries_the_policy_and_the_security_headers(client: Client) -> None:
    answer = client.get("/")
    policy = directives(answer["Content-Security-Policy"])
    assert policy["default-src"] == "default-src 'self'"
    assert policy["script-src"].startswith("script-src 'self'")
    assert policy["style-src"].startswith("style-src 'self'")
    assert policy["img-src"] == "img-src 'self' data:"
    assert policy["object-src"] == "object-src 'none'"
    assert policy["base-uri"] == "base-uri 'self'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert policy["form-action"] == "form-action 'self'"
    assert "'unsafe-inline'" not in answer["Content-Security-Policy"]
    assert "'unsafe-eval'" not in answer["Content-Security-Policy"]
    assert answer["Permissions-Policy"] == "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
    assert answer["Referrer-Policy"] == "same-origin"
    assert answer["Cross-Origin-Opener-Policy"] == "same-origin"
    assert answer["X-Frame-Options"] == "DENY"
    assert answer["X-Content-Type-Options"] == "nosniff"
    # The API's JSON answers and the health check carry them too.
    for url in ("/api/v1/rules", "/healthz"):
        answer = client.get(url)
        assert "Content-Security-Policy" in answer and "Permissions-Policy" in answer


def test_a_page_with_a_nonced_element_gets_a_fresh_nonce_each_time(scene: Cast) -> None:
    client = Client()
    client.force_login(scene.sam)
    first = client.get("/admin/accounts/user/")
    second = client.get("/admin/accounts/user/")
    nonces = [nonce_of(a["Content-Security-Policy"]) for a in (first, second)]
    assert None not in nonces and nonces[0] != nonces[1]
    assert f'nonce="{nonces[1]}"' in second.content.decode()


@pytest.mark.parametrize(
    "who", ["anonymous", "alice", "hana1", "dan1", "leader", "finance", "eve", "wendy", "audrey", "sam"]
)
def test_no_page_breaks_the_content_security_policy(scene: Cast, who: str) -> None:
    client = Client()
    if who != "anonymous":
        client.force_login(getattr(scene, who))
    problems = crawl(client)
    assert problems == {}


def test_the_templates_carry_no_inline_code_or_style() -> None:
    problems: list[str] = []
    for template in sorted(SRC.rglob("templates/**/*.html")):
        text = template.read_text(encoding="utf-8")
        text = re.sub(r"{#.*?#}", "", text, flags=re.S)  # comments may talk about <style>
        name = template.relative_to(SRC)
        for line_no, line in enumerate(text.splitlines(), 1):
            where = f"{name}:{line_no}"
            if re.search(r"\sstyle\s*=", line):
                problems.append(f"{where} style attribute")
            if re.search(r"<style\b", line) and "csp_nonce" not in line:
                problems.append(f"{where} <style> without nonce")
            if re.search(r"\son[a-z]+\s*=", line):
                problems.append(f"{where} event-handler attribute")
            for tag in re.findall(r"<script\b[^>]*>", line):
                if "src=" not in tag and "csp_nonce" not in tag and "json" not in tag:
                    problems.append(f"{where} inline <script>")
    # json_script renders <script type="application/json">: data, which the policy does not run.
    assert problems == []


def test_the_admin_pages_keep_working_under_the_policy(scene: Cast) -> None:
    client = Client()
    client.force_login(scene.sam)
    for url in ("/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{scene.alice.pk}/change/"):
        answer = client.get(url)
        assert answer.status_code == 200, url
        page = Page(nonce_of(answer["Content-Security-Policy"]))
        page.feed(answer.content.decode())
        assert page.problems == [], url
