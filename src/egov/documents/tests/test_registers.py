"""Tests for ``documents/registers.py``: the incoming and outgoing registers of Appendix IV in PDF and xlsx."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from egov.documents import registers
from egov.documents import services as svc
from egov.documents.choices import Direction, Secrecy, Series

from .conftest import MONDAY_10, at

pytestmark = pytest.mark.django_db

HEADER_ROW = 5


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    page = reader.pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert width > height  # A4 landscape
    # Cells wrap inside their column: compare with whitespace collapsed.
    return " ".join(" ".join(p.extract_text() for p in reader.pages).split())


def xlsx_rows(content: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content)).active
    return list(sheet.iter_rows(values_only=True))


@pytest.fixture
def year_of_documents(office, paper_only):
    with at(MONDAY_10):
        decision = office.register()
        svc.incoming_assign(
            document=decision,
            actor=office.leader,
            lead_department=office.culture_unit,
            assignees=[office.specialist],
        )
        recalled = office.register(code_number="16", subject="Văn bản sẽ bị thu hồi")
        svc.incoming_recall(document=recalled, actor=office.clerk, reason="Bên gửi lấy lại")
        office.register(code_number="17", secrecy=Secrecy.CONFIDENTIAL, subject="Nội dung mật đến")
        issued = office.issued(subject='=HYPERLINK("http://x")')
        office.issued(secrecy=Secrecy.SECRET, recipients=paper_only, subject="Phương án mật")
    return {"decision": decision, "recalled": recalled, "issued": issued}


def test_incoming_register_pdf_has_the_ten_columns_and_the_entries(office, year_of_documents):
    text = pdf_text(
        registers.register_pdf(
            agency=office.agency, year=2026, direction=Direction.INCOMING, user=office.clerk
        )
    )
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" in text and "Năm 2026" in text
    for column in (
        "Ngày đến",
        "Số đến",
        "Tác giả",
        "Số, ký hiệu văn bản",
        "Ngày tháng văn bản",
        "Ký nhận",
        "Ghi chú",
    ):
        assert column in text
    assert "15/QĐ-UBND" in text
    assert "chuyển đổi số" in text
    assert "Phòng Văn hóa - Xã hội" in text
    assert "Đã thu hồi 02/03/2026" in text
    assert "Văn bản sẽ bị thu hồi" not in text
    assert "Nội dung mật đến" not in text  # in the secret register, not this one


def test_outgoing_register_xlsx_rows_and_formula_guard(office, year_of_documents):
    rows = xlsx_rows(
        registers.register_xlsx(
            agency=office.agency, year=2026, direction=Direction.OUTGOING, user=office.clerk
        )
    )
    assert rows[0][0] == office.agency.name.upper()
    assert rows[1][0] == "SỔ ĐĂNG KÝ VĂN BẢN ĐI"
    header = rows[HEADER_ROW - 1]
    assert header[0] == "Số, ký hiệu văn bản" and header[9] == "Ghi chú" and len(header) == 10
    assert rows[HEADER_ROW] == tuple(range(1, 11))
    entries = rows[HEADER_ROW + 1 :]
    assert len(entries) == 1  # the secret document is in its own register
    number, date, summary, signer, recipients, file_copy, copies, sent, _sign, _note = entries[0]
    assert number == "01/QĐ-UBND" and date == "02/03/2026" and sent == "02/03/2026"
    assert summary == 'Quyết định (cá biệt): =HYPERLINK("http://x")'  # not at the start: never a formula
    assert "Ủy ban nhân dân xã Hy Cương" in recipients and "Phòng Văn hóa - Xã hội" in recipients
    assert file_copy == "VT, VP" and copies == 1
    assert office.leader.display_name in signer


def test_text_that_would_run_as_a_formula_is_neutralised(office):
    with at(MONDAY_10):
        office.register(issuer_name='=HYPERLINK("http://evil.example","Bấm vào")', attachments=[])
    rows = xlsx_rows(
        registers.register_xlsx(
            agency=office.agency, year=2026, direction=Direction.INCOMING, user=office.clerk
        )
    )
    assert rows[HEADER_ROW + 1][2] == '\'=HYPERLINK("http://evil.example","Bấm vào")'


def test_incoming_register_xlsx_is_ordered_by_incoming_number(office, year_of_documents):
    rows = xlsx_rows(
        registers.register_xlsx(
            agency=office.agency, year=2026, direction=Direction.INCOMING, user=office.clerk
        )
    )
    entries = rows[HEADER_ROW + 1 :]
    assert [row[1] for row in entries] == [1, 2]
    assert entries[0][7] == "02/03/2026"  # handed over the day it was assigned


def test_the_secret_register_masks_content_above_the_readers_clearance(office, year_of_documents):
    office.clear(office.clerk, Secrecy.CONFIDENTIAL)
    rows = xlsx_rows(
        registers.register_xlsx(
            agency=office.agency,
            year=2026,
            direction=Direction.OUTGOING,
            series=Series.SECRET,
            user=office.clerk,
        )
    )
    assert rows[1][0] == "SỔ ĐĂNG KÝ VĂN BẢN ĐI (MẬT)"
    entry = rows[HEADER_ROW + 1]
    assert entry[0] == "01/QĐ-UBND"
    assert "(nội dung mật)" in entry[2] and "Phương án mật" not in entry[2]
    assert "Tối mật" in entry[9]


def test_an_empty_register_still_prints(office):
    text = pdf_text(
        registers.register_pdf(
            agency=office.agency, year=2024, direction=Direction.OUTGOING, user=office.clerk
        )
    )
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐI" in text


def test_a_long_register_spans_several_pages(office):
    with at(MONDAY_10):
        for number in range(1, 261):
            office.register(code_number=str(number), attachments=[], document_date=dt.date(2026, 2, 1))
    content = registers.register_pdf(
        agency=office.agency, year=2026, direction=Direction.INCOMING, user=office.clerk
    )
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) > 3
    assert "260" in reader.pages[-1].extract_text()
