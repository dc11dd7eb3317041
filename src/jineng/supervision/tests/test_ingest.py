"""The check-in ingest: every problem of every row at once, a bad batch changes nothing, re-sent
events count once, and the work is a fixed handful of statements whatever the batch's size."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jineng.audit.models import AuditEvent
from jineng.classes.models import TrainingClass
from jineng.registry.models import CheckinDevice
from jineng.supervision import ingest
from jineng.supervision.ingest import CheckInsInvalid, checkins_import, checkins_push
from jineng.supervision.models import CheckIn, CheckInBatch
from jineng.testing import Cast, person

from .checkin_builders import Scene, csv_of, event, jsonl_of, paths, push_of, scene

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture
def s(people: Cast) -> Scene:
    return scene(people)


def refused(s: Scene, content: bytes, filename: str = "offline.csv") -> list[dict[str, str]]:
    with pytest.raises(CheckInsInvalid) as caught:
        checkins_import(actor=s.people.alice, content=content, filename=filename)
    return caught.value.fields


def nothing_stored() -> bool:
    return not CheckIn.objects.exists() and not CheckInBatch.objects.exists()


# ── a good batch ───────────────────────────────────────────────────────────────────────────


def test_a_csv_file_is_stored_whole_with_one_batch_and_one_audit_row(s: Scene) -> None:
    result = checkins_import(actor=s.people.alice, content=csv_of([event(s, n) for n in range(3)]), filename="a.csv")
    assert (result.rows, result.inserted, result.duplicates) == (3, 3, 0)
    batch = CheckInBatch.objects.get()
    assert (batch.source, batch.uploaded_by, batch.filename, batch.rows, batch.inserted) == (
        "import",
        s.people.alice,
        "a.csv",
        3,
        3,
    )
    stored = CheckIn.objects.order_by("device_event_id")
    assert [(c.device_event_id, c.person_id, c.batch_id) for c in stored] == [
        (f"E{n:05d}", s.trainees[n].pk, batch.pk) for n in range(3)
    ]
    assert stored[0].at == dt.datetime(2023, 5, 8, 1, 0, tzinfo=UTC)
    assert stored[0].match_score == 0.93 and stored[0].liveness is True
    audit = AuditEvent.objects.get(event="checkin.import")
    assert audit.actor == s.people.alice and audit.object_id == str(batch.pk)
    assert audit.changes == {"rows": [None, 3], "inserted": [None, 3], "duplicates": [None, 0]}
    logged = json.dumps(audit.changes) + audit.note + audit.object_repr
    assert not any(t.id_number in logged for t in s.trainees)


def test_a_re_sent_file_adds_nothing_and_counts_every_event_as_a_duplicate(s: Scene) -> None:
    content = csv_of([event(s, n) for n in range(3)])
    checkins_import(actor=s.people.alice, content=content, filename="a.csv")
    again = checkins_import(actor=s.people.alice, content=content, filename="a.csv")
    assert (again.rows, again.inserted, again.duplicates) == (3, 0, 3)
    assert CheckIn.objects.count() == 3 and CheckInBatch.objects.count() == 2


def test_a_batch_mixing_new_and_stored_events_adds_only_the_new_ones(s: Scene) -> None:
    checkins_import(actor=s.people.alice, content=csv_of([event(s, 0), event(s, 1)]), filename="a.csv")
    result = checkins_import(
        actor=s.people.alice, content=csv_of([event(s, 1), event(s, 2), event(s, 3)]), filename="b.csv"
    )
    assert (result.inserted, result.duplicates) == (2, 1) and CheckIn.objects.count() == 4


def test_an_event_repeated_identically_within_a_batch_is_stored_once(s: Scene) -> None:
    # "0.930" and 09:00+08:00 vs 01:00Z: the same values written differently are the same event.
    rows = [event(s, 0), event(s, 1), event(s, 0, score="0.930", time="2023-05-08T01:00:00Z")]
    result = checkins_import(actor=s.people.alice, content=csv_of(rows), filename="a.csv")
    assert (result.rows, result.inserted, result.duplicates) == (3, 2, 1)


def test_the_same_event_id_on_two_devices_is_two_events(s: Scene) -> None:
    second = CheckinDevice.objects.create(serial="YZ-FACE-02", institution=s.people.yuzhou_school)
    rows = [event(s, 0), event(s, 0, device=second.serial)]
    assert checkins_import(actor=s.people.alice, content=csv_of(rows), filename="a.csv").inserted == 2


def test_times_with_offsets_and_epoch_milliseconds_are_read_as_the_same_instant(s: Scene) -> None:
    instant = dt.datetime(2023, 5, 8, 1, 30, tzinfo=UTC)
    times = [
        "2023-05-08T09:30:00+08:00",
        "2023-05-08 09:30:00+0800",
        "2023-05-08T01:30:00Z",
        "2023-05-08T01:30:00.000+00:00",
        str(int(instant.timestamp() * 1000)),
    ]
    rows = [event(s, n, time=t) for n, t in enumerate(times)]
    checkins_import(actor=s.people.alice, content=csv_of(rows), filename="a.csv")
    assert set(CheckIn.objects.values_list("at", flat=True)) == {instant}


def test_fractions_of_a_second_are_kept_and_a_re_sent_event_with_one_is_still_a_duplicate(s: Scene) -> None:
    times = ["2023-05-08T09:30:00.25+08:00", "2023-05-08T09:30:00.000123+08:00"]
    content = csv_of([event(s, n, time=t) for n, t in enumerate(times)])
    checkins_import(actor=s.people.alice, content=content, filename="a.csv")
    again = checkins_import(actor=s.people.alice, content=content, filename="a.csv")
    assert (again.inserted, again.duplicates) == (0, 2)
    assert set(CheckIn.objects.values_list("at", flat=True)) == {
        dt.datetime(2023, 5, 8, 1, 30, 0, 250_000, tzinfo=UTC),
        dt.datetime(2023, 5, 8, 1, 30, 0, 123, tzinfo=UTC),
    }


def test_id_numbers_are_compared_trimmed_and_with_an_upper_case_x(s: Scene, people: Cast) -> None:
    with_x = next(p for p in (person(i) for i in range(20, 200)) if p.id_number.endswith("X"))
    from jineng.testing import enroll

    enroll(s.cls, [with_x])
    row = event(s, 0, id_number=f"  {with_x.id_number.lower()} ")
    checkins_import(actor=s.people.alice, content=csv_of([row]), filename="a.csv")
    assert CheckIn.objects.get().person == with_x


def test_a_csv_may_say_liveness_in_words_and_use_chinese_headers(s: Scene) -> None:
    header = "设备事件号,设备编号,班级编号,身份证号,签到时间,比对分值,活体检测"
    rows = [
        event(s, 0, liveness="是"),
        event(s, 1, liveness="否"),
        event(s, 2, liveness="1"),
        event(s, 3, liveness="FALSE"),
    ]
    checkins_import(actor=s.people.alice, content=csv_of(rows, header=header), filename="a.csv")
    values = dict(CheckIn.objects.values_list("device_event_id", "liveness"))
    assert values == {"E00000": True, "E00001": False, "E00002": True, "E00003": False}


def test_a_gbk_csv_with_a_bom_less_header_is_read(s: Scene) -> None:
    header = "设备事件号,设备编号,班级编号,身份证号,签到时间,比对分值,活体检测"
    content = csv_of([event(s, 0, liveness="是")], header=header).decode().encode("gb18030")
    assert checkins_import(actor=s.people.alice, content=content, filename="离线.csv").inserted == 1


def test_a_utf8_bom_is_ignored(s: Scene) -> None:
    content = b"\xef\xbb\xbf" + csv_of([event(s, 0)])
    assert checkins_import(actor=s.people.alice, content=content, filename="a.csv").inserted == 1


def test_a_json_lines_file_is_imported_like_a_csv(s: Scene) -> None:
    rows = [event(s, 0), event(s, 1, time=1683507600000)]
    result = checkins_import(actor=s.people.alice, content=jsonl_of(rows), filename="a.jsonl")
    assert result.inserted == 2


def test_blank_lines_are_skipped_and_the_other_rows_keep_their_numbers(s: Scene) -> None:
    # Data lines: blank, E00000, blank, E00001, E00002 — the bad score is on the fifth.
    content = csv_of([event(s, 0), event(s, 1), event(s, 2, score="2")]).replace(b"\n", b"\n\n", 2)
    fields = refused(s, content)
    assert paths(fields) == ["第5行 比对分值"]


def test_ended_classes_take_check_ins_too(s: Scene) -> None:
    TrainingClass.objects.filter(pk=s.cls.pk).update(state="ended")
    assert checkins_import(actor=s.people.alice, content=csv_of([event(s, 0)]), filename="a.csv").inserted == 1


# ── malformed rows ─────────────────────────────────────────────────────────────────────────


def test_every_malformed_field_of_every_row_is_named_at_once_and_nothing_is_stored(s: Scene) -> None:
    rows = [
        event(s, 0),
        event(s, 1, event_id="", time=""),
        event(s, 2, time="2023-05-08T09:00:00"),
        event(s, 3, time="昨天上午"),
        event(s, 4, score="1.5"),
        event(s, 5, score="高"),
        event(s, 6, liveness="也许"),
        event(s, 7, event_id="E" * 65),
        event(s, 8, time="1683507600"),
        event(s, 9, score="nan", id_number=" "),
    ]
    fields = refused(s, csv_of(rows))
    assert paths(fields) == [
        "第2行 设备事件号",
        "第2行 签到时间",
        "第3行 签到时间",
        "第4行 签到时间",
        "第5行 比对分值",
        "第6行 比对分值",
        "第7行 活体检测",
        "第8行 设备事件号",
        "第9行 签到时间",
        "第10行 身份证号",
        "第10行 比对分值",
    ]
    messages = {f["path"]: f["message"] for f in fields}
    assert messages["第2行 设备事件号"] == "必填"
    assert "缺少时区" in messages["第3行 签到时间"]
    assert "ISO 8601" in messages["第4行 签到时间"]
    assert "0 到 1" in messages["第5行 比对分值"]
    assert "64" in messages["第8行 设备事件号"]
    assert "秒" in messages["第9行 签到时间"]
    assert nothing_stored() and not AuditEvent.objects.filter(event__startswith="checkin.").exists()


@pytest.mark.parametrize(
    ("score", "ok"), [("0", True), ("1", True), ("1.0", True), ("-0.01", False), ("1.0001", False)]
)
def test_a_match_score_is_a_number_from_0_to_1_inclusive(s: Scene, score: str, ok: bool) -> None:
    content = csv_of([event(s, 0, score=score)])
    if ok:
        assert checkins_import(actor=s.people.alice, content=content, filename="a.csv").inserted == 1
    else:
        assert paths(refused(s, content)) == ["第1行 比对分值"]


def test_a_missing_column_is_named_once_not_on_every_row(s: Scene) -> None:
    content = b"\n".join(line.rsplit(b",", 1)[0] for line in csv_of([event(s, 0), event(s, 1)]).splitlines())
    fields = refused(s, content)
    assert len(fields) == 1 and fields[0]["path"] == "文件" and "活体检测（liveness）" in fields[0]["message"]


def test_a_row_with_too_many_fields_is_named(s: Scene) -> None:
    content = csv_of([event(s, 0), event(s, 1)]).replace(b"true\n", b"true,extra\n", 1)
    fields = refused(s, content)
    assert paths(fields) == ["第1行"] and "7 列" in fields[0]["message"]


def test_a_line_that_is_not_a_json_object_is_named(s: Scene) -> None:
    content = jsonl_of([event(s, 0)]) + b"[1, 2]\n" + b"{broken\n"
    assert paths(refused(s, content, "a.jsonl")) == ["第2行", "第3行"]


def test_json_says_liveness_as_true_or_false_only(s: Scene) -> None:
    content = jsonl_of([event(s, 0, liveness="是"), event(s, 1, liveness=1)])
    fields = refused(s, content, "a.jsonl")
    assert paths(fields) == ["第1行 活体检测", "第2行 活体检测"]


def test_an_unknown_file_type_is_refused(s: Scene) -> None:
    assert "不支持" in refused(s, b"PK\x03\x04", "a.xlsx")[0]["message"]


def test_conflicting_rows_of_one_event_are_refused_naming_both_rows(s: Scene) -> None:
    rows = [event(s, 0), event(s, 1), event(s, 0, score=0.5)]
    fields = refused(s, csv_of(rows))
    assert paths(fields) == ["第3行 设备事件号"] and "第1行" in fields[0]["message"]
    assert nothing_stored()


# ── checks against the database ────────────────────────────────────────────────────────────


def test_unknown_and_unusable_references_are_each_named_by_row(s: Scene) -> None:
    retired = CheckinDevice.objects.create(serial="YZ-OLD", institution=s.people.yuzhou_school, active=False)
    draft = TrainingClass.objects.create(
        **{
            f.attname: getattr(s.cls, f.attname)
            for f in TrainingClass._meta.concrete_fields
            if f.attname not in ("id", "code", "state")
        },
        code="XC2023DRAFT",
        state="draft",
    )
    stranger = person(50)
    rows = [
        event(s, 0),
        event(s, 1, device="NO-SUCH"),
        event(s, 2, device=retired.serial),
        event(s, 3, **{"class": "XC0000NONE"}),
        event(s, 4, **{"class": draft.code}),
        event(s, 5, id_number="411081199001010000"),
        event(s, 6, id_number=stranger.id_number),
    ]
    fields = refused(s, csv_of(rows))
    assert paths(fields) == [
        "第2行 设备编号",
        "第3行 设备编号",
        "第4行 班级编号",
        "第5行 班级编号",
        "第5行 身份证号",
        "第6行 身份证号",
        "第7行 身份证号",
    ]
    messages = [f["message"] for f in fields]
    assert "NO-SUCH 未登记" in messages[0] and "已停用" in messages[1] and "不存在" in messages[2]
    assert "草稿" in messages[3] and "花名册" in messages[4] and "没有该身份证号" in messages[5]
    assert nothing_stored()


def test_a_device_and_a_class_of_different_institutions_do_not_match(s: Scene) -> None:
    # bob's class on alice's device (and bob's trainee): refused even for the device's own clerk.
    row = event(s, 0, **{"class": s.other.code, "id_number": s.others[0].id_number})
    fields = refused(s, csv_of([row]))
    assert paths(fields) == ["第1行 班级编号"] and "不是设备 YZ-FACE-01 所属机构的班级" in fields[0]["message"]


def test_a_clerk_may_not_import_another_institutions_device_records(s: Scene) -> None:
    row = {**event(s, 0), "device": s.other_device.serial, "class": s.other.code, "id_number": s.others[0].id_number}
    fields = refused(s, csv_of([row]))
    assert paths(fields) == ["第1行 设备编号"] and "不属于本机构" in fields[0]["message"]


@pytest.mark.parametrize(
    ("local_time", "ok"),
    [
        ("2023-05-08T00:00:00+08:00", True),  # the first day, from midnight Beijing time (16:00 UTC the day before)
        ("2023-05-07T23:59:59+08:00", False),
        ("2023-05-26T23:59:59+08:00", True),  # the last day, to its end
        ("2023-05-27T00:00:00+08:00", False),
        ("2023-05-26T16:30:00Z", False),  # 00:30 on the 27th in Beijing
        ("2023-05-07T16:00:00Z", True),  # 00:00 on the 8th in Beijing
    ],
)
def test_a_check_in_falls_within_the_classes_dates_in_beijing_time(s: Scene, local_time: str, ok: bool) -> None:
    content = csv_of([event(s, 0, time=local_time)])
    if ok:
        assert checkins_import(actor=s.people.alice, content=content, filename="a.csv").inserted == 1
    else:
        fields = refused(s, content)
        assert paths(fields) == ["第1行 签到时间"] and "2023-05-08 至 2023-05-26" in fields[0]["message"]


def test_a_stored_event_sent_again_with_other_content_is_refused(s: Scene) -> None:
    checkins_import(actor=s.people.alice, content=csv_of([event(s, 0)]), filename="a.csv")
    fields = refused(s, csv_of([event(s, 1), event(s, 0, score=0.5)]))
    assert paths(fields) == ["第2行 设备事件号"] and "不能改写" in fields[0]["message"]
    assert CheckIn.objects.count() == 1 and CheckInBatch.objects.count() == 1


def test_format_and_database_problems_are_reported_together(s: Scene) -> None:
    fields = refused(s, csv_of([event(s, 0, score="x"), event(s, 1, device="NO-SUCH")]))
    assert paths(fields) == ["第1行 比对分值", "第2行 设备编号"]


def test_the_listing_stops_at_its_limit_but_the_message_gives_the_total(
    s: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "MAX_LISTED", 3)
    rows = [event(s, n, device="NO-SUCH") for n in range(5)] + [event(s, 5, score="x")]
    with pytest.raises(CheckInsInvalid) as caught:
        checkins_import(actor=s.people.alice, content=csv_of(rows), filename="a.csv")
    assert paths(caught.value.fields) == ["第1行 设备编号", "第2行 设备编号", "第3行 设备编号"]
    assert "共" not in caught.value.message and "6 处错误" in caught.value.message
    assert "前 3 处" in caught.value.message


# ── pushes ─────────────────────────────────────────────────────────────────────────────────


def test_a_push_fills_in_its_own_device_and_is_audited_as_the_device(s: Scene) -> None:
    rows = [{k: v for k, v in event(s, n).items() if k != "device"} for n in range(2)]
    result = checkins_push(device=s.device, content=push_of(rows))
    assert (result.inserted, result.duplicates) == (2, 0)
    batch = CheckInBatch.objects.get()
    assert batch.source == "push" and batch.device == s.device and batch.uploaded_by is None
    audit = AuditEvent.objects.get(event="checkin.push")
    assert audit.actor is None and audit.actor_name == "签到设备 YZ-FACE-01"


def test_a_push_may_not_speak_for_another_device(s: Scene) -> None:
    with pytest.raises(CheckInsInvalid) as caught:
        checkins_push(device=s.device, content=push_of([event(s, 0, device=s.other_device.serial)]))
    assert paths(caught.value.fields) == ["第1行 设备编号"] and nothing_stored()


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"events": []}', b'{"events": {}}', b'{"events": [1]}'])
def test_a_push_body_of_the_wrong_shape_is_refused(s: Scene, body: bytes) -> None:
    with pytest.raises(CheckInsInvalid):
        checkins_push(device=s.device, content=body)
    assert nothing_stored()


def test_a_push_with_nested_values_names_the_fields(s: Scene) -> None:
    with pytest.raises(CheckInsInvalid) as caught:
        checkins_push(device=s.device, content=push_of([event(s, 0, time={"at": 1}, score=[0.9])]))
    assert paths(caught.value.fields) == ["第1行 签到时间", "第1行 比对分值"]


# ── set-based: the number of statements does not grow with the batch ──────────────────────


def test_the_statements_run_do_not_grow_with_the_batch(s: Scene) -> None:
    def statements(first: int, count: int) -> int:
        content = csv_of([event(s, n) for n in range(first, first + count)])
        with CaptureQueriesContext(connection) as captured:
            checkins_import(actor=s.people.alice, content=content, filename="a.csv")
        return len(captured.captured_queries)

    assert statements(0, 2) == statements(100, 60)


def test_a_write_racing_past_the_comparison_with_stored_events_refuses_the_whole_batch(
    s: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    # E00000 was stored before, so the batch is compared with the stored events; another writer
    # stores E00001 right after that comparison: the key refuses the insert, and the batch is
    # refused whole (retrying it is safe).
    first = checkins_import(actor=s.people.alice, content=csv_of([event(s, 0)]), filename="a.csv")
    compare = ingest._rewritten

    def racing(cursor: object) -> object:
        found = compare(cursor)
        CheckIn.objects.create(
            device=s.device,
            device_event_id="E00001",
            training_class=s.cls,
            person=s.trainees[1],
            at=dt.datetime(2023, 5, 8, 1, 1, tzinfo=UTC),
            match_score=0.93,
            liveness=True,
            batch=first.batch,
        )
        return found

    monkeypatch.setattr(ingest, "_rewritten", racing)
    with pytest.raises(ingest.CheckInsConflict):
        checkins_import(actor=s.people.alice, content=csv_of([event(s, n) for n in range(3)]), filename="b.csv")
    assert CheckIn.objects.count() == 1 and CheckInBatch.objects.count() == 1


# ── the two ways in: straight into the table, or staged and compared ───────────────────────


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the batches that took the longer way (staged and compared with the stored
    events), in order; a batch written straight into the table adds nothing here."""
    sizes: list[int] = []
    add_new = ingest._add_new

    def spy(cursor: object, rows: pl.DataFrame, batch_id: int) -> int:
        sizes.append(rows.height)
        return add_new(cursor, rows, batch_id)

    monkeypatch.setattr(ingest, "_add_new", spy)
    return sizes


