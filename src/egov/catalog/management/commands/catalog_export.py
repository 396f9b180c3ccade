"""``manage.py catalog_export [--output file]``: write the catalog as YAML (the import format)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from egov.catalog.services import catalog_export


class Command(BaseCommand):
    help = "Xuất danh mục thủ tục hành chính ra YAML (nhập lại được bằng catalog_import)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", help="Tệp đích; bỏ trống thì in ra màn hình.")

    def handle(self, *args, output: str | None, **options) -> None:
        text = catalog_export()
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(self.style.SUCCESS(f"{output}"))
        else:
            self.stdout.write(text, ending="")
