"""The progress dashboards (/targets/…): the city overview, by area, by department, by special action,
the indicator panel and its registers, the drill-down (page and XLSX), the refresh button — and
what each reader may see of them.

The scene: alice's class in 禹州 (led by 市工信局, special action 1) and bob's in 长葛 both ended
in May 2023 with 3 and 2 trainees; two of alice's trainees certified in June (one straight to
高级工). Read at 2023-06-30, time progress is 50 %.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import urllib.request
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from jineng.accounts.models import Role, User
from jineng.assessment.models import CertificateRecord
from jineng.audit.models import AuditEvent
from jineng.classes.models import ClassState, Enrollment, TrainingClass
from jineng.classes.services import class_create
from jineng.supervision.tests.scenes import in_training
from jineng.targets.models import Competition, EvaluationFiling, ProgressRefresh, PublicityReport, Target
from jineng.targets.progress import progress_refresh
from jineng.targets.services import targets_sync
from jineng.testing import Cast, class_input, enroll, make_uscc, person, unit, user

pytestmark = pytest.mark.django_db

AS_OF = "2023-06-30"
PERIOD = f"year=2023&as_of={AS_OF}"
PAGES = ["targets:overview", "targets:areas", "targets:departments", "targets:actions", "targets:indicators"]


def build_scene(people: Cast) -> dict[str, Any]:
    """Targets loaded, two ended classes, two certificates, the facts refreshed."""
    targets_sync()
    yz = in_training(people, trainees=3)
    TrainingClass.objects.filter(pk=yz.pk).update(state=ClassState.ENDED, special_action=1)
    cg = class_create(
        actor=people.bob,
        data=class_input(name="2023年长葛市车工（四级）就业技能培训班", area_id=unit("area-changge").pk),
    )
    enroll(cg, [person(i) for i in range(10, 12)])
    TrainingClass.objects.filter(pk=cg.pk).update(state=ClassState.ENDED)
    for i, (level, number) in enumerate(((3, "S2023-0001"), (4, "S2023-0002"))):
        e = Enrollment.objects.get(training_class=yz, row=i + 1)
        CertificateRecord.objects.create(
            person=e.person,
            enrollment=e,
            kind="skill_level",
            occupation=people.lathe,
            level=level,
            number=number,
            issued_on=dt.date(2023, 6, 10),
            issuer="许昌市职业技能评价中心",
        )
    progress_refresh(year=2023)
    return {"yz": yz, "cg": cg, "yuzhou": unit("area-yuzhou"), "changge": unit("area-changge")}


@pytest.fixture
def scene(people: Cast) -> dict[str, Any]:
    return build_scene(people)


def login(who: User) -> Client:
    client = Client()
    client.force_login(who)
    return client


def area_leader() -> User:
    return user("lyz", Role.LEADER, full_name="禹领", org=unit("area-yuzhou"))


def page(client: Client, name: str, query: str = PERIOD) -> Any:
    return client.get(f"{reverse(name)}?{query}")


def text(response: Any) -> str:
    return response.content.decode()


def chart(response: Any, element_id: str) -> dict[str, Any]:
    """The ECharts options a page hands to dashboard.js."""
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', text(response), re.S)
    assert found, f"no chart {element_id}"
    return json.loads(found.group(1))


def table(response: Any) -> str:
    found = re.search(r'<table class="progress" data-testid="progress-table">(.*?)</table>', text(response), re.S)
    assert found
    return found.group(1)


# ── who sees what ─────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_for_the_city_leader_and_city_hr(people: Cast, scene: dict[str, Any], name: str) -> None:
    for who in (people.leader, people.city):
        response = page(login(who), name)
        assert response.status_code == 200, (who, name)
        body = text(response)
        assert "时间进度" in body and 'data-testid="elapsed">50%<' in body
        assert "数据更新于" in body


@pytest.mark.parametrize("who", ["wendy", "alice", "eve", "finance", "sam"])
def test_a_reader_without_reach_gets_404_on_every_page(people: Cast, scene: dict[str, Any], who: str) -> None:
    client = login(getattr(people, who))
    for name in [*PAGES, "targets:classes"]:
        assert page(client, name).status_code == 404, (who, name)
    assert client.post(reverse("targets:refresh"), {"year": 2023}).status_code == 404


def test_the_bulletin_download_is_a_tab_of_the_dashboards(people: Cast, scene: dict[str, Any]) -> None:
    assert f'href="{reverse("targets:bulletin")}?{html.escape(PERIOD)}"' in text(page(login(people.leader), PAGES[0]))
    assert login(people.leader).get(reverse("targets:bulletin")).status_code == 200
    assert login(people.wendy).get(reverse("targets:bulletin")).status_code == 404
    monthly = login(people.hana1).get(reverse("targets:bulletin-download"), {"kind": "monthly", "period": "2023-06"})
    assert monthly.status_code == 200 and "attachment" in monthly["Content-Disposition"]


def test_an_anonymous_visitor_is_sent_to_log_in(scene: dict[str, Any]) -> None:
    response = Client().get(reverse("targets:overview"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_city_overview_shows_cards_charts_panel_and_the_areas_behind(people: Cast, scene: dict[str, Any]) -> None:
    response = page(login(people.leader), "targets:overview")
    body = text(response)
    assert body.count('data-testid="card"') == 6
    assert "职业技能培训（人次）" in body and "新增高技能人才（人）" in body
    assert 'class="mark" x="50.0%"' in body  # the marker at time progress (an SVG bar: no style attribute)
    monthly = chart(response, "chart-monthly")
    assert monthly["series"][0]["data"] == [0, 0, 0, 0, 5, 5]  # both classes ended in May
    assert len(monthly["series"][1]["data"]) == 12  # the target's straight line over the year
    units = chart(response, "chart-units")
    assert "禹州市" in units["xAxis"]["data"] and "长葛市" in units["xAxis"]["data"]
    assert units["series"][0]["markLine"]["data"] == [{"yAxis": 50.0}]
    assert "IND-HIGH-SHARE" in body and "IND-COMPETITIONS" in body and "IND-EVAL-INSTITUTIONS" in body
    assert "滞后于时间进度的县（市、区）" in body
    assert 'data-testid="behind"' in body and "禹州市：职业技能培训完成" in body  # 3 of thousands: red


def test_pages_carry_no_code_and_load_echarts_from_static(people: Cast, scene: dict[str, Any]) -> None:
    body = text(page(login(people.leader), "targets:overview"))
    scripts = re.findall(r"<script([^>]*)>", body)
    sources = [s for s in scripts if "src=" in s]
    assert any('src="/static/jineng/echarts.min.js"' in s for s in sources)
    assert any('src="/static/jineng/dashboard.js"' in s for s in sources)
    assert not any("http" in s for s in sources)
    # the charts' data is JSON for dashboard.js; the only other inline script is base.html's own
    assert sum('type="application/json"' in s for s in scripts) == 2


def test_the_areas_table_ranks_every_area_for_the_city(people: Cast, scene: dict[str, Any]) -> None:
    response = page(login(people.city), "targets:areas")
    rows = table(response)
    assert "禹州市" in rows and "长葛市" in rows
    drill = f"{reverse('targets:classes')}?{PERIOD}&indicator=training&area={scene['changge'].pk}"
    assert html.escape(drill) in rows  # every figure links to the classes behind it
    assert "制造业占比" in text(response)
    assert chart(response, "chart-table")["series"][0]["type"] == "bar"


@pytest.mark.parametrize("who", ["hana1", "area_leader"])
def test_an_area_reader_sees_its_own_area_only(people: Cast, scene: dict[str, Any], who: str) -> None:
    reader = area_leader() if who == "area_leader" else people.hana1
    client = login(reader)
    response = page(client, "targets:areas")
    assert response.status_code == 200
    assert "禹州市" in table(response) and "长葛市" not in table(response)
    assert "长葛市" not in text(response)
    assert "长葛市" not in text(page(client, "targets:overview"))
    assert page(client, "targets:departments").status_code == 404
    assert page(client, "targets:actions").status_code == 404


@pytest.mark.parametrize("who", ["hana1", "area_leader"])
def test_an_area_reader_cannot_drill_into_another_area(people: Cast, scene: dict[str, Any], who: str) -> None:
    client = login(area_leader() if who == "area_leader" else people.hana1)
    other = page(client, "targets:classes", f"{PERIOD}&indicator=training&area={scene['changge'].pk}")
    assert other.status_code == 404
    own = page(client, "targets:classes", f"{PERIOD}&indicator=training&area={scene['yuzhou'].pk}")
    assert own.status_code == 200
    assert scene["yz"].code in text(own) and scene["cg"].code not in text(own)
    # without an area the reader's own area is read, never the city's
    unscoped = page(client, "targets:classes", f"{PERIOD}&indicator=training")
    assert scene["yz"].code in text(unscoped) and scene["cg"].code not in text(unscoped)


def test_a_department_reviewer_reads_its_own_department(people: Cast, scene: dict[str, Any]) -> None:
    client = login(people.dan1)
    response = page(client, "targets:departments")
    assert response.status_code == 200
    rows = table(response)
    assert unit("dept-mii").name in rows and unit("dept-agri").name not in rows
    assert page(client, "targets:areas").status_code == 404
    assert page(client, "targets:overview").status_code == 200
    agri = page(client, "targets:classes", f"{PERIOD}&department={unit('dept-agri').pk}")
    assert agri.status_code == 404
    erin = page(login(people.erin), "targets:classes", PERIOD)
    assert erin.status_code == 200 and scene["yz"].code not in text(erin)  # 市农业农村局 led neither class


def test_the_department_and_action_tables_show_their_annex_columns(people: Cast, scene: dict[str, Any]) -> None:
    client = login(people.leader)
    departments = table(page(client, "targets:departments"))
    assert "新增高技能人才（人）" in departments and "企业新型学徒制培训（人）" not in departments
    actions = page(client, "targets:actions")
    rows = table(actions)
    assert "新兴制造业技能人才培养专项行动" in rows and "新增技师和高级技师（人）" in rows
    assert "indicator=training&amp;action=1" in rows


# ── drill-down ────────────────────────────────────────────────────────────────────────────────


def test_the_drill_down_lists_the_classes_behind_a_figure(people: Cast, scene: dict[str, Any]) -> None:
    client = login(people.leader)
    response = page(client, "targets:classes", f"{PERIOD}&indicator=training")
    body = text(response)
    assert scene["yz"].code in body and scene["cg"].code in body
    assert 'data-testid="total">5<' in body
    mfg = page(client, "targets:classes", f"{PERIOD}&indicator=training&action=1")
    assert scene["yz"].code in text(mfg) and scene["cg"].code not in text(mfg)
    high = page(client, "targets:classes", f"{PERIOD}&indicator=new_high_skilled")
    assert scene["yz"].code in text(high) and 'data-testid="total">1<' in text(high)
    before = page(client, "targets:classes", "year=2023&as_of=2023-04-30&indicator=training")
    assert "没有计入该数字的培训班" in text(before)


def test_the_drill_down_refuses_a_garbled_query(people: Cast, scene: dict[str, Any]) -> None:
    response = page(login(people.leader), "targets:classes", f"{PERIOD}&indicator=nonsense&area=abc")
    assert response.status_code == 400
    assert "指标：无效" in text(response) and "县（市、区）：应为编号" in text(response)


def test_the_drill_down_exports_an_xlsx_that_reopens(people: Cast, scene: dict[str, Any]) -> None:
    response = page(login(people.city), "targets:classes", f"{PERIOD}&indicator=training&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "filename*=utf-8''" in response["Content-Disposition"].lower()
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "职业技能培训（人次）" in rows[0][0]
    assert rows[1] == (
        "班级编号",
        "班级名称",
        "培训机构",
        "县（市、区）",
        "行业主管部门",
        "专项行动",
        "结业日期",
        "计入数",
    )
    codes = {r[0] for r in rows[2:-1]}
    assert codes == {scene["yz"].code, scene["cg"].code}
    assert rows[-1][0] == "合计" and rows[-1][-1] == 5


def test_an_area_reader_exports_its_own_area_only(people: Cast, scene: dict[str, Any]) -> None:
    client = login(people.hana1)
    response = page(client, "targets:classes", f"{PERIOD}&indicator=training&format=xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert {r[0] for r in rows[2:-1]} == {scene["yz"].code}
    xlsx = f"{PERIOD}&indicator=training&area={scene['changge'].pk}&format=xlsx"
    assert page(client, "targets:classes", xlsx).status_code == 404


# ── the period ────────────────────────────────────────────────────────────────────────────────


def test_a_day_outside_the_year_is_named_and_the_default_shown(people: Cast, scene: dict[str, Any]) -> None:
    response = page(login(people.leader), "targets:overview", "year=2023&as_of=2022-12-31")
    assert response.status_code == 400
    assert "截止日期：应在 2023 年内" in text(response)


def test_a_year_no_policy_covers_is_named_and_the_plan_year_shown(people: Cast, scene: dict[str, Any]) -> None:
    response = page(login(people.leader), "targets:overview", "year=2024")
    assert response.status_code == 400
    assert "年度：2024 年没有生效的政策文件" in text(response)
    assert 'name="year" value="2023"' in text(response)


def test_a_past_year_is_read_as_it_closed(people: Cast, scene: dict[str, Any]) -> None:
    response = page(login(people.leader), "targets:overview", "year=2023")
    assert response.status_code == 200
    assert 'data-testid="elapsed">100%<' in text(response)  # the tests run after 2023
    assert 'value="2023-12-31"' in text(response)


# ── refresh ───────────────────────────────────────────────────────────────────────────────────


def test_city_hr_refreshes_the_data_and_the_refresh_is_audited(people: Cast, scene: dict[str, Any]) -> None:
    client = login(people.city)
    overview = page(client, "targets:overview")
    assert 'data-testid="refresh"' in text(overview)
    back = f"{reverse('targets:areas')}?{PERIOD}"
    response = client.post(reverse("targets:refresh"), {"year": "2023", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    row = ProgressRefresh.objects.get(year=2023)
    event = AuditEvent.objects.get(event="targets.refresh")
    assert event.actor == people.city
    assert (event.object_type, event.object_id) == ("targets.progressrefresh", str(row.pk))
    assert "已刷新 2023 年进度数据" in text(client.get(back))


def test_area_hr_may_refresh_but_a_leader_may_not(people: Cast, scene: dict[str, Any]) -> None:
    assert 'data-testid="refresh"' in text(page(login(people.hana1), "targets:overview"))
    assert login(people.hana1).post(reverse("targets:refresh"), {"year": "2023"}).status_code == 302
    leader = login(people.leader)
    assert 'data-testid="refresh"' not in text(page(leader, "targets:overview"))
    assert leader.post(reverse("targets:refresh"), {"year": "2023"}).status_code == 403
    assert AuditEvent.objects.filter(event="targets.refresh").count() == 1


def test_a_refresh_goes_back_only_to_this_site(people: Cast, scene: dict[str, Any]) -> None:
    response = login(people.city).post(reverse("targets:refresh"), {"year": "2023", "next": "https://evil.example/"})
    assert response["Location"] == reverse("targets:overview")


def test_a_year_never_refreshed_says_so(people: Cast, scene: dict[str, Any]) -> None:
    ProgressRefresh.objects.all().delete()
    assert "2023 年进度数据尚未汇总" in text(page(login(people.leader), "targets:overview"))


# ── the indicator panel and its registers ─────────────────────────────────────────────────────


def test_city_hr_records_a_competition_from_the_panel(people: Cast, scene: dict[str, Any]) -> None:
    client = login(people.city)
    url = f"{reverse('targets:competition-new')}?{PERIOD}"
    form = {
        "name": "2023年许昌市车工职业技能竞赛",
        "held_on": "2023-06-15",
        "organiser_id": str(unit("city").pk),
        "occupations": "6-18-01-01",
        "contestants": "40",
        "certified": "12",
    }
    response = client.post(url, form)
    assert response.status_code == 302
    competition = Competition.objects.get()
    assert competition.recorded_by == people.city and list(competition.occupations.all()) == [people.lathe]
    assert AuditEvent.objects.filter(event="competition.record").exists()
    body = text(client.get(response["Location"]))
    assert "2023年许昌市车工职业技能竞赛" in body and "举办职业技能竞赛 1 场" in body


def test_a_register_form_names_every_bad_field(people: Cast, scene: dict[str, Any]) -> None:
    client = login(people.city)
    url = f"{reverse('targets:competition-new')}?{PERIOD}"
    form = {"name": "", "held_on": "6月15日", "organiser_id": "", "occupations": "9-99-99-99", "contestants": "x"}
    response = client.post(url, form)
    assert response.status_code == 422
    body = text(response)
    for message in (
        "竞赛名称：必填",
        "举办日期：应为 YYYY-MM-DD",
        "主办单位：请选择",
        "职业目录中没有 9-99-99-99",
        "参赛人数",
    ):
        assert message in body
    assert not Competition.objects.exists()
    filing = client.post(
        f"{reverse('targets:filing-new')}?{PERIOD}",
        {"name": "", "uscc": "123", "area_id": str(scene["yuzhou"].pk), "filed_on": "2023-06-01"},
    )
    assert filing.status_code == 422
    assert "用人单位名称：必填" in text(filing) and "统一社会信用代码：123 无效" in text(filing)


def test_area_hr_records_for_its_own_area_only(people: Cast, scene: dict[str, Any]) -> None:
    client = login(people.hana1)
    body = text(page(client, "targets:indicators"))
    options = re.search(r'<select name="area_id"[^>]*>(.*?)</select>', body, re.S)
    assert options and "禹州市" in options.group(1) and "长葛市" not in options.group(1)
    own = {
        "name": "禹州某机械公司",
        "uscc": make_uscc(77),
        "area_id": str(scene["yuzhou"].pk),
        "filed_on": "2023-06-01",
    }
    assert client.post(f"{reverse('targets:filing-new')}?{PERIOD}", own).status_code == 302
    other = {**own, "uscc": make_uscc(78), "area_id": str(scene["changge"].pk)}
    refused = client.post(f"{reverse('targets:filing-new')}?{PERIOD}", other)
    assert refused.status_code == 403 and "只能登记本地区" in text(refused)
    assert list(EvaluationFiling.objects.values_list("area__key", flat=True)) == ["area-yuzhou"]
    report = {
        "unit_id": str(scene["yuzhou"].pk),
        "title": "禹州市技能培训进社区",
        "media": "禹州电视台",
        "level": "1",
        "published_on": "2023-06-02",
    }
    assert client.post(f"{reverse('targets:publicity-new')}?{PERIOD}", report).status_code == 302
    assert PublicityReport.objects.get().unit == scene["yuzhou"]


def test_readers_who_keep_no_register_get_no_forms(people: Cast, scene: dict[str, Any]) -> None:
    client = login(people.leader)
    body = text(page(client, "targets:indicators"))
    assert "competition-form" not in body and "filing-form" not in body and "publicity-form" not in body
    assert "IND-PUBLICITY" in body or "宣传报道" in body
    form = {"unit_id": str(scene["yuzhou"].pk), "title": "t", "media": "m", "level": "1", "published_on": "2023-06-02"}
    assert client.post(f"{reverse('targets:publicity-new')}?{PERIOD}", form).status_code == 403
    assert login(people.wendy).post(f"{reverse('targets:publicity-new')}?{PERIOD}", form).status_code == 404


def test_an_area_reader_sees_its_own_registers(people: Cast, scene: dict[str, Any]) -> None:
    day = dt.date(2023, 6, 1)
    EvaluationFiling.objects.create(name="禹州甲公司", uscc=make_uscc(91), area=scene["yuzhou"], filed_on=day)
    EvaluationFiling.objects.create(name="长葛乙公司", uscc=make_uscc(92), area=scene["changge"], filed_on=day)
    body = text(page(login(people.hana1), "targets:indicators"))
    assert "禹州甲公司" in body and "长葛乙公司" not in body
    city = text(page(login(people.leader), "targets:indicators"))
    assert "禹州甲公司" in city and "长葛乙公司" in city


# ── static assets ─────────────────────────────────────────────────────────────────────────────


@pytest.mark.django_db(transaction=True)
def test_echarts_and_the_dashboard_script_are_served_from_static(live_server: Any) -> None:
    with urllib.request.urlopen(f"{live_server.url}/static/jineng/echarts.min.js") as response:
        assert response.status == 200
        head = response.read(4096).decode("utf-8", "replace")
    assert "Licensed to the Apache Software Foundation" in head and "echarts" in head
    with urllib.request.urlopen(f"{live_server.url}/static/jineng/dashboard.js") as response:
        script = response.read().decode()
    assert "ECharts 5.6.0" in script and "data-chart" in script


# ── admin ─────────────────────────────────────────────────────────────────────────────────────


def test_the_admin_lists_targets_and_registers_and_audits_an_adjusted_figure(
    people: Cast, scene: dict[str, Any]
) -> None:
    admin = User.objects.create_superuser("root", password="Root-12345-abc", role=Role.SYS_ADMIN)
    client = login(admin)
    for model in ("target", "competition", "evaluationfiling", "publicityreport"):
        assert client.get(f"/admin/targets/{model}/").status_code == 200, model
    assert client.get("/admin/targets/target/?year=2023&scope__exact=area&indicator__exact=training").status_code == 200
    target = Target.objects.get(year=2023, scope="city", indicator="training")
    response = client.post(
        f"/admin/targets/target/{target.pk}/change/", {"value": target.value + 5000, "source": target.source}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(event="target.adjust")
    assert event.changes == {"value": [target.value, target.value + 5000]}
