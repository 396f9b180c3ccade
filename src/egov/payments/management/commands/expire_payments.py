"""``manage.py expire_payments``: mark pending payments whose window has closed as expired.

Run every few minutes next to ``scan_deadlines`` (cron or a systemd timer).
"""

from django.core.management.base import BaseCommand

from egov.payments.services import payment_expire_stale


class Command(BaseCommand):
    help = "Đánh dấu hết hạn các giao dịch thanh toán quá thời gian chờ (vnp_ExpireDate)."

    def handle(self, *args, **options):
        count = payment_expire_stale()
        self.stdout.write(f"expired: {count}")
