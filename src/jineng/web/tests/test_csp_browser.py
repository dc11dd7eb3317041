"""The Content Security Policy in a real browser (Playwright driving Debian's Chromium): the pages
whose scripts matter — the targets dashboard (ECharts, with its tooltip), a class page (htmx), the
admin's change form and the API's Swagger page — run with no CSP violation reported by the browser.

A violation would not fail a request: the browser silently refuses the script or style and logs it.
So every page records `securitypolicyviolation` events from its first moment, and the test asserts
there were none, besides checking that the charts were drawn and htmx answered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from jineng.classes.services import class_create
from jineng.testing import CHROMIUM, cast, chromium, class_input, enroll, person

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"{CHROMIUM} 不存在：浏览器测试需要 Debian 的 Chromium（apt-get install -y chromium）",
    ),
]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  var where = (e.sourceFile || "") + ":" + e.lineNumber + ":" + e.columnNumber;
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + where);
});
"""


def session_cookie(account: Any, url: str) -> Any:
    """A signed-in session for `account` (no password or TOTP step: those are not under test here)."""
    client = Client()
    client.force_login(account)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": url,
    }


def test_the_dashboard_htmx_admin_and_api_docs_run_without_csp_violations(
    live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    people = cast()
    people.sam.is_staff = people.sam.is_superuser = True
    people.sam.save()
    cls = class_create(actor=people.alice, data=class_input())
    enroll(cls, [person(i) for i in range(3)])
    base = live_server.url

    with chromium() as browser:
        try:

            def page_as(account: Any) -> Any:
                context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
                context.add_cookies([session_cookie(account, base)])
                context.add_init_script(RECORD_VIOLATIONS)
                page = context.new_page()
                page.set_default_timeout(20_000)
                return page

            def violations(page: Any) -> list[str]:
                return list(page.evaluate("window.__csp"))

            # The leader's dashboard: both charts drawn by dashboard.js, the tooltip shown on hover.
            page = page_as(people.leader)
            page.goto(f"{base}/targets/")
            page.wait_for_selector("[data-chart='chart-monthly'][data-drawn='1']")
            page.wait_for_selector("[data-chart='chart-units'][data-drawn='1']")
            chart = page.locator("[data-chart='chart-monthly']")
            box = chart.bounding_box()
            assert box is not None
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_timeout(500)
            assert page.locator(".bar svg rect.fill").count() > 0
            assert violations(page) == []

            # alice's class page: htmx swaps the findings preview after a change in the form.
            page = page_as(people.alice)
            page.goto(f"{base}/classes/{cls.pk}/?tab=basic")
            with page.expect_response(lambda r: "findings" in r.url):
                page.locator("#id_workstations").fill("21")
                page.locator("#id_workstations").dispatch_event("change")
            page.wait_for_timeout(300)
            assert violations(page) == []

            # The admin's change form (its own scripts and nonced styles) and the user list.
            page = page_as(people.sam)
            page.goto(f"{base}/admin/accounts/user/{people.alice.pk}/change/")
            page.wait_for_selector("#user_form")
            page.goto(f"{base}/admin/accounts/user/")
            page.wait_for_selector("#result_list")
            assert violations(page) == []

            # The API's Swagger page (django-ninja's bundled Swagger UI, served from /static/).
            page.goto(f"{base}/api/v1/docs")
            page.wait_for_selector(".swagger-ui .opblock")
            assert violations(page) == []
        finally:
            browser.close()
