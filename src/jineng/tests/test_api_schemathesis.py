"""Schemathesis against the API's own OpenAPI document: no answer is a server error.

The issue asks for it in CI, bounded in examples and time. Every operation of /api/v1/openapi.json
is called in process through the WSGI application (the production entry point, not Django's test
client) as an institution clerk, area HR, city HR, finance and a worker — the clerk and the worker
with a bearer token, the others (whose roles sign in with a TOTP code and may hold no token) with a
signed-in session and its CSRF token; a device and an online platform call their own endpoints with
their keys. Three runs:

- edge values, deterministically: each parameter at 2^63, 2^64 and below -2^63, at year 1 and year
  9999, with a NUL character, and each body with every integer huge, every date at year 9999, and a
  NUL in every string — the values generation seldom reaches and a database refuses;
- schemathesis' coverage phase (boundary and just-invalid values) and its generated requests, valid
  and schema-breaking; a 2xx answer must also match its documented schema;
- a check that no two schemas share a name in the document (django-ninja keeps the last one).

The demo data is seeded once, so path ids hit real rows (most examples take the id of a row in the
caller's scope in place of the generated one), and every call runs in a savepoint rolled back after
it, so a generated DELETE or transition never leaves the next example an emptier database. Every
5xx is collected with its request and traceback and reported at the end, all at once. Bounds:
JINENG_FUZZ_EXAMPLES generated requests per operation (default 12), JINENG_FUZZ_COVERAGE coverage
cases per operation (default 30) and JINENG_FUZZ_SECONDS for the generated run (default 120), shared
out so that a slow operation cannot starve the others.
"""

from __future__ import annotations

import io
import os
import random
import re
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections, transaction
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client, override_settings
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core import NotSet
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from jineng.accounts.models import User
from jineng.accounts.otp import totp_required
from jineng.accounts.services import token_issue
from jineng.assessment.models import AssessmentPlan
from jineng.classes.models import Enrollment, TrainingClass
from jineng.classes.selectors import classes_for
from jineng.online.keys import platform_key_issue
from jineng.online.models import OnlineResult
from jineng.registry.models import CheckinDevice, Occupation, OnlinePlatform
from jineng.subsidy.models import FinanceBatch, Objection, PaymentLine, SubsidyClaim
from jineng.subsidy.selectors import batches_for as finance_batches_for
from jineng.subsidy.selectors import claims_for
from jineng.supervision.devices import device_key_issue
from jineng.supervision.models import Suspension, VideoSegment
from jineng.vouchers.models import Voucher, VoucherBatch

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("JINENG_FUZZ_EXAMPLES", "12"))
COVERAGE_CASES = int(os.environ.get("JINENG_FUZZ_COVERAGE", "30"))
SECONDS = float(os.environ.get("JINENG_FUZZ_SECONDS", "120"))
SCHEMA_PATH = "/api/v1/openapi.json"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Who calls: the roles whose scope differs (an institution, an area, the city, finance, a trainee).
ROLES = ("clerk_yz", "hr_yz_1", "hr_city_1", "finance", "worker")
# The edge values go as the city's HR (every class in scope, so ids reach the queries) and as an
# institution's clerk (the writer of most bodies).
EDGE_ROLES = ("hr_city_1", "clerk_yz")
REAL_ID_SHARE = 0.7  # of the examples, the share whose path ids are those of real rows
FORGED_AUTH_SHARE = 0.1  # of the examples, the share that keeps the made-up credentials schemathesis sends
AUTH_HEADERS = frozenset({"authorization", "x-csrftoken"})
AUTH_COOKIES = frozenset({"sessionid", "csrftoken"})


@dataclass(frozen=True)
class Credentials:
    headers: dict[str, str]
    cookies: dict[str, str]


@dataclass
class World:
    callers: dict[str, Credentials]  # role → how it authenticates
    device: Credentials
    platform: Credentials
    ids: dict[str, list[Any]]  # path parameter → ids of real rows
    # role → path parameter → ids of the rows in that role's scope (else most ids are a 404)
    scoped: dict[str, dict[str, list[Any]]] = field(default_factory=dict)


