from django.core.management.base import BaseCommand

from egov.dossiers.services import dossier_scan_deadlines


class Command(BaseCommand):
    help = "Tìm hồ sơ quá hạn, sắp đến hạn và bước xử lý quá hạn; thông báo cho người xử lý và lãnh đạo (chạy định kỳ)."

    def handle(self, *args, **options):
        counts = dossier_scan_deadlines()
        self.stdout.write(
            "Quá hạn: {overdue}, sắp đến hạn: {due_soon}, bước quá hạn: {overdue_steps}".format(**counts)
        )
