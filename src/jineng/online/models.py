"""Online training (互联网+职业技能培训, 三(二)): the courses a class studies on a catalogued
platform, the learning events the platforms push, and the audit's result per learner × course.

Events are stored as pushed (de-duplicated by a digest of their parsed values, so a re-sent
batch or a re-sent event adds nothing); results are recomputed from them by the same engine as
`jineng audit-online` and decide later whether the online hours are payable.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class OnlineCourse(models.Model):
    platform = models.ForeignKey("registry.OnlinePlatform", on_delete=models.PROTECT, related_name="courses")
    code = models.CharField("课程标识", max_length=64, unique=True)
    name = models.CharField("课程名称", max_length=200)
    hour_minutes = models.PositiveSmallIntegerField("每课时分钟数", default=45)
    lessons = models.PositiveSmallIntegerField("课节数")
    classes = models.ManyToManyField("classes.TrainingClass", related_name="online_courses", blank=True)

    class Meta:
        verbose_name = "线上课程"
        verbose_name_plural = "线上课程"
        constraints = [models.CheckConstraint(condition=Q(hour_minutes__gt=0), name="course_hour_positive")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PlatformKey(models.Model):
    """A platform's own credential for pushing events: only the SHA-256 of the secret is stored."""

    platform = models.ForeignKey("registry.OnlinePlatform", on_delete=models.CASCADE, related_name="keys")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField("密钥前缀", max_length=8, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta:
        verbose_name = "平台密钥"
        verbose_name_plural = "平台密钥"

    def __str__(self) -> str:
        return f"{self.platform_id} {self.prefix}…"


class EventBatch(models.Model):
    """One pushed batch, keyed by the platform's batch id: a repeat returns the first answer."""

    platform = models.ForeignKey("registry.OnlinePlatform", on_delete=models.PROTECT, related_name="+")
    batch_id = models.CharField("批次号", max_length=64)
    digest = models.CharField("内容摘要", max_length=64)
    received_at = models.DateTimeField("接收时间")
    events = models.PositiveIntegerField("事件数")
    inserted = models.PositiveIntegerField("新增事件数")

    class Meta:
        verbose_name = "学习日志批次"
        verbose_name_plural = "学习日志批次"
        constraints = [models.UniqueConstraint(fields=("platform", "batch_id"), name="event_batch_once")]

    def __str__(self) -> str:
        return f"{self.platform_id}/{self.batch_id}"


class LearningEvent(models.Model):
    """One learning-log event, fields as in contracts/online-events.md — but for the learner.

    `learner` holds the keyed hash of the resident ID (the same as Person.id_hash), never the ID:
    the audit only groups by learner, and results reach names and IDs through the registry.
    """

    platform = models.ForeignKey("registry.OnlinePlatform", on_delete=models.PROTECT, related_name="+")
    learner = models.CharField("学员身份证号索引", max_length=64)
    course = models.CharField("课程", max_length=64)
    lesson = models.CharField("课节", max_length=64)
    lesson_seq = models.PositiveSmallIntegerField("课节序号")
    session = models.CharField("会话", max_length=64)
    event = models.CharField("事件", max_length=16)
    ts = models.DateTimeField("时间")
    position = models.FloatField("播放位置（秒）", null=True, blank=True)
    rate = models.FloatField("播放倍速", null=True, blank=True)
    # Digest of the parsed values: two rows with the same values are one event (the contract).
    key = models.CharField(max_length=32, unique=True, editable=False)
    batch = models.ForeignKey(EventBatch, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "学习日志事件"
        verbose_name_plural = "学习日志事件"
        # Multi-window is judged across a learner's courses, so the audit reads by learner.
        indexes = [models.Index(fields=("learner", "ts"), name="event_learner_ts")]

    def __str__(self) -> str:
        return f"{self.course} {self.event} {self.ts:%Y-%m-%d %H:%M:%S}"


class OnlineResult(models.Model):
    """The audit's verdict for one learner's course: recognised, study minutes, and why not.

    `learner` is the keyed hash of the resident ID, as on the events (Person.id_hash).
    """

    learner = models.CharField("学员身份证号索引", max_length=64)
    course = models.CharField("课程", max_length=64)
    recognised = models.BooleanField("学时认定")
    study_minutes = models.DecimalField("有效学习时长（分钟）", max_digits=9, decimal_places=1)
    findings = models.JSONField("违规情况", default=list)
    events = models.PositiveIntegerField("事件数")
    audited_at = models.DateTimeField("核查时间")
    policy = models.CharField("政策", max_length=40)

    class Meta:
        verbose_name = "线上学习核查结果"
        verbose_name_plural = "线上学习核查结果"
        constraints = [models.UniqueConstraint(fields=("learner", "course"), name="online_result_once")]

    def __str__(self) -> str:
        return f"{self.course} {'认定' if self.recognised else '不予认定'}"
