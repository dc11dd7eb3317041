"""Online learning at rest holds no resident ID (issue 7): events, their keys, results and batch
digests carry keyed hashes — and the migration that converted the rows stored before."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import types
from typing import Any

import polars as pl
import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from jineng.registry.models import ric_key
from jineng.testing import Cast

from ..events import frame_from_records
from ..models import EventBatch, LearningEvent, OnlineResult
from ..services import PushAnswer, canonical, events_push
from .push_builders import DAY, Setting, session, setting

pytestmark = pytest.mark.django_db

migration = importlib.import_module("jineng.online.migrations.0002_learner_hashed")


@pytest.fixture
def world(people: Cast) -> Setting:
    return setting(people)


def push(world: Setting, batch_id: str, events: list[dict[str, Any]]) -> PushAnswer:
    return events_push(platform=world.platform, batch_id=batch_id, events=events, received_at=timezone.now())


def rows(sql: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def everything_stored() -> str:
    """Every stored text of events, results and batches, as the database holds them."""
    events = rows(f"SELECT learner, key, session FROM {LearningEvent._meta.db_table}")
    results = rows(f"SELECT learner, findings FROM {OnlineResult._meta.db_table}")
    batches = rows(f"SELECT digest, batch_id FROM {EventBatch._meta.db_table}")
    return repr(events + results + batches)


def clear_canon(events: list[dict[str, Any]]) -> list[str]:
    """The canonical values of the events with the clear learner (what keys hashed before)."""
    return canonical(frame_from_records(events)).get_column("canon").to_list()


def test_no_resident_id_is_stored_and_the_learner_is_the_registrys_hash(world: Setting) -> None:
    number = world.yz[0].id_number
    events = session(number, "S-1") + session(world.yz[1].id_number, "S-2", DAY + dt.timedelta(hours=2))
    push(world, "B-1", events)
    text = everything_stored()
    assert number not in text and number[-8:] not in text and world.yz[1].id_number not in text
    assert {learner for (learner,) in rows(f"SELECT learner FROM {LearningEvent._meta.db_table}")} == {
        world.yz[0].id_hash,
        world.yz[1].id_hash,
    }
    assert OnlineResult.objects.get(learner=world.yz[0].id_hash).recognised


def test_neither_an_event_key_nor_a_batch_digest_is_a_plain_hash_of_the_clear_values(world: Setting) -> None:
    # Both would let anyone holding a dump test guessed IDs against them.
    events = session(world.yz[0].id_number, "S-1")
    push(world, "B-1", events)
    canon = clear_canon(events)
    plain_keys = {hashlib.md5(text.encode(), usedforsecurity=False).hexdigest() for text in canon}
    assert not plain_keys & set(LearningEvent.objects.values_list("key", flat=True))
    plain_digest = hashlib.sha256("\n".join(canon).encode()).hexdigest()
    assert EventBatch.objects.get().digest != plain_digest


def test_the_result_page_reaches_name_and_masked_id_through_the_registry(world: Setting, people: Cast) -> None:
    from django.test import Client

    person = world.yz[0]
    push(world, "B-1", session(person.id_number, "S-1"))
    result = OnlineResult.objects.get(learner=person.id_hash)
    client = Client()
    client.force_login(people.alice)
    body = client.get(f"/api/v1/online/results/{result.pk}").json()
    clear = people.alice.sees_clear_ids
    assert body["name"] == person.name and body["learner"] == (person.id_number if clear else person.masked_id)
    listing = client.get("/api/v1/online/results").json()
    assert [item["learner"] for item in listing["items"]] == [person.masked_id]


# ── the migration ─────────────────────────────────────────────────────────────────────────────


def test_the_migration_turns_stored_rows_into_what_the_push_service_stores_now(world: Setting) -> None:
    number = world.yz[0].id_number
    events = session(number, "S-1")
    first = push(world, "B-1", events[:-3] + events[:2])  # a batch with two repeats inside it
    events_table, results_table = LearningEvent._meta.db_table, OnlineResult._meta.db_table
    now = sorted(rows(f"SELECT id, learner, key FROM {events_table}"))
    digest = EventBatch.objects.get().digest
    # Back to how rows were stored before: clear learner, MD5 of the clear values, plain digest.
    hashed_canon = canonical(frame_from_records(events).with_columns(learner=pl.lit(world.yz[0].id_hash)))
    legacy = dict(
        zip(
            (hashlib.md5(t.encode(), usedforsecurity=False).hexdigest() for t in hashed_canon["canon"].to_list()),
            (hashlib.md5(t.encode(), usedforsecurity=False).hexdigest() for t in clear_canon(events)),
            strict=True,
        )
    )
    pushed = events[:-3] + events[:2]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {events_table} SET learner = %s, key = %s WHERE id = %s",
            [(number, legacy[key], pk) for pk, _, key in now],
        )
        cursor.execute(f"UPDATE {results_table} SET learner = %s", [number])
        cursor.execute(
            f"UPDATE {EventBatch._meta.db_table} SET digest = %s",
            [hashlib.sha256("\n".join(clear_canon(pushed)).encode()).hexdigest()],
        )
    assert number in everything_stored()

    migration.hash_learners(apps, types.SimpleNamespace(connection=connection))

    assert sorted(rows(f"SELECT id, learner, key FROM {events_table}")) == now
    assert EventBatch.objects.get().digest == digest
    assert OnlineResult.objects.get().learner == ric_key(number)
    assert number not in everything_stored()
    # A platform retrying the old batch gets its first answer; its events re-sent add nothing.
    assert push(world, "B-1", pushed) == first
    assert push(world, "B-2", events).inserted == 3
