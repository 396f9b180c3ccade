"""Operators inspect peers, the outbox and the inbox in the admin; messages are written only by services."""

from __future__ import annotations

from django.contrib import admin

from .models import ExchangeMessage, ExchangeStatus, Peer, PeerAgency


class PeerAgencyInline(admin.TabularInline):
    model = PeerAgency
    extra = 0


@admin.register(Peer)
class PeerAdmin(admin.ModelAdmin):
    list_display = ["name", "base_url", "is_active", "updated_at"]
    readonly_fields = ["system_user", "created_at", "updated_at"]
    inlines = [PeerAgencyInline]


@admin.register(ExchangeMessage)
class ExchangeMessageAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "direction",
        "kind",
        "document_id",
        "status_code",
        "sender_organ_id",
        "receiver_organ_id",
        "state",
        "attempts",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["direction", "kind", "state", "peer"]
    search_fields = ["document_id", "sender_organ_id", "receiver_organ_id", "sha256"]
    readonly_fields = [f.name for f in ExchangeMessage._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ExchangeStatus)
class ExchangeStatusAdmin(admin.ModelAdmin):
    list_display = ["document_id", "organ_id", "status_code", "direction", "timestamp"]
    list_filter = ["direction", "status_code"]
    search_fields = ["document_id", "organ_id"]
    readonly_fields = [f.name for f in ExchangeStatus._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
