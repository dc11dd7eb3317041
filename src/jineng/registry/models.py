"""Catalogs: organisations, institutions (目录清单), occupations, platforms, devices, persons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.db.models import Q

from jineng.crypto import BlindIndexField, EncryptedTextField, search_key, search_keys
from jineng.ids import mask_phone, mask_ric


class OrgUnit(models.Model):
    class Kind(models.TextChoices):
        CITY = "city", "市"
        AREA = "area", "县（市、区）"
        DEPARTMENT = "department", "行业主管部门"
        BUREAU = "bureau", "其他市直单位"

    key = models.SlugField("标识", max_length=40, unique=True)
    kind = models.CharField("类别", max_length=16, choices=Kind.choices)
    name = models.CharField("名称", max_length=100)
    region_code = models.CharField("行政区划代码", max_length=6, blank=True, default="")
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    seq = models.PositiveSmallIntegerField("序号", default=0)

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ("kind", "seq", "key")

    def __str__(self) -> str:
        return self.name


class Occupation(models.Model):
    """An occupation (工种) of the national classification (2022), or a special-operation item."""

    code = models.CharField("职业编码", max_length=20, unique=True)
    name = models.CharField("职业（工种）名称", max_length=100)
    class_code = models.CharField("职业小类编码", max_length=12, db_index=True)
    major_group = models.PositiveSmallIntegerField("大类", default=0)
    catalog = models.CharField("目录", max_length=24, default="classification")
    manufacturing = models.BooleanField("制造业", default=False)
    certificate_routes = models.JSONField("证书路径", default=list)
    levels = models.JSONField("等级", default=list)
    set_hours = models.PositiveSmallIntegerField("规定课时", null=True, blank=True)
    actions = models.JSONField("对应专项行动", default=list)
    active = models.BooleanField("有效", default=True)

    class Meta:
        verbose_name = "职业"
        verbose_name_plural = "职业"
        ordering = ("code",)

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Institution(models.Model):
    class Kind(models.TextChoices):
        TRAINING_SCHOOL = "training_school", "职业培训学校"
        TECHNICAL_SCHOOL = "technical_school", "技工院校"
        VOCATIONAL_COLLEGE = "vocational_college", "职业院校"
        UNIVERSITY = "university", "普通高校"
        ENTERPRISE_CENTER = "enterprise_center", "企业培训中心"
        EVALUATION_BODY = "evaluation_body", "评价机构"

    name = models.CharField("机构名称", max_length=200)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    kind = models.CharField("类别", max_length=24, choices=Kind.choices)
    area = models.ForeignKey(
        OrgUnit, verbose_name="所在县（市、区）", on_delete=models.PROTECT, related_name="institutions"
    )
    home_city = models.CharField("注册地（市）区划代码", max_length=6, default="411000")
    academic_education = models.BooleanField("具备学制教育资格", default=False)
    has_site = models.BooleanField("有培训场地", default=True)
    has_facilities = models.BooleanField("有培训设施", default=True)
    active = models.BooleanField("有效", default=True)

    class Meta:
        verbose_name = "机构"
        verbose_name_plural = "机构（目录清单）"
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class InstitutionSpecialty(models.Model):
    """An occupation the institution is catalogued for, from the date it was (lawfully) added."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="specialties")
    occupation = models.ForeignKey(Occupation, on_delete=models.PROTECT, related_name="+")
    effective_from = models.DateField("生效日期")
    effective_to = models.DateField("失效日期", null=True, blank=True)

    class Meta:
        verbose_name = "目录专业"
        verbose_name_plural = "目录专业"
        constraints = [
            models.UniqueConstraint(fields=("institution", "occupation", "effective_from"), name="specialty_once"),
        ]

    def __str__(self) -> str:
        return f"{self.occupation}（{self.effective_from} 起）"


class BlacklistEntry(models.Model):
    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="blacklist_entries")
    reason = models.TextField("原因")
    listed_on = models.DateField("列入日期")
    listed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="列入人"
    )
    lifted_on = models.DateField("移出日期", null=True, blank=True)

    class Meta:
        verbose_name = "黑名单记录"
        verbose_name_plural = "黑名单"

    def __str__(self) -> str:
        return f"{self.institution} · {self.listed_on}"

    def in_force(self, day: dt.date) -> bool:
        return self.listed_on <= day and (self.lifted_on is None or self.lifted_on > day)


