"""``manage.py exchange_add_peer --name NAME [--url URL --cert-file PEM --agency CODE[=NAME]...]
[--identity-file JSON] [--token TOKEN] [--issue-token]``: add or update a peer (another instance or an axis).

``--identity-file`` reads what ``exchange_export_identity`` printed on the other side (URL, agencies, CA).
``--token`` is the bearer token the other side issued to us (to call it); when the peer is created, or with
``--issue-token``, a token for the other side to call us is issued and printed once, on a line
``INBOUND_TOKEN=<token>``: give it to the other side's operator for their ``--token``.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from egov.core.errors import DomainError
from egov.exchange import services


class Command(BaseCommand):
    help = _("Thêm hoặc cập nhật một hệ thống liên thông văn bản (hệ thống egov khác hoặc trục liên thông).")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--name", required=True, help=_("Tên (slug) của hệ thống bên kia."))
        parser.add_argument("--url", help=_("Địa chỉ gốc, ví dụ https://egov.tinh-b.gov.vn"))
        parser.add_argument(
            "--cert-file", help=_("Tệp PEM: CA (hoặc chứng thư) mà chữ ký của bên kia dẫn về.")
        )
        parser.add_argument(
            "--agency",
            action="append",
            default=[],
            help=_("Mã cơ quan do hệ thống này phục vụ (MÃ hoặc MÃ=Tên)."),
        )
        parser.add_argument(
            "--identity-file", help=_("Tệp JSON do exchange_export_identity in ra ở bên kia.")
        )
        parser.add_argument("--token", help=_("Mã truy cập bên kia cấp cho ta để gọi sang."))
        parser.add_argument(
            "--tls-ca-file", help=_("Tệp PEM: CA của máy chủ HTTPS bên kia (nếu không dùng CA hệ thống).")
        )
        parser.add_argument(
            "--issue-token",
            action="store_true",
            help=_("Cấp mã truy cập mới cho bên kia gọi vào hệ thống này."),
        )

    def handle(self, *args, **options) -> None:
        url, ca_pem, agencies = options["url"], None, []
        if options["identity_file"]:
            try:
                identity = json.loads(Path(options["identity_file"]).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(_("Không đọc được tệp định danh: %(e)s") % {"e": exc}) from exc
            url = url or identity.get("url")
            ca_pem = identity.get("ca_pem") or None
            agencies += [(a["code"], a.get("name", "")) for a in identity.get("agencies", [])]
        if options["cert_file"]:
            ca_pem = Path(options["cert_file"]).read_text(encoding="ascii")
        for item in options["agency"]:
            code, _sep, name = item.partition("=")
            agencies.append((code, name))
        tls_ca = Path(options["tls_ca_file"]).read_text(encoding="ascii") if options["tls_ca_file"] else None
        try:
            peer, token = services.peer_save(
                name=options["name"],
                base_url=url,
                ca_pem=ca_pem,
                agencies=agencies,
                outbound_token=options["token"],
                tls_ca_pem=tls_ca,
                issue_token=options["issue_token"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        codes = ", ".join(peer.agencies.values_list("organ_id", flat=True)) or "-"
        self.stdout.write(
            _("Hệ thống %(name)s: %(url)s; cơ quan: %(codes)s; đã có mã gọi sang: %(has)s")
            % {
                "name": peer.name,
                "url": peer.base_url,
                "codes": codes,
                "has": _("có") if peer.outbound_token else _("chưa"),
            }
        )
        if token:
            self.stdout.write(f"INBOUND_TOKEN={token}")
