"""A subsidy claim in a real browser (Playwright driving Debian's Chromium), from the class page to
the public notice.

alice's class has ended and its trainees are certified (built directly, as in scenes.py). alice
opens the 补贴申领 tab, fills the claim form (the commitment first refused, then signed) and
submits; dan1 accepts and signs 初审, then is refused the 复核 (SUB-TWO-PERSON), which dan2 signs;
hana1 and hana2 sign for HR and hana1 publishes; anyone, not logged in, reads the notice with names
and IDs masked. Screenshots at 1366×768 go to $JINENG_SCREENSHOT_DIR (or tmp_path).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from jineng.accounts.models import User
from jineng.accounts.otp import totp_required
from jineng.subsidy.models import ClaimState, SubsidyClaim
from jineng.testing import CHROMIUM, cast, chromium, totp_code, totp_enrol

from .scenes import certify, ended_class

PASSWORD = "Jineng-浏览器-2023"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"{CHROMIUM} 不存在：浏览器测试需要 Debian 的 Chromium（apt-get install -y chromium）",
    ),
]


def test_a_claim_goes_from_the_class_page_to_the_public_notice(live_server, tmp_path, monkeypatch) -> None:
    from playwright.sync_api import Page, expect

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    people = cast()
    for account in (people.alice, people.dan1, people.dan2, people.hana1, people.hana2):
        account.set_password(PASSWORD)
        account.save()
        if totp_required(account):  # reviewers log in with a TOTP code too
            totp_enrol(account)
    cls = ended_class(people)
    certify(people, cls)
    clear_id = cls.enrollments.select_related("person").first().person.id_number  # type: ignore[union-attr]
    shots = Path(os.environ.get("JINENG_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    base = live_server.url

    def sign_in(page: Page, username: str) -> None:
        page.goto(f"{base}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="登录").click()
        account = User.objects.get(username=username)
        if totp_required(account):
            page.wait_for_url(f"{base}/login/otp/")
            page.fill("input[name=code]", totp_code(account))
            page.get_by_role("button", name="验证").click()
        page.wait_for_url(f"{base}/todo/")

    def sign_out(page: Page) -> None:
        page.get_by_test_id("logout").click()
        page.wait_for_url(f"{base}/")

    def review(page: Page, username: str, button: str) -> None:
        sign_in(page, username)
        page.goto(f"{base}/subsidy/{claim_id}/")
        panel = page.get_by_test_id("review-panel")
        panel.locator("textarea[name=opinion]").fill("同意")
        panel.get_by_role("button", name=button, exact=True).click()

    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            # alice claims from the class page; the commitment is required.
            sign_in(page, "alice")
            page.goto(f"{base}/classes/{cls.pk}/?tab=subsidy")
            page.get_by_test_id("claim-new").click()
            page.fill("#id_contact", "王爱丽")
            page.fill("#id_phone", "13800000001")
            page.fill("#id_bank_name", "中国银行禹州支行")
            page.fill("#id_bank_account", "6222 0202 0001 2345 678")
            page.get_by_test_id("commitment").check()
            page.screenshot(path=str(shots / "claim-form.png"))
            page.get_by_test_id("create-claim").click()
            page.wait_for_url(re.compile(r"/subsidy/\d+/$"))
            claim_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
            expect(page.get_by_test_id("claim-amount")).to_contain_text("4500.00")
            expect(page.get_by_test_id("lines")).to_contain_text("职业技能等级证书·四级/中级工")
            page.get_by_test_id("submit-claim").click()
            expect(page.get_by_test_id("claim-state")).to_contain_text("待行业部门受理")
            page.screenshot(path=str(shots / "claim-submitted.png"), full_page=True)
            sign_out(page)

            # The department: dan1 accepts and signs 初审, cannot sign 复核 too; dan2 does.
            review(page, "dan1", "受理")
            expect(page.get_by_test_id("claim-state")).to_contain_text("已受理")
            page.get_by_test_id("review-panel").locator("textarea[name=opinion]").fill("材料齐全，同意")
            page.get_by_test_id("review-panel").get_by_role("button", name="初审通过", exact=True).click()
            expect(page.get_by_test_id("claim-state")).to_contain_text("初审通过")
            page.get_by_test_id("review-panel").locator("textarea[name=opinion]").fill("复核同意")
            page.get_by_test_id("review-panel").get_by_role("button", name="复核通过", exact=True).click()
            expect(page.get_by_test_id("problem")).to_contain_text("SUB-TWO-PERSON")
            page.screenshot(path=str(shots / "claim-two-person.png"))
            sign_out(page)
            review(page, "dan2", "复核通过")
            expect(page.get_by_test_id("claim-state")).to_contain_text("待人社初审")
            sign_out(page)

            # HR: two signers, then the notice.
            review(page, "hana1", "初审通过")
            sign_out(page)
            review(page, "hana2", "复核通过")
            expect(page.get_by_test_id("claim-state")).to_contain_text("待公示")
            sign_out(page)
            sign_in(page, "hana1")
            page.goto(f"{base}/subsidy/{claim_id}/")
            page.get_by_test_id("publish-panel").get_by_role("button", name="发布公示").click()
            expect(page.get_by_test_id("claim-state")).to_contain_text("公示中")
            page.screenshot(path=str(shots / "claim-noticed.png"), full_page=True)
            sign_out(page)

            # The public reads the notice without logging in: masked names and IDs only.
            page.goto(f"{base}/public/notices/")
            page.get_by_role("row", name=re.compile("禹州市阳光职业培训学校")).get_by_role("link").first.click()
            expect(page.locator("main")).to_contain_text("4500.00")
            expect(page.get_by_test_id("notice-list")).to_contain_text("1500.00")
            assert clear_id not in page.content()
            page.screenshot(path=str(shots / "public-notice.png"), full_page=True)
        finally:
            browser.close()
    claim = SubsidyClaim.objects.get(pk=claim_id)
    assert claim.state == ClaimState.NOTICE and claim.notice_until is not None
    assert list(claim.steps.values_list("action", flat=True)) == [
        "submit",
        "accept",
        "dept_first",
        "dept_second",
        "hr_first",
        "hr_second",
        "publish",
    ]
