"""No clear resident ID, phone number or bank account reaches a reader without the right to it.

Issue 7, item 3: personal data is masked by the server in every answer that does not need it, pages
with personal data carry `Cache-Control: no-store`, and nothing personal goes into URLs or logs.
Tested as the issue asks: an unmasked ID appears nowhere in a crawl of every page and API answer
(and export: XLSX, CSV, PDF) for a role without the right (see crawl.py for what the crawl visits).

Who may read what in clear:
- resident IDs and phone numbers: institution clerks (their own trainees), area and city HR
  (`accounts.models.CLEAR_ID_ROLES`); a worker their own;
- an institution's bank account: the institution, HR and finance — finance pays into it, so the
  account it disburses to must be readable in full (`subsidy.views.ACCOUNT_ROLES`). Finance reads
  bank accounts only: IDs and phones stay masked for it.
Everyone else — the leadership, department reviewers, evaluators, the system, audit and security
administrators, and an anonymous visitor of the public notice — gets masked values only.

The Xuchang demo (`seed_demo`, about 1,000 trainees, 34 classes in every state, claims, payments,
vouchers, check-ins, online results, assessments) is seeded once for the module inside a
transaction rolled back at the end; each reader's crawl runs in a savepoint of it.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from jineng.accounts.models import User
from jineng.assessment.models import AssessmentPlan
from jineng.audit.models import AuditEvent
from jineng.classes.models import COUNTED_STATES, Enrollment, TrainingClass
from jineng.online.models import LearningEvent, OnlineResult
from jineng.registry.models import Occupation, Person
from jineng.subsidy.models import FinanceBatch, Objection, PaymentLine, SubsidyClaim
from jineng.tests.crawl import (
    Crawl,
    Crawler,
    Secret,
    Secrets,
    admin_seeds,
    api_seeds,
    html_seeds,
    signed_in_client,
    url_patterns,
)
from jineng.vouchers.models import Voucher, VoucherBatch

pytestmark = pytest.mark.django_db

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The demo, seeded once (seed_demo runs on demo installs only, hence DEBUG while it runs;
    the crawl itself runs with DEBUG off, as production does)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS):
                call_command("seed_demo", stdout=io.StringIO())
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# ── the secrets, and the values to fill URLs with ────────────────────────────────────────────


def all_secrets() -> Secrets:
    """Every clear value in the database, read through the models (however they are stored)."""
    items: list[Secret] = []
    by_number: dict[str, int] = {}
    for p in Person.objects.order_by("pk"):
        owner = f"person {p.pk} {p.name}"
        by_number[p.id_number.upper()] = p.pk
        items.append(Secret("id", p.id_number, owner, p.pk))
        items.append(Secret("phone", p.phone, owner, p.pk))
    # Online learners are IDs as the platforms sent them, a person row or not.
    learners = set(OnlineResult.objects.values_list("learner", flat=True))
    learners |= set(LearningEvent.objects.values_list("learner", flat=True).distinct())
    for number in sorted(learners):
        items.append(Secret("id", number, f"online learner {number[-4:]}", by_number.get(number.upper())))
    for c in SubsidyClaim.objects.order_by("pk"):
        items.append(Secret("phone", c.phone, f"claim {c.pk} contact", claim_id=c.pk))
        items.append(Secret("bank_account", c.bank_account, f"claim {c.pk} account", claim_id=c.pk))
    return Secrets(items)


def _pks(queryset: Any, limit: int | None = None) -> list[str]:
    pks = list(queryset.order_by("pk").values_list("pk", flat=True))
    return [str(pk) for pk in (pks[:limit] if limit else pks)]


def sample_classes() -> list[str]:
    """Every approved and ended class (they carry supervision, assessment, claims and payments) and
    the first class in each other state: every state a class page renders, at a third of the requests."""
    counted = _pks(TrainingClass.objects.filter(state__in=COUNTED_STATES))
    others: dict[str, str] = {}
    for pk, state in TrainingClass.objects.exclude(state__in=COUNTED_STATES).order_by("pk").values_list("pk", "state"):
        others.setdefault(state, str(pk))
    return sorted(counted + list(others.values()), key=int)


def route_filler() -> Callable[[str], list[dict[str, str]] | None]:
    """Values for every parametrised page of the site, by route; None for a route not listed here."""
    classes = sample_classes()
    claims = _pks(SubsidyClaim.objects)
    by_class = [{"pk": pk} for pk in classes]
    by_claim = [{"pk": pk} for pk in claims]
    first_enrollments = {
        str(cls): str(pk)
        for cls, pk in Enrollment.objects.filter(training_class_id__in=[int(pk) for pk in classes])
        .order_by("-pk")
        .values_list("training_class_id", "pk")  # the last one written wins: the first enrolled
    }
    table: dict[str, list[dict[str, str]]] = {
        "classes/roster-template.<str:fmt>": [{"fmt": f} for f in ("xlsx", "csv", "pdf")],
        "classes/<int:pk>/roster/<int:enrollment_id>/remove/": [
            {"pk": c, "enrollment_id": e} for c, e in first_enrollments.items()
        ],
        "assessment/<int:pk>/": [{"pk": pk} for pk in _pks(AssessmentPlan.objects)],
        "assessment/classes/<int:pk>/ledger/": by_class,
        "subsidy/new/<int:class_id>/": [{"class_id": pk} for pk in classes],
        "subsidy/finance/<int:pk>/": [{"pk": pk} for pk in _pks(FinanceBatch.objects)],
        "subsidy/<int:pk>/objections/<int:objection_id>/resolve/": [
            {"pk": str(c), "objection_id": str(o)} for o, c in Objection.objects.values_list("pk", "claim_id")
        ],
        "subsidy/<int:pk>/payments/<int:payment_id>/clawback/": [
            {"pk": str(c), "payment_id": str(p)}
            for p, c in PaymentLine.objects.order_by("pk").values_list("pk", "disbursement__claim_id")[:3]
        ],
        "subsidy/<int:pk>/annex3.<str:fmt>": [{"pk": pk, "fmt": f} for pk in claims for f in ("pdf", "xlsx")],
        "vouchers/<int:pk>/cancel/": [{"pk": pk} for pk in _pks(Voucher.objects, 5)],
        "public/notices/<int:pk>/": by_claim,
        "security/totp/<int:user_id>/reset/": [{"user_id": pk} for pk in _pks(User.objects, 2)],
    }
    plans = table["assessment/<int:pk>/"]
    batches = table["subsidy/finance/<int:pk>/"]

    def fill(route: str) -> list[dict[str, str]] | None:
        if route in table:
            return table[route]
        # The remaining pages of one object: by the prefix that names the object.
        if route.startswith("classes/<int:pk>/"):
            return by_class
        if route.startswith("assessment/<int:pk>/"):
            return plans
        if route.startswith("subsidy/finance/<int:pk>/"):
            return batches
        if route.startswith("subsidy/<int:pk>/"):
            return by_claim
        return None

    return fill


def api_filler() -> Callable[[str], list[str] | None]:
    """Values for every path parameter of the API's GET operations, by '{path}:{parameter}'."""
    classes = sample_classes()
    claims = _pks(SubsidyClaim.objects)
    by_name = {
        "class_id": classes,
        "claim_id": claims,
        "plan_id": _pks(AssessmentPlan.objects),
        "result_id": _pks(OnlineResult.objects, 10),
        "voucher_id": _pks(Voucher.objects, 10),
        "code": list(Occupation.objects.order_by("code").values_list("code", flat=True)[:2]),
    }
    by_path = {
        "/api/v1/finance/batches/{batch_id}:batch_id": _pks(FinanceBatch.objects),
        "/api/v1/vouchers/batches/{batch_id}:batch_id": _pks(VoucherBatch.objects),
    }

    def fill(key: str) -> list[str] | None:
        if key in by_path:
            return by_path[key]
        return by_name.get(key.rsplit(":", 1)[1])

    return fill