@dataclass
class Finding:
    operation: str
    role: str
    request: str
    status: int
    detail: str


@dataclass
class Report:
    errors: list[Finding] = field(default_factory=list)
    mismatches: dict[str, str] = field(default_factory=dict)  # operation → first schema mismatch
    calls: int = 0
    answers: Counter[tuple[str, int]] = field(default_factory=Counter)  # (operation, status) → calls

    def summary(self) -> str:
        """Per operation, how many answers of each status: whether the run got past the 4xx."""
        by_operation: dict[str, list[str]] = {}
        for (label, status), count in sorted(self.answers.items()):
            by_operation.setdefault(label, []).append(f"{status}×{count}")
        return "\n".join(f"  {label}: {' '.join(parts)}" for label, parts in by_operation.items())


def _bearer(token: str) -> Credentials:
    return Credentials({"Authorization": f"Bearer {token}"}, {})


def _credentials(user: User, security: User) -> Credentials:
    """A bearer token where the role may hold one, else a signed-in session with its CSRF token."""
    if not totp_required(user):
        return _bearer(token_issue(user=user, actor=security, name="schemathesis")[1])
    browser = Client()
    browser.force_login(user)
    csrf = _get_new_csrf_string()  # the cookie's secret, sent back as the header: Django accepts it
    cookies = {django_settings.SESSION_COOKIE_NAME: browser.cookies[django_settings.SESSION_COOKIE_NAME].value}
    return Credentials({"X-CSRFToken": csrf}, {**cookies, django_settings.CSRF_COOKIE_NAME: csrf})


def _ids(model: Any, column: str = "pk") -> list[Any]:
    return list(model.objects.order_by(column).values_list(column, flat=True)[:50])


def _first(qs: Any) -> list[Any]:
    return list(qs.order_by("pk").values_list("pk", flat=True)[:50])


def _scoped_ids(user: User) -> dict[str, list[Any]]:
    classes = classes_for(user)
    return {
        "class_id": _first(classes),
        "enrollment_id": _first(Enrollment.objects.filter(training_class__in=classes)),
        "claim_id": _first(claims_for(user)),
        "finance_batch_id": _first(finance_batches_for(user)),
    }


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """The demo seeded once for the module (rolled back at its end), with tokens for each caller."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.delenv("JINENG_DEMO_PASSWORD", raising=False)
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with override_settings(DEBUG=True):  # the demo seeds only there; the calls run as production
                call_command("seed_demo", stdout=io.StringIO())
            security = User.objects.get(username="security")
            callers = {name: _credentials(User.objects.get(username=name), security) for name in ROLES}
            _, device_key = device_key_issue(device=CheckinDevice.objects.earliest("pk"), actor=security)
            _, platform_key = platform_key_issue(platform=OnlinePlatform.objects.earliest("pk"), actor=security)
            ids = {
                "class_id": _ids(TrainingClass),
                "enrollment_id": _ids(Enrollment),
                "video_id": _ids(VideoSegment),
                "suspension_id": _ids(Suspension),
                "result_id": _ids(OnlineResult),
                "plan_id": _ids(AssessmentPlan),
                "claim_id": _ids(SubsidyClaim),
                "objection_id": _ids(Objection),
                "payment_id": _ids(PaymentLine),
                "finance_batch_id": _ids(FinanceBatch),
                "voucher_batch_id": _ids(VoucherBatch),
                "voucher_id": _ids(Voucher),
                "code": _ids(Occupation, "code"),
            }
            scoped = {name: _scoped_ids(User.objects.get(username=name)) for name in ROLES}
            yield World(callers, _bearer(device_key), _bearer(platform_key), ids, scoped)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@contextmanager
def _connection_kept() -> Iterator[None]:
    # The WSGI handler closes the database connection at the end of each request, as it should in
    # production; here that would end the test's transaction (and the seeded data with it), so
    # the signals are off, as in Django's own test client.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def schema(world: World) -> Any:
    """The API's OpenAPI document, fetched once through the WSGI application as a client would."""
    from jineng.wsgi import application

    with _connection_kept():
        return schemathesis.openapi.from_wsgi(SCHEMA_PATH, application)


