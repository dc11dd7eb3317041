"""Vouchers end to end through the services: issue by real name, redeem by the holder only, value
with a certificate only, expire, cancel — and the refusals, each with what it names."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from jineng.assessment.models import CertificateRecord
from jineng.audit.models import AuditEvent
from jineng.classes.errors import InvalidInput, InvalidTransition, NotPermitted, RuleBlocked
from jineng.classes.models import ClassState, TrainingClass
from jineng.ids import mask_ric
from jineng.policy.rules.vouchers import vch_cert_value
from jineng.registry.models import Person
from jineng.supervision.tests.scenes import in_training
from jineng.testing import Cast, make_ric, person

from ..models import Voucher, VoucherBatch, VoucherState
from ..selectors import voucher_target
from ..services import (
    CODE_ALPHABET,
    voucher_cancel,
    voucher_redeem,
    vouchers_expire,
    vouchers_issue,
    vouchers_value_on_certificates,
)
from .builders import (
    ENROL_DAY,
    EXPIRES_ON,
    ISSUED_ON,
    csv_bytes,
    entry,
    freeze,
    issue_to,
    rows_of,
    voucher_of,
    xlsx,
)

pytestmark = pytest.mark.django_db


def paths(exc: pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return [f["path"] for f in exc.value.fields]


def certificate(
    cls: TrainingClass, who: Person, *, level: int | None = 4, kind: str = "skill_level"
) -> CertificateRecord:
    return CertificateRecord.objects.create(
        person=who,
        enrollment=entry(cls, who),
        kind=kind,
        occupation=cls.occupation,
        level=level,
        number=f"S{who.pk:08d}{cls.pk:04d}",
        issued_on=dt.date(2023, 6, 10),
        issuer="许昌市职业技能评价中心",
    )


# ── issue ─────────────────────────────────────────────────────────────────────────────────────


def test_area_hr_issues_a_batch_from_an_xlsx_list_and_registers_new_persons(people: Cast) -> None:
    new = [make_ric("411081", dt.date(1998, 3, 1), 7), make_ric("411081", dt.date(1992, 8, 9), 8)]
    content = xlsx([(new[0], "张三", "是"), (new[1].lower(), "李四", ""), (" ", "", "")])
    batch = vouchers_issue(actor=people.hana1, content=content, filename="名单.xlsx", issued_on=ISSUED_ON)
    assert batch.count == 2 and batch.org == people.hana1.org and batch.code == f"QJ2023{batch.pk:06d}"
    assert batch.issued_on == ISSUED_ON and batch.expires_on == EXPIRES_ON
    vouchers = list(batch.vouchers.select_related("holder").order_by("holder__name"))
    assert [v.holder.name for v in vouchers] == ["张三", "李四"]
    assert {v.holder.id_number for v in vouchers} == set(new)
    for v in vouchers:
        assert v.state == VoucherState.ISSUED and v.expires_on == EXPIRES_ON and v.value is None
        assert len(v.code) == 12 and set(v.code) <= set(CODE_ALPHABET)
    assert len({v.code for v in vouchers}) == 2
    event = AuditEvent.objects.get(event="vouchers.issue")
    assert event.changes["count"] == [None, 2] and "新登记人员 2 人" in event.note
    assert not any(number in str(event.changes) + event.note for number in new)


def test_city_hr_issues_from_a_gbk_csv_to_a_registered_person(people: Cast) -> None:
    known = person(3)
    fresh = make_ric("411082", dt.date(1996, 5, 5), 11)
    content = csv_bytes([(known.id_number, known.name, "是"), (fresh, "王五", "是")], encoding="gbk")
    batch = vouchers_issue(actor=people.city, content=content, filename="名单.csv", issued_on=ISSUED_ON)
    assert batch.count == 2 and batch.org == people.city.org
    assert voucher_of(known).batch == batch and Person.objects.by_id_number(fresh).get().name == "王五"


def test_every_bad_row_is_named_and_nothing_is_issued(people: Cast) -> None:
    holder = person(1)
    issue_to(people.hana1, [holder])
    good = person(2)
    registered = person(4)
    valid = make_ric("411081", dt.date(1990, 1, 1), 5)
    bad_check = valid[:-1] + ("1" if valid[-1] == "0" else "0")
    fresh = make_ric("411081", dt.date(1991, 2, 2), 6)
    content = xlsx(
        [
            (good.id_number, good.name, "是"),  # row 2: fine
            (bad_check, "赵六", "是"),  # row 3: check digit
            (fresh, "", "是"),  # row 4: no name
            (good.id_number, good.name, "是"),  # row 5: duplicate of row 2
            (registered.id_number, "别名", "是"),  # row 6: not the registered name
            (holder.id_number, holder.name, "是"),  # row 7: holds a live voucher
            (make_ric("411081", dt.date(1993, 3, 3), 9), "钱七", "否"),  # row 8: not willing
            (make_ric("411081", dt.date(1994, 4, 4), 10), "孙八", "也许"),  # row 9: unreadable answer
            (12345678901234567, "周九", "是"),  # row 10: a number, digits lost
        ]
    )
    before = (Person.objects.count(), Voucher.objects.count(), VoucherBatch.objects.count())
    with pytest.raises(InvalidInput) as refused:
        vouchers_issue(actor=people.hana1, content=content, filename="b.xlsx", issued_on=dt.date(2023, 4, 21))
    assert paths(refused) == [
        "第3行 身份证号",
        "第4行 姓名",
        "第5行 身份证号",
        "第6行 姓名",
        "第7行 身份证号",
        "第8行 意愿",
        "第9行 意愿",
        "第10行 身份证号",
    ]
    messages = [f["message"] for f in refused.value.fields]
    assert all(m.startswith(p + "：") for m, p in zip(messages, paths(refused), strict=True))
    assert "校验码错误" in messages[0] and "与第 2 行重复" in messages[2] and "未使用且未过期" in messages[4]
    assert "别名" not in messages[3] and registered.name not in messages[3]  # the registry's name is not revealed
    assert "未发放任何一张" in refused.value.message
    assert (Person.objects.count(), Voucher.objects.count(), VoucherBatch.objects.count()) == before


def test_a_name_that_differs_from_the_registry_is_refused(people: Cast) -> None:
    registered = person(1)
    content = xlsx([(registered.id_number, "张冒名", "是")])
    with pytest.raises(InvalidInput) as refused:
        vouchers_issue(actor=people.hana1, content=content, filename="c.xlsx", issued_on=ISSUED_ON)
    assert paths(refused) == ["第2行 姓名"] and "实名制" in refused.value.fields[0]["message"]
    assert not Voucher.objects.exists()


def test_the_same_list_sent_again_returns_the_first_batch(people: Cast) -> None:
    persons = [person(i) for i in range(3)]
    first = issue_to(people.hana1, persons)
    again = vouchers_issue(
        actor=people.hana2, content=csv_bytes(rows_of(persons[::-1])), filename="again.csv", issued_on=ISSUED_ON
    )
    assert again.pk == first.pk and Voucher.objects.count() == 3 and VoucherBatch.objects.count() == 1
    assert AuditEvent.objects.filter(event="vouchers.issue").count() == 1
    # The same people on another day is another list: they hold live vouchers, so it is refused.
    with pytest.raises(InvalidInput) as refused:
        issue_to(people.hana1, persons, on=ISSUED_ON + dt.timedelta(days=1))
    assert paths(refused) == ["第2行 身份证号", "第3行 身份证号", "第4行 身份证号"]


def test_a_person_whose_voucher_expired_or_was_used_gets_a_new_one(people: Cast) -> None:
    holder = person(1)
    issue_to(people.hana1, [holder])
    issue_day = EXPIRES_ON + dt.timedelta(days=1)
    batch = issue_to(people.hana1, [holder], on=issue_day)  # the first expired the day before
    assert batch.count == 1 and Voucher.objects.filter(holder=holder).count() == 2


def test_only_hr_issues_and_an_area_issues_as_its_own_org(people: Cast) -> None:
    for who in (people.alice, people.dan1, people.leader, people.finance, people.wendy, people.sam):
        with pytest.raises(NotPermitted):
            issue_to(who, [person(1)])
    changge = Person.objects.create(id_number=make_ric("411082", dt.date(1997, 7, 7), 3), name="长葛人")
    batch = issue_to(people.carol, [changge])
    assert batch.org.key == "area-changge"


def test_an_issue_date_outside_every_policy_or_in_the_future_is_refused(people: Cast) -> None:
    with pytest.raises(InvalidInput) as refused:
        issue_to(people.hana1, [person(1)], on=dt.date(2022, 12, 31))
    assert paths(refused) == ["issued_on"] and "政策" in refused.value.fields[0]["message"]
    with pytest.raises(InvalidInput) as refused:
        issue_to(people.hana1, [person(1)], on=timezone.localdate() + dt.timedelta(days=1))
    assert paths(refused) == ["issued_on"]


def test_a_file_that_is_not_a_list_is_refused_as_a_whole(people: Cast) -> None:
    with pytest.raises(InvalidInput) as refused:
        vouchers_issue(actor=people.hana1, content=b"%PDF-1.4 ...", filename="x.pdf", issued_on=ISSUED_ON)
    assert paths(refused) == ["整个文件"]
    with pytest.raises(InvalidInput) as refused:
        vouchers_issue(
            actor=people.hana1,
            content=xlsx([("1", "2")], header=("姓名", "手机号")),
            filename="y.xlsx",
            issued_on=ISSUED_ON,
        )
    assert paths(refused) == ["第1行 身份证号"] and "缺少必填列" in refused.value.fields[0]["message"]


# ── redeem ────────────────────────────────────────────────────────────────────────────────────


@pytest.fixture
def enrolled(people: Cast, monkeypatch: pytest.MonkeyPatch) -> TrainingClass:
    """alice's class with person(0..2); person(0) and person(1) hold vouchers; the clock at enrolment."""
    cls = in_training(people, trainees=3)
    issue_to(people.hana1, [person(0), person(1)])
    freeze(monkeypatch, ENROL_DAY)
    return cls


