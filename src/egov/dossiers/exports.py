"""Spreadsheet exports of the one-stop shop: Sổ theo dõi hồ sơ (Mẫu 06, Circular 01/2018/TT-VPCP art. 9-10).

The register is opened each year per receiving agency and its entries run continuously from 1 to
the end of the year (art. 10); it is printed on A4 (art. 9.2), landscape for its 14 columns.
"""

from __future__ import annotations

import datetime as dt
import io
from copy import copy
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from egov.core.calendar import LOCAL_TZ
from egov.core.models import Agency

from .choices import DossierStatus
from .models import Dossier, DossierTask, SupplementRequest

# Characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection"); tab and carriage
# return are included because some programs strip them and then see the next character.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
_CHUNK = 2000


def spreadsheet_text(value: Any) -> Any:
    """``value`` made safe for a cell: text that a spreadsheet would run as a formula gets a leading
    apostrophe (so ``=HYPERLINK(...)`` typed by an applicant is shown, never evaluated)."""
    if isinstance(value, str) and value.startswith(_FORMULA_TRIGGERS):
        return "'" + value
    return value


def _text_cell(ws: Worksheet, value: Any, **style: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=spreadsheet_text(value))
    if isinstance(cell.value, str):
        # Forced to a plain string even if it still looked like a formula to openpyxl.
        cell.data_type = "s"
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _naive_local(moment: dt.datetime | None) -> dt.datetime | None:
    """Excel has no time zones: write the Vietnam wall-clock time."""
    return moment.astimezone(LOCAL_TZ).replace(tzinfo=None) if moment is not None else None


def _columns() -> list[tuple[str, float]]:
    return [
        (gettext("STT"), 7),
        (gettext("Mã hồ sơ"), 27),
        (gettext("Tên TTHC"), 36),
        (gettext("Số lượng hồ sơ (bộ)"), 9),
        (gettext("Tên cá nhân, tổ chức"), 24),
        (gettext("Địa chỉ, số điện thoại"), 30),
        (gettext("Cơ quan chủ trì giải quyết"), 24),
        (gettext("Ngày, tháng, năm nhận hồ sơ"), 15),
        (gettext("Ngày, tháng, năm hẹn trả kết quả"), 15),
        (gettext("Ngày, tháng, năm chuyển hồ sơ"), 15),
        (gettext("Ngày, tháng, năm có kết quả/ yêu cầu bổ sung"), 15),
        (gettext("Ngày, tháng, năm trả kết quả"), 15),
        (gettext("Ký nhận"), 12),
        (gettext("Ghi chú"), 30),
    ]


def register_rows(*, agency: Agency, year: int):
    """The register's entries for ``agency`` and ``year`` (by local receipt date), as dicts, streamed."""
    start = dt.datetime(year, 1, 1, tzinfo=LOCAL_TZ)
    end = dt.datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ)
    first_handover = (
        DossierTask.objects.filter(dossier=OuterRef("pk"), finished_at__isnull=False)
        .order_by("finished_at", "id")
        .values("finished_at")[:1]
    )
    last_supplement = (
        SupplementRequest.objects.filter(dossier=OuterRef("pk"))
        .order_by("-requested_at", "-id")
        .values("requested_at")[:1]
    )
    return (
        Dossier.objects.filter(agency=agency, received_at__gte=start, received_at__lt=end)
        .annotate(transferred_at=Subquery(first_handover), supplement_requested_at=Subquery(last_supplement))
        .order_by("register_number", "received_at", "pk")
        .values(
            "register_number",
            "code",
            "procedure__name",
            "set_count",
            "applicant_name",
            "applicant_address",
            "applicant_phone",
            "agency__name",
            "received_at",
            "due_at",
            "rescheduled_due_at",
            "transferred_at",
            "finished_at",
            "supplement_requested_at",
            "returned_at",
            "status",
        )
        .iterator(chunk_size=_CHUNK)
    )


def _note(row: dict[str, Any]) -> str:
    parts = [str(DossierStatus(row["status"]).label)] if row["status"] in DossierStatus.values else []
    if row["rescheduled_due_at"]:
        parts.append(
            gettext("Xin lỗi, hẹn lại ngày trả: %(date)s")
            % {"date": f"{row['rescheduled_due_at'].astimezone(LOCAL_TZ):%d/%m/%Y %H:%M}"}
        )
    if row["supplement_requested_at"] and row["finished_at"]:
        parts.append(
            gettext("Yêu cầu bổ sung ngày %(date)s")
            % {"date": f"{row['supplement_requested_at'].astimezone(LOCAL_TZ):%d/%m/%Y}"}
        )
    return "; ".join(parts)


def register_xlsx(*, agency: Agency, year: int) -> bytes:
    """Sổ theo dõi hồ sơ (Mẫu 06) of ``agency`` for ``year`` as an xlsx file, A4 landscape.

    Written with a write-only workbook and a server-side iterator, so memory stays flat for tens of
    thousands of entries. Every text an applicant typed is neutralised against formula injection.
    """
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(title=gettext("Sổ theo dõi hồ sơ %(year)s") % {"year": year})
    columns = _columns()
    # Column widths, print set-up and panes must be set before the first row in write-only mode.
    for index, (_, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4 (ECMA-376 ST_PaperSize)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    header_row = 5
    ws.freeze_panes = f"C{header_row + 1}"
    ws.print_title_rows = f"{header_row}:{header_row}"

    bold = Font(bold=True)
    title_font = Font(bold=True, size=14)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap_center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    wrap_top = Alignment(vertical="top", wrap_text=True)

    ws.append([_text_cell(ws, agency.name.upper(), font=bold)])
    ws.append([_text_cell(ws, gettext("SỔ THEO DÕI HỒ SƠ"), font=title_font)])
    ws.append([_text_cell(ws, gettext("Năm %(year)s (Quyển số %(year)s)") % {"year": year}, font=bold)])
    ws.append([])
    ws.append([_text_cell(ws, title, font=bold, alignment=wrap_center, border=box) for title, _ in columns])

    # Styles are resolved once and their index array copied into each cell: setting font/border objects
    # cell by cell hashes them every time and dominated the export time of large registers.
    text_style = _text_cell(ws, "", border=box, alignment=wrap_top)._style
    date_style = _text_cell(ws, "", border=box, alignment=wrap_top, number_format=DATETIME_FORMAT)._style

    for row in register_rows(agency=agency, year=year):
        contact = " - ".join(part for part in (row["applicant_address"], row["applicant_phone"]) if part)
        result_at = row["finished_at"] or row["supplement_requested_at"]
        values: list[Any] = [
            row["register_number"],
            row["code"],
            row["procedure__name"],
            row["set_count"],
            row["applicant_name"],
            contact,
            row["agency__name"],
            row["received_at"],
            row["due_at"],
            row["transferred_at"],
            result_at,
            row["returned_at"],
            "",
            _note(row),
        ]
        ws.append([_data_cell(ws, value, text_style, date_style) for value in values])

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _data_cell(ws: Worksheet, value: Any, text_style: StyleArray, date_style: StyleArray) -> WriteOnlyCell:
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(ws, value=_naive_local(value))
        cell._style = copy(date_style)
        return cell
    # An empty cell keeps its border but writes no string.
    cell = WriteOnlyCell(ws, value=spreadsheet_text(value) if value != "" else None)
    if isinstance(cell.value, str):
        cell.data_type = "s"
    cell._style = copy(text_style)
    return cell
