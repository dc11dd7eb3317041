"""Stored results: who may read which (by the classes in their scope that study the course), a class's
roster × courses with pending lines, and the re-audit after the catalog changed."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from jineng.accounts.models import Role, User
from jineng.audit.models import AuditEvent
from jineng.classes.errors import NotPermitted
from jineng.ids import mask_ric
from jineng.policy.loader import DATA_DIR
from jineng.registry.models import Person, ric_key
from jineng.testing import Cast, person, unit, user

from ..models import OnlineResult
from ..selectors import class_results, evidence, result_get, results_for
from ..services import events_push, results_recompute
from .push_builders import DAY, Setting, course, session, setting

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(people: Cast) -> Setting:
    """yz[0] and cg[0] have studied CRS-1 cleanly; yz[1] in two windows at once."""
    world = setting(people)
    events = (
        session(world.yz[0].id_number, "S-1")
        + session(world.cg[0].id_number, "S-2")
        + session(world.yz[1].id_number, "S-3")
        + session(world.yz[1].id_number, "S-4", DAY + dt.timedelta(minutes=3))
    )
    events_push(platform=world.platform, batch_id="B-1", events=events, received_at=timezone.now())
    return world


def learners_seen_by(reader: User) -> set[str]:
    """The resident IDs of the results `reader` sees (a result holds the ID's keyed hash)."""
    keys = set(results_for(reader).values_list("learner", flat=True))
    return set(Person.objects.filter(id_hash__in=keys).values_list("id_number", flat=True))


def test_an_institution_sees_its_own_trainees_results_only(people: Cast, world: Setting) -> None:
    yz = {world.yz[0].id_number, world.yz[1].id_number}
    assert learners_seen_by(people.alice) == yz
    assert learners_seen_by(people.bob) == {world.cg[0].id_number}


def test_officials_see_by_the_scope_of_their_classes(people: Cast, world: Setting) -> None:
    everyone = {world.yz[0].id_number, world.yz[1].id_number, world.cg[0].id_number}
    assert learners_seen_by(people.hana1) == {world.yz[0].id_number, world.yz[1].id_number}
    assert learners_seen_by(people.carol) == {world.cg[0].id_number}
    assert learners_seen_by(people.dan1) == everyone  # 市工信局 leads both classes
    assert learners_seen_by(people.city) == everyone and learners_seen_by(people.leader) == everyone
    assert learners_seen_by(people.erin) == set()


def test_administrators_read_no_results(people: Cast, world: Setting) -> None:
    for reader in (people.sam, people.audrey, user("sec", Role.SECURITY_ADMIN, org=unit("city"))):
        assert learners_seen_by(reader) == set()


def test_a_worker_sees_their_own_results_only(people: Cast, world: Setting) -> None:
    worker = user("w1", Role.WORKER)
    worker.person = world.yz[0]
    worker.save()
    assert learners_seen_by(worker) == {world.yz[0].id_number}
    assert learners_seen_by(user("w2", Role.WORKER)) == set()  # no person linked


def test_a_result_of_a_course_the_class_does_not_study_is_not_the_institutions(people: Cast, world: Setting) -> None:
    course(world.platform, "CRS-2")
    learner = world.yz[0].id_number
    events = session(learner, "S-7", DAY + dt.timedelta(days=1), course_code="CRS-2")
    events_push(platform=world.platform, batch_id="B-2", events=events, received_at=timezone.now())
    other = OnlineResult.objects.get(learner=ric_key(learner), course="CRS-2")
    assert result_get(people.alice, other.pk) is None and result_get(people.hana1, other.pk) is None
    mine = OnlineResult.objects.get(learner=ric_key(learner), course="CRS-1")
    assert result_get(people.alice, mine.pk) == mine and result_get(people.bob, mine.pk) is None


def test_a_class_lists_its_roster_times_its_courses_with_pending_lines(people: Cast, world: Setting) -> None:
    page = class_results(people.alice, world.yz_class, limit=50, offset=0)
    assert page.count == 3 and [c.code for c in page.courses] == ["CRS-1"]
    assert [(r.row, r.status) for r in page.rows] == [(1, "recognised"), (2, "not_recognised"), (3, "pending")]
    assert [r.id_number for r in page.rows] == [mask_ric(p.id_number) for p in world.yz]
    voided = page.rows[1].result
    assert voided is not None
    [finding] = evidence(voided, clear=False)
    assert finding["rule"] == "ONL-MULTI-WINDOW" and finding["requirement"] == "不得多窗口学习"
    assert finding["session"] == "S-4" and finding["at"] == "2023-05-03T20:03:00+08:00"
    assert finding["clause"] == "三(二)" and finding["message"]


def test_a_class_page_is_sliced_and_a_second_course_doubles_the_lines(people: Cast, world: Setting) -> None:
    course(world.platform, "CRS-2").classes.add(world.yz_class)
    page = class_results(people.alice, world.yz_class, limit=2, offset=1)
    assert page.count == 6
    lines = [(r.row, r.course.code, r.status) for r in page.rows]
    assert lines == [(1, "CRS-2", "pending"), (2, "CRS-1", "not_recognised")]


def test_a_worker_sees_only_their_own_line_of_the_class(people: Cast, world: Setting) -> None:
    worker = user("w1", Role.WORKER)
    worker.person = world.yz[1]
    worker.save()
    page = class_results(worker, world.yz_class, limit=50, offset=0)
    assert page.count == 1 and page.rows[0].row == 2


def test_a_reaudit_after_delisting_voids_every_course_studied_on_the_platform(people: Cast, world: Setting) -> None:
    world.platform.listed = False
    world.platform.save()
    out = io.StringIO()
    call_command("online_reaudit", by="sam", platform="plat-1", stdout=out)
    assert "已核查 3/3 名学员" in out.getvalue() and "完成：3 名学员，3 条结果，其中学时认定 0 条" in out.getvalue()
    for learner in (world.yz[0].id_number, world.cg[0].id_number):
        stored = OnlineResult.objects.get(learner=ric_key(learner))
        assert not stored.recognised and "ONL-PLATFORM" in [f["rule"] for f in stored.findings]
    event = AuditEvent.objects.get(event="online.reaudit")
    assert event.actor == people.sam and event.changes["learners"] == [None, 3]
    assert event.changes["recognised"] == [None, 0]


def test_a_reaudit_of_named_learners_leaves_the_others(people: Cast, world: Setting) -> None:
    before = OnlineResult.objects.get(learner=ric_key(world.cg[0].id_number)).audited_at
    report = results_recompute(actor=people.sam, learners=[world.yz[0].id_number])
    assert (report.learners, report.results, report.recognised) == (1, 1, 1)
    assert OnlineResult.objects.get(learner=ric_key(world.cg[0].id_number)).audited_at == before


def test_a_reaudit_of_a_learner_without_events_stores_nothing(people: Cast, world: Setting) -> None:
    report = results_recompute(actor=people.sam, learners=[person(500).id_number])
    assert (report.learners, report.results) == (1, 0)
    assert OnlineResult.objects.count() == 3


def test_only_the_system_administrator_reaudits(people: Cast, world: Setting) -> None:
    with pytest.raises(NotPermitted):
        results_recompute(actor=people.city)
    with pytest.raises(CommandError, match="系统管理员"):
        call_command("online_reaudit", by="alice", stdout=io.StringIO())
    with pytest.raises(CommandError, match="只能指定其一"):
        call_command("online_reaudit", by="sam", platform="plat-1", learner=["x"], stdout=io.StringIO())
    assert not AuditEvent.objects.filter(event="online.reaudit").exists()


def test_each_learner_is_audited_under_the_policy_in_force_on_their_first_event(
    people: Cast, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A later plan with a 10-minute pop-up gap: 8 minutes without a pop-up are fine for a learner
    # who began in 2024, not for one who began in 2023 — and one batch carries both.
    shipped = (DATA_DIR / "xuchang-2023.yaml").read_text(encoding="utf-8")
    later = shipped.replace("2023-", "2024-").replace("policy: xuchang-2023", "policy: xuchang-2024")
    later = later.replace("values: {2024-01-01: 300}", "values: {2024-01-01: 600}", 1)
    assert "values: {2024-01-01: 600}" in later
    (tmp_path / "xuchang-2023.yaml").write_text(shipped, encoding="utf-8")
    (tmp_path / "xuchang-2024.yaml").write_text(later, encoding="utf-8")
    monkeypatch.setenv("JINENG_POLICY_DIR", str(tmp_path))
    world = setting(people)

    def sparse(learner: str, name: str, start: dt.datetime) -> list[dict[str, object]]:
        return [e for e in session(learner, name, start, minutes=8) if not str(e["event"]).startswith("popup")]

    earlier, later_learner = world.yz[0].id_number, world.yz[1].id_number
    events = sparse(earlier, "S-1", DAY) + sparse(later_learner, "S-2", DAY.replace(year=2024))
    events_push(platform=world.platform, batch_id="B-1", events=events, received_at=timezone.now())
    first = OnlineResult.objects.get(learner=ric_key(earlier))
    second = OnlineResult.objects.get(learner=ric_key(later_learner))
    assert first.policy == "xuchang-2023" and [f["rule"] for f in first.findings] == ["ONL-POPUP"]
    assert second.policy == "xuchang-2024" and second.recognised


def test_the_admin_keeps_the_catalog_and_shows_results_read_only_and_masked(people: Cast, world: Setting) -> None:
    from django.test import Client

    people.sam.is_staff = True
    people.sam.save()
    admin = Client()
    admin.force_login(people.sam)
    number = world.yz[0].id_number
    stored = OnlineResult.objects.get(learner=ric_key(number))
    listing = admin.get("/admin/online/onlineresult/")
    assert listing.status_code == 200 and mask_ric(number) in listing.content.decode()
    page = admin.get(f"/admin/online/onlineresult/{stored.pk}/change/").content.decode()
    assert number not in page and mask_ric(number) in page
    assert admin.post(f"/admin/online/onlineresult/{stored.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin.get("/admin/online/onlinecourse/add/").status_code == 200
    people.alice.is_staff = True
    people.alice.save()
    clerk = Client()
    clerk.force_login(people.alice)
    assert clerk.get("/admin/online/onlinecourse/").status_code == 403
