"""Signing identities: an official's or an agency's certificate with its private key, encrypted at rest.

The PKCS#12 bundle (key, certificate, issuing chain) is stored encrypted with AES-256 under the passphrase
from ``EGOV_SIGNING_PASSPHRASE`` (never in the database or the repository), so a database dump alone
does not let anyone sign. A key held in a USB token or an HSM has no PKCS#12 here: see
``egov.signing.providers`` for where a PKCS#11 provider plugs in.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import CertificateKind, CertificateStatus, RevocationReason


class SigningCertificate(models.Model):
    """A certificate that signs PDFs for an official (personal) or an agency (its seal).

    Decree 30/2020 Appendix I §II.7 (the authorised person's signature) and §II.8 (the agency's
    signature, shown as its seal); Decree 130/2018 on digital signature certificates.
    """

    kind = models.CharField(_("loại chữ ký"), max_length=20, choices=CertificateKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người ký"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_certificates",
    )
    agency = models.ForeignKey(
        "core.Agency",
        verbose_name=_("cơ quan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_certificates",
    )
    subject = models.CharField(_("chủ thể (DN)"), max_length=500)
    common_name = models.CharField(_("tên chủ thể (CN)"), max_length=255)
    organization = models.CharField(_("tổ chức (O)"), max_length=255, blank=True)
    issuer = models.CharField(_("tổ chức cấp (DN)"), max_length=500)
    serial_number = models.CharField(_("số hiệu chứng thư"), max_length=64, help_text=_("Hệ 16."))
    fingerprint_sha256 = models.CharField(_("dấu vân tay SHA-256"), max_length=64, unique=True)
    not_before = models.DateTimeField(_("hiệu lực từ"))
    not_after = models.DateTimeField(_("hiệu lực đến"))
    certificate_pem = models.TextField(_("chứng thư số (PEM)"))
    pkcs12 = models.BinaryField(
        _("khóa bí mật (PKCS#12, đã mã hóa)"),
        editable=False,
        help_text=_("Mã hóa AES-256 bằng cụm mật khẩu EGOV_SIGNING_PASSPHRASE."),
    )
    image_png = models.BinaryField(
        _("hình ảnh chữ ký hoặc con dấu (PNG)"),
        blank=True,
        default=b"",
        help_text=_("PNG nền trong suốt: chữ ký màu xanh hoặc dấu màu đỏ (Nghị định 30/2020, Phụ lục I)."),
    )
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=CertificateStatus.choices, default=CertificateStatus.ACTIVE
    )
    revoked_at = models.DateTimeField(_("thời điểm thu hồi"), null=True, blank=True)
    revocation_reason = models.CharField(
        _("lý do thu hồi"), max_length=40, choices=RevocationReason.choices, blank=True
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thu hồi"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("chứng thư số ký văn bản")
        verbose_name_plural = _("chứng thư số ký văn bản")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "serial_number"], name="signing_cert_issuer_serial"),
            # A personal certificate belongs to one official, a seal certificate to one agency.
            models.CheckConstraint(
                condition=(
                    Q(kind=CertificateKind.PERSONAL, user__isnull=False, agency__isnull=True)
                    | Q(kind=CertificateKind.AGENCY_SEAL, agency__isnull=False, user__isnull=True)
                ),
                name="signing_cert_owner_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(status=CertificateStatus.ACTIVE, revoked_at__isnull=True)
                | Q(status=CertificateStatus.REVOKED, revoked_at__isnull=False),
                name="signing_cert_revoked_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "status"]),
            models.Index(fields=["agency", "status"]),
        ]
        ordering = ["-not_before"]

    def __str__(self) -> str:
        return f"{self.common_name} ({self.serial_number})"

    @property
    def owner(self):
        return self.user if self.kind == CertificateKind.PERSONAL else self.agency

    def is_within_validity(self, moment: dt.datetime) -> bool:
        return self.not_before <= moment <= self.not_after
