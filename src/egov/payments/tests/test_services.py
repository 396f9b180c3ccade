"""Payments through their services (real database; the gateway is the VNPay adapter with a test secret)."""

from __future__ import annotations

import datetime as dt
from unittest import mock
from urllib.parse import parse_qsl, urlsplit

import pytest

from egov.core.calendar import LOCAL_TZ
from egov.core.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from egov.dossiers.choices import DossierStatus
from egov.notifications.models import Notification, OutboundEmail
from egov.payments import selectors, services
from egov.payments.adapters.vnpay import sign
from egov.payments.choices import PaymentEventKind, PaymentStatus
from egov.payments.models import Payment, PaymentEvent
from egov.payments.signals import payment_paid

from .conftest import SECRET, TMN

pytestmark = pytest.mark.django_db

MONDAY_10 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ)


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def callback(
    payment: Payment, *, code="00", status="00", amount=None, txn_ref=None, **extra
) -> dict[str, str]:
    params = {
        "vnp_Amount": str((payment.amount if amount is None else amount) * 100),
        "vnp_BankCode": "NCB",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": payment.order_info,
        "vnp_PayDate": "20260302100532",
        "vnp_ResponseCode": code,
        "vnp_TmnCode": TMN,
        "vnp_TransactionNo": "14422574" if code == "00" else "0",
        "vnp_TransactionStatus": status,
        "vnp_TxnRef": txn_ref or payment.txn_ref,
        **extra,
    }
    params["vnp_SecureHash"] = sign(params, SECRET)
    return params


@pytest.fixture
def started(office, vnpay):
    with at(MONDAY_10):
        dossier = office.online_dossier()
        payment, url = services.payment_start(dossier=dossier, actor=office.citizen, client_ip="203.113.0.5")
    return payment, url


@pytest.fixture
def hook():
    received = []

    def receiver(sender, *, payment, actor, **kwargs):
        received.append((payment.pk, actor))

    payment_paid.connect(receiver, dispatch_uid="test-payments-hook")
    yield received
    payment_paid.disconnect(dispatch_uid="test-payments-hook")


# ---- payment_start ---------------------------------------------------------------------------------


def test_start_creates_a_pending_attempt_and_a_signed_url(office, started):
    payment, url = started
    # THEN the attempt is for the online fee, pending for 15 minutes, and the URL is signed for it
    assert payment.status == PaymentStatus.PENDING
    assert payment.amount == 10000 and payment.agency == office.agency
    assert payment.expires_at - payment.created_at == dt.timedelta(minutes=15)
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["vnp_Amount"] == "1000000"
    assert query["vnp_TxnRef"] == payment.txn_ref
    assert query["vnp_CreateDate"] == "20260302100000"
    assert query["vnp_ExpireDate"] == "20260302101500"
    assert query["vnp_IpAddr"] == "203.113.0.5"
    assert query["vnp_OrderInfo"] == f"Nop phi le phi ho so {payment.dossier.code}"
    assert query["vnp_ReturnUrl"].endswith("/payments/return")
    assert query["vnp_SecureHash"] == sign(query, SECRET)
    assert list(payment.events.values_list("kind", flat=True)) == [PaymentEventKind.CREATED]


def test_start_is_only_for_the_applicant(office, vnpay):
    dossier = office.online_dossier()
    for actor in (office.other_citizen, office.reception):
        with pytest.raises(PermissionDenied):
            services.payment_start(dossier=dossier, actor=actor, client_ip="")
    assert not Payment.objects.exists()


def test_start_refuses_a_dossier_without_fee(office, vnpay):
    dossier = office.online_dossier()
    dossier.fee = 0
    dossier.save(update_fields=["fee"])
    with pytest.raises(ValidationFailed) as exc:
        services.payment_start(dossier=dossier, actor=office.citizen, client_ip="")
    assert "không phải nộp phí" in exc.value.message


