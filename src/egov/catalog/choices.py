from django.db import models
from django.utils.translation import gettext_lazy as _


class OnlineLevel(models.TextChoices):
    """Decree 42/2022 art. 11: full online (toàn trình) or partial online (một phần)."""

    FULL = "full", _("Toàn trình")
    PARTIAL = "partial", _("Một phần")
    NONE = "none", _("Chỉ trực tiếp")


class GovernmentLevel(models.TextChoices):
    """Cấp thực hiện."""

    CENTRAL = "central", _("Cấp Trung ương")
    PROVINCE = "province", _("Cấp tỉnh")
    COMMUNE = "commune", _("Cấp xã")


class DocumentForm(models.TextChoices):
    ORIGINAL = "original", _("Bản chính")
    CERTIFIED_COPY = "certified_copy", _("Bản sao có chứng thực")
    COPY = "copy", _("Bản sao")
    ORIGINAL_OR_COPY = "original_or_copy", _("Bản chính hoặc bản sao")
    ELECTRONIC = "electronic", _("Bản điện tử")


class CodeSource(models.TextChoices):
    """Where a procedure code comes from (reference §3.1)."""

    NATIONAL = "national", _("Mã quốc gia")
    PROVINCIAL_VARIANT = "provincial variant", _("Mã quốc gia kèm hậu tố mã tỉnh")
    PROVINCIAL_PLACEHOLDER = "provincial placeholder", _("Mã tạm của tỉnh (chưa có mã quốc gia)")


class OfferingAgencyKind(models.TextChoices):
    """The kind of agency that offers a procedure, used to create offerings for a province's agencies."""

    COMMUNE_COMMITTEE = "commune_committee", _("Ủy ban nhân dân cấp xã")
    COMMUNE_POLICE = "commune_police", _("Công an cấp xã")
    PROVINCE_JUSTICE = "province_justice", _("Sở Tư pháp")
    PROVINCE_POLICE = "province_police", _("Công an cấp tỉnh")
    PROVINCE_CONSTRUCTION = "province_construction", _("Sở Xây dựng")
    PROVINCE_NATURAL_RESOURCES = "province_natural_resources", _("Sở Nông nghiệp và Môi trường (đất đai)")
    SERVICE_CENTRE = "service_centre", _("Trung tâm Phục vụ hành chính công")
