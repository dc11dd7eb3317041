"""The supervision API (/api/v1/classes/{id}/…, /api/v1/videos/expiring): every endpoint against the
whole cast — out of scope 404, in scope but the wrong role 403, the right role 2xx — and the
answers themselves: the common error shape, resident IDs masked by role, the rules at work.

alice's class (scenes.in_training) is led by 市工信局 (dan1/dan2) in 禹州 (hana1/hana2); the city
sees all; finance sees it once approved; bob, erin, carol, sam and audrey do not see it at all.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from jineng.accounts.models import Role
from jineng.classes.models import ClassState, TrainingClass
from jineng.classes.tests.test_api import client_for, send
from jineng.ids import mask_ric
from jineng.supervision.models import Inspection, SatisfactionResponse, Suspension, VideoSegment
from jineng.testing import Cast, unit, user

from .scenes import START, check_in, hours_for, in_training, local, roster, with_timetable

pytestmark = pytest.mark.django_db

CAST = ["alice", "bob", "dan1", "dan2", "erin", "hana1", "hana2", "carol", "city", "leader", "finance", "sam", "audrey"]
READERS = {"alice", "dan1", "dan2", "hana1", "hana2", "city", "leader", "finance"}
CLEAR_IDS = {"alice", "hana1", "hana2", "city"}
INSPECTORS = {"dan1", "dan2", "hana1", "hana2", "city"}
HR = {"hana1", "hana2", "city"}


def iso(value: dt.datetime) -> str:
    return value.isoformat()


def expect(who: str, allowed: set[str], response: Any, ok: int) -> None:
    if who not in READERS:
        assert response.status_code == 404 and response.data["code"] == "not_found", (who, response.content[:200])
    elif who in allowed:
        assert response.status_code == ok, (who, response.content[:300])
    else:
        assert response.status_code == 403 and response.data["code"] == "not_permitted", (who, response.content[:200])
        assert set(response.data) >= {"code", "message", "fields"}


@pytest.fixture
def training(people: Cast) -> TrainingClass:
    cls = in_training(people, trainees=3)
    hours = with_timetable(people, cls)
    for hour in hours:
        check_in(cls, roster(cls)[0].person, hour.starts_at)
    cls.refresh_from_db()
    return cls


def ended_class(people: Cast) -> TrainingClass:
    cls = in_training(people, trainees=4)
    TrainingClass.objects.filter(pk=cls.pk).update(state=ClassState.ENDED)
    cls.refresh_from_db()
    return cls


# ── reads ─────────────────────────────────────────────────────────────────────────────────────

READS = ["timetable", "attendance", "makeups", "videos", "inspections", "satisfaction", "eligibility"]


@pytest.mark.parametrize("who", CAST)
def test_every_read_is_in_scope_or_404(people: Cast, training: TrainingClass, who: str) -> None:
    client = client_for(getattr(people, who))
    for endpoint in READS:
        response = send(client, "GET", f"/classes/{training.pk}/{endpoint}")
        expect(who, READERS, response, 200)


def test_a_worker_reads_their_own_lines_and_not_the_videos_or_inspections(
    people: Cast, training: TrainingClass
) -> None:
    mine = roster(training)[1]
    worker = user("w", Role.WORKER)
    worker.person = mine.person
    worker.save(update_fields=["person"])
    client = client_for(worker)
    assert [t["row"] for t in send(client, "GET", f"/classes/{training.pk}/attendance").data["trainees"]] == [2]
    assert [t["row"] for t in send(client, "GET", f"/classes/{training.pk}/eligibility").data["trainees"]] == [2]
    for endpoint in ("videos", "inspections"):
        response = send(client, "GET", f"/classes/{training.pk}/{endpoint}")
        assert response.status_code == 403 and response.data["code"] == "not_permitted"
    assert send(client, "GET", "/videos/expiring").status_code == 403
    other = in_training(people, trainees=1, first=50)
    assert send(client, "GET", f"/classes/{other.pk}/eligibility").status_code == 404


@pytest.mark.parametrize("who", sorted(READERS))
def test_resident_ids_are_in_clear_only_for_roles_allowed_to_read_them(
    people: Cast, training: TrainingClass, who: str
) -> None:
    client = client_for(getattr(people, who))
    ids = [e.person.id_number for e in roster(training)]
    clear = who in CLEAR_IDS
    for endpoint in ("attendance", "eligibility"):
        data = send(client, "GET", f"/classes/{training.pk}/{endpoint}").data
        assert [t["id_number"] for t in data["trainees"]] == (ids if clear else [mask_ric(n) for n in ids])
        body = client.get(f"/api/v1/classes/{training.pk}/{endpoint}").content.decode()
        assert all((n in body) is clear for n in ids), (who, endpoint)


def test_attendance_and_eligibility_answer_with_the_rules_findings(people: Cast, training: TrainingClass) -> None:
    client = client_for(people.alice)
    attendance = send(client, "GET", f"/classes/{training.pk}/attendance").data
    assert next(t["statuses"] for t in attendance["trainees"]) == ["void"] * 5  # nothing recorded on video
    assert [f["rule"] for f in attendance["video_findings"]] == ["SUP-THEORY-VIDEO", "SUP-PRACTICAL-VIDEO"]
    assert attendance["headcount"] == {"average_present": None, "inspections": 0, "opening_present": 1, "roster": 3}
    eligibility = send(client, "GET", f"/classes/{training.pk}/eligibility").data
    assert (eligibility["payable"], eligibility["not_payable"]) == (1, 2)
    second = eligibility["trainees"][1]
    assert [r["rule"] for r in second["reasons"]] == ["SUP-THEORY-VIDEO", "SUP-PRACTICAL-VIDEO", "SUP-FACE-CHECKIN"]
    face = second["reasons"][-1]
    assert (face["scope"], face["outcome"], face["outcome_label"], face["clause"]) == (
        "trainee",
        "void",
        "不予认可/取消补贴",
        "二(三)2",
    )


# ── writes during training ────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("who", CAST)
def test_the_timetable_is_the_clerks_to_set(people: Cast, training: TrainingClass, who: str) -> None:
    hours = [
        {"kind": h.kind, "starts_at": iso(h.starts_at), "ends_at": iso(h.ends_at), "topic": h.topic}
        for h in hours_for("TTPPP", day=dt.date(2023, 5, 9))
    ]
    response = send(
        client_for(getattr(people, who)),
        "PUT",
        f"/classes/{training.pk}/timetable",
        {"version": training.version, "hours": hours},
    )
    expect(who, {"alice"}, response, 200)
    if response.status_code == 200:
        assert next(h["starts_at"][:16] for h in response.data["hours"]) == "2023-05-09T00:00"  # 08:00 Beijing, in UTC
        assert response.data["version"] == training.version + 1


def test_a_bad_timetable_names_every_field_and_a_stale_one_is_409(people: Cast, training: TrainingClass) -> None:
    client = client_for(people.alice)
    one = {"kind": "theory", "starts_at": "2023-05-08T08:00:00+08:00", "ends_at": "2023-05-08T08:30:00+08:00"}
    response = send(client, "PUT", f"/classes/{training.pk}/timetable", {"version": training.version, "hours": [one]})
    assert response.status_code == 422 and response.data["code"] == "invalid_input"
    assert [f["path"] for f in response.data["fields"]] == ["hours[0].ends_at", "hours", "hours"]
    stale = send(client, "PUT", f"/classes/{training.pk}/timetable", {"version": training.version - 1, "hours": []})
    assert stale.status_code == 409 and stale.data["code"] == "stale_version"


@pytest.mark.parametrize("who", CAST)
def test_makeups_and_videos_are_the_clerks_to_record(people: Cast, training: TrainingClass, who: str) -> None:
    client = client_for(getattr(people, who))
    entry = roster(training)[1]
    made = send(
        client,
        "POST",
        f"/classes/{training.pk}/makeups",
        {
            "enrollment_id": entry.pk,
            "hour_seq": 3,
            "held_at": "2023-05-12T14:00:00+08:00",
            "minutes": 45,
            "video_ref": "nvr://makeup/3",
        },
    )
    expect(who, {"alice"}, made, 201)
    video = send(
        client,
        "POST",
        f"/classes/{training.pk}/videos",
        {
            "camera": "CAM-1",
            "kind": "practical",
            "starts_at": "2023-05-08T10:00:00+08:00",
            "ends_at": "2023-05-08T10:45:00+08:00",
            "all_visible": True,
            "storage_ref": "nvr://cam1/3",
            "hour_seq": 3,
        },
    )
    expect(who, {"alice"}, video, 201)
    if who == "alice":
        assert made.data["counts"] is True and made.data["id_number"] == entry.person.id_number
        assert (video.data["retain_until"], video.data["hour_seq"]) == ("2026-05-08", 3)
        statuses = send(client, "GET", f"/classes/{training.pk}/attendance").data["trainees"][1]["statuses"]
        assert statuses[2] == "made_up"


@pytest.mark.parametrize("who", CAST)
def test_a_video_past_its_retention_is_deleted_by_the_clerk_only(
    people: Cast, training: TrainingClass, who: str
) -> None:
    video = VideoSegment.objects.create(
        training_class=training,
        camera="CAM-1",
        kind="theory",
        starts_at=local(START, 8),
        ends_at=local(START, 8, 45),
        all_visible=True,
        storage_ref="nvr://old",
        retain_until=timezone.localdate(),
        recorded_by=people.alice,
        recorded_at=timezone.now(),
    )
    response = send(client_for(getattr(people, who)), "DELETE", f"/classes/{training.pk}/videos/{video.pk}")
    expect(who, {"alice"}, response, 200)
    assert (VideoSegment.objects.get(pk=video.pk).deleted_at is not None) is (who == "alice")


def test_deleting_a_video_before_its_retain_until_date_is_refused_with_the_rule(
    people: Cast, training: TrainingClass
) -> None:
    video = VideoSegment.objects.create(
        training_class=training,
        camera="CAM-1",
        kind="theory",
        starts_at=local(START, 8),
        ends_at=local(START, 8, 45),
        all_visible=True,
        storage_ref="nvr://kept",
        retain_until=timezone.localdate() + dt.timedelta(days=1),
        recorded_by=people.alice,
        recorded_at=timezone.now(),
    )
    response = send(client_for(people.alice), "DELETE", f"/classes/{training.pk}/videos/{video.pk}")
    assert response.status_code == 409 and response.data["code"] == "rule_blocked"
    assert response.data["fields"][0]["path"] == "SUP-VIDEO-RETENTION"
    assert send(client_for(people.alice), "DELETE", f"/classes/{training.pk}/videos/999999").status_code == 422


@pytest.mark.parametrize("who", CAST)
def test_the_expiring_report_covers_the_readers_scope(people: Cast, training: TrainingClass, who: str) -> None:
    VideoSegment.objects.create(
        training_class=training,
        camera="CAM-1",
        kind="theory",
        starts_at=local(START, 8),
        ends_at=local(START, 8, 45),
        all_visible=True,
        storage_ref="nvr://soon",
        retain_until=timezone.localdate() + dt.timedelta(days=10),
        recorded_by=people.alice,
        recorded_at=timezone.now(),
    )
    response = send(client_for(getattr(people, who)), "GET", "/videos/expiring?within_days=30")
    assert response.status_code == 200
    assert [v["storage_ref"] for v in response.data] == (["nvr://soon"] if who in READERS else [])
    assert send(client_for(getattr(people, who)), "GET", "/videos/expiring?within_days=9").data == []


@pytest.mark.parametrize("who", CAST)
def test_inspections_are_recorded_by_the_lead_department_or_hr(people: Cast, training: TrainingClass, who: str) -> None:
    response = send(
        client_for(getattr(people, who)),
        "POST",
        f"/classes/{training.pk}/inspections",
        {
            "kind": "onsite",
            "at": "2023-05-10T10:00:00+08:00",
            "present_count": 3,
            "teachers_present": 2,
            "notes": "学员在位",
            "photo_refs": ["photo://1"],
        },
    )
    expect(who, INSPECTORS, response, 201)
    assert Inspection.objects.filter(training_class=training).exists() is (who in INSPECTORS)


@pytest.mark.parametrize("who", CAST)
def test_only_the_clerk_ends_the_class_and_only_after_an_inspection(
    people: Cast, training: TrainingClass, who: str
) -> None:
    client = client_for(getattr(people, who))
    response = send(client, "POST", f"/classes/{training.pk}/end", {"version": training.version})
    if who == "alice":
        assert response.status_code == 409 and response.data["code"] == "rule_blocked"
        assert [f["rule"] for f in response.data["findings"]] == ["SUP-INSPECTION"]
        Inspection.objects.create(
            training_class=training,
            kind=Inspection.Kind.REMOTE,
            at=local(START, 9),
            inspector=people.dan1,
            inspector_org=unit("dept-mii"),
            present_count=3,
            teachers_present=2,
            recorded_at=timezone.now(),
        )
        response = send(client, "POST", f"/classes/{training.pk}/end", {"version": training.version})
        assert response.status_code == 201 and response.data["state"] == "ended"
        assert response.data["findings"][0]["rule"] == "SUP-HEADCOUNT"
    else:
        expect(who, {"alice"}, response, 201)
        assert TrainingClass.objects.get(pk=training.pk).state == ClassState.APPROVED


# ── survey, evaluation, suspension ────────────────────────────────────────────────────────────


@pytest.mark.parametrize("who", CAST)
def test_the_survey_is_the_trainees_or_the_clerks_and_the_evaluation_hrs(people: Cast, who: str) -> None:
    cls = ended_class(people)
    client = client_for(getattr(people, who))
    first = roster(cls)[0]
    answer = send(client, "POST", f"/classes/{cls.pk}/satisfaction", {"enrollment_id": first.pk, "satisfied": False})
    expect(who, {"alice"}, answer, 201)
    SatisfactionResponse.objects.update_or_create(
        enrollment=first, defaults={"satisfied": False, "answered_at": timezone.now()}
    )
    evaluated = send(client, "POST", f"/classes/{cls.pk}/satisfaction/evaluate")
    expect(who, HR, evaluated, 200)
    if who in HR:
        assert evaluated.data["suspended"] is True and evaluated.data["finding"]["rule"] == "SUP-SATISFACTION"
        assert (evaluated.data["responses"], evaluated.data["satisfied"]) == (1, 0)
        assert evaluated.data["suspension"]["remedy"] == "pending"


def test_a_worker_answers_their_own_survey_only(people: Cast) -> None:
    cls = ended_class(people)
    first, second = roster(cls)[:2]
    worker = user("w", Role.WORKER)
    worker.person = first.person
    worker.save(update_fields=["person"])
    client = client_for(worker)
    mine = send(client, "POST", f"/classes/{cls.pk}/satisfaction", {"enrollment_id": first.pk, "satisfied": True})
    assert mine.status_code == 201 and mine.data["id_number"] == mask_ric(first.person.id_number)
    theirs = send(client, "POST", f"/classes/{cls.pk}/satisfaction", {"enrollment_id": second.pk, "satisfied": True})
    assert theirs.status_code == 403
    summary = send(client, "GET", f"/classes/{cls.pk}/satisfaction").data
    assert summary["responses"] == 1 and [a["row"] for a in summary["answers"]] == [1]


def suspension_of(people: Cast) -> tuple[TrainingClass, Suspension]:
    cls = ended_class(people)
    for i, e in enumerate(roster(cls)):
        SatisfactionResponse.objects.create(enrollment=e, satisfied=i == 0, answered_at=timezone.now())
    response = send(client_for(people.hana1), "POST", f"/classes/{cls.pk}/satisfaction/evaluate")
    return cls, Suspension.objects.get(pk=response.data["suspension"]["id"])


@pytest.mark.parametrize("who", CAST)
def test_hr_decides_and_lifts_a_suspension(people: Cast, who: str) -> None:
    cls, made = suspension_of(people)
    client = client_for(getattr(people, who))
    until = timezone.localdate() + dt.timedelta(days=31)
    decided = send(
        client,
        "POST",
        f"/classes/{cls.pk}/suspensions/{made.pk}/decide",
        {"remedy": "retrain", "rectify_until": until.isoformat(), "notes": "重新组织培训"},
    )
    expect(who, HR, decided, 200)
    closed = send(client, "POST", f"/classes/{cls.pk}/suspensions/{made.pk}/close", {"notes": ""})
    if who in HR:
        assert decided.data["remedy"] == "retrain" and decided.data["rectify_until"] == until.isoformat()
        assert closed.status_code == 409 and closed.data["code"] == "rule_blocked"  # the period is not over
    else:
        expect(who, HR, closed, 200)


def test_a_rectification_shorter_than_a_month_is_named_with_its_rule(people: Cast) -> None:
    cls, made = suspension_of(people)
    short = timezone.localdate() + dt.timedelta(days=20)
    response = send(
        client_for(people.city),
        "POST",
        f"/classes/{cls.pk}/suspensions/{made.pk}/decide",
        {"remedy": "cancel", "rectify_until": short.isoformat()},
    )
    assert response.status_code == 422 and response.data["fields"][0]["path"] == "rectify_until"
    assert "SUP-SATISFACTION" in response.data["fields"][0]["message"]
    eligibility = send(client_for(people.city), "GET", f"/classes/{cls.pk}/eligibility").data
    assert [r["rule"] for r in eligibility["class_reasons"]] == ["SUP-SATISFACTION"]


def test_every_endpoint_is_in_the_openapi_document(people: Cast) -> None:
    schema = send(client_for(people.alice), "GET", "/openapi.json").data
    paths = set(schema["paths"])
    for path in (
        "/api/v1/classes/{class_id}/timetable",
        "/api/v1/classes/{class_id}/attendance",
        "/api/v1/classes/{class_id}/makeups",
        "/api/v1/classes/{class_id}/videos",
        "/api/v1/classes/{class_id}/videos/{video_id}",
        "/api/v1/videos/expiring",
        "/api/v1/classes/{class_id}/inspections",
        "/api/v1/classes/{class_id}/satisfaction",
        "/api/v1/classes/{class_id}/satisfaction/evaluate",
        "/api/v1/classes/{class_id}/suspensions/{suspension_id}/decide",
        "/api/v1/classes/{class_id}/suspensions/{suspension_id}/close",
        "/api/v1/classes/{class_id}/end",
        "/api/v1/classes/{class_id}/eligibility",
    ):
        assert path in paths, path
