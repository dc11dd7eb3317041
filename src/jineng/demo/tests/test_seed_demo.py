"""The README's start command loads the Xuchang 2023 demo on every start: complete, real, repeatable.

Seeding takes a few seconds, so the module seeds once (through the management command, as
start.sh does) inside a transaction that every test runs in a savepoint of, and that is rolled
back at the end. Passwords are hashed with MD5 here only to keep two dozen logins fast.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client, override_settings

from jineng.accounts.models import Role, User
from jineng.classes.models import ClassState, Enrollment, ReviewStep, TrainingClass
from jineng.classes.services import check_class
from jineng.demo.seed import ACCOUNTS, CLASSES, DEFAULT_DEMO_PASSWORD, demo_password, summary
from jineng.ids import ric_problem
from jineng.registry.models import Person
from jineng.supervision.models import (
    CheckIn,
    ClassHour,
    Inspection,
    MakeUp,
    SatisfactionResponse,
    Suspension,
    VideoSegment,
)
from jineng.supervision.selectors import eligibility

pytestmark = pytest.mark.django_db

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
README = Path(__file__).resolve().parents[4] / "README.md"


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """The output of one `seed_demo` run; the data stays for the module, then is rolled back."""
    with (
        django_db_blocker.unblock(),
        override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.delenv("JINENG_DEMO_PASSWORD", raising=False)
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            out = io.StringIO()
            call_command("seed_demo", stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def test_it_reports_its_progress_line_by_line(seeded: str) -> None:
    assert re.search(r"^== 机构 10 个", seeded, re.M)
    assert re.search(r"^== 人员 \d+ 人", seeded, re.M)
    assert re.search(r"^== 培训班 \d+ 个：草稿 \d+、", seeded, re.M)
    assert "演示数据已就绪" in seeded


def test_seeding_again_leaves_every_count_as_it_was(seeded: str) -> None:
    before = summary()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert summary() == before
    assert "培训班已存在，跳过" in out.getvalue()


def test_about_thirty_classes_with_several_in_every_state(seeded: str) -> None:
    counts = Counter(TrainingClass.objects.values_list("state", flat=True))
    assert 28 <= sum(counts.values()) <= 36
    assert {state: counts[state] >= 3 for state in ClassState} == dict.fromkeys(ClassState, True)
    assert sum(counts.values()) == len(CLASSES)
    sizes = Counter(Enrollment.objects.values_list("training_class_id", flat=True))
    assert all(20 <= n <= 81 for n in sizes.values()) and max(sizes.values()) == 81


def test_about_a_thousand_real_name_trainees_of_xuchang(seeded: str) -> None:
    numbers = list(Person.objects.values_list("id_number", flat=True))
    assert 900 <= len(numbers) <= 1100
    assert [n for n in numbers if ric_problem(n) is not None] == []
    assert all(n[:4] in ("4110", "4126", "4104") for n in numbers)  # Xuchang, 许昌地区 before 1986, 襄城 before 1997
    assert len({n[:6] for n in numbers}) >= 10


def test_every_role_has_an_account_that_logs_in_with_the_demo_password(seeded: str) -> None:
    users = {u.username: u for u in User.objects.filter(username__in=[a.username for a in ACCOUNTS])}
    assert set(users) == {a.username for a in ACCOUNTS}
    assert {u.role for u in users.values()} == set(Role)
    assert demo_password() == DEFAULT_DEMO_PASSWORD
    for account in ACCOUNTS:
        assert Client().login(username=account.username, password=DEFAULT_DEMO_PASSWORD), account.username
        assert users[account.username].first_name  # a Chinese full name, never blank
    admin, auditor = users["admin"], users["auditor"]
    assert admin.is_superuser and admin.is_staff
    assert not (auditor.is_staff or auditor.is_superuser)
    assert [u for u in users.values() if u.is_staff] == [admin]
    assert users["worker"].person is not None and users["worker"].first_name == users["worker"].person.name
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/").status_code == 200


def test_reviewers_finance_and_administrators_log_in_with_the_documented_demo_code(seeded: str) -> None:
    from jineng.accounts.models import TotpDevice
    from jineng.accounts.otp import totp_required
    from jineng.demo.seed import DEMO_TOTP_SECRET
    from jineng.testing import totp_code

    assert DEMO_TOTP_SECRET in seeded
    if README.exists():
        assert DEMO_TOTP_SECRET in README.read_text(encoding="utf-8")
    with_totp = {
        u.username for u in User.objects.filter(username__in=[a.username for a in ACCOUNTS]) if totp_required(u)
    }
    assert {"finance", "hr_yz_1", "dept_mii_1", "security"} <= with_totp and "clerk_yz" not in with_totp
    devices = TotpDevice.objects.filter(user__username__in=with_totp, confirmed_at__isnull=False)
    assert devices.count() == len(with_totp) and {d.secret for d in devices} == {DEMO_TOTP_SECRET}
    client = Client()
    client.post("/login/", {"username": "finance", "password": DEFAULT_DEMO_PASSWORD})
    answer = client.post("/login/otp/", {"code": totp_code(User.objects.get(username="finance"))})
    assert answer.status_code == 302 and client.get("/subsidy/finance/").status_code == 200


def test_approved_classes_carry_five_real_steps_signed_two_and_two(seeded: str) -> None:
    approved = TrainingClass.objects.filter(state=ClassState.APPROVED)
    assert approved.count() >= 3
    for cls in approved:
        steps = list(cls.steps.order_by("at", "id"))
        assert [s.action for s in steps] == ["submit", "dept_first", "dept_second", "hr_first", "hr_second"]
        assert all(s.decision == "approve" and s.policy == "xuchang-2023" for s in steps)
        dept = {s.actor_id for s in steps[1:3]}
        hr = {s.actor_id for s in steps[3:5]}
        assert len(dept) == 2 and len(hr) == 2 and cls.created_by_id not in dept | hr
        assert {s.actor_role for s in steps[1:3]} == {Role.DEPT_REVIEWER}
        # Assessed since, so their trainees carry TRN-COOLDOWN history into later classes.
        assert not cls.enrollments.filter(assessed_on__isnull=True).exists()


def test_ended_classes_carry_their_supervision_record(seeded: str) -> None:
    ended = list(TrainingClass.objects.filter(state=ClassState.ENDED).order_by("start"))
    assert len(ended) >= 3
    for cls in ended:
        assert [s.action for s in cls.steps.order_by("at", "id")][-1] == "end"
        assert ClassHour.objects.filter(training_class=cls).count() == cls.hours_total
        assert Inspection.objects.filter(training_class=cls).count() >= 1
        assert VideoSegment.objects.filter(training_class=cls).count() >= 10
        assert CheckIn.objects.filter(training_class=cls).count() >= cls.enrollments.count() * 10
        assert SatisfactionResponse.objects.filter(enrollment__training_class=cls).count() == cls.enrollments.count()
        assert MakeUp.objects.filter(enrollment__training_class=cls).count() <= 1
    reasons = {cls.pk: eligibility(cls) for cls in ended}
    rules = {pk: Counter(r.rule for t in state.trainees for r in t.reasons) for pk, state in reasons.items()}
    first = reasons[ended[0].pk]
    assert [r.rule for r in first.class_reasons] == ["SUP-PRACTICAL-VIDEO"]
    assert [t.row for t in first.trainees if not t.payable] == [36]  # no valid face check-in at all
    assert rules[ended[0].pk]["SUP-FACE-CHECKIN"] == 3  # rows 2 and 3 missed hours, row 36 every hour
    # Two segments not showing every trainee: recorded, and the class is still payable.
    not_visible = VideoSegment.objects.filter(training_class=ended[1], all_visible=False).count()
    assert not_visible == 2 and rules[ended[1].pk]["SUP-VIDEO-ALL-VISIBLE"] == 0
    # Below 85%: the assessment is suspended; HR chose retraining and a rectification period.
    [suspension] = Suspension.objects.filter(training_class=ended[2])
    assert suspension.rate == Decimal("0.8000") and suspension.remedy == "retrain" and suspension.rectify_until
    assert not any(t.payable for t in reasons[ended[2].pk].trainees)
    assert not Suspension.objects.exclude(training_class=ended[2]).exists()


def test_returned_and_rejected_classes_have_the_reviewers_reasons(seeded: str) -> None:
    for state, action in ((ClassState.RETURNED, "return"), (ClassState.REJECTED, "reject")):
        for cls in TrainingClass.objects.filter(state=state):
            last = cls.steps.order_by("at", "id").last()
            assert last is not None and last.action == action and last.reasons
            assert ReviewStep.objects.filter(training_class=cls, action="submit").count() == 1


def test_drafts_show_the_findings_an_applicant_must_fix(seeded: str) -> None:
    rules = Counter(
        f.rule for cls in TrainingClass.objects.filter(state=ClassState.DRAFT) for f in check_class(cls).findings
    )
    for rule in (
        "CLS-SIZE",
        "CLS-PRACTICAL-SHARE",
        "CLS-ONLINE-SHARE",
        "CLS-INSTITUTION-BARRED",
        "CLS-INSTITUTION-LISTED",
        "CLS-SURVEY",
        "TRN-COOLDOWN",
        "TRN-INTENT",
        "TRN-GRADUATING-STUDENT",
    ):
        assert rules[rule] >= 1, rule
    assert rules["CLS-INSTITUTION-BARRED"] == 2  # one blacklisted institution, one with an audit problem
    # Everything past the draft stage was clean when it was signed.
    for cls in TrainingClass.objects.exclude(state=ClassState.DRAFT):
        assert check_class(cls).decision == "approve", cls.code


def test_the_readme_lists_every_demo_account(seeded: str) -> None:
    if not README.exists():  # an installed package without the repository
        pytest.skip("README.md not found")
    text = README.read_text(encoding="utf-8")
    assert f"`{DEFAULT_DEMO_PASSWORD}`" in text
    for account in ACCOUNTS:
        assert f"`{account.username}`" in text, account.username
    assert User.objects.get(username="worker").first_name in text  # the trainee behind `worker`


def test_it_refuses_a_production_install_without_the_explicit_flag() -> None:
    users = User.objects.count()
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="JINENG_DEBUG=true"):
        call_command("seed_demo")
    assert User.objects.count() == users
