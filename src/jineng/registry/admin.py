from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

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
    ric_key,
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
    """Persons are listed with masked IDs; search still works on the full number (exactly, through
    its keyed hash: the stored ID is encrypted) or on part of the name."""

    list_display = ("name", "masked_id", "masked_phone", "category")
    list_filter = ("category",)
    search_fields = ("name",)
    search_help_text = "按完整身份证号或姓名查找"
    # The system administrator keeps the catalogs and reads no cases: the change page shows the ID
    # and phone masked as the list does, and the clear values are not in the form at all. Persons
    # come from roster imports and voucher lists, which validate the ID, so none is added here.
    exclude = ("student", "employee", "inmate", "id_number", "phone")
    readonly_fields = ("masked_id_number", "masked_phone_number")

    @admin.display(description="身份证号")
    def masked_id_number(self, obj: Person) -> str:
        return obj.masked_id

    @admin.display(description="手机号")
    def masked_phone_number(self, obj: Person) -> str:
        return obj.masked_phone

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Person], search_term: str
    ) -> tuple[QuerySet[Person], bool]:
        found, duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            found = found | queryset.filter(id_hash=ric_key(term))
        return found, duplicates
