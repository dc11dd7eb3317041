"""The demo's plan targets, a few register entries, and the progress facts the dashboards read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from jineng.accounts.models import User
from jineng.registry.models import Occupation, OrgUnit
from jineng.targets.models import Competition, PublicityReport
from jineng.targets.progress import progress_refresh
from jineng.targets.services import (
    CompetitionInput,
    competition_record,
    filing_record,
    publicity_record,
    targets_sync,
)
from jineng.testing import make_uscc

Say = Callable[[str], None]


def seed_targets(users: dict[str, User], say: Say) -> None:
    count = targets_sync()
    if not Competition.objects.exists():
        _registers(users["hr_city_1"])
    result = progress_refresh(year=2023)
    say(
        f"== 目标任务 {count} 项；竞赛 {Competition.objects.count()} 场、"
        f"宣传报道 {PublicityReport.objects.count()} 篇；进度汇总 {result.rows} 行"
    )


def _registers(actor: User) -> None:
    units = {u.key: u for u in OrgUnit.objects.all()}
    occupations = list(Occupation.objects.filter(manufacturing=True).order_by("code").values_list("pk", flat=True)[:4])
    for name, day, org, contestants, certified in (
        ("2023年许昌市“许昌工匠杯”焊工职业技能竞赛", dt.date(2023, 5, 18), "dept-hrss", 86, 41),
        ("2023年禹州市车工技能大赛", dt.date(2023, 6, 8), "area-yuzhou", 48, 22),
        ("2023年长葛市电工职业技能竞赛", dt.date(2023, 9, 21), "area-changge", 52, 30),
    ):
        competition_record(
            actor=actor,
            data=CompetitionInput(name, day, units[org].pk, occupations[:2], contestants, certified),
        )
    for i, (name, area, day) in enumerate(
        (
            ("河南瑞贝卡发制品股份有限公司", "area-shizhi", dt.date(2023, 3, 20)),
            ("许继集团有限公司", "area-weidu", dt.date(2023, 4, 12)),
            ("长葛市森源电气股份有限公司", "area-changge", dt.date(2023, 5, 9)),
            ("禹州市神火铝业职业技能等级认定站", "area-yuzhou", dt.date(2023, 6, 2)),
        )
    ):
        filing_record(actor=actor, name=name, uscc=make_uscc(9100 + i), area_id=units[area].pk, filed_on=day)
    for unit, title, media, level, day in (
        ("area-yuzhou", "禹州市：人人持证 技能立市", "禹州市融媒体中心", 1, dt.date(2023, 4, 6)),
        ("area-yuzhou", "禹州举办车工技能大赛 48名选手同台竞技", "许昌日报", 2, dt.date(2023, 6, 9)),
        ("area-changge", "长葛市开展“技能河南”宣传进企业", "长葛市融媒体中心", 1, dt.date(2023, 5, 12)),
        ("dept-mii", "市工信局推进制造业技能人才培养", "许昌日报", 2, dt.date(2023, 5, 30)),
        ("dept-hrss", "许昌市“人人持证、技能河南”建设加速推进", "河南日报", 3, dt.date(2023, 7, 3)),
    ):
        publicity_record(actor=actor, unit_id=units[unit].pk, title=title, media=media, level=level, published_on=day)
