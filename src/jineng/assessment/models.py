"""Completion assessment (结业考核, 二(三)3 and 附件3): the filed assessment plan, each trainee's
result, the certificates issued, and the training ledger (台账) entered after the class.

A plan may pool several classes of one area × occupation × level (ASM-POOLING). A result is kept
per roster entry; recording one sets `Enrollment.assessed_on`, the date TRN-COOLDOWN counts from.
Certificates are kept per person whatever produced them (a class, a competition, an earlier
year), so the first-certificate indicators and VCH-CERT-VALUE read one table.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from jineng.classes.models import Certificate, Level


class AssessmentPlan(models.Model):
    """考核（评价、鉴定）计划: filed in the system at least 3 days before the date (ASM-NOTICE)."""

    class State(models.TextChoices):
        FILED = "filed", "已填报"
        RESULTS = "results", "已录入结果"
        CANCELLED = "cancelled", "已取消"

    code = models.CharField("考核批次号", max_length=32, unique=True)
    evaluation_body = models.ForeignKey(
        "registry.Institution", verbose_name="评价机构", on_delete=models.PROTECT, related_name="assessment_plans"
    )
    classes = models.ManyToManyField(
        "classes.TrainingClass", verbose_name="参加考核的班级", related_name="assessment_plans"
    )
    certificate = models.CharField("考核类别（证书）", max_length=32, choices=Certificate.choices)
    occupation = models.ForeignKey("registry.Occupation", verbose_name="职业（工种）", on_delete=models.PROTECT)
    level = models.PositiveSmallIntegerField("等级", choices=Level.choices, null=True, blank=True)
    area = models.ForeignKey(
        "registry.OrgUnit", verbose_name="县（市、区）", on_delete=models.PROTECT, related_name="+"
    )
    scheduled_on = models.DateField("考核日期")
    place = models.CharField("考核地点", max_length=200)
    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.FILED, editable=False)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="填报人", on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField("填报时间")
    inspector = models.CharField("考核巡查人员", max_length=50, blank=True, default="")
    version = models.PositiveIntegerField("版本", default=1, editable=False)

    class Meta:
        verbose_name = "考核计划"
        verbose_name_plural = "考核计划"
        ordering = ("-scheduled_on", "-id")

    def __str__(self) -> str:
        return f"{self.code} {self.scheduled_on}"


class AssessmentResult(models.Model):
    """One trainee's result in one plan; a roster entry has at most one (re-recording replaces it)."""

    class Outcome(models.TextChoices):
        PASSED = "passed", "合格"
        FAILED = "failed", "不合格"
        ABSENT = "absent", "缺考"

    plan = models.ForeignKey(AssessmentPlan, on_delete=models.PROTECT, related_name="results")
    enrollment = models.OneToOneField(
        "classes.Enrollment", verbose_name="学员", on_delete=models.PROTECT, related_name="assessment"
    )
    outcome = models.CharField("考核结果", max_length=8, choices=Outcome.choices)
    score = models.DecimalField("成绩", max_digits=5, decimal_places=1, null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("录入时间")

    class Meta:
        verbose_name = "考核结果"
        verbose_name_plural = "考核结果"

    def __str__(self) -> str:
        return f"{self.plan_id} · {self.enrollment_id} · {self.get_outcome_display()}"


class CertificateRecord(models.Model):
    """A certificate held by a person (证书): kind, level, number, date, issuer."""

    person = models.ForeignKey(
        "registry.Person", verbose_name="持证人", on_delete=models.PROTECT, related_name="certificates"
    )
    enrollment = models.ForeignKey(
        "classes.Enrollment",
        verbose_name="对应培训",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificates",
    )
    kind = models.CharField("证书类别", max_length=32, choices=Certificate.choices)
    occupation = models.ForeignKey("registry.Occupation", verbose_name="职业（工种）", on_delete=models.PROTECT)
    level = models.PositiveSmallIntegerField("等级", choices=Level.choices, null=True, blank=True)
    number = models.CharField("证书编号", max_length=64)
    issued_on = models.DateField("发证日期")
    issuer = models.CharField("发证机构", max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = "证书"
        verbose_name_plural = "证书"
        ordering = ("issued_on", "id")
        constraints = [
            models.UniqueConstraint(fields=("kind", "number"), name="certificate_number_once"),
            # One certificate per trainee per class: a re-issue replaces the record, it is not a second one.
            models.UniqueConstraint(
                fields=("enrollment",), condition=Q(enrollment__isnull=False), name="certificate_per_enrollment"
            ),
        ]
        indexes = [models.Index(fields=("person", "issued_on"), name="certificate_person_day")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class LedgerEntry(models.Model):
    """The training ledger (台账) of a class, entered within 15 days after it ends (ASM-LEDGER)."""

    training_class = models.OneToOneField(
        "classes.TrainingClass", verbose_name="培训班", on_delete=models.PROTECT, related_name="ledger"
    )
    entered_on = models.DateField("录入日期")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", on_delete=models.PROTECT, related_name="+"
    )
    trainees = models.PositiveIntegerField("培训人数")
    certified = models.PositiveIntegerField("取证人数")
    notes = models.TextField("说明", blank=True, default="")

    class Meta:
        verbose_name = "培训台账"
        verbose_name_plural = "培训台账"

    def __str__(self) -> str:
        return f"{self.training_class_id} 台账 {self.entered_on}"