def test_start_refuses_a_paid_dossier(office, started):
    payment, _url = started
    services.payment_handle_ipn(callback(payment))
    with pytest.raises(TransitionNotAllowed) as exc:
        services.payment_start(dossier=payment.dossier, actor=office.citizen, client_ip="")
    assert exc.value.code == "already_paid"


def test_start_refuses_a_withdrawn_dossier(office, vnpay):
    from egov.dossiers.services import dossier_withdraw

    dossier = office.online_dossier()
    dossier_withdraw(dossier=dossier, actor=office.citizen, reason="Nộp nhầm")
    with pytest.raises(TransitionNotAllowed):
        services.payment_start(dossier=dossier, actor=office.citizen, client_ip="")


def test_start_without_gateway_settings_outside_development_is_a_clear_refusal(office, settings):
    dossier = office.online_dossier()
    settings.TESTING = False
    settings.DEBUG = False
    settings.EGOV_VNPAY_TMN_CODE = ""
    settings.EGOV_VNPAY_HASH_SECRET = ""
    environment = {"EGOV_VNPAY_TMN_CODE": "", "EGOV_VNPAY_HASH_SECRET": "", "EGOV_PAYMENT_SIMULATOR": ""}
    with mock.patch.dict("os.environ", environment), pytest.raises(ValidationFailed) as exc:
        services.payment_start(dossier=dossier, actor=office.citizen, client_ip="")
    assert exc.value.code == "gateway_not_configured"


# ---- the IPN ------------------------------------------------------------------------------------------


def test_ipn_success_pays_numbers_the_receipt_notifies_and_runs_the_hook(office, started, hook):
    payment, _url = started
    # WHEN the gateway confirms the payment
    with at(MONDAY_10 + dt.timedelta(minutes=6)):
        reply = services.payment_handle_ipn(callback(payment), client_ip="113.160.92.202")
    # THEN the reply is exactly VNPay's, the payment is paid with the gateway's data and a receipt
    assert reply == {"RspCode": "00", "Message": "Confirm Success"}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert payment.paid_at == dt.datetime(2026, 3, 2, 10, 5, 32, tzinfo=LOCAL_TZ)
    assert payment.gateway_transaction_no == "14422574" and payment.bank_code == "NCB"
    assert payment.response_code == "00" and payment.response_message == "Giao dịch thành công."
    assert payment.receipt_year == 2026 and payment.receipt_number == 1 and payment.receipt_label == "0000001"
    assert payment.receipt_file.name.endswith(".pdf") and len(payment.receipt_checksum) == 64
    assert payment.ipn_params["vnp_TxnRef"] == payment.txn_ref
    # AND the dossier counts as paid, the hook ran once, the applicant and the reception are told
    assert selectors.dossier_is_paid(payment.dossier)
    assert hook == [(payment.pk, None)]
    assert Notification.objects.filter(recipient=office.citizen, event="payment_paid").count() == 1
    assert Notification.objects.filter(recipient=office.reception, event="payment_paid").count() == 1
    event = payment.events.get(kind=PaymentEventKind.IPN_RECEIVED)
    assert (event.from_status, event.to_status, event.reply_code) == ("pending", "paid", "00")
    assert event.client_ip == "113.160.92.202" and event.params["vnp_ResponseCode"] == "00"


def test_duplicate_ipn_changes_nothing(office, started, hook):
    payment, _url = started
    params = callback(payment)
    services.payment_handle_ipn(params)
    payment.refresh_from_db()
    before = (payment.status, payment.receipt_number, payment.updated_at, payment.receipt_file.name)
    # WHEN the same IPN comes again (VNPay retries)
    reply = services.payment_handle_ipn(params)
    # THEN "02" and nothing moves: no second receipt number, hook or notification
    assert reply == {"RspCode": "02", "Message": "Order already confirmed"}
    payment.refresh_from_db()
    assert (payment.status, payment.receipt_number, payment.updated_at, payment.receipt_file.name) == before
    assert len(hook) == 1
    assert Notification.objects.filter(recipient=office.citizen, event="payment_paid").count() == 1
    assert list(
        payment.events.filter(kind=PaymentEventKind.IPN_RECEIVED).values_list("reply_code", flat=True)
    ) == [
        "00",
        "02",
    ]


