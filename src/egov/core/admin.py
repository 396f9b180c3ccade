"""Django admin for the core domain. Calendar edits made here clear the deadline cache on commit,
as the services do; the calendar page (``core:calendar``) is the place for day-to-day changes."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .calendar import invalidate_calendar_cache
from .models import AdministrativeUnit, Agency, Calendar, CalendarDay, Department, Sequence


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "division_type", "parent", "valid_from", "valid_to"]
    list_filter = ["level", "division_type", "valid_to"]
    search_fields = ["code", "name", "codename"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]
    ordering = ["level", "code"]


class DepartmentInline(admin.TabularInline):
    model = Department
    extra = 0
    fields = ["name", "abbreviation"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "kind", "parent", "administrative_unit", "is_active"]
    list_filter = ["level", "kind", "is_active"]
    search_fields = ["code", "name", "abbreviation"]
    autocomplete_fields = ["parent", "administrative_unit"]
    list_select_related = ["parent", "administrative_unit"]
    inlines = [DepartmentInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "abbreviation", "agency"]
    search_fields = ["name", "agency__name", "agency__code"]
    autocomplete_fields = ["agency"]
    list_select_related = ["agency"]


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 0
    fields = ["date", "kind", "note", "updated_by", "updated_at"]
    readonly_fields = ["updated_by", "updated_at"]


class _RefreshCalendarCache:
    """Deadlines are computed from a cached snapshot; drop it once the admin's change is committed."""

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)
        transaction.on_commit(invalidate_calendar_cache)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(invalidate_calendar_cache)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        transaction.on_commit(invalidate_calendar_cache)

    def save_formset(self, request, form, formset, change):
        for instance in formset.save(commit=False):
            instance.updated_by = request.user
            instance.updated_at = timezone.now()
            instance.save()
        for instance in formset.deleted_objects:
            instance.delete()
        formset.save_m2m()
        transaction.on_commit(invalidate_calendar_cache)


@admin.register(Calendar)
class CalendarAdmin(_RefreshCalendarCache, admin.ModelAdmin):
    list_display = [
        "name",
        "is_default",
        "morning_start",
        "morning_end",
        "afternoon_start",
        "afternoon_end",
        "cutoff",
        "saturday_morning",
        "use_national_holidays",
    ]
    readonly_fields = ["updated_by", "updated_at"]
    inlines = [CalendarDayInline]


@admin.register(CalendarDay)
class CalendarDayAdmin(_RefreshCalendarCache, admin.ModelAdmin):
    list_display = ["date", "kind", "note", "calendar", "updated_by", "updated_at"]
    list_filter = ["kind", "calendar"]
    date_hierarchy = "date"
    search_fields = ["note"]
    readonly_fields = ["updated_by", "updated_at"]


@admin.register(Sequence)
class SequenceAdmin(admin.ModelAdmin):
    """Read only: a counter moved by hand could issue a dossier or document number twice."""

    list_display = ["scope", "value"]
    search_fields = ["scope"]
    readonly_fields = ["scope", "value"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


admin.site.site_header = _("Quản trị egov")
admin.site.site_title = _("Quản trị egov")
