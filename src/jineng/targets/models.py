"""Targets of a plan year as records, the registers the plan's other indicators read, and the
progress facts the dashboards and bulletins sum.

Targets are loaded from the shipped plan data (`jineng.plan`, annex 1/2 and the ten special
actions) by `targets_sync` and can be adjusted in the admin (annex 2 note 1: a higher provincial
figure replaces the guide figure). Progress is not computed from the base tables on every page:
`ProgressFact` holds the year's counts by month × area × lead department × special action,
rebuilt set-based by `progress_refresh` (see jineng.targets.progress) so a dashboard over millions
of enrollments sums a few thousand rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Indicator(models.TextChoices):
    # The six columns of annex 1 (plan.loader.COLUMNS), in persons or person-times.
    TRAINING = "training", "职业技能培训（人次）"
    SUBSIDISED = "subsidised", "补贴性职业技能培训（人次）"
    NEW_SKILLED = "new_skilled", "新增技能人才（人）"
    NEW_HIGH_SKILLED = "new_high_skilled", "新增高技能人才（人）"
    TECHNICIANS = "technicians", "新增技师和高级技师（人）"
    APPRENTICES = "apprentices", "企业新型学徒制培训（人）"


class Scope(models.TextChoices):
    CITY = "city", "全市"
    AREA = "area", "县（市、区）"
    DEPARTMENT = "department", "行业系统"
    ACTION = "action", "专项行动"


class Target(models.Model):
    """One figure of the plan: a year, a scope (city / an area / a department / a special action),
    an indicator and its value in persons (万 × 10,000)."""

    year = models.PositiveSmallIntegerField("年度")
    scope = models.CharField("范围", max_length=12, choices=Scope.choices)
    unit = models.ForeignKey(
        "registry.OrgUnit", verbose_name="单位", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.PositiveSmallIntegerField("专项行动", null=True, blank=True)
    indicator = models.CharField("指标", max_length=20, choices=Indicator.choices)
    value = models.PositiveIntegerField("目标值（人/人次）")
    source = models.CharField("依据", max_length=100, default="")

    class Meta:
        verbose_name = "目标任务"
        verbose_name_plural = "目标任务"
        ordering = ("year", "scope", "unit", "action", "indicator")
        constraints = [
            # One figure per year, place and indicator (partial indexes: unit and action are null
            # where the scope has none, and NULLs never collide in a plain unique index).
            models.UniqueConstraint(fields=("year", "indicator"), condition=Q(scope="city"), name="target_once_city"),
            models.UniqueConstraint(
                fields=("year", "unit", "indicator"), condition=Q(unit__isnull=False), name="target_once_unit"
            ),
            models.UniqueConstraint(
                fields=("year", "action", "indicator"), condition=Q(action__isnull=False), name="target_once_action"
            ),
            models.CheckConstraint(
                condition=(
                    Q(scope="city", unit__isnull=True, action__isnull=True)
                    | Q(scope__in=("area", "department"), unit__isnull=False, action__isnull=True)
                    | Q(scope="action", unit__isnull=True, action__isnull=False)
                ),
                name="target_scope_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_scope_display()} {self.get_indicator_display()} {self.value}"


class Competition(models.Model):
    """A skill competition held (职业技能竞赛, 二(一)10): IND-COMPETITIONS."""

    name = models.CharField("竞赛名称", max_length=200)
    held_on = models.DateField("举办日期")
    organiser = models.ForeignKey(
        "registry.OrgUnit", verbose_name="主办单位", on_delete=models.PROTECT, related_name="+"
    )
    occupations = models.ManyToManyField("registry.Occupation", verbose_name="竞赛职业（工种）", related_name="+")
    contestants = models.PositiveIntegerField("参赛人数")
    certified = models.PositiveIntegerField("取得职业资格或职业技能等级证书人数")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "职业技能竞赛"
        verbose_name_plural = "职业技能竞赛"
        ordering = ("-held_on", "-id")
        constraints = [
            models.CheckConstraint(condition=Q(certified__lte=models.F("contestants")), name="competition_certified")
        ]

    def __str__(self) -> str:
        return self.name


class EvaluationFiling(models.Model):
    """An employer's skill-level recognition institution newly filed (备案): IND-EVAL-INSTITUTIONS."""

    name = models.CharField("用人单位名称", max_length=200)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    area = models.ForeignKey(
        "registry.OrgUnit", verbose_name="县（市、区）", on_delete=models.PROTECT, related_name="+"
    )
    filed_on = models.DateField("备案日期")
    occupations = models.PositiveSmallIntegerField("认定职业（工种）数", default=1)

    class Meta:
        verbose_name = "职业技能等级认定机构备案"
        verbose_name_plural = "职业技能等级认定机构备案"
        ordering = ("-filed_on", "-id")

    def __str__(self) -> str:
        return self.name


