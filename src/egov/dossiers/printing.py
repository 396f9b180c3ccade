"""PDF renderings of the one-stop-shop forms Mẫu 01-05 (Circular 01/2018/TT-VPCP art. 9).

Forms 01-05 are made for electronic use and for printing on A5 (art. 9.2); they are filled from the
dossier's rows (art. 10), so every value here comes from ``Dossier``, its documents, tasks,
supplement requests and events. Text is set in a TrueType font with Vietnamese glyphs, embedded
with its Unicode map, so the PDF prints and can be searched and copied (art. 10.1).
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from egov.catalog.choices import DocumentForm
from egov.core.calendar import LOCAL_TZ
from egov.core.choices import TimeUnit
from egov.core.errors import NotFound, ValidationFailed

from .choices import DocumentOrigin, DossierAction, ReturnMethod, Timeliness
from .models import Dossier, DossierEvent

FORMS = ("01", "02", "03", "04", "05")

FONT_REGULAR = "EgovSans"
FONT_BOLD = "EgovSans-Bold"
_FONT_FILES = {FONT_REGULAR: "DejaVuSans.ttf", FONT_BOLD: "DejaVuSans-Bold.ttf"}
_registered_from: tuple[str, ...] | None = None

PAGE_MARGIN = 10 * mm
FRAME_WIDTH = A5[0] - 2 * PAGE_MARGIN
DOTS = "…"


# ---- fonts ------------------------------------------------------------------------------------
def register_fonts() -> None:
    """Register DejaVu Sans (regular and bold) from ``settings.EGOV_PDF_FONT_DIRS``.

    The 14 standard PDF fonts have no Vietnamese glyphs, so a TrueType font is required; it is looked
    up in the configured directories so a deployment can point to its own copy.
    """
    global _registered_from
    dirs = tuple(str(d) for d in getattr(settings, "EGOV_PDF_FONT_DIRS", []) or [])
    if _registered_from == dirs and FONT_REGULAR in pdfmetrics.getRegisteredFontNames():
        return
    found: dict[str, Path] = {}
    for name, filename in _FONT_FILES.items():
        for directory in dirs:
            candidate = Path(directory) / filename
            if candidate.is_file():
                found[name] = candidate
                break
    missing = [_FONT_FILES[name] for name in _FONT_FILES if name not in found]
    if missing:
        raise ImproperlyConfigured(
            f"PDF font file(s) {', '.join(missing)} not found in settings.EGOV_PDF_FONT_DIRS={list(dirs)!r}. "
            "Install Debian's fonts-dejavu-core (/usr/share/fonts/truetype/dejavu) or set the "
            "EGOV_PDF_FONT_DIRS environment variable to a directory holding DejaVuSans.ttf and DejaVuSans-Bold.ttf."
        )
    for name, path in found.items():
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(
        FONT_REGULAR, normal=FONT_REGULAR, bold=FONT_BOLD, italic=FONT_REGULAR, boldItalic=FONT_BOLD
    )
    _registered_from = dirs


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT_REGULAR, fontSize=8.5, leading=11, alignment=TA_LEFT)
    return {
        "body": base,
        "justify": ParagraphStyle("justify", parent=base, alignment=TA_JUSTIFY),
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=8.5),
        "tiny": ParagraphStyle("tiny", parent=base, fontSize=6.3, leading=7.6),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7, leading=8.5),
        "cell_center": ParagraphStyle(
            "cell_center", parent=base, fontSize=7, leading=8.5, alignment=TA_CENTER
        ),
        "cell_time": ParagraphStyle("cell_time", parent=base, fontSize=6.3, leading=7.8, alignment=TA_CENTER),
        "cell_head": ParagraphStyle(
            "cell_head", parent=base, fontName=FONT_BOLD, fontSize=7, leading=8.5, alignment=TA_CENTER
        ),
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER),
        "center_bold": ParagraphStyle("center_bold", parent=base, fontName=FONT_BOLD, alignment=TA_CENTER),
        "header_left": ParagraphStyle(
            "header_left", parent=base, fontSize=7.3, leading=9, alignment=TA_CENTER
        ),
        "header_right": ParagraphStyle(
            "header_right", parent=base, fontName=FONT_BOLD, fontSize=7.3, leading=9, alignment=TA_CENTER
        ),
        "date": ParagraphStyle("date", parent=base, fontSize=8, alignment=TA_RIGHT),
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=10.5,
            leading=13,
            alignment=TA_CENTER,
            spaceBefore=4,
        ),
    }


# ---- formatting -------------------------------------------------------------------------------
def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(text, style)


def _e(value: Any) -> str:
    """Escape data for ReportLab's paragraph mark-up; empty values print as a dotted blank."""
    text = "" if value is None else str(value)
    return escape(text, quote=False) if text.strip() else DOTS


