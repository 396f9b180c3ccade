"""Peers, the outbox and the inbox of the document exchange (edXML, QCVN 102:2016), and status history.

The outbox and the inbox are one table, ``ExchangeMessage``, keyed so that a delivery is idempotent by
DocumentId: the same document arriving twice finds the row of the first arrival and gets the same answer.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import BusinessDocType, MessageDirection, MessageKind, MessageState, StatusCode, StatusDirection


class Peer(models.Model):
    """Another egov instance or an axis endpoint (Trục liên thông văn bản quốc gia, LGSP) we exchange with.

    Authentication is mutual: the peer calls us with a bearer token issued to ``system_user`` and signs
    every message with a certificate chaining to ``ca_pem``; we call it with ``outbound_token`` (and, in
    production, a TLS client certificate, see docs/exchange.md).
    """

    name = models.SlugField(_("tên hệ thống"), max_length=100, unique=True)
    base_url = models.URLField(
        _("địa chỉ gốc"), max_length=300, help_text=_("Ví dụ https://egov.tinh-b.gov.vn")
    )
    ca_pem = models.TextField(
        _("chứng thư tin cậy (PEM)"),
        help_text=_(
            "CA gốc và CA trung gian (hoặc chứng thư) mà chữ ký gói tin của hệ thống này phải dẫn về."
        ),
    )
    tls_ca_pem = models.TextField(
        _("CA của máy chủ HTTPS (PEM)"),
        blank=True,
        help_text=_("Để trống: dùng kho CA của hệ điều hành khi gọi sang hệ thống này qua HTTPS."),
    )
    outbound_token = models.CharField(
        _("mã truy cập để gọi sang"),
        max_length=200,
        blank=True,
        editable=False,
        help_text=_("Do hệ thống bên kia cấp; gửi trong tiêu đề Authorization: Bearer."),
    )
    system_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản hệ thống của bên kia"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exchange_peer",
    )
    is_active = models.BooleanField(_("đang kết nối"), default=True)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)

    class Meta:
        verbose_name = _("hệ thống liên thông")
        verbose_name_plural = _("hệ thống liên thông")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def edxml_url(self) -> str:
        return self.base_url.rstrip("/") + "/api/v1/exchange/edxml"


class PeerAgency(models.Model):
    """An agency (OrganId) reached through a peer, optionally bound to the fingerprint of the certificate
    that signs for it. Without a binding, the certificate's UID attribute must be the agency code."""

    peer = models.ForeignKey(
        Peer, verbose_name=_("hệ thống"), on_delete=models.CASCADE, related_name="agencies"
    )
    organ_id = models.CharField(_("mã định danh cơ quan"), max_length=35, unique=True)
    name = models.CharField(_("tên cơ quan"), max_length=255, blank=True)
    certificate_sha256 = models.CharField(
        _("dấu vân tay SHA-256 chứng thư ký"),
        max_length=64,
        blank=True,
        help_text=_("Để trống: chấp nhận chứng thư có UID là mã định danh cơ quan, do CA tin cậy cấp."),
    )
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("cơ quan qua hệ thống liên thông")
        verbose_name_plural = _("cơ quan qua hệ thống liên thông")
        ordering = ["organ_id"]

    def __str__(self) -> str:
        return f"{self.organ_id} ({self.peer})"


