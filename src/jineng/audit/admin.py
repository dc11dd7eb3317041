from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from jineng.accounts.models import Role

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only, and only for the audit administrator: the system administrator cannot change or
    delete audit records (nor, being a separate role, read them here)."""

    list_display = ("at", "actor_name", "actor_role", "event", "object_type", "object_id", "object_repr")
    list_filter = ("event", "object_type")
    search_fields = ("object_id", "actor_name", "object_repr")
    date_hierarchy = "at"

    def has_module_permission(self, request: HttpRequest) -> bool:
        return getattr(request.user, "role", None) == Role.AUDIT_ADMIN and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
