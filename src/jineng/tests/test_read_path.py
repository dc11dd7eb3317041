"""The API's read path stays lean (bench/load.py measures it): what each request reads, and how.

- a bearer-token request never reads or writes the session table;
- the token's user comes with its org and institution in the one lookup statement, and a
  session's user likewise (every scope check reads them); a session loads in one statement;
- a class list counts each class's trainees per class, not by grouping every roster of the
  reader's scope, and its total is a plain count;
- ninja schemas built from plain values skip ninja's DjangoGetter (jineng.fastschema) and answer
  exactly as ninja's own validator does.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from ninja import Schema

from jineng.accounts.auth import token_digest
from jineng.accounts.models import ApiToken, Role, User
from jineng.accounts.security import LockoutBackend
from jineng.accounts.services import token_issue
from jineng.accounts.token_lookup import token_user
from jineng.classes.selectors import class_list
from jineng.classes.services import class_create
from jineng.testing import Cast, class_input, enroll, person

API = "/api/v1"


def _token(people: Cast, who: str = "alice") -> str:
    account = getattr(people, who)
    _, secret = token_issue(user=account, actor=account, name="教务系统")
    return secret


def test_a_token_request_never_touches_the_session_table(people: Cast):
    client = Client(headers={"Authorization": f"Bearer {_token(people)}"})
    class_create(actor=people.alice, data=class_input())
    with CaptureQueriesContext(connection) as queries:
        for path in ("/classes", "/todo"):
            assert client.get(API + path).status_code == 200
    statements = [q["sql"] for q in queries.captured_queries]
    assert statements and not [s for s in statements if "django_session" in s]


def test_the_token_lookup_reads_the_user_with_org_and_institution_in_one_statement(people: Cast):
    secret = _token(people)
    with CaptureQueriesContext(connection) as queries:
        found = token_user(token_digest(secret))
        assert found is not None
        token_id, last_used, user = found
        assert user.org is not None and user.institution is not None
        assert (user.pk, user.org.key, user.institution.name) == (
            people.alice.pk,
            "area-yuzhou",
            people.yuzhou_school.name,
        )
        assert user.role == people.alice.role and user.is_active and user.password_changed_at is not None
    assert len(queries.captured_queries) == 1
    assert token_id == ApiToken.objects.get(user=people.alice).pk and last_used is None


def test_the_token_lookup_refuses_a_revoked_or_unknown_token_and_keeps_a_null_org(people: Cast):
    secret = _token(people)
    ApiToken.objects.filter(user=people.alice).update(revoked_at=timezone.now())
    assert token_user(token_digest(secret)) is None
    assert token_user(token_digest("not-a-token")) is None
    people.leader.org = None
    people.leader.save(update_fields=["org"])
    found = token_user(token_digest(_token(people, "leader")))
    assert found is not None
    with CaptureQueriesContext(connection) as queries:
        assert found[2].org is None and found[2].institution is None
    assert not queries.captured_queries


def test_a_session_request_reads_its_user_with_org_in_one_statement(people: Cast):
    with CaptureQueriesContext(connection) as queries:
        user = LockoutBackend().get_user(people.hana1.pk)
        assert user is not None and user.org.key == "area-yuzhou" and user.institution is None
    assert len(queries.captured_queries) == 1
    clerk = LockoutBackend().get_user(people.alice.pk)
    assert clerk is not None and clerk.institution.name == people.yuzhou_school.name
    assert clerk.get_session_auth_hash() == people.alice.get_session_auth_hash()  # the same password column
    assert LockoutBackend().get_user(10**9) is None and LockoutBackend().get_user("no-such-id") is None
    people.hana1.is_active = False
    people.hana1.save(update_fields=["is_active"])
    assert LockoutBackend().get_user(people.hana1.pk) is None


def test_a_session_loads_in_one_statement_and_an_expired_or_unknown_one_starts_afresh(people: Cast):
    from django.contrib.sessions.models import Session

    from jineng.accounts.sessions import SessionStore

    store = SessionStore()
    store["who"] = "hana1"
    store.create()
    key = store.session_key
    with CaptureQueriesContext(connection) as queries:
        assert SessionStore(key).load() == {"who": "hana1"}
    assert len(queries.captured_queries) == 1
    assert SessionStore("x" * 32).load() == {}
    # One second past its expiry the row no longer loads, though it is still in the table.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    expired = SessionStore(key)
    assert expired.load() == {} and expired.session_key is None
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + dt.timedelta(seconds=5))
    assert SessionStore(key).load() == {"who": "hana1"}


def test_reading_one_class_admits_exactly_the_readers_its_list_scope_admits(people: Cast):
    # class_get checks the scope on the loaded row (jineng.db.q_admits); the lists filter by the
    # same Q in SQL. Every reader of the cast, and readers whose org does not fit their role,
    # against classes of two institutions, two departments and several states: the same answer.
    from jineng.classes.models import ClassState, TrainingClass
    from jineng.classes.selectors import class_get, classes_for
    from jineng.testing import unit, user

    yuzhou = class_create(actor=people.alice, data=class_input())
    agri = class_create(actor=people.alice, data=class_input(lead_department_id=unit("dept-agri").pk))
    changge = class_create(
        actor=people.bob,
        data=class_input(name="2023年长葛市车工（四级）就业技能培训班", area_id=unit("area-changge").pk),
    )
    approved = class_create(actor=people.bob, data=class_input(area_id=unit("area-changge").pk))
    TrainingClass.objects.filter(pk=approved.pk).update(state=ClassState.APPROVED)
    enroll(yuzhou, [people.wendy.person])  # type: ignore[list-item]
    misfits = [
        user("hr_in_a_department", Role.AREA_HR, org=unit("dept-mii")),
        user("reviewer_in_an_area", Role.DEPT_REVIEWER, org=unit("area-yuzhou")),
        user("clerk_without_school", Role.INSTITUTION_CLERK, org=unit("area-yuzhou")),
        user("leader_of_an_area", Role.LEADER, org=unit("area-changge")),
        user("finance_without_org", Role.FINANCE),
    ]
    readers = [getattr(people, name) for name in Cast.__annotations__ if name.islower() and not name.endswith("school")]
    readers = [r for r in readers if isinstance(r, User)] + misfits
    pks = [yuzhou.pk, agri.pk, changge.pk, approved.pk]
    admitted_somewhere = set()
    for reader in readers:
        reader = User.objects.select_related("org", "institution").get(pk=reader.pk)
        expected = set(classes_for(reader).filter(pk__in=pks).values_list("pk", flat=True))
        got = {pk for pk in pks if (found := class_get(reader, pk)) is not None and found.pk == pk}
        assert got == expected, reader.username
        assert class_get(reader, 10**9) is None and class_get(reader, 2**70) is None
        admitted_somewhere |= got
    assert admitted_somewhere == set(pks)
    # The loaded class carries what select_related loaded: no statement to read its names.
    found = class_get(people.hana1, yuzhou.pk)
    assert found is not None
    with CaptureQueriesContext(connection) as queries:
        assert (found.institution.name, found.area.key, found.lead_department.key, found.occupation.code) == (
            people.yuzhou_school.name,
            "area-yuzhou",
            "dept-mii",
            people.lathe.code,
        )
    assert not queries.captured_queries


def test_fetch_values_answers_as_the_querysets_own_iteration(people: Cast) -> None:
    # On PostgreSQL the statement is prepared; the rows, their types and converted values
    # (decrypted IDs, JSON) must be what iterating the queryset gives.
    import jineng.api  # noqa: F401  (the routers first: jineng.classes.api is imported through them)
    from jineng.classes.api import _LIST_COLUMNS
    from jineng.classes.selectors import classes_for, with_trainee_counts
    from jineng.db import fetch_values

    cls = class_create(actor=people.alice, data=class_input())
    trainees = [person(i) for i in range(3)]
    enroll(cls, trainees)
    page = with_trainee_counts(classes_for(people.city)).values(*_LIST_COLUMNS)
    with CaptureQueriesContext(connection) as queries:
        rows = fetch_values(page)
    assert len(queries.captured_queries) == 1
    assert rows == list(page) and rows[0]["trainee_count"] == 3
    roster = cls.enrollments.order_by("row").values("pk", "person__id_number", "person__phone", "questionnaire")
    entries = fetch_values(roster)
    assert entries == list(roster)
    assert [e["person__id_number"] for e in entries] == [t.id_number for t in trainees]
    assert isinstance(entries[0]["questionnaire"], dict)
    assert fetch_values(classes_for(people.sam).values("pk")) == []  # no scope: .none(), no statement
    # A worker's scope is DISTINCT, and its ORDER BY columns ride along in the statement.
    people.wendy.person = trainees[0]
    people.wendy.save(update_fields=["person"])
    columns = ("pk", "trainee_count")  # an annotation, which the type checker's plugin does not know
    own = with_trainee_counts(classes_for(people.wendy)).order_by("-created_at").values(*columns)
    assert fetch_values(own) == list(own) == [{"pk": cls.pk, "trainee_count": 3}]


def test_the_class_list_counts_trainees_per_class_and_its_total_is_a_plain_count(people: Cast):
    big = class_create(actor=people.alice, data=class_input())
    small = class_create(actor=people.alice, data=class_input(start=dt.date(2023, 6, 5), end=dt.date(2023, 6, 23)))
    enroll(big, [person(i) for i in range(3)])
    enroll(small, [person(10)])
    qs = class_list(people.city)
    assert {c.pk: c.trainee_count for c in qs} == {big.pk: 3, small.pk: 1}  # type: ignore[attr-defined]
    with CaptureQueriesContext(connection) as queries:
        assert class_list(people.city).count() == 2
    (counted,) = [q["sql"] for q in queries.captured_queries]
    assert "GROUP BY" not in counted and "enrollment" not in counted


# ── jineng.fastschema ─────────────────────────────────────────────────────────────────────────


class _Ref(Schema):
    id: int
    name: str


class _Item(Schema):
    code: str
    at: dt.date
    ref: _Ref
    refs: list[_Ref]
    note: str | None = None


class _Resolved(Schema):
    name: str
    shout: str

    @staticmethod
    def resolve_shout(obj: Any) -> str:
        return str(obj["name"] if isinstance(obj, dict) else obj.name).upper()


def test_the_fast_path_is_installed_for_the_api_schemas() -> None:
    import jineng.api  # noqa: F401  (installs it)

    assert getattr(Schema.__dict__["_run_root_validator"], "jineng_fast", False)


def test_a_schema_built_from_plain_values_answers_as_ninjas_own_path_does() -> None:
    values: dict[str, Any] = {
        "code": "XC2023000001",
        "at": dt.date(2023, 5, 8),
        "ref": _Ref(id=1, name="禹州"),
        "refs": [_Ref(id=2, name="长葛"), {"id": 3, "name": "鄢陵"}],
    }
    fast = _Item(**values)
    # An object with attributes goes through ninja's DjangoGetter, as an ORM object does.
    slow = _Item.model_validate(SimpleNamespace(**values, note=None))
    assert fast.model_dump() == slow.model_dump()
    assert fast.model_dump_json() == slow.model_dump_json()
    with pytest.raises(ValueError):
        _Item(**{**values, "at": "not a date"})


def test_resolvers_and_values_ninja_converts_still_go_through_ninja() -> None:
    assert _Resolved(name="wang").shout == "WANG"  # type: ignore[call-arg]  # the resolver fills it
    assert _Resolved.model_validate(SimpleNamespace(name="li")).shout == "LI"
    # DjangoGetter calls a callable value; a dict holding one keeps that behaviour.
    assert _Ref.model_validate({"id": 1, "name": lambda: "许昌"}).name == "许昌"
