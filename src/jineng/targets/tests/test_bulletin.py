"""Bulletins (issue 6 §5): periods, the generated summary, the XLSX and PDF, the CLI and the download.

The scene: the plan's targets, with the city's and two areas' figures made small so the shares
read plainly; alice's class in 禹州 (3 trainees, ended 26 May) and one of hers put in 长葛 (2
trainees, ended 16 June); certificates in June (a first 四级, one straight to 高级工, an 高级工 →
技师 upgrade, a first 四级 in 长葛 and a 培训合格证书). By the end of June: 5 trainings, 3 new
skilled, 2 new high-skilled, 1 technician; 禹州 3 of 100 (behind), 长葛 2 of 2 (ahead).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import openpyxl
import pypdf
import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from jineng import cli
from jineng.accounts.models import Role, User
from jineng.assessment.models import CertificateRecord
from jineng.audit.models import AuditEvent
from jineng.classes.models import ClassState, Enrollment, TrainingClass
from jineng.policy.rules.indicators import Progress
from jineng.registry.models import Person
from jineng.subsidy import annex3
from jineng.supervision.tests.scenes import in_training
from jineng.targets import bulletin
from jineng.targets.bulletin import Period, build, parse_period, period_code, summary, to_pdf, to_xlsx, wan
from jineng.targets.bulletin_views import bulletin_download, bulletin_form
from jineng.targets.models import Scope, Target
from jineng.targets.progress import progress_refresh
from jineng.targets.services import targets_sync
from jineng.testing import Cast, occupation, person, unit

D = dt.date
_numbers = iter(range(1, 100_000))
SHEETS = ["通报", "县（市、区）", "行业系统", "专项行动", "指标"]
OPENING = "截至6月底，全市完成职业技能培训5人次，占年度目标50%（时间进度50%）"


def ended(people: Cast, *, trainees: int, first: int, end: dt.date, **overrides: Any) -> TrainingClass:
    overrides.setdefault("start", end - dt.timedelta(days=14))
    cls = in_training(people, trainees=trainees, first=first, end=end, **overrides)
    TrainingClass.objects.filter(pk=cls.pk).update(state=ClassState.ENDED, state_since=timezone.now())
    cls.refresh_from_db()
    return cls


def certificate(
    who: Person, *, level: int | None, on: dt.date, kind: str = "skill_level", cls: TrainingClass | None = None
) -> None:
    CertificateRecord.objects.create(
        person=who,
        enrollment=Enrollment.objects.filter(training_class=cls, person=who).first() if cls else None,
        kind=kind,
        occupation=occupation(),
        level=level,
        number=f"B{next(_numbers):06d}",
        issued_on=on,
        issuer="许昌市职业技能评价中心",
    )


def set_target(scope: str, indicator: str, value: int, unit_key: str | None = None) -> None:
    Target.objects.filter(
        year=2023, scope=scope, indicator=indicator, unit=unit(unit_key) if unit_key else None
    ).update(value=value)


@pytest.fixture
def scene(people: Cast) -> Cast:
    targets_sync()
    for indicator, value in (
        ("training", 10),
        ("subsidised", 8),
        ("new_skilled", 4),
        ("new_high_skilled", 2),
        ("technicians", 1),
    ):
        set_target(Scope.CITY, indicator, value)
    # Only 禹州 and 长葛 keep a training target: the other areas show "no target", not "behind".
    Target.objects.filter(year=2023, scope=Scope.AREA, indicator="training").update(value=0)
    set_target(Scope.AREA, "training", 100, "area-yuzhou")
    set_target(Scope.AREA, "training", 2, "area-changge")

    yz = ended(people, trainees=3, first=0, end=D(2023, 5, 26))
    cg = ended(people, trainees=2, first=10, end=D(2023, 6, 16), area_id=unit("area-changge").pk)
    certificate(person(0), level=4, on=D(2023, 6, 10), cls=yz)
    certificate(person(1), level=3, on=D(2023, 6, 12), cls=yz)  # straight to 高级工: new skilled and high
    certificate(person(2), level=3, on=D(2021, 9, 1))  # an earlier 高级工 …
    certificate(person(2), level=2, on=D(2023, 6, 14), cls=yz)  # … now 技师: high-skilled and technician only
    certificate(person(10), level=4, on=D(2023, 6, 20), cls=cg)
    certificate(person(11), level=None, on=D(2023, 6, 21), kind="training_qualified", cls=cg)
    progress_refresh(year=2023)
    return people


def flat(text: str) -> str:
    return "".join(text.split())


def pdf_text(content: bytes) -> str:
    return flat("".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages))


def xlsx_cells(content: bytes) -> dict[str, list[str]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return {
        sheet.title: [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
        for sheet in book.worksheets
    }


# ── periods ───────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("2023-W23", "weekly", Period(2023, D(2023, 6, 5), D(2023, 6, 11), "2023年第23周（6月5日—6月11日）")),
        ("2023w23", "weekly", Period(2023, D(2023, 6, 5), D(2023, 6, 11), "2023年第23周（6月5日—6月11日）")),
        ("2023-06-05", "weekly", Period(2023, D(2023, 6, 5), D(2023, 6, 11), "2023年第23周（6月5日—6月11日）")),
        ("2023-06-11", "weekly", Period(2023, D(2023, 6, 5), D(2023, 6, 11), "2023年第23周（6月5日—6月11日）")),
        ("2023-06", "weekly", Period(2023, D(2023, 6, 19), D(2023, 6, 25), "2023年第25周（6月19日—6月25日）")),
        ("2023-W01", "weekly", Period(2023, D(2023, 1, 2), D(2023, 1, 8), "2023年第1周（1月2日—1月8日）")),
        # a week across the new year: its ISO year's plan, which ends on 31 December
        ("2020-W53", "weekly", Period(2020, D(2020, 12, 28), D(2020, 12, 31), "2020年第53周（12月28日—2021年1月3日）")),
        ("2023-06", "monthly", Period(2023, D(2023, 6, 1), D(2023, 6, 30), "2023年6月")),
        ("2023-6", "monthly", Period(2023, D(2023, 6, 1), D(2023, 6, 30), "2023年6月")),
        ("2024-02-10", "monthly", Period(2024, D(2024, 2, 1), D(2024, 2, 29), "2024年2月")),
        ("2023-Q2", "quarterly", Period(2023, D(2023, 4, 1), D(2023, 6, 30), "2023年第二季度")),
        ("2023-06", "quarterly", Period(2023, D(2023, 4, 1), D(2023, 6, 30), "2023年第二季度")),
        ("2023-10-01", "quarterly", Period(2023, D(2023, 10, 1), D(2023, 12, 31), "2023年第四季度")),
        ("2023-H1", "half-year", Period(2023, D(2023, 1, 1), D(2023, 6, 30), "2023年上半年")),
        ("2023-07", "half-year", Period(2023, D(2023, 7, 1), D(2023, 12, 31), "2023年下半年")),
        ("2023-06", "half_year", Period(2023, D(2023, 1, 1), D(2023, 6, 30), "2023年上半年")),
        ("2023", "year", Period(2023, D(2023, 1, 1), D(2023, 12, 31), "2023年全年")),
        ("2023-06", "year", Period(2023, D(2023, 1, 1), D(2023, 12, 31), "2023年全年")),
    ],
)
def test_each_kind_reads_its_own_form_and_a_month_or_a_date_inside_it(text: str, kind: str, expected: Period) -> None:
    assert parse_period(text, kind) == expected


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("2023-13", "monthly", "2023-06（年-月）"),
        ("2023", "monthly", "2023-06（年-月）"),
        ("2023-02-30", "monthly", "2023-06（年-月）"),
        ("2023-W53", "weekly", "2023-W23"),  # 2023 has 52 ISO weeks
        ("2023-W00", "weekly", "2023-W23"),
        ("2023-Q5", "quarterly", "2023-Q2"),
        ("2023-Q2", "monthly", "2023-06（年-月）"),
        ("2023-H3", "half-year", "2023-H1"),
        ("二〇二三年", "year", "2023，"),
        ("", "year", "2023，"),
        ("June 2023", "monthly", "2023-06（年-月）"),
    ],
)
def test_an_unreadable_period_is_refused_naming_the_form_expected(text: str, kind: str, expected: str) -> None:
    with pytest.raises(ValueError, match="无法识别") as refused:
        parse_period(text, kind)
    assert expected in str(refused.value)


def test_an_unknown_kind_is_refused_naming_the_five_of_the_cadence() -> None:
    with pytest.raises(ValueError) as refused:
        parse_period("2023-06", "daily")
    for word in ("周调度", "月通报", "季讲评", "半年督导", "全年总结"):
        assert word in str(refused.value)


def test_the_period_code_is_what_a_file_name_carries() -> None:
    assert period_code("weekly", parse_period("2023-06-07", "weekly")) == "2023-W23"
    assert period_code("monthly", parse_period("2023-6", "monthly")) == "2023-06"
    assert period_code("quarterly", parse_period("2023-06", "quarterly")) == "2023-Q2"
    assert period_code("half-year", parse_period("2023-07", "half-year")) == "2023-H2"
    assert period_code("year", parse_period("2023", "year")) == "2023"


def test_numbers_read_in_wan_with_two_places_from_ten_thousand_and_plain_below() -> None:
    assert [wan(n) for n in (0, 5, 9999, 10000, 12345, 12355, 15000, 120000, 3_000_000)] == [
        "0",
        "5",
        "9999",
        "1万",
        "1.23万",
        "1.24万",
        "1.5万",
        "12万",
        "300万",
    ]


# ── the summary ───────────────────────────────────────────────────────────────────────────────


def test_the_summary_states_every_target_against_time_progress_and_names_the_area_behind(scene: Cast) -> None:
    b = build(scene.city, kind="monthly", period="2023-06")
    assert b.title == "许昌市“人人持证、技能河南”建设工作月通报（2023年6月）"
    assert b.kind_label == "月通报" and b.as_of == D(2023, 6, 30)
    text = b.summary
    assert text.startswith(
        OPENING + "，其中补贴性职业技能培训5人次，占年度目标62.5%；"
        "新增技能人才3人，占年度目标75%；"
        "新增高技能人才2人，占年度目标100%，占新增技能人才的66.7%；"
        "新增技师和高级技师1人，占年度目标100%；"
        "企业新型学徒制培训0人，占年度目标0%。"
    ), text
    assert "禹州市职业技能培训进度滞后于时间进度。" in text
    assert "长葛市" not in text  # 2 of 2: ahead of time progress
    # the bound not met, in the dashboards' words: 1 training-qualified certificate of 5 is 20 % > 10 %
    assert "专项职业能力证书和培训合格证书1本，占全部证书5本的20%（不超过10%），超出上限" in text
    assert "新增高技能人才2人，占新增技能人才3人的" not in text  # 66.7 % ≥ 35 %: met, not mentioned


def test_every_area_at_time_progress_is_said_so(scene: Cast) -> None:
    set_target(Scope.AREA, "training", 6, "area-yuzhou")  # 3 of 6 = 50 % = time progress at the end of June
    text = build(scene.city, kind="monthly", period="2023-06").summary
    assert "各县（市、区）职业技能培训进度均达到时间进度。" in text


def test_without_area_targets_no_area_is_said_to_be_ahead_or_behind(scene: Cast) -> None:
    Target.objects.filter(year=2023, scope=Scope.AREA, indicator="training").update(value=0)
    text = build(scene.city, kind="monthly", period="2023-06").summary
    assert "县（市、区）" not in text and "禹州市" not in text


def test_several_areas_behind_are_listed_worst_first_with_their_count(scene: Cast) -> None:
    set_target(Scope.AREA, "training", 3, "area-changge")  # 2 of 3 = 66.7 %: ahead at the end of June …
    set_target(Scope.AREA, "training", 50, "area-xiangcheng")  # 0 of 50: behind
    text = build(scene.city, kind="monthly", period="2023-06").summary
    assert "襄城县、禹州市等2个县（市、区）职业技能培训进度滞后于时间进度" in text


def test_numbers_from_ten_thousand_are_written_in_wan(scene: Cast) -> None:
    b = build(scene.city, kind="monthly", period="2023-06")
    b.overview.headline.progress["training"] = Progress(
        123_456, 120_000, Decimal("1.0288"), b.overview.elapsed, "green"
    )
    assert summary(b.overview, b.label).startswith(
        "截至6月底，全市完成职业技能培训12.35万人次，占年度目标102.9%（时间进度50%）"
    )


def test_a_weekly_bulletin_counts_to_its_sunday(scene: Cast) -> None:
    b = build(scene.city, kind="weekly", period="2023-W23")  # 5–11 June
    assert b.title == "许昌市“人人持证、技能河南”建设工作周调度（2023年第23周（6月5日—6月11日））"
    assert b.as_of == D(2023, 6, 11) and b.code == "2023-W23"
    # 禹州's 3 trainings (26 May); only the certificate of 10 June
    assert b.summary.startswith("截至6月11日，全市完成职业技能培训3人次，占年度目标30%")
    assert "新增技能人才1人" in b.summary


def test_a_period_still_running_is_reported_to_today_and_one_not_begun_is_refused(scene: Cast) -> None:
    b = build(scene.city, kind="monthly", period="2023-06", today=D(2023, 6, 15))
    assert b.as_of == D(2023, 6, 15)
    assert b.summary.startswith("截至6月15日，全市完成职业技能培训3人次")
    with pytest.raises(ValueError, match="尚未开始"):
        build(scene.city, kind="monthly", period="2023-06", today=D(2023, 5, 31))


def test_the_year_end_summary_speaks_of_the_whole_year(scene: Cast) -> None:
    b = build(scene.city, kind="year", period="2023")
    assert b.kind_label == "全年总结"
    assert b.summary.startswith("2023年全年，全市完成职业技能培训5人次")


def test_a_year_without_a_policy_in_force_is_refused(scene: Cast) -> None:
    with pytest.raises(ValueError, match="没有生效的政策"):
        build(scene.city, kind="monthly", period="1999-06")


def test_an_area_hr_reads_the_bulletin_of_its_own_area(scene: Cast) -> None:
    b = build(scene.hana1, kind="monthly", period="2023-06")
    assert b.title == "禹州市“人人持证、技能河南”建设工作月通报（2023年6月）"
    assert b.summary.startswith("截至6月底，禹州市完成职业技能培训3人次，占年度目标3%（时间进度50%）")
    assert "禹州市职业技能培训进度滞后于时间进度。" in b.summary
    assert "长葛" not in b.summary
    assert b.filename("xlsx") == "禹州市-通报-2023-06-月通报.xlsx"


def test_a_user_who_reads_no_dashboard_gets_no_bulletin(scene: Cast) -> None:
    with pytest.raises(bulletin.NoReach):
        build(scene.alice, kind="monthly", period="2023-06")


# ── the files ─────────────────────────────────────────────────────────────────────────────────


def test_the_pdf_is_a4_and_its_text_carries_the_summary_in_chinese(scene: Cast) -> None:
    b = build(scene.city, kind="monthly", period="2023-06")
    content = to_pdf(b)
    reader = pypdf.PdfReader(io.BytesIO(content))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    text = pdf_text(content)
    assert flat(b.title) in text
    assert OPENING in text
    assert "禹州市职业技能培训进度滞后于时间进度" in text
    assert "第1页" in text  # the footer's page number
    assert "时间进度50%" in text  # the chart's time-progress line is labelled
    for heading in ("县（市、区）进度", "行业系统进度", "专项行动进度", "指标情况"):
        assert heading in text, heading


def test_the_pdf_falls_back_to_the_built_in_cid_font_and_still_extracts(
    scene: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(annex3, "_font_files", list)
    content = to_pdf(build(scene.city, kind="monthly", period="2023-06"))
    assert b"STSong-Light" in content
    assert OPENING in pdf_text(content)


def test_the_xlsx_reopens_with_every_sheet_the_summary_the_tables_and_native_charts(scene: Cast) -> None:
    b = build(scene.city, kind="monthly", period="2023-06")
    content = to_xlsx(b)
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == SHEETS
    front = book["通报"]
    assert front["A1"].value == b.title and front["A4"].value == b.summary
    assert front["A7"].value == "职业技能培训（人次）" and (front["B7"].value, front["C7"].value) == (10, 5)
    assert float(front["D7"].value) == 0.5 and front["F7"].value == "达到时间进度"
    areas = {row[1].value: row for row in book["县（市、区）"].iter_rows(min_row=3)}
    assert (
        areas["禹州市"][0].value == 2 and areas["禹州市"][2].value == 3 and areas["禹州市"][5].value == "滞后于时间进度"
    )
    assert areas["长葛市"][0].value == 1 and areas["长葛市"][5].value == "达到时间进度"
    cells = xlsx_cells(content)
    assert "SUB-CERT-SHARE" in cells["指标"] and "IND-PUBLICITY" in cells["指标"]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 4  # the monthly line and one completion chart per table sheet
        area_chart = next(
            archive.read(n).decode() for n in charts if "县（市、区）职业技能培训完成率" in archive.read(n).decode()
        )
        assert "<barChart>" in area_chart and "<lineChart>" in area_chart and "时间进度" in area_chart


def test_an_area_hrs_files_hold_its_area_only(scene: Cast) -> None:
    b = build(scene.hana1, kind="monthly", period="2023-06")
    cells = xlsx_cells(to_xlsx(b))
    assert list(cells) == ["通报", "县（市、区）", "指标"]
    everything = "\n".join(text for sheet in cells.values() for text in sheet)
    assert "禹州市" in everything and "长葛" not in everything and "市农业农村局" not in everything
    text = pdf_text(to_pdf(b))
    assert "禹州市" in text and "长葛" not in text


# ── the CLI ───────────────────────────────────────────────────────────────────────────────────


def test_the_cli_writes_the_bulletin_under_its_default_name_and_prints_the_summary(
    scene: Cast, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code = cli.main(["bulletin", "--period", "2023-06", "--kind", "monthly", "--format", "xlsx"])
    out = capsys.readouterr().out
    written = tmp_path / "通报-2023-06-月通报.xlsx"
    assert code == cli.EXIT_OK and written.is_file()
    assert str(written) in out and OPENING in out
    assert openpyxl.load_workbook(written).sheetnames == SHEETS


def test_the_cli_audits_its_export_as_the_reader_it_read_as(scene: Cast, tmp_path: Path) -> None:
    target = tmp_path / "yz.xlsx"
    assert cli.main(["bulletin", "--period", "2023-06", "--as", "hana1", "--output", str(target)]) == cli.EXIT_OK
    row = AuditEvent.objects.get(event="export", object_type="cli")
    assert (row.actor, row.object_id, row.changes["filename"]) == (scene.hana1, "bulletin", [None, "yz.xlsx"])


def test_the_cli_takes_its_file_back_when_the_audit_row_cannot_be_written(
    scene: Cast, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(**kwargs: object) -> None:
        raise DatabaseError("audit table unavailable")

    monkeypatch.setattr("jineng.audit.services.audit_record", refuse)
    target = tmp_path / "x.xlsx"
    assert cli.main(["bulletin", "--period", "2023-06", "--output", str(target)]) == cli.EXIT_INVALID
    assert "无法写入审计日志" in capsys.readouterr().err and not target.exists()


def test_the_cli_writes_a_pdf_to_the_file_named_as_the_reader_named(scene: Cast, tmp_path: Path) -> None:
    target = tmp_path / "q2.pdf"
    code = cli.main(
        ["bulletin", "--period", "2023-Q2", "--kind", "quarterly", "--format", "pdf", "--output", str(target)]
    )
    assert code == cli.EXIT_OK
    text = pdf_text(target.read_bytes())
    assert "季讲评（2023年第二季度）" in text and OPENING in text
    assert cli.main(["bulletin", "--period", "2023-06", "--as", "hana1", "--output", str(tmp_path)]) == cli.EXIT_OK
    assert (tmp_path / "禹州市-通报-2023-06-月通报.xlsx").is_file()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--period", "2023-06", "--kind", "daily"], "通报类型“daily”无法识别"),
        (["--period", "2023-13"], "应写作 2023-06（年-月）"),
        (["--kind", "monthly"], "请用 --period 指定通报期间"),
        (["--period", "2023-06", "--format", "docx"], "格式“docx”无法识别"),
        (["--period", "2023-06", "--as", "nobody"], "没有用户名为 nobody 的有效用户"),
        (["--period", "2023-06", "--as", "alice"], "无权查阅目标任务进度通报"),
        (["--period", "1999-06"], "1999 年没有生效的政策文件"),
    ],
)
def test_the_cli_refuses_unusable_arguments_in_chinese_with_exit_2(
    scene: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert cli.main(["bulletin", *argv, "--output", str(tmp_path / "x.xlsx")]) == cli.EXIT_INVALID
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.xlsx").exists()


def test_the_cli_refuses_clearly_when_there_is_no_city_reader(
    scene: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    User.objects.filter(role__in=(Role.CITY_HR, Role.LEADER), org__kind="city").update(is_active=False)
    assert cli.main(["bulletin", "--period", "2023-06", "--output", str(tmp_path / "x.xlsx")]) == cli.EXIT_INVALID
    assert "没有可用的市级账号" in capsys.readouterr().err


# ── the download ──────────────────────────────────────────────────────────────────────────────


def get(user: User | AnonymousUser, view: object, **params: str) -> HttpResponse:
    request = RequestFactory().get("/targets/bulletin/", params)
    request.user = user
    response: HttpResponse = view(request)  # type: ignore[operator]
    return response


def test_the_download_is_an_attachment_with_a_quoted_utf8_name(scene: Cast) -> None:
    response = get(scene.leader, bulletin_download, kind="monthly", period="2023-06", format="pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f"attachment; filename*=UTF-8''{quote('通报-2023-06-月通报.pdf')}"
    assert OPENING in pdf_text(response.content)


def test_an_area_hrs_download_holds_its_area_only(scene: Cast) -> None:
    response = get(scene.carol, bulletin_download, kind="monthly", period="2023-06", format="xlsx")
    assert response.status_code == 200
    assert quote("长葛市-通报-2023-06-月通报.xlsx") in response["Content-Disposition"]
    cells = xlsx_cells(response.content)
    everything = "\n".join(text for sheet in cells.values() for text in sheet)
    assert "长葛市" in everything and "禹州" not in everything
    assert cells["通报"][2].startswith("截至6月底，长葛市完成职业技能培训2人次，占年度目标100%")


def test_a_department_reviewer_downloads_the_bulletin_of_its_department(scene: Cast) -> None:
    response = get(scene.dan1, bulletin_download, kind="monthly", period="2023-06", format="xlsx")
    assert response.status_code == 200
    cells = xlsx_cells(response.content)
    assert list(cells) == ["通报", "行业系统", "指标"]
    assert "禹州市" not in "\n".join(cells["行业系统"])


def test_a_user_without_reach_gets_404_from_the_form_and_the_download(scene: Cast) -> None:
    for user in (scene.alice, scene.finance, scene.wendy, scene.sam):
        with pytest.raises(Http404):
            get(user, bulletin_download, kind="monthly", period="2023-06", format="xlsx")
        with pytest.raises(Http404):
            get(user, bulletin_form)


def test_an_anonymous_visitor_is_sent_to_log_in(scene: Cast) -> None:
    response = get(AnonymousUser(), bulletin_download, kind="monthly", period="2023-06")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_form_offers_the_five_kinds_and_submits_to_itself(scene: Cast) -> None:
    response = get(scene.hana1, bulletin_form)
    page = response.content.decode()
    assert response.status_code == 200
    for word in ("周调度", "月通报", "季讲评", "半年督导", "全年总结", "禹州市", 'name="period"', "下载通报"):
        assert word in page, word
    filled = get(scene.hana1, bulletin_form, kind="quarterly", period="2023-Q2", format="xlsx")
    assert filled.status_code == 200
    assert quote("禹州市-通报-2023-Q2-季讲评.xlsx") in filled["Content-Disposition"]


def test_a_bad_query_shows_the_form_again_with_the_problem_named(scene: Cast) -> None:
    response = get(scene.city, bulletin_download, kind="monthly", period="2023-13", format="xlsx")
    page = response.content.decode()
    assert response.status_code == 400
    assert "应写作 2023-06（年-月）" in page and 'value="2023-13"' in page
    response = get(scene.city, bulletin_download, kind="hourly", period="2023-06", format="odt")
    page = response.content.decode()
    assert response.status_code == 400 and "通报类型“hourly”无法识别" in page and "格式应为 xlsx 或 pdf" in page
