"""Official documents (văn bản đến, văn bản đi) of Decree 30/2020/NĐ-CP: registers, versions, assignments,
opinions, an append-only trace, and access to classified documents.

Field names follow the metadata of Appendix VI (the same names edXML uses, QCVN 102:2016): OrganId and
OrganName of the issuer, CodeNumber and CodeNotation, IssuedDate, Subject, PageAmount, SignerInfo,
Priority (urgency and secrecy), DueDate, ArrivalDate and ArrivalNumber.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from egov.core.models import AppendOnly

from .choices import (
    SECRET_LEVELS,
    DeliveryChannel,
    Direction,
    IncomingAction,
    IncomingSource,
    IncomingStatus,
    OpinionKind,
    OutgoingAction,
    OutgoingStatus,
    RecipientKind,
    Secrecy,
    SecretAttempt,
    Series,
    Urgency,
    VersionKind,
)


class DocumentType(models.Model):
    """A type of administrative document (Decree 30/2020 art. 7) with its abbreviation (Appendix III).

    Công văn and thư công have no abbreviation: their notation is agency-unit (``05/BNV-VP``).
    """

    code = models.SlugField(_("mã loại"), max_length=30, unique=True)
    name = models.CharField(_("tên loại văn bản"), max_length=100)
    abbreviation = models.CharField(_("chữ viết tắt"), max_length=10, blank=True)
    position = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    is_active = models.BooleanField(_("đang sử dụng"), default=True)

    class Meta:
        verbose_name = _("loại văn bản")
        verbose_name_plural = _("loại văn bản")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class DocumentRegister(models.Model):
    """Sổ đăng ký văn bản đến/đi of one agency for one year and one series (Decree 30/2020 arts. 15, 22;
    Appendix IV). Numbers are drawn from ``egov.core.numbering`` with ``scope``, so they never repeat."""

    agency = models.ForeignKey(
        "core.Agency", verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="document_registers"
    )
    year = models.PositiveSmallIntegerField(_("năm"))
    direction = models.CharField(_("loại sổ"), max_length=10, choices=Direction.choices)
    series = models.CharField(_("dãy số"), max_length=10, choices=Series.choices, default=Series.NORMAL)
    name = models.CharField(_("tên sổ"), max_length=200)
    created_at = models.DateTimeField(_("ngày mở sổ"), auto_now_add=True)

    class Meta:
        verbose_name = _("sổ đăng ký văn bản")
        verbose_name_plural = _("sổ đăng ký văn bản")
        ordering = ["agency", "-year", "direction", "series"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "year", "direction", "series"], name="document_register_per_series"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope(self) -> str:
        return f"doc:{self.agency.code}:{self.year}:{self.direction}:{self.series}"


class DocumentBase(models.Model):
    """What incoming and outgoing documents share (Appendix VI, Part II)."""

    agency = models.ForeignKey(
        "core.Agency", verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="+"
    )
    document_type = models.ForeignKey(
        DocumentType, verbose_name=_("loại văn bản"), on_delete=models.PROTECT, related_name="+"
    )
    subject = models.CharField(_("trích yếu nội dung"), max_length=500, blank=True)
    urgency = models.CharField(_("độ khẩn"), max_length=20, choices=Urgency.choices, default=Urgency.NORMAL)
    secrecy = models.CharField(_("độ mật"), max_length=20, choices=Secrecy.choices, default=Secrecy.NONE)
    page_count = models.PositiveSmallIntegerField(_("số trang"), default=0)
    signer_name = models.CharField(_("người ký"), max_length=50, blank=True)
    signer_position = models.CharField(_("chức vụ người ký"), max_length=100, blank=True)
    linked_dossier_code = models.CharField(_("mã hồ sơ một cửa liên quan"), max_length=40, blank=True)
    search_text = models.TextField(_("chuỗi tìm kiếm"), default="", blank=True, editable=False)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)

    class Meta:
        abstract = True

    @property
    def is_secret(self) -> bool:
        return self.secrecy in SECRET_LEVELS

    @property
    def series(self) -> str:
        return Series.SECRET if self.is_secret else Series.NORMAL


class IncomingDocument(DocumentBase):
    """Văn bản đến: registered by the clerk with its incoming number (số đến, Decree 30/2020 art. 22)."""

    register = models.ForeignKey(
        DocumentRegister, verbose_name=_("sổ đăng ký"), on_delete=models.PROTECT, related_name="incoming"
    )
    arrival_number = models.PositiveIntegerField(_("số đến"))
    arrival_at = models.DateTimeField(_("thời điểm đến"))
    issuer_name = models.CharField(_("cơ quan ban hành"), max_length=200)
    issuer_code = models.CharField(_("mã định danh cơ quan ban hành"), max_length=35, blank=True)
    code_number = models.CharField(_("số văn bản"), max_length=11, blank=True)
    code_notation = models.CharField(_("ký hiệu văn bản"), max_length=30, blank=True)
    document_date = models.DateField(_("ngày văn bản"), null=True, blank=True)
    deadline = models.DateTimeField(_("hạn xử lý"), null=True, blank=True)
    status = models.CharField(_("trạng thái"), max_length=20, choices=IncomingStatus.choices, db_index=True)
    source = models.CharField(_("nguồn"), max_length=20, choices=IncomingSource.choices)
    exchange_document_id = models.CharField(
        _("mã văn bản liên thông (DocumentId)"), max_length=255, null=True, blank=True
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người đăng ký"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    completed_at = models.DateTimeField(_("thời điểm hoàn thành"), null=True, blank=True)
    recalled_at = models.DateTimeField(_("thời điểm thu hồi"), null=True, blank=True)

    class Meta:
        verbose_name = _("văn bản đến")
        verbose_name_plural = _("văn bản đến")
        ordering = ["-arrival_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["register", "arrival_number"], name="incoming_number_per_register"
            ),
            # A delivery retried by the exchange finds the row it created (QCVN 102:2016: idempotent by DocumentId).
            models.UniqueConstraint(
                fields=["agency", "exchange_document_id"],
                condition=Q(exchange_document_id__isnull=False),
                name="incoming_exchange_id_per_agency",
            ),
        ]
        indexes = [
            models.Index(fields=["agency", "status", "deadline"], name="incoming_agency_status_due"),
            models.Index(fields=["agency", "-arrival_at"], name="incoming_agency_arrival"),
            models.Index(fields=["agency", "document_date", "code_notation"], name="incoming_duplicate_key"),
        ]

    def __str__(self) -> str:
        return f"{self.arrival_number} - {self.number_notation or self.subject[:50]}"

    direction = Direction.INCOMING

    @property
    def number_notation(self) -> str:
        if self.code_number and self.code_notation:
            return f"{self.code_number}/{self.code_notation}"
        return self.code_number or self.code_notation

    @property
    def document_at(self):
        return self.document_date


class OutgoingDocument(DocumentBase):
    """Văn bản đi: drafted, reviewed, signed, then numbered and issued by the clerk (Decree 30/2020 arts. 10-19).

    ``number`` is assigned only at issue, from the agency's series of the issue year (art. 15).
    """

    register = models.ForeignKey(
        DocumentRegister,
        verbose_name=_("sổ đăng ký"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outgoing",
    )
    number = models.PositiveIntegerField(_("số"), null=True, blank=True)
    notation = models.CharField(_("ký hiệu"), max_length=30, blank=True)
    document_date = models.DateField(_("ngày văn bản"), null=True, blank=True)
    drafting_department = models.ForeignKey(
        "core.Department",
        verbose_name=_("đơn vị soạn thảo"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signer_competence = models.CharField(
        _("quyền hạn ký"), max_length=20, blank=True, help_text=_("TM., KT., Q., TL., TUQ. hoặc để trống.")
    )
    copies = models.PositiveSmallIntegerField(_("số lượng bản"), default=1)
    reply_due_date = models.DateField(_("hạn trả lời"), null=True, blank=True)
    status = models.CharField(_("trạng thái"), max_length=20, choices=OutgoingStatus.choices, db_index=True)
    reply_to = models.ForeignKey(
        IncomingDocument,
        verbose_name=_("trả lời văn bản đến"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replies",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người soạn thảo"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người duyệt"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_version = models.ForeignKey(
        "DocumentVersion",
        verbose_name=_("bản đã ký"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("thời điểm ký"), null=True, blank=True)
    issued_at = models.DateTimeField(_("thời điểm phát hành"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("văn thư phát hành"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recalled_at = models.DateTimeField(_("thời điểm thu hồi"), null=True, blank=True)

    class Meta:
        verbose_name = _("văn bản đi")
        verbose_name_plural = _("văn bản đi")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Never reused (Decree 30/2020 art. 15.1): one number per register, whatever happens later.
            models.UniqueConstraint(
                fields=["register", "number"],
                condition=Q(number__isnull=False),
                name="outgoing_number_per_register",
            ),
        ]
        indexes = [
            models.Index(fields=["agency", "status"], name="outgoing_agency_status"),
            models.Index(fields=["agency", "-created_at"], name="outgoing_agency_created"),
        ]

    def __str__(self) -> str:
        return self.number_notation or self.subject[:60]

    direction = Direction.OUTGOING

    @property
    def code_number(self) -> str:
        """Numbers below 10 get a leading 0 (Decree 30/2020 Appendix I, Part I §II.3)."""
        return f"{self.number:02d}" if self.number is not None else ""

    @property
    def number_notation(self) -> str:
        if self.number is None:
            return ""
        return f"{self.code_number}/{self.notation}"

    @property
    def document_at(self):
        return self.document_date


class OutgoingRecipient(models.Model):
    """One line of "Nơi nhận": a unit of the agency, another agency (OrganId) or another instance."""

    document = models.ForeignKey(
        OutgoingDocument, verbose_name=_("văn bản đi"), on_delete=models.CASCADE, related_name="recipients"
    )
    kind = models.CharField(_("loại nơi nhận"), max_length=20, choices=RecipientKind.choices)
    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("đơn vị"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    organ_id = models.CharField(_("mã định danh cơ quan nhận"), max_length=35, blank=True)
    name = models.CharField(_("tên nơi nhận"), max_length=200)
    instance = models.CharField(_("hệ thống nhận"), max_length=100, blank=True)
    channel = models.CharField(
        _("hình thức gửi"), max_length=20, choices=DeliveryChannel.choices, default=DeliveryChannel.ELECTRONIC
    )
    enqueued_at = models.DateTimeField(_("thời điểm chuyển gửi"), null=True, blank=True)

    class Meta:
        verbose_name = _("nơi nhận")
        verbose_name_plural = _("nơi nhận")
        ordering = ["document", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_external(self) -> bool:
        return self.kind in (RecipientKind.AGENCY, RecipientKind.INSTANCE)


def _version_path(instance: DocumentVersion, filename: str) -> str:
    owner = f"in-{instance.incoming_id}" if instance.incoming_id else f"out-{instance.outgoing_id}"
    return f"documents/{owner}/{filename}"


class DocumentVersion(AppendOnly):
    """Stored bytes of a document: an attachment of an incoming document, or a draft or the signed copy of an
    outgoing one. Never edited: a change is a new version with its own SHA-256 checksum."""

    incoming = models.ForeignKey(
        IncomingDocument,
        verbose_name=_("văn bản đến"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="versions",
    )
    outgoing = models.ForeignKey(
        OutgoingDocument,
        verbose_name=_("văn bản đi"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="versions",
    )
    number = models.PositiveSmallIntegerField(_("phiên bản"))
    kind = models.CharField(_("loại tệp"), max_length=20, choices=VersionKind.choices)
    name = models.CharField(_("tên tệp"), max_length=200)
    file = models.FileField(_("tệp"), upload_to=_version_path, max_length=255)
    content_type = models.CharField(_("kiểu nội dung"), max_length=100)
    size = models.PositiveIntegerField(_("dung lượng"))
    checksum = models.CharField(_("SHA-256"), max_length=64)
    note = models.CharField(_("ghi chú"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tạo"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("thời điểm tạo"))

    class Meta:
        verbose_name = _("phiên bản văn bản")
        verbose_name_plural = _("phiên bản văn bản")
        ordering = ["number", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(incoming__isnull=False, outgoing__isnull=True)
                | Q(incoming__isnull=True, outgoing__isnull=False),
                name="version_of_one_document",
            ),
            models.UniqueConstraint(
                fields=["incoming", "number"],
                condition=Q(incoming__isnull=False),
                name="incoming_version_number",
            ),
            models.UniqueConstraint(
                fields=["outgoing", "number"],
                condition=Q(outgoing__isnull=False),
                name="outgoing_version_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.number})"

    @property
    def document(self):
        return self.incoming or self.outgoing


class DocumentAssignment(models.Model):
    """The leader's handling instruction for an incoming document (Phiếu giải quyết văn bản đến,
    Decree 30/2020 art. 24, Appendix IV): lead unit, coordinating units, readers, assignees, deadline.

    A new assignment replaces the previous one (``is_current``); the old rows stay for the trace.
    """

    document = models.ForeignKey(
        IncomingDocument, verbose_name=_("văn bản đến"), on_delete=models.CASCADE, related_name="assignments"
    )
    lead_department = models.ForeignKey(
        "core.Department",
        verbose_name=_("đơn vị chủ trì"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    coordinating_departments = models.ManyToManyField(
        "core.Department", verbose_name=_("đơn vị phối hợp"), blank=True, related_name="+"
    )
    readers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("người nhận để biết"), blank=True, related_name="+"
    )
    assignees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người xử lý"),
        blank=True,
        related_name="document_assignments",
    )
    deadline = models.DateTimeField(_("hạn xử lý"), null=True, blank=True)
    instructions = models.TextField(_("ý kiến chỉ đạo"), blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người phân công"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("thời điểm phân công"))
    is_current = models.BooleanField(_("đang hiệu lực"), default=True)
    due_soon_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("phân công xử lý văn bản")
        verbose_name_plural = _("phân công xử lý văn bản")
        ordering = ["document", "-assigned_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document"], condition=Q(is_current=True), name="one_current_assignment"
            )
        ]
        indexes = [models.Index(fields=["is_current", "deadline"], name="assignment_open_deadline")]

    def __str__(self) -> str:
        return f"{self.document_id} @ {self.assigned_at:%Y-%m-%d}"


class DocumentOpinion(AppendOnly):
    """An opinion, proposal or completion report of a handler (Appendix IV, handling slip)."""

    document = models.ForeignKey(
        IncomingDocument, verbose_name=_("văn bản đến"), on_delete=models.CASCADE, related_name="opinions"
    )
    assignment = models.ForeignKey(
        DocumentAssignment,
        verbose_name=_("phân công"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opinions",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người cho ý kiến"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("loại ý kiến"), max_length=20, choices=OpinionKind.choices)
    text = models.TextField(_("nội dung"))
    created_at = models.DateTimeField(_("thời điểm"))

    class Meta:
        verbose_name = _("ý kiến xử lý")
        verbose_name_plural = _("ý kiến xử lý")
        ordering = ["document", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.document_id} {self.kind}"


_ACTION_CHOICES = sorted({*IncomingAction.choices, *OutgoingAction.choices}, key=lambda c: c[0])


class DocumentEvent(AppendOnly):
    """Append-only trace of a document (TraceHeaderList of Appendix VI): who did what, from which status."""

    incoming = models.ForeignKey(
        IncomingDocument,
        verbose_name=_("văn bản đến"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
    )
    outgoing = models.ForeignKey(
        OutgoingDocument,
        verbose_name=_("văn bản đi"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("thao tác"), max_length=30)
    from_status = models.CharField(_("từ trạng thái"), max_length=20, blank=True)
    to_status = models.CharField(_("sang trạng thái"), max_length=20)
    note = models.TextField(_("ghi chú"), blank=True)
    data = models.JSONField(_("dữ liệu"), default=dict, blank=True)
    created_at = models.DateTimeField(_("thời điểm"))

    class Meta:
        verbose_name = _("nhật ký văn bản")
        verbose_name_plural = _("nhật ký văn bản")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(incoming__isnull=False, outgoing__isnull=True)
                | Q(incoming__isnull=True, outgoing__isnull=False),
                name="event_of_one_document",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incoming_id or self.outgoing_id} {self.action}"

    @property
    def action_label(self) -> str:
        enum = IncomingAction if self.incoming_id else OutgoingAction
        return str(enum(self.action).label) if self.action in enum.values else self.action

    def _status_label(self, value: str) -> str:
        enum = IncomingStatus if self.incoming_id else OutgoingStatus
        return str(enum(value).label) if value in enum.values else value

    @property
    def from_status_label(self) -> str:
        return self._status_label(self.from_status)

    @property
    def to_status_label(self) -> str:
        return self._status_label(self.to_status)


class SecretClearance(models.Model):
    """Who may read classified documents of an agency, up to which level (Law 29/2018/QH14 on the protection
    of state secrets, art. 11: only people with the authority's permission may access them)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cán bộ"),
        on_delete=models.CASCADE,
        related_name="secret_clearances",
    )
    agency = models.ForeignKey(
        "core.Agency", verbose_name=_("cơ quan"), on_delete=models.CASCADE, related_name="secret_clearances"
    )
    level = models.CharField(
        _("được tiếp cận đến độ mật"),
        max_length=20,
        choices=[(value, label) for value, label in Secrecy.choices if value != Secrecy.NONE],
    )
    is_active = models.BooleanField(_("hiệu lực"), default=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người cấp"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("ngày cấp"), auto_now_add=True)

    class Meta:
        verbose_name = _("quyền tiếp cận văn bản mật")
        verbose_name_plural = _("quyền tiếp cận văn bản mật")
        constraints = [models.UniqueConstraint(fields=["user", "agency"], name="one_clearance_per_agency")]

    def __str__(self) -> str:
        return f"{self.user} - {self.get_level_display()} - {self.agency}"


class SecretAccessAttempt(AppendOnly):
    """A refused attempt to read, download or send a classified document electronically; never deleted."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    agency = models.ForeignKey(
        "core.Agency", verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="+"
    )
    incoming = models.ForeignKey(
        IncomingDocument,
        verbose_name=_("văn bản đến"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="secret_attempts",
    )
    outgoing = models.ForeignKey(
        OutgoingDocument,
        verbose_name=_("văn bản đi"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="secret_attempts",
    )
    attempt = models.CharField(_("thao tác bị từ chối"), max_length=20, choices=SecretAttempt.choices)
    detail = models.CharField(_("chi tiết"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("thời điểm"))

    class Meta:
        verbose_name = _("truy cập văn bản mật bị từ chối")
        verbose_name_plural = _("truy cập văn bản mật bị từ chối")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.attempt} {self.created_at:%Y-%m-%d %H:%M}"