# ── one reader's crawl ───────────────────────────────────────────────────────────────────────


Allowed = Callable[[Secret], bool]


def nothing(secret: Secret) -> bool:
    return False


def crawl(username: str | None, everything: Secrets, *, budget: int = 1500) -> Crawl:
    """One reader's crawl; the audit rows it caused (clear-ID views, exports, refusals) are searched
    too, into `url_leaks` — whoever reads, nothing personal goes into the audit log."""
    user = User.objects.get(username=username) if username else None
    last_audit = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    client = signed_in_client(user)
    crawler = Crawler(
        client, username=username or "anonymous", secrets=everything, budget=budget, signed_in=user is not None
    )
    crawler.seed(html_seeds(route_filler()))
    crawler.seed(api_seeds(client, api_filler()))
    if user is not None and user.is_staff:
        crawler.seed(admin_seeds())
    result = crawler.run()
    for pk, text in audit_texts(AuditEvent.objects.filter(pk__gt=last_audit)):
        result.url_leaks += [(f"audit row {pk}", "", s) for s in everything.find(text)]
    return result


def audit_texts(rows: Any) -> Iterator[tuple[int, str]]:
    for row in rows.order_by("pk").iterator():
        yield row.pk, f"{row.object_repr} {row.note} {row.changes} {row.object_id} {row.actor_name} {row.event}"