def _b(value: Any) -> str:
    return f"<b>{_e(value)}</b>"


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.astimezone(LOCAL_TZ) if moment is not None else None


def _clock(moment: dt.datetime | None) -> str:
    """``08 giờ 05 phút, ngày 14/07/2025`` (the wording of Mẫu 01, items 4 and 5)."""
    local = _local(moment)
    if local is None:
        return gettext("… giờ … phút, ngày …/…/…")
    return gettext("%(hour)s giờ %(minute)s phút, ngày %(date)s") % {
        "hour": f"{local.hour:02d}",
        "minute": f"{local.minute:02d}",
        "date": f"{local:%d/%m/%Y}",
    }


def _short(moment: dt.datetime | None) -> str:
    """``17:00<br/>21/07/2025``: time over date, so narrow table columns never split a date."""
    local = _local(moment)
    return f"{local:%H:%M}<br/>{local:%d/%m/%Y}" if local else ""


def _place_date(dossier: Dossier, moment: dt.datetime | None) -> str:
    """``Xã A, ngày 14 tháng 07 năm 2025`` in the local zone."""
    local = _local(moment) or _local(dt.datetime.now(tz=LOCAL_TZ))
    assert local is not None
    unit = getattr(dossier.agency.administrative_unit, "name", "") or ""
    text = gettext("ngày %(day)s tháng %(month)s năm %(year)s") % {
        "day": f"{local.day:02d}",
        "month": f"{local.month:02d}",
        "year": local.year,
    }
    return f"<i>{escape(unit, quote=False)}, {text}</i>" if unit else f"<i>{text}</i>"


def _amount(amount: Decimal | None) -> str:
    """5.00 -> ``5``, 0.50 -> ``0,5`` (Vietnamese decimal comma)."""
    if amount is None:
        return DOTS
    text = format(Decimal(amount).normalize(), "f")
    return text.replace(".", ",")


def processing_time_label(dossier: Dossier) -> str:
    """``5 ngày làm việc``, ``4 giờ làm việc`` or ``trong ngày``."""
    unit = TimeUnit(dossier.processing_unit)
    if unit == TimeUnit.SAME_DAY:
        return str(unit.label)
    return f"{_amount(dossier.processing_amount)} {unit.label}"


def _user_name(user: Any) -> str:
    if user is None:
        return ""
    if isinstance(user, str):
        return user
    return getattr(user, "display_name", None) or str(user)


def public_status_url(dossier: Dossier) -> str:
    """The public status page the QR code of the receipt points to (Circular 01/2018 art. 19.2)."""
    return f"{settings.EGOV_PUBLIC_URL}/tra-cuu/?{urlencode({'code': dossier.code})}"


