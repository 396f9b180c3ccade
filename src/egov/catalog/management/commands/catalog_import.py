"""``manage.py catalog_import [file]``: load procedures from YAML (default: the bundled catalog)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.catalog.services import DEFAULT_CATALOG_PATH, catalog_import
from egov.core.errors import DomainError


class Command(BaseCommand):
    help = "Nhập danh mục thủ tục hành chính từ tệp YAML (mặc định: danh mục kèm theo egov)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", nargs="?", default=str(DEFAULT_CATALOG_PATH), help="Tệp YAML ('-' = stdin)"
        )
        parser.add_argument(
            "--no-update", action="store_true", help="Không sửa các thủ tục đã có, chỉ thêm thủ tục mới."
        )

    def handle(self, *args, file: str, no_update: bool, **options) -> None:
        source = sys.stdin if file == "-" else file
        try:
            report = catalog_import(stream_or_path=source, update=not no_update)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(report.summary()))
        if options["verbosity"] >= 2:
            for label, codes in (("+", report.created), ("~", report.updated), ("=", report.unchanged)):
                for code in codes:
                    self.stdout.write(f"{label} {code}")
