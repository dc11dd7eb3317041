"""Subsidy claims and the money they move (二(三)4, 三(三), 附件3).

A claim is one institution's application for one class: a line per trainee saying payable or
not, with the blocks (rule IDs) and the amount. It passes the industry department and the HR
bureau (two signers each, SUB-TWO-PERSON), a public notice (SUB-PUBLIC-NOTICE) with objections,
the monthly push to finance (a FinanceBatch), finance's two signatures, one disbursement
(idempotent by key) and, later, clawbacks that keep the original payment.

Money is Decimal to the fen. A person × class is paid at most once: `PaymentLine` carries a
unique constraint on (person, training_class) (SUB-NO-DOUBLE-PAY), so two writers racing past
the application's checks still leave one payment. The state of a claim and a batch is never
assigned outside `jineng.subsidy.workflow`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from jineng.crypto import EncryptedTextField
from jineng.money import money_field


class ClaimState(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交，待行业部门受理"
    ACCEPTED = "accepted", "已受理，待行业部门初审"
    DEPT_FIRST = "dept_first", "行业部门初审通过，待复核"
    DEPT_APPROVED = "dept_approved", "行业部门复核通过，待人社初审"
    HR_FIRST = "hr_first", "人社初审通过，待复核"
    HR_APPROVED = "hr_approved", "人社复核通过，待公示"
    NOTICE = "notice", "公示中"
    PUSHED = "pushed", "已推送财政，待财政初审"
    FINANCE_FIRST = "finance_first", "财政初审通过，待复核"
    FINANCE_APPROVED = "finance_approved", "财政复核通过，待拨付"
    PAID = "paid", "已拨付"
    RETURNED = "returned", "退回修改"
    REJECTED = "rejected", "不予补贴"


class FundSource(models.TextChoices):
    EMPLOYMENT = "employment_fund", "就业补助资金"
    UNEMPLOYMENT = "unemployment_insurance", "失业保险基金"
    UPGRADE = "upgrade_action", "职业技能提升行动资金"
    OTHER = "other", "其他资金"


class SubsidyClaim(models.Model):
    code = models.CharField("申请编号", max_length=32, unique=True)
    # One claim per class: a second application for the same class is the first one (idempotent),
    # and the database refuses two rows however the requests race.
    training_class = models.OneToOneField(
        "classes.TrainingClass", verbose_name="培训班", on_delete=models.PROTECT, related_name="claim"
    )
    institution = models.ForeignKey(
        "registry.Institution", verbose_name="申请单位", on_delete=models.PROTECT, related_name="claims"
    )
    state = models.CharField(
        "状态", max_length=20, choices=ClaimState.choices, default=ClaimState.DRAFT, editable=False
    )
    version = models.PositiveIntegerField("版本", default=1, editable=False)
    contact = models.CharField("联系人", max_length=50)
    # Encrypted at rest (jineng.crypto); nothing searches by them.
    phone = EncryptedTextField("联系电话", purpose="phone")
    bank_name = models.CharField("开户银行", max_length=100)
    bank_account = EncryptedTextField("银行账号", purpose="bank_account")
    trainees = models.PositiveIntegerField("花名册人数", default=0)
    payable_count = models.PositiveIntegerField("申请补贴人数", default=0)
    amount = money_field("申请补贴金额（元）", default=Decimal("0.00"))
    policy = models.CharField("政策", max_length=40, default="")
    computed_at = models.DateTimeField("核算时间", null=True, blank=True)
    committed = models.BooleanField("已签署申请承诺", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提交人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    accepted_on = models.DateField("受理日期", null=True, blank=True)
    notice_from = models.DateField("公示开始", null=True, blank=True)
    notice_until = models.DateField("公示结束", null=True, blank=True)
    notice_site = models.CharField("公示网站", max_length=200, blank=True, default="")
    batch = models.ForeignKey(
        "FinanceBatch",
        verbose_name="财政推送批次",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
    )
    state_since = models.DateTimeField("进入当前状态时间", null=True, blank=True)

    class Meta:
        verbose_name = "补贴申请"
        verbose_name_plural = "补贴申请"
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=("state", "notice_until"), name="claim_state_notice")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="claim_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(notice_from__isnull=True) | Q(notice_until__gte=models.F("notice_from")),
                name="claim_notice_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}"


class ClaimLine(models.Model):
    """One trainee of the claim: payable or not, why not (rule IDs), and how much."""

    claim = models.ForeignKey(SubsidyClaim, on_delete=models.CASCADE, related_name="lines")
    enrollment = models.ForeignKey("classes.Enrollment", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    row = models.PositiveIntegerField("序号")
    payable = models.BooleanField("可补贴")
    amount = money_field("补贴金额（元）")
    standard = models.CharField("补贴标准", max_length=40, blank=True, default="")
    certificate = models.ForeignKey(
        "assessment.CertificateRecord",
        verbose_name="证书",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    voucher = models.ForeignKey(
        "vouchers.Voucher", verbose_name="培训券", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    blocks = models.JSONField("不予补贴原因（规则）", default=list)

    class Meta:
        verbose_name = "补贴明细"
        verbose_name_plural = "补贴明细"
        ordering = ("row",)
        constraints = [
            models.UniqueConstraint(fields=("claim", "enrollment"), name="claim_line_once"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="claim_line_amount_not_negative"),
            models.CheckConstraint(condition=Q(payable=True) | Q(amount=0), name="claim_line_unpayable_is_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} 第{self.row}行"


class ClaimStep(models.Model):
    """One act on a claim (submit, accept, sign, publish, object, push, pay…) as it happened."""

    claim = models.ForeignKey(SubsidyClaim, on_delete=models.PROTECT, related_name="steps")
    action = models.CharField("操作", max_length=20)
    from_state = models.CharField("原状态", max_length=20, choices=ClaimState.choices)
    to_state = models.CharField("新状态", max_length=20, choices=ClaimState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, related_name="+"
    )
    actor_role = models.CharField("角色", max_length=32)
    at = models.DateTimeField("时间")
    opinion = models.TextField("意见", blank=True, default="")
    claim_version = models.PositiveIntegerField("申请版本")
    amount = money_field("当时金额（元）")
    payable_count = models.PositiveIntegerField("当时补贴人数")

    class Meta:
        verbose_name = "补贴审核记录"
        verbose_name_plural = "补贴审核记录"
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.claim_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class Objection(models.Model):
    """An objection received during the public notice; an open one holds the payment (SUB-PUBLIC-NOTICE)."""

    claim = models.ForeignKey(SubsidyClaim, on_delete=models.PROTECT, related_name="objections")
    line = models.ForeignKey(
        ClaimLine, verbose_name="涉及学员", on_delete=models.PROTECT, null=True, blank=True, related_name="objections"
    )
    received_on = models.DateField("收到日期")
    source = models.CharField("异议人/来源", max_length=100)
    content = models.TextField("异议内容")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="处理人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    upheld = models.BooleanField("异议成立", null=True, blank=True)
    resolution = models.TextField("处理情况", blank=True, default="")

    class Meta:
        verbose_name = "公示异议"
        verbose_name_plural = "公示异议"
        ordering = ("received_on", "id")

    def __str__(self) -> str:
        return f"{self.claim_id} 异议 {self.received_on}"

    @property
    def open(self) -> bool:
        return self.resolved_at is None


class BatchState(models.TextChoices):
    PUSHED = "pushed", "已推送，待财政初审"
    FINANCE_FIRST = "finance_first", "财政初审通过，待复核"
    APPROVED = "approved", "财政复核通过"


class FinanceBatch(models.Model):
    """The HR bureau's monthly push to finance (SUB-MONTHLY-PUSH): every claim of its scope whose
    notice has ended without an open objection, in one batch per unit and month."""

    code = models.CharField("批次号", max_length=32, unique=True)
    org = models.ForeignKey("registry.OrgUnit", verbose_name="推送单位", on_delete=models.PROTECT, related_name="+")
    month = models.DateField("所属月份")
    state = models.CharField(
        "状态", max_length=16, choices=BatchState.choices, default=BatchState.PUSHED, editable=False
    )
    version = models.PositiveIntegerField("版本", default=1, editable=False)
    claims_count = models.PositiveIntegerField("申请数")
    persons = models.PositiveIntegerField("补贴人数")
    amount = money_field("金额（元）")
    pushed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="推送人", on_delete=models.PROTECT, related_name="+"
    )
    pushed_at = models.DateTimeField("推送时间")
    first_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="财政初审人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    first_at = models.DateTimeField("初审时间", null=True, blank=True)
    first_opinion = models.TextField("初审意见", blank=True, default="")
    second_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="财政复核人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    second_at = models.DateTimeField("复核时间", null=True, blank=True)
    second_opinion = models.TextField("复核意见", blank=True, default="")

    class Meta:
        verbose_name = "财政推送批次"
        verbose_name_plural = "财政推送批次"
        ordering = ("-month", "-id")
        constraints = [models.UniqueConstraint(fields=("org", "month"), name="batch_once_per_unit_month")]

    def __str__(self) -> str:
        return f"{self.code}"


class Disbursement(models.Model):
    """拨付: one per claim, recorded by finance with the bank's reference; idempotent by key."""

    claim = models.OneToOneField(SubsidyClaim, on_delete=models.PROTECT, related_name="disbursement")
    idempotency_key = models.CharField("幂等键", max_length=64, unique=True)
    request_digest = models.CharField("请求摘要", max_length=64)
    amount = money_field("拨付金额（元）")
    paid_on = models.DateField("拨付日期")
    bank_reference = models.CharField("银行流水号", max_length=64, unique=True)
    fund_source = models.CharField("资金来源", max_length=24, choices=FundSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("录入时间")

    class Meta:
        verbose_name = "资金拨付"
        verbose_name_plural = "资金拨付"
        ordering = ("-paid_on", "-id")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="disbursement_positive")]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.amount} {self.bank_reference}"


