"""Demo data for a local install: Xuchang 2023 — catalogs, institutions, ~1,000 trainees, ~30 classes
in every review state, and one account per role (the README lists them).

Everything that changes a class goes through the services (`class_create`, `class_set_teachers`,
`roster_import`, `class_transition`), so each review step, its findings and its audit rows are the
real thing; only catalog rows and persons are written directly (persons in bulk).

Idempotent: catalog rows, persons and accounts are looked up by natural keys (codes, resident IDs,
USCCs, usernames), and the classes are created only when no demo class exists yet, so the README's
start command can call it on every start and a second run leaves the same counts.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from math import ceil
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from jineng.accounts.models import Role, TotpDevice, User
from jineng.audit.services import audit_record
from jineng.classes.models import ClassState, Enrollment, ReviewStep, SpecialAction, TrainingClass
from jineng.classes.roster_io import RosterRow, roster_to_csv
from jineng.classes.services import (
    ClassInput,
    TeacherInput,
    class_create,
    class_end,
    class_set_teachers,
    class_transition,
    roster_import,
)
from jineng.demo.money import seed_money
from jineng.demo.online import seed_online
from jineng.demo.targets import seed_targets
from jineng.online.models import OnlineResult
from jineng.registry.models import (
    AuditProblem,
    BlacklistEntry,
    CheckinDevice,
    Institution,
    InstitutionSpecialty,
    Occupation,
    OnlinePlatform,
    OrgUnit,
    Person,
)
from jineng.registry.services import occupations_sync, org_units_sync
from jineng.supervision.models import CheckIn, CheckInBatch, ClassHour, HourKind, Inspection, Suspension, VideoSegment
from jineng.supervision.services import (
    HourInput,
    class_hours_set,
    inspection_record,
    makeup_record,
    satisfaction_answer,
    satisfaction_evaluate,
    suspension_decide,
    video_record,
)
from jineng.testing import QUESTIONNAIRE_YES, make_ric, make_uscc

DEFAULT_DEMO_PASSWORD = "jineng-demo-2023"  # documented in the README; demo installs only (DEBUG)
YEAR = 2023

Say = Callable[[str], None]


def demo_password() -> str:
    return os.environ.get("JINENG_DEMO_PASSWORD", "").strip() or DEFAULT_DEMO_PASSWORD


# The TOTP secret of every demo account whose role logs in with a code (JINENG_TOTP_ROLES): public
# like the password, so one entry in an authenticator app — or `jineng manage demo_totp` — serves
# the whole walk-through. Demo installs only.
DEMO_TOTP_SECRET = "JINENGDEMOXUCHANGTOTPKEYFORDEMOS"


def _seed_totp(users: dict[str, User]) -> int:
    """Give each demo account of a TOTP role a confirmed authenticator with the demo secret."""
    from jineng.accounts.otp import totp_required

    seeded = 0
    for account in users.values():
        if not totp_required(account):
            continue
        device = TotpDevice.objects.filter(user=account).first()
        # A repeated run leaves a demo device as it is, so its last accepted code stays spent.
        if device is None or device.secret != DEMO_TOTP_SECRET or device.confirmed_at is None:
            TotpDevice.objects.update_or_create(
                user=account,
                defaults={"secret": DEMO_TOTP_SECRET, "confirmed_at": timezone.now(), "last_used_step": None},
            )
        seeded += 1
    return seeded


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


# ── catalog: platforms, institutions ──────────────────────────────────────────────────────────

# Occupations of the shipped 2022 classification (jineng/registry/data/occupations-2022.yaml).
LATHE, WELDER, ELECTRICIAN, ROBOT = "6-18-01-01", "6-18-02-04", "6-31-01-03", "6-31-07-03"
CERAMICS, SEWING = "6-09-03-03", "6-05-01-03"
ECOMMERCE, LIVE_SALES, COOK, PASTRY = "4-01-06-01", "4-01-06-02", "4-03-02-01", "4-03-02-02"
FLORIST, INFANT, ELDER_CARE, HOUSEKEEPING = "4-09-10-05", "4-10-01-01", "4-10-01-05", "4-10-01-06"
GARDENER, FARM_MANAGER = "5-01-02-02", "5-05-01-02"

# The 行业主管部门 that leads a class of each occupation (annex 2 keys).
LEAD_DEPARTMENT: dict[str, str] = {
    **dict.fromkeys((LATHE, WELDER, ELECTRICIAN, ROBOT, CERAMICS, SEWING), "dept-mii"),
    **dict.fromkeys((ECOMMERCE, LIVE_SALES, COOK, PASTRY, INFANT, ELDER_CARE, HOUSEKEEPING), "dept-hrss"),
    **dict.fromkeys((FLORIST, GARDENER, FARM_MANAGER), "dept-agri"),
}


@dataclass(frozen=True)
class DemoPlatform:
    code: str
    name: str
    connected: bool = True


PLATFORMS: tuple[DemoPlatform, ...] = (
    DemoPlatform("zgzypx", "中国职业培训在线"),
    DemoPlatform("hnjnzx", "河南技能在线学习平台"),
    DemoPlatform("kxzy", "快学职业在线", connected=False),  # listed, but not connected: CLS-ONLINE-SHARE
)


@dataclass(frozen=True)
class DemoInstitution:
    key: str
    name: str
    kind: str
    area: str  # annex-1 area key
    seed: int  # of the unified social credit code
    specialties: tuple[str, ...]
    since: dt.date  # catalogued for its specialties from this date
    academic: bool = False
    blacklisted: tuple[dt.date, str] | None = None
    audit_problem: tuple[dt.date, str] | None = None


K = Institution.Kind
INSTITUTIONS: tuple[DemoInstitution, ...] = (
    DemoInstitution(
        "yz",
        "禹州市阳光职业培训学校",
        K.TRAINING_SCHOOL,
        "yuzhou",
        2301,
        (LATHE, WELDER, CERAMICS),
        dt.date(2022, 3, 15),
    ),
    DemoInstitution(
        "cg",
        "长葛市金桥职业技能培训学校",
        K.TRAINING_SCHOOL,
        "changge",
        2302,
        (WELDER, ELECTRICIAN, ROBOT),
        dt.date(2022, 5, 10),
    ),
    DemoInstitution(
        "yl",
        "鄢陵县花木职业技能培训学校",
        K.TRAINING_SCHOOL,
        "yanling",
        2303,
        (FLORIST, GARDENER, FARM_MANAGER),
        dt.date(2022, 4, 1),
    ),
    DemoInstitution(
        "xc",
        "襄城县职业技术教育中心",
        K.VOCATIONAL_COLLEGE,
        "xiangcheng",
        2304,
        (ELECTRICIAN, COOK, ECOMMERCE),
        dt.date(2022, 2, 20),
        academic=True,
    ),
    DemoInstitution(
        "wd",
        "许昌市魏都区巧媳妇家政职业培训学校",
        K.TRAINING_SCHOOL,
        "weidu",
        2305,
        (INFANT, ELDER_CARE, HOUSEKEEPING),
        dt.date(2022, 6, 1),
    ),
    # Catalogued only from 2023-03-01: a class starting earlier shows CLS-INSTITUTION-LISTED.
    DemoInstitution(
        "ja",
        "许昌市建安区德众职业培训学校",
        K.TRAINING_SCHOOL,
        "jianan",
        2306,
        (PASTRY, SEWING, LIVE_SALES),
        dt.date(2023, 3, 1),
    ),
    DemoInstitution(
        "sz",
        "许昌技师学院",
        K.TECHNICAL_SCHOOL,
        "shizhi",
        2307,
        (LATHE, WELDER, ELECTRICIAN, ROBOT),
        dt.date(2022, 1, 10),
        academic=True,
    ),
    DemoInstitution(
        "sd",
        "禹州市速达职业技能培训学校",
        K.TRAINING_SCHOOL,
        "yuzhou",
        2308,
        (LATHE, ELECTRICIAN),
        dt.date(2022, 3, 1),
        blacklisted=(dt.date(2022, 11, 18), "2022年职业技能培训专项检查发现虚报培训人数、代签到，列入黑名单"),
    ),
    DemoInstitution(
        "xj",
        "襄城县新技职业培训学校",
        K.TRAINING_SCHOOL,
        "xiangcheng",
        2309,
        (PASTRY, HOUSEKEEPING),
        dt.date(2022, 4, 15),
        audit_problem=(
            dt.date(2022, 9, 20),
            "2022年就业补助资金专项审计发现：培训签到记录与监控视频不符，涉及学员12人",
        ),
    ),
    DemoInstitution("pj", "许昌市职业技能等级认定评价中心", K.EVALUATION_BODY, "shizhi", 2310, (), dt.date(2022, 1, 1)),
)
INSTITUTION_BY_KEY = {i.key: i for i in INSTITUTIONS}


# The registration-authority region of each area in the credit code (GB 32100 positions 3–8).
INSTITUTION_AREA_REGION = {
    "yuzhou": "411081",
    "changge": "411082",
    "yanling": "411024",
    "xiangcheng": "411025",
    "weidu": "411002",
    "jianan": "411003",
    "shizhi": "411000",
}


def institution_uscc(inst: DemoInstitution) -> str:
    return make_uscc(inst.seed, region=INSTITUTION_AREA_REGION[inst.area])


# ── accounts ──────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str
    org: str  # OrgUnit key ("" for none)
    scope: str  # what the account sees, as the README lists it
    institution: str = ""  # DemoInstitution key
    superuser: bool = False

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)


R = Role
ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", "卫建国", R.SYS_ADMIN, "city", "系统管理（/admin/），不读案卷", superuser=True),
    DemoAccount("auditor", "蒋文静", R.AUDIT_ADMIN, "city", "审计日志（只读）"),
    DemoAccount("security", "沈立新", R.SECURITY_ADMIN, "city", "账号与安全设置"),
    DemoAccount("clerk_yz", "王秀英", R.INSTITUTION_CLERK, "area-yuzhou", "禹州市阳光职业培训学校", "yz"),
    DemoAccount("clerk_cg", "李建军", R.INSTITUTION_CLERK, "area-changge", "长葛市金桥职业技能培训学校", "cg"),
    DemoAccount("clerk_yl", "张丽娟", R.INSTITUTION_CLERK, "area-yanling", "鄢陵县花木职业技能培训学校", "yl"),
    DemoAccount("clerk_xc", "刘志强", R.INSTITUTION_CLERK, "area-xiangcheng", "襄城县职业技术教育中心", "xc"),
    DemoAccount("clerk_wd", "陈桂兰", R.INSTITUTION_CLERK, "area-weidu", "许昌市魏都区巧媳妇家政职业培训学校", "wd"),
    DemoAccount("clerk_ja", "杨海燕", R.INSTITUTION_CLERK, "area-jianan", "许昌市建安区德众职业培训学校", "ja"),
    DemoAccount("clerk_sz", "赵振兴", R.INSTITUTION_CLERK, "area-shizhi", "许昌技师学院", "sz"),
    DemoAccount("clerk_sd", "黄俊峰", R.INSTITUTION_CLERK, "area-yuzhou", "禹州市速达职业技能培训学校（黑名单）", "sd"),
    DemoAccount(
        "clerk_xj", "周明辉", R.INSTITUTION_CLERK, "area-xiangcheng", "襄城县新技职业培训学校（审计问题）", "xj"
    ),
    DemoAccount("evaluator", "孙晓东", R.EVALUATOR, "area-shizhi", "许昌市职业技能等级认定评价中心", "pj"),
    DemoAccount("dept_mii_1", "马文博", R.DEPT_REVIEWER, "dept-mii", "市工信局牵头的班级（初审/复核）"),
    DemoAccount("dept_mii_2", "朱春燕", R.DEPT_REVIEWER, "dept-mii", "市工信局牵头的班级（初审/复核）"),
    DemoAccount("dept_hrss_1", "胡建华", R.DEPT_REVIEWER, "dept-hrss", "市人社局（行业主管部门）牵头的班级"),
    DemoAccount("dept_hrss_2", "郭婷", R.DEPT_REVIEWER, "dept-hrss", "市人社局（行业主管部门）牵头的班级"),
    DemoAccount("dept_agri_1", "何振宇", R.DEPT_REVIEWER, "dept-agri", "市农业农村局牵头的班级"),
    DemoAccount("hr_yz_1", "高丽萍", R.AREA_HR, "area-yuzhou", "禹州市的班级"),
    DemoAccount("hr_yz_2", "林志远", R.AREA_HR, "area-yuzhou", "禹州市的班级"),
    DemoAccount("hr_city_1", "罗春梅", R.CITY_HR, "city", "全市的班级"),
    DemoAccount("hr_city_2", "郑国平", R.CITY_HR, "city", "全市的班级"),
    DemoAccount("finance", "梁淑芬", R.FINANCE, "finance", "市财政局：资金确认与拨付（初审）"),
    DemoAccount("finance_2", "韩雪梅", R.FINANCE, "finance", "市财政局：资金确认与拨付（复核）"),
    DemoAccount("leader", "谢振华", R.LEADER, "city", "全市（只读）"),
    DemoAccount("worker", "", R.WORKER, "", "本人的培训与证书（学员，见下）"),
)
WORKER_PERSON = 0  # the worker account is the first trainee of the first class


# ── classes ───────────────────────────────────────────────────────────────────────────────────

S = ClassState
A = ReviewStep.Action


@dataclass(frozen=True)
class DemoClass:
    institution: str
    occupation: str
    start: dt.date
    trainees: int
    state: str
    training_type: str = "employment"
    level: int = 5
    hours: tuple[int, int, int] = (24, 56, 0)  # theory (incl. online), practical, online
    platform: str = ""
    reuse: tuple[tuple[int, int], ...] = ()  # (index of an earlier class, how many of its trainees)
    problems: tuple[str, ...] = ()  # trainee problems on the last fresh rows: survey, intent, student
    teachers: int = 0  # 0: as many as the ratio needs (at least 2)
    decided_in: str = ""  # returned/rejected: the state the class was in when it was returned/rejected
    reasons: tuple[str, ...] = ()


def _d(month: int, day: int) -> dt.date:
    return dt.date(YEAR, month, day)


CLASSES: tuple[DemoClass, ...] = (
    # 0–2 trained and ended (结业) with their supervision record; 3–5 approved. All six assessed
    # since: the history later rosters carry (TRN-COOLDOWN)
    DemoClass("yz", LATHE, _d(2, 20), 36, S.ENDED, level=4),
    DemoClass("cg", WELDER, _d(3, 6), 38, S.ENDED, level=4),
    DemoClass("wd", INFANT, _d(3, 13), 30, S.ENDED, level=4, hours=(30, 60, 12), platform="zgzypx"),
    DemoClass("sz", ELECTRICIAN, _d(4, 10), 42, S.APPROVED, training_type="upgrade", level=3, hours=(32, 64, 0)),
    DemoClass("xc", COOK, _d(4, 17), 26, S.APPROVED, hours=(20, 40, 0)),
    DemoClass("yz", CERAMICS, _d(5, 8), 34, S.APPROVED, reuse=((0, 6),)),
    # 6–8 waiting for the HR re-check
    DemoClass("cg", ROBOT, _d(7, 3), 26, S.HR_FIRST, training_type="upgrade", level=4, hours=(30, 60, 0)),
    DemoClass("yz", WELDER, _d(7, 10), 32, S.HR_FIRST, reuse=((0, 4),)),
    DemoClass("ja", PASTRY, _d(7, 17), 28, S.HR_FIRST, hours=(20, 40, 0)),
    # 9–12 waiting for the HR first review
    DemoClass("wd", ELDER_CARE, _d(8, 7), 32, S.DEPT_APPROVED, hours=(24, 56, 16), platform="hnjnzx"),
    DemoClass("sz", LATHE, _d(8, 14), 40, S.DEPT_APPROVED, level=4, reuse=((0, 8), (3, 4))),
    DemoClass("xc", ECOMMERCE, _d(8, 21), 24, S.DEPT_APPROVED, level=4, hours=(30, 50, 20), platform="zgzypx"),
    DemoClass("yz", LATHE, _d(8, 28), 30, S.DEPT_APPROVED, reuse=((5, 6),)),
    # 13–16 waiting for the industry department's re-check
    DemoClass("cg", ELECTRICIAN, _d(9, 4), 34, S.DEPT_FIRST, reuse=((1, 6),)),
    DemoClass("yl", FLORIST, _d(9, 11), 22, S.DEPT_FIRST, hours=(20, 40, 0)),
    DemoClass("ja", SEWING, _d(9, 18), 36, S.DEPT_FIRST, hours=(20, 40, 0)),
    DemoClass("wd", HOUSEKEEPING, _d(9, 25), 32, S.DEPT_FIRST, hours=(16, 32, 0), reuse=((2, 4),)),
    # 17–20 submitted
    DemoClass("sz", WELDER, _d(10, 9), 32, S.SUBMITTED, training_type="upgrade", level=3, hours=(32, 64, 0)),
    DemoClass("yl", GARDENER, _d(10, 16), 22, S.SUBMITTED, hours=(20, 40, 0)),
    DemoClass("xc", COOK, _d(10, 23), 28, S.SUBMITTED, level=4, reuse=((4, 5),)),
    DemoClass("ja", LIVE_SALES, _d(10, 30), 24, S.SUBMITTED, hours=(30, 50, 20), platform="hnjnzx"),
    # 21–23 returned for changes
    DemoClass(
        "cg",
        WELDER,
        _d(9, 11),
        32,
        S.RETURNED,
        level=4,
        decided_in=S.SUBMITTED,
        reasons=("教师资格证书编号未填写完整，请补充后重新提交",),
    ),
    DemoClass(
        "wd",
        ELDER_CARE,
        _d(10, 9),
        28,
        S.RETURNED,
        level=4,
        decided_in=S.DEPT_APPROVED,
        reasons=("花名册中部分学员联系电话缺失，无法开展开班前电话抽查",),
    ),
    DemoClass(
        "yl",
        FARM_MANAGER,
        _d(9, 18),
        20,
        S.RETURNED,
        level=4,
        decided_in=S.SUBMITTED,
        reasons=("培训计划未体现实操场地（苗木基地）安排，请补充实操场地证明",),
    ),
    # 24–26 rejected
    DemoClass(
        "yz",
        CERAMICS,
        _d(8, 7),
        24,
        S.REJECTED,
        level=4,
        decided_in=S.SUBMITTED,
        reasons=("同一批学员同期已在本机构其他班级报名，属重复申报",),
    ),
    DemoClass(
        "sz",
        ELECTRICIAN,
        _d(9, 4),
        32,
        S.REJECTED,
        decided_in=S.DEPT_APPROVED,
        reasons=("培训时段与学院全日制教学安排冲突，实操工位无法保障",),
    ),
    DemoClass(
        "xc",
        ECOMMERCE,
        _d(7, 24),
        22,
        S.REJECTED,
        hours=(30, 50, 0),
        decided_in=S.DEPT_FIRST,
        reasons=("本年度该专业补贴性培训计划名额已满",),
    ),
    # 27–33 drafts: one ready to submit, the others each showing rule findings
    DemoClass("yz", LATHE, _d(11, 6), 32, S.DRAFT, level=4, reuse=((0, 6),)),
    DemoClass("cg", WELDER, _d(11, 13), 81, S.DRAFT),  # CLS-SIZE: 81 trainees
    DemoClass(
        "ja", LIVE_SALES, _d(11, 20), 26, S.DRAFT, hours=(40, 40, 24), platform="kxzy"
    ),  # CLS-PRACTICAL-SHARE 50%, CLS-ONLINE-SHARE (platform not connected)
    DemoClass("sd", LATHE, _d(6, 12), 28, S.DRAFT),  # CLS-INSTITUTION-BARRED (blacklist)
    DemoClass("xj", PASTRY, _d(6, 19), 24, S.DRAFT, hours=(20, 40, 0)),  # CLS-INSTITUTION-BARRED (audit)
    # TRN-COOLDOWN (two trainees of class 5, assessed 2023-06-09), CLS-SURVEY, TRN-INTENT, TRN-GRADUATING-STUDENT
    DemoClass("wd", INFANT, _d(6, 19), 26, S.DRAFT, reuse=((5, 2),), problems=("survey", "intent", "student")),
    DemoClass("ja", PASTRY, _d(2, 13), 24, S.DRAFT, hours=(20, 40, 0)),  # CLS-INSTITUTION-LISTED (from 2023-03-01)
)

# The steps that lead to each state (returned/rejected: the steps to `decided_in`, then the decision).
PATH: dict[str, tuple[str, ...]] = {
    S.DRAFT: (),
    S.SUBMITTED: (A.SUBMIT,),
    S.DEPT_FIRST: (A.SUBMIT, A.DEPT_FIRST),
    S.DEPT_APPROVED: (A.SUBMIT, A.DEPT_FIRST, A.DEPT_SECOND),
    S.HR_FIRST: (A.SUBMIT, A.DEPT_FIRST, A.DEPT_SECOND, A.HR_FIRST),
    S.APPROVED: (A.SUBMIT, A.DEPT_FIRST, A.DEPT_SECOND, A.HR_FIRST, A.HR_SECOND),
    S.ENDED: (A.SUBMIT, A.DEPT_FIRST, A.DEPT_SECOND, A.HR_FIRST, A.HR_SECOND),  # then training, then 结业
}
OPINIONS: dict[str, str] = {
    A.SUBMIT: "",
    A.DEPT_FIRST: "经初审，培训计划、师资和花名册符合要求，同意",
    A.DEPT_SECOND: "复核同意",
    A.HR_FIRST: "经初审，符合开班条件",
    A.HR_SECOND: "复核同意，批准开班",
}
DEPT_REVIEWERS: dict[str, tuple[str, ...]] = {
    "dept-mii": ("dept_mii_1", "dept_mii_2"),
    "dept-hrss": ("dept_hrss_1", "dept_hrss_2"),
    "dept-agri": ("dept_agri_1",),
}
LEVEL_ZH = {5: "五级", 4: "四级", 3: "三级", 2: "二级", 1: "一级"}
TYPE_ZH = {"employment": "就业技能培训", "upgrade": "岗位技能提升培训"}
EMPLOYMENT_CATEGORIES = (
    *("unemployed",) * 8,
    *("migrant_worker",) * 5,
    "poverty_relief",
    "poverty_relief",
    "graduate",
    "graduate",
    "veteran",
    "disabled",
    "other",
)


# ── persons and rosters ───────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Trainee:
    index: int
    area: str

    @property
    def birth(self) -> dt.date:
        # A bijection on 0…13,499 (7919 is prime): no two of the first 13,500 share a birth date.
        return dt.date(1968, 1, 1) + dt.timedelta(days=(self.index * 7919 + 4000) % 13500)

    @property
    def id_number(self) -> str:
        return make_ric(region_code(self.area, self.birth.year), self.birth, 100 + self.index % 800)

    @property
    def name(self) -> str:
        return chinese_name(self.index)

    @property
    def phone(self) -> str:
        return f"1{'358'[self.index % 3]}{(self.index * 7919 + 12345678) % 10**9:09d}"


def _home_area(inst: DemoInstitution, index: int) -> str:
    if inst.area in AREA_REGIONS:
        return inst.area
    return ("weidu", "jianan")[index % 2]  # 市直 institutions train people of the central districts


def plan_rosters() -> list[list[Trainee]]:
    """Who sits in each demo class: fresh trainees, plus the first trainees of earlier classes."""
    rosters: list[list[Trainee]] = []
    fresh: list[list[Trainee]] = []
    reused: Counter[int] = Counter()
    next_index = 0
    for spec in CLASSES:
        inst = INSTITUTION_BY_KEY[spec.institution]
        roster: list[Trainee] = []
        for source, count in spec.reuse:
            start = reused[source]
            roster.extend(fresh[source][start : start + count])
            reused[source] += count
        new = [Trainee(next_index + i, _home_area(inst, next_index + i)) for i in range(spec.trainees - len(roster))]
        next_index += len(new)
        fresh.append(new)
        rosters.append(new + roster)
    return rosters


def _roster_rows(spec: DemoClass, roster: list[Trainee]) -> list[RosterRow]:
    rows = []
    fresh = spec.trainees - sum(count for _, count in spec.reuse)  # fresh trainees come first
    # Problems go to the last fresh rows; the graduating student is the youngest fresh trainee.
    youngest = max(range(fresh), key=lambda row: roster[row].birth)
    others = [row for row in range(fresh - 1, -1, -1) if row != youngest]
    problems = {
        youngest if problem == "student" else others.pop(0): problem
        for problem in sorted(spec.problems, key=lambda p: p != "student")
    }
    for row, trainee in enumerate(roster):
        category = EMPLOYMENT_CATEGORIES[trainee.index % len(EMPLOYMENT_CATEGORIES)]
        employee = student = None
        questionnaire: dict[str, bool] | None = dict(QUESTIONNAIRE_YES)
        if spec.training_type == "upgrade":
            category = "employee"
            employee = {"post_occupation": spec.occupation, "post_class_code": spec.occupation[:7], "transfer": False}
        problem = problems.get(row)
        if problem == "survey":
            questionnaire = None
        elif problem == "intent":
            questionnaire = {**QUESTIONNAIRE_YES, "employment_intent": False}
        elif problem == "student":
            category, student = "student", {"school_kind": "vocational_school", "graduation_year": YEAR}
        rows.append(
            RosterRow(
                row + 1,
                trainee.id_number,
                trainee.name,
                trainee.phone,
                category,
                student,
                employee,
                None,
                questionnaire,
            )
        )
    return rows


def _seed_persons(rosters: list[list[Trainee]]) -> int:
    everyone = {t.index: t for roster in rosters for t in roster}
    wanted = {t.id_number: t for t in everyone.values()}
    have = set(Person.objects.with_id_numbers(wanted).values_list("id_number", flat=True))
    Person.objects.bulk_create(
        [
            Person(
                id_number=number,
                name=t.name,
                phone=t.phone,
                category=EMPLOYMENT_CATEGORIES[t.index % len(EMPLOYMENT_CATEGORIES)],
            )
            for number, t in sorted(wanted.items(), key=lambda item: item[1].index)
            if number not in have
        ],
        batch_size=500,
    )
    return len(wanted)


# ── seeding ───────────────────────────────────────────────────────────────────────────────────


def _seed_catalogs(say: Say) -> dict[str, Institution]:
    org_units_sync()
    say(f"== 单位 {OrgUnit.objects.count()} 个（许昌市、附件1的县（市、区）、附件2的行业主管部门、市财政局）")
    occupations_sync()
    say(f"== 职业 {Occupation.objects.count()} 个（2022 年版职业分类大典及特种作业、特种设备作业）")
    for platform in PLATFORMS:
        OnlinePlatform.objects.update_or_create(
            code=platform.code, defaults={"name": platform.name, "listed": True, "connected": platform.connected}
        )
    say(f"== 线上培训平台 {len(PLATFORMS)} 个（其中未接入省级监管平台 1 个）")

    occupations = {o.code: o for o in Occupation.objects.filter(code__in=LEAD_DEPARTMENT)}
    missing = sorted(set(LEAD_DEPARTMENT) - set(occupations))
    if missing:
        raise RuntimeError(f"职业目录中缺少演示数据所用的职业：{'、'.join(missing)}")
    institutions: dict[str, Institution] = {}
    for spec in INSTITUTIONS:
        inst, _ = Institution.objects.update_or_create(
            uscc=institution_uscc(spec),
            defaults={
                "name": spec.name,
                "kind": spec.kind,
                "area": OrgUnit.objects.get(key=f"area-{spec.area}"),
                "academic_education": spec.academic,
            },
        )
        institutions[spec.key] = inst
        for code in spec.specialties:
            InstitutionSpecialty.objects.get_or_create(
                institution=inst, occupation=occupations[code], effective_from=spec.since
            )
        if spec.kind != K.EVALUATION_BODY:
            for n, room in enumerate(("一号实训室", "二号实训室"), start=1):
                CheckinDevice.objects.update_or_create(
                    serial=f"XC{spec.seed}-FACE-{n:02d}",
                    defaults={"institution": inst, "name": f"{room}人脸识别签到终端", "active": True},
                )
    say(
        f"== 机构 {len(INSTITUTIONS)} 个（禹州、长葛、鄢陵、襄城、魏都、建安、市直；黑名单 1 个、审计问题 1 个），"
        f"目录专业 {InstitutionSpecialty.objects.filter(institution__in=institutions.values()).count()} 项，"
        f"人脸签到设备 {CheckinDevice.objects.filter(institution__in=institutions.values()).count()} 台"
    )
    return institutions


def _password_hash(password: str) -> str:
    """One hash for every demo account (one PBKDF2 run per seeding, not one per account); an
    unchanged password keeps the stored hash, so a restart does not log anyone out."""
    usernames = [a.username for a in ACCOUNTS]
    for stored in User.objects.filter(username__in=usernames).values_list("password", flat=True)[:1]:
        if stored and check_password(password, stored):
            return str(stored)
    return make_password(password)


def _seed_accounts(password: str, institutions: dict[str, Institution], worker: Person) -> dict[str, User]:
    hashed = _password_hash(password)
    units = {u.key: u for u in OrgUnit.objects.all()}
    users: dict[str, User] = {}
    for account in ACCOUNTS:
        is_worker = account.role == Role.WORKER
        user, _ = User.objects.update_or_create(
            username=account.username,
            defaults={
                "first_name": worker.name if is_worker else account.full_name,
                "last_name": "",
                "role": account.role,
                "org": units[account.org] if account.org else None,
                "institution": institutions[account.institution] if account.institution else None,
                "person": worker if is_worker else None,
                "is_staff": account.superuser,
                "is_superuser": account.superuser,
                "is_active": True,
                "password": hashed,
                # The demo's password is public and fixed: it is not made to expire on a demo install.
                "password_changed_at": timezone.now(),
            },
        )
        users[account.username] = user
    return users


def _seed_barred(institutions: dict[str, Institution], admin: User) -> None:
    for spec in INSTITUTIONS:
        inst = institutions[spec.key]
        if spec.blacklisted:
            listed_on, reason = spec.blacklisted
            _, created = BlacklistEntry.objects.get_or_create(
                institution=inst, listed_on=listed_on, defaults={"reason": reason, "listed_by": admin}
            )
            if created:
                audit_record(actor=admin, event="institution.blacklist", obj=inst, note=reason)
        if spec.audit_problem:
            found_on, description = spec.audit_problem
            _, created = AuditProblem.objects.get_or_create(
                institution=inst,
                found_on=found_on,
                source=AuditProblem.Source.AUDIT,
                defaults={"description": description, "obvious": True},
            )
            if created:
                audit_record(actor=admin, event="institution.audit_problem", obj=inst, note=description)


def _class_input(
    spec: DemoClass,
    inst: Institution,
    occupation: Occupation,
    units: dict[str, OrgUnit],
    names: Counter[tuple[int, str]],
) -> ClassInput:
    theory, practical, online = spec.hours
    area = inst.area
    prefix = f"{YEAR}年{area.name if area.key != 'area-shizhi' else '许昌市'}"
    name = f"{prefix}{occupation.name}（{LEVEL_ZH[spec.level]}）{TYPE_ZH[spec.training_type]}班"
    names[(inst.pk, name)] += 1
    if names[(inst.pk, name)] > 1:
        name = f"{name}（第{names[(inst.pk, name)]}期）"
    days = max(12, (theory + practical) // 4 + 6)
    platform = OnlinePlatform.objects.get(code=spec.platform).pk if spec.platform else None
    n = spec.trainees
    return ClassInput(
        name=name,
        occupation_id=occupation.pk,
        training_type=spec.training_type,
        certificate="skill_level",
        lead_department_id=units[LEAD_DEPARTMENT[spec.occupation]].pk,
        area_id=area.pk,
        start=spec.start,
        end=spec.start + dt.timedelta(days=days),
        level=spec.level,
        special_action=_special_action(occupation),
        minutes_per_hour=45,
        hours_theory=theory,
        hours_practical=practical,
        hours_online=online,
        online_platform_id=platform,
        workstations=max(ceil(n / 20), n // 2),
    )


def _special_action(occupation: Occupation) -> int | None:
    """The first special action (二(一)1–10) the catalog names for the occupation."""
    for key in occupation.actions:
        if key.upper() in SpecialAction.names:
            return int(SpecialAction[key.upper()])
    return None


def _teachers(spec: DemoClass, number: int) -> list[TeacherInput]:
    count = spec.teachers or max(2, ceil(spec.trainees / 20))
    teachers = []
    for k in range(count):
        index = 20_000 + number * 10 + k
        # The class returned for incomplete teacher certificates lacks one certificate number.
        incomplete = bool(spec.reasons) and "教师" in spec.reasons[0] and k == count - 1
        certificate_no = "" if incomplete else f"{2012 + k}4110{index:06d}"
        teachers.append(TeacherInput(chinese_name(index), True, certificate_no))
    return teachers


def _signers(spec: DemoClass, number: int, inst: Institution) -> dict[str, str]:
    """Who takes each step: the clerk submits; two different reviewers sign each stage (they
    alternate between classes); the pending stage's first reviewer returns or rejects."""
    dept = DEPT_REVIEWERS[LEAD_DEPARTMENT[spec.occupation]]
    hr = ("hr_yz_1", "hr_yz_2") if inst.area.key == "area-yuzhou" else ("hr_city_1", "hr_city_2")
    if number % 2:
        dept, hr = dept[::-1], hr[::-1]
    clerk = next(a.username for a in ACCOUNTS if a.institution == spec.institution)
    signers: dict[str, str] = {
        A.SUBMIT: clerk,
        A.DEPT_FIRST: dept[0],
        A.DEPT_SECOND: dept[-1],
        A.HR_FIRST: hr[0],
        A.HR_SECOND: hr[1],
    }
    pending_stage_first: dict[str, str] = {
        S.SUBMITTED: dept[0],
        S.DEPT_FIRST: dept[-1],
        S.DEPT_APPROVED: hr[0],
        S.HR_FIRST: hr[1],
    }
    if spec.decided_in:
        signers[A.RETURN] = signers[A.REJECT] = pending_stage_first[spec.decided_in]
    return signers


