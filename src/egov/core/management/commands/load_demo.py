"""``manage.py load_demo``: the demo province of Phú Thọ, its staff accounts and its catalog. Idempotent."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from egov.core.demo import (
    DEFAULT_CATALOG,
    DEMO_LEVEL1_CODE,
    DEMO_PASSWORD_DEFAULT,
    DEMO_PASSWORD_ENV,
    demo_password,
    demo_province_load,
)
from egov.core.errors import DomainError
from egov.core.selectors import agency_tree


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def render(cells: list[str]) -> str:
        return "  ".join(str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    return [render(headers), "  ".join("-" * width for width in widths), *(render(row) for row in rows)]


class Command(BaseCommand):
    help = (
        "Nạp dữ liệu DEMO: đơn vị hành chính, lịch làm việc mặc định, các cơ quan của tỉnh Phú Thọ (mã định "
        f"danh minh họa {DEMO_LEVEL1_CODE}), tài khoản cán bộ cho mọi vai trò (mật khẩu chung lấy từ biến môi "
        f"trường {DEMO_PASSWORD_ENV}, mặc định {DEMO_PASSWORD_DEFAULT}) và danh mục thủ tục. Chạy lại nhiều lần "
        "không tạo bản ghi trùng."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--level1-code",
            default=DEMO_LEVEL1_CODE,
            help=_("Mã cấp 1 (MX1X2) của tỉnh theo QCVN 102:2016; mặc định là mã minh họa %(code)s.")
            % {"code": DEMO_LEVEL1_CODE},
        )
        parser.add_argument(
            "--catalog",
            type=Path,
            default=DEFAULT_CATALOG,
            help=_("Tệp YAML danh mục thủ tục (mặc định: tệp kèm theo egov.catalog)."),
        )
        parser.add_argument("--no-catalog", action="store_true", help=_("Không nhập danh mục thủ tục."))
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help=_(
                "Cho phép nạp khi không ở chế độ phát triển (EGOV_DEBUG) hay kiểm thử: tài khoản demo "
                "có mật khẩu công khai."
            ),
        )

    def handle(self, *args, **options) -> None:
        if not (settings.DEBUG or getattr(settings, "TESTING", False) or options["allow_production"]):
            raise CommandError(
                _(
                    "Dữ liệu demo có tài khoản với mật khẩu công khai. Chỉ nạp khi EGOV_DEBUG=1, "
                    "hoặc thêm --allow-production nếu thật sự muốn."
                )
            )
        password = demo_password()
        out = self.stdout
        out.write(self.style.WARNING(_("=== DỮ LIỆU DEMO - KHÔNG DÙNG CHO HỆ THỐNG THẬT ===")))
        try:
            with transaction.atomic():
                out.write("")
                out.write(self.style.MIGRATE_HEADING(_("Đơn vị hành chính")))
                call_command("load_units", stdout=out, stderr=self.stderr)
                result = demo_province_load(
                    password=password,
                    level1_code=options["level1_code"],
                    catalog_path=None if options["no_catalog"] else options["catalog"],
                )
        except DomainError as exc:
            raise CommandError(exc.message) from exc

        out.write("")
        out.write(self.style.MIGRATE_HEADING(_("Lịch làm việc")))
        out.write(
            _(
                "Lịch mặc định %(state)s: 07:30-11:30, 13:00-17:00, chốt tiếp nhận 15:00; ngày lễ theo gói holidays (VN)."
            )
            % {"state": _("đã tạo") if result.calendar_created else _("đã có, giữ nguyên")}
        )

        out.write("")
        out.write(self.style.MIGRATE_HEADING(_("Cơ quan (tỉnh Phú Thọ, mã 25)")))
        out.write(
            _(
                "Mã định danh theo QCVN 102:2016 với mã cấp 1 %(code)s%(note)s. Địa chỉ, điện thoại, thư điện tử là "
                "dữ liệu minh họa."
            )
            % {
                "code": options["level1_code"],
                "note": _(" (mã MINH HỌA, không phải mã chính thức)")
                if options["level1_code"] == DEMO_LEVEL1_CODE
                else "",
            }
        )
        demo_ids = {agency.pk for agency in result.agencies}
        for depth, agency in agency_tree():
            if agency.pk in demo_ids:
                out.write(f"  {agency.code}  {'  ' * depth}{agency.name}")

        if options["no_catalog"]:
            out.write("")
            out.write(_("Bỏ qua danh mục thủ tục (--no-catalog)."))
        else:
            out.write("")
            out.write(self.style.MIGRATE_HEADING(_("Danh mục thủ tục")))
            if result.catalog_summary:
                out.write(result.catalog_summary)
            out.write(
                _("%(procedures)s thủ tục, %(offerings)s lượt áp dụng tại các cơ quan demo.")
                % {"procedures": result.procedures, "offerings": result.offerings}
            )
        for warning in result.warnings:
            out.write(self.style.WARNING(warning))

        out.write("")
        out.write(self.style.MIGRATE_HEADING(_("Tài khoản demo (mật khẩu chung, chỉ dùng thử)")))
        rows = [[a.username, a.full_name, a.role, a.agency, password] for a in result.accounts]
        for line in table(
            [_("Tên đăng nhập"), _("Họ và tên"), _("Vai trò"), _("Cơ quan"), _("Mật khẩu")], rows
        ):
            out.write(line)
        out.write("")
        out.write(
            self.style.SUCCESS(
                _(
                    "Xong: %(agencies)s cơ quan, %(accounts)s tài khoản. Đổi mật khẩu demo bằng biến môi trường "
                    "%(env)s rồi chạy lại lệnh."
                )
                % {
                    "agencies": len(result.agencies),
                    "accounts": len(result.accounts),
                    "env": DEMO_PASSWORD_ENV,
                }
            )
        )
