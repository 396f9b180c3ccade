"""Admin for the reference data of documents: types (Appendix III) and secret clearances."""

from django.contrib import admin

from .models import DocumentType, SecretAccessAttempt, SecretClearance


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    list_display = ("position", "name", "abbreviation", "is_active")
    list_display_links = ("name",)
    ordering = ("position",)


@admin.register(SecretClearance)
class SecretClearanceAdmin(admin.ModelAdmin):
    list_display = ("user", "agency", "level", "is_active", "granted_at")
    list_filter = ("level", "is_active")
    raw_id_fields = ("user", "agency", "granted_by")


@admin.register(SecretAccessAttempt)
class SecretAccessAttemptAdmin(admin.ModelAdmin):
    """Read only: refused attempts are evidence and never change."""

    list_display = ("created_at", "user", "agency", "attempt", "incoming", "outgoing")
    list_filter = ("attempt",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
