"""Admin for signing certificates: read-mostly; keys are never shown, revocation goes through the service."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from egov.core.errors import DomainError

from . import services
from .choices import CertificateStatus
from .models import SigningCertificate


@admin.register(SigningCertificate)
class SigningCertificateAdmin(admin.ModelAdmin):
    list_display = ("common_name", "kind", "organization", "serial_number", "not_after", "status")
    list_filter = ("kind", "status")
    search_fields = ("common_name", "organization", "serial_number", "fingerprint_sha256")
    exclude = ("pkcs12", "image_png")
    readonly_fields = [
        f.name for f in SigningCertificate._meta.fields if f.name not in ("pkcs12", "image_png")
    ]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        # Certificates come from a CA (``manage.py signing_dev_ca`` in development), never typed in.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # A certificate that signed documents must stay on record to explain those signatures.
        return False

    @admin.action(description=_("Thu hồi các chứng thư đã chọn"))
    def revoke(self, request, queryset) -> None:
        count = 0
        for certificate in queryset.filter(status=CertificateStatus.ACTIVE):
            try:
                services.certificate_revoke(certificate=certificate, actor=request.user)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                count += 1
        self.message_user(
            request, _("Đã thu hồi %(count)s chứng thư số.") % {"count": count}, messages.SUCCESS
        )