@pytest.fixture
def in_process_requests() -> Iterator[None]:
    with _connection_kept():
        yield


@pytest.fixture
def tracebacks() -> Iterator[list[str]]:
    """The traceback of every exception a request raised, in order (the answer is a bare 500)."""
    seen: list[str] = []

    def record(sender: Any, request: Any = None, **kwargs: Any) -> None:
        seen.append(traceback.format_exc())

    signals.got_request_exception.connect(record)
    try:
        yield seen
    finally:
        signals.got_request_exception.disconnect(record)


def _operations(schema: Any) -> list[Any]:
    """Every operation of the document; one schemathesis cannot read fails the test, named."""
    results = list(schema.get_all_operations())
    unreadable = [str(r.err()) for r in results if not isinstance(r, Ok)]
    assert not unreadable, unreadable
    return [r.ok() for r in results if isinstance(r, Ok)]


def _auth(world: World, path: str, role: str) -> Credentials:
    if path == "/api/v1/checkins":
        return world.device
    if path.startswith("/api/v1/online/batches"):
        return world.platform
    return world.callers[role]


def _strip_generated_auth(case: Any) -> None:
    for container, names in ((case.headers, AUTH_HEADERS), (case.cookies, AUTH_COOKIES)):
        for name in [n for n in (container or {}) if n.lower() in names]:
            del container[name]


def _real_ids(world: World, path: str, role: str) -> dict[str, list[Any]]:
    pools = dict(world.ids)
    pools.update((name, ids) for name, ids in world.scoped.get(role, {}).items() if ids)
    batch = "finance_batch_id" if path.startswith("/api/v1/finance/") else "voucher_batch_id"
    pools["batch_id"] = pools[batch]
    return pools


def _describe(case: Any) -> str:
    parts = [f"{case.method} {case.formatted_path}"]
    if case.query:
        parts.append(f"query={case.query!r}")
    if case.headers:
        hidden = {"authorization", "x-csrftoken", "cookie"}
        parts.append(f"headers={ {k: v for k, v in case.headers.items() if k.lower() not in hidden}!r}")
    body = getattr(case, "body", None)
    if body is not None and not isinstance(body, NotSet):
        text = repr(body)
        parts.append(f"body={text[:300]}{'…' if len(text) > 300 else ''}")
    return " ".join(parts)


class _Caller:
    """Calls one operation's cases as the roles, each in a savepoint rolled back, and reports."""

    def __init__(self, operation: Any, world: World, report: Report, tracebacks: list[str]) -> None:
        self.operation = operation
        self.label = f"{operation.method.upper()} {operation.path}"
        self.world = world
        self.report = report
        self.tracebacks = tracebacks
        self.pools = {role: _real_ids(world, operation.path, role) for role in ROLES}

    def __call__(self, case: Any, role: str, seed: int, *, real_ids: bool = True) -> None:
        chooser = random.Random(seed)
        for name in list(case.path_parameters or {}) if real_ids else ():
            pool = self.pools[role].get(name)
            if pool and chooser.random() < REAL_ID_SHARE:
                case.path_parameters[name] = chooser.choice(pool)
        credentials = _auth(self.world, self.operation.path, role)
        if chooser.random() >= FORGED_AUTH_SHARE:
            # Schemathesis fills the documented security parameters with made-up values (a random
            # bearer token, a random session cookie), which would put every call behind a 401.
            _strip_generated_auth(case)
        before = len(self.tracebacks)
        with transaction.atomic():
            response = case.call(headers=credentials.headers, cookies=credentials.cookies)
            transaction.set_rollback(True)
        self.report.calls += 1
        self.report.answers[self.label, response.status_code] += 1
        if response.status_code >= 500:
            detail = "\n".join(self.tracebacks[before:]) or response.text[:500]
            self.report.errors.append(Finding(self.label, role, _describe(case), response.status_code, detail))
            return
        if 200 <= response.status_code < 300 and self.label not in self.report.mismatches:
            try:
                case.validate_response(response, checks=[response_schema_conformance])
            except (AssertionError, BaseExceptionGroup) as exc:  # schemathesis' failure (group)
                self.report.mismatches[self.label] = f"{_describe(case)}\n{str(exc)[:800]}"


