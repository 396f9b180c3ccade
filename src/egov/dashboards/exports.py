"""The published per-agency statistics as an xlsx file (the table of ``/stats/``)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

# Text that a spreadsheet would run as a formula (OWASP "CSV injection"); agency names are typed by admins.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_TRIGGERS):
        return "'" + value
    return value


def columns() -> list[tuple[str, str, str]]:
    """(key, heading, kind) of each column; kind is "text", "count", "share" or "score"."""
    return [
        ("agency_code", gettext("Mã cơ quan"), "text"),
        ("agency_name", gettext("Cơ quan"), "text"),
        ("received", gettext("Tiếp nhận"), "count"),
        ("received_online", gettext("Tiếp nhận trực tuyến"), "count"),
        ("online_share", gettext("Tỷ lệ trực tuyến"), "share"),
        ("finished", gettext("Đã giải quyết"), "count"),
        ("finished_early", gettext("Trước hạn"), "count"),
        ("finished_on_time", gettext("Đúng hạn"), "count"),
        ("finished_late", gettext("Trễ hạn"), "count"),
        ("on_time_share", gettext("Tỷ lệ đúng hạn"), "share"),
        ("in_progress", gettext("Đang giải quyết"), "count"),
        ("overdue", gettext("Trong đó quá hạn"), "count"),
        ("avg_time_share", gettext("Thời gian giải quyết bình quân so với quy định"), "share"),
        ("rescheduled", gettext("Xin lỗi, hẹn lại"), "count"),
        ("refused", gettext("Từ chối tiếp nhận"), "count"),
        ("withdrawn", gettext("Rút hồ sơ"), "count"),
        ("procedures_with_online", gettext("Số TTHC có hồ sơ trực tuyến"), "count"),
        ("satisfaction_avg", gettext("Mức hài lòng bình quân (1-5)"), "score"),
        ("satisfaction_count", gettext("Số lượt đánh giá"), "count"),
    ]


def stats_xlsx(
    *, rows: list[dict[str, Any]], totals: dict[str, Any], date_from: dt.date, date_to: dt.date
) -> bytes:
    """One sheet: a title with the period, a header row, one row per agency and a totals row."""
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(title=gettext("Thống kê"))
    cols = columns()
    for index, (key, _, _) in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(index)].width = 40 if key == "agency_name" else 14
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.freeze_panes = "C4"

    bold = Font(bold=True)
    head_alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    def cell(value: Any, *, font: Font | None = None, number_format: str | None = None, alignment=None):
        c = WriteOnlyCell(ws, value=_safe(value))
        if isinstance(c.value, str):
            c.data_type = "s"
        if font:
            c.font = font
        if number_format:
            c.number_format = number_format
        if alignment:
            c.alignment = alignment
        return c

    title = gettext("TÌNH HÌNH GIẢI QUYẾT HỒ SƠ THỦ TỤC HÀNH CHÍNH TỪ %(start)s ĐẾN %(end)s") % {
        "start": f"{date_from:%d/%m/%Y}",
        "end": f"{date_to:%d/%m/%Y}",
    }
    ws.append([cell(title, font=Font(bold=True, size=13))])
    ws.append([])
    ws.append([cell(heading, font=bold, alignment=head_alignment) for _, heading, _ in cols])

    def line(row: dict[str, Any], font: Font | None = None) -> list:
        values = []
        for key, _, kind in cols:
            value = row.get(key)
            number_format = {"share": "0.0%", "score": "0.00"}.get(kind)
            values.append(cell(value, font=font, number_format=number_format))
        return values

    for row in rows:
        ws.append(line(row))
    ws.append(line({**totals, "agency_name": gettext("Tổng cộng")}, font=bold))

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
