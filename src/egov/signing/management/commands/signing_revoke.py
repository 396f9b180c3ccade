"""``manage.py signing_revoke (--serial HEX | --user USERNAME | --agency CODE) [--reason REASON]``.

Revokes the matching active certificates and re-publishes the issuing CA's CRL, so that signing with
them is refused and documents they signed verify as revoked (RFC 5280 §5.3.1 reason codes).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from egov.signing import services
from egov.signing.choices import CertificateKind, CertificateStatus, RevocationReason
from egov.signing.models import SigningCertificate


class Command(BaseCommand):
    help = _("Thu hồi chứng thư số ký văn bản và phát hành lại danh sách thu hồi (CRL).")

    def add_arguments(self, parser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--serial", help=_("Số hiệu chứng thư (hệ 16)."))
        target.add_argument("--user", help=_("Tên đăng nhập: thu hồi mọi chứng thư cá nhân còn hiệu lực."))
        target.add_argument("--agency", help=_("Mã cơ quan: thu hồi mọi chứng thư con dấu còn hiệu lực."))
        parser.add_argument(
            "--reason",
            default=RevocationReason.UNSPECIFIED,
            choices=RevocationReason.values,
            help=_("Lý do thu hồi (mã RFC 5280)."),
        )

    def handle(self, *args, **options) -> None:
        queryset = SigningCertificate.objects.filter(status=CertificateStatus.ACTIVE)
        if options["serial"]:
            queryset = queryset.filter(serial_number=options["serial"].lower().removeprefix("0x").lstrip("0"))
        elif options["user"]:
            queryset = queryset.filter(kind=CertificateKind.PERSONAL, user__username=options["user"])
        else:
            queryset = queryset.filter(kind=CertificateKind.AGENCY_SEAL, agency__code=options["agency"])
        certificates = list(queryset)
        if not certificates:
            raise CommandError(_("Không có chứng thư số còn hiệu lực phù hợp."))
        for certificate in certificates:
            services.certificate_revoke(certificate=certificate, reason=options["reason"])
            self.stdout.write(
                _("Đã thu hồi %(name)s (serial %(serial)s).")
                % {"name": certificate.common_name, "serial": certificate.serial_number}
            )