class AuditProblem(models.Model):
    """A problem found by audit or inspection; an obvious one bars subsidised training (CLS-INSTITUTION-BARRED)."""

    class Source(models.TextChoices):
        AUDIT = "audit", "审计"
        INSPECTION = "inspection", "督导检查"

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="audit_problems")
    source = models.CharField("来源", max_length=16, choices=Source.choices)
    found_on = models.DateField("发现日期")
    obvious = models.BooleanField("明显问题", default=True)
    description = models.TextField("问题描述")

    class Meta:
        verbose_name = "审计/检查问题"
        verbose_name_plural = "审计/检查问题"

    def __str__(self) -> str:
        return f"{self.institution} · {self.found_on} · {self.get_source_display()}"


class OnlinePlatform(models.Model):
    code = models.SlugField("平台标识", max_length=40, unique=True)
    name = models.CharField("平台名称", max_length=200)
    listed = models.BooleanField("列入目录", default=True)
    connected = models.BooleanField("已接入省级监管平台", default=True)

    class Meta:
        verbose_name = "线上培训平台"
        verbose_name_plural = "线上培训平台"

    def __str__(self) -> str:
        return self.name


class CheckinDevice(models.Model):
    serial = models.CharField("设备编号", max_length=64, unique=True)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="devices")
    name = models.CharField("名称/位置", max_length=100, blank=True, default="")
    active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = "人脸签到设备"
        verbose_name_plural = "人脸签到设备"

    def __str__(self) -> str:
        return f"{self.serial} {self.name}".strip()


RIC_PURPOSE = "ric"  # the purpose resident IDs are sealed and indexed under (jineng.crypto)


def ric_key(number: str) -> str:
    """The keyed hash a resident ID is found by, whatever its notation (spaces, a lower-case x)."""
    return search_key(number, purpose=RIC_PURPOSE, normalise="ric")


def ric_keys(numbers: Iterable[str]) -> dict[str, str]:
    """{keyed hash: the ID as given} for many IDs at once (a roster, a list, findings' subjects)."""
    return search_keys(numbers, purpose=RIC_PURPOSE, normalise="ric")


class PersonQuerySet(models.QuerySet["Person"]):
    # The resident ID is stored encrypted (a fresh nonce each time, so never equal to another
    # ciphertext); equality goes through its keyed hash.
    def by_id_number(self, number: str) -> PersonQuerySet:
        return self.filter(id_hash=ric_key(number))

    def with_id_numbers(self, numbers: Iterable[str]) -> PersonQuerySet:
        return self.filter(id_hash__in=list(ric_keys(numbers)))


class Person(models.Model):
    """A worker, stored once by normalised resident ID (uppercase X).

    The ID and the phone are encrypted at rest (jineng.crypto); `id_hash`, the ID's keyed hash, is
    what finds a person by ID and what set-based SQL joins on.
    """

    class Category(models.TextChoices):
        UNEMPLOYED = "unemployed", "失业人员"
        MIGRANT_WORKER = "migrant_worker", "农民工"
        POVERTY_RELIEF = "poverty_relief", "脱贫人口"
        GRADUATE = "graduate", "离校未就业高校毕业生"
        STUDENT = "student", "在校学生"
        VETERAN = "veteran", "退役军人"
        DISABLED = "disabled", "残疾人"
        EMPLOYEE = "employee", "企业职工"
        COMMUNITY_CORRECTION = "community_correction", "社区矫正人员"
        DETOX = "detox", "戒毒人员"
        INMATE = "inmate", "服刑人员"
        OTHER = "other", "其他"

    id_number = EncryptedTextField("身份证号", purpose=RIC_PURPOSE)
    id_hash = BlindIndexField("身份证号索引", source="id_number", purpose=RIC_PURPOSE, normalise="ric")
    name = models.CharField("姓名", max_length=50)
    phone = EncryptedTextField("手机号", purpose="phone", blank=True, default="")
    category = models.CharField("人员类别", max_length=24, choices=Category.choices, default=Category.OTHER)
    student = models.JSONField("在校学生信息", null=True, blank=True)
    employee = models.JSONField("企业职工信息", null=True, blank=True)
    inmate = models.JSONField("服刑人员信息", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = "人员"
        constraints = [
            models.CheckConstraint(condition=~Q(id_hash=""), name="person_has_id"),
            # A constraint rather than unique=True: PostgreSQL then builds the one unique index,
            # without the pattern-matching copy it adds for a unique varchar field.
            models.UniqueConstraint(fields=("id_hash",), name="person_id_once"),
        ]

    def __str__(self) -> str:
        # Lists, logs and admin pages show the masked ID only.
        return f"{self.name}（{self.masked_id}）"

    @property
    def masked_id(self) -> str:
        return mask_ric(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)
