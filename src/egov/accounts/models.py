"""Users (citizens, officers, systems), their roles per agency, and API tokens."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Role, UserKind


class User(AbstractUser):
    """Every person or system that signs in. Officers get their powers from ``RoleAssignment`` rows."""

    full_name = models.CharField(_("họ và tên"), max_length=150, blank=True)
    phone = models.CharField(_("số điện thoại"), max_length=20, blank=True)
    kind = models.CharField(
        _("loại tài khoản"), max_length=20, choices=UserKind.choices, default=UserKind.CITIZEN
    )
    position = models.CharField(_("chức vụ"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username


class RoleAssignment(models.Model):
    """A role an official holds in one agency. An officer acts only where they hold a role."""

    user = models.ForeignKey(
        User, verbose_name=_("người dùng"), on_delete=models.CASCADE, related_name="roles"
    )
    agency = models.ForeignKey(
        "core.Agency", verbose_name=_("cơ quan"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    department = models.ForeignKey(
        "core.Department", verbose_name=_("phòng ban"), null=True, blank=True, on_delete=models.SET_NULL
    )
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("hiệu lực"), default=True)
    granted_at = models.DateTimeField(_("ngày cấp"), auto_now_add=True)

    class Meta:
        verbose_name = _("phân quyền")
        verbose_name_plural = _("phân quyền")
        constraints = [models.UniqueConstraint(fields=["user", "agency", "role"], name="one_role_per_agency")]
        indexes = [models.Index(fields=["agency", "role", "is_active"])]

    def __str__(self) -> str:
        return f"{self.user} - {self.get_role_display()} - {self.agency}"


class ApiToken(models.Model):
    """A bearer token for the API. Only a SHA-256 hash is stored; the token is shown once when issued."""

    user = models.ForeignKey(
        User, verbose_name=_("người dùng"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("tên"), max_length=100, blank=True)
    prefix = models.CharField(_("tiền tố"), max_length=12)
    key_hash = models.CharField(_("băm"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("ngày thu hồi"), null=True, blank=True)

    class Meta:
        verbose_name = _("mã truy cập API")
        verbose_name_plural = _("mã truy cập API")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


# ---- citizen accounts (egov.accounts.citizen) ----------------------------------------------------------


class VerificationPurpose(models.TextChoices):
    SIGN_UP = "sign_up", _("Xác thực đăng ký tài khoản")
    PASSWORD_RESET = "password_reset", _("Đặt lại mật khẩu")
    ASSISTED_CONSENT = "assisted_consent", _("Xác nhận đồng ý cho cán bộ nộp hồ sơ hộ")


class VerificationChannel(models.TextChoices):
    EMAIL = "email", _("Thư điện tử")
    SMS = "sms", _("Tin nhắn SMS")


class VerificationCode(models.Model):
    """A one-time 6-digit code sent to prove that the person at hand receives mail or SMS at
    ``destination``. Only a keyed hash is stored; the code lives 10 minutes and allows 5 tries, and it
    is bound to the browser session that asked for it (``session_hash``), so a code sent to someone's
    inbox is useless to whoever triggered it from another browser."""

    user = models.ForeignKey(
        User,
        verbose_name=_("tài khoản"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="verification_codes",
    )
    purpose = models.CharField(_("mục đích"), max_length=20, choices=VerificationPurpose.choices)
    channel = models.CharField(_("kênh gửi"), max_length=10, choices=VerificationChannel.choices)
    destination = models.CharField(_("gửi tới"), max_length=254)
    code_hash = models.CharField(_("băm của mã"), max_length=100)
    session_hash = models.CharField(_("băm của phiên"), max_length=64, db_index=True)
    created_at = models.DateTimeField(_("thời điểm gửi"), default=timezone.now)
    expires_at = models.DateTimeField(_("hết hạn lúc"))
    attempts = models.PositiveSmallIntegerField(_("số lần nhập sai"), default=0)
    consumed_at = models.DateTimeField(_("đã dùng lúc"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("hủy lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("mã xác thực")
        verbose_name_plural = _("mã xác thực")
        indexes = [
            models.Index(fields=["destination", "purpose", "created_at"], name="vcode_dest_purpose_at"),
            models.Index(fields=["user", "purpose", "created_at"], name="vcode_user_purpose_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} → {self.destination}"


class CitizenLinkAttempt(models.Model):
    """One try at linking an account to the population registry: who, for which ID number, from where,
    and the outcome, never which answer was wrong (append-only; Decree 13/2023/NĐ-CP: processing of
    personal data is on record)."""

    class Outcome(models.TextChoices):
        LINKED = "linked", _("Liên kết thành công")
        MISMATCH = "mismatch", _("Thông tin không khớp")
        LOCKED = "locked", _("Đang tạm khóa")
        TAKEN = "taken", _("Đã liên kết với tài khoản khác")

    user = models.ForeignKey(
        User, verbose_name=_("tài khoản"), on_delete=models.PROTECT, related_name="link_attempts"
    )
    id_number = models.CharField(_("số định danh đã nhập"), max_length=12)
    outcome = models.CharField(_("kết quả"), max_length=10, choices=Outcome.choices)
    locked_until = models.DateTimeField(_("khóa đến"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    at = models.DateTimeField(_("thời điểm"), default=timezone.now)

    class Meta:
        verbose_name = _("lần liên kết tài khoản")
        verbose_name_plural = _("lần liên kết tài khoản")
        indexes = [
            models.Index(fields=["user", "at"], name="link_attempt_user_at"),
            models.Index(fields=["id_number", "at"], name="link_attempt_id_at"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.id_number} {self.outcome}"

    def save(self, *args, **kwargs):
        # Wiring guard, not business logic: an audit row that could be rewritten would prove nothing.
        if self.pk is not None:
            raise ValueError("CitizenLinkAttempt rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("CitizenLinkAttempt rows are append-only")


class BusinessProfile(models.Model):
    """The organisation a business account applies for: its tax code (mã số thuế), name, head-office
    address and legal representative. Declared by the account holder, not yet checked against the
    national business registry (``verified_at`` stays empty until such a check exists)."""

    user = models.OneToOneField(
        User, verbose_name=_("tài khoản"), on_delete=models.CASCADE, related_name="business_profile"
    )
    tax_code = models.CharField(_("mã số thuế"), max_length=13, db_index=True)
    name = models.CharField(_("tên doanh nghiệp, tổ chức"), max_length=255)
    address = models.CharField(_("địa chỉ trụ sở"), max_length=255)
    legal_representative = models.CharField(_("người đại diện theo pháp luật"), max_length=150)
    verified_at = models.DateTimeField(_("đã xác minh lúc"), null=True, blank=True)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)

    class Meta:
        verbose_name = _("thông tin doanh nghiệp")
        verbose_name_plural = _("thông tin doanh nghiệp")

    def __str__(self) -> str:
        return f"{self.name} ({self.tax_code})"
