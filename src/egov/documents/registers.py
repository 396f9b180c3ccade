"""Incoming and outgoing registers (Sổ đăng ký văn bản đến/đi, Decree 30/2020 Appendix IV), as PDF and xlsx.

Registers kept in the system are printed in full with the register layout and bound at the end of the
year (arts. 16.2.b, 22.3.b): one register per agency, year, direction and series, ten columns each,
A4 landscape. A classified entry shows its content only to an officer cleared for its level.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from html import escape
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from egov.core.calendar import LOCAL_TZ
from egov.dossiers.exports import spreadsheet_text
from egov.dossiers.printing import FONT_BOLD, FONT_REGULAR, register_fonts

from .choices import SECRECY_RANK, Direction, IncomingStatus, OutgoingStatus, Secrecy, Series, Urgency
from .models import DocumentAssignment, DocumentRegister, IncomingDocument, OutgoingDocument
from .selectors import clearance_rank

PAGE = landscape(A4)
MARGIN = 12 * mm
_CHUNK = 500


def incoming_columns() -> list[tuple[str, float]]:
    """Appendix IV, Sổ đăng ký văn bản đến: the ten columns and their relative widths."""
    return [
        (gettext("Ngày đến"), 8),
        (gettext("Số đến"), 6),
        (gettext("Tác giả"), 14),
        (gettext("Số, ký hiệu văn bản"), 11),
        (gettext("Ngày tháng văn bản"), 8),
        (gettext("Tên loại và trích yếu nội dung"), 25),
        (gettext("Đơn vị hoặc người nhận"), 12),
        (gettext("Ngày chuyển"), 8),
        (gettext("Ký nhận"), 7),
        (gettext("Ghi chú"), 11),
    ]


def outgoing_columns() -> list[tuple[str, float]]:
    """Appendix IV, Sổ đăng ký văn bản đi: the ten columns and their relative widths."""
    return [
        (gettext("Số, ký hiệu văn bản"), 11),
        (gettext("Ngày tháng văn bản"), 8),
        (gettext("Tên loại và trích yếu nội dung"), 25),
        (gettext("Người ký"), 11),
        (gettext("Nơi nhận văn bản"), 15),
        (gettext("Đơn vị, người nhận bản lưu"), 9),
        (gettext("Số lượng bản"), 6),
        (gettext("Ngày chuyển"), 8),
        (gettext("Ký nhận"), 7),
        (gettext("Ghi chú"), 10),
    ]


def _date(value: dt.date | dt.datetime | None, *, with_time: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.astimezone(LOCAL_TZ)
        return f"{value:%d/%m/%Y %H:%M}" if with_time else f"{value:%d/%m/%Y}"
    return f"{value:%d/%m/%Y}"


def _summary(document, rank: int) -> str:
    """Type and subject; a classified subject above the reader's clearance is not printed."""
    if SECRECY_RANK[document.secrecy] > rank:
        return f"{document.document_type.name}: " + gettext("(nội dung mật)")
    if not document.subject:
        return document.document_type.name
    return f"{document.document_type.name}: {document.subject}"


def _notes(document, *, recalled_at: dt.datetime | None, recalled: bool) -> str:
    parts = []
    if recalled:
        parts.append(gettext("Đã thu hồi %(date)s") % {"date": _date(recalled_at)})
    if document.urgency != Urgency.NORMAL:
        parts.append(str(Urgency(document.urgency).label))
    if document.secrecy != Secrecy.NONE:
        parts.append(str(Secrecy(document.secrecy).label))
    return "; ".join(parts)


def register_for(*, agency, year: int, direction: str, series: str) -> DocumentRegister | None:
    return DocumentRegister.objects.filter(
        agency=agency, year=year, direction=direction, series=series
    ).first()


def incoming_rows(register: DocumentRegister | None, *, user) -> Iterator[list[Any]]:
    if register is None:
        return
    rank = clearance_rank(user, register.agency_id)
    first_assignments = Prefetch(
        "assignments",
        queryset=DocumentAssignment.objects.select_related("lead_department")
        .prefetch_related("assignees")
        .order_by("assigned_at", "id"),
    )
    documents = (
        IncomingDocument.objects.filter(register=register)
        .select_related("document_type")
        .prefetch_related(first_assignments)
        .order_by("arrival_number")
    )
    for document in documents.iterator(chunk_size=_CHUNK):
        assignments = list(document.assignments.all())
        current = next((a for a in assignments if a.is_current), assignments[-1] if assignments else None)
        receivers = []
        if current is not None:
            if current.lead_department:
                receivers.append(current.lead_department.name)
            receivers += [u.display_name for u in current.assignees.all()]
        yield [
            _date(document.arrival_at, with_time=True),
            document.arrival_number,
            document.issuer_name,
            document.number_notation,
            _date(document.document_date),
            _summary(document, rank),
            "; ".join(receivers),
            _date(assignments[0].assigned_at) if assignments else "",
            "",
            _notes(
                document,
                recalled_at=document.recalled_at,
                recalled=document.status == IncomingStatus.RECALLED,
            ),
        ]