def _seed_classes(
    institutions: dict[str, Institution], users: dict[str, User], rosters: list[list[Trainee]], say: Say
) -> None:
    units = {u.key: u for u in OrgUnit.objects.all()}
    occupations = {o.code: o for o in Occupation.objects.filter(code__in=LEAD_DEPARTMENT)}
    names: Counter[tuple[int, str]] = Counter()
    for number, (spec, roster) in enumerate(zip(CLASSES, rosters, strict=True)):
        inst = institutions[spec.institution]
        signers = _signers(spec, number, inst)
        clerk = users[signers[A.SUBMIT]]
        cls = class_create(actor=clerk, data=_class_input(spec, inst, occupations[spec.occupation], units, names))
        cls = class_set_teachers(cls=cls, actor=clerk, expected_version=cls.version, teachers=_teachers(spec, number))
        cls = roster_import(
            cls=cls,
            actor=clerk,
            expected_version=cls.version,
            content=roster_to_csv(_roster_rows(spec, roster)),
            filename=f"{cls.code}花名册.csv",
        )
        steps: list[str] = list(PATH[spec.decided_in or spec.state])
        if spec.state == S.RETURNED:
            steps.append(A.RETURN)
        elif spec.state == S.REJECTED:
            steps.append(A.REJECT)
        for action in steps:
            cls.refresh_from_db()
            class_transition(
                cls=cls,
                actor=users[signers[action]],
                action=action,
                expected_version=cls.version,
                opinion=OPINIONS.get(action, ""),
                reasons=list(spec.reasons) if action in (A.RETURN, A.REJECT) else None,
            )
        if spec.state == S.ENDED:
            _seed_training(cls, number, users, signers, inst)
        cls.refresh_from_db()
        if cls.state != spec.state:  # pragma: no cover - a demo definition error
            raise RuntimeError(f"演示班级 {cls.code} 应为 {spec.state}，实为 {cls.state}")
        if spec.state in (S.APPROVED, S.ENDED):
            # Assessed a week after the class ended (the assessment services come later): this is
            # the history TRN-COOLDOWN reads when these trainees enrol again.
            Enrollment.objects.filter(training_class=cls).update(assessed_on=cls.end + dt.timedelta(days=7))
    demo = TrainingClass.objects.filter(institution__in=institutions.values())
    counts = Counter(demo.values_list("state", flat=True))
    say(
        f"== 培训班 {sum(counts.values())} 个："
        + "、".join(f"{ClassState(state).label.split('，')[0]} {counts[state]}" for state in ClassState)
    )


