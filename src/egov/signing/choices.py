"""Choices of the signing app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CertificateKind(models.TextChoices):
    """Whose signature a certificate makes (Decree 30/2020 Appendix I §II.7-8)."""

    PERSONAL = "personal", _("Chữ ký số của người có thẩm quyền")
    AGENCY_SEAL = "agency_seal", _("Chữ ký số của cơ quan, tổ chức")


class CertificateStatus(models.TextChoices):
    ACTIVE = "active", _("Đang hiệu lực")
    REVOKED = "revoked", _("Đã thu hồi")


class RevocationReason(models.TextChoices):
    """CRL reason codes (RFC 5280 §5.3.1) that apply to a signing certificate."""

    UNSPECIFIED = "unspecified", _("Không nêu lý do")
    KEY_COMPROMISE = "key_compromise", _("Lộ khóa bí mật")
    AFFILIATION_CHANGED = "affiliation_changed", _("Thay đổi cơ quan, chức vụ")
    SUPERSEDED = "superseded", _("Đã cấp chứng thư thay thế")
    CESSATION_OF_OPERATION = "cessation_of_operation", _("Ngừng sử dụng")


class SignatureLevel(models.TextChoices):
    """PAdES baseline levels (ETSI EN 319 142-1) that ``pdf_sign`` can produce."""

    AUTO = "auto", _("Tự chọn (B-LT khi có CRL cục bộ, nếu không B-B)")
    B_B = "B-B", _("PAdES B-B")
    B_LT = "B-LT", _("PAdES B-LT (kèm dữ liệu kiểm tra hiệu lực)")