class PublicityReport(models.Model):
    """A media report on the plan (三(四)): IND-PUBLICITY counts them by unit and media level."""

    class Level(models.IntegerChoices):
        COUNTY = 1, "县级媒体"
        CITY = 2, "市级媒体"
        PROVINCE = 3, "省级媒体"
        NATIONAL = 4, "国家级媒体"

    unit = models.ForeignKey("registry.OrgUnit", verbose_name="发布单位", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("标题", max_length=200)
    media = models.CharField("媒体", max_length=100)
    level = models.PositiveSmallIntegerField("媒体级别", choices=Level.choices)
    published_on = models.DateField("发布日期")
    url = models.URLField("链接", blank=True, default="")

    class Meta:
        verbose_name = "宣传报道"
        verbose_name_plural = "宣传报道"
        ordering = ("-published_on", "-id")

    def __str__(self) -> str:
        return self.title


class Measure(models.TextChoices):
    """What one progress fact counts (the IND-* definitions, jineng.targets.progress)."""

    TRAINING = "training", "培训人次"
    SUBSIDISED = "subsidised", "补贴性培训人次"
    SUBSIDISED_MANUFACTURING = "subsidised_mfg", "制造业补贴性培训人次"
    APPRENTICES = "apprentices", "新型学徒制培训人次"
    NEW_SKILLED = "new_skilled", "新增技能人才"
    NEW_HIGH_SKILLED = "new_high_skilled", "新增高技能人才"
    TECHNICIANS = "technicians", "新增技师和高级技师"
    CERTIFICATES = "certificates", "取证数"
    CERTIFICATES_LOW = "certificates_low", "专项职业能力证书和培训合格证书数"
    VOUCHERS_ISSUED = "vouchers_issued", "发放职业培训券"
    VOUCHERS_USED = "vouchers_used", "有效使用职业培训券"


class ProgressFact(models.Model):
    """A count of one measure on one day for one area × lead department × special action.
    Rebuilt per year by `progress_refresh`; never edited. Days, not months, so a weekly bulletin
    ends on its Sunday; the rows stay few (one per class end or certificate day and cohort)."""

    year = models.PositiveSmallIntegerField()
    day = models.DateField()
    area = models.ForeignKey(
        "registry.OrgUnit", on_delete=models.DO_NOTHING, null=True, related_name="+", db_constraint=False
    )
    department = models.ForeignKey(
        "registry.OrgUnit", on_delete=models.DO_NOTHING, null=True, related_name="+", db_constraint=False
    )
    action = models.PositiveSmallIntegerField(null=True)
    measure = models.CharField(max_length=20, choices=Measure.choices)
    value = models.PositiveIntegerField()

    class Meta:
        verbose_name = "进度汇总"
        verbose_name_plural = "进度汇总"
        indexes = [models.Index(fields=("year", "day"), name="progress_year_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.measure} {self.value}"


class ProgressRefresh(models.Model):
    """When the facts of a year were last rebuilt, and how long it took."""

    year = models.PositiveSmallIntegerField(unique=True)
    refreshed_at = models.DateTimeField()
    seconds = models.FloatField()
    rows = models.PositiveIntegerField()

    class Meta:
        verbose_name = "进度汇总刷新"
        verbose_name_plural = "进度汇总刷新"

    def __str__(self) -> str:
        return f"{self.year} {self.refreshed_at:%Y-%m-%d %H:%M}"
