"""Electronic vocational training vouchers (电子职业培训券, 二(四)).

Issued by real name in batches (VCH-REAL-NAME), redeemed at enrolment only by the holder, worth
money only once the holder's certificate exists (VCH-CERT-VALUE: 以证换券、无证无价), and counted
for VCH-TARGET (issued / effectively used). The code printed on a voucher is random; only the
holder's person row links it to a name.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from jineng.money import money_field


class VoucherBatch(models.Model):
    code = models.CharField("批次号", max_length=32, unique=True)
    org = models.ForeignKey("registry.OrgUnit", verbose_name="发放单位", on_delete=models.PROTECT, related_name="+")
    issued_on = models.DateField("发放日期")
    expires_on = models.DateField("有效期至")
    purpose = models.CharField("发放说明", max_length=200, blank=True, default="")
    count = models.PositiveIntegerField("张数")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发放人", on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField("发放时间")
    source_digest = models.CharField("名单摘要", max_length=64, unique=True)

    class Meta:
        verbose_name = "培训券发放批次"
        verbose_name_plural = "培训券发放批次"
        ordering = ("-issued_at", "-id")

    def __str__(self) -> str:
        return self.code


class VoucherState(models.TextChoices):
    ISSUED = "issued", "已发放"
    REDEEMED = "redeemed", "已使用（报名）"
    VALUED = "valued", "已取证兑现"
    EXPIRED = "expired", "已过期"
    CANCELLED = "cancelled", "已作废"


class Voucher(models.Model):
    code = models.CharField("券码", max_length=20, unique=True)
    batch = models.ForeignKey(VoucherBatch, on_delete=models.PROTECT, related_name="vouchers")
    holder = models.ForeignKey(
        "registry.Person", verbose_name="持券人", on_delete=models.PROTECT, related_name="vouchers"
    )
    state = models.CharField(
        "状态", max_length=12, choices=VoucherState.choices, default=VoucherState.ISSUED, editable=False
    )
    issued_on = models.DateField("发放日期")
    expires_on = models.DateField("有效期至")
    enrollment = models.OneToOneField(
        "classes.Enrollment",
        verbose_name="使用于",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="voucher",
    )
    redeemed_at = models.DateTimeField("使用时间", null=True, blank=True)
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    certificate = models.ForeignKey(
        "assessment.CertificateRecord",
        verbose_name="兑现证书",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    value = money_field("兑现金额（元）", null=True, blank=True)
    valued_at = models.DateTimeField("兑现时间", null=True, blank=True)

    class Meta:
        verbose_name = "电子培训券"
        verbose_name_plural = "电子培训券"
        ordering = ("-issued_on", "-id")
        constraints = [
            # Money value only with a certificate (VCH-CERT-VALUE), held by the database too.
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(certificate__isnull=False), name="voucher_value_needs_certificate"
            ),
        ]
        indexes = [
            models.Index(fields=("holder", "state"), name="voucher_holder_state"),
            # The lists' order: a page is read off the index instead of sorting every voucher of
            # the reader's scope (the city: 50,000 a year) joined with its holder and enrolment.
            models.Index(fields=("issued_on", "id"), name="voucher_issued_order"),
        ]

    def __str__(self) -> str:
        return self.code
