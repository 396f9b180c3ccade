"""``manage.py registry_check``: references in the registry that point at nothing (nightly, and after a
bulk load). The registry tables have no database-level foreign keys (docs/adr/0002); this is the check that
stands in for them. Exits 1 when any column has a dangling reference, so cron or a timer reports it."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from egov.population.selectors import registry_dangling_references


class Command(BaseCommand):
    help = "Kiểm tra tham chiếu hỏng trong CSDL dân cư (cha, mẹ, vợ/chồng, đơn vị hành chính, nhật ký)."

    def handle(self, *args, **options) -> None:
        found = registry_dangling_references()
        for column, count in found.items():
            self.stdout.write(f"{column}: {count}")
        broken = {column: count for column, count in found.items() if count}
        if broken:
            raise CommandError(
                "Có tham chiếu hỏng: " + ", ".join(f"{column} ({count})" for column, count in broken.items())
            )
        self.stdout.write(self.style.SUCCESS("Không có tham chiếu hỏng."))
