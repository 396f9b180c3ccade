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