def _coverage(schema: Any, call: _Caller, until: float) -> None:
    """Schemathesis' coverage phase: boundary and just-out-of-bounds values of every parameter."""
    operation = call.operation
    cases = schema.iter_coverage_cases(
        operation,
        generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        generation_config=schema.config.generation_for(operation=operation),
    )
    for index, case in enumerate(cases):
        if index >= COVERAGE_CASES or time.monotonic() > until:
            return
        call(case, ROLES[index % len(ROLES)], index)


def _fuzz(call: _Caller, until: float) -> None:
    """Generated requests, valid and schema-breaking, each as one of the roles."""
    strategy = st.one_of(
        call.operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        call.operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, role=st.sampled_from(ROLES), seed=st.integers(0, 2**32 - 1))
    def run(case: Any, role: str, seed: int) -> None:
        if time.monotonic() <= until:
            call(case, role, seed)

    run()


def test_every_caller_is_signed_in_through_the_wsgi_application(
    world: World, schema: Any, in_process_requests: None
) -> None:
    """Otherwise the run below would test nothing but the 401 answer."""
    todo = schema["/api/v1/todo"]["GET"]
    for role in ROLES:
        credentials = world.callers[role]
        response = todo.Case().call(headers=credentials.headers, cookies=credentials.cookies)
        assert response.status_code == 200, (role, response.status_code, response.text[:200])


# ── edge values ───────────────────────────────────────────────────────────────────────────────
# Generation seldom lands on the values that break a database: an integer past 2^63 (PostgreSQL's
# bigint, SQLite's INTEGER), a date at the calendar's ends, a NUL character (PostgreSQL text). So
# each parameter, and each body, is also sent with exactly those, deterministically.

BIG_INTS = (2**63, 2**64 + 1, -(2**63) - 1)
NUL_TEXT = "a\x00b"
DATE_EDGES = ("9999-12-31", "0001-01-01")
DATETIME_EDGES = ("9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00")
_DATE = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")
_DATETIME = re.compile(r"\A\d{4}-\d{2}-\d{2}T")


def _param_type(raw: dict[str, Any], components: dict[str, Any]) -> str:
    """integer / string / date / date-time / other, for a parameter's (possibly nullable) schema."""
    options = raw.get("anyOf") or [raw]
    for option in options:
        if "$ref" in option:
            option = components.get(option["$ref"].rsplit("/", 1)[-1], {})
        if "enum" in option:
            return "other"
        if option.get("type") == "integer":
            return "integer"
        if option.get("type") == "string":
            return option.get("format", "string") if option.get("format") in ("date", "date-time") else "string"
    return "other"


def _edge_values(kind: str) -> tuple[Any, ...]:
    return {
        "integer": BIG_INTS,
        "string": (NUL_TEXT,),
        "date": DATE_EDGES,
        "date-time": DATETIME_EDGES,
    }.get(kind, ())


