"""Tests for ``dossiers/printing.py``: the PDF forms Mẫu 01-05 (Circular 01/2018 art. 9)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from pypdf import PdfReader
from reportlab.lib.pagesizes import A5

from egov.catalog.choices import DocumentForm
from egov.core.calendar import LOCAL_TZ
from egov.core.choices import TimeUnit
from egov.core.errors import NotFound, ValidationFailed
from egov.dossiers import printing
from egov.dossiers.choices import Channel, DocumentOrigin, DossierAction, DossierStatus, ReturnMethod
from egov.dossiers.models import Dossier, DossierDocument, DossierEvent, SupplementRequest
from egov.testing.factories import AgencyFactory, officer, procedure_with_process

RECEIVED = dt.datetime(2025, 7, 14, 8, 5, tzinfo=LOCAL_TZ)
DUE = dt.datetime(2025, 7, 21, 17, 0, tzinfo=LOCAL_TZ)


def make_dossier(**overrides) -> Dossier:
    agency = overrides.pop("agency", None) or AgencyFactory(
        name="Ủy ban nhân dân xã Hùng Sơn", phone="0210 3851 234"
    )
    offering = procedure_with_process(agency=agency, name="Đăng ký khai sinh")
    values = {
        "code": f"{agency.code}-250714-0007",
        "offering": offering,
        "procedure": offering.procedure,
        "agency": agency,
        "status": DossierStatus.PROCESSING,
        "channel": Channel.COUNTER,
        "return_method": ReturnMethod.POST,
        "applicant_name": "Nguyễn Thị Hồng Nhung",
        "applicant_phone": "0912345678",
        "applicant_email": "nhung@example.vn",
        "applicant_address": "Thôn Đồng Xuân, xã Hùng Sơn",
        "processing_amount": Decimal("5.00"),
        "processing_unit": TimeUnit.WORKING_DAYS,
        "set_count": 1,
        "received_at": RECEIVED,
        "clock_started_at": RECEIVED,
        "due_at": DUE,
        "register_number": 42,
    }
    values.update(overrides)
    return Dossier.objects.create(**values)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def event(
    dossier: Dossier, action: str, *, actor=None, note: str = "", at: dt.datetime = RECEIVED, **kw
) -> None:
    DossierEvent.objects.create(
        dossier=dossier,
        actor=actor,
        action=action,
        from_status=kw.get("from_status", ""),
        to_status=kw.get("to_status", dossier.status),
        note=note,
        created_at=at,
    )


@pytest.mark.django_db
class TestReceipt:
    def test_receipt_has_the_vietnamese_content_qr_link_and_a5_size(self, settings):
        # GIVEN a received dossier with two papers, an officer who received it and a public URL
        settings.EGOV_PUBLIC_URL = "https://dichvucong.example.gov.vn"
        dossier = make_dossier()
        required = dossier.procedure.required_documents.first()
        required.form = DocumentForm.CERTIFIED_COPY
        required.save()
        DossierDocument.objects.create(
            dossier=dossier,
            required_document=required,
            name="Giấy chứng sinh",
            origin=DocumentOrigin.PAPER,
            quantity=2,
        )
        DossierDocument.objects.create(
            dossier=dossier, name="Tờ khai đăng ký khai sinh", origin=DocumentOrigin.UPLOAD
        )
        receiver = officer(dossier.agency)
        receiver.full_name = "Trần Văn Đức"
        receiver.save()
        event(dossier, DossierAction.RECEIVE, actor=receiver, to_status=DossierStatus.PROCESSING)

        # WHEN Mẫu 01 is rendered
        data = printing.render_form(dossier, "01")

        # THEN it is a one-page A5 portrait PDF whose text extracts exactly, in Vietnamese
        reader = PdfReader(io.BytesIO(data))
        box = reader.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (round(A5[0]), round(A5[1]))
        assert len(reader.pages) == 1
        text = pdf_text(data)
        for expected in [
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "ỦY BAN NHÂN DÂN XÃ HÙNG SƠN",
            "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
            f"Mã hồ sơ: {dossier.code}",
            "Nguyễn Thị Hồng Nhung",
            "Thôn Đồng Xuân, xã Hùng Sơn",
            "0912345678",
            "nhung@example.vn",
            "Đăng ký khai sinh",
            "1. Thành phần hồ sơ nộp gồm",
            "Giấy chứng sinh",
            "Bản sao có chứng thực",
            "Bản điện tử",
            "2. Số lượng hồ sơ: 1 (bộ)",
            "3. Thời gian giải quyết hồ sơ theo quy định là: 5 ngày làm việc",
            "4. Thời gian nhận hồ sơ: 08 giờ 05 phút, ngày 14/07/2025",
            "5. Thời gian trả kết quả giải quyết hồ sơ: 17 giờ 00 phút, ngày 21/07/2025",
            "6. Đăng ký nhận kết quả tại: Qua dịch vụ bưu chính",
            "Vào Sổ theo dõi hồ sơ, Quyển số: 2025 Số thứ tự: 42",
            "NGƯỜI NỘP HỒ SƠ",
            "NGƯỜI TIẾP NHẬN HỒ SƠ",
            "Ký và ghi rõ họ tên",
            "Trần Văn Đức",
            "2 liên",
        ]:
            assert expected in text, expected
        # AND the status page URL is printed and is the target of the QR code's link
        url = f"https://dichvucong.example.gov.vn/tra-cuu/?code={dossier.code}"
        assert url in text
        uris = [a.get_object()["/A"]["/URI"] for a in reader.pages[0].get("/Annots", [])]
        assert url in uris
        # AND the document says what it is
        assert reader.metadata.title == f"Giấy tiếp nhận hồ sơ và hẹn trả kết quả - {dossier.code}"

    def test_times_are_printed_in_vietnam_time(self):
        # GIVEN a dossier received at 01:30 UTC, which is 08:30 in Hà Nội
        dossier = make_dossier(received_at=dt.datetime(2025, 7, 14, 1, 30, tzinfo=dt.UTC))
        # WHEN Mẫu 01 is rendered THEN the receipt shows the local time
        assert "08 giờ 30 phút, ngày 14/07/2025" in pdf_text(printing.render_form(dossier, "01"))

    def test_fractional_and_same_day_processing_times(self):
        # GIVEN procedures of half a working day and "same day"
        half = make_dossier(processing_amount=Decimal("0.50"))
        # THEN the amount uses the decimal comma, and "same day" has no number
        assert printing.processing_time_label(half) == "0,5 ngày làm việc"
        half.processing_unit = TimeUnit.SAME_DAY
        assert printing.processing_time_label(half) == "trong ngày"

    def test_receipt_of_a_dossier_not_yet_received_is_refused(self):
        # GIVEN an online dossier still waiting for reception
        dossier = make_dossier(
            status=DossierStatus.SUBMITTED, received_at=None, due_at=None, register_number=None
        )
        # WHEN Mẫu 01 is asked for THEN a Vietnamese validation error explains why
        with pytest.raises(ValidationFailed, match="chưa được tiếp nhận"):
            printing.render_form(dossier, "01")

    def test_unknown_form_is_refused(self):
        dossier = make_dossier()
        with pytest.raises(ValidationFailed, match="Mẫu 07"):
            printing.render_form(dossier, "07")

    def test_user_text_with_markup_characters_is_printed_literally(self):
        # GIVEN an applicant whose name contains characters meaningful to ReportLab's mark-up
        dossier = make_dossier(applicant_name="Công ty <b>A & B</b>")
        # WHEN Mẫu 01 is rendered THEN the name is printed as typed
        assert "Công ty <b>A & B</b>" in pdf_text(printing.render_form(dossier, "01"))


@pytest.mark.django_db
class TestOtherForms:
    def test_supplement_request_lists_the_items_and_reason_of_the_latest_request(self):
        # GIVEN a dossier with two supplement requests
        dossier = make_dossier(status=DossierStatus.SUPPLEMENT_REQUESTED)
        clerk = officer(dossier.agency)
        clerk.full_name = "Lê Thị Mai"
        clerk.save()
        SupplementRequest.objects.create(
            dossier=dossier, requested_by=clerk, requested_at=RECEIVED, items=["Cũ"], reason="Yêu cầu cũ"
        )
        SupplementRequest.objects.create(
            dossier=dossier,
            requested_by=clerk,
            requested_at=RECEIVED + dt.timedelta(days=1),
            items=["Bản sao Giấy chứng nhận kết hôn", "Ảnh chân dung 4x6"],
            reason="Thiếu giấy tờ chứng minh quan hệ cha mẹ",
        )
        # WHEN Mẫu 02 is rendered
        reader = PdfReader(io.BytesIO(printing.render_form(dossier, "02")))
        text = pdf_text(printing.render_form(dossier, "02"))
        # THEN it shows the latest request, on A5
        assert round(float(reader.pages[0].mediabox.width)) == round(A5[0])
        assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
        assert "1. Bản sao Giấy chứng nhận kết hôn" in text
        assert "2. Ảnh chân dung 4x6" in text
        assert "Lý do: Thiếu giấy tờ chứng minh quan hệ cha mẹ" in text
        assert "Yêu cầu cũ" not in text
        assert "Lê Thị Mai" in text
        assert dossier.code in text

    def test_supplement_form_without_a_request_is_not_found(self):
        with pytest.raises(NotFound):
            printing.render_form(make_dossier(), "02")

    def test_refusal_prints_the_reason_of_the_refuse_event(self):
        # GIVEN a refused online dossier
        dossier = make_dossier(
            status=DossierStatus.REFUSED, received_at=None, due_at=None, register_number=None
        )
        event(
            dossier,
            DossierAction.REFUSE,
            note="Thủ tục không thuộc thẩm quyền của Ủy ban nhân dân xã",
            to_status="refused",
        )
        # WHEN Mẫu 03 is rendered THEN the reason is printed
        text = pdf_text(printing.render_form(dossier, "03"))
        assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
        assert "Thủ tục không thuộc thẩm quyền của Ủy ban nhân dân xã" in text
        assert "Nguyễn Thị Hồng Nhung" in text

    def test_refusal_form_without_refusal_is_not_found(self):
        with pytest.raises(NotFound):
            printing.render_form(make_dossier(), "03")

    def test_apology_shows_original_due_reason_and_new_date(self):
        # GIVEN a dossier whose return date was moved once with an apology
        new_due = dt.datetime(2025, 7, 25, 16, 30, tzinfo=LOCAL_TZ)
        dossier = make_dossier(rescheduled_due_at=new_due, apology_reason="Cần xác minh thêm tại nơi cư trú")
        leader = officer(dossier.agency)
        leader.full_name = "Phạm Quốc Hưng"
        leader.save()
        event(
            dossier,
            DossierAction.APOLOGIZE,
            actor=leader,
            note="Cần xác minh thêm tại nơi cư trú",
            at=DUE - dt.timedelta(days=2),
        )
        # WHEN Mẫu 04 is rendered
        text = pdf_text(printing.render_form(dossier, "04"))
        # THEN it has the original appointment, the reason and the new one
        assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
        assert "17 giờ 00 phút, ngày 21/07/2025" in text
        assert "Cần xác minh thêm tại nơi cư trú" in text
        assert "16 giờ 30 phút, ngày 25/07/2025" in text
        assert "Phạm Quốc Hưng" in text

    def test_apology_form_without_apology_is_refused(self):
        # GIVEN a dossier that was never rescheduled
        dossier = make_dossier()
        # WHEN Mẫu 04 is asked for THEN it is refused with a Vietnamese message
        with pytest.raises(NotFound, match="không có phiếu xin lỗi"):
            printing.render_form(dossier, "04")

    def test_control_sheet_has_one_row_per_hand_over(self, monkeypatch):
        # GIVEN the control-sheet rows of a dossier handed over twice (the selector is the lead's; its
        # output shape is fixed by docs/dossier-services-spec.md)
        dossier = make_dossier()
        reception = officer(dossier.agency)
        reception.full_name = "Trần Văn Đức"
        reception.save()
        specialist = officer(dossier.agency)
        specialist.full_name = "Đỗ Thị Thu Hà"
        specialist.save()
        rows = [
            {
                "position": 1,
                "name": "Tiếp nhận, chuyển hồ sơ",
                "from_user": None,
                "to_user": reception,
                "handed_at": RECEIVED,
                "due_at": RECEIVED + dt.timedelta(hours=6),
                "finished_at": RECEIVED + dt.timedelta(hours=1),
                "timeliness": "early",
            },
            {
                "position": 2,
                "name": "Thẩm định hồ sơ",
                "from_user": reception,
                "to_user": specialist,
                "handed_at": RECEIVED + dt.timedelta(hours=1),
                "due_at": DUE - dt.timedelta(days=2),
                "finished_at": DUE - dt.timedelta(days=1),
                "timeliness": "late",
            },
            {
                "position": 3,
                "name": "Phê duyệt",
                "from_user": specialist,
                "to_user": None,
                "handed_at": DUE - dt.timedelta(days=1),
                "due_at": DUE,
                "finished_at": None,
                "timeliness": None,
            },
        ]
        monkeypatch.setattr(printing, "_control_sheet_rows", lambda d: rows)
        # WHEN Mẫu 05 is rendered
        data = printing.render_form(dossier, "05")
        text = pdf_text(data)
        # THEN each hand-over is on it with its verdict, on A5
        assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
        for expected in [
            "Thẩm định hồ sơ",
            "Phê duyệt",
            "Đỗ Thị Thu Hà",
            "Trước hạn",
            "Trễ hạn",
            "Ký giao",
            "Ký nhận",
            "Giao: Trần Văn Đức",
            "Nhận: Đỗ Thị Thu Hà",
            "20/07/2025",
        ]:
            assert expected in text, expected
        assert round(float(PdfReader(io.BytesIO(data)).pages[0].mediabox.height)) == round(A5[1])


def test_missing_font_names_the_setting(settings, tmp_path):
    # GIVEN a font directory without DejaVu Sans
    settings.EGOV_PDF_FONT_DIRS = [str(tmp_path)]
    # WHEN the fonts are registered THEN the error names the setting to fix
    try:
        with pytest.raises(ImproperlyConfigured, match="EGOV_PDF_FONT_DIRS"):
            printing.register_fonts()
    finally:
        settings.EGOV_PDF_FONT_DIRS = ["/usr/share/fonts/truetype/dejavu"]
        printing.register_fonts()


@pytest.mark.django_db
class TestWithTheServices:
    """The forms rendered from dossiers made by the real services (fixtures in ``conftest.py``)."""

    def test_counter_receipt_and_control_sheet(self, office):
        # GIVEN a dossier received at the counter
        dossier = office.counter_dossier()
        dossier.refresh_from_db()
        # WHEN Mẫu 01 and Mẫu 05 are rendered
        receipt = pdf_text(printing.render_form(dossier, "01"))
        control = pdf_text(printing.render_form(dossier, "05"))
        # THEN the receipt carries the code, applicant and register entry, and the control sheet the first step
        assert f"Mã hồ sơ: {dossier.code}" in receipt
        assert "Trần Thị Bình" in receipt
        assert f"Số thứ tự: {dossier.register_number}" in receipt
        assert "4 ngày làm việc" in receipt
        flat = " ".join(control.split())  # narrow cells wrap the step names
        for step in dossier.offering.process_template.steps.all()[:2]:
            assert step.name in flat

    def test_apology_from_the_service(self, office):
        from egov.dossiers.services import dossier_apologize

        # GIVEN a received dossier whose return date the leader moves with an apology
        dossier = office.counter_dossier()
        dossier.refresh_from_db()
        new_due = dossier.due_at + dt.timedelta(days=3)
        # (due in 4 working days, so "at least one day before the due date" always holds)
        dossier_apologize(
            dossier=dossier, actor=office.leader, reason="Cần xác minh thực địa", new_due_at=new_due
        )
        # WHEN Mẫu 04 is rendered THEN it has the reason and the new date in Vietnam time
        text = pdf_text(printing.render_form(dossier, "04"))
        assert "Cần xác minh thực địa" in text
        assert printing._clock(new_due) in text
