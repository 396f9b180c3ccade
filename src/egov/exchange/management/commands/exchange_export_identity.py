"""``manage.py exchange_export_identity [--agency CODE]... [--issue]``: print, as JSON, what another instance
needs to add this one as a peer: our URL, the agencies we serve and the CA certificates our seals chain to.

Public data only (no key, no token). ``--issue`` first issues missing seal certificates from the
development CA (``signing_dev_ca``; development and tests only).
"""

from __future__ import annotations

import json

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from egov.core.models import Agency
from egov.exchange import services


class Command(BaseCommand):
    help = _(
        "In thông tin định danh liên thông (địa chỉ, cơ quan, CA tin cậy) để hệ thống khác thêm ta làm đối tác."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--agency", action="append", default=[], help=_("Chỉ các cơ quan này (mã định danh).")
        )
        parser.add_argument(
            "--issue",
            action="store_true",
            help=_("Cấp chứng thư con dấu thử nghiệm cho cơ quan chưa có (CA thử nghiệm)."),
        )
        parser.add_argument("--output", help=_("Ghi ra tệp thay vì in ra màn hình."))

    def handle(self, *args, **options) -> None:
        agencies = None
        if options["agency"]:
            agencies = list(Agency.objects.filter(code__in=options["agency"]))
            missing = set(options["agency"]) - {a.code for a in agencies}
            if missing:
                raise CommandError(
                    _("Không tìm thấy cơ quan: %(codes)s") % {"codes": ", ".join(sorted(missing))}
                )
        if options["issue"]:
            codes = (
                [a.code for a in agencies]
                if agencies is not None
                else list(Agency.objects.filter(is_active=True).values_list("code", flat=True))
            )
            args = [f"--agency={code}" for code in codes]
            call_command("signing_dev_ca", *args, stdout=self.stderr)
        data = json.dumps(services.identity_export(agencies=agencies), ensure_ascii=False, indent=2)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as handle:
                handle.write(data)
        else:
            self.stdout.write(data)
