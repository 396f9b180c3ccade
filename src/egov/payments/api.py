"""``/api/v1/payments``: the gateway's IPN on the API path, and a payment's status for its owner.

The IPN answers exactly VNPay's JSON (``{"RspCode", "Message"}``, vn-standards §9.3) with status 200,
whatever the outcome, since the gateway reads the code, not the HTTP status.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from ninja import Router, Schema

from egov.core.api_support import bearer

from . import selectors, services
from .choices import Gateway, PaymentStatus
from .models import Payment

router = Router(tags=["payments"])


class PaymentOut(Schema):
    txn_ref: str
    dossier_code: str
    amount: int
    currency: str = "VND"
    gateway: str
    status: str
    status_label: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    paid_at: dt.datetime | None
    response_code: str
    response_message: str
    receipt_number: str | None
    receipt_url: str | None


def _out(payment: Payment) -> dict:
    paid = payment.status == PaymentStatus.PAID
    return {
        "txn_ref": payment.txn_ref,
        "dossier_code": payment.dossier.code,
        "amount": payment.amount,
        "gateway": Gateway(payment.gateway).value,
        "status": payment.status,
        "status_label": str(PaymentStatus(payment.status).label),
        "created_at": payment.created_at,
        "expires_at": payment.expires_at,
        "paid_at": payment.paid_at,
        "response_code": payment.response_code,
        "response_message": payment.response_message,
        "receipt_number": payment.receipt_label or None,
        "receipt_url": reverse("payments:receipt", kwargs={"txn_ref": payment.txn_ref}) if paid else None,
    }


@router.get("/ipn", auth=None, include_in_schema=True, summary="IPN của cổng thanh toán (VNPay 2.1.0)")
def ipn(request: HttpRequest):
    from .views import client_ip

    return JsonResponse(services.payment_handle_ipn(request.GET.dict(), client_ip=client_ip(request)))


@router.get("/{txn_ref}", response=PaymentOut, auth=bearer, summary="Tình trạng một giao dịch thanh toán")
def payment_detail(request: HttpRequest, txn_ref: str):
    """For the applicant who owns the dossier, or an officer of the collecting agency."""
    return _out(selectors.payment_for_user(user=request.auth, txn_ref=txn_ref))
