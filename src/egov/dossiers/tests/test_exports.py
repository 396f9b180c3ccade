"""Tests for ``dossiers/exports.py``: the dossier register (Sổ theo dõi hồ sơ, Mẫu 06) as xlsx."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from egov.core.calendar import LOCAL_TZ
from egov.core.choices import TimeUnit
from egov.dossiers.choices import Channel, DossierStatus
from egov.dossiers.exports import register_xlsx, spreadsheet_text
from egov.dossiers.models import Dossier, DossierTask
from egov.testing.factories import AgencyFactory, procedure_with_process

HEADER_ROW = 5


def make_dossier(offering, number: int, received_at: dt.datetime, **overrides) -> Dossier:
    values = {
        "code": f"{offering.agency.code}-{received_at:%y%m%d}-{number:04d}",
        "offering": offering,
        "procedure": offering.procedure,
        "agency": offering.agency,
        "status": DossierStatus.PROCESSING,
        "channel": Channel.COUNTER,
        "applicant_name": f"Người nộp số {number}",
        "applicant_address": "Thôn Đông, xã Hùng Sơn",
        "applicant_phone": "0912345678",
        "processing_amount": Decimal("5"),
        "processing_unit": TimeUnit.WORKING_DAYS,
        "received_at": received_at,
        "clock_started_at": received_at,
        "due_at": received_at + dt.timedelta(days=7),
        "register_number": number,
    }
    values.update(overrides)
    return Dossier.objects.create(**values)


def load(data: bytes):
    return load_workbook(io.BytesIO(data)).active


@pytest.mark.django_db
def test_register_has_header_and_only_this_agency_and_year():
    # GIVEN two agencies' dossiers received in 2024, 2025 (one on 31/12/2025 at 23:30 Vietnam time,
    # which is still 2025 locally although it is 16:30 UTC) and 2026
    agency = AgencyFactory(name="Ủy ban nhân dân xã Hùng Sơn")
    other = AgencyFactory(name="Ủy ban nhân dân xã Khác")
    offering = procedure_with_process(agency=agency, name="Đăng ký khai sinh")
    other_offering = procedure_with_process(agency=other)
    make_dossier(offering, 9, dt.datetime(2024, 12, 31, 10, tzinfo=LOCAL_TZ))
    second = make_dossier(offering, 2, dt.datetime(2025, 3, 2, 9, 15, tzinfo=LOCAL_TZ), set_count=2)
    first = make_dossier(
        offering,
        1,
        dt.datetime(2025, 1, 2, 8, 0, tzinfo=LOCAL_TZ),
        finished_at=dt.datetime(2025, 1, 6, 10, 0, tzinfo=LOCAL_TZ),
        returned_at=dt.datetime(2025, 1, 7, 9, 0, tzinfo=LOCAL_TZ),
        status=DossierStatus.RETURNED,
    )
    last = make_dossier(offering, 3, dt.datetime(2025, 12, 31, 23, 30, tzinfo=LOCAL_TZ))
    make_dossier(offering, 1, dt.datetime(2026, 1, 1, 0, 30, tzinfo=LOCAL_TZ), code="X-2026")
    make_dossier(other_offering, 1, dt.datetime(2025, 5, 5, 9, tzinfo=LOCAL_TZ))
    DossierTask.objects.create(
        dossier=first,
        position=1,
        name="Tiếp nhận",
        role="reception",
        agency=agency,
        started_at=first.received_at,
        due_at=first.received_at + dt.timedelta(hours=4),
        finished_at=dt.datetime(2025, 1, 2, 9, 30, tzinfo=LOCAL_TZ),
    )

    # WHEN the 2025 register of the first agency is exported
    ws = load(register_xlsx(agency=agency, year=2025))

    # THEN the header names the agency and the year, with the 14 columns of Mẫu 06
    assert ws["A1"].value == "ỦY BAN NHÂN DÂN XÃ HÙNG SƠN"
    assert ws["A2"].value == "SỔ THEO DÕI HỒ SƠ"
    assert "2025" in ws["A3"].value
    header = [c.value for c in ws[HEADER_ROW]]
    assert header[:3] == ["STT", "Mã hồ sơ", "Tên TTHC"]
    assert header[3] == "Số lượng hồ sơ (bộ)"
    assert header[12:] == ["Ký nhận", "Ghi chú"]
    assert len(header) == 14
    # AND the rows are this agency's 2025 entries in register order, times in Vietnam time
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=HEADER_ROW + 1)]
    assert [r[1] for r in rows] == [first.code, second.code, last.code]
    assert [r[0] for r in rows] == [1, 2, 3]
    assert rows[0][2] == "Đăng ký khai sinh"
    assert rows[1][3] == 2
    assert rows[0][4] == "Người nộp số 1"
    assert rows[0][5] == "Thôn Đông, xã Hùng Sơn - 0912345678"
    assert rows[0][6] == "Ủy ban nhân dân xã Hùng Sơn"
    assert rows[0][7] == dt.datetime(2025, 1, 2, 8, 0)
    assert rows[0][9] == dt.datetime(2025, 1, 2, 9, 30)  # handed over from the counter
    assert rows[0][10] == dt.datetime(2025, 1, 6, 10, 0)
    assert rows[0][11] == dt.datetime(2025, 1, 7, 9, 0)
    assert rows[2][7] == dt.datetime(2025, 12, 31, 23, 30)
    assert "Đã trả kết quả" in rows[0][13]


@pytest.mark.django_db
def test_register_print_setup_is_a4_landscape_with_frozen_header():
    agency = AgencyFactory()
    ws = load(register_xlsx(agency=agency, year=2025))
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9
    assert ws.freeze_panes == f"C{HEADER_ROW + 1}"
    assert ws.column_dimensions["C"].width > ws.column_dimensions["A"].width


@pytest.mark.django_db
def test_formula_injection_is_neutralised():
    # GIVEN an applicant who typed spreadsheet formulas into the form
    agency = AgencyFactory()
    offering = procedure_with_process(agency=agency)
    make_dossier(
        offering,
        1,
        dt.datetime(2025, 4, 1, 9, tzinfo=LOCAL_TZ),
        applicant_name='=HYPERLINK("http://evil.example","Bấm vào đây")',
        applicant_address="@SUM(1+1)",
        applicant_phone="",
    )
    # WHEN the register is exported
    ws = load(register_xlsx(agency=agency, year=2025))
    row = list(ws.iter_rows(min_row=HEADER_ROW + 1, max_row=HEADER_ROW + 1))[0]
    # THEN the cells hold text with a leading apostrophe, not formulas
    assert row[4].data_type == "s"
    assert row[4].value == '\'=HYPERLINK("http://evil.example","Bấm vào đây")'
    assert row[5].value == "'@SUM(1+1)"
    assert row[5].data_type == "s"


def test_spreadsheet_text_leaves_ordinary_values_alone():
    assert spreadsheet_text("Nguyễn Văn A") == "Nguyễn Văn A"
    assert spreadsheet_text(-5) == -5
    assert spreadsheet_text("+84912345678") == "'+84912345678"
    assert spreadsheet_text("-1") == "'-1"
