"""The IPN under concurrency (PostgreSQL: real row locks, real threads): VNPay may deliver the same IPN
several times at once; exactly one settles the payment, the others answer "02"."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from egov.payments import services
from egov.payments.adapters.vnpay import sign
from egov.payments.choices import PaymentStatus

from .conftest import SECRET, TMN

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_parallel_duplicate_ipns_settle_once(office, vnpay):
    # GIVEN a pending payment and its success callback
    dossier = office.online_dossier()
    payment, _url = services.payment_start(dossier=dossier, actor=office.citizen, client_ip="")
    params = {
        "vnp_Amount": "1000000",
        "vnp_ResponseCode": "00",
        "vnp_TransactionStatus": "00",
        "vnp_TmnCode": TMN,
        "vnp_TransactionNo": "14422574",
        "vnp_TxnRef": payment.txn_ref,
    }
    params["vnp_SecureHash"] = sign(params, SECRET)
    replies: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def deliver() -> None:
        try:
            barrier.wait()
            replies.append(services.payment_handle_ipn(params)["RspCode"])
        except BaseException as exc:  # reported below; a thread's exception would be lost otherwise
            errors.append(exc)
        finally:
            connection.close()

    # WHEN six copies of the IPN arrive at the same moment
    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN one settles it, five are told it was already confirmed, and one receipt number is used
    assert not errors, errors
    assert sorted(replies) == ["00", "02", "02", "02", "02", "02"]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and payment.receipt_number == 1
    assert payment.events.filter(reply_code="00").count() == 1


def test_parallel_cash_collections_take_the_fee_once(office, vnpay):
    # GIVEN four counter clicks to take the same dossier's fee at the same moment
    dossier = office.online_dossier()
    errors: list[BaseException] = []
    results: list[str] = []
    barrier = threading.Barrier(4)

    def counter() -> None:
        try:
            barrier.wait()
            services.payment_record_cash(dossier=dossier, actor=office.reception, amount=10000)
            results.append("cash")
        except Exception as exc:
            results.append(type(exc).__name__)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=counter) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN the dossier row lock lets one cash payment through; the others see it paid
    assert not errors, errors
    assert sorted(results) == ["TransitionNotAllowed"] * 3 + ["cash"]