def _mutate(value: Any, how: str) -> Any:
    """The body with every integer made huge and every date pushed to year 9999 ("big"), or a NUL
    character added to every string ("nul")."""
    if isinstance(value, dict):
        return {k: _mutate(v, how) for k, v in value.items()}
    if isinstance(value, list):
        return [_mutate(v, how) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and how == "big":
        return 2**63
    if isinstance(value, str):
        if how == "nul":
            return value + "\x00"
        if _DATE.match(value):
            return DATE_EDGES[0]
        if _DATETIME.match(value):
            return DATETIME_EDGES[0]
    return value


def _edge_cases(schema: Any, operation: Any, pools: dict[str, list[Any]]) -> Iterator[Any]:
    raw = schema.raw_schema["paths"][operation.path][operation.method.lower()]
    components = schema.raw_schema.get("components", {}).get("schemas", {})
    real = {}
    for parameter in raw.get("parameters", []):
        if parameter["in"] == "path":
            pool = pools.get(parameter["name"]) or ["1"]
            real[parameter["name"]] = pool[0]
    for parameter in raw.get("parameters", []):
        kind = _param_type(parameter.get("schema", {}), components)
        for value in _edge_values(kind):
            if parameter["in"] == "path":
                yield operation.Case(path_parameters={**real, parameter["name"]: value})
            elif parameter["in"] == "query":
                yield operation.Case(path_parameters=real, query={parameter["name"]: value})
    if "requestBody" not in raw:
        return
    base = next(
        (
            case
            for case in schema.iter_coverage_cases(
                operation,
                generation_modes=[GenerationMode.POSITIVE],
                generation_config=schema.config.generation_for(operation=operation),
            )
        ),
        None,
    )
    if base is None or isinstance(base.body, NotSet):
        return
    for how in ("big", "nul"):
        yield operation.Case(path_parameters=real, body=_mutate(base.body, how), media_type=base.media_type)


def test_edge_values_of_every_parameter_and_body_get_no_server_error(
    world: World, schema: Any, in_process_requests: None, tracebacks: list[str]
) -> None:
    report = Report()
    for operation in _operations(schema):
        call = _Caller(operation, world, report, tracebacks)
        for case in _edge_cases(schema, call.operation, call.pools[EDGE_ROLES[0]]):
            for role in EDGE_ROLES:
                call(case, role, 0, real_ids=False)
    lines = [f"{f.status} {f.operation} as {f.role}: {f.request}\n{f.detail}" for f in report.errors]
    print(f"{report.calls} calls; {len(report.errors)} server errors")
    assert not lines, f"{len(lines)} server errors:\n\n" + "\n\n".join(lines[:30])


def test_no_generated_request_gets_a_server_error(
    world: World, schema: Any, in_process_requests: None, tracebacks: list[str]
) -> None:
    operations = _operations(schema)
    assert len(operations) > 50
    report = Report()
    started = time.monotonic()
    for index, operation in enumerate(operations):
        # Each operation gets an equal share of the time left, so none is starved; within it the
        # coverage cases come first, then the generated ones.
        share = max((SECONDS - (time.monotonic() - started)) / (len(operations) - index), 0.5)
        call = _Caller(operation, world, report, tracebacks)
        _coverage(schema, call, until=time.monotonic() + share / 2)
        _fuzz(call, until=time.monotonic() + share / 2)
    lines = [f"{f.status} {f.operation} as {f.role}: {f.request}\n{f.detail}" for f in report.errors]
    mismatches = [f"{label}: {detail}" for label, detail in report.mismatches.items()]
    print(f"{report.calls} calls in {time.monotonic() - started:.0f} s; {len(report.errors)} server errors")
    print(report.summary())
    assert not lines, f"{len(lines)} server errors:\n\n" + "\n\n".join(lines[:30])
    assert not mismatches, f"{len(mismatches)} answers not matching their schema:\n\n" + "\n\n".join(mismatches)


def test_no_two_schemas_share_a_component_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """django-ninja files every schema under its class name, and a second class of the same name
    silently replaces the first in the document: three enums called Kind made org units and
    institutions fail their own documented answer. Two names alike must be one schema."""
    from ninja.openapi.schema import OpenAPISchema

    from jineng.api import api

    clashes: list[str] = []
    original = OpenAPISchema.add_schema_definitions

    def add(self: OpenAPISchema, definitions: dict[str, Any]) -> None:
        clashes.extend(name for name, d in definitions.items() if name in self.schemas and self.schemas[name] != d)
        original(self, definitions)

    monkeypatch.setattr(OpenAPISchema, "add_schema_definitions", add)
    api.get_openapi_schema()
    assert sorted(set(clashes)) == []
