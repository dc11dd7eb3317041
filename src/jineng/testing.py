"""Builders for tests and demo data: valid resident IDs, a cast of users, a ready-to-submit class.

Not test code itself: `jineng.demo` seeds from the same builders, so the demo and the tests share
one idea of a realistic class.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connections
from stdnum.cn import ric, uscc

from jineng.accounts.models import Role, User
from jineng.registry.models import Institution, InstitutionSpecialty, Occupation, OrgUnit, Person, ric_key


def make_ric(region: str, birth: dt.date, seq: int) -> str:
    """A resident ID that passes GB 11643 (region must be a real code valid in the birth year)."""
    body = f"{region}{birth:%Y%m%d}{seq % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum reads the first 17 of an 18-char number


def make_uscc(seed: int, *, region: str = "411000") -> str:
    """A unified social credit code with a correct check character (GB 32100)."""
    body = f"91{region}MA{seed:07X}"
    body = body.replace("I", "J").replace("O", "P").replace("S", "T").replace("V", "W").replace("Z", "Y")
    return body + uscc.calc_check_digit(body)


def unit(key: str) -> OrgUnit:
    return OrgUnit.objects.get(key=key)


def occupation(code: str = "6-18-01-01", name: str = "车工", *, manufacturing: bool = True) -> Occupation:
    occ, _ = Occupation.objects.get_or_create(
        code=code,
        defaults={
            "name": name,
            "class_code": code.rsplit("-", 1)[0],
            "major_group": int(code[0]) if code[0].isdigit() else 0,
            "manufacturing": manufacturing,
            "certificate_routes": ["skill_level"],
            "levels": [5, 4, 3, 2, 1],
        },
    )
    return occ


def institution(
    name: str,
    *,
    area_key: str,
    seed: int,
    occupations: list[Occupation],
    since: dt.date = dt.date(2022, 6, 1),
    **extra: Any,
) -> Institution:
    inst, _ = Institution.objects.get_or_create(
        uscc=make_uscc(seed),
        defaults={"name": name, "kind": Institution.Kind.TRAINING_SCHOOL, "area": unit(area_key), **extra},
    )
    for occ in occupations:
        InstitutionSpecialty.objects.get_or_create(institution=inst, occupation=occ, effective_from=since)
    return inst


def user(
    username: str, role: str, *, full_name: str = "", org: OrgUnit | None = None, inst: Institution | None = None
) -> User:
    account, _ = User.objects.update_or_create(
        username=username,
        defaults={"role": role, "org": org, "institution": inst, "first_name": full_name or username},
    )
    return account


def person(index: int, *, region: str = "411081", name: str | None = None) -> Person:
    birth = dt.date(1990, 1, 1) + dt.timedelta(days=index % 6000)  # 禹州 (411081) exists from 1988
    number = make_ric(region, birth, index // 6000 + index)  # unique for the first 6,000,000 indexes
    obj, _ = Person.objects.get_or_create(
        id_hash=ric_key(number), defaults={"id_number": number, "name": name or f"学员{index:04d}"}
    )
    return obj


QUESTIONNAIRE_YES = {"training_intent": True, "employment_intent": True, "employment_ability": True}


@dataclass
class Cast:
    """alice clerks for a 禹州 school; bob for a 长葛 school. dan1/dan2 review for 市工信局 (the
    lead department of alice's classes); erin reviews for 市农业农村局 and must see nothing of
    them. hana1/hana2 are 禹州 HR; carol is 长葛 HR and must see nothing of 禹州. city is 市人社局
    HR (sees the whole city). sam administers the system, audrey the audit log; neither reads cases.
    eve records assessments for 许昌市职业技能评价中心 (an evaluation body); finance and finance2
    are the city finance bureau's two signers; wendy is a worker (her own person record only)."""

    alice: User
    bob: User
    dan1: User
    dan2: User
    erin: User
    hana1: User
    hana2: User
    carol: User
    city: User
    leader: User
    finance: User
    sam: User
    audrey: User
    eve: User
    finance2: User
    wendy: User
    yuzhou_school: Institution
    changge_school: Institution
    evaluation_body: Institution
    lathe: Occupation


def cast() -> Cast:
    from jineng.registry.services import org_units_sync

    org_units_sync()
    lathe = occupation()
    yz = institution("禹州市阳光职业培训学校", area_key="area-yuzhou", seed=1, occupations=[lathe])
    cg = institution("长葛市技能职业培训学校", area_key="area-changge", seed=2, occupations=[lathe])
    evaluator = institution(
        "许昌市职业技能评价中心",
        area_key="area-weidu",
        seed=3,
        occupations=[],  # it assesses, it does not train: no training specialty in the catalog
        kind=Institution.Kind.EVALUATION_BODY,
    )
    wendy = user("wendy", Role.WORKER, full_name="温迪", org=unit("area-yuzhou"))
    if wendy.person_id is None:
        wendy.person = person(900_001, name="温迪")
        wendy.save(update_fields=["person"])
    return Cast(
        alice=user("alice", Role.INSTITUTION_CLERK, full_name="王爱丽", org=unit("area-yuzhou"), inst=yz),
        bob=user("bob", Role.INSTITUTION_CLERK, full_name="李博", org=unit("area-changge"), inst=cg),
        dan1=user("dan1", Role.DEPT_REVIEWER, full_name="赵丹", org=unit("dept-mii")),
        dan2=user("dan2", Role.DEPT_REVIEWER, full_name="钱东", org=unit("dept-mii")),
        erin=user("erin", Role.DEPT_REVIEWER, full_name="孙二", org=unit("dept-agri")),
        hana1=user("hana1", Role.AREA_HR, full_name="周华", org=unit("area-yuzhou")),
        hana2=user("hana2", Role.AREA_HR, full_name="吴涵", org=unit("area-yuzhou")),
        carol=user("carol", Role.AREA_HR, full_name="郑卡", org=unit("area-changge")),
        city=user("cityhr", Role.CITY_HR, full_name="冯城", org=unit("city")),
        leader=user("leader", Role.LEADER, full_name="陈领", org=unit("city")),
        finance=user("finance", Role.FINANCE, full_name="褚财", org=unit("city")),
        sam=user("sam", Role.SYS_ADMIN, full_name="卫系", org=unit("city")),
        audrey=user("audrey", Role.AUDIT_ADMIN, full_name="蒋审", org=unit("city")),
        eve=user("eve", Role.EVALUATOR, full_name="易评", org=unit("area-weidu"), inst=evaluator),
        finance2=user("finance2", Role.FINANCE, full_name="卢财", org=unit("city")),
        wendy=wendy,
        yuzhou_school=yz,
        changge_school=cg,
        evaluation_body=evaluator,
        lathe=lathe,
    )


def class_input(**overrides: Any) -> Any:
    from jineng.classes.services import ClassInput

    values: dict[str, Any] = {
        "name": "2023年禹州市车工（四级）就业技能培训班",
        "occupation_id": occupation().pk,
        "training_type": "employment",
        "certificate": "skill_level",
        "lead_department_id": unit("dept-mii").pk,
        "area_id": unit("area-yuzhou").pk,
        "start": dt.date(2023, 5, 8),
        "end": dt.date(2023, 5, 26),
        "level": 4,
        "minutes_per_hour": 45,
        "hours_theory": 24,
        "hours_practical": 56,
        "workstations": 20,
    }
    values.update(overrides)
    return ClassInput(**values)


def enroll(cls: Any, persons: list[Person], *, questionnaire: dict[str, bool] | None = QUESTIONNAIRE_YES) -> None:
    """Put persons on a roster directly (a fixture for states the import path is not under test in)."""
    from jineng.classes.models import Enrollment

    start = cls.enrollments.count()
    Enrollment.objects.bulk_create(
        [
            Enrollment(training_class=cls, person=p, row=start + i, category="unemployed", questionnaire=questionnaire)
            for i, p in enumerate(persons, start=1)
        ]
    )


# ── the second factor and re-authentication (jineng.accounts.otp, .security) ────────────────────

# A fixed TOTP secret for tests (base32); the demo has its own (jineng.demo.seed.DEMO_TOTP_SECRET).
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_enrol(account: User, secret: str = TEST_TOTP_SECRET) -> str:
    """Give `account` a confirmed authenticator with `secret`; returns the secret."""
    from django.utils import timezone

    from jineng.accounts.models import TotpDevice

    TotpDevice.objects.update_or_create(
        user=account, defaults={"secret": secret, "confirmed_at": timezone.now(), "last_used_step": None}
    )
    return secret


def totp_code(account: User) -> str:
    """A code `account`'s authenticator accepts now, and has not accepted before."""
    from jineng.accounts.models import TotpDevice
    from jineng.accounts.otp import code_now

    device = TotpDevice.objects.get(user=account)
    return code_now(device.secret, after=device.last_used_step)


def reauthenticate(client: Any) -> None:
    """Stamp a signed-in test client's session as re-authenticated now, as POST /api/v1/auth/reauth
    with the right password and code would (tests of money steps that are not about re-authentication)."""
    from django.contrib.auth import SESSION_KEY
    from django.utils import timezone

    from jineng.accounts.security import REAUTH_AT

    session = client.session
    session[REAUTH_AT] = [str(session[SESSION_KEY]), int(timezone.now().timestamp())]
    session.save()


CHROMIUM = "/usr/bin/chromium"  # Debian's package; Playwright cannot download a browser here


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright, closed afterwards together with the database connections
    Django opened inside the block.

    Playwright's sync API runs an event loop in the test's thread, so Django keeps the connections
    used inside the block apart from the thread's own (asgiref's context-local storage), and no
    request cycle ever closes them: left idle they would outlive the test, hold the test database
    open and, if ended by the server meanwhile, fail the next browser test that picks them up."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()
            connections.close_all()