# ---- building blocks --------------------------------------------------------------------------
class QrCode(Flowable):
    """A QR code drawn as vector squares (crisp at any print resolution), linking to ``url``."""

    def __init__(self, url: str, size: float = 22 * mm) -> None:
        super().__init__()
        self.url = url
        self.size = size
        self.qr = segno.make(url, error="m", micro=False)
        self.width = self.height = size

    def draw(self) -> None:
        rows = [list(row) for row in self.qr.matrix_iter(scale=1, border=0)]
        count = len(rows)
        module = self.size / count
        canvas = self.canv
        canvas.saveState()
        canvas.setFillColor(colors.black)
        for y, row in enumerate(rows):
            for x, dark in enumerate(row):
                if dark:
                    canvas.rect(x * module, self.size - (y + 1) * module, module, module, stroke=0, fill=1)
        canvas.linkURL(self.url, (0, 0, self.size, self.size), relative=1)
        canvas.restoreState()


def _header(dossier: Dossier, styles: dict[str, ParagraphStyle], *, unit_line: str | None = None) -> list:
    """The agency on the left, the national motto on the right (Decree 30/2020 appendix I layout)."""
    agency = dossier.agency
    left_lines = []
    if agency.parent_id:
        left_lines.append(_e(agency.parent.name.upper()))
    left_lines.append(_b(agency.name.upper()))
    if unit_line:
        left_lines.append(_b(unit_line))
    left = _p("<br/>".join(left_lines), styles["header_left"])
    right = _p(
        gettext("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
        + "<br/><u>"
        + gettext("Độc lập - Tự do - Hạnh phúc")
        + "</u>",
        styles["header_right"],
    )
    table = Table([[left, right]], colWidths=[FRAME_WIDTH * 0.42, FRAME_WIDTH * 0.58])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [table, Spacer(1, 2 * mm)]


def _signatures(left: tuple[str, str], right: tuple[str, str], styles: dict[str, ParagraphStyle]) -> Table:
    """Two signature blocks: title, ``(Ký và ghi rõ họ tên)``, room to sign, then the name."""

    def block(title: str, name: str) -> list:
        return [
            _p(f"<b>{escape(title, quote=False)}</b>", styles["center"]),
            _p("<i>" + gettext("(Ký và ghi rõ họ tên)") + "</i>", styles["center"]),
            Spacer(1, 14 * mm),
            _p(f"<b>{escape(name, quote=False)}</b>" if name else "", styles["center"]),
        ]

    cells = [[block(*left) if left[0] else "", block(*right)]]
    table = Table(cells, colWidths=[FRAME_WIDTH / 2, FRAME_WIDTH / 2])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _grid(rows: list[list], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return table


def _latest_event(dossier: Dossier, action: str) -> DossierEvent | None:
    return (
        DossierEvent.objects.filter(dossier=dossier, action=action)
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )


def _applicant_lines(dossier: Dossier, styles: dict[str, ParagraphStyle], *, lead: str) -> list:
    return [
        _p(f"{escape(lead, quote=False)} {_b(dossier.applicant_name)}", styles["body"]),
        _p(gettext("Địa chỉ:") + f" {_e(dossier.applicant_address)}", styles["body"]),
        _p(
            gettext("Số điện thoại:")
            + f" {_e(dossier.applicant_phone)}&nbsp;&nbsp;&nbsp;"
            + gettext("Email:")
            + f" {_e(dossier.applicant_email)}",
            styles["body"],
        ),
        _p(gettext("Nội dung yêu cầu giải quyết:") + f" {_b(dossier.procedure.name)}", styles["body"]),
    ]


def _reception_unit(dossier: Dossier) -> str:
    return gettext("Bộ phận tiếp nhận và trả kết quả %(agency)s") % {"agency": dossier.agency.name}


# ---- the forms --------------------------------------------------------------------------------
def _form_01(dossier: Dossier, styles: dict[str, ParagraphStyle]) -> tuple[str, list]:
    """Giấy tiếp nhận hồ sơ và hẹn trả kết quả (Mẫu 01; Decree 61/2018 art. 17.1.c and 17.3)."""
    if dossier.received_at is None:
        raise ValidationFailed(
            gettext("Hồ sơ %(code)s chưa được tiếp nhận nên chưa có giấy tiếp nhận.") % {"code": dossier.code}
        )
    title = gettext("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ")
    receive = _latest_event(dossier, DossierAction.RECEIVE)
    url = public_status_url(dossier)

    story = _header(dossier, styles, unit_line=gettext("BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ"))
    story.append(_p(_place_date(dossier, dossier.received_at), styles["date"]))
    code_block = [
        _p(title, styles["title"]),
        _p(gettext("Mã hồ sơ:") + f" {_b(dossier.code)}", styles["center"]),
        Spacer(1, 1.5 * mm),
        _p(gettext("Tra cứu tình trạng hồ sơ tại:"), styles["tiny"]),
        _p(escape(url, quote=False), styles["tiny"]),
    ]
    top = Table([[code_block, QrCode(url)]], colWidths=[FRAME_WIDTH - 25 * mm, 25 * mm])
    top.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story += [top, Spacer(1, 2 * mm)]
    story.append(_p(_e(_reception_unit(dossier)), styles["body"]))
    story += _applicant_lines(dossier, styles, lead=gettext("Tiếp nhận hồ sơ của:"))

    story.append(_p("<b>" + gettext("1. Thành phần hồ sơ nộp gồm:") + "</b>", styles["body"]))
    rows: list[list] = [
        [
            _p(gettext("TT"), styles["cell_head"]),
            _p(gettext("Tên loại giấy tờ"), styles["cell_head"]),
            _p(gettext("Hình thức (bản chính, bản sao, bản điện tử)"), styles["cell_head"]),
            _p(gettext("Số lượng"), styles["cell_head"]),
        ]
    ]
    documents = dossier.documents.exclude(origin=DocumentOrigin.RESULT).select_related("required_document")
    for index, document in enumerate(documents, start=1):
        rows.append(
            [
                _p(str(index), styles["cell_center"]),
                _p(_e(document.name), styles["cell"]),
                _p(_e(_document_form(document)), styles["cell_center"]),
                _p(str(document.quantity), styles["cell_center"]),
            ]
        )
    if len(rows) == 1:
        rows.append([_p("", styles["cell"]), _p(DOTS, styles["cell"]), "", ""])
    story.append(_grid(rows, [8 * mm, FRAME_WIDTH - 8 * mm - 34 * mm - 14 * mm, 34 * mm, 14 * mm]))
    story.append(Spacer(1, 1.5 * mm))

    story.append(
        _p(gettext("2. Số lượng hồ sơ: %(count)s (bộ)") % {"count": _b(dossier.set_count)}, styles["body"])
    )
    story.append(
        _p(
            gettext("3. Thời gian giải quyết hồ sơ theo quy định là: %(time)s")
            % {"time": _b(processing_time_label(dossier))},
            styles["body"],
        )
    )
    story.append(
        _p(
            gettext("4. Thời gian nhận hồ sơ: %(at)s") % {"at": _b(_clock(dossier.received_at))},
            styles["body"],
        )
    )
    story.append(
        _p(
            gettext("5. Thời gian trả kết quả giải quyết hồ sơ: %(at)s") % {"at": _b(_clock(dossier.due_at))},
            styles["body"],
        )
    )
    story.append(
        _p(
            gettext("6. Đăng ký nhận kết quả tại: %(where)s")
            % {"where": _b(ReturnMethod(dossier.return_method).label)},
            styles["body"],
        )
    )
    year = _local(dossier.received_at).year  # type: ignore[union-attr]
    story.append(
        _p(
            gettext("Vào Sổ theo dõi hồ sơ, Quyển số: %(book)s Số thứ tự: %(number)s")
            % {"book": _b(year), "number": _b(dossier.register_number)},
            styles["body"],
        )
    )
    story.append(Spacer(1, 2 * mm))
    officer = _user_name(receive.actor) if receive else ""
    story.append(
        KeepTogether(
            [
                _signatures(
                    (gettext("NGƯỜI NỘP HỒ SƠ"), dossier.applicant_name),
                    (gettext("NGƯỜI TIẾP NHẬN HỒ SƠ"), officer),
                    styles,
                ),
                Spacer(1, 2 * mm),
                _p(
                    "<i>"
                    + gettext(
                        "Ghi chú: Giấy tiếp nhận hồ sơ và hẹn trả kết quả được lập thành 2 liên; một liên chuyển kèm "
                        "theo Phiếu kiểm soát quá trình giải quyết hồ sơ và được lưu tại Bộ phận tiếp nhận và trả kết "
                        "quả; một liên giao cho cá nhân, tổ chức nộp hồ sơ."
                    )
                    + "</i>",
                    styles["small"],
                ),
            ]
        )
    )
    return title, story


def _document_form(document) -> str:
    """Bản chính / bản sao for paper, bản điện tử for what arrived as a file or from a database."""
    if document.origin != DocumentOrigin.PAPER:
        return str(DocumentForm.ELECTRONIC.label)
    if document.required_document is not None:
        return document.required_document.get_form_display()
    return str(DocumentOrigin.PAPER.label)


def _form_02(dossier: Dossier, styles: dict[str, ParagraphStyle]) -> tuple[str, list]:
    """Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02; Decree 61/2018 art. 17.1.a, 19.4): all at once."""
    request = (
        dossier.supplement_requests.select_related("requested_by").order_by("-requested_at", "-id").first()
    )
    if request is None:
        raise NotFound(
            gettext("Hồ sơ %(code)s không có yêu cầu bổ sung, hoàn thiện hồ sơ.") % {"code": dossier.code}
        )
    title = gettext("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ")
    story = _header(dossier, styles, unit_line=gettext("BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ"))
    story.append(_p(_place_date(dossier, request.requested_at), styles["date"]))
    story.append(_p(title, styles["title"]))
    story.append(_p(gettext("Mã hồ sơ:") + f" {_b(dossier.code)}", styles["center"]))
    story.append(Spacer(1, 3 * mm))
    story.append(_p(_e(_reception_unit(dossier)), styles["body"]))
    story += _applicant_lines(dossier, styles, lead=gettext("Tiếp nhận hồ sơ của:"))
    story.append(Spacer(1, 1.5 * mm))
    story.append(
        _p(
            gettext("Yêu cầu ông/bà bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:")
            + " <i>("
            + gettext("ngày %(date)s") % {"date": f"{_local(request.requested_at):%d/%m/%Y}"}
            + ")</i>",
            styles["body"],
        )
    )
    items = [str(item) for item in (request.items or []) if str(item).strip()]
    for index, item in enumerate(items or [DOTS], start=1):
        story.append(_p(f"{index}. {_e(item)}", styles["justify"]))
    story.append(_p(gettext("Lý do:") + f" {_e(request.reason)}", styles["justify"]))
    story.append(Spacer(1, 1.5 * mm))
    contact = dossier.agency.phone
    story.append(
        _p(
            gettext(
                "Trong quá trình hoàn thiện hồ sơ nếu có vướng mắc, ông/bà liên hệ với %(officer)s, "
                "số điện thoại %(phone)s để được hướng dẫn."
            )
            % {"officer": _e(_user_name(request.requested_by)), "phone": _e(contact)},
            styles["justify"],
        )
    )
    story.append(Spacer(1, 3 * mm))
    story.append(
        _signatures(("", ""), (gettext("NGƯỜI HƯỚNG DẪN"), _user_name(request.requested_by)), styles)
    )
    return title, story


def _form_03(dossier: Dossier, styles: dict[str, ParagraphStyle]) -> tuple[str, list]:
    """Phiếu từ chối tiếp nhận giải quyết hồ sơ (Mẫu 03; Decree 61/2018 art. 17.1.b), with the reasons."""
    refusal = _latest_event(dossier, DossierAction.REFUSE)
    if refusal is None:
        raise NotFound(gettext("Hồ sơ %(code)s không bị từ chối tiếp nhận.") % {"code": dossier.code})
    title = gettext("PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ")
    story = _header(dossier, styles, unit_line=gettext("BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ"))
    story.append(_p(_place_date(dossier, refusal.created_at), styles["date"]))
    story.append(_p(title, styles["title"]))
    story.append(_p(gettext("Mã hồ sơ:") + f" {_b(dossier.code)}", styles["center"]))
    story.append(Spacer(1, 3 * mm))
    story.append(_p(_e(_reception_unit(dossier)), styles["body"]))
    story += _applicant_lines(dossier, styles, lead=gettext("Tiếp nhận hồ sơ của:"))
    story.append(Spacer(1, 1.5 * mm))
    story.append(
        _p(
            gettext(
                "Sau khi xem xét, đối chiếu thành phần hồ sơ, Bộ phận tiếp nhận và trả kết quả từ chối tiếp nhận, "
                "giải quyết hồ sơ này vì lý do sau:"
            ),
            styles["justify"],
        )
    )
    story.append(_p(_b(refusal.note), styles["justify"]))
    story.append(Spacer(1, 1.5 * mm))
    story.append(_p(gettext("Xin thông báo để ông/bà được biết và thực hiện."), styles["justify"]))
    story.append(Spacer(1, 3 * mm))
    story.append(_signatures(("", ""), (gettext("NGƯỜI TIẾP NHẬN HỒ SƠ"), _user_name(refusal.actor)), styles))
    return title, story


def _form_04(dossier: Dossier, styles: dict[str, ParagraphStyle]) -> tuple[str, list]:
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04; Decree 61/2018 art. 19.9): once, with the new date."""
    apology = _latest_event(dossier, DossierAction.APOLOGIZE)
    if dossier.rescheduled_due_at is None and apology is None:
        raise NotFound(
            gettext("Hồ sơ %(code)s không có phiếu xin lỗi và hẹn lại ngày trả kết quả.")
            % {"code": dossier.code}
        )
    # The slip records what was promised when the apology was made (the event keeps both dates); a later
    # complete supplement restarts the clock and clears ``rescheduled_due_at`` (Decree 61/2018 art. 19.4).
    data = apology.data if apology is not None else {}
    original_due = _parse_iso(data.get("old_due_at")) or dossier.due_at
    new_due = _parse_iso(data.get("new_due_at")) or dossier.rescheduled_due_at
    reason = dossier.apology_reason or (apology.note if apology else "")
    signer = _user_name(apology.actor) if apology else ""
    title = gettext("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ")
    story = _header(dossier, styles)
    story.append(_p(_place_date(dossier, apology.created_at if apology else None), styles["date"]))
    story.append(_p(title, styles["title"]))
    story.append(_p(gettext("Mã hồ sơ:") + f" {_b(dossier.code)}", styles["center"]))
    story.append(Spacer(1, 3 * mm))
    received = _local(dossier.received_at)
    story.append(
        _p(
            gettext("Ngày %(date)s, %(agency)s tiếp nhận giải quyết hồ sơ của ông/bà: %(name)s.")
            % {
                "date": f"{received:%d/%m/%Y}" if received else DOTS,
                "agency": _e(dossier.agency.name),
                "name": _b(dossier.applicant_name),
            },
            styles["justify"],
        )
    )
    story.append(
        _p(gettext("Nội dung yêu cầu giải quyết:") + f" {_b(dossier.procedure.name)}", styles["justify"])
    )
    story.append(
        _p(
            gettext("Thời gian hẹn trả kết quả giải quyết hồ sơ: %(at)s.") % {"at": _b(_clock(original_due))},
            styles["justify"],
        )
    )
    story.append(
        _p(
            gettext("Tuy nhiên đến nay, %(agency)s chưa trả kết quả giải quyết hồ sơ của ông/bà.")
            % {"agency": _e(dossier.agency.name)},
            styles["justify"],
        )
    )
    story.append(_p(gettext("Lý do:") + f" {_e(reason)}", styles["justify"]))
    story.append(
        _p(
            gettext(
                "Sự chậm trễ này đã gây phiền hà, tốn kém chi phí đi lại của ông/bà. %(agency)s xin lỗi ông/bà và "
                "sẽ trả kết quả giải quyết hồ sơ cho ông/bà vào: %(at)s."
            )
            % {"agency": _e(dossier.agency.name), "at": _b(_clock(new_due))},
            styles["justify"],
        )
    )
    story.append(Spacer(1, 1.5 * mm))
    story.append(_p(gettext("Xin trân trọng cảm ơn sự hợp tác của ông/bà."), styles["justify"]))
    story.append(Spacer(1, 3 * mm))
    story.append(
        Table(
            [
                [
                    "",
                    [
                        _p("<b>" + gettext("THỦ TRƯỞNG CƠ QUAN") + "</b>", styles["center"]),
                        _p("<i>" + gettext("(Ký, ghi rõ họ tên và đóng dấu)") + "</i>", styles["center"]),
                        Spacer(1, 14 * mm),
                        _p(f"<b>{escape(signer, quote=False)}</b>" if signer else "", styles["center"]),
                    ],
                ]
            ],
            colWidths=[FRAME_WIDTH / 2, FRAME_WIDTH / 2],
        )
    )
    return title, story


def _parse_iso(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def _control_sheet_rows(dossier: Dossier) -> list[dict]:
    # Imported here: the selectors module imports heavier parts of the app than printing needs.
    from .selectors import control_sheet_rows

    return control_sheet_rows(dossier)


def _form_05(dossier: Dossier, styles: dict[str, ParagraphStyle]) -> tuple[str, list]:
    """Phiếu kiểm soát quá trình giải quyết hồ sơ (Mẫu 05; Decree 61/2018 art. 19.5.b, 39): every hand-over."""
    if dossier.received_at is None:
        raise ValidationFailed(
            gettext("Hồ sơ %(code)s chưa được tiếp nhận nên chưa có phiếu kiểm soát.")
            % {"code": dossier.code}
        )
    title = gettext("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ")
    story = _header(dossier, styles, unit_line=gettext("BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ"))
    story.append(_p(title, styles["title"]))
    story.append(_p(gettext("Mã hồ sơ:") + f" {_b(dossier.code)}", styles["center"]))
    story.append(
        _p(
            "<i>"
            + gettext("(Kèm theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả số: %(code)s)")
            % {"code": _e(dossier.code)}
            + "</i>",
            styles["center"],
        )
    )
    story.append(Spacer(1, 2 * mm))
    story.append(
        _p(gettext("Cơ quan (bộ phận) giải quyết hồ sơ:") + f" {_b(dossier.agency.name)}", styles["body"])
    )
    story.append(
        _p(gettext("Cơ quan phối hợp giải quyết hồ sơ:") + f" {_e(_consulted(dossier))}", styles["body"])
    )
    story.append(_p(gettext("Người nộp hồ sơ:") + f" {_b(dossier.applicant_name)}", styles["body"]))
    story.append(
        _p(gettext("Nội dung yêu cầu giải quyết:") + f" {_b(dossier.procedure.name)}", styles["body"])
    )
    story.append(
        _p(
            gettext("Thời gian nhận hồ sơ: %(received)s; hẹn trả kết quả: %(due)s")
            % {
                "received": _b(_clock(dossier.received_at)),
                "due": _b(_clock(dossier.rescheduled_due_at or dossier.due_at)),
            },
            styles["body"],
        )
    )
    story.append(Spacer(1, 2 * mm))
    head = [
        gettext("TT"),
        gettext("Giao - nhận hồ sơ"),
        gettext("Thời gian giao, nhận"),
        gettext("Hạn xử lý"),
        gettext("Hoàn thành"),
        gettext("Kết quả (trước hạn/ đúng hạn/ quá hạn)"),
        gettext("Ký giao"),
        gettext("Ký nhận"),
    ]
    rows: list[list] = [[_p(text, styles["cell_head"]) for text in head]]
    for index, row in enumerate(_control_sheet_rows(dossier), start=1):
        handover = (
            f"<b>{_e(row.get('name'))}</b><br/>"
            + gettext("Giao:")
            + f" {_e(_user_name(row.get('from_user')) or _reception_unit(dossier))}<br/>"
            + gettext("Nhận:")
            + f" {_e(_user_name(row.get('to_user')))}"
        )
        verdict = row.get("timeliness")
        rows.append(
            [
                _p(str(row.get("position") or index), styles["cell_center"]),
                _p(handover, styles["cell"]),
                _p(_short(row.get("handed_at")), styles["cell_time"]),
                _p(_short(row.get("due_at")), styles["cell_time"]),
                _p(_short(row.get("finished_at")), styles["cell_time"]),
                _p(str(Timeliness(verdict).label) if verdict else "", styles["cell_center"]),
                "",
                "",
            ]
        )
    if len(rows) == 1:
        rows.append(["", _p(DOTS, styles["cell"]), "", "", "", "", "", ""])
    widths = [6 * mm, 30 * mm, 16 * mm, 16 * mm, 16 * mm, 14 * mm, 13 * mm, 13 * mm]
    widths[1] += FRAME_WIDTH - sum(widths)
    story.append(_grid(rows, widths))
    return title, story


def _consulted(dossier: Dossier) -> str:
    names = sorted({c.agency.name for c in dossier.consultations.select_related("agency")})
    return ", ".join(names)


_BUILDERS = {"01": _form_01, "02": _form_02, "03": _form_03, "04": _form_04, "05": _form_05}


# ---- public API -------------------------------------------------------------------------------
def render_form(dossier: Dossier, form: str) -> bytes:
    """The PDF (A5 portrait) of form ``form`` ("01"-"05", Circular 01/2018 art. 9) for ``dossier``.

    Raises ``ValidationFailed`` for an unknown form or one the dossier is not yet at, ``NotFound`` when
    the dossier has no such form (no supplement request, refusal or apology).
    """
    builder = _BUILDERS.get(str(form).removeprefix("mau-").zfill(2))
    if builder is None:
        raise ValidationFailed(
            gettext("Mẫu %(form)s không có; chỉ in được các mẫu %(forms)s.")
            % {"form": form, "forms": ", ".join(FORMS)},
            field="form",
        )
    register_fonts()
    dossier = (
        Dossier.objects.select_related("agency", "agency__parent", "agency__administrative_unit", "procedure")
        .filter(pk=dossier.pk)
        .first()
        or dossier
    )
    styles = _styles()
    title, story = builder(dossier, styles)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A5,
        leftMargin=PAGE_MARGIN,
        rightMargin=PAGE_MARGIN,
        topMargin=PAGE_MARGIN,
        bottomMargin=PAGE_MARGIN,
        title=f"{title.capitalize()} - {dossier.code}",
        author=dossier.agency.name,
        subject=dossier.procedure.name,
        creator="egov",
        lang="vi-VN",
    )
    document.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return buffer.getvalue()


def _page_number(canvas, document) -> None:
    canvas.saveState()
    canvas.setFont(FONT_REGULAR, 6)
    canvas.drawRightString(
        A5[0] - PAGE_MARGIN, PAGE_MARGIN / 2, gettext("Trang %(n)s") % {"n": document.page}
    )
    canvas.restoreState()
