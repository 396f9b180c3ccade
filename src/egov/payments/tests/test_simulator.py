"""The VNPay protocol end to end over HTTP: our site, the built-in simulator and our IPN endpoint on a
live server (vn-standards §9.3). The test plays the citizen's browser with urllib, without following
redirects, so every hop of the protocol is visible."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from unittest import mock
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.utils import timezone

from egov.payments import conf, services
from egov.payments.adapters.vnpay import VNPayGateway
from egov.payments.choices import PaymentEventKind, PaymentStatus
from egov.payments.models import Payment, PaymentEvent
from egov.payments.signals import payment_paid

from .conftest import SECRET, TMN


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))


def http(url: str, data: dict | None = None) -> tuple[int, dict, str]:
    body = urlencode(data).encode() if data is not None else None
    try:
        response = _opener.open(url, body, timeout=20)
    except urllib.error.HTTPError as exc:
        response = exc
    with response:
        return response.status, dict(response.headers), response.read().decode("utf-8")


@pytest.fixture
def gateway(live_server, settings) -> VNPayGateway:
    """Our site and the simulator on the live server; the simulator calls our IPN there."""
    settings.EGOV_PUBLIC_URL = live_server.url
    settings.EGOV_VNPAY_TMN_CODE = TMN
    settings.EGOV_VNPAY_HASH_SECRET = SECRET
    settings.EGOV_VNPAY_URL = live_server.url + conf.SIMULATOR_PATH
    settings.EGOV_PAYMENT_SIMULATOR_IPN_URL = live_server.url + "/payments/ipn"
    return VNPayGateway.from_settings()


@pytest.fixture
def pay(office, gateway):
    """The citizen starts paying an online dossier; returns (payment, the gateway URL)."""
    dossier = office.online_dossier()
    return services.payment_start(dossier=dossier, actor=office.citizen, client_ip="127.0.0.1")


@pytest.fixture
def hook():
    calls = []
    payment_paid.connect(
        lambda sender, payment, **kw: calls.append(payment.pk), weak=False, dispatch_uid="sim"
    )
    yield calls
    payment_paid.disconnect(dispatch_uid="sim")


def choose(url: str, choice: str) -> tuple[int, str]:
    """Press a button of the simulator's page; returns the status and where the browser is sent."""
    split = urlsplit(url)
    form = dict(parse_qsl(split.query))
    status, headers, _body = http(f"{split.scheme}://{split.netloc}{split.path}", {**form, "choice": choice})
    return status, headers.get("Location", "")


def ipn(live_server, params: dict) -> dict:
    status, _headers, body = http(f"{live_server.url}/payments/ipn?{urlencode(params)}")
    assert status == 200
    return json.loads(body)


def test_success_over_http(live_server, office, pay, hook):
    payment, url = pay
    # GIVEN the simulator's pay page, which checked our signature
    status, _headers, page = http(url)
    assert status == 200
    assert "10.000 VND" in page and "Mười nghìn đồng" in page and payment.dossier.code in page
    for button in ("Thanh toán thành công", "Hủy giao dịch", "Số dư không đủ"):
        assert button in page
    # WHEN the citizen pays
    status, location = choose(url, "success")
    # THEN the simulator has called our IPN (server to server) before sending the browser back
    assert status == 302 and location.startswith(f"{live_server.url}/payments/return?")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and payment.receipt_number == 1
    assert payment.events.get(kind=PaymentEventKind.IPN_RECEIVED).reply_code == "00"
    assert hook == [payment.pk]
    # AND the return page shows the result in Vietnamese, and only logs the visit
    status, _headers, page = http(location)
    assert status == 200 and "Thanh toán thành công" in page and "0000001" in page
    assert payment.events.filter(kind=PaymentEventKind.RETURN_VISITED).count() == 1
    # AND the same IPN again is "02" and changes nothing
    callback = dict(parse_qsl(urlsplit(location).query))
    assert ipn(live_server, callback) == {"RspCode": "02", "Message": "Order already confirmed"}
    payment.refresh_from_db()
    assert payment.receipt_number == 1 and hook == [payment.pk]