class PaymentLine(models.Model):
    """The money one person received for one class. Never changed: a recovery is a Clawback."""

    disbursement = models.ForeignKey(Disbursement, on_delete=models.PROTECT, related_name="lines")
    line = models.OneToOneField(ClaimLine, on_delete=models.PROTECT, related_name="payment")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    training_class = models.ForeignKey("classes.TrainingClass", on_delete=models.PROTECT, related_name="+")
    amount = money_field("金额（元）")

    class Meta:
        verbose_name = "拨付明细"
        verbose_name_plural = "拨付明细"
        constraints = [
            # SUB-NO-DOUBLE-PAY, held by the database itself.
            models.UniqueConstraint(fields=("person", "training_class"), name="paid_once_per_person_class"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.training_class_id} · {self.person_id} · {self.amount}"


class Clawback(models.Model):
    """收缴 (SUB-CLAWBACK): money recovered from a payment found later to break a rule."""

    payment = models.ForeignKey(PaymentLine, on_delete=models.PROTECT, related_name="clawbacks")
    amount = money_field("收缴金额（元）")
    rule = models.CharField("违反规则", max_length=32)
    reason = models.TextField("原因")
    reference = models.CharField("收缴凭证号", max_length=64)
    decided_on = models.DateField("收缴日期")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("录入时间")

    class Meta:
        verbose_name = "资金收缴"
        verbose_name_plural = "资金收缴"
        ordering = ("-decided_on", "-id")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="clawback_positive")]

    def __str__(self) -> str:
        return f"{self.payment_id} 收缴 {self.amount}"
