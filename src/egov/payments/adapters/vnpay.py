"""VNPay merchant protocol 2.1.0 (vn-standards §9.3 [S]: public merchant integrations, not VNPay's own text).

Signing: every ``vnp_*`` parameter except ``vnp_SecureHash`` and ``vnp_SecureHashType``, keys sorted
A-Z, each pair written ``urlencode(key)=urlencode(value)`` exactly as PHP's ``urlencode`` does (space as
``+``, everything but letters, digits and ``-_.`` percent-encoded in upper-case hex, ``~`` included),
joined by ``&``; HMAC-SHA512 with the hash secret, lower-case hex. The same string is the query string
of the pay URL, so what VNPay receives is exactly what was signed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote_plus

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from egov.core.calendar import LOCAL_TZ

from .base import CallbackResult

if TYPE_CHECKING:
    from egov.payments.models import Payment

VERSION = "2.1.0"
DATE_FORMAT = "%Y%m%d%H%M%S"
HASH_KEYS = frozenset({"vnp_SecureHash", "vnp_SecureHashType"})
SUCCESS = "00"
CANCELLED = "24"

# vnp_ResponseCode (vn-standards §9.3), in the words VNPay's own result pages use.
RESPONSE_MESSAGES = {
    "00": gettext_lazy("Giao dịch thành công."),
    "07": gettext_lazy(
        "Trừ tiền thành công nhưng giao dịch bị nghi ngờ (liên quan tới lừa đảo, giao dịch bất thường)."
    ),
    "09": gettext_lazy("Thẻ/Tài khoản của khách hàng chưa đăng ký dịch vụ InternetBanking tại ngân hàng."),
    "10": gettext_lazy("Khách hàng xác thực thông tin thẻ/tài khoản không đúng quá 3 lần."),
    "11": gettext_lazy("Đã hết hạn chờ thanh toán. Xin quý khách vui lòng thực hiện lại giao dịch."),
    "12": gettext_lazy("Thẻ/Tài khoản của khách hàng bị khóa."),
    "13": gettext_lazy("Quý khách nhập sai mật khẩu xác thực giao dịch (OTP)."),
    "24": gettext_lazy("Khách hàng hủy giao dịch."),
    "51": gettext_lazy("Tài khoản của quý khách không đủ số dư để thực hiện giao dịch."),
    "65": gettext_lazy("Tài khoản của quý khách đã vượt quá hạn mức giao dịch trong ngày."),
    "75": gettext_lazy("Ngân hàng thanh toán đang bảo trì."),
    "79": gettext_lazy("Quý khách nhập sai mật khẩu thanh toán quá số lần quy định."),
    "99": gettext_lazy("Các lỗi khác."),
}

# Codes after which the bank has taken the money although the payment is not confirmed: an officer
# must look at them during reconciliation (refund or confirm with VNPay).
REVIEW_CODES = frozenset({"07"})


def php_urlencode(value: str) -> str:
    """PHP ``urlencode``: ``quote_plus`` leaves ``~`` as is (RFC 3986), PHP writes ``%7E``."""
    return quote_plus(str(value), safe="").replace("~", "%7E")


def hash_data(params: Mapping[str, str]) -> str:
    """The string that is signed: the ``vnp_*`` pairs, sorted by key, PHP-urlencoded, joined by ``&``."""
    pairs = sorted(
        (str(k), "" if v is None else str(v))
        for k, v in params.items()
        if str(k).startswith("vnp_") and k not in HASH_KEYS
    )
    return "&".join(f"{php_urlencode(k)}={php_urlencode(v)}" for k, v in pairs)


def sign(params: Mapping[str, str], secret: str) -> str:
    return hmac.new(secret.encode(), hash_data(params).encode(), hashlib.sha512).hexdigest()


def format_time(moment: dt.datetime) -> str:
    """``yyyyMMddHHmmss`` in Asia/Ho_Chi_Minh, as VNPay reads and writes every date."""
    return moment.astimezone(LOCAL_TZ).strftime(DATE_FORMAT)


def parse_time(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(value, DATE_FORMAT).replace(tzinfo=LOCAL_TZ)
    except (TypeError, ValueError):
        return None


def response_message(code: str) -> str:
    message = RESPONSE_MESSAGES.get(code)
    if message is not None:
        return str(message)
    return _("Giao dịch không thành công (mã lỗi %(code)s).") % {"code": code or "?"}


class VNPayGateway:
    """VNPay 2.1.0 behind ``PaymentGateway``. ``url`` is the pay page (sandbox, production or simulator)."""

    name = "vnpay"

    def __init__(self, *, tmn_code: str, hash_secret: str, url: str) -> None:
        self.tmn_code = tmn_code
        self.hash_secret = hash_secret
        self.url = url

    @classmethod
    def from_settings(cls) -> VNPayGateway:
        from egov.payments import conf

        return cls(tmn_code=conf.vnpay_tmn_code(), hash_secret=conf.vnpay_hash_secret(), url=conf.vnpay_url())

    # ---- signing ----------------------------------------------------------------------------
    def sign(self, params: Mapping[str, str]) -> str:
        return sign(params, self.hash_secret)

    def signed_query(self, params: Mapping[str, str]) -> str:
        """The query string that carries ``params`` and their ``vnp_SecureHash``."""
        return f"{hash_data(params)}&vnp_SecureHash={self.sign(params)}"

    def signature_valid(self, params: Mapping[str, str]) -> bool:
        received = str(params.get("vnp_SecureHash") or "").strip().lower()
        if not received or not self.hash_secret:
            return False
        return hmac.compare_digest(received.encode(), self.sign(params).encode())

    # ---- PaymentGateway -----------------------------------------------------------------------
    def request_params(
        self, payment: Payment, *, return_url: str, client_ip: str, locale: str = "vn"
    ) -> dict[str, str]:
        params = {
            "vnp_Version": VERSION,
            "vnp_Command": "pay",
            "vnp_TmnCode": self.tmn_code,
            "vnp_Amount": str(int(payment.amount) * 100),
            "vnp_CreateDate": format_time(payment.created_at),
            "vnp_CurrCode": "VND",
            "vnp_IpAddr": client_ip or "127.0.0.1",
            "vnp_Locale": locale if locale in ("vn", "en") else "vn",
            "vnp_OrderInfo": payment.order_info,
            "vnp_OrderType": "other",
            "vnp_ReturnUrl": return_url,
            "vnp_TxnRef": payment.txn_ref,
        }
        if payment.expires_at is not None:
            params["vnp_ExpireDate"] = format_time(payment.expires_at)
        return params

    def build_payment_url(
        self, payment: Payment, *, return_url: str, client_ip: str, locale: str = "vn"
    ) -> str:
        params = self.request_params(payment, return_url=return_url, client_ip=client_ip, locale=locale)
        separator = "&" if "?" in self.url else "?"
        return f"{self.url}{separator}{self.signed_query(params)}"

    def verify_callback(self, params: Mapping[str, str]) -> CallbackResult:
        params = {str(k): "" if v is None else str(v) for k, v in params.items()}
        valid = self.signature_valid(params) and params.get("vnp_TmnCode", "") == self.tmn_code
        code = params.get("vnp_ResponseCode", "")
        status = params.get("vnp_TransactionStatus", "")
        if code == SUCCESS and status == SUCCESS:
            outcome = "paid"
            message = response_message(SUCCESS)
        elif code == CANCELLED:
            outcome, message = "cancelled", response_message(code)
        else:
            outcome = "failed"
            message = (
                response_message(code)
                if code != SUCCESS
                else _("Giao dịch chưa hoàn tất (trạng thái %(status)s).") % {"status": status or "?"}
            )
        raw_amount = params.get("vnp_Amount", "")
        amount = int(raw_amount) // 100 if raw_amount.isdigit() and int(raw_amount) % 100 == 0 else None
        return CallbackResult(
            signature_valid=valid,
            txn_ref=params.get("vnp_TxnRef", ""),
            amount=amount,
            response_code=code,
            transaction_status=status,
            outcome=outcome,
            message=message,
            transaction_no=params.get("vnp_TransactionNo", ""),
            bank_code=params.get("vnp_BankCode", ""),
            bank_transaction_no=params.get("vnp_BankTranNo", ""),
            card_type=params.get("vnp_CardType", ""),
            paid_at=parse_time(params.get("vnp_PayDate", "")),
            params=params,
        )

    def response_message(self, code: str) -> str:
        return response_message(code)
