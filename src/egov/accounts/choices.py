from django.db import models
from django.utils.translation import gettext_lazy as _


class UserKind(models.TextChoices):
    CITIZEN = "citizen", _("Công dân, doanh nghiệp")
    OFFICER = "officer", _("Cán bộ, công chức")
    SYSTEM = "system", _("Hệ thống kết nối")


class Role(models.TextChoices):
    """Roles granted per agency (DESIGN.md, "Who uses it")."""

    RECEPTION = "reception", _("Cán bộ một cửa")
    SPECIALIST = "specialist", _("Chuyên viên")
    LEADER = "leader", _("Lãnh đạo")
    CLERK = "clerk", _("Văn thư")
    AGENCY_ADMIN = "agency_admin", _("Quản trị cơ quan")
    PROVINCE_ADMIN = "province_admin", _("Quản trị cấp tỉnh")