def test_the_clerk_redeems_the_holders_voucher_on_the_holders_roster_entry(
    people: Cast, enrolled: TrainingClass
) -> None:
    holder = person(0)
    code = voucher_of(holder).code
    typed = f" {code[:4].lower()}-{code[4:8]} {code[8:]} "
    voucher = voucher_redeem(actor=people.alice, code=typed, enrollment_id=entry(enrolled, holder).pk)
    stored = Voucher.objects.get(pk=voucher.pk)
    assert stored.state == VoucherState.REDEEMED and stored.enrollment == entry(enrolled, holder)
    assert stored.redeemed_by == people.alice and stored.redeemed_at is not None and stored.value is None
    event = AuditEvent.objects.get(event="voucher.redeem")
    assert event.changes["state"] == ["issued", "redeemed"] and enrolled.code in event.changes["enrollment"][1]


def test_a_voucher_used_by_another_person_is_refused(people: Cast, enrolled: TrainingClass) -> None:
    code = voucher_of(person(0)).code
    with pytest.raises(RuleBlocked) as refused:
        voucher_redeem(actor=people.alice, code=code, enrollment_id=entry(enrolled, person(2)).pk)
    assert "VCH-REAL-NAME" in [f["rule"] for f in refused.value.extra["findings"]]
    assert refused.value.fields[0]["path"] == "VCH-REAL-NAME" and "不得转让" in refused.value.message
    assert Voucher.objects.get(code=code).state == VoucherState.ISSUED


