"""The 过程监管 tab of the class page: the record and every trainee's reasons, in the reader's scope."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from jineng.accounts.models import Role
from jineng.classes.models import ClassState, TrainingClass
from jineng.ids import mask_ric
from jineng.online.services import events_push
from jineng.online.tests.push_builders import DAY, course, session, setting
from jineng.testing import Cast, enroll, person, user

from .scenes import check_in, in_training, roster, with_timetable
from .test_selectors import recorded

pytestmark = pytest.mark.django_db


def page(who: object, cls: TrainingClass, tab: str = "supervision") -> str:
    client = Client()
    client.force_login(who)  # type: ignore[arg-type]
    response = client.get(f"/classes/{cls.pk}/?tab={tab}")
    assert response.status_code == 200
    return response.content.decode()


def test_the_tab_lists_each_trainees_reasons_by_rule(people: Cast) -> None:
    cls = in_training(people, trainees=2)
    hours = with_timetable(people, cls)
    first, second = roster(cls)
    for hour in hours:
        check_in(cls, first.person, hour.starts_at)
    body = page(people.alice, cls)
    assert 'data-testid="eligibility"' in body and "过程监管" in body
    assert "SUP-THEORY-VIDEO" in body and "SUP-PRACTICAL-VIDEO" in body  # nothing recorded: every hour void
    assert "SUP-FACE-CHECKIN" in body and "均无有效人脸识别签到记录" in body  # the second trainee
    assert second.person.id_number in body  # the institution's clerk reads IDs in clear
    dept = page(people.dan1, cls)
    assert second.person.id_number not in dept and mask_ric(second.person.id_number) in dept


def test_a_worker_sees_only_their_own_line(people: Cast) -> None:
    cls = in_training(people, trainees=2)
    with_timetable(people, cls)
    first, second = roster(cls)
    worker = user("w", Role.WORKER)
    worker.person = first.person
    worker.save(update_fields=["person"])
    body = page(worker, cls)
    assert first.person.name in body and second.person.name not in body


def test_the_tab_appears_once_the_class_is_approved(people: Cast) -> None:
    cls = in_training(people, trainees=1)
    assert "?tab=supervision" in page(people.alice, cls, "basic")
    TrainingClass.objects.filter(pk=cls.pk).update(state=ClassState.HR_FIRST)
    body = page(people.alice, cls)
    assert "?tab=supervision" not in body and 'data-testid="eligibility"' not in body


def test_the_grid_marks_every_trainee_by_class_hour(people: Cast) -> None:
    cls = in_training(people, trainees=2)
    hours = with_timetable(people, cls)
    recorded(cls, hours)
    first, _ = roster(cls)
    check_in(cls, first.person, hours[0].starts_at)
    body = page(people.alice, cls)
    assert 'data-testid="attendance-grid"' in body
    # the first trainee checked in for hour 1 only; the second for none; every hour is over
    assert body.count('class="g-present"') == 1 and body.count('class="g-absent"') == 9
    assert 'title="第1课时 签到"' in body and 'title="第5课时 缺勤"' in body


def test_the_videos_and_the_survey_are_listed(people: Cast) -> None:
    cls = in_training(people, trainees=1)
    hours = with_timetable(people, cls)
    recorded(cls, hours[:2])
    body = page(people.alice, cls)
    assert "培训录像（2 段）" in body and "nvr://A/1" in body and "nvr://A/2" in body
    assert 'data-testid="survey"' in body and "已答 0 份" in body


def test_the_online_results_show_their_evidence_in_the_readers_scope(people: Cast) -> None:
    world = setting(people)
    events = session(world.yz[0].id_number, "S-3") + session(
        world.yz[0].id_number, "S-4", DAY + dt.timedelta(minutes=3)
    )
    events_push(platform=world.platform, batch_id="B-1", events=events, received_at=timezone.now())
    TrainingClass.objects.filter(pk=world.yz_class.pk).update(state=ClassState.APPROVED)
    body = page(people.alice, world.yz_class)
    assert 'data-testid="online-results"' in body and "不予认定" in body and "暂无学习记录" in body
    assert "ONL-MULTI-WINDOW" in body and "S-4" in body and "2023-05-03 20:03" in body
    # hana reviews for 禹州's HR and reads the class, IDs masked; bob (长葛) gets no page at all
    assert mask_ric(world.yz[0].id_number) in page(people.hana1, world.yz_class)
    client = Client()
    client.force_login(people.bob)
    assert client.get(f"/classes/{world.yz_class.pk}/?tab=supervision").status_code == 404


def test_the_online_results_are_paged(people: Cast) -> None:
    world = setting(people)
    for code in ("CRS-2", "CRS-3", "CRS-4"):
        course(world.platform, code).classes.add(world.yz_class)
    enroll(world.yz_class, [person(i) for i in range(10, 20)])  # 13 trainees × 4 courses = 52 lines
    TrainingClass.objects.filter(pk=world.yz_class.pk).update(state=ClassState.APPROVED)
    first = page(people.alice, world.yz_class)
    assert "第 1 / 2 页，共 52 条" in first and "opage=2" in first
    client = Client()
    client.force_login(people.alice)
    last = client.get(f"/classes/{world.yz_class.pk}/?tab=supervision&opage=99").content.decode()
    assert "第 2 / 2 页，共 52 条" in last


def test_the_expiring_report_lists_the_readers_videos_and_exports_them(people: Cast) -> None:
    cls = in_training(people, trainees=1)
    hours = with_timetable(people, cls)
    recorded(cls, hours[:2])  # kept until 2026-05-08: expired by now
    client = Client()
    client.force_login(people.alice)
    body = client.get("/supervision/videos/expiring/").content.decode()
    assert body.count("nvr://A/") == 2 and "已到期" in body
    export = client.get("/supervision/videos/expiring/?days=30&format=xlsx")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet is not None
    assert [c.value for c in sheet[2]][:3] == ["留存至", "班级编号", "班级名称"]
    assert [row[9] for row in sheet.iter_rows(min_row=3, values_only=True)] == ["nvr://A/1", "nvr://A/2"]
    # bob clerks for 长葛: none of 禹州's videos, on the page or in the file
    client.force_login(people.bob)
    assert "nvr://A/" not in client.get("/supervision/videos/expiring/").content.decode()
    other = load_workbook(io.BytesIO(client.get("/supervision/videos/expiring/?format=xlsx").content)).active
    assert other is not None and other.max_row == 2


def test_the_expiring_report_refuses_a_bad_window_by_name(people: Cast) -> None:
    client = Client()
    client.force_login(people.alice)
    response = client.get("/supervision/videos/expiring/?days=-3")
    assert response.status_code == 400 and "天数应为 0 至 3660 的整数" in response.content.decode()
    assert client.get("/supervision/videos/expiring/?days=99999&format=xlsx").status_code == 400
