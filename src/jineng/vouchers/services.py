"""Writes on vouchers: issue a batch by real name, redeem at enrolment, value with a certificate,
expire, cancel. Each is keyword-only, in one transaction, with its audit row(s) in it.

A voucher moves ISSUED → REDEEMED (at enrolment, by its holder only: VCH-REAL-NAME) → VALUED (when
the holder's certificate of that training is recorded: VCH-CERT-VALUE, 以证换券、无证无价); an
ISSUED voucher may also expire or be cancelled. Resident IDs never reach the audit log in clear.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from jineng.accounts.models import Role, User
from jineng.audit.services import audit_record
from jineng.classes.errors import InvalidInput, InvalidTransition, NotPermitted, RuleBlocked
from jineng.classes.models import ClassState, Enrollment, TrainingClass
from jineng.crypto import blind_index
from jineng.policy.loader import policies
from jineng.policy.parameters import Parameters
from jineng.policy.rules.subsidy import subsidy_amount
from jineng.policy.rules.vouchers import vch_cert_value, vch_real_name, voucher_expiry
from jineng.registry.models import OrgUnit, Person

from .list_io import parse_list
from .models import Voucher, VoucherBatch, VoucherState

if TYPE_CHECKING:
    from jineng.assessment.models import CertificateRecord

# Unambiguous when read aloud or copied by hand: no 0/O or 1/I.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 12
# A voucher is redeemed at enrolment: any state of the class before it ends (a rejected class
# will not train, so its roster cannot take one either).
REDEEMABLE_CLASS_STATES = frozenset(set(ClassState.values) - {ClassState.ENDED, ClassState.REJECTED})


# ── helpers ───────────────────────────────────────────────────────────────────────────────────


def normalise_code(code: str) -> str:
    """A code as typed or scanned: case, spaces and hyphens (ABCD-EFGH-JKLM) do not matter."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_codes(count: int) -> list[str]:
    """`count` random codes not yet used by any voucher."""
    codes: set[str] = set()
    while len(codes) < count:
        wanted = count - len(codes)
        fresh = {"".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)) for _ in range(wanted)}
        fresh -= codes
        taken = set(Voucher.objects.filter(code__in=fresh).values_list("code", flat=True))
        codes |= fresh - taken
    return sorted(codes)


LIST_PURPOSE = "voucher_list"


def list_digest(*, org_id: int, issued_on: dt.date, id_numbers: Sequence[str]) -> str:
    """What makes a list "the same list re-sent": the issuing org, the date and the set of IDs.

    Sealed by the data key (jineng.crypto): a bare SHA-256 of a one-person list could be matched
    against every plausible resident ID. The keyed hash is taken of that SHA-256, so the digests
    stored before were converted in place (migration 0002_seal_list_digest).
    """
    text = f"{org_id}|{issued_on.isoformat()}|{','.join(sorted(id_numbers))}"
    return blind_index(hashlib.sha256(text.encode("utf-8")).hexdigest(), purpose=LIST_PURPOSE)


def may_issue(actor: User) -> bool:
    org = actor.org
    if org is None:
        return False
    return (actor.role == Role.AREA_HR and org.kind == OrgUnit.Kind.AREA) or (
        actor.role == Role.CITY_HR and org.kind == OrgUnit.Kind.CITY
    )


def _parameters_on(day: dt.date, path: str, what: str) -> Parameters:
    policy = policies().in_force(day)
    if policy is None:
        raise InvalidInput(
            f"{what} {day} 不在任何政策的有效期内",
            [{"path": path, "message": f"{what}：{day} 不在政策有效期内（{policies().describe_periods()}）"}],
        )
    return policy.parameters_on(day)


# ── issue ─────────────────────────────────────────────────────────────────────────────────────


