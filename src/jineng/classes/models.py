"""A subsidised class (开班申请), its teachers, its roster and the record of every review step.

The state field is never assigned outside `jineng.classes.workflow`; services move it through the
declared transitions and bump `version` (optimistic locking) in the same UPDATE.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from jineng.crypto import EncryptedJSONField


class ClassState(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交，待行业部门初审"
    DEPT_FIRST = "dept_first", "行业部门初审通过，待复核"
    DEPT_APPROVED = "dept_approved", "行业部门复核通过，待人社初审"
    HR_FIRST = "hr_first", "人社初审通过，待复核"
    APPROVED = "approved", "已批准开班"
    ENDED = "ended", "已结业"
    RETURNED = "returned", "退回修改"
    REJECTED = "rejected", "不予批准"


# States whose trainees count as "in a subsidised training" for TRN-COOLDOWN at other classes:
# approved (in training) and ended (training over, assessment and subsidy to follow).
COUNTED_STATES = (ClassState.APPROVED, ClassState.ENDED)


class TrainingType(models.TextChoices):
    EMPLOYMENT = "employment", "就业技能培训"
    UPGRADE = "upgrade", "岗位技能提升培训"
    APPRENTICESHIP = "apprenticeship", "企业新型学徒制培训"
    ENTREPRENEURSHIP = "entrepreneurship", "创业培训"
    TRANSFER = "transfer", "转岗培训"


class Certificate(models.TextChoices):
    VOCATIONAL_QUALIFICATION = "vocational_qualification", "职业资格证书"
    SKILL_LEVEL = "skill_level", "职业技能等级证书"
    SPECIAL_OPERATION = "special_operation", "特种作业操作证"
    SPECIAL_EQUIPMENT = "special_equipment", "特种设备作业人员证"
    SPECIAL_CAPABILITY = "special_capability", "专项职业能力证书"
    TRAINING_QUALIFIED = "training_qualified", "培训合格证书"


class Level(models.IntegerChoices):
    FIVE = 5, "五级/初级工"
    FOUR = 4, "四级/中级工"
    THREE = 3, "三级/高级工"
    TWO = 2, "二级/技师"
    ONE = 1, "一级/高级技师"


class SpecialAction(models.IntegerChoices):
    # 二(一)1–10 of the plan, named as the plan data names them (jineng/plan/data).
    MANUFACTURING = 1, "新兴制造业技能人才培养专项行动"
    SERVICES = 2, "现代服务业技能培训专项行动"
    RURAL = 3, "乡村振兴技能人才培养专项行动"
    HIGH_RISK = 4, "高危行业技能人才培养专项行动"
    NATURE = 5, "自然保护技能人才培养专项行动"
    KEY_GROUPS = 6, "重点群体技能培训专项行动"
    COLLEGES = 7, "职业院校技能培训专项行动"
    HR_BRANDS = 8, "人力资源品牌培训专项行动"
    HIGH_SKILL = 9, "高技能人才培训专项行动"
    CONTESTS = 10, "职业技能竞赛培训专项行动"


class TrainingClass(models.Model):
    code = models.CharField("班级编号", max_length=32, unique=True)
    name = models.CharField("班级名称", max_length=200)
    institution = models.ForeignKey(
        "registry.Institution", verbose_name="培训机构", on_delete=models.PROTECT, related_name="classes"
    )
    occupation = models.ForeignKey("registry.Occupation", verbose_name="职业（工种）", on_delete=models.PROTECT)
    level = models.PositiveSmallIntegerField("等级", choices=Level.choices, null=True, blank=True)
    training_type = models.CharField("培训类型", max_length=20, choices=TrainingType.choices)
    certificate = models.CharField("证书路径", max_length=32, choices=Certificate.choices)
    subsidised = models.BooleanField("补贴性培训", default=True)
    special_action = models.PositiveSmallIntegerField("专项行动", choices=SpecialAction.choices, null=True, blank=True)
    lead_department = models.ForeignKey(
        "registry.OrgUnit", verbose_name="行业主管部门", on_delete=models.PROTECT, related_name="led_classes"
    )
    area = models.ForeignKey(
        "registry.OrgUnit", verbose_name="县（市、区）", on_delete=models.PROTECT, related_name="area_classes"
    )
    start = models.DateField("开班日期")
    end = models.DateField("结业日期")
    minutes_per_hour = models.PositiveSmallIntegerField("每课时分钟数", default=45)
    hours_theory = models.PositiveSmallIntegerField("理论课时（含线上）", default=0)
    hours_practical = models.PositiveSmallIntegerField("实操课时", default=0)
    hours_online = models.PositiveSmallIntegerField("线上理论课时", default=0)
    online_platform = models.ForeignKey(
        "registry.OnlinePlatform", verbose_name="线上平台", on_delete=models.PROTECT, null=True, blank=True
    )
    workstations = models.PositiveSmallIntegerField("工位数", default=0)
    enterprise_name = models.CharField("学徒制合作企业", max_length=200, blank=True, default="")
    enterprise_uscc = models.CharField("企业统一社会信用代码", max_length=18, blank=True, default="")
    cross_city_approval = models.BooleanField("已获省级跨市办班批准", default=False)
    state = models.CharField(
        "状态", max_length=16, choices=ClassState.choices, default=ClassState.DRAFT, editable=False
    )
    version = models.PositiveIntegerField("版本", default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提交人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    state_since = models.DateTimeField("进入当前状态时间", null=True, blank=True)

    class Meta:
        verbose_name = "培训班"
        verbose_name_plural = "培训班"
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=("state", "area"), name="class_state_area"),
            models.Index(fields=("state", "lead_department"), name="class_state_dept"),
            models.Index(fields=("institution", "start"), name="class_inst_start"),
            # The lists' order (newest first): a page comes off the index, not a sort of the scope.
            models.Index(fields=("created_at", "id"), name="class_created_order"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="class_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def hours_total(self) -> int:
        return self.hours_theory + self.hours_practical


class Teacher(models.Model):
    training_class = models.ForeignKey(TrainingClass, on_delete=models.CASCADE, related_name="teachers")
    name = models.CharField("姓名", max_length=50)
    certified = models.BooleanField("持教师资格/职业资格证书", default=False)
    certificate_no = models.CharField("证书编号", max_length=64, blank=True, default="")

    class Meta:
        verbose_name = "教师"
        verbose_name_plural = "教师"
        ordering = ("id",)

    def __str__(self) -> str:
        return self.name


class Enrollment(models.Model):
    """One roster entry: a person in a class, with what the person declared for this class."""

    training_class = models.ForeignKey(TrainingClass, on_delete=models.CASCADE, related_name="enrollments")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="enrollments")
    row = models.PositiveIntegerField("序号")
    category = models.CharField("人员类别", max_length=24)
    student = models.JSONField(null=True, blank=True)
    employee = models.JSONField(null=True, blank=True)
    inmate = models.JSONField(null=True, blank=True)
    questionnaire = models.JSONField("开班前问卷", null=True, blank=True)
    assessed_on = models.DateField("结业考核日期", null=True, blank=True)

    class Meta:
        verbose_name = "学员"
        verbose_name_plural = "花名册"
        ordering = ("row",)
        constraints = [
            models.UniqueConstraint(fields=("training_class", "person"), name="enrollment_person_once"),
        ]
        # The cooldown query reads every enrollment of the roster's persons: person first.
        indexes = [models.Index(fields=("person", "training_class"), name="enrollment_person_class")]

    def __str__(self) -> str:
        return f"{self.training_class.code} · {self.person}"


class ReviewStep(models.Model):
    """One act on the application (submit, sign, return, reject) and the findings as they stood."""

    class Action(models.TextChoices):
        SUBMIT = "submit", "提交"
        DEPT_FIRST = "dept_first", "行业部门初审"
        DEPT_SECOND = "dept_second", "行业部门复核"
        HR_FIRST = "hr_first", "人社初审"
        HR_SECOND = "hr_second", "人社复核"
        RETURN = "return", "退回修改"
        REJECT = "reject", "不予批准"
        END = "end", "结业"

    training_class = models.ForeignKey(TrainingClass, on_delete=models.PROTECT, related_name="steps")
    action = models.CharField("操作", max_length=16, choices=Action.choices)
    from_state = models.CharField("原状态", max_length=16, choices=ClassState.choices)
    to_state = models.CharField("新状态", max_length=16, choices=ClassState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, related_name="+"
    )
    actor_role = models.CharField("角色", max_length=32)
    at = models.DateTimeField("时间")
    opinion = models.TextField("意见", blank=True, default="")
    reasons = models.JSONField("退回/不予批准理由", default=list, blank=True)
    class_version = models.PositiveIntegerField("班级版本")
    decision = models.CharField("规则结论", max_length=8)
    # Encrypted at rest (jineng.crypto): the findings name trainees by resident ID.
    findings = EncryptedJSONField("当时的规则核查结果", purpose="review_findings", default=list)
    policy = models.CharField("政策", max_length=40)

    class Meta:
        verbose_name = "审核记录"
        verbose_name_plural = "审核记录"
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.training_class_id} {self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"
