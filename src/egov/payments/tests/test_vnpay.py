"""VNPay 2.1.0 signing and verification (vn-standards §9.3), checked against vectors written by hand."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import unicodedata
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlsplit

from egov.core.calendar import LOCAL_TZ
from egov.payments.adapters import PaymentGateway
from egov.payments.adapters.vnpay import VNPayGateway, hash_data, php_urlencode, sign

SECRET = "TESTSECRETFORPAYMENTSVNPAY000001"
ORDER_INFO = "Nộp phí hồ sơ 000.00.01.H26-260302-0001 ~ A&B=C"

REQUEST = {
    "vnp_Version": "2.1.0",
    "vnp_Command": "pay",
    "vnp_TmnCode": "EGOVTEST",
    "vnp_Amount": "1000000",
    "vnp_CreateDate": "20260302100000",
    "vnp_CurrCode": "VND",
    "vnp_IpAddr": "203.113.0.5",
    "vnp_Locale": "vn",
    "vnp_OrderInfo": ORDER_INFO,
    "vnp_OrderType": "other",
    "vnp_ReturnUrl": "http://127.0.0.1:8000/payments/return",
    "vnp_TxnRef": "260302ABC123",
    "vnp_ExpireDate": "20260302101500",
}

# Written by hand from the documented algorithm: keys A-Z; PHP urlencode of each key and value (UTF-8
# bytes in upper-case %XX, space as "+", "~" as %7E, "-", "_", "." kept); pairs joined by "&".
EXPECTED_HASH_DATA = (
    "vnp_Amount=1000000"
    "&vnp_Command=pay"
    "&vnp_CreateDate=20260302100000"
    "&vnp_CurrCode=VND"
    "&vnp_ExpireDate=20260302101500"
    "&vnp_IpAddr=203.113.0.5"
    "&vnp_Locale=vn"
    "&vnp_OrderInfo=N%E1%BB%99p+ph%C3%AD+h%E1%BB%93+s%C6%A1+000.00.01.H26-260302-0001+%7E+A%26B%3DC"
    "&vnp_OrderType=other"
    "&vnp_ReturnUrl=http%3A%2F%2F127.0.0.1%3A8000%2Fpayments%2Freturn"
    "&vnp_TmnCode=EGOVTEST"
    "&vnp_TxnRef=260302ABC123"
    "&vnp_Version=2.1.0"
)


def expected_signature(data: str) -> str:
    return hmac.new(SECRET.encode(), data.encode("ascii"), hashlib.sha512).hexdigest()


def gateway() -> VNPayGateway:
    return VNPayGateway(
        tmn_code="EGOVTEST", hash_secret=SECRET, url="https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
    )


def test_hash_data_matches_the_hand_written_vector():
    # GIVEN the request of §9.3 with an order description holding spaces, Vietnamese letters and ~ & =
    assert unicodedata.is_normalized("NFC", ORDER_INFO)
    # WHEN the string to sign is built (the hash parameters, if present, are left out)
    data = hash_data({**REQUEST, "vnp_SecureHash": "x", "vnp_SecureHashType": "HmacSHA512"})
    # THEN it is exactly the PHP urlencode string
    assert data == EXPECTED_HASH_DATA


def test_signature_is_lowercase_hmac_sha512_of_that_string():
    signature = sign(REQUEST, SECRET)
    assert signature == expected_signature(EXPECTED_HASH_DATA)
    assert len(signature) == 128 and signature == signature.lower()


def test_php_urlencode_details():
    assert php_urlencode("a b") == "a+b"
    assert php_urlencode("~") == "%7E"
    assert php_urlencode("-_.") == "-_."
    assert php_urlencode("đ") == "%C4%91"
    assert php_urlencode("/:?&=+") == "%2F%3A%3F%26%3D%2B"


def test_payment_url_carries_the_signed_string_as_its_query():
    # GIVEN a payment of 10.000 đồng created at 10:00 Vietnam time
    created = dt.datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ)
    payment = SimpleNamespace(
        amount=10000,
        txn_ref="260302ABC123",
        created_at=created.astimezone(dt.UTC),
        expires_at=(created + dt.timedelta(minutes=15)).astimezone(dt.UTC),
        order_info=ORDER_INFO,
    )
    # WHEN the URL is built
    url = gateway().build_payment_url(
        payment, return_url="http://127.0.0.1:8000/payments/return", client_ip="203.113.0.5"
    )
    # THEN the query is the hand-written string plus vnp_SecureHash, dates in Vietnam time, amount x100
    base, query = url.split("?", 1)
    assert base == "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
    assert query == f"{EXPECTED_HASH_DATA}&vnp_SecureHash={expected_signature(EXPECTED_HASH_DATA)}"


def _signed_callback(**overrides) -> dict[str, str]:
    params = {
        "vnp_Amount": "1000000",
        "vnp_BankCode": "NCB",
        "vnp_BankTranNo": "VNP14422574",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": ORDER_INFO,
        "vnp_PayDate": "20260302100532",
        "vnp_ResponseCode": "00",
        "vnp_TmnCode": "EGOVTEST",
        "vnp_TransactionNo": "14422574",
        "vnp_TransactionStatus": "00",
        "vnp_TxnRef": "260302ABC123",
        **overrides,
    }
    params["vnp_SecureHash"] = sign(params, SECRET)
    return params


def test_verify_callback_reads_a_valid_success():
    result = gateway().verify_callback(_signed_callback())
    assert result.signature_valid and result.succeeded
    assert result.amount == 10000 and result.txn_ref == "260302ABC123"
    assert result.paid_at == dt.datetime(2026, 3, 2, 10, 5, 32, tzinfo=LOCAL_TZ)
    assert result.transaction_no == "14422574" and result.bank_code == "NCB"


def test_verify_callback_after_a_round_trip_through_a_query_string():
    # GIVEN the callback as the browser/IPN carries it (standard URL encoding), decoded by the server
    from urllib.parse import urlencode

    decoded = dict(parse_qsl(urlsplit("http://x/?" + urlencode(_signed_callback())).query))
    # THEN the signature still holds
    assert gateway().verify_callback(decoded).signature_valid


def test_verify_callback_accepts_an_uppercase_hash_and_ignores_the_hash_type():
    params = _signed_callback()
    params["vnp_SecureHash"] = params["vnp_SecureHash"].upper()
    params["vnp_SecureHashType"] = "HmacSHA512"
    assert gateway().verify_callback(params).signature_valid


def test_verify_callback_rejects_tampering_missing_hash_and_another_terminal():
    tampered = _signed_callback()
    tampered["vnp_Amount"] = "100"
    assert not gateway().verify_callback(tampered).signature_valid
    missing = _signed_callback()
    del missing["vnp_SecureHash"]
    assert not gateway().verify_callback(missing).signature_valid
    assert not gateway().verify_callback(_signed_callback(vnp_TmnCode="OTHER001")).signature_valid


def test_outcomes_of_the_response_codes():
    g = gateway()
    cancel = g.verify_callback(_signed_callback(vnp_ResponseCode="24", vnp_TransactionStatus="02"))
    assert cancel.outcome == "cancelled" and cancel.message == "Khách hàng hủy giao dịch."
    poor = g.verify_callback(_signed_callback(vnp_ResponseCode="51", vnp_TransactionStatus="02"))
    assert poor.outcome == "failed" and "không đủ số dư" in poor.message
    # "00" alone is not enough: the transaction status must be "00" too (§9.3)
    half = g.verify_callback(_signed_callback(vnp_TransactionStatus="01"))
    assert half.outcome == "failed" and not half.succeeded
    unknown = g.verify_callback(_signed_callback(vnp_ResponseCode="42", vnp_TransactionStatus="02"))
    assert unknown.outcome == "failed" and "42" in unknown.message


def test_every_documented_response_code_has_a_vietnamese_message():
    from egov.payments.adapters.vnpay import RESPONSE_MESSAGES

    documented = {"00", "07", "09", "10", "11", "12", "13", "24", "51", "65", "75", "79", "99"}
    assert set(RESPONSE_MESSAGES) == documented
    assert all(str(m).strip() for m in RESPONSE_MESSAGES.values())


def test_amount_that_is_not_whole_dong_cannot_match():
    assert gateway().verify_callback(_signed_callback(vnp_Amount="1000050")).amount is None


def test_vnpay_gateway_implements_the_interface():
    assert isinstance(gateway(), PaymentGateway)