def outgoing_rows(register: DocumentRegister | None, *, user) -> Iterator[list[Any]]:
    if register is None:
        return
    rank = clearance_rank(user, register.agency_id)
    documents = (
        OutgoingDocument.objects.filter(register=register, number__isnull=False)
        .select_related("document_type", "drafting_department")
        .prefetch_related("recipients")
        .order_by("number")
    )
    for document in documents.iterator(chunk_size=_CHUNK):
        signer = " ".join(
            p for p in (document.signer_competence, document.signer_position, document.signer_name) if p
        )
        file_copy = "VT"
        if document.drafting_department and document.drafting_department.abbreviation:
            file_copy += f", {document.drafting_department.abbreviation}"
        yield [
            document.number_notation,
            _date(document.document_date),
            _summary(document, rank),
            signer,
            "; ".join(r.name for r in document.recipients.all()),
            file_copy,
            document.copies,
            _date(document.issued_at),
            "",
            _notes(
                document,
                recalled_at=document.recalled_at,
                recalled=document.status == OutgoingStatus.RECALLED,
            ),
        ]


def _title(direction: str, series: str) -> str:
    if direction == Direction.INCOMING:
        title = gettext("SỔ ĐĂNG KÝ VĂN BẢN ĐẾN")
    else:
        title = gettext("SỔ ĐĂNG KÝ VĂN BẢN ĐI")
    return f"{title} ({gettext('MẬT')})" if series == Series.SECRET else title


def _columns_and_rows(*, agency, year: int, direction: str, series: str, user):
    register = register_for(agency=agency, year=year, direction=direction, series=series)
    if direction == Direction.INCOMING:
        return incoming_columns(), incoming_rows(register, user=user)
    return outgoing_columns(), outgoing_rows(register, user=user)


# ---- PDF ---------------------------------------------------------------------------------------------


def register_pdf(*, agency, year: int, direction: str, series: str = Series.NORMAL, user) -> bytes:
    """The register as a PDF on A4 landscape, header row repeated on every page, pages numbered."""
    register_fonts()
    columns, rows = _columns_and_rows(agency=agency, year=year, direction=direction, series=series, user=user)
    base = ParagraphStyle("cell", fontName=FONT_REGULAR, fontSize=7.5, leading=9)
    head = ParagraphStyle("head", parent=base, fontName=FONT_BOLD, alignment=TA_CENTER)
    center = ParagraphStyle("center", parent=base, alignment=TA_CENTER)
    title_style = ParagraphStyle("title", parent=head, fontSize=14, leading=18)
    width = PAGE[0] - 2 * MARGIN
    total = sum(w for _, w in columns)
    widths = [width * w / total for _, w in columns]
    header = [Paragraph(escape(name), head) for name, _ in columns]
    numbers = [Paragraph(str(i), center) for i in range(1, len(columns) + 1)]

    story: list = [
        Paragraph(escape(agency.name.upper()), head),
        Spacer(1, 4 * mm),
        Paragraph(escape(_title(direction, series)), title_style),
        Paragraph(escape(gettext("Năm %(year)s") % {"year": year}), head),
        Spacer(1, 5 * mm),
    ]
    chunk: list[list] = []

    def flush() -> None:
        table = Table([header, numbers, *chunk], colWidths=widths, repeatRows=2)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 2),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        story.append(table)

    for row in rows:
        chunk.append([Paragraph(escape(str(value)), base) for value in row])
        # Several tables rather than one: ReportLab splits a long table in quadratic time.
        if len(chunk) >= 200:
            flush()
            chunk = []
    if chunk or len(story) == 5:
        flush()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"{_title(direction, series)} {year} - {agency.name}",
        author=agency.name,
        creator="egov",
        lang="vi-VN",
    )
    document.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return buffer.getvalue()


def _page_number(canvas, document) -> None:
    canvas.saveState()
    canvas.setFont(FONT_REGULAR, 7)
    canvas.drawRightString(PAGE[0] - MARGIN, MARGIN / 2, gettext("Trang %(n)s") % {"n": document.page})
    canvas.restoreState()


# ---- xlsx --------------------------------------------------------------------------------------------


def register_xlsx(*, agency, year: int, direction: str, series: str = Series.NORMAL, user) -> bytes:
    """The register as a spreadsheet (A4 landscape print set-up); text is guarded against formula injection."""
    columns, rows = _columns_and_rows(agency=agency, year=year, direction=direction, series=series, user=user)
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(
        title=(gettext("Sổ đến %(y)s") if direction == Direction.INCOMING else gettext("Sổ đi %(y)s"))
        % {"y": year}
    )
    for index, (_name, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width * 1.6
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    header_row = 5
    ws.freeze_panes = f"A{header_row + 2}"
    ws.print_title_rows = f"{header_row}:{header_row + 1}"
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    bold = Font(bold=True)
    wrap_center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    wrap_top = Alignment(vertical="top", wrap_text=True)

    def cell(value: Any, **style: Any) -> WriteOnlyCell:
        c = WriteOnlyCell(ws, value=spreadsheet_text(value) if value != "" else None)
        if isinstance(c.value, str):
            c.data_type = "s"
        for name, setting in style.items():
            setattr(c, name, setting)
        return c

    ws.append([cell(agency.name.upper(), font=bold)])
    ws.append([cell(_title(direction, series), font=Font(bold=True, size=14))])
    ws.append([cell(gettext("Năm %(year)s") % {"year": year}, font=bold)])
    ws.append([])
    ws.append([cell(name, font=bold, alignment=wrap_center, border=box) for name, _ in columns])
    ws.append([cell(i, alignment=wrap_center, border=box) for i in range(1, len(columns) + 1)])
    for row in rows:
        ws.append([cell(value, border=box, alignment=wrap_top) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
