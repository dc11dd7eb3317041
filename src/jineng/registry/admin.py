from __future__ import annotations

from django.contrib import admin

from .models import (
    AuditProblem,
    BlacklistEntry,
    CheckinDevice,
    Institution,
    InstitutionSpecialty,
    Occupation,
    OnlinePlatform,
    OrgUnit,
    Person,
)


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "key", "region_code", "parent")
    list_filter = ("kind",)
    search_fields = ("name", "key", "region_code")


@admin.register(Occupation)
class OccupationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "class_code", "manufacturing", "set_hours", "active")
    list_filter = ("manufacturing", "major_group", "catalog", "active")
    search_fields = ("code", "name")


class SpecialtyInline(admin.TabularInline):
    model = InstitutionSpecialty
    extra = 0
    autocomplete_fields = ("occupation",)


class BlacklistInline(admin.TabularInline):
    model = BlacklistEntry
    extra = 0
    fk_name = "institution"
    readonly_fields = ("listed_by",)


class AuditProblemInline(admin.TabularInline):
    model = AuditProblem
    extra = 0


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "uscc", "area", "home_city", "academic_education", "active")
    list_filter = ("kind", "area", "active", "academic_education")
    search_fields = ("name", "uscc")
    inlines = (SpecialtyInline, BlacklistInline, AuditProblemInline)

    def save_formset(self, request, form, formset, change):  # type: ignore[no-untyped-def]
        # Who put an institution on the blacklist is recorded from the session, never typed in.
        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, BlacklistEntry) and instance.listed_by_id is None:
                instance.listed_by = request.user
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


@admin.register(OnlinePlatform)
class OnlinePlatformAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "listed", "connected")


@admin.register(CheckinDevice)
class CheckinDeviceAdmin(admin.ModelAdmin):
    list_display = ("serial", "name", "institution", "active")
    list_filter = ("active",)
    search_fields = ("serial", "name")


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    """Persons are listed with masked IDs; search still works on the full number."""

    list_display = ("name", "masked_id", "masked_phone", "category")
    list_filter = ("category",)
    search_fields = ("=id_number", "name")
    exclude = ("student", "employee", "inmate")
    readonly_fields = ("id_number",)
