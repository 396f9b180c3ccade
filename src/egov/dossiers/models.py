"""The one-stop shop's dossier (hồ sơ) with its papers, steps, consultations and append-only events."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from egov.accounts.choices import Role
from egov.core.choices import TimeUnit
from egov.core.models import AppendOnly

from .choices import Channel, DocumentOrigin, DossierAction, DossierStatus, ReturnMethod


class Dossier(models.Model):
    """One application for one procedure at one agency, from submission to return."""

    code = models.CharField(_("mã hồ sơ"), max_length=40, unique=True)
    offering = models.ForeignKey(
        "catalog.ProcedureOffering",
        verbose_name=_("thủ tục tại cơ quan"),
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    procedure = models.ForeignKey(
        "catalog.Procedure", verbose_name=_("thủ tục"), on_delete=models.PROTECT, related_name="dossiers"
    )
    agency = models.ForeignKey(
        "core.Agency", verbose_name=_("cơ quan tiếp nhận"), on_delete=models.PROTECT, related_name="dossiers"
    )
    status = models.CharField(_("trạng thái"), max_length=30, choices=DossierStatus.choices, db_index=True)
    channel = models.CharField(_("hình thức nộp"), max_length=20, choices=Channel.choices)
    return_method = models.CharField(
        _("hình thức nhận kết quả"), max_length=20, choices=ReturnMethod.choices, default=ReturnMethod.COUNTER
    )

    applicant_name = models.CharField(_("người nộp"), max_length=150)
    applicant_id_number = models.CharField(_("số định danh cá nhân"), max_length=20, blank=True)
    applicant_phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    applicant_email = models.EmailField(_("thư điện tử"), blank=True)
    applicant_address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    applicant_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản người nộp"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dossiers",
    )
    subject = models.CharField(_("nội dung yêu cầu"), max_length=500, blank=True)
    form_data = models.JSONField(_("dữ liệu tờ khai"), default=dict, blank=True)
    set_count = models.PositiveSmallIntegerField(_("số bộ hồ sơ"), default=1)

    processing_amount = models.DecimalField(_("thời hạn giải quyết"), max_digits=6, decimal_places=2)
    processing_unit = models.CharField(_("đơn vị thời hạn"), max_length=20, choices=TimeUnit.choices)
    fee = models.PositiveIntegerField(_("phí, lệ phí (đồng)"), default=0)

    submitted_at = models.DateTimeField(_("thời điểm nộp"), null=True, blank=True)
    received_at = models.DateTimeField(_("thời điểm tiếp nhận"), null=True, blank=True)
    clock_started_at = models.DateTimeField(
        _("thời điểm bắt đầu tính hạn"),
        null=True,
        blank=True,
        help_text=_(
            "Bằng thời điểm tiếp nhận, hoặc thời điểm nhận đủ hồ sơ bổ sung (Nghị định 61/2018, Điều 19.4)."
        ),
    )
    due_at = models.DateTimeField(_("hẹn trả kết quả"), null=True, blank=True, db_index=True)
    rescheduled_due_at = models.DateTimeField(_("hẹn lại ngày trả"), null=True, blank=True)
    apology_reason = models.TextField(_("lý do xin lỗi"), blank=True)
    decided_at = models.DateTimeField(_("thời điểm quyết định"), null=True, blank=True)
    decision_reason = models.TextField(_("ý kiến, lý do"), blank=True)
    finished_at = models.DateTimeField(_("thời điểm có kết quả"), null=True, blank=True)
    returned_at = models.DateTimeField(_("thời điểm trả kết quả"), null=True, blank=True)
    closed_at = models.DateTimeField(_("thời điểm kết thúc"), null=True, blank=True)
    register_number = models.PositiveIntegerField(_("số thứ tự trong sổ theo dõi"), null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    due_soon_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)

    class Meta:
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")
        indexes = [
            models.Index(fields=["agency", "status", "due_at"], name="dossier_agency_status_due"),
            models.Index(fields=["agency", "received_at"], name="dossier_agency_received"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def effective_due_at(self):
        return self.rescheduled_due_at or self.due_at


class DossierDocument(models.Model):
    """A paper of the dossier or its result; stored bytes are never edited and carry a SHA-256 checksum."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("hồ sơ"), on_delete=models.CASCADE, related_name="documents"
    )
    required_document = models.ForeignKey(
        "catalog.RequiredDocument",
        verbose_name=_("thành phần"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    name = models.CharField(_("tên giấy tờ"), max_length=500)
    origin = models.CharField(_("nguồn"), max_length=20, choices=DocumentOrigin.choices)
    quantity = models.PositiveSmallIntegerField(_("số lượng"), default=1)
    file = models.FileField(_("tệp"), upload_to="dossiers/%Y/%m/", blank=True)
    content_type = models.CharField(_("kiểu nội dung"), max_length=100, blank=True)
    size = models.PositiveIntegerField(_("dung lượng"), default=0)
    checksum = models.CharField(_("SHA-256"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("giấy tờ trong hồ sơ")
        verbose_name_plural = _("giấy tờ trong hồ sơ")
        ordering = ["dossier", "id"]

    def __str__(self) -> str:
        return self.name


class DossierTask(models.Model):
    """One step of the process for one dossier: the line of the control sheet (Mẫu 05)."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("hồ sơ"), on_delete=models.CASCADE, related_name="tasks"
    )
    step = models.ForeignKey(
        "catalog.ProcessStep", verbose_name=_("bước"), null=True, blank=True, on_delete=models.SET_NULL
    )
    position = models.PositiveSmallIntegerField(_("thứ tự bước"))
    name = models.CharField(_("tên bước"), max_length=255)
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices)
    is_decision = models.BooleanField(_("bước phê duyệt"), default=False)
    agency = models.ForeignKey(
        "core.Agency", verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="dossier_tasks"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người xử lý"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dossier_tasks",
    )
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người giao"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(_("bắt đầu"))
    due_at = models.DateTimeField(_("hạn xử lý"))
    finished_at = models.DateTimeField(_("hoàn thành"), null=True, blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người hoàn thành"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    outcome = models.CharField(_("kết quả bước"), max_length=30, blank=True)
    note = models.TextField(_("ý kiến"), blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("bước xử lý hồ sơ")
        verbose_name_plural = _("bước xử lý hồ sơ")
        ordering = ["dossier", "started_at", "id"]
        indexes = [
            models.Index(fields=["assignee", "finished_at"], name="task_assignee_open"),
            models.Index(fields=["agency", "role", "finished_at"], name="task_pool_open"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.name}"


class Consultation(models.Model):
    """A request for another agency's opinion (Decree 61/2018 art. 19.5.b)."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("hồ sơ"), on_delete=models.CASCADE, related_name="consultations"
    )
    agency = models.ForeignKey(
        "core.Agency",
        verbose_name=_("cơ quan được xin ý kiến"),
        on_delete=models.PROTECT,
        related_name="consultations",
    )
    question = models.TextField(_("nội dung xin ý kiến"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người xin ý kiến"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("ngày xin ý kiến"))
    due_at = models.DateTimeField(_("hạn trả lời"))
    answer = models.TextField(_("ý kiến trả lời"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người trả lời"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("ngày trả lời"), null=True, blank=True)

    class Meta:
        verbose_name = _("xin ý kiến")
        verbose_name_plural = _("xin ý kiến")
        ordering = ["dossier", "requested_at"]

    def __str__(self) -> str:
        return f"{self.dossier_id} -> {self.agency_id}"


class SupplementRequest(models.Model):
    """Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02): everything missing, notified at once."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("hồ sơ"), on_delete=models.CASCADE, related_name="supplement_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người yêu cầu"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("ngày yêu cầu"))
    items = models.JSONField(_("nội dung cần bổ sung"), default=list)
    reason = models.TextField(_("lý do"))
    during_processing = models.BooleanField(_("yêu cầu trong quá trình giải quyết"), default=False)
    resume_position = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    fulfilled_at = models.DateTimeField(_("ngày bổ sung"), null=True, blank=True)

    class Meta:
        verbose_name = _("yêu cầu bổ sung")
        verbose_name_plural = _("yêu cầu bổ sung")
        ordering = ["dossier", "requested_at"]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.requested_at:%Y-%m-%d}"


class DossierEvent(AppendOnly):
    """Append-only history of a dossier: who did what, from which status to which, when and why."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("hồ sơ"), on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("thao tác"), max_length=30, choices=DossierAction.choices)
    from_status = models.CharField(
        _("từ trạng thái"), max_length=30, choices=DossierStatus.choices, blank=True
    )
    to_status = models.CharField(_("sang trạng thái"), max_length=30, choices=DossierStatus.choices)
    note = models.TextField(_("ghi chú"), blank=True)
    data = models.JSONField(_("dữ liệu"), default=dict, blank=True)
    created_at = models.DateTimeField(_("thời điểm"))

    class Meta:
        verbose_name = _("nhật ký hồ sơ")
        verbose_name_plural = _("nhật ký hồ sơ")
        ordering = ["dossier", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.action}"


class VaultItemKind(models.TextChoices):
    RESULT = "result", _("Kết quả giải quyết thủ tục hành chính")


class VaultItem(models.Model):
    """Kho dữ liệu: a paper the state issued to a citizen, kept in their account so that a later
    dossier uses it instead of a new upload (the once-only principle: no paper the state already
    holds is asked for again). The file is the stored, checksummed result; its bytes are never edited."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chủ sở hữu"),
        on_delete=models.CASCADE,
        related_name="vault_items",
    )
    name = models.CharField(_("tên giấy tờ"), max_length=500)
    kind = models.CharField(_("loại"), max_length=20, choices=VaultItemKind.choices)
    file = models.FileField(_("tệp"), upload_to="vault/%Y/%m/")
    content_type = models.CharField(_("kiểu nội dung"), max_length=100, blank=True)
    size = models.PositiveIntegerField(_("dung lượng"), default=0)
    checksum = models.CharField(_("SHA-256"), max_length=64)
    source_dossier_code = models.CharField(_("mã hồ sơ cấp"), max_length=40, blank=True)
    source_document = models.ForeignKey(
        DossierDocument,
        verbose_name=_("giấy tờ gốc"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="vault_items",
    )
    issued_at = models.DateTimeField(_("ngày cấp"))
    created_at = models.DateTimeField(_("ngày lưu"), auto_now_add=True)

    class Meta:
        verbose_name = _("giấy tờ trong kho dữ liệu")
        verbose_name_plural = _("kho dữ liệu công dân")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "source_dossier_code", "checksum"], name="vault_item_once_per_result"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ConsentMethod(models.TextChoices):
    SIGNED_PAPER = "signed_paper", _("Công dân ký vào phiếu đồng ý (bản giấy)")
    VERBAL_WITNESSED = "verbal_witnessed", _("Công dân đồng ý bằng lời, có người làm chứng")
    OTP = "otp", _("Công dân đọc mã OTP gửi tới điện thoại của mình")


class AssistedConsent(models.Model):
    """The citizen's consent for an officer at a commune counter to submit a dossier on their behalf
    (channel "hỗ trợ tại quầy"): who consented, to which text (by version), how, before which officer,
    when. Written in the same transaction as the dossier; never edited."""

    dossier = models.OneToOneField(
        Dossier, verbose_name=_("hồ sơ"), on_delete=models.CASCADE, related_name="assisted_consent"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("cán bộ hỗ trợ"), on_delete=models.PROTECT, related_name="+"
    )
    citizen_name = models.CharField(_("họ và tên công dân"), max_length=150)
    citizen_id_number = models.CharField(_("số định danh cá nhân"), max_length=12)
    text_version = models.CharField(_("phiên bản nội dung đồng ý"), max_length=20)
    method = models.CharField(_("cách thức đồng ý"), max_length=20, choices=ConsentMethod.choices)
    witness_name = models.CharField(_("người làm chứng"), max_length=150, blank=True)
    phone = models.CharField(_("điện thoại nhận mã OTP"), max_length=20, blank=True)
    otp_code = models.OneToOneField(
        "accounts.VerificationCode",
        verbose_name=_("mã OTP đã xác nhận"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assisted_consent",
    )
    recorded_at = models.DateTimeField(_("thời điểm ghi nhận"))

    class Meta:
        verbose_name = _("đồng ý nộp hồ sơ hỗ trợ")
        verbose_name_plural = _("đồng ý nộp hồ sơ hỗ trợ")

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.citizen_name}"


class DossierReadChannel(models.TextChoices):
    WEB = "web", _("Trang quản lý hồ sơ")
    API = "api", _("API")
    FILE = "file", _("Tải giấy tờ của hồ sơ")


class DossierRead(AppendOnly):
    """An officer opened a dossier, or downloaded one of its papers: both show the applicant's personal
    data (number, address, telephone, scans). Every such read is recorded (Decree 13/2023/NĐ-CP arts. 9
    and 27: processing on record, the data subject's right to know), with the agency through which the
    officer could see it (their own, or one consulted), and the applicant sees the list on their dossier
    page. Append-only."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("hồ sơ"), on_delete=models.CASCADE, related_name="reads"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("cán bộ"), on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "core.Agency",
        verbose_name=_("với tư cách cơ quan"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    consulted = models.BooleanField(_("cơ quan được xin ý kiến"), default=False)
    channel = models.CharField(_("kênh"), max_length=10, choices=DossierReadChannel.choices)
    document = models.ForeignKey(
        DossierDocument,
        verbose_name=_("giấy tờ đã tải"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("thời điểm"))

    class Meta:
        verbose_name = _("lượt xem hồ sơ")
        verbose_name_plural = _("lượt xem hồ sơ")
        indexes = [models.Index(fields=["dossier", "at"], name="dossier_read_dossier_at_idx")]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.user_id} {self.at:%Y-%m-%d %H:%M}"
