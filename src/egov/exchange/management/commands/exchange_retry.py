"""``manage.py exchange_retry [--failed [--peer NAME]]``: queue the send task of every outbox message that is due (its back-off
elapsed, or its worker died while sending), and queue the messages of issued documents whose delivery
hook never ran. Run it every minute from cron or a systemd timer; it is safe to run concurrently.

``--failed`` also sends again the messages that failed (rejected, or out of attempts), after the cause was
fixed; ``--peer`` limits that to one peer."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from egov.exchange import services
from egov.exchange.models import Peer


class Command(BaseCommand):
    help = _("Đưa lại vào hàng đợi các gói tin liên thông đến hạn gửi lại.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--failed", action="store_true", help=_("Gửi lại cả các gói tin đã thất bại."))
        parser.add_argument("--peer", help=_("Chỉ các gói tin gửi tới hệ thống này (tên)."))

    def handle(self, *args, **options) -> None:
        if options["failed"]:
            peer = None
            if options["peer"]:
                peer = Peer.objects.filter(name=options["peer"]).first()
                if peer is None:
                    raise CommandError(
                        _("Không có hệ thống liên thông “%(name)s”.") % {"name": options["peer"]}
                    )
            resent = services.messages_resend_failed(peer=peer)
            self.stdout.write(_("Gửi lại %(n)s gói tin đã thất bại.") % {"n": resent})
        reconciled = services.outbox_reconcile()
        requeued = services.messages_requeue_due()
        self.stdout.write(
            _("Bổ sung %(r)s gói tin bị sót; đưa lại %(q)s gói tin vào hàng đợi.")
            % {"r": reconciled, "q": requeued}
        )
