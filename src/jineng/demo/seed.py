"""Demo data for a local install: accounts now; catalogs, classes and trainees as the domain grows.

Idempotent: running it twice leaves the same records (looked up by natural keys), so the README's
start command can call it on every start.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

DEFAULT_DEMO_PASSWORD = "jineng-demo-2023"  # documented in the README; demo installs only (DEBUG)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str
    superuser: bool = False


ACCOUNTS: tuple[DemoAccount, ...] = (DemoAccount("admin", "系统管理员", "系统管理员", superuser=True),)


# ── names and resident IDs of Xuchang people ─────────────────────────────────────────────────

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤常葛"
)
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂华玉萍红建国文辉力鹏宇浩凯亮新利斌俊峰海燕晓东雪梅丹婷欣怡"
    "子涵梓萱然航振兴春秋冬松柏林森雨晨阳光瑞祥福寿安康宁波佳慧颖琳璐瑶思源志远德昌荣茂广盛"
)

# The civil-affairs code of each Xuchang area as it stood in a birth year (GB/T 2260 as python-stdnum
# knows it): before 1986 the counties belonged to 许昌地区 (4126xx); 禹县 became 禹州市 in 1988
# (411081 from 1989), 长葛县 became 长葛市 in 1993, 襄城县 moved from 平顶山 (410426) to 许昌 in
# 1997, and 许昌县 (411023) became 建安区 (411003) in 2016. (first valid year, code), newest last.
AREA_REGIONS: dict[str, tuple[tuple[int, str], ...]] = {
    "yuzhou": ((1900, "412622"), (1986, "411021"), (1989, "411081")),
    "changge": ((1900, "412621"), (1986, "411022"), (1993, "411082")),
    "yanling": ((1900, "412623"), (1986, "411024")),
    "xiangcheng": ((1900, "412627"), (1986, "410426"), (1997, "411025")),
    "jianan": ((1900, "412624"), (1986, "411023"), (2016, "411003")),
    "weidu": ((1900, "412601"), (1986, "411002")),
}


def region_code(area: str, birth_year: int) -> str:
    """The resident-ID region code of a person born in `area` (an annex-1 area key) in `birth_year`."""
    code = AREA_REGIONS[area][0][1]
    for since, candidate in AREA_REGIONS[area]:
        if birth_year >= since:
            code = candidate
    return code


def chinese_name(index: int) -> str:
    """A plausible two- or three-character name, the same for the same index."""
    surname = _SURNAMES[index % len(_SURNAMES)]
    first = _GIVEN[(index * 7 + index // len(_SURNAMES)) % len(_GIVEN)]
    if index % 3 == 0:
        return surname + first
    return surname + first + _GIVEN[(index * 13 + 5) % len(_GIVEN)]


def demo_password() -> str:
    return os.environ.get("JINENG_DEMO_PASSWORD", "").strip() or DEFAULT_DEMO_PASSWORD


@transaction.atomic
def seed_demo(*, password: str, say: Callable[[str], None] = lambda _: None) -> list[DemoAccount]:
    from jineng.accounts.models import Role
    from jineng.registry.models import OrgUnit
    from jineng.registry.services import org_units_sync

    counts = org_units_sync()
    say(f"== 单位：新建 {counts['created']} 个（市、附件1的县市区、附件2的行业部门）")
    city = OrgUnit.objects.get(key="city")
    User = get_user_model()
    for account in ACCOUNTS:
        user, created = User.objects.get_or_create(username=account.username)
        user.first_name = account.full_name
        user.is_staff = account.superuser
        user.is_superuser = account.superuser
        user.role = Role.SYS_ADMIN if account.superuser else Role.WORKER
        user.org = city
        user.set_password(password)
        user.save()
        say(f"{'新建' if created else '已有'}账号 {account.username}（{account.role}）")
    return list(ACCOUNTS)