# ── training: the supervision record of the ended classes ─────────────────────────────────────

# Eight class hours a day, 45 minutes each, Beijing time; hours follow the application's counts.
DAY_SLOTS = ((8, 0), (9, 0), (10, 0), (11, 0), (14, 0), (15, 0), (16, 0), (17, 0))
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


@dataclass(frozen=True)
class DemoTraining:
    """What happened in one ended class: who was absent when, what the cameras and inspectors saw."""

    absent: tuple[tuple[int, int], ...]  # (roster row, hour seq) without a valid check-in
    made_up: tuple[tuple[int, int], ...]  # of those, made up before the assessment (SUP-MAKEUP)
    never_checked_in: tuple[int, ...] = ()  # roster rows with no valid check-in at all (SUP-FACE-CHECKIN)
    not_visible: int = 0  # segments not showing every trainee (SUP-VIDEO-ALL-VISIBLE voids at the 3rd)
    short_practical: int | None = None  # a practical hour recorded only 12 minutes (SUP-PRACTICAL-VIDEO)
    inspections: tuple[tuple[str, int], ...] = (("onsite", 3),)  # (kind, class day)
    unsatisfied: int = 1  # survey answers not satisfied (SUP-SATISFACTION)


TRAINING: dict[int, DemoTraining] = {
    0: DemoTraining(
        absent=((2, 5), (2, 6), (3, 20)),
        made_up=((2, 5),),
        never_checked_in=(36,),
        short_practical=70,
        inspections=(("onsite", 2), ("random", 7)),
        unsatisfied=2,
    ),
    1: DemoTraining(absent=((4, 30),), made_up=((4, 30),), not_visible=2, inspections=(("remote", 4),), unsatisfied=2),
    2: DemoTraining(absent=((5, 12), (6, 40)), made_up=(), inspections=(("onsite", 1), ("onsite", 9)), unsatisfied=6),
}


