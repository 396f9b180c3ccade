"""The reconciliation list (đối soát) as CSV and as a spreadsheet, one row per payment plus the totals."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from egov.core.calendar import LOCAL_TZ
from egov.core.models import Agency
from egov.dossiers.exports import spreadsheet_text

from .choices import Gateway, PaymentStatus
from .selectors import Reconciliation


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    """Spreadsheets have no time zones: Vietnam wall-clock time."""
    return moment.astimezone(LOCAL_TZ).replace(tzinfo=None) if moment is not None else None


def _columns() -> list[tuple[str, float]]:
    return [
        (gettext("STT"), 6),
        (gettext("Mã giao dịch"), 26),
        (gettext("Mã hồ sơ"), 27),
        (gettext("Thủ tục"), 36),
        (gettext("Người nộp tiền"), 24),
        (gettext("Hình thức"), 22),
        (gettext("Số tiền (đồng)"), 14),
        (gettext("Trạng thái"), 22),
        (gettext("Thời điểm tạo"), 17),
        (gettext("Thời điểm thanh toán"), 17),
        (gettext("Mã giao dịch tại cổng thanh toán"), 18),
        (gettext("Ngân hàng"), 10),
        (gettext("Mã phản hồi"), 9),
        (gettext("Diễn giải"), 36),
        (gettext("Số biên lai"), 10),
        (gettext("Cần kiểm tra"), 40),
    ]


def _rows(data: Reconciliation):
    for index, row in enumerate(data.rows, start=1):
        p = row.payment
        yield [
            index,
            p.txn_ref,
            p.dossier.code,
            p.dossier.procedure.name,
            p.payer_name,
            str(Gateway(p.gateway).label),
            p.amount,
            str(PaymentStatus(p.status).label),
            _local(p.created_at),
            _local(p.paid_at),
            p.gateway_transaction_no,
            p.bank_code,
            p.response_code,
            p.response_message,
            p.receipt_label,
            "; ".join(str(f) for f in row.flags),
        ]


def _title(data: Reconciliation, agency: Agency) -> str:
    return gettext("Đối soát thanh toán %(agency)s ngày %(day)s") % {
        "agency": agency.name,
        "day": f"{data.day:%d/%m/%Y}",
    }


def reconciliation_csv(data: Reconciliation, *, agency: Agency) -> bytes:
    """UTF-8 with a byte-order mark so spreadsheet programs read the Vietnamese text right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_title(data, agency)])
    writer.writerow([name for name, _width in _columns()])
    for values in _rows(data):
        writer.writerow(
            [
                v.strftime("%d/%m/%Y %H:%M:%S")
                if isinstance(v, dt.datetime)
                else spreadsheet_text(v)
                if v is not None
                else ""
                for v in values
            ]
        )
    writer.writerow([])
    writer.writerow([gettext("Tổng hợp theo trạng thái"), gettext("Số giao dịch"), gettext("Số tiền (đồng)")])
    for total in data.totals:
        writer.writerow([total.label, total.count, total.amount])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def reconciliation_xlsx(data: Reconciliation, *, agency: Agency) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = gettext("Đối soát")
    sheet.append([_title(data, agency)])
    sheet["A1"].font = Font(bold=True, size=12)
    columns = _columns()
    sheet.append([name for name, _width in columns])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for values in _rows(data):
        sheet.append([spreadsheet_text(v) for v in values])
        row = sheet.max_row
        for column in (9, 10):
            sheet.cell(row=row, column=column).number_format = "dd/mm/yyyy hh:mm:ss"
        sheet.cell(row=row, column=7).number_format = "#,##0"
        for column, value in enumerate(values, start=1):
            if isinstance(value, str):
                sheet.cell(row=row, column=column).data_type = "s"
    for index, (_name, width) in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(row=2, column=index).column_letter].width = width
    sheet.freeze_panes = "A3"

    totals = workbook.create_sheet(gettext("Tổng hợp"))
    totals.append([gettext("Trạng thái"), gettext("Số giao dịch"), gettext("Số tiền (đồng)")])
    for cell in totals[1]:
        cell.font = Font(bold=True)
    for total in data.totals:
        totals.append([total.label, total.count, total.amount])
        totals.cell(row=totals.max_row, column=3).number_format = "#,##0"
    totals.column_dimensions["A"].width = 30
    totals.column_dimensions["B"].width = 14
    totals.column_dimensions["C"].width = 18
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