def test_cancel_24_over_http(live_server, pay, hook):
    payment, url = pay
    status, location = choose(url, "cancel")
    assert status == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED and payment.response_code == "24"
    assert payment.response_message == "Khách hàng hủy giao dịch."
    status, _headers, page = http(location)
    assert status == 200 and "Khách hàng hủy giao dịch." in page and "Đã hủy giao dịch" in page
    assert hook == []


def test_insufficient_balance_51_over_http(live_server, pay):
    payment, url = pay
    choose(url, "insufficient")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED and payment.response_code == "51"


def test_bad_signature_97_over_http(live_server, pay):
    payment, url = pay
    # The simulator itself refuses a tampered pay request (as the sandbox does)
    tampered = url.replace("vnp_Amount=1000000", "vnp_Amount=100")
    status, _headers, page = http(tampered)
    assert status == 400 and "Sai chữ ký" in page
    # and our IPN refuses a tampered callback: 97, only the call is logged
    callback = {
        "vnp_Amount": "1000000",
        "vnp_ResponseCode": "00",
        "vnp_TransactionStatus": "00",
        "vnp_TmnCode": TMN,
        "vnp_TxnRef": payment.txn_ref,
        "vnp_SecureHash": "ab" * 64,
    }
    assert ipn(live_server, callback) == {"RspCode": "97", "Message": "Invalid signature"}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert PaymentEvent.objects.filter(reply_code="97", signature_valid=False).count() == 1


def test_wrong_amount_04_over_http(live_server, pay, gateway):
    payment, _url = pay
    callback = {
        "vnp_Amount": "100000",  # 1.000 đồng instead of 10.000
        "vnp_ResponseCode": "00",
        "vnp_TransactionStatus": "00",
        "vnp_TmnCode": TMN,
        "vnp_TxnRef": payment.txn_ref,
    }
    callback["vnp_SecureHash"] = gateway.sign(callback)
    assert ipn(live_server, callback) == {"RspCode": "04", "Message": "Invalid amount"}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_unknown_order_01_over_http(live_server, gateway, db):
    callback = {
        "vnp_Amount": "1000000",
        "vnp_ResponseCode": "00",
        "vnp_TransactionStatus": "00",
        "vnp_TmnCode": TMN,
        "vnp_TxnRef": "KHONGTONTAI",
    }
    callback["vnp_SecureHash"] = gateway.sign(callback)
    assert ipn(live_server, callback) == {"RspCode": "01", "Message": "Order not found"}
    assert not Payment.objects.exists()


def test_ipn_on_the_api_path_answers_the_same(live_server, pay, gateway):
    payment, url = pay
    _status, location = choose(url, "success")
    callback = dict(parse_qsl(urlsplit(location).query))
    status, _headers, body = http(f"{live_server.url}/api/v1/payments/ipn?{urlencode(callback)}")
    assert status == 200 and json.loads(body) == {"RspCode": "02", "Message": "Order already confirmed"}


def test_simulator_is_404_when_disabled(client, settings, db):
    settings.DEBUG = False
    settings.TESTING = False
    settings.EGOV_PAYMENT_SIMULATOR = False
    assert client.get(conf.SIMULATOR_PATH).status_code == 404
    assert client.post(conf.SIMULATOR_PATH, {"choice": "success"}).status_code == 404
    settings.EGOV_PAYMENT_SIMULATOR = True  # an operator's explicit choice (a demo) turns it on
    assert client.get(conf.SIMULATOR_PATH).status_code == 400  # on, but the empty request is refused


def test_expired_pay_page_only_offers_going_back_with_11(live_server, office, gateway):
    # GIVEN a payment started an hour ago: its vnp_ExpireDate has passed
    dossier = office.online_dossier()
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    with mock.patch("django.utils.timezone.now", return_value=an_hour_ago):
        payment, url = services.payment_start(dossier=dossier, actor=office.citizen, client_ip="127.0.0.1")
    status, _headers, page = http(url)
    assert status == 200 and "quá thời gian chờ thanh toán" in page and "simulator-success" not in page
    # WHEN the citizen still tries to pay THEN the simulator refuses; going back reports code 11
    assert choose(url, "success")[0] == 400
    status, _location = choose(url, "timeout")
    assert status == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED and payment.response_code == "11"
    assert payment.response_message.startswith("Đã hết hạn chờ thanh toán")
