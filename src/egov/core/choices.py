"""Choices shared across the platform (core domain)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitLevel(models.TextChoices):
    PROVINCE = "province", _("Tỉnh, thành phố")
    DISTRICT = "district", _("Quận, huyện (trước 01/07/2025)")
    COMMUNE = "commune", _("Xã, phường, đặc khu")


class AgencyLevel(models.TextChoices):
    """Where an agency sits in the two-tier local government (Law 72/2025/QH15)."""

    CENTRAL = "central", _("Trung ương")
    PROVINCE = "province", _("Cấp tỉnh")
    COMMUNE = "commune", _("Cấp xã")


class AgencyKind(models.TextChoices):
    PEOPLES_COMMITTEE = "peoples_committee", _("Ủy ban nhân dân")
    SERVICE_CENTRE = "service_centre", _("Trung tâm Phục vụ hành chính công")
    DEPARTMENT = "department", _("Sở, ban, ngành")
    POLICE = "police", _("Công an")
    SOCIAL_INSURANCE = "social_insurance", _("Bảo hiểm xã hội")
    OTHER = "other", _("Cơ quan khác")


class TimeUnit(models.TextChoices):
    """Units of a statutory processing time (reference §8.3)."""

    WORKING_DAYS = "working_days", _("ngày làm việc")
    DAYS = "days", _("ngày")
    WORKING_HOURS = "working_hours", _("giờ làm việc")
    SAME_DAY = "same_day", _("trong ngày")


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Ngày nghỉ")
    WORKING_DAY = "working_day", _("Ngày làm việc (làm bù)")
    MORNING_ONLY = "morning_only", _("Làm việc buổi sáng")
