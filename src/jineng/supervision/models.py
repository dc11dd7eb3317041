"""Process supervision of a class in training (二(三)2, 二(三)1): the class timetable, face
check-ins, make-up sessions, video segments, inspections, the satisfaction survey and the
suspension it may bring.

Check-ins are the largest stream: the table is written only by set-based loads (one COPY of
checked rows, see jineng.supervision.ingest), never by a save per row, so it carries no more
indexes than its two needs: idempotency (the key) and per-class attendance.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class HourKind(models.TextChoices):
    THEORY = "theory", "理论"
    PRACTICAL = "practical", "实操"
    ONLINE = "online", "线上理论"


class ClassHour(models.Model):
    """One class hour of the timetable (课表), the unit of attendance and of video supervision."""

    training_class = models.ForeignKey("classes.TrainingClass", on_delete=models.CASCADE, related_name="hours")
    seq = models.PositiveSmallIntegerField("课时序号")
    kind = models.CharField("类型", max_length=12, choices=HourKind.choices)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    topic = models.CharField("内容", max_length=200, blank=True, default="")

    class Meta:
        verbose_name = "课时"
        verbose_name_plural = "课表"
        ordering = ("training_class", "seq")
        constraints = [
            models.UniqueConstraint(fields=("training_class", "seq"), name="class_hour_seq_once"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="class_hour_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.training_class_id} 第{self.seq}课时"


class DeviceKey(models.Model):
    """A check-in device's own credential: only the SHA-256 of the secret is stored."""

    device = models.ForeignKey("registry.CheckinDevice", on_delete=models.CASCADE, related_name="keys")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField("密钥前缀", max_length=8, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta:
        verbose_name = "签到设备密钥"
        verbose_name_plural = "签到设备密钥"

    def __str__(self) -> str:
        return f"{self.device_id} {self.prefix}…"


class CheckInBatch(models.Model):
    """One push or one offline import: who sent what, and what it added."""

    class Source(models.TextChoices):
        PUSH = "push", "设备推送"
        IMPORT = "import", "离线导入"

    source = models.CharField("来源", max_length=8, choices=Source.choices)
    device = models.ForeignKey(
        "registry.CheckinDevice", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    filename = models.CharField("文件名", max_length=200, blank=True, default="")
    received_at = models.DateTimeField("接收时间")
    rows = models.PositiveIntegerField("行数", default=0)
    inserted = models.PositiveIntegerField("新增", default=0)
    duplicates = models.PositiveIntegerField("重复（已忽略）", default=0)

    class Meta:
        verbose_name = "签到批次"
        verbose_name_plural = "签到批次"

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.received_at:%Y-%m-%d %H:%M} {self.inserted}/{self.rows}"


class CheckIn(models.Model):
    """One face check-in event as the device reported it (SUP-FACE-CHECKIN).

    A batch of a million events is one COPY into this table (jineng.supervision.ingest), so the
    table carries only what its key and its one read need: a million rows in file order took
    7.2 s to COPY into the first version of it, and take 3.4 s into this one.

    - The key is the event's own identity, (device, device event id): the constraint that makes
      a re-sent event the same row is the primary key, with no surrogate id and its index beside
      it (0.7 s).
    - The references carry no database foreign keys (`db_constraint=False`): PostgreSQL checks a
      foreign key with a trigger per inserted row, and four of them made the load six times
      slower. Events come in only through the ingest, which resolves every reference in the same
      transaction, with the batch's devices locked, and refuses the batch if one is missing;
      deleting a referenced row is still refused by the ORM (PROTECT).
    - Nor single-column indexes (`db_index=False`, 3 s for the four): nothing reads check-ins by
      person or batch alone, and the key and the class index start with device and class.
    - One index for the one read, a trainee's check-ins in a class around a class hour (the
      attendance grid's probe in selectors.valid_checkin_sql; a class's check-in list in
      api_checkins). An 80 × 80 attendance grid takes 28 ms with the time in it, 68 ms without
      (the probe then reads all the trainee's check-ins in the class) and 1.9 s with the class
      alone; the time adds under 0.1 s to the COPY of a million rows in key order.
    """

    pk = models.CompositePrimaryKey("device", "device_event_id")
    device = models.ForeignKey(
        "registry.CheckinDevice", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    device_event_id = models.CharField("设备事件号", max_length=64)
    training_class = models.ForeignKey(
        "classes.TrainingClass", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    at = models.DateTimeField("签到时间")
    match_score = models.FloatField("比对分值")
    liveness = models.BooleanField("活体检测通过")
    batch = models.ForeignKey(
        CheckInBatch, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )

    class Meta:
        verbose_name = "人脸签到"
        verbose_name_plural = "人脸签到"
        constraints = [
            models.CheckConstraint(condition=Q(match_score__gte=0) & Q(match_score__lte=1), name="checkin_score_0_1"),
        ]
        indexes = [models.Index(fields=("training_class", "person", "at"), name="checkin_class_person_at")]

    def __str__(self) -> str:
        return f"{self.device_id}/{self.device_event_id}"


class MakeUp(models.Model):
    """A make-up session for a missed class hour (SUP-MAKEUP): counts once held before the assessment."""

    enrollment = models.ForeignKey("classes.Enrollment", on_delete=models.PROTECT, related_name="makeups")
    class_hour = models.ForeignKey(ClassHour, on_delete=models.PROTECT, related_name="makeups")
    held_at = models.DateTimeField("补课时间")
    minutes = models.PositiveSmallIntegerField("补课时长（分钟）")
    video_ref = models.CharField("补课录像/记录", max_length=300)
    notes = models.TextField("说明", blank=True, default="")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间")

    class Meta:
        verbose_name = "补课记录"
        verbose_name_plural = "补课记录"
        constraints = [models.UniqueConstraint(fields=("enrollment", "class_hour"), name="makeup_hour_once")]

    def __str__(self) -> str:
        return f"{self.enrollment_id} 补第{self.class_hour_id}课时"


class VideoSegment(models.Model):
    """Metadata of one recorded segment; the video itself stays in the institution's storage."""

    training_class = models.ForeignKey("classes.TrainingClass", on_delete=models.PROTECT, related_name="videos")
    class_hour = models.ForeignKey(ClassHour, on_delete=models.PROTECT, null=True, blank=True, related_name="videos")
    camera = models.CharField("摄像头", max_length=64)
    kind = models.CharField("类型", max_length=12, choices=HourKind.choices)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    all_visible = models.BooleanField("显示全体参训人员")
    storage_ref = models.CharField("存储位置", max_length=300)
    retain_until = models.DateField("留存至")
    deleted_at = models.DateTimeField("删除时间", null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间")

    class Meta:
        verbose_name = "培训录像"
        verbose_name_plural = "培训录像"
        ordering = ("starts_at", "id")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="video_ends_after_start"),
        ]
        indexes = [models.Index(fields=("retain_until",), name="video_retain_until")]

    def __str__(self) -> str:
        return f"{self.camera} {self.starts_at:%Y-%m-%d %H:%M}"


class Inspection(models.Model):
    """An on-site inspection, a random check, or effective remote video supervision (SUP-INSPECTION)."""

    class Kind(models.TextChoices):
        ONSITE = "onsite", "实地检查"
        RANDOM = "random", "随机抽查"
        REMOTE = "remote", "远程视频监管"

    training_class = models.ForeignKey("classes.TrainingClass", on_delete=models.PROTECT, related_name="inspections")
    kind = models.CharField("方式", max_length=8, choices=Kind.choices)
    at = models.DateTimeField("检查时间")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    inspector_org = models.ForeignKey("registry.OrgUnit", on_delete=models.PROTECT, related_name="+")
    present_count = models.PositiveIntegerField("实到人数")
    teachers_present = models.PositiveSmallIntegerField("在岗教师数")
    notes = models.TextField("检查情况", blank=True, default="")
    photo_refs = models.JSONField("照片", default=list, blank=True)
    recorded_at = models.DateTimeField("登记时间")

    class Meta:
        verbose_name = "检查记录"
        verbose_name_plural = "检查记录"
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.training_class_id} {self.get_kind_display()} {self.at:%Y-%m-%d}"


class SatisfactionResponse(models.Model):
    """One trainee's answers to the satisfaction survey after training (SUP-SATISFACTION)."""

    enrollment = models.OneToOneField("classes.Enrollment", on_delete=models.PROTECT, related_name="satisfaction")
    satisfied = models.BooleanField("满意")
    answers = models.JSONField("问卷答案", default=dict, blank=True)
    answered_at = models.DateTimeField("填写时间")

    class Meta:
        verbose_name = "满意度调查"
        verbose_name_plural = "满意度调查"

    def __str__(self) -> str:
        return f"{self.enrollment_id} {'满意' if self.satisfied else '不满意'}"


class Suspension(models.Model):
    """The class's assessment suspended for low satisfaction, the choice made, and the rectification."""

    class Remedy(models.TextChoices):
        PENDING = "pending", "待决定"
        RETRAIN = "retrain", "重新培训"
        CANCEL = "cancel", "取消补贴"

    training_class = models.ForeignKey("classes.TrainingClass", on_delete=models.PROTECT, related_name="suspensions")
    rule = models.CharField("规则", max_length=32, default="SUP-SATISFACTION")
    rate = models.DecimalField("满意率", max_digits=5, decimal_places=4)
    responses = models.PositiveIntegerField("有效问卷数")
    opened_at = models.DateTimeField("暂停时间")
    remedy = models.CharField("处理方式", max_length=8, choices=Remedy.choices, default=Remedy.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    rectify_until = models.DateField("整改期至", null=True, blank=True)
    closed_at = models.DateTimeField("解除时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField("整改说明", blank=True, default="")

    class Meta:
        verbose_name = "暂停考核与整改"
        verbose_name_plural = "暂停考核与整改"
        ordering = ("opened_at", "id")
        constraints = [
            # At most one open suspension per class: a second survey result updates the open one.
            models.UniqueConstraint(
                fields=("training_class",), condition=Q(closed_at__isnull=True), name="suspension_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.training_class_id} {self.get_remedy_display()}"
