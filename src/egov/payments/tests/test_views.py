"""Pages of the payments app: the applicant's page and start, receipts, cash at the counter, reconciliation."""

from __future__ import annotations

import csv
import datetime as dt
import io
from unittest import mock
from urllib.parse import parse_qsl, urlsplit

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from egov.core.calendar import LOCAL_TZ
from egov.payments import services
from egov.payments.adapters.vnpay import sign
from egov.payments.choices import PaymentStatus
from egov.payments.models import Payment

from .conftest import SECRET, TMN

pytestmark = pytest.mark.django_db

MONDAY_10 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ)


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def settle(payment: Payment, code: str = "00") -> None:
    params = {
        "vnp_Amount": str(payment.amount * 100),
        "vnp_BankCode": "NCB",
        "vnp_PayDate": "20260302100532",
        "vnp_ResponseCode": code,
        "vnp_TmnCode": TMN,
        "vnp_TransactionNo": "14422574",
        "vnp_TransactionStatus": "00" if code == "00" else "02",
        "vnp_TxnRef": payment.txn_ref,
    }
    params["vnp_SecureHash"] = sign(params, SECRET)
    services.payment_handle_ipn(params)
    payment.refresh_from_db()


def start(office, dossier=None, moment=MONDAY_10) -> Payment:
    with at(moment):
        dossier = dossier or office.online_dossier()
        payment, _url = services.payment_start(dossier=dossier, actor=office.citizen, client_ip="")
    return payment


# ---- the applicant --------------------------------------------------------------------------------------


def test_applicant_page_and_start_redirect_to_the_gateway(client, office, vnpay):
    dossier = office.online_dossier()
    client.force_login(office.citizen)
    page = client.get(f"/payments/dossier/{dossier.code}/")
    assert page.status_code == 200
    assert "10.000" in page.content.decode() and "Mười nghìn đồng" in page.content.decode()
    response = client.post(f"/payments/start/{dossier.code}")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("http://testserver/payments/simulator/paymentv2/vpcpay.html?")
    query = dict(parse_qsl(urlsplit(location).query))
    assert query["vnp_IpAddr"] == "127.0.0.1" and query["vnp_Amount"] == "1000000"
    assert Payment.objects.get().txn_ref == query["vnp_TxnRef"]


def test_start_is_404_for_someone_else_and_asks_for_login(client, office, vnpay):
    dossier = office.online_dossier()
    assert client.post(f"/payments/start/{dossier.code}").status_code == 302  # to the login page
    client.force_login(office.other_citizen)
    assert client.post(f"/payments/start/{dossier.code}").status_code == 404
    assert client.get(f"/payments/dossier/{dossier.code}/").status_code == 404
    assert not Payment.objects.exists()


def test_start_on_a_paid_dossier_shows_the_reason(client, office, vnpay):
    payment = start(office)
    settle(payment)
    client.force_login(office.citizen)
    response = client.post(f"/payments/start/{payment.dossier.code}")
    assert response.status_code == 409
    assert "đã được thanh toán" in response.content.decode()


def test_start_only_by_post(client, office, vnpay):
    dossier = office.online_dossier()
    client.force_login(office.citizen)
    assert client.get(f"/payments/start/{dossier.code}").status_code == 405


# ---- receipts -------------------------------------------------------------------------------------------


def test_receipt_pdf_has_the_amount_in_figures_and_words(client, office, vnpay):
    payment = start(office)
    settle(payment)
    client.force_login(office.citizen)
    response = client.get(f"/payments/{payment.txn_ref}/receipt.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in (
        "BIÊN LAI THU PHÍ, LỆ PHÍ",
        "Ủy ban nhân dân phường Việt Trì",
        "Lê Văn Cường",
        payment.dossier.code,
        "Cấp bản sao trích lục hộ tịch",
        "10.000 đồng",
        "Mười nghìn đồng",
        "10 giờ 05 phút, ngày 02/03/2026",
        "14422574",
        "0000001",
    ):
        assert expected in text, expected
    # the officers of the agency may download it too; nobody else
    client.force_login(office.reception)
    assert client.get(f"/payments/{payment.txn_ref}/receipt.pdf").status_code == 200
    client.force_login(office.other_officer)
    assert client.get(f"/payments/{payment.txn_ref}/receipt.pdf").status_code == 404


def test_receipt_is_rendered_again_when_the_stored_copy_is_lost(client, office, vnpay):
    payment = start(office)
    settle(payment)
    payment.receipt_file.storage.delete(payment.receipt_file.name)
    client.force_login(office.citizen)
    response = client.get(f"/payments/{payment.txn_ref}/receipt.pdf")
    assert response.status_code == 200 and "Mười nghìn đồng" in pdf_text(response.content)


def test_no_receipt_before_payment(client, office, vnpay):
    payment = start(office)
    client.force_login(office.citizen)
    assert client.get(f"/payments/{payment.txn_ref}/receipt.pdf").status_code == 404


# ---- the return page --------------------------------------------------------------------------------------


def test_return_page_says_waiting_when_the_ipn_has_not_arrived(client, office, vnpay):
    payment = start(office)
    params = {
        "vnp_Amount": "1000000",
        "vnp_ResponseCode": "00",
        "vnp_TransactionStatus": "00",
        "vnp_TmnCode": TMN,
        "vnp_TxnRef": payment.txn_ref,
    }
    params["vnp_SecureHash"] = sign(params, SECRET)
    response = client.get("/payments/return", params)
    assert response.status_code == 200
    assert "đang chờ xác nhận" in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_return_page_with_a_bad_signature(client, office, vnpay):
    response = client.get("/payments/return", {"vnp_TxnRef": "X", "vnp_SecureHash": "00"})
    assert response.status_code == 400
    assert "không hợp lệ" in response.content.decode()