def _listed(items: list[Any], most: int = 15) -> str:
    shown = "\n".join(f"  {item}" for item in items[:most])
    return shown + (f"\n  … and {len(items) - most} more" if len(items) > most else "")


def _record_text(record: logging.LogRecord) -> str:
    try:
        message = record.getMessage()
    except Exception:  # a record whose arguments do not format is still searched, raw
        message = f"{record.msg} {record.args}"
    return f"{message} {record.exc_text or ''}"


def assert_clean(result: Crawl, logs: pytest.LogCaptureFixture, everything: Secrets, allowed: Allowed) -> None:
    """Nothing the reader may not hold in any answer; nothing personal in any URL or log record,
    whoever reads; no-store on every signed-in answer; no server error (an error page is not
    checked for what the page would have shown)."""
    leaks = [f"{url} ({where}): {s.kind} of {s.owner}" for url, where, s in result.found if not allowed(s)]
    assert not leaks, f"{result.username} received clear personal data:\n{_listed(leaks)}"
    in_urls = [f"{page} → {url}: {s.kind} of {s.owner}" for page, url, s in result.url_leaks]
    assert not in_urls, f"personal data in URLs or audit rows:\n{_listed(in_urls)}"
    logged = [
        f"{r.name} {r.levelname}: {s.kind} of {s.owner}" for r in logs.records for s in everything.find(_record_text(r))
    ]
    assert not logged, f"personal data in log records:\n{_listed(logged)}"
    assert not result.cacheable, f"signed-in answers without no-store:\n{_listed(result.cacheable)}"
    assert not result.errors, f"server errors:\n{_listed(result.errors)}"
    assert not result.unvisited, f"the budget ran out with {result.unvisited} URLs to go: raise it"


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record at DEBUG and up, the root's and Django's (read `.records` after the crawl:
    pytest keeps one list per test phase)."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")
    return caplog


# Demo accounts (README) with no right to any clear value.
NO_RIGHT = ["leader", "dept_mii_1", "evaluator", "admin", "auditor", "security"]


@pytest.mark.parametrize("username", NO_RIGHT)
def test_a_reader_without_the_right_finds_no_clear_id_phone_or_account_anywhere(
    seeded: None, logs: pytest.LogCaptureFixture, username: str
) -> None:
    everything = all_secrets()
    result = crawl(username, everything)
    assert result.ok() >= 20, f"the crawl reached too little to prove anything: {result.statuses}"
    assert result.masked_seen > 0, "no answer carried even a masked ID: the crawl reached no personal data"
    assert_clean(result, logs, everything, nothing)


def test_finance_reads_the_bank_accounts_it_pays_into_and_nothing_else_personal(
    seeded: None, logs: pytest.LogCaptureFixture
) -> None:
    everything = all_secrets()
    result = crawl("finance", everything)
    assert result.masked_seen > 0
    assert_clean(result, logs, everything, lambda s: s.kind == "bank_account")
    # It does read them, or the crawl above would prove nothing for finance.
    assert {s.kind for _, _, s in result.found} == {"bank_account"}