@transaction.atomic
def vouchers_issue(
    *,
    actor: User,
    content: bytes,
    filename: str,
    issued_on: dt.date | None = None,
    purpose: str = "",
) -> VoucherBatch:
    """Issue one voucher to each worker of the list, by real name: every bad row named, or all issued.

    The same list re-sent (same org, date and IDs) returns the batch it issued the first time.
    """
    if not may_issue(actor):
        raise NotPermitted("只有县（市、区）或市人社局审核人可以发放电子培训券")
    assert actor.org_id is not None
    today = timezone.localdate()
    day = issued_on or today
    purpose = purpose.strip()
    problems: list[dict[str, str]] = []
    if day > today:
        problems.append({"path": "issued_on", "message": f"发放日期：{day} 晚于今天（{today}）"})
    if len(purpose) > 200:
        problems.append({"path": "purpose", "message": "发放说明：不超过 200 个字"})
    if problems:
        raise InvalidInput(f"发放信息有 {len(problems)} 处错误", problems)
    p = _parameters_on(day, "issued_on", "发放日期")

    parsed = parse_list(content, filename, as_of=day)
    rows = parsed.rows
    digest = list_digest(org_id=actor.org_id, issued_on=day, id_numbers=[r.id_number for r in rows])
    problems = [{"path": x.path, "message": f"{x.path}：{x.message}", "row": str(x.row)} for x in parsed.problems]
    first_row: dict[str, int] = {}
    for r in rows:
        if r.id_number in first_row:
            path = f"第{r.row}行 身份证号"
            problems.append(
                {
                    "path": path,
                    "message": f"{path}：与第 {first_row[r.id_number]} 行重复，同一人只能发放一张",
                    "row": str(r.row),
                }
            )
        else:
            first_row[r.id_number] = r.row
    # Locked so that two batches issued at once cannot both give a live voucher to one person.
    existing = {
        person.id_number: person
        for person in Person.objects.select_for_update().with_id_numbers(first_row).order_by("pk")
    }
    # Looked up once the persons are locked: a copy of the list sent at the same time waits for the
    # first to commit and then finds its batch here.
    if not parsed.problems:
        earlier = VoucherBatch.objects.filter(source_digest=digest).first()
        if earlier is not None:
            return earlier  # the same list re-sent (a retry): nothing issued twice
    holding = set(
        Voucher.objects.filter(
            holder__in=list(existing.values()), state=VoucherState.ISSUED, expires_on__gte=day
        ).values_list("holder__id_number", flat=True)
    )
    for r in rows:
        person = existing.get(r.id_number)
        if person is None or first_row.get(r.id_number) != r.row:
            continue
        if person.name != r.name:
            path = f"第{r.row}行 姓名"
            problems.append(
                {"path": path, "message": f"{path}：与系统中该身份证号登记的姓名不一致（实名制）", "row": str(r.row)}
            )
        if r.id_number in holding:
            path = f"第{r.row}行 身份证号"
            problems.append(
                {
                    "path": path,
                    "message": f"{path}：本人已持有未使用且未过期的培训券，不再重复发放",
                    "row": str(r.row),
                }
            )
    if problems:
        problems.sort(key=lambda x: int(x["row"]))
        raise InvalidInput(f"发放名单有 {len(problems)} 处错误，未发放任何一张", problems)

    expires_on = voucher_expiry(p=p, issued_on=day)
    now = timezone.now()
    try:
        # The digest is unique: of two identical lists sent at once, the second waits here for the
        # first and then finds its batch.
        with transaction.atomic():
            batch = VoucherBatch.objects.create(
                code=f"TMP-{digest[:28]}",
                org_id=actor.org_id,
                issued_on=day,
                expires_on=expires_on,
                purpose=purpose,
                count=len(rows),
                issued_by=actor,
                issued_at=now,
                source_digest=digest,
            )
    except IntegrityError:
        return VoucherBatch.objects.get(source_digest=digest)
    batch.code = f"QJ{day:%Y}{batch.pk:06d}"
    VoucherBatch.objects.filter(pk=batch.pk).update(code=batch.code)

    new_people = [Person(id_number=r.id_number, name=r.name) for r in rows if r.id_number not in existing]
    try:
        with transaction.atomic():
            Person.objects.bulk_create(new_people)
    except IntegrityError as exc:
        # Another list registering the same new person committed first; retrying sees the person.
        raise InvalidTransition("名单中的新人员正由另一次发放同时登记，未发放任何一张：请重新提交") from exc
    if any(x.pk is None for x in new_people):  # backends without RETURNING: read the keys back
        keys = dict(Person.objects.filter(id_hash__in=[x.id_hash for x in new_people]).values_list("id_hash", "pk"))
        for x in new_people:
            x.pk = keys[x.id_hash]
    existing.update({x.id_number: x for x in new_people})
    Voucher.objects.bulk_create(
        [
            Voucher(
                code=code,
                batch=batch,
                holder_id=existing[r.id_number].pk,
                state=VoucherState.ISSUED,
                issued_on=day,
                expires_on=expires_on,
            )
            for r, code in zip(rows, new_codes(len(rows)), strict=True)
        ]
    )
    audit_record(
        actor=actor,
        event="vouchers.issue",
        obj=batch,
        changes={"count": (None, len(rows)), "issued_on": (None, day), "expires_on": (None, expires_on)},
        note=f"发放名单 {filename}：{len(rows)} 张，其中新登记人员 {len(new_people)} 人",
    )
    return batch


