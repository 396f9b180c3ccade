"""Read-only admin: a citizen's rating is theirs; nobody edits or removes it by hand."""

from django.contrib import admin

from .models import SatisfactionRating


@admin.register(SatisfactionRating)
class SatisfactionRatingAdmin(admin.ModelAdmin):
    list_display = ("dossier", "service_score", "officer_score", "officer", "created_at")
    list_filter = ("service_score", "officer_score")
    search_fields = ("dossier__code",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
