"""``manage.py generate_people N [--output people.csv] [--seed 1]``: synthetic people as CSV.

SYNTHETIC DATA for demos, tests and benchmarks; the output is ready for ``import_people``.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from egov.population.generator import write_people


class Command(BaseCommand):
    help = _("Sinh dữ liệu công dân giả lập (CSV) để thử nghiệm, đo hiệu năng.")

    def add_arguments(self, parser):
        parser.add_argument("count", type=int, help=_("Số người cần sinh"))
        parser.add_argument("--output", "-o", help=_("Tệp CSV đầu ra (mặc định: stdout)"))
        parser.add_argument(
            "--seed", type=int, default=None, help=_("Hạt giống ngẫu nhiên (để lặp lại được)")
        )

    def handle(self, *args, count: int, output: str | None, seed: int | None, **options):
        if count < 0:
            raise CommandError(_("Số người phải không âm."))
        if output:
            with open(output, "w", newline="", encoding="utf-8", buffering=1 << 20) as stream:
                written = write_people(stream, count, seed=seed)
            self.stderr.write(_("Đã ghi %(n)s người vào %(path)s.") % {"n": f"{written:,}", "path": output})
        else:
            write_people(sys.stdout, count, seed=seed)
