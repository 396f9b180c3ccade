"""The electronic receipt (biên lai điện tử) of a paid fee, as a PDF.

The payment proof goes with the dossier (Decree 61/2018 art. 22). The receipt names the collecting
agency, the payer, the dossier and procedure, the amount in figures and in words, the time, the
gateway's transaction number and the receipt number (per agency and year). The legal template of
receipts (Decree 123/2020/NĐ-CP on invoices and receipts) is not in reference/vn-standards.md [U]:
check its mandatory fields (receipt template symbol and series) before release. The text is set in
DejaVu Sans, embedded with its Unicode map, so it prints and can be searched and copied.
"""

from __future__ import annotations

import datetime as dt
import io
from html import escape

from django.utils.translation import gettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from egov.core.calendar import LOCAL_TZ
from egov.dossiers.printing import FONT_BOLD, FONT_REGULAR, QrCode, public_status_url, register_fonts

from .amounts import format_vnd, vnd_in_words
from .choices import Gateway
from .models import Payment

PAGE_MARGIN = 12 * mm
FRAME_WIDTH = A5[0] - 2 * PAGE_MARGIN


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT_REGULAR, fontSize=9, leading=12, alignment=TA_LEFT)
    return {
        "body": base,
        "label": ParagraphStyle("label", parent=base, fontSize=8.5),
        "value": ParagraphStyle("value", parent=base, fontName=FONT_BOLD, fontSize=8.5),
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER),
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=9, alignment=TA_CENTER),
        "header": ParagraphStyle("header", parent=base, fontSize=7.5, leading=9.5, alignment=TA_CENTER),
        "header_bold": ParagraphStyle(
            "header_bold", parent=base, fontName=FONT_BOLD, fontSize=7.5, leading=9.5, alignment=TA_CENTER
        ),
        "date": ParagraphStyle("date", parent=base, fontSize=8.5, alignment=TA_RIGHT),
        "title": ParagraphStyle(
            "title", parent=base, fontName=FONT_BOLD, fontSize=12, leading=15, alignment=TA_CENTER
        ),
    }


def _e(value) -> str:
    text = "" if value is None else str(value)
    return escape(text, quote=False) if text.strip() else "…"


def _clock(moment: dt.datetime | None) -> str:
    if moment is None:
        return "…"
    local = moment.astimezone(LOCAL_TZ)
    return gettext("%(hour)s giờ %(minute)s phút, ngày %(date)s") % {
        "hour": f"{local.hour:02d}",
        "minute": f"{local.minute:02d}",
        "date": f"{local:%d/%m/%Y}",
    }


def method_label(payment: Payment) -> str:
    if payment.gateway == Gateway.CASH:
        return gettext("Tiền mặt tại Bộ phận Một cửa")
    return gettext("Trực tuyến qua %(gateway)s") % {"gateway": Gateway(payment.gateway).label}


def render_receipt(payment: Payment) -> bytes:
    """The receipt PDF (A5 portrait) of a paid ``payment``."""
    register_fonts()
    styles = _styles()
    dossier = payment.dossier
    agency = payment.agency
    paid_local = (payment.paid_at or payment.confirmed_at or payment.created_at).astimezone(LOCAL_TZ)

    left = []
    if agency.parent_id:
        left.append(_e(agency.parent.name.upper()))
    left.append(f"<b>{_e(agency.name.upper())}</b>")
    header = Table(
        [
            [
                Paragraph("<br/>".join(left), styles["header"]),
                Paragraph(
                    gettext("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
                    + "<br/><u>"
                    + gettext("Độc lập - Tự do - Hạnh phúc")
                    + "</u>",
                    styles["header_bold"],
                ),
            ]
        ],
        colWidths=[FRAME_WIDTH * 0.45, FRAME_WIDTH * 0.55],
    )
    header.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story: list = [header, Spacer(1, 5 * mm)]
    story.append(Paragraph(gettext("BIÊN LAI THU PHÍ, LỆ PHÍ"), styles["title"]))
    story.append(Paragraph("<i>" + gettext("(Biên lai điện tử)") + "</i>", styles["center"]))
    story.append(
        Paragraph(gettext("Số biên lai:") + f" <b>{_e(payment.receipt_label)}</b>", styles["center"])
    )
    story.append(
        Paragraph(
            "<i>"
            + gettext("Ngày %(day)s tháng %(month)s năm %(year)s")
            % {"day": f"{paid_local.day:02d}", "month": f"{paid_local.month:02d}", "year": paid_local.year}
            + "</i>",
            styles["date"],
        )
    )
    story.append(Spacer(1, 3 * mm))

    rows = [
        (gettext("Đơn vị thu:"), agency.name),
        (gettext("Địa chỉ:"), agency.address),
        (gettext("Người nộp tiền:"), payment.payer_name),
        (gettext("Địa chỉ người nộp:"), dossier.applicant_address),
        (gettext("Mã hồ sơ:"), dossier.code),
        (gettext("Thủ tục hành chính:"), dossier.procedure.name),
        (gettext("Nội dung thu:"), gettext("Phí, lệ phí giải quyết thủ tục hành chính")),
        (gettext("Số tiền:"), gettext("%(amount)s đồng") % {"amount": format_vnd(payment.amount)}),
        (gettext("Bằng chữ:"), vnd_in_words(payment.amount)),
        (gettext("Hình thức thanh toán:"), method_label(payment)),
        (gettext("Thời điểm thanh toán:"), _clock(payment.paid_at)),
        (gettext("Mã giao dịch:"), payment.txn_ref),
    ]
    if payment.gateway != Gateway.CASH:
        rows.append((gettext("Mã giao dịch tại cổng thanh toán:"), payment.gateway_transaction_no))
        if payment.bank_code:
            rows.append((gettext("Ngân hàng:"), payment.bank_code))
    table = Table(
        [
            [Paragraph(_e(label), styles["label"]), Paragraph(_e(value), styles["value"])]
            for label, value in rows
        ],
        colWidths=[FRAME_WIDTH * 0.36, FRAME_WIDTH * 0.64],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ("LINEBELOW", (0, -1), (-1, -1), 0.4, colors.grey),
            ]
        )
    )
    story += [table, Spacer(1, 4 * mm)]

    url = public_status_url(dossier)
    note = Paragraph(
        gettext(
            "Biên lai được lập tự động khi cổng thanh toán xác nhận giao dịch; kèm theo hồ sơ "
            "(Nghị định 61/2018/NĐ-CP, Điều 22). Tra cứu hồ sơ tại:"
        )
        + "<br/>"
        + _e(url),
        styles["small"],
    )
    if payment.gateway == Gateway.CASH:
        collector = getattr(payment.created_by, "display_name", "") if payment.created_by else ""
        note = Paragraph(
            gettext("Người thu tiền:") + f" <b>{_e(collector)}</b><br/>" + _e(url), styles["small"]
        )
    bottom = Table([[note, QrCode(url, size=22 * mm)]], colWidths=[FRAME_WIDTH - 26 * mm, 26 * mm])
    bottom.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story.append(bottom)

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A5,
        leftMargin=PAGE_MARGIN,
        rightMargin=PAGE_MARGIN,
        topMargin=PAGE_MARGIN,
        bottomMargin=PAGE_MARGIN,
        title=gettext("Biên lai %(number)s - %(code)s")
        % {"number": payment.receipt_label, "code": dossier.code},
        author=agency.name,
        subject=dossier.procedure.name,
        creator="egov",
        lang="vi-VN",
    )
    document.build(story)
    return buffer.getvalue()