def test_ipn_after_a_failure_is_also_already_confirmed(started):
    payment, _url = started
    services.payment_handle_ipn(callback(payment, code="51", status="02"))
    assert services.payment_handle_ipn(callback(payment))["RspCode"] == "02"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED


def test_ipn_with_a_bad_signature_only_logs(started, hook):
    payment, _url = started
    params = callback(payment)
    params["vnp_Amount"] = "100"  # changed after signing
    reply = services.payment_handle_ipn(params, client_ip="198.51.100.7")
    assert reply == {"RspCode": "97", "Message": "Invalid signature"}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and payment.receipt_number is None
    event = PaymentEvent.objects.get(reply_code="97")
    assert event.payment is None and event.txn_ref == payment.txn_ref and event.signature_valid is False
    assert hook == []


def test_ipn_for_an_unknown_order(started):
    payment, _url = started
    reply = services.payment_handle_ipn(callback(payment, txn_ref="KHONGCO"))
    assert reply == {"RspCode": "01", "Message": "Order not found"}
    assert PaymentEvent.objects.get(reply_code="01").txn_ref == "KHONGCO"


def test_ipn_with_another_amount(started):
    payment, _url = started
    reply = services.payment_handle_ipn(callback(payment, amount=payment.amount + 1000))
    assert reply == {"RspCode": "04", "Message": "Invalid amount"}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        ("24", PaymentStatus.CANCELLED, "Khách hàng hủy giao dịch."),
        ("51", PaymentStatus.FAILED, "Tài khoản của quý khách không đủ số dư để thực hiện giao dịch."),
        (
            "11",
            PaymentStatus.FAILED,
            "Đã hết hạn chờ thanh toán. Xin quý khách vui lòng thực hiện lại giao dịch.",
        ),
        ("07", PaymentStatus.FAILED, "Trừ tiền thành công nhưng giao dịch bị nghi ngờ"),
    ],
)
def test_ipn_records_a_failure_and_confirms_it(started, hook, code, status, message):
    payment, _url = started
    reply = services.payment_handle_ipn(callback(payment, code=code, status="02"))
    assert reply == {"RspCode": "00", "Message": "Confirm Success"}
    payment.refresh_from_db()
    assert payment.status == status
    assert payment.response_code == code and payment.response_message.startswith(message)
    assert payment.receipt_number is None and payment.paid_at is None
    assert hook == []


def test_ipn_settles_a_payment_we_had_marked_expired(started):
    payment, _url = started
    assert services.payment_expire_stale(now=MONDAY_10 + dt.timedelta(minutes=20)) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED
    # The bank's word outranks our clock: money taken late is still recorded.
    assert services.payment_handle_ipn(callback(payment))["RspCode"] == "00"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID


def test_unexpected_error_answers_99_and_keeps_nothing(started, hook):
    payment, _url = started
    with mock.patch("egov.payments.receipts.render_receipt", side_effect=RuntimeError("font gone")):
        reply = services.payment_handle_ipn(callback(payment))
    assert reply == {"RspCode": "99", "Message": "Unknown error"}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and payment.receipt_number is None
    assert PaymentEvent.objects.filter(reply_code="99").exists()
    # The gateway's retry then succeeds with receipt number 1 (the rolled-back number was given back).
    assert services.payment_handle_ipn(callback(payment))["RspCode"] == "00"
    payment.refresh_from_db()
    assert payment.receipt_number == 1


def test_a_failing_hook_rolls_the_payment_back(started):
    payment, _url = started

    def broken(sender, **kwargs):
        raise RuntimeError("dossier app down")

    payment_paid.connect(broken, dispatch_uid="test-broken-hook")
    try:
        assert services.payment_handle_ipn(callback(payment))["RspCode"] == "99"
    finally:
        payment_paid.disconnect(dispatch_uid="test-broken-hook")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert not Notification.objects.filter(event="payment_paid").exists()