def _timetable_input(cls: TrainingClass) -> list[HourInput]:
    kinds = (
        [HourKind.THEORY] * (cls.hours_theory - cls.hours_online)
        + [HourKind.ONLINE] * cls.hours_online
        + [HourKind.PRACTICAL] * cls.hours_practical
    )
    hours = []
    for index, kind in enumerate(kinds):
        day = cls.start + dt.timedelta(days=index // len(DAY_SLOTS))
        hour, minute = DAY_SLOTS[index % len(DAY_SLOTS)]
        starts = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING)
        hours.append(HourInput(kind, starts, starts + dt.timedelta(minutes=cls.minutes_per_hour), f"第{index + 1}讲"))
    return hours


def _segments(hours: list[ClassHour], plan: DemoTraining) -> list[tuple[str, str, dt.datetime, dt.datetime, bool]]:
    """One camera recording per run of same-kind hours in a half day, from 5 minutes before to 5
    after; the hour `plan.short_practical` is recorded 12 minutes only, on a camera of its own."""
    runs: list[list[ClassHour]] = []
    for hour in hours:
        if hour.kind == HourKind.ONLINE:
            continue
        previous = runs[-1][-1] if runs else None
        same_run = (
            previous is not None
            and previous.kind == hour.kind
            and hour.starts_at - previous.ends_at < dt.timedelta(hours=1)
            and hour.seq != plan.short_practical
            and previous.seq != plan.short_practical
        )
        if same_run:
            runs[-1].append(hour)
        else:
            runs.append([hour])
    segments = []
    for run in runs:
        room = "教室" if run[0].kind == HourKind.THEORY else "实训室"
        if run[0].seq == plan.short_practical:
            starts = run[0].starts_at + dt.timedelta(minutes=10)
            segments.append((f"{room}-2", run[0].kind, starts, starts + dt.timedelta(minutes=12), True))
        else:
            starts, ends = run[0].starts_at - dt.timedelta(minutes=5), run[-1].ends_at + dt.timedelta(minutes=5)
            segments.append((f"{room}-1", run[0].kind, starts, ends, True))
    for i in range(plan.not_visible):  # the camera turned away: some trainees out of the picture
        camera, kind, starts, ends, _ = segments[2 + 3 * i]
        segments[2 + 3 * i] = (camera, kind, starts, ends, False)
    return segments


