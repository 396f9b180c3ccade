from django.core.management.base import BaseCommand

from egov.documents.services import documents_scan_deadlines


class Command(BaseCommand):
    help = (
        "Tìm văn bản đến sắp đến hạn (còn 01 ngày làm việc) và quá hạn xử lý; thông báo cho người xử lý "
        "và lãnh đạo, mỗi lần một thông báo (chạy định kỳ)."
    )

    def handle(self, *args, **options):
        counts = documents_scan_deadlines()
        self.stdout.write("Sắp đến hạn: {due_soon}, quá hạn: {overdue}".format(**counts))
