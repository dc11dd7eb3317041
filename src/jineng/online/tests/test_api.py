"""The online API over HTTP: a platform pushes with its key; users read results in their scope."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from jineng.accounts.models import User
from jineng.ids import mask_ric
from jineng.testing import Cast

from ..models import EventBatch, LearningEvent, OnlineResult
from .push_builders import DAY, Setting, session, setting

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def world(people: Cast) -> Setting:
    return setting(people)


def push(world: Setting, body: dict[str, Any]) -> Any:
    client = Client(headers={"Authorization": f"Bearer {world.key}"})
    return client.post(f"{API}/online/batches", body, content_type="application/json")


def read(reader: User, path: str) -> Any:
    client = Client()
    client.force_login(reader)
    return client.get(API + path)


def test_a_platform_pushes_a_batch_and_a_repeat_gets_the_same_body(world: Setting) -> None:
    events = session(world.yz[0].id_number, "S-1")
    body = {"batch_id": "2023-05-03-001", "events": events}
    first = push(world, body)
    assert first.status_code == 200
    assert first.json() == {
        "batch_id": "2023-05-03-001",
        "events": len(events),
        "inserted": len(events),
        "duplicates": 0,
        "learners_reaudited": 1,
    }
    again = push(world, body)
    assert again.status_code == 200 and again.json() == first.json()
    assert EventBatch.objects.count() == 1 and LearningEvent.objects.count() == len(events)


def test_other_content_under_a_used_batch_id_is_409(world: Setting) -> None:
    push(world, {"batch_id": "B-1", "events": session(world.yz[0].id_number, "S-1")})
    response = push(world, {"batch_id": "B-1", "events": session(world.yz[0].id_number, "S-1", minutes=5)})
    assert response.status_code == 409 and response.json()["code"] == "batch_conflict"


def test_a_bad_row_is_422_naming_the_row_and_nothing_is_stored(world: Setting) -> None:
    events = session(world.yz[0].id_number, "S-1")
    events[6] = {**events[6], "event": "rewind"}
    response = push(world, {"batch_id": "B-1", "events": events})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_events" and body["fields"][0]["path"] == "events[6].event"
    assert body["fields"][0]["message"].startswith("第7行")
    assert not LearningEvent.objects.exists() and not EventBatch.objects.exists()


def test_a_malformed_body_is_422_before_anything_is_read(world: Setting) -> None:
    assert push(world, {"batch_id": "B-1", "events": "not a list"}).status_code == 422
    assert push(world, {"events": []}).status_code == 422


def test_a_batch_over_the_cap_is_422_and_the_cap_keeps_it_under_the_request_limit(world: Setting) -> None:
    from django.conf import settings

    from ..services import MAX_EVENTS

    widest = {
        "ts": "2023-05-03T20:00:00.123+08:00",
        "platform": "p" * 40,
        "learner": world.yz[0].id_number,
        "course": "c" * 64,
        "lesson": "l" * 64,
        "lesson_seq": 2**31 - 1,
        "session": "s" * 64,
        "event": "popup_answered",
        "position": 1234567.125,
        "rate": 1.25,
    }
    body = {"batch_id": "b" * 64, "events": [widest] * MAX_EVENTS}
    assert len(json.dumps(body)) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body["events"] = [widest] * (MAX_EVENTS + 1)
    response = push(world, body)
    assert response.status_code == 422 and response.json()["fields"][0]["path"] == "body.payload.events"


def test_a_body_over_the_request_limit_is_413_in_json_and_nothing_is_stored(world: Setting) -> None:
    from django.conf import settings

    filler = "x" * 1000
    events = [{"ts": "2023-05-03T20:00:00+08:00", "event": "heartbeat", "note": filler}]
    body = {"batch_id": "B-huge", "events": events * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1000 + 1)}
    response = push(world, body)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large" and "分批推送" in response.json()["message"]
    assert not EventBatch.objects.exists() and not LearningEvent.objects.exists()


def test_a_user_token_cannot_push(people: Cast, world: Setting) -> None:
    from jineng.accounts.services import token_issue

    _, token = token_issue(user=people.alice, actor=people.alice, name="教务系统")
    client = Client(headers={"Authorization": f"Bearer {token}"})
    response = client.post(f"{API}/online/batches", {"batch_id": "B", "events": []}, content_type="application/json")
    assert response.status_code == 401


def _voided_world(world: Setting) -> None:
    learner = world.yz[0].id_number
    push(world, {"batch_id": "B-1", "events": session(learner, "S-1")})
    push(world, {"batch_id": "B-2", "events": session(learner, "S-2", DAY + dt.timedelta(minutes=5))})


def test_a_class_shows_each_trainee_and_course_with_the_evidence(people: Cast, world: Setting) -> None:
    _voided_world(world)
    response = read(people.alice, f"/classes/{world.yz_class.pk}/online-results")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and body["courses"][0]["code"] == "CRS-1" and body["courses"][0]["platform"] == "plat-1"
    first, second = body["items"][:2]
    assert first["id_number"] == mask_ric(world.yz[0].id_number) and first["status"] == "not_recognised"
    assert first["status_label"] == "不予认定" and first["study_minutes"] == "0.0"
    [evidence] = first["findings"]
    assert evidence["rule"] == "ONL-MULTI-WINDOW" and evidence["session"] == "S-2"
    assert evidence["at"] == "2023-05-03T20:05:00+08:00"
    assert second["status"] == "pending" and second["result_id"] is None and second["findings"] == []


def test_a_class_page_is_paginated(people: Cast, world: Setting) -> None:
    body = read(people.alice, f"/classes/{world.yz_class.pk}/online-results?limit=1&offset=2").json()
    assert body["count"] == 3 and [i["row"] for i in body["items"]] == [3]


def test_another_institutions_class_is_404(people: Cast, world: Setting) -> None:
    _voided_world(world)
    response = read(people.bob, f"/classes/{world.yz_class.pk}/online-results")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert read(people.sam, f"/classes/{world.yz_class.pk}/online-results").status_code == 404


def test_one_result_in_scope_with_the_id_in_clear_only_for_roles_that_read_ids(people: Cast, world: Setting) -> None:
    _voided_world(world)
    stored = OnlineResult.objects.get()
    path = f"/online/results/{stored.pk}"
    clerk = read(people.alice, path).json()
    assert clerk["learner"] == world.yz[0].id_number and clerk["name"] == world.yz[0].name
    assert clerk["course"] == {"code": "CRS-1", "name": "CRS-1 安全生产知识"} and clerk["policy"] == "xuchang-2023"
    assert clerk["findings"][0]["rule"] == "ONL-MULTI-WINDOW"
    reviewer = read(people.dan1, path).json()
    assert reviewer["learner"] == mask_ric(world.yz[0].id_number)


def test_a_result_out_of_scope_is_404(people: Cast, world: Setting) -> None:
    _voided_world(world)
    path = f"/online/results/{OnlineResult.objects.get().pk}"
    for reader in (people.bob, people.carol, people.erin, people.sam):
        response = read(reader, path)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert read(people.alice, "/online/results/999999").status_code == 404


def test_the_result_list_is_scoped_masked_and_filtered(people: Cast, world: Setting) -> None:
    _voided_world(world)
    push(world, {"batch_id": "B-3", "events": session(world.cg[0].id_number, "S-3")})
    mine = read(people.alice, "/online/results").json()
    assert mine["count"] == 1 and mine["items"][0]["learner"] == mask_ric(world.yz[0].id_number)
    city = read(people.city, "/online/results?recognised=true").json()
    assert [i["learner"] for i in city["items"]] == [mask_ric(world.cg[0].id_number)]
    assert read(people.bob, "/online/results?recognised=false").json()["count"] == 0
    assert read(people.sam, "/online/results").json()["count"] == 0


def test_reading_results_needs_a_user(world: Setting) -> None:
    assert Client().get(f"{API}/online/results").status_code == 401
    # A platform key is no user credential.
    client = Client(headers={"Authorization": f"Bearer {world.key}"})
    assert client.get(f"{API}/classes/{world.yz_class.pk}/online-results").status_code == 401