class ExchangeMessage(models.Model):
    """One edXML message sent (outbox) or received (inbox), with its exact bytes and delivery state.

    Idempotency (QCVN 102:2016, every delivery keyed by DocumentId): one document message per direction,
    DocumentId, receiving agency and business type; a rejected arrival does not hold the key, so a corrected
    resend is accepted. Status messages received are keyed by their SHA-256 (a retried status is the same bytes).
    """

    direction = models.CharField(_("chiều"), max_length=3, choices=MessageDirection.choices)
    kind = models.CharField(_("loại gói tin"), max_length=10, choices=MessageKind.choices)
    peer = models.ForeignKey(
        Peer,
        verbose_name=_("hệ thống"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
        help_text=_("Để trống: cơ quan nhận ở ngay hệ thống này."),
    )
    document_id = models.CharField(_("mã văn bản (DocumentId)"), max_length=255, blank=True)
    business_doc_type = models.PositiveSmallIntegerField(
        _("nghiệp vụ"), choices=BusinessDocType.choices, default=BusinessDocType.NEW
    )
    status_code = models.CharField(_("mã trạng thái"), max_length=2, choices=StatusCode.choices, blank=True)
    sender_organ_id = models.CharField(_("mã cơ quan gửi"), max_length=35, blank=True)
    receiver_organ_id = models.CharField(_("mã cơ quan nhận"), max_length=35, blank=True)
    edxml = models.BinaryField(_("gói tin edXML"), editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("dung lượng"), default=0)
    state = models.CharField(_("trạng thái"), max_length=20, choices=MessageState.choices)
    attempts = models.PositiveIntegerField(_("số lần gửi"), default=0)
    next_attempt_at = models.DateTimeField(_("gửi lại lúc"), null=True, blank=True)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    last_http_status = models.PositiveSmallIntegerField(_("mã HTTP gần nhất"), null=True, blank=True)
    answer = models.BinaryField(_("gói tin trả lời"), blank=True, default=b"", editable=False)
    answer_http_status = models.PositiveSmallIntegerField(_("mã HTTP trả lời"), null=True, blank=True)
    outgoing_document = models.ForeignKey(
        "documents.OutgoingDocument",
        verbose_name=_("văn bản đi"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exchange_messages",
    )
    incoming_document = models.ForeignKey(
        "documents.IncomingDocument",
        verbose_name=_("văn bản đến"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exchange_messages",
    )
    related = models.ForeignKey(
        "self",
        verbose_name=_("gói tin liên quan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followers",
        help_text=_("Gói tin văn bản mà gói tin trạng thái, thu hồi, cập nhật hoặc thay thế này nói đến."),
    )
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)
    sent_at = models.DateTimeField(_("thời điểm gửi được"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("thời điểm được xác nhận"), null=True, blank=True)
    processed_at = models.DateTimeField(_("thời điểm xử lý"), null=True, blank=True)

    class Meta:
        verbose_name = _("gói tin liên thông")
        verbose_name_plural = _("gói tin liên thông")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["direction", "document_id", "receiver_organ_id", "business_doc_type"],
                condition=Q(kind=MessageKind.DOCUMENT) & ~Q(state=MessageState.REJECTED),
                name="exchange_document_once",
            ),
            models.UniqueConstraint(
                fields=["direction", "sha256"],
                condition=Q(kind=MessageKind.STATUS, direction=MessageDirection.IN)
                & ~Q(state=MessageState.REJECTED),
                name="exchange_status_in_once",
            ),
        ]
        indexes = [
            models.Index(fields=["direction", "state", "next_attempt_at"], name="exchange_due"),
            models.Index(fields=["document_id"], name="exchange_document_id"),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.get_kind_display()} {self.document_id} ({self.state})"


class ExchangeStatus(models.Model):
    """A status of an exchanged document (§4.3: 01 arrived ... 06 completed, 15/16 answer to a recall):
    told to the sender (``sent``) or told to us about a document we sent (``received``). Never edited."""

    message = models.ForeignKey(
        ExchangeMessage,
        verbose_name=_("gói tin văn bản"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="statuses",
    )
    carrier = models.ForeignKey(
        ExchangeMessage,
        verbose_name=_("gói tin trạng thái"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="carried_statuses",
    )
    direction = models.CharField(_("chiều"), max_length=10, choices=StatusDirection.choices)
    document_id = models.CharField(_("mã văn bản (DocumentId)"), max_length=255, blank=True)
    organ_id = models.CharField(_("cơ quan báo trạng thái"), max_length=35, blank=True)
    status_code = models.CharField(_("mã trạng thái"), max_length=2, choices=StatusCode.choices)
    description = models.CharField(_("mô tả"), max_length=500, blank=True)
    timestamp = models.DateTimeField(_("thời điểm"))
    staff = models.JSONField(_("cán bộ xử lý"), default=dict, blank=True)
    sha256 = models.CharField(_("SHA-256 gói tin trạng thái"), max_length=64)
    created_at = models.DateTimeField(_("thời điểm ghi"), auto_now_add=True)

    class Meta:
        verbose_name = _("trạng thái văn bản liên thông")
        verbose_name_plural = _("trạng thái văn bản liên thông")
        ordering = ["timestamp", "id"]
        indexes = [models.Index(fields=["message", "timestamp"], name="exchange_status_message")]
        constraints = [
            # A status message delivered twice (a retry) is one status; both ends may share one database
            # when two agencies of the same instance exchange, hence the direction in the key.
            models.UniqueConstraint(fields=["direction", "sha256"], name="exchange_status_once")
        ]

    def __str__(self) -> str:
        return f"{self.document_id} {self.status_code}"