def _seed_training(
    cls: TrainingClass, number: int, users: dict[str, User], signers: dict[str, str], inst: Institution
) -> None:
    """Timetable, face check-ins (in bulk, as the devices' ingest writes them), make-ups, videos,
    inspections through the services; then 结业, the survey and, below 85%, the suspension."""
    plan = TRAINING[number]
    clerk, inspector = users[signers[A.SUBMIT]], users[signers[A.DEPT_FIRST]]
    hr = users[signers[A.HR_FIRST]]
    cls.refresh_from_db()
    hours = class_hours_set(cls=cls, actor=clerk, version=cls.version, hours=_timetable_input(cls))
    entries = list(Enrollment.objects.filter(training_class=cls).order_by("row"))
    absent = set(plan.absent)
    device = CheckinDevice.objects.filter(institution=inst).order_by("serial").first()
    assert device is not None
    batch = CheckInBatch.objects.create(
        source=CheckInBatch.Source.IMPORT,
        device=device,
        uploaded_by=clerk,
        filename=f"{cls.code}签到记录.csv",
        received_at=timezone.now(),
    )
    rows = []
    for e in entries:
        for h in hours:
            if h.kind == HourKind.ONLINE or e.row in plan.never_checked_in:
                continue
            # An absence leaves at most a rejected attempt: a match score under the threshold.
            score = 0.72 if (e.row, h.seq) in absent else 0.86 + (e.row * 7 + h.seq) % 13 / 100
            if (e.row, h.seq) in absent and (e.row + h.seq) % 2:
                continue
            rows.append(
                CheckIn(
                    device=device,
                    device_event_id=f"{cls.code}-{e.row:03d}-{h.seq:03d}",
                    training_class=cls,
                    person_id=e.person_id,
                    at=h.starts_at - dt.timedelta(minutes=2 + (e.row + h.seq) % 12),
                    match_score=score,
                    liveness=True,
                    batch=batch,
                )
            )
    CheckIn.objects.bulk_create(rows, batch_size=2000)
    CheckInBatch.objects.filter(pk=batch.pk).update(rows=len(rows), inserted=len(rows))
    by_seq = {h.seq: h for h in hours}
    for row, seq in plan.made_up:
        makeup_record(
            cls=cls,
            actor=clerk,
            enrollment_id=entries[row - 1].pk,
            hour_seq=seq,
            held_at=max(by_seq[seq].ends_at, dt.datetime.combine(cls.end, dt.time(15), BEIJING)),
            minutes=cls.minutes_per_hour,
            video_ref=f"nvr://{inst.uscc}/makeup/{cls.code}-{row:03d}-{seq:03d}.mp4",
            notes="因病请假，结业考核前补课",
        )
    for camera, kind, starts, ends, visible in _segments(hours, plan):
        video_record(
            cls=cls,
            actor=clerk,
            camera=camera,
            kind=kind,
            starts_at=starts,
            ends_at=ends,
            all_visible=visible,
            storage_ref=f"nvr://{inst.uscc}/{cls.code}/{camera}/{timezone.localtime(starts):%Y%m%d-%H%M}.mp4",
        )
    for kind, day in plan.inspections:
        on = cls.start + dt.timedelta(days=day)
        inspection_record(
            cls=cls,
            actor=inspector,
            kind=kind,
            at=dt.datetime.combine(on, dt.time(10, 20), BEIJING),
            present_count=len(entries) - 1 - day % 3,
            teachers_present=2,
            notes="学员在位，教师到岗，签到记录与实到人数一致" if kind != "remote" else "远程视频巡查，画面清晰",
            photo_refs=[f"photo://{cls.code}/{on:%Y%m%d}-1.jpg"],
        )
    cls.refresh_from_db()
    class_end(cls=cls, actor=clerk, version=cls.version, opinion="培训按计划完成，申请结业")
    for e in entries:
        satisfaction_answer(
            cls=cls,
            actor=clerk,
            enrollment_id=e.pk,
            satisfied=e.row > plan.unsatisfied,
            answers={"教学内容": 5 if e.row > plan.unsatisfied else 2, "实训条件": 4},
        )
    if cls.online_platform_id:
        seed_online(cls)
    result = satisfaction_evaluate(cls=cls, actor=hr)
    if result.suspension is not None:
        suspension_decide(
            cls=cls,
            actor=hr,
            suspension_id=result.suspension.pk,
            remedy=Suspension.Remedy.RETRAIN,
            rectify_until=timezone.localdate() + dt.timedelta(days=45),
            notes="满意率低于85%，重新组织实操培训，机构全面整改",
        )


