"""Admin of online training: the course catalog (system administrator); keys, batches and results
read-only — keys are issued by `issue_platform_key` (the secret is shown once), batches and
results are written only by the push service, and a result is recomputed, never edited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest

from jineng.accounts.models import Role
from jineng.ids import mask_ric
from jineng.registry.models import Person

from .models import EventBatch, OnlineCourse, OnlineResult, PlatformKey


def _system_admin(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_staff and getattr(user, "role", None) == Role.SYS_ADMIN)


class _SystemAdminOnly(admin.ModelAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return _system_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _system_admin(request)


class _ReadOnly(_SystemAdminOnly):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OnlineCourse)
class OnlineCourseAdmin(_SystemAdminOnly):
    list_display = ("code", "name", "platform", "hour_minutes", "lessons")
    list_filter = ("platform",)
    search_fields = ("code", "name")
    filter_horizontal = ("classes",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _system_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _system_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _system_admin(request)


@admin.register(PlatformKey)
class PlatformKeyAdmin(_ReadOnly):
    list_display = ("platform", "prefix", "created_at", "revoked_at")
    list_filter = ("platform",)


@admin.register(EventBatch)
class EventBatchAdmin(_ReadOnly):
    list_display = ("platform", "batch_id", "received_at", "events", "inserted")
    list_filter = ("platform",)
    search_fields = ("batch_id",)
    date_hierarchy = "received_at"


@admin.register(OnlineResult)
class OnlineResultAdmin(_ReadOnly):
    list_display = ("masked_learner", "course", "recognised", "study_minutes", "events", "audited_at", "policy")
    list_filter = ("recognised", "policy")
    search_fields = ("course",)  # not by resident ID: the list shows them masked
    fields = ("masked_learner", "course", "recognised", "study_minutes", "events", "findings", "audited_at", "policy")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[OnlineResult]:
        # Only the keyed hash is stored: the ID comes from the registry (one subquery, not a query
        # per row), decrypted by the field it is read through.
        registered = Person.objects.filter(id_hash=OuterRef("learner")).values("id_number")[:1]
        return super().get_queryset(request).annotate(registered_id_number=Subquery(registered))

    @admin.display(description="学员身份证号")
    def masked_learner(self, obj: OnlineResult) -> str:
        number = getattr(obj, "registered_id_number", None)
        return mask_ric(number) if number else "（未登记人员）"
