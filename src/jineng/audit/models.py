"""The audit log: append-only. Nobody — the system administrator included — changes or deletes a row.

Refused three times over: the model and its queryset raise on update/delete, the admin offers no
change or delete, and on PostgreSQL a trigger refuses UPDATE and DELETE on the table itself.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditLogImmutable(Exception):
    pass


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AuditLogImmutable("审计日志不可修改")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditLogImmutable("审计日志不可删除")


class AuditEvent(models.Model):
    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField("操作人姓名", max_length=150, blank=True, default="")
    actor_role = models.CharField("操作人角色", max_length=32, blank=True, default="")
    event = models.CharField("事件", max_length=64, db_index=True)
    object_type = models.CharField("对象类型", max_length=64, db_index=True)
    object_id = models.CharField("对象编号", max_length=64, db_index=True)
    object_repr = models.CharField("对象", max_length=200, blank=True, default="")
    changes = models.JSONField("变更（原值 → 新值）", default=dict, blank=True)
    note = models.TextField("说明", blank=True, default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计日志"
        ordering = ("-at", "-id")
        indexes = [models.Index(fields=("object_type", "object_id", "at"), name="audit_object_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.event} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AuditLogImmutable("审计日志不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogImmutable("审计日志不可删除")