@transaction.atomic
def seed_demo(*, password: str, say: Say = lambda _: None) -> list[DemoAccount]:
    institutions = _seed_catalogs(say)
    rosters = plan_rosters()
    persons = _seed_persons(rosters)
    say(f"== 人员 {persons} 人（实名，许昌各县（市、区）身份证号）")
    worker = Person.objects.by_id_number(rosters[0][WORKER_PERSON].id_number).get()
    users = _seed_accounts(password, institutions, worker)
    say(f"== 账号 {len(users)} 个（每个角色至少一个，密码相同，见 README）")
    with_totp = _seed_totp(users)
    say(
        f"== 动态口令：{with_totp} 个审核、财政与管理员账号登录须输入动态口令，演示密钥 {DEMO_TOTP_SECRET}"
        "（仅限演示；加入验证器 App，或运行 jineng manage demo_totp 查看当前口令）"
    )
    _seed_barred(institutions, users["admin"])
    if TrainingClass.objects.filter(institution__in=institutions.values()).exists():
        say("== 培训班已存在，跳过")
    else:
        _seed_classes(institutions, users, rosters, say)
        seed_money(users, say)
    seed_targets(users, say)
    return list(ACCOUNTS)


def summary() -> dict[str, Any]:
    """Counts of what the demo holds, for the tests' idempotency check."""
    from jineng.audit.models import AuditEvent

    return {
        "units": OrgUnit.objects.count(),
        "occupations": Occupation.objects.count(),
        "platforms": OnlinePlatform.objects.count(),
        "institutions": Institution.objects.count(),
        "specialties": InstitutionSpecialty.objects.count(),
        "devices": CheckinDevice.objects.count(),
        "blacklist": BlacklistEntry.objects.count(),
        "audit_problems": AuditProblem.objects.count(),
        "persons": Person.objects.count(),
        "users": User.objects.count(),
        "totp_devices": TotpDevice.objects.count(),
        "classes": dict(Counter(TrainingClass.objects.values_list("state", flat=True))),
        "enrollments": Enrollment.objects.count(),
        "steps": ReviewStep.objects.count(),
        "check_ins": CheckIn.objects.count(),
        "online_results": OnlineResult.objects.count(),
        "videos": VideoSegment.objects.count(),
        "inspections": Inspection.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }
