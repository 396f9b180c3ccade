"""Django admin for accounts: users with their roles per agency, role grants and API tokens."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import ApiToken, RoleAssignment, User
from .services import api_token_revoke


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    fields = ["agency", "department", "role", "is_active", "granted_at"]
    readonly_fields = ["granted_at"]
    autocomplete_fields = ["agency", "department"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "full_name", "kind", "position", "email", "is_active", "is_staff"]
    list_filter = ["kind", "is_active", "is_staff", "is_superuser"]
    search_fields = ["username", "full_name", "email", "phone"]
    ordering = ["username"]
    inlines = [RoleAssignmentInline]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Thông tin cá nhân"), {"fields": ("full_name", "kind", "position", "email", "phone")}),
        (
            _("Quyền hạn"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Thời gian"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "full_name", "kind", "email", "password1", "password2"),
            },
        ),
    )


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "agency", "department", "is_active", "granted_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__username", "user__full_name", "agency__name", "agency__code"]
    autocomplete_fields = ["user", "agency", "department"]
    list_select_related = ["user", "agency", "department"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued with ``manage.py issue_api_token`` (the key is shown once); here they are
    only listed and revoked. The stored hash is never shown."""

    list_display = ["prefix", "name", "user", "created_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "name", "user__username"]
    fields = ["user", "name", "prefix", "created_at", "revoked_at"]
    readonly_fields = fields
    list_select_related = ["user"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Thu hồi các mã đã chọn"))
    def revoke(self, request, queryset) -> None:
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            api_token_revoke(token=token)
        self.message_user(
            request,
            ngettext("Đã thu hồi %(count)d mã.", "Đã thu hồi %(count)d mã.", len(tokens))
            % {"count": len(tokens)},
            messages.SUCCESS,
        )
