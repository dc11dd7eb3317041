from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from jineng.audit.services import audit_record

from .models import Competition, EvaluationFiling, PublicityReport, Target


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    # The value stays editable in the list: annex 2 note 1 lets a higher provincial figure replace
    # the guide figure; `targets_sync` leaves an edited figure alone unless the plan itself changes.
    list_display = ("year", "scope", "unit", "action", "indicator", "value", "source")
    list_display_links = ("year", "scope")
    list_editable = ("value",)
    list_filter = ("year", "scope", "indicator")
    search_fields = ("unit__name", "source")
    readonly_fields = ("year", "scope", "unit", "action", "indicator")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Targets come from the plan (`targets_sync`); the admin adjusts their values only.
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        old = Target.objects.filter(pk=obj.pk).values_list("value", flat=True).first() if obj.pk else None
        super().save_model(request, obj, form, change)
        if old != obj.value:
            audit_record(
                actor=request.user, event="target.adjust", obj=obj, changes={"value": (old, obj.value)}, note=str(obj)
            )


@admin.register(Competition)
class CompetitionAdmin(admin.ModelAdmin):
    list_display = ("held_on", "name", "organiser", "contestants", "certified", "recorded_by")
    list_filter = ("held_on", "organiser")
    search_fields = ("name",)
    autocomplete_fields = ("occupations",)
    readonly_fields = ("recorded_by",)
    date_hierarchy = "held_on"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # Who recorded it comes from the session, never typed in.
        if obj.recorded_by_id is None:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(EvaluationFiling)
class EvaluationFilingAdmin(admin.ModelAdmin):
    list_display = ("filed_on", "name", "uscc", "area", "occupations")
    list_filter = ("area",)
    search_fields = ("name", "uscc")
    date_hierarchy = "filed_on"


@admin.register(PublicityReport)
class PublicityReportAdmin(admin.ModelAdmin):
    list_display = ("published_on", "title", "unit", "media", "level")
    list_filter = ("level", "unit")
    search_fields = ("title", "media")
    date_hierarchy = "published_on"
