"""The whole path of a class application in a real browser (Playwright driving Debian's Chromium).

alice applies through the form, imports 81 trainees, sees CLS-SIZE in the findings panel, removes
one trainee and submits; dan1 and dan2 sign 初审 and 复核 for the department, hana1 and hana2 for
HR; the class shows 已批准开班. Screenshots at 1366×768 go to $JINENG_SCREENSHOT_DIR (or tmp_path).

Chromium comes from Debian (`apt-get install chromium`), never from `playwright install`; without
/usr/bin/chromium this test is skipped so the rest of the suite still runs.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from jineng.accounts.models import User
from jineng.accounts.otp import totp_required
from jineng.classes.models import ClassState, TrainingClass
from jineng.classes.roster_io import COLUMNS, roster_template_xlsx
from jineng.testing import CHROMIUM, cast, chromium, make_ric, totp_code, totp_enrol, unit

PASSWORD = "Jineng-浏览器-2023"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"{CHROMIUM} 不存在：浏览器测试需要 Debian 的 Chromium（apt-get install -y chromium）",
    ),
]


def roster_xlsx(path: Path, count: int) -> Path:
    """The downloadable template, filled with `count` trainees with valid resident IDs."""
    book = load_workbook(io.BytesIO(roster_template_xlsx()))
    sheet = book.worksheets[0]
    for i in range(count):
        values = {
            "seq": i + 1,
            "name": f"学员{i + 1:03d}",
            "id_number": make_ric("411081", dt.date(1992, 3, 1) + dt.timedelta(days=i * 7), i),
            "phone": f"139{i:08d}",
            "category": "失业人员",
            "training_intent": "是",
            "employment_intent": "是",
            "employment_ability": "是",
        }
        sheet.append([values.get(c.key) for c in COLUMNS])
    book.save(path)
    return path


def test_a_class_goes_from_application_to_approval_in_the_browser(live_server, tmp_path, monkeypatch) -> None:
    from playwright.sync_api import Page, expect

    # Playwright's sync API keeps an event loop in this thread; the ORM calls below are plain sync calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    people = cast()
    for account in (people.alice, people.dan1, people.dan2, people.hana1, people.hana2):
        account.set_password(PASSWORD)
        account.save()
        if totp_required(account):  # reviewers log in with a TOTP code too
            totp_enrol(account)
    roster = roster_xlsx(tmp_path / "花名册.xlsx", 81)
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

    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on("dialog", lambda dialog: dialog.accept())  # 确定从花名册移除…？
        try:
            # alice applies: the form, then five certified teachers.
            sign_in(page, "alice")
            page.get_by_test_id("new-class").click()
            page.fill("#id_name", "2023年禹州市车工（四级）就业技能培训班")
            page.select_option("#id_occupation_id", str(people.lathe.pk))
            page.select_option("#id_level", "4")
            page.select_option("#id_training_type", "employment")
            page.select_option("#id_certificate", "skill_level")
            page.select_option("#id_lead_department_id", str(unit("dept-mii").pk))
            page.select_option("#id_area_id", str(unit("area-yuzhou").pk))
            page.fill("#id_start", "2023-05-08")
            page.fill("#id_end", "2023-05-26")
            page.fill("#id_hours_theory", "24")
            page.fill("#id_hours_practical", "56")
            page.fill("#id_workstations", "20")
            page.screenshot(path=str(shots / "application-form.png"))
            page.get_by_test_id("create-class").click()
            page.wait_for_url(re.compile(r"/classes/\d+/\?tab=teachers$"))
            code = page.locator(".class-head h1").inner_text().split(" ")[0]
            for i in range(5):
                page.fill(f"#id_teachers-{i}-name", f"教师{i + 1}")
                page.check(f"#id_teachers-{i}-certified")
            page.get_by_test_id("save-teachers").click()
            expect(page.get_by_test_id("flash")).to_contain_text("师资已保存")

            # 81 trainees: CLS-SIZE stands in the findings panel.
            page.locator("nav.tabs").get_by_text("花名册").click()
            page.get_by_test_id("roster-file").set_input_files(str(roster))
            page.get_by_test_id("roster-import").click()
            expect(page.get_by_test_id("flash")).to_contain_text("81 名学员")
            panel = page.get_by_test_id("findings-panel")
            expect(panel.locator('li[data-rule="CLS-SIZE"]')).to_contain_text("阻断")
            expect(panel).to_contain_text("二(三)1")
            page.screenshot(path=str(shots / "findings-panel.png"))

            # Submitting now is refused, with the finding.
            page.get_by_test_id("submit-class").click()
            expect(page.get_by_test_id("problem")).to_contain_text("CLS-SIZE")
            expect(page.get_by_test_id("class-state")).to_have_text("草稿")

            # One trainee fewer, and the class submits.
            page.reload()
            page.get_by_test_id("remove-trainee").last.click()
            expect(page.get_by_test_id("flash")).to_contain_text("已从花名册移除")
            expect(page.get_by_test_id("findings-panel")).not_to_contain_text("CLS-SIZE")
            page.get_by_test_id("submit-class").click()
            expect(page.get_by_test_id("class-state")).to_have_text(ClassState.SUBMITTED.label)
            sign_out(page)

            # Two department reviewers, then two HR reviewers, each from the to-do list.
            for username, button, state in [
                ("dan1", "初审通过", ClassState.DEPT_FIRST),
                ("dan2", "复核通过", ClassState.DEPT_APPROVED),
                ("hana1", "初审通过", ClassState.HR_FIRST),
                ("hana2", "复核通过，批准开班", ClassState.APPROVED),
            ]:
                sign_in(page, username)
                todo = page.get_by_test_id("todo-table")
                expect(todo).to_contain_text("个工作日")
                todo.get_by_role("link", name=code).click()
                review = page.get_by_test_id("review-panel")
                review.get_by_test_id("opinion").fill(f"{username}：同意，材料齐全。")
                if username == "dan1":
                    page.screenshot(path=str(shots / "review-screen.png"))
                review.get_by_role("button", name=button, exact=True).click()
                expect(page.get_by_test_id("class-state")).to_have_text(state.label)
                if username != "hana2":
                    sign_out(page)

            expect(page.locator(".history .step")).to_have_count(5)
            page.screenshot(path=str(shots / "approved-class.png"))
        finally:
            context.close()
            browser.close()

    approved = TrainingClass.objects.get(code=code)
    assert approved.state == ClassState.APPROVED and approved.enrollments.count() == 80
    assert list(approved.steps.values_list("actor__username", flat=True)) == ["alice", "dan1", "dan2", "hana1", "hana2"]
    assert (shots / "findings-panel.png").stat().st_size > 10_000
    assert (shots / "approved-class.png").stat().st_size > 10_000
