"""Every audit row takes the next place in a hash chain as it is written, and the hash stored is
the hash recomputed from the row as the database gives it back."""

from __future__ import annotations

import datetime as dt
import importlib
import threading
import time
from typing import Any

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from jineng.audit.chain import GENESIS, canonical, json_value, row_hash, row_seal
from jineng.audit.models import AuditEvent, AuditLogImmutable
from jineng.audit.services import audit_record
from jineng.audit.verify import COLUMNS, verify_database
from jineng.crypto import _seal_key, audit_seal_key
from jineng.testing import Cast

from .tampering import tamper

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def stored_rows() -> list[dict]:
    return list(AuditEvent.objects.order_by("seq").values(*COLUMNS))


def test_rows_chain_from_genesis_in_order_without_gaps(people: Cast) -> None:
    for n in range(4):
        audit_record(actor=people.sam, event="account.update", obj=people.dan1, changes={"n": (n, n + 1)})
    rows = stored_rows()
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    prev = GENESIS
    for row in rows:
        assert row["prev_hash"] == prev and row["hash"] == row_hash(prev, row)
        prev = row["hash"]


def test_the_hash_written_is_the_hash_recomputed_from_the_row_read_back(people: Cast) -> None:
    # What jsonb normalises: key order, integral floats written with an exponent, NaN (refused
    # there, so stored as text), tuples; and text beyond ASCII.
    changes = {
        "z": (1e16, 1e300),
        "a": ({"b": 2.0, "a": [0.1, 5e-05, (1, 2)]}, float("nan")),
        "名称": ("禹州“阳光”学校\n", 'emoji 🎓 \\ "quoted"'),
        "none": (None, True),
    }
    written = audit_record(actor=people.alice, event="class.update", obj=people.dan1, changes=changes, note="说明")
    row = stored_rows()[-1]
    assert row["hash"] == written.hash == row_hash(written.prev_hash, row)
    assert canonical(row) == canonical(written.chain_content())
    assert row["changes"]["z"] == [10**16, 10**300] and row["changes"]["a"][1] == "nan"


def test_integral_floats_hash_as_the_integers_postgresql_gives_back() -> None:
    assert json_value({"k": [1e16, 2.0, 0.5, float("inf")]}) == {"k": [10**16, 2, 0.5, "inf"]}


def test_the_time_is_hashed_in_utc_with_microseconds(people: Cast) -> None:
    event = audit_record(actor=people.alice, event="x.y", obj=people.dan1)
    local = event.at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert canonical({**event.chain_content(), "at": local}) == canonical(event.chain_content())
    assert f'"at":"{event.at.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%S.%f}+00:00"' in canonical(event.chain_content())


def test_a_row_joins_the_chain_only_through_save(people: Cast) -> None:
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.bulk_create([AuditEvent(event="x", object_type="y", object_id="1")])
    created = AuditEvent.objects.create(event="x.made", object_type="y", object_id="1")
    assert created.seq == AuditEvent.objects.count() and len(created.hash) == 64
    with pytest.raises(AuditLogImmutable):
        created.save()


def test_an_event_about_a_request_is_named_without_a_model_row(people: Cast) -> None:
    event = audit_record(
        actor=None,
        event="authz.refused",
        object_type="request",
        object_id="classes:detail",
        object_repr="/classes/41108119900101123X/",
        note="GET /classes/41108119900101123X/ → 403",
    )
    assert (event.object_type, event.object_id, event.actor_name) == ("request", "classes:detail", "系统")
    assert "41108119900101123X" not in event.object_repr + event.note and "4110**********123X" in event.note
    with pytest.raises(ValueError):
        audit_record(actor=None, event="x")


def test_each_row_is_sealed_with_its_hash_under_the_key_derived_from_the_data_key(people: Cast, settings: Any) -> None:
    written = audit_record(actor=people.sam, event="account.update", obj=people.dan1)
    row = AuditEvent.objects.filter(pk=written.pk).values(*COLUMNS).get()
    ours = audit_seal_key()
    assert row["seal"] == written.seal == row_seal(ours, row["hash"])
    settings.JINENG_DATA_KEY = bytes(32)  # another deployment's key seals otherwise
    other = audit_record(actor=people.sam, event="x.y", obj=people.dan1)
    assert other.seal == row_seal(_seal_key(bytes(32)), other.hash) != row_seal(ours, other.hash)


def test_the_migration_seals_the_rows_written_before_seals_with_the_seal_the_writer_gives(people: Cast) -> None:
    for n in range(3):
        audit_record(actor=people.sam, event="account.update", obj=people.dan1, changes={"n": (n, 1.5)})
    before = stored_rows()
    tamper("UPDATE audit_auditevent SET seal = ''")
    migration = importlib.import_module("jineng.audit.migrations.0006_seal")
    state = MigrationExecutor(connection).loader.project_state(("audit", "0006_seal"))
    migration.seal_existing_rows(state.apps, _Editor())
    assert stored_rows() == before


class _Editor:  # all the backfills ask of a schema editor (SQLite's refuses to open in a transaction)
    def __init__(self) -> None:
        self.connection = connection

    def execute(self, sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


def test_the_migration_gives_rows_written_before_the_chain_the_hashes_the_writer_gives(people: Cast) -> None:
    for n in range(3):
        audit_record(actor=people.sam, event="account.update", obj=people.dan1, changes={"n": (n, 1.5)})
    before = stored_rows()
    migration = importlib.import_module("jineng.audit.migrations.0004_chain_backfill")
    # The historical model, as the migration sees it: a plain manager that may update.
    state = MigrationExecutor(connection).loader.project_state(("audit", "0004_chain_backfill"))
    migration.chain_existing_rows(state.apps, _Editor())
    assert stored_rows() == before


@postgres_only
def test_on_postgresql_the_table_refuses_truncate(people: Cast) -> None:
    audit_record(actor=people.alice, event="x.y", obj=people.dan1)
    # Test connections may empty the table between tests (jineng.conftest); this one may not.
    with pytest.raises(DatabaseError, match="审计日志不可修改或删除"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL jineng.audit_truncate = ''")
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # else TRUNCATE stops at the pending checks first
        cur.execute("TRUNCATE audit_auditevent CASCADE")
    assert AuditEvent.objects.exists()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_writers_at_once_on_postgresql_take_turns_and_leave_one_unbroken_chain() -> None:
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(10):
                with transaction.atomic():
                    audit_record(actor=None, event="x.y", object_type="request", object_id=f"{n}-{i}")
                    time.sleep(0.001)  # hold the turn a little, as a service finishing its work would
        except BaseException as exc:  # reported in the test's thread
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 41))
    assert verify_database().ok
    # Teardown empties this database with TRUNCATE: allowed to test connections only (jineng.conftest).
