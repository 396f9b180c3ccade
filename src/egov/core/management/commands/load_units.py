"""``manage.py load_units``: the 34 provinces and 3,321 communes in force since 01/07/2025."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from egov.core.services import administrative_units_load


class Command(BaseCommand):
    help = (
        "Nạp 34 tỉnh, thành phố và 3.321 xã, phường, đặc khu (Nghị quyết 202/2025/QH15, mã theo Quyết định "
        "19/2025/QĐ-TTg) từ gói vietnam-provinces. Chạy lại nhiều lần không tạo bản ghi trùng. "
        "Đơn vị trước 01/07/2025 (63 tỉnh, cấp huyện) dùng chung bảng với valid_to = 30/06/2025; "
        "xem egov.core.services.administrative_units_load."
    )

    def handle(self, *args, **options) -> None:
        import vietnam_provinces

        began = time.monotonic()
        result = administrative_units_load()
        elapsed = time.monotonic() - began
        self.stdout.write(
            _(
                "Đơn vị hành chính (vietnam-provinces %(version)s, dữ liệu %(data)s): %(provinces)s tỉnh, "
                "thành phố; %(communes)s xã, phường, đặc khu."
            )
            % {
                "version": vietnam_provinces.__version__,
                "data": vietnam_provinces.__data_version__,
                "provinces": result.provinces,
                "communes": result.communes,
            }
        )
        self.stdout.write(
            self.style.SUCCESS(
                _("Thêm mới %(created)s, cập nhật %(updated)s, không đổi %(unchanged)s (%(seconds).2f giây).")
                % {
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "seconds": elapsed,
                }
            )
        )