def test_a_voucher_redeems_on_its_last_day_and_not_the_day_after(
    people: Cast, enrolled: TrainingClass, monkeypatch: pytest.MonkeyPatch
) -> None:
    TrainingClass.objects.filter(pk=enrolled.pk).update(state=ClassState.SUBMITTED)
    freeze(monkeypatch, EXPIRES_ON + dt.timedelta(days=1))
    code = voucher_of(person(1)).code
    with pytest.raises(InvalidTransition) as refused:
        voucher_redeem(actor=people.alice, code=code, enrollment_id=entry(enrolled, person(1)).pk)
    assert f"已于 {EXPIRES_ON} 到期" in refused.value.message
    freeze(monkeypatch, EXPIRES_ON)
    assert (
        voucher_redeem(actor=people.alice, code=code, enrollment_id=entry(enrolled, person(1)).pk).state == "redeemed"
    )


def test_a_voucher_is_redeemed_once(people: Cast, enrolled: TrainingClass) -> None:
    holder = person(0)
    code = voucher_of(holder).code
    voucher_redeem(actor=people.alice, code=code, enrollment_id=entry(enrolled, holder).pk)
    with pytest.raises(InvalidTransition) as refused:
        voucher_redeem(actor=people.alice, code=code, enrollment_id=entry(enrolled, holder).pk)
    assert "已使用" in refused.value.message
    # Used, the holder may get a new voucher; still one voucher per enrolment.
    issue_to(people.hana1, [holder], on=ENROL_DAY)
    newer = voucher_of(holder)
    assert newer.code != code
    with pytest.raises(InvalidTransition) as refused:
        voucher_redeem(actor=people.alice, code=newer.code, enrollment_id=entry(enrolled, holder).pk)
    assert "每次报名只能使用一张" in refused.value.message


def test_only_the_clerk_of_the_class_redeems_and_only_before_the_class_ends(
    people: Cast, enrolled: TrainingClass
) -> None:
    holder = person(0)
    code = voucher_of(holder).code
    enrollment_id = entry(enrolled, holder).pk
    for who in (people.hana1, people.city, people.wendy, people.eve):
        with pytest.raises(NotPermitted):
            voucher_redeem(actor=who, code=code, enrollment_id=enrollment_id)
    with pytest.raises(InvalidInput) as refused:
        voucher_redeem(actor=people.bob, code=code, enrollment_id=enrollment_id)
    assert paths(refused) == ["enrollment_id"]
    with pytest.raises(InvalidInput) as refused:
        voucher_redeem(actor=people.alice, code="ZZZZZZZZZZZZ", enrollment_id=enrollment_id)
    assert paths(refused) == ["code"]
    TrainingClass.objects.filter(pk=enrolled.pk).update(state=ClassState.ENDED)
    with pytest.raises(InvalidTransition) as ended:
        voucher_redeem(actor=people.alice, code=code, enrollment_id=enrollment_id)
    assert "结业前" in ended.value.message
    assert Voucher.objects.get(code=code).state == VoucherState.ISSUED


