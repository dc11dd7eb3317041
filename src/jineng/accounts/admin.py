from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "role", "org", "institution", "is_active", "is_staff")
    list_filter = ("role", "is_active", "is_staff", "org__kind")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("角色与单位", {"fields": ("role", "org", "institution", "person")}),
    )
    raw_id_fields = ("person",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # tokens are issued by jineng.accounts.services.token_issue, which shows the secret once
