"""The audit log: append-only. Nobody — the system administrator included — changes or deletes a row.

Refused four times over: the model and its queryset raise on update/delete, the admin offers no
change or delete, on PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE on the table itself,
and the application's own database role (`jineng manage db_roles`) holds no UPDATE, DELETE or
TRUNCATE privilege on it. Whatever gets past all of that shows in the hash chain (`chain.py`):
every row is appended through `AuditEvent.save`, which gives it the next `seq` and its hash.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any, NoReturn

from django.conf import settings
from django.db import connections, models, router, transaction
from django.utils import timezone

from jineng.crypto import audit_seal_key

from .chain import GENESIS, LOCK_KEY, json_value, row_hash, row_seal


class AuditLogImmutable(Exception):
    pass


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AuditLogImmutable("审计日志不可修改")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditLogImmutable("审计日志不可删除")

    def bulk_create(
        self,
        objs: Iterable[AuditEvent],
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        update_fields: Collection[str] | None = None,
        unique_fields: Collection[str] | None = None,
    ) -> NoReturn:
        # bulk_create skips save(), so its rows would have no place in the chain.
        raise AuditLogImmutable("审计记录须逐条写入（audit_record），以串入哈希链")


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
    seq = models.BigIntegerField("序号", unique=True, editable=False)
    prev_hash = models.CharField("前一条的哈希", max_length=64, editable=False)
    hash = models.CharField("哈希", max_length=64, unique=True, editable=False)
    seal = models.CharField("封印", max_length=64, editable=False, default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计日志"
        ordering = ("-at", "-id")
        indexes = [models.Index(fields=("object_type", "object_id", "at"), name="audit_object_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.event} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or self.hash:
            raise AuditLogImmutable("审计日志不可修改")
        using = kwargs.get("using") or router.db_for_write(AuditEvent, instance=self)
        # savepoint=False: inside the caller's transaction this adds no round trips, and the
        # lock below is then held to the caller's commit, as it must be.
        with transaction.atomic(using=using, savepoint=False):
            connection = connections[using]
            if connection.vendor == "postgresql":
                # One writer at a time from reading the head to commit: the seq stays gap-free
                # and every row chains to the one committed before it. Audit writes come last in
                # most services, so the hold is short; a service that locks rows (select_for_update)
                # after its first audit write could deadlock with another on this lock.
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            # SQLite serialises writers by itself; a race there ends at the unique seq instead.
            head = AuditEvent.objects.using(using).order_by("-seq").values_list("seq", "hash").first()
            self.seq, self.prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS)
            self.changes = json_value(self.changes)  # stored as hashed: what jsonb gives back
            self.hash = row_hash(self.prev_hash, self.chain_content())
            self.seal = row_seal(audit_seal_key(), self.hash)
            kwargs["force_insert"] = True
            try:
                super().save(*args, **kwargs)
            except BaseException:
                self.hash = self.seal = ""  # not written: the instance may be saved again once the cause is gone
                raise

    def chain_content(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "actor_role": self.actor_role,
            "event": self.event,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "changes": self.changes,
            "note": self.note,
        }

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogImmutable("审计日志不可删除")
