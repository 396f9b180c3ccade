"""Fees paid for dossiers (Decree 61/2018 art. 22): one row per attempt, its receipt, and its history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import Gateway, PaymentEventKind, PaymentStatus


class Payment(models.Model):
    """One attempt to pay a dossier's fee, online through a gateway or in cash at the counter.

    Each online attempt has its own ``txn_ref`` (VNPay refuses a reference it has seen); the gateway's
    IPN decides the outcome (vn-standards §9.3). A paid attempt carries the receipt (biên lai), whose
    number runs per collecting agency and year.
    """

    dossier = models.ForeignKey(
        "dossiers.Dossier", verbose_name=_("hồ sơ"), on_delete=models.PROTECT, related_name="payments"
    )
    agency = models.ForeignKey(
        "core.Agency",
        verbose_name=_("cơ quan thu"),
        on_delete=models.PROTECT,
        related_name="payments",
        help_text=_("Cơ quan tiếp nhận hồ sơ tại thời điểm thu; dùng để đối soát và đánh số biên lai."),
    )
    amount = models.PositiveBigIntegerField(_("số tiền (đồng)"))
    txn_ref = models.CharField(_("mã giao dịch"), max_length=100, unique=True)
    gateway = models.CharField(_("hình thức thanh toán"), max_length=20, choices=Gateway.choices)
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    payer_name = models.CharField(_("người nộp tiền"), max_length=150)
    order_info = models.CharField(_("nội dung thanh toán"), max_length=255)
    client_ip = models.GenericIPAddressField(_("địa chỉ IP người nộp"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tạo"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("thời điểm tạo"))
    expires_at = models.DateTimeField(_("hạn thanh toán"), null=True, blank=True)
    confirmed_at = models.DateTimeField(
        _("thời điểm cổng thanh toán xác nhận"),
        null=True,
        blank=True,
        help_text=_("Khi nhận IPN quyết định kết quả giao dịch, hoặc khi thu tiền mặt."),
    )
    paid_at = models.DateTimeField(_("thời điểm thanh toán"), null=True, blank=True)

    gateway_transaction_no = models.CharField(
        _("mã giao dịch tại cổng thanh toán"), max_length=50, blank=True
    )
    bank_code = models.CharField(_("ngân hàng"), max_length=20, blank=True)
    bank_transaction_no = models.CharField(_("mã giao dịch tại ngân hàng"), max_length=50, blank=True)
    card_type = models.CharField(_("loại thẻ, tài khoản"), max_length=20, blank=True)
    response_code = models.CharField(_("mã phản hồi"), max_length=10, blank=True)
    transaction_status = models.CharField(_("mã trạng thái giao dịch"), max_length=10, blank=True)
    response_message = models.CharField(_("diễn giải kết quả"), max_length=255, blank=True)
    ipn_params = models.JSONField(_("dữ liệu IPN"), default=dict, blank=True)

    receipt_year = models.PositiveSmallIntegerField(_("năm biên lai"), null=True, blank=True)
    receipt_number = models.PositiveIntegerField(_("số biên lai"), null=True, blank=True)
    receipt_file = models.FileField(_("biên lai điện tử"), upload_to="payments/receipts/%Y/", blank=True)
    receipt_checksum = models.CharField(_("SHA-256 biên lai"), max_length=64, blank=True)

    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)

    class Meta:
        verbose_name = _("giao dịch thanh toán")
        verbose_name_plural = _("giao dịch thanh toán")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "receipt_year", "receipt_number"],
                condition=models.Q(receipt_number__isnull=False),
                name="payment_receipt_number_per_agency_year",
            ),
        ]
        indexes = [
            models.Index(fields=["agency", "created_at"], name="payment_agency_created"),
            models.Index(fields=["agency", "paid_at"], name="payment_agency_paid"),
            models.Index(fields=["dossier", "status"], name="payment_dossier_status"),
            models.Index(fields=["status", "expires_at"], name="payment_status_expiry"),
        ]

    def __str__(self) -> str:
        return self.txn_ref

    @property
    def receipt_label(self) -> str:
        """The receipt number as printed: seven digits, ``0000042``."""
        return f"{self.receipt_number:07d}" if self.receipt_number else ""


class PaymentEvent(models.Model):
    """Append-only history of payments: every IPN and return visit with its raw parameters, every change.

    A callback that names no known payment (or carries a bad signature) is kept too, with ``payment``
    empty and the reference it claimed in ``txn_ref``, so forged or misrouted calls leave a trace.
    """

    payment = models.ForeignKey(
        Payment,
        verbose_name=_("giao dịch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    txn_ref = models.CharField(_("mã giao dịch nhận được"), max_length=100, blank=True, db_index=True)
    kind = models.CharField(_("sự kiện"), max_length=20, choices=PaymentEventKind.choices)
    from_status = models.CharField(
        _("từ trạng thái"), max_length=20, choices=PaymentStatus.choices, blank=True
    )
    to_status = models.CharField(
        _("sang trạng thái"), max_length=20, choices=PaymentStatus.choices, blank=True
    )
    signature_valid = models.BooleanField(_("chữ ký hợp lệ"), null=True, blank=True)
    reply_code = models.CharField(_("mã trả lời cổng thanh toán"), max_length=2, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    client_ip = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    note = models.TextField(_("ghi chú"), blank=True)
    params = models.JSONField(_("tham số nhận được"), default=dict, blank=True)
    created_at = models.DateTimeField(_("thời điểm"))

    class Meta:
        verbose_name = _("nhật ký thanh toán")
        verbose_name_plural = _("nhật ký thanh toán")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.txn_ref} {self.kind}"

    def save(self, *args, **kwargs):
        # Wiring guard, not business logic: history rows are written once and never changed.
        if self.pk is not None:
            raise ValueError("PaymentEvent rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("PaymentEvent rows are append-only")
