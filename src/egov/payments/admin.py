"""Read-only admin: payments change only through the services (IPN, cash), never by hand."""

from django.contrib import admin

from .models import Payment, PaymentEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("txn_ref", "dossier", "agency", "amount", "gateway", "status", "created_at", "paid_at")
    list_filter = ("status", "gateway", "agency")
    search_fields = ("txn_ref", "dossier__code", "gateway_transaction_no", "payer_name")
    date_hierarchy = "created_at"


@admin.register(PaymentEvent)
class PaymentEventAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "txn_ref",
        "kind",
        "from_status",
        "to_status",
        "reply_code",
        "signature_valid",
    )
    list_filter = ("kind", "reply_code")
    search_fields = ("txn_ref",)
