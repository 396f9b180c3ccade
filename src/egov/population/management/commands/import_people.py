"""``manage.py import_people people.csv [--skip-bad-rows] [--batch 5000]``: bulk import into the registry.

Columns (header line required, any order; optional columns may be left out): see
``egov.population.importer.COLUMNS``. Bad rows are printed on stderr as ``Dòng N: reason``; by default a
file with any bad row imports nothing (exit status 1).
"""

from __future__ import annotations

import contextlib
import csv
import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from egov.population.importer import ImportAborted, PeopleImport, print_error


class Command(BaseCommand):
    help = _("Nhập dữ liệu công dân từ tệp CSV (kiểm tra từng dòng; mặc định có dòng lỗi thì không nhập gì).")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("Tệp CSV (UTF-8, có dòng tiêu đề)"))
        parser.add_argument(
            "--skip-bad-rows",
            action="store_true",
            help=_("Nhập các dòng hợp lệ, bỏ qua và báo cáo các dòng lỗi"),
        )
        parser.add_argument("--batch", type=int, default=5000, help=_("Số dòng mỗi lô ghi (SQLite)"))
        parser.add_argument("--report", help=_("Ghi danh sách dòng lỗi (dòng, lý do) ra tệp CSV này"))
        parser.add_argument(
            "--progress-every", type=int, default=100_000, help=_("Báo tiến độ sau mỗi N dòng")
        )
        parser.add_argument("--quiet", action="store_true", help=_("Không in tiến độ và từng dòng lỗi"))
        parser.add_argument("--json", action="store_true", help=_("In kết quả dạng JSON trên stdout"))

    def handle(self, *args, **options):
        with contextlib.ExitStack() as stack:
            report_writer = None
            if options["report"]:
                report_writer = csv.writer(
                    stack.enter_context(open(options["report"], "w", newline="", encoding="utf-8"))
                )
                report_writer.writerow(["line", "reason"])
            report = self._import(options, report_writer)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict()))
        else:
            self.stdout.write(
                _(
                    "Đã đọc %(input)s dòng: hợp lệ %(accepted)s, lỗi %(rejected)s; "
                    "đã nhập %(imported)s (%(rate)s dòng/giây)."
                )
                % {
                    "input": f"{report.input_rows:,}",
                    "accepted": f"{report.accepted:,}",
                    "rejected": f"{report.rejected:,}",
                    "imported": f"{report.imported:,}",
                    "rate": f"{report.as_dict()['rows_per_second'] or 0:,}",
                }
            )
        if not report.balanced:  # an invariant, checked so that a miscount can never go unnoticed
            raise CommandError(_("Lỗi nội bộ: số dòng hợp lệ + lỗi khác số dòng đã đọc."))
        if report.rejected and not options["skip_bad_rows"]:
            raise CommandError(
                _("Có %(n)s dòng lỗi nên không nhập dòng nào. Sửa các dòng trên, hoặc dùng --skip-bad-rows.")
                % {"n": f"{report.rejected:,}"}
            )

    def _import(self, options, report_writer):
        # The raw stream (not Django's OutputWrapper, which would add a newline to every "\r" redraw).
        stream = options.get("stderr") or sys.stderr
        to_stderr = None if options["quiet"] else print_error(stream)

        def on_error(line: int, message: str) -> None:
            if to_stderr:
                to_stderr(line, message)
            if report_writer:
                report_writer.writerow([line, message])

        run = PeopleImport(
            options["file"],
            skip_bad_rows=options["skip_bad_rows"],
            batch=options["batch"],
            on_error=on_error,
            progress_stream=None if options["quiet"] else stream,
            progress_every=options["progress_every"],
        )
        try:
            return run.run()
        except ImportAborted as exc:
            raise CommandError(str(exc)) from exc
