"""``/api/v1/payments``: a payment's status for its applicant or the agency's officers (bearer token)."""

from __future__ import annotations

import pytest

from egov.accounts.models import ApiToken
from egov.payments import services
from egov.payments.adapters.vnpay import sign

from .conftest import SECRET, TMN

pytestmark = pytest.mark.django_db


def token_for(user) -> str:
    key = f"test-token-{user.username}"
    ApiToken.objects.create(user=user, prefix=key[:8], key_hash=ApiToken.hash_key(key))
    return key


def test_payment_status_for_the_applicant_and_officers(client, office, vnpay):
    dossier = office.online_dossier()
    payment, _url = services.payment_start(dossier=dossier, actor=office.citizen, client_ip="")
    url = f"/api/v1/payments/{payment.txn_ref}"
    response = client.get(url, headers={"Authorization": f"Bearer {token_for(office.citizen)}"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "pending" and body["amount"] == 10000 and body["receipt_url"] is None
    assert body["dossier_code"] == dossier.code and body["status_label"] == "Chờ thanh toán"

    params = {
        "vnp_Amount": "1000000",
        "vnp_ResponseCode": "00",
        "vnp_TransactionStatus": "00",
        "vnp_TmnCode": TMN,
        "vnp_TxnRef": payment.txn_ref,
    }
    params["vnp_SecureHash"] = sign(params, SECRET)
    assert client.get("/api/v1/payments/ipn", params).json() == {
        "RspCode": "00",
        "Message": "Confirm Success",
    }

    response = client.get(url, headers={"Authorization": f"Bearer {token_for(office.reception)}"})
    body = response.json()
    assert body["status"] == "paid" and body["receipt_number"] == "0000001"
    assert body["receipt_url"] == f"/payments/{payment.txn_ref}/receipt.pdf"


def test_payment_status_is_hidden_from_others(client, office, vnpay):
    dossier = office.online_dossier()
    payment, _url = services.payment_start(dossier=dossier, actor=office.citizen, client_ip="")
    for user in (office.other_citizen, office.other_officer):
        response = client.get(
            f"/api/v1/payments/{payment.txn_ref}", headers={"Authorization": f"Bearer {token_for(user)}"}
        )
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert client.get(f"/api/v1/payments/{payment.txn_ref}").status_code == 401


def test_openapi_lists_the_payment_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/payments/ipn" in paths and "/api/v1/payments/{txn_ref}" in paths