# ---- cash at the counter ---------------------------------------------------------------------------------


def test_cash_page_for_the_reception_officer(client, office):
    dossier = office.counter_dossier()
    client.force_login(office.reception)
    page = client.get(f"/payments/cash/{dossier.code}/")
    assert page.status_code == 200 and "20.000" in page.content.decode()
    response = client.post(f"/payments/cash/{dossier.code}/", {"amount": "20000"})
    assert response.status_code == 302
    payment = Payment.objects.get(dossier=dossier)
    assert payment.status == PaymentStatus.PAID and payment.receipt_number == 1
    again = client.post(f"/payments/cash/{dossier.code}/", {"amount": "20000"})
    assert again.status_code == 409 and "đã được thanh toán" in again.content.decode()


def test_cash_page_refuses_a_wrong_amount_and_other_agencies(client, office):
    dossier = office.counter_dossier()
    client.force_login(office.reception)
    response = client.post(f"/payments/cash/{dossier.code}/", {"amount": "5000"})
    assert response.status_code == 400 and "20.000 đồng" in response.content.decode()
    client.force_login(office.other_officer)
    assert client.get(f"/payments/cash/{dossier.code}/").status_code == 404
    client.force_login(office.citizen)
    assert client.get(f"/payments/cash/{dossier.code}/").status_code == 403
    assert not Payment.objects.exists()


# ---- reconciliation --------------------------------------------------------------------------------------


@pytest.fixture
def day_of_payments(office, vnpay):
    """Monday 2 March 2026: two paid online, one cancelled, one pending for 30 minutes, one cash."""
    paid = [start(office, moment=MONDAY_10 + dt.timedelta(minutes=i)) for i in (0, 1)]
    for p in paid:
        settle(p)
    cancelled = start(office, moment=MONDAY_10 + dt.timedelta(minutes=2))
    settle(cancelled, code="24")
    pending = start(office, moment=MONDAY_10 + dt.timedelta(minutes=3))
    with at(MONDAY_10 + dt.timedelta(minutes=4)):
        cash = services.payment_record_cash(
            dossier=office.counter_dossier(), actor=office.reception, amount=20000
        )
    # Another day, not in the list.
    start(office, moment=MONDAY_10 + dt.timedelta(days=1))
    return {"paid": paid, "cancelled": cancelled, "pending": pending, "cash": cash}


def test_reconciliation_totals_by_status_and_flags(client, office, day_of_payments):
    client.force_login(office.reception)
    with at(MONDAY_10 + dt.timedelta(minutes=33)):
        response = client.get("/payments/reconciliation/", {"date": "2026-03-02"})
    assert response.status_code == 200
    data = response.context["data"]
    totals = {t.status: (t.count, t.amount) for t in data.totals}
    assert totals == {
        "paid": (3, 40000),
        "pending": (1, 10000),
        "failed": (0, 0),
        "cancelled": (1, 10000),
        "expired": (0, 0),
    }
    assert data.by_gateway == {"vnpay": 20000, "cash": 20000}
    flagged = [row.payment for row in data.rows if row.flags]
    assert flagged == [day_of_payments["pending"]]
    assert data.count == 5
    html = response.content.decode()
    assert "40.000" in html and "Chờ thanh toán quá 15 phút" in html


def test_reconciliation_exports(client, office, day_of_payments):
    client.force_login(office.leader)
    with at(MONDAY_10 + dt.timedelta(minutes=33)):
        as_csv = client.get("/payments/reconciliation/", {"date": "2026-03-02", "format": "csv"})
        as_xlsx = client.get("/payments/reconciliation/", {"date": "2026-03-02", "format": "xlsx"})
    assert as_csv.status_code == 200 and as_csv["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0][0].startswith("Đối soát thanh toán Ủy ban nhân dân phường Việt Trì ngày 02/03/2026")
    lines = [r for r in rows[2:] if r and r[0].isdigit()]
    assert len(lines) == 5
    assert ["Đã thanh toán", "3", "40000"] in rows
    workbook = load_workbook(io.BytesIO(as_xlsx.content))
    sheet = workbook.worksheets[0]
    assert sheet.max_row == 2 + 5
    summary = {r[0]: (r[1], r[2]) for r in workbook.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert summary["Đã thanh toán"] == (3, 40000)


def test_reconciliation_is_for_reception_and_leaders_of_the_agency(client, office, day_of_payments):
    client.force_login(office.specialist)
    assert client.get("/payments/reconciliation/").status_code == 403
    client.force_login(office.citizen)
    assert client.get("/payments/reconciliation/").status_code == 403
    client.force_login(office.other_officer)
    response = client.get("/payments/reconciliation/", {"date": "2026-03-02", "agency": office.agency.pk})
    # the other agency's officer only ever sees their own agency
    assert response.status_code == 200 and response.context["data"].count == 0


def test_reconciliation_with_a_bad_date(client, office):
    client.force_login(office.reception)
    response = client.get("/payments/reconciliation/", {"date": "02/03/2026"})
    assert response.status_code == 400 and "Ngày không hợp lệ" in response.content.decode()


def test_expire_payments_command(office, vnpay, day_of_payments):
    from django.core.management import call_command

    out = io.StringIO()
    with at(MONDAY_10 + dt.timedelta(days=2)):
        call_command("expire_payments", stdout=out)
    # the pending one of Monday and the one of Tuesday
    assert out.getvalue().strip() == "expired: 2"
    day_of_payments["pending"].refresh_from_db()
    assert day_of_payments["pending"].status == PaymentStatus.EXPIRED