# ── redeem ────────────────────────────────────────────────────────────────────────────────────


@transaction.atomic
def voucher_redeem(*, actor: User, code: str, enrollment_id: int, today: dt.date | None = None) -> Voucher:
    """Use a voucher at enrolment: the clerk of the class, the holder's own roster entry only."""
    if actor.role != Role.INSTITUTION_CLERK or actor.institution_id is None:
        raise NotPermitted("只有培训机构经办人可以在学员报名时登记使用培训券")
    enrollment = (
        Enrollment.objects.select_related("training_class")
        .filter(pk=enrollment_id, training_class__institution_id=actor.institution_id)
        .first()
    )
    if enrollment is None:
        raise InvalidInput(
            "本机构的培训班中没有这名学员", [{"path": "enrollment_id", "message": "学员：不在本机构培训班的花名册中"}]
        )
    cls: TrainingClass = enrollment.training_class
    if cls.state not in REDEEMABLE_CLASS_STATES:
        raise InvalidTransition(
            f"班级 {cls.code} 当前状态为“{ClassState(cls.state).label}”，培训券只能在报名（结业前）时使用",
            state=cls.state,
        )
    wanted = normalise_code(code)
    # The row lock makes two clerks redeeming one voucher at once take turns: the second sees it used.
    voucher = Voucher.objects.select_for_update().filter(code=wanted).first() if wanted else None
    if voucher is None:
        raise InvalidInput("券码不存在", [{"path": "code", "message": "券码：没有这张培训券，请核对后重新输入"}])
    refused = vch_real_name(code=voucher.code, holder_id=voucher.holder_id, enrollee_id=enrollment.person_id)
    if refused is not None:
        raise RuleBlocked(
            refused.message, [{"path": refused.rule, "message": refused.message}], findings=[refused.as_dict()]
        )
    if voucher.state != VoucherState.ISSUED:
        raise InvalidTransition(
            f"培训券 {voucher.code} 当前状态为“{VoucherState(voucher.state).label}”，不能再使用", state=voucher.state
        )
    today = today or timezone.localdate()
    if voucher.expires_on < today:
        raise InvalidTransition(
            f"培训券 {voucher.code} 已于 {voucher.expires_on} 到期（今天 {today}），不能使用", state="expired"
        )
    used = Voucher.objects.filter(enrollment=enrollment).exclude(pk=voucher.pk).values_list("code", flat=True).first()
    if used is not None:
        raise InvalidTransition(f"该学员在班级 {cls.code} 已使用培训券 {used}，每次报名只能使用一张")
    now = timezone.now()
    Voucher.objects.filter(pk=voucher.pk).update(
        state=VoucherState.REDEEMED, enrollment=enrollment, redeemed_at=now, redeemed_by=actor
    )
    voucher.state, voucher.enrollment, voucher.redeemed_at, voucher.redeemed_by = (
        VoucherState.REDEEMED,
        enrollment,
        now,
        actor,
    )
    audit_record(
        actor=actor,
        event="voucher.redeem",
        obj=voucher,
        changes={
            "state": (VoucherState.ISSUED.value, VoucherState.REDEEMED.value),
            "enrollment": (None, f"{cls.code} 第{enrollment.row}号"),
        },
    )
    return voucher


# ── value ─────────────────────────────────────────────────────────────────────────────────────