def test_a_batch_of_new_events_goes_straight_into_the_table(s: Scene, compared: list[int]) -> None:
    result = checkins_import(actor=s.people.alice, content=csv_of([event(s, n) for n in range(3)]), filename="a.csv")
    assert (result.inserted, result.duplicates) == (3, 0) and compared == []
    assert CheckIn.objects.count() == 3


def test_a_batch_half_new_half_re_sent_stores_the_new_ones_and_counts_the_others_as_duplicates(
    s: Scene, compared: list[int]
) -> None:
    first = checkins_import(actor=s.people.alice, content=csv_of([event(s, 2), event(s, 3)]), filename="a.csv")
    # Written in key order, E00000 and E00001 go in before the straight write stops at E00002:
    # none of what it wrote is kept, and the longer way adds them once.
    rows = [event(s, n) for n in range(4)]
    second = checkins_import(actor=s.people.alice, content=csv_of(rows), filename="b.csv")
    assert (second.rows, second.inserted, second.duplicates) == (4, 2, 2) and compared == [4]
    batches = dict(CheckIn.objects.values_list("device_event_id", "batch_id"))
    assert batches == {
        "E00000": second.batch.pk,
        "E00001": second.batch.pk,
        "E00002": first.batch.pk,
        "E00003": first.batch.pk,
    }
    stored = CheckInBatch.objects.get(pk=second.batch.pk)
    assert (stored.inserted, stored.duplicates) == (2, 2)