# ── value ─────────────────────────────────────────────────────────────────────────────────────


def test_a_voucher_without_a_certificate_pays_nothing_and_with_one_the_standard(
    people: Cast, enrolled: TrainingClass
) -> None:
    holder, other = person(0), person(1)
    for who in (holder, other):
        voucher_redeem(actor=people.alice, code=voucher_of(who).code, enrollment_id=entry(enrolled, who).pk)
    # No certificate: no value, and VCH-CERT-VALUE says why.
    value, finding = vch_cert_value(code=voucher_of(holder).code, has_certificate=False, standard=Decimal("1500.00"))
    assert value is None and finding is not None and finding.rule == "VCH-CERT-VALUE"
    assert vouchers_value_on_certificates(certificates=[], actor=people.eve) == 0
    assert voucher_of(holder).value is None
    # A level-4 skill certificate of this training: the standard of the policy file.
    cert = certificate(enrolled, holder, level=4)
    third = certificate(enrolled, person(2), level=5)  # person(2) used no voucher: nothing to value
    assert vouchers_value_on_certificates(certificates=[cert, third], actor=people.eve) == 1
    valued = voucher_of(holder)
    assert valued.state == VoucherState.VALUED and valued.certificate == cert and valued.valued_at is not None
    assert valued.value == Decimal("1500.00")
    assert voucher_of(other).state == VoucherState.REDEEMED and voucher_of(other).value is None
    # Valued once: the same certificates again change nothing.
    assert vouchers_value_on_certificates(certificates=[cert], actor=people.eve) == 0
    event = AuditEvent.objects.get(event="voucher.value")
    assert event.changes["value"] == [None, "1500.00"]
    target = voucher_target(people.leader, 2023)
    assert target is not None and (target.issued, target.used) == (2, 1)  # 有效使用 = valued


def test_the_database_refuses_a_value_without_a_certificate(people: Cast) -> None:
    issue_to(people.hana1, [person(1)])
    voucher = voucher_of(person(1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Voucher.objects.filter(pk=voucher.pk).update(value=Decimal("1500.00"))
    assert Voucher.objects.get(pk=voucher.pk).value is None


# ── expire, cancel ────────────────────────────────────────────────────────────────────────────


def test_unused_vouchers_expire_the_day_after_their_last_day(people: Cast, enrolled: TrainingClass) -> None:
    voucher_redeem(actor=people.alice, code=voucher_of(person(0)).code, enrollment_id=entry(enrolled, person(0)).pk)
    assert vouchers_expire(today=EXPIRES_ON) == 0
    assert vouchers_expire(today=EXPIRES_ON + dt.timedelta(days=1)) == 1
    assert voucher_of(person(1)).state == VoucherState.EXPIRED
    assert voucher_of(person(0)).state == VoucherState.REDEEMED  # used: not expired
    event = AuditEvent.objects.get(event="vouchers.expire")
    assert event.changes == {"expired": [0, 1]} and event.actor is None


def test_the_expire_command_prints_the_count(people: Cast, capsys: pytest.CaptureFixture[str]) -> None:
    issue_to(people.hana1, [person(0), person(1)])
    call_command("expire_vouchers", "--today", "2023-10-17")
    assert "2 张培训券已过期" in capsys.readouterr().out
    assert set(Voucher.objects.values_list("state", flat=True)) == {"expired"}
    call_command("expire_vouchers", "--today", "2023-10-18")
    assert "0 张" in capsys.readouterr().out


def test_hr_of_the_issuing_org_cancels_an_unused_voucher_with_a_reason(people: Cast) -> None:
    issue_to(people.hana1, [person(0), person(1)])
    voucher = voucher_of(person(0))
    for who in (people.carol, people.city, people.alice):
        with pytest.raises(NotPermitted):
            voucher_cancel(actor=who, voucher=voucher, reason="错发")
    with pytest.raises(InvalidInput):
        voucher_cancel(actor=people.hana2, voucher=voucher, reason="  ")
    assert voucher_cancel(actor=people.hana2, voucher=voucher, reason="错发").state == VoucherState.CANCELLED
    with pytest.raises(InvalidTransition):
        voucher_cancel(actor=people.hana2, voucher=voucher, reason="再次")
    event = AuditEvent.objects.get(event="voucher.cancel")
    assert event.note == "错发" and mask_ric(person(0).id_number) not in event.object_repr