# ---- the return URL ----------------------------------------------------------------------------------


def test_return_only_displays_and_logs_the_visit(started):
    payment, _url = started
    outcome = services.payment_handle_return(callback(payment), client_ip="203.113.0.5")
    # THEN the page would say "waiting for confirmation": the return never settles a payment
    assert outcome.signature_valid and outcome.payment == payment and outcome.awaiting_confirmation
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert payment.events.filter(kind=PaymentEventKind.RETURN_VISITED).count() == 1


def test_return_with_a_bad_signature_shows_nothing_of_the_payment(started):
    payment, _url = started
    params = callback(payment)
    params["vnp_SecureHash"] = "0" * 128
    outcome = services.payment_handle_return(params)
    assert not outcome.signature_valid and outcome.payment is None
    assert (
        PaymentEvent.objects.filter(kind=PaymentEventKind.RETURN_VISITED, signature_valid=False).count() == 1
    )


# ---- cash at the counter -----------------------------------------------------------------------------


def test_cash_at_the_counter_pays_and_issues_the_next_receipt_number(office, hook):
    first = office.counter_dossier()
    second = office.counter_dossier()
    a = services.payment_record_cash(dossier=first, actor=office.reception, amount=20000)
    b = services.payment_record_cash(dossier=second, actor=office.reception, amount=20000)
    assert (a.status, a.gateway, a.amount) == (PaymentStatus.PAID, "cash", 20000)
    assert (a.receipt_number, b.receipt_number) == (1, 2)
    assert a.txn_ref.startswith("TM") and a.receipt_file.name
    assert hook == [(a.pk, office.reception), (b.pk, office.reception)]
    assert a.events.get().kind == PaymentEventKind.CASH_RECEIVED
    assert OutboundEmail.objects.filter(to="binh@example.vn", subject__contains="Đã nộp phí").count() == 2
    assert selectors.dossier_is_paid(first)


def test_cash_refusals(office):
    dossier = office.counter_dossier()
    with pytest.raises(PermissionDenied):
        services.payment_record_cash(dossier=dossier, actor=office.specialist, amount=20000)
    with pytest.raises(PermissionDenied):
        services.payment_record_cash(dossier=dossier, actor=office.other_officer, amount=20000)
    with pytest.raises(ValidationFailed) as exc:
        services.payment_record_cash(dossier=dossier, actor=office.reception, amount=10000)
    assert "20.000 đồng" in exc.value.message
    services.payment_record_cash(dossier=dossier, actor=office.reception, amount=20000)
    with pytest.raises(TransitionNotAllowed):
        services.payment_record_cash(dossier=dossier, actor=office.reception, amount=20000)
    assert Payment.objects.filter(dossier=dossier).count() == 1


def test_receipt_numbers_run_per_agency_and_year(office):
    dossier = office.counter_dossier()
    with at(dt.datetime(2026, 12, 31, 23, 0, tzinfo=LOCAL_TZ)):
        last = services.payment_record_cash(dossier=dossier, actor=office.reception, amount=20000)
    other = office.counter_dossier()
    with at(dt.datetime(2027, 1, 1, 8, 0, tzinfo=LOCAL_TZ)):
        first = services.payment_record_cash(dossier=other, actor=office.reception, amount=20000)
    assert (last.receipt_year, last.receipt_number) == (2026, 1)
    assert (first.receipt_year, first.receipt_number) == (2027, 1)


# ---- selectors ---------------------------------------------------------------------------------------------


def test_payment_required_and_paid(office, started):
    payment, _url = started
    dossier = payment.dossier
    assert dossier.status == DossierStatus.SUBMITTED
    assert selectors.payment_required(dossier) and not selectors.dossier_is_paid(dossier)
    services.payment_handle_ipn(callback(payment))
    assert selectors.dossier_is_paid(dossier)
    dossier.fee = 0
    assert not selectors.payment_required(dossier)


def test_payment_events_are_append_only(started):
    payment, _url = started
    event = payment.events.first()
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