def test_a_re_sent_event_with_other_content_refuses_the_batch_and_stores_none_of_it(
    s: Scene, compared: list[int]
) -> None:
    checkins_import(actor=s.people.alice, content=csv_of([event(s, 0)]), filename="a.csv")
    rows = [event(s, 1), event(s, 2), event(s, 0, liveness=False)]
    fields = refused(s, csv_of(rows))
    assert paths(fields) == ["第3行 设备事件号"] and "E00000 已以不同内容上报过" in fields[0]["message"]
    assert compared == [3]
    assert list(CheckIn.objects.values_list("device_event_id", flat=True)) == ["E00000"]
    assert CheckInBatch.objects.count() == 1


def test_a_rewritten_event_is_named_with_the_batchs_other_problems(s: Scene) -> None:
    checkins_import(actor=s.people.alice, content=csv_of([event(s, 0)]), filename="a.csv")
    rows = [event(s, 0, score=0.5), event(s, 1, device="NO-SUCH"), event(s, 2, score="x")]
    assert paths(refused(s, csv_of(rows))) == ["第1行 设备事件号", "第2行 设备编号", "第3行 比对分值"]


def test_an_unknown_class_is_named_and_its_trainee_is_no_unknown_person(s: Scene) -> None:
    # The id number is on no roster of the (unknown) class, but the person exists.
    fields = refused(s, csv_of([event(s, 0, **{"class": "XC0000NONE"})]))
    assert paths(fields) == ["第1行 班级编号"]