@transaction.atomic
def vouchers_value_on_certificates(*, certificates: Sequence[CertificateRecord], actor: User | None) -> int:
    """VCH-CERT-VALUE: each redeemed voucher whose training produced one of `certificates` takes the
    subsidy standard of that certificate (policy of the class's start date). Returns how many."""
    by_enrollment = {c.enrollment_id: c for c in certificates if c.enrollment_id is not None}
    if not by_enrollment:
        return 0
    vouchers = list(
        Voucher.objects.select_for_update(of=("self",))
        .select_related("enrollment__training_class")
        .filter(enrollment_id__in=list(by_enrollment), state=VoucherState.REDEEMED)
        .order_by("pk")
    )
    now = timezone.now()
    params: dict[dt.date, Parameters] = {}
    valued: list[Voucher] = []
    for voucher in vouchers:
        assert voucher.enrollment is not None
        certificate = by_enrollment[voucher.enrollment.pk]
        if certificate.person_id != voucher.holder_id:
            continue  # a certificate of someone else never gives value (VCH-REAL-NAME)
        start = voucher.enrollment.training_class.start
        if start not in params:
            params[start] = _parameters_on(start, "certificates", "开班日期")
        standard, _label = subsidy_amount(p=params[start], kind=certificate.kind, level=certificate.level)
        value, _ = vch_cert_value(code=voucher.code, has_certificate=True, standard=standard)
        voucher.state, voucher.certificate, voucher.value, voucher.valued_at = (
            VoucherState.VALUED,
            certificate,
            value,
            now,
        )
        valued.append(voucher)
    Voucher.objects.bulk_update(valued, ["state", "certificate", "value", "valued_at"])
    for voucher in valued:
        assert voucher.certificate is not None
        audit_record(
            actor=actor,
            event="voucher.value",
            obj=voucher,
            changes={
                "state": (VoucherState.REDEEMED.value, VoucherState.VALUED.value),
                "certificate": (None, str(voucher.certificate)),
                "value": (None, voucher.value),
            },
        )
    return len(valued)


# ── expire, cancel ────────────────────────────────────────────────────────────────────────────


@transaction.atomic
def vouchers_expire(*, today: dt.date) -> int:
    """ISSUED vouchers whose last day is before `today` become EXPIRED, in one UPDATE; one audit
    row per batch touched. Returns the count."""
    stale = Voucher.objects.filter(state=VoucherState.ISSUED, expires_on__lt=today)
    per_batch = dict(stale.order_by().values("batch_id").annotate(n=Count("pk")).values_list("batch_id", "n"))
    count = stale.update(state=VoucherState.EXPIRED)
    for batch in VoucherBatch.objects.filter(pk__in=list(per_batch)).order_by("pk"):
        audit_record(
            actor=None,
            event="vouchers.expire",
            obj=batch,
            changes={"expired": (0, per_batch[batch.pk])},
            note=f"{today} 到期处理：有效期至 {batch.expires_on} 的未使用培训券作过期",
        )
    return count


@transaction.atomic
def voucher_cancel(*, actor: User, voucher: Voucher, reason: str) -> Voucher:
    """作废 an unused voucher: HR of the organisation that issued it, with a reason."""
    locked = Voucher.objects.select_for_update(of=("self",)).select_related("batch").get(pk=voucher.pk)
    if not may_issue(actor) or actor.org_id != locked.batch.org_id:
        raise NotPermitted("只有发放单位的人社部门审核人可以作废培训券")
    reason = reason.strip()
    if not reason:
        raise InvalidInput("作废须写明理由", [{"path": "reason", "message": "作废理由：必填"}])
    if locked.state != VoucherState.ISSUED:
        raise InvalidTransition(
            f"培训券 {locked.code} 当前状态为“{VoucherState(locked.state).label}”，只有未使用的培训券可以作废",
            state=locked.state,
        )
    Voucher.objects.filter(pk=locked.pk).update(state=VoucherState.CANCELLED)
    locked.state = VoucherState.CANCELLED
    audit_record(
        actor=actor,
        event="voucher.cancel",
        obj=locked,
        changes={"state": (VoucherState.ISSUED.value, VoucherState.CANCELLED.value)},
        note=reason,
    )
    return locked
