"""``manage.py signing_dev_ca [--user USERNAME]... [--agency CODE]... [--renew]``: the development CA.

Creates the root and issuing CA under ``EGOV_SIGNING_DIR`` (``var/signing``) unless they exist,
re-publishes both CRLs, and issues a certificate to each named official (personal signature) or agency
(seal) that has no usable one yet. Running it again changes nothing but the CRLs' dates: it is safe
in set-up scripts. Development and tests only: production certificates come from a licensed CA.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from egov.accounts.models import User
from egov.core.models import Agency
from egov.signing import ca, selectors, services


class Command(BaseCommand):
    help = _(
        "Tạo CA thử nghiệm (CA gốc và CA cấp chứng thư) nếu chưa có, phát hành lại CRL và cấp chứng thư số "
        "cho cán bộ (--user) hoặc cơ quan (--agency) chưa có chứng thư còn hiệu lực."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--user", action="append", default=[], help=_("Tên đăng nhập của cán bộ ký."))
        parser.add_argument(
            "--agency", action="append", default=[], help=_("Mã định danh của cơ quan (con dấu).")
        )
        parser.add_argument(
            "--renew", action="store_true", help=_("Cấp chứng thư mới dù chứng thư cũ vẫn còn hiệu lực.")
        )

    def handle(self, *args, **options) -> None:
        authority = ca.DevCertificateAuthority()
        created = authority.ensure()
        self.stdout.write(
            (_("Đã tạo CA thử nghiệm tại %(dir)s") if created else _("CA thử nghiệm đã có tại %(dir)s"))
            % {"dir": authority.directory}
        )
        for name in ca.CA_NAMES:
            services.crl_publish(name=name, authority=authority)
            self.stdout.write(_("CRL %(name)s: %(url)s") % {"name": name, "url": ca.crl_url(name)})

        owners: list[tuple[str, dict]] = []
        for username in options["user"]:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(_("Không tìm thấy người dùng “%(username)s”.") % {"username": username})
            owners.append((username, {"user": user}))
        for code in options["agency"]:
            agency = Agency.objects.filter(code=code).first()
            if agency is None:
                raise CommandError(_("Không tìm thấy cơ quan có mã “%(code)s”.") % {"code": code})
            owners.append((code, {"agency": agency}))

        for label, owner in owners:
            existing = selectors.certificate_usable_for(**owner, at=timezone.now())
            if existing is not None and not options["renew"]:
                certificate, verb = existing, _("đã có")
            else:
                certificate, verb = services.certificate_issue(**owner, authority=authority), _("đã cấp")
            self.stdout.write(
                f"{label}: {verb} {certificate.get_kind_display()} · {certificate.common_name} · "
                f"serial {certificate.serial_number} · {_('hiệu lực đến')} "
                f"{timezone.localtime(certificate.not_after):%Y-%m-%d}"
            )
