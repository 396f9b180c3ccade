"""The procedure catalog in three layers (as OpenCPS keeps it): procedure, offering, process template."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from egov.accounts.choices import Role
from egov.core.choices import TimeUnit

from .choices import CodeSource, DocumentForm, GovernmentLevel, OnlineLevel


class Field(models.Model):
    """Lĩnh vực: the sector a procedure belongs to (Circular 01/2018 art. 20)."""

    code = models.CharField(_("mã lĩnh vực"), max_length=30, unique=True)
    name = models.CharField(_("tên lĩnh vực"), max_length=200)

    class Meta:
        verbose_name = _("lĩnh vực")
        verbose_name_plural = _("lĩnh vực")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


procedure_code_validator = RegexValidator(
    r"^\d\.\d{6}(\.[0-9A-Z.]+)?$", _("Mã thủ tục có dạng 1.001193 (có thể thêm hậu tố mã cơ quan).")
)


class Procedure(models.Model):
    """An administrative procedure (thủ tục hành chính) as published in the national database."""

    code = models.CharField(
        _("mã thủ tục"), max_length=40, unique=True, validators=[procedure_code_validator]
    )
    name = models.CharField(_("tên thủ tục"), max_length=500)
    search_text = models.TextField(_("chuỗi tìm kiếm"), editable=False, default="")
    field = models.ForeignKey(
        Field, verbose_name=_("lĩnh vực"), on_delete=models.PROTECT, related_name="procedures"
    )
    level = models.CharField(_("cấp thực hiện"), max_length=20, choices=GovernmentLevel.choices)
    implementing_agency = models.CharField(_("cơ quan thực hiện"), max_length=255)
    processing_amount = models.DecimalField(
        _("thời hạn giải quyết"), max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    processing_unit = models.CharField(_("đơn vị thời hạn"), max_length=20, choices=TimeUnit.choices)
    fee_in_person = models.PositiveIntegerField(_("phí, lệ phí nộp trực tiếp (đồng)"), default=0)
    fee_online = models.PositiveIntegerField(_("phí, lệ phí nộp trực tuyến (đồng)"), default=0)
    fee_note = models.CharField(_("ghi chú phí, lệ phí"), max_length=500, blank=True)
    result = models.CharField(_("kết quả"), max_length=500)
    online_level = models.CharField(_("mức độ trực tuyến"), max_length=20, choices=OnlineLevel.choices)
    legal_basis = models.TextField(_("căn cứ pháp lý"), blank=True)
    conditions = models.TextField(_("yêu cầu, điều kiện"), blank=True)
    applicants = models.CharField(_("đối tượng thực hiện"), max_length=255, blank=True)
    form_schema = models.JSONField(_("biểu mẫu điện tử"), default=dict, blank=True)
    offered_by = models.JSONField(
        _("loại cơ quan tiếp nhận"),
        default=list,
        blank=True,
        help_text=_(
            "Loại cơ quan áp dụng thủ tục (xem OfferingAgencyKind), để tạo thủ tục tại từng cơ quan."
        ),
    )
    code_source = models.CharField(
        _("nguồn mã thủ tục"), max_length=30, choices=CodeSource.choices, default=CodeSource.NATIONAL
    )
    data_note = models.TextField(
        _("ghi chú về số liệu"),
        blank=True,
        help_text=_(
            "Giá trị chưa được xác nhận trong văn bản gốc và cần đối chiếu Cơ sở dữ liệu quốc gia về TTHC."
        ),
    )
    is_active = models.BooleanField(_("đang áp dụng"), default=True)
    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)

    class Meta:
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def fees(self) -> dict[str, int]:
        return {"in_person": self.fee_in_person, "online": self.fee_online}


class RequiredDocument(models.Model):
    """One paper of the dossier (thành phần hồ sơ)."""

    procedure = models.ForeignKey(
        Procedure, verbose_name=_("thủ tục"), on_delete=models.CASCADE, related_name="required_documents"
    )
    position = models.PositiveSmallIntegerField(_("thứ tự"), default=1)
    name = models.CharField(_("tên giấy tờ"), max_length=500)
    form = models.CharField(
        _("hình thức"), max_length=20, choices=DocumentForm.choices, default=DocumentForm.ORIGINAL
    )
    quantity = models.PositiveSmallIntegerField(_("số lượng"), default=1)
    mandatory = models.BooleanField(_("bắt buộc"), default=True)
    template_name = models.CharField(_("mẫu đơn, tờ khai"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("thành phần hồ sơ")
        verbose_name_plural = _("thành phần hồ sơ")
        ordering = ["procedure", "position"]
        constraints = [models.UniqueConstraint(fields=["procedure", "position"], name="document_position")]

    def __str__(self) -> str:
        return self.name


class ProcessTemplate(models.Model):
    """An ordered list of steps; the steps' budgets add up to the statutory time."""

    procedure = models.ForeignKey(
        Procedure, verbose_name=_("thủ tục"), on_delete=models.CASCADE, related_name="process_templates"
    )
    name = models.CharField(_("tên quy trình"), max_length=255)

    class Meta:
        verbose_name = _("quy trình nội bộ")
        verbose_name_plural = _("quy trình nội bộ")

    def __str__(self) -> str:
        return self.name


class ProcessStep(models.Model):
    """A step of a process: who does it and how much of the statutory time it may use.

    ``amount`` is in the procedure's time unit (working days may be fractional: 0.5 is half a day).
    The step marked ``is_decision`` is where a leader approves or denies.
    """

    template = models.ForeignKey(
        ProcessTemplate, verbose_name=_("quy trình"), on_delete=models.CASCADE, related_name="steps"
    )
    position = models.PositiveSmallIntegerField(_("thứ tự"))
    name = models.CharField(_("tên bước"), max_length=255)
    role = models.CharField(_("vai trò thực hiện"), max_length=20, choices=Role.choices)
    amount = models.DecimalField(
        _("thời gian"), max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    is_decision = models.BooleanField(_("bước phê duyệt"), default=False)

    class Meta:
        verbose_name = _("bước xử lý")
        verbose_name_plural = _("bước xử lý")
        ordering = ["template", "position"]
        constraints = [models.UniqueConstraint(fields=["template", "position"], name="step_position")]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class ProcedureOffering(models.Model):
    """Which agency offers a procedure, with which process and any local time or fee (Circular 250/2016)."""

    procedure = models.ForeignKey(
        Procedure, verbose_name=_("thủ tục"), on_delete=models.CASCADE, related_name="offerings"
    )
    agency = models.ForeignKey(
        "core.Agency", verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="offerings"
    )
    process_template = models.ForeignKey(
        ProcessTemplate, verbose_name=_("quy trình"), on_delete=models.PROTECT, related_name="offerings"
    )
    fee_in_person = models.PositiveIntegerField(_("phí địa phương nộp trực tiếp"), null=True, blank=True)
    fee_online = models.PositiveIntegerField(_("phí địa phương nộp trực tuyến"), null=True, blank=True)
    is_active = models.BooleanField(_("đang tiếp nhận"), default=True)

    class Meta:
        verbose_name = _("thủ tục áp dụng tại cơ quan")
        verbose_name_plural = _("thủ tục áp dụng tại cơ quan")
        constraints = [
            models.UniqueConstraint(fields=["procedure", "agency"], name="one_offering_per_agency")
        ]

    def __str__(self) -> str:
        return f"{self.procedure.code} @ {self.agency}"

    def fee(self, *, online: bool) -> int:
        if online:
            return self.fee_online if self.fee_online is not None else self.procedure.fee_online
        return self.fee_in_person if self.fee_in_person is not None else self.procedure.fee_in_person