def test_a_worker_finds_their_own_id_and_nobody_elses(seeded: None, logs: pytest.LogCaptureFixture) -> None:
    everything = all_secrets()
    worker = User.objects.get(username="worker")
    assert worker.person_id is not None
    result = crawl("worker", everything)
    assert result.ok() >= 10 and result.masked_seen > 0, result.statuses
    assert_clean(result, logs, everything, lambda s: s.person_id == worker.person_id)


def test_an_anonymous_visitor_of_the_public_notice_finds_nothing_personal(
    seeded: None, logs: pytest.LogCaptureFixture
) -> None:
    everything = all_secrets()
    result = crawl(None, everything)
    assert any(url.startswith("/public/notices/") for url in result.visited)
    assert result.masked_seen > 0, "the public notice shows masked IDs: the crawl did not reach it"
    # (Anonymous public pages may be cached: the crawl checks no-store for signed-in readers only.)
    assert_clean(result, logs, everything, nothing)


def test_the_crawl_does_find_clear_ids_where_they_are_allowed_and_only_the_institutions_own(
    seeded: None, logs: pytest.LogCaptureFixture
) -> None:
    """The positive control: the same crawl as an institution clerk (who may read IDs) finds them —
    of the clerk's own trainees only — so a clean crawl above means masked, not unseen."""
    everything = all_secrets()
    clerk = User.objects.get(username="clerk_yz")
    own = set(
        Enrollment.objects.filter(training_class__institution=clerk.institution).values_list("person_id", flat=True)
    )
    own_claims = set(SubsidyClaim.objects.filter(institution=clerk.institution).values_list("pk", flat=True))
    result = crawl("clerk_yz", everything)
    ids = {s for _, _, s in result.found if s.kind == "id"}
    assert len(ids) >= 20
    # Found in the pages and in the exports alike.
    assert {"html", "json", "xlsx", "pdf"} <= {where for _, where, s in result.found if s.kind == "id"}
    assert_clean(result, logs, everything, lambda s: s.person_id in own or s.claim_id in own_claims)
    assert logs.records, "no log record was captured: the log check above would prove nothing"


def test_the_audit_log_holds_no_clear_id_phone_or_bank_account(seeded: None) -> None:
    """The seeding wrote hundreds of audit rows through the real services; audit_record masks."""
    everything = all_secrets()
    leaks = []
    for pk, text in audit_texts(AuditEvent.objects.all()):
        leaks += [f"audit row {pk}: {s.kind} of {s.owner}" for s in everything.find(text)]
    assert AuditEvent.objects.count() > 100
    assert not leaks, _listed(leaks)


def test_every_parametrised_page_of_the_site_is_filled_from_real_rows(seeded: None) -> None:
    """html_seeds raises for a route nobody fills: a new page must be added to the crawl."""
    urls = html_seeds(route_filler())
    routes = [r for r, _ in url_patterns() if not r.startswith(("admin/", "api/"))]
    assert len(urls) > len(routes)


def test_the_search_finds_a_secret_in_every_form_it_may_take() -> None:
    number = "41108119900101002X"
    secrets = Secrets(
        [
            Secret("id", number, "p"),
            Secret("phone", "13800001234", "p"),
            Secret("phone", "0374-6123456", "claim"),
            Secret("bank_account", "6228480000000000123", "claim"),
        ]
    )
    found = {
        text: {s.kind for s in secrets.find(text)}
        for text in (
            f"/classes/?q={number.lower()}",  # in a URL, lower-case x
            "旧证 411081900101002 已换发",  # the 15-digit form
            f"roster-{number}20230508.xlsx",  # inside a longer run of digits
            "电话 0374-6123456",
            "账号 6228480000000000123",
            "4110**********002X 138****1234 ***************0123",  # masked: nothing
        )
    }
    assert list(found.values()) == [{"id"}, {"id"}, {"id"}, {"phone"}, {"bank_account"}, set()]
