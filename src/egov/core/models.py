"""Administrative units, agencies, the working-day calendar and number sequences."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import AgencyKind, AgencyLevel, CalendarDayKind, UnitLevel

agency_code_validator = RegexValidator(
    r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$",
    _("Mã định danh cơ quan phải có dạng V1V2V3.Z1Z2.Y1Y2.MX1X2, ví dụ 000.00.15.H29 (QCVN 102:2016)."),
)


class AdministrativeUnit(models.Model):
    """A province, a (pre-2025) district or a commune, with the dates its code was valid.

    Codes follow Decision 19/2025/QĐ-TTg (2 digits for provinces, 5 for communes) and are never reused;
    the pre-2025 units keep their rows with ``valid_to`` set, for historical records and ID numbers.
    """

    code = models.CharField(_("mã"), max_length=10)
    name = models.CharField(_("tên"), max_length=200)
    level = models.CharField(_("cấp"), max_length=20, choices=UnitLevel.choices)
    division_type = models.CharField(_("loại đơn vị"), max_length=40, blank=True)
    codename = models.CharField(_("tên không dấu"), max_length=200, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("đơn vị cấp trên"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    valid_from = models.DateField(_("hiệu lực từ"), default=dt.date(2025, 7, 1))
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)

    class Meta:
        verbose_name = _("đơn vị hành chính")
        verbose_name_plural = _("đơn vị hành chính")
        constraints = [
            models.UniqueConstraint(fields=["level", "code", "valid_from"], name="unit_code_per_period"),
        ]
        indexes = [models.Index(fields=["parent", "level"])]
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Agency(models.Model):
    """A state agency (cơ quan, đơn vị) with its electronic identifier (QCVN 102:2016, Decision 20/2020)."""

    code = models.CharField(_("mã định danh"), max_length=13, unique=True, validators=[agency_code_validator])
    name = models.CharField(_("tên cơ quan"), max_length=255)
    abbreviation = models.CharField(_("tên viết tắt"), max_length=30, blank=True)
    level = models.CharField(_("cấp"), max_length=20, choices=AgencyLevel.choices)
    kind = models.CharField(_("loại cơ quan"), max_length=30, choices=AgencyKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("cơ quan cấp trên"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    administrative_unit = models.ForeignKey(
        AdministrativeUnit, verbose_name=_("địa bàn"), on_delete=models.PROTECT, related_name="agencies"
    )
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=30, blank=True)
    email = models.EmailField(_("thư điện tử"), blank=True)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)

    class Meta:
        verbose_name = _("cơ quan")
        verbose_name_plural = _("cơ quan")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """A unit inside an agency (phòng, ban), e.g. the civil-status section of a commune."""

    agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan"), on_delete=models.CASCADE, related_name="departments"
    )
    name = models.CharField(_("tên phòng ban"), max_length=255)
    abbreviation = models.CharField(_("viết tắt"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("phòng ban")
        verbose_name_plural = _("phòng ban")
        constraints = [models.UniqueConstraint(fields=["agency", "name"], name="department_name_per_agency")]

    def __str__(self) -> str:
        return f"{self.name} ({self.agency.abbreviation or self.agency.name})"


class Calendar(models.Model):
    """Working hours and weekly pattern; public holidays come from ``holidays`` (VN) plus ``CalendarDay`` rows."""

    name = models.CharField(_("tên lịch"), max_length=100, unique=True)
    is_default = models.BooleanField(_("lịch mặc định"), default=False)
    morning_start = models.TimeField(_("bắt đầu buổi sáng"), default=dt.time(7, 30))
    morning_end = models.TimeField(_("kết thúc buổi sáng"), default=dt.time(11, 30))
    afternoon_start = models.TimeField(_("bắt đầu buổi chiều"), default=dt.time(13, 0))
    afternoon_end = models.TimeField(_("kết thúc buổi chiều"), default=dt.time(17, 0))
    saturday_morning = models.BooleanField(
        _("làm việc sáng thứ Bảy"),
        default=False,
        help_text=_("Bộ phận một cửa tiếp nhận và giải quyết hồ sơ vào sáng thứ Bảy."),
    )
    cutoff = models.TimeField(
        _("giờ chốt tiếp nhận"),
        default=dt.time(15, 0),
        help_text=_(
            "Hồ sơ nhận sau giờ này được tính từ ngày làm việc tiếp theo (Nghị định 61/2018, Điều 18)."
        ),
    )
    use_national_holidays = models.BooleanField(_("áp dụng ngày lễ quốc gia"), default=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), null=True, blank=True, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người cập nhật"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("lịch làm việc")
        verbose_name_plural = _("lịch làm việc")

    def __str__(self) -> str:
        return self.name


class CalendarDay(models.Model):
    """An override decided by an authority: an extra holiday, a compensatory working day, a Saturday morning."""

    calendar = models.ForeignKey(
        Calendar, verbose_name=_("lịch"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("ngày"))
    kind = models.CharField(_("loại"), max_length=20, choices=CalendarDayKind.choices)
    note = models.CharField(_("căn cứ, ghi chú"), max_length=255, blank=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), null=True, blank=True, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người cập nhật"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("ngày điều chỉnh")
        verbose_name_plural = _("ngày điều chỉnh")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="one_override_per_day")]
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.get_kind_display()}"


class Sequence(models.Model):
    """A named counter (dossier numbers per agency and day, register entries per year, document numbers).

    Incremented only through ``egov.core.numbering.next_value`` with one atomic UPSERT, so parallel
    workers never draw the same number.
    """

    scope = models.CharField(_("phạm vi"), max_length=120, unique=True)
    value = models.BigIntegerField(_("giá trị"), default=0)

    class Meta:
        verbose_name = _("bộ đếm")
        verbose_name_plural = _("bộ đếm")

    def __str__(self) -> str:
        return f"{self.scope}={self.value}"


class AppendOnly(models.Model):
    """Wiring guard, not business logic: history rows are written once and never changed."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{type(self).__name__} rows are append-only")
