"""A local VNPay 2.1.0 simulator for development and tests (DESIGN.md: a local simulator).

It speaks the protocol over HTTP as the sandbox does: the pay page checks the request's signature and
shows the amount and order; the citizen picks an outcome; the simulator calls the merchant's IPN URL
server-to-server (GET, signed callback) and then sends the browser to vnp_ReturnUrl with the same
parameters. It signs with the merchant's own secret, so it would let anyone pay for nothing: it answers
404 unless ``DEBUG``, ``TESTING`` or ``EGOV_PAYMENT_SIMULATOR`` is on (``conf.simulator_enabled``).
"""

from __future__ import annotations

import json
import logging
import secrets
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlsplit

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import conf
from .adapters.vnpay import VERSION, VNPayGateway, format_time, parse_time
from .amounts import format_vnd, vnd_in_words

logger = logging.getLogger(__name__)

# The outcomes the page offers: button -> (vnp_ResponseCode, vnp_TransactionStatus).
CHOICES = {
    "success": ("00", "00"),
    "cancel": ("24", "02"),
    "insufficient": ("51", "02"),
    "timeout": ("11", "02"),
}
IPN_TIMEOUT_SECONDS = 10


def _check_request(gateway: VNPayGateway, params: dict[str, str]) -> str | None:
    """Why the pay request is refused (as the sandbox's error page says it), or None."""
    if not gateway.signature_valid(params):
        return _("Sai chữ ký (mã 97): dữ liệu thanh toán không toàn vẹn.")
    if params.get("vnp_TmnCode") != gateway.tmn_code:
        return _("Mã website (vnp_TmnCode) không đúng.")
    if params.get("vnp_Version") != VERSION or params.get("vnp_Command") != "pay":
        return _("Phiên bản hoặc lệnh thanh toán không được hỗ trợ.")
    if params.get("vnp_CurrCode") != "VND":
        return _("Chỉ hỗ trợ thanh toán bằng đồng Việt Nam (VND).")
    amount = params.get("vnp_Amount", "")
    if not amount.isdigit() or int(amount) <= 0 or int(amount) % 100:
        return _("Số tiền không hợp lệ.")
    if not params.get("vnp_TxnRef") or not params.get("vnp_ReturnUrl"):
        return _("Thiếu mã giao dịch hoặc địa chỉ trả về.")
    if urlsplit(params["vnp_ReturnUrl"]).scheme not in ("http", "https"):
        return _("Địa chỉ trả về không hợp lệ.")
    return None


def _callback(gateway: VNPayGateway, params: dict[str, str], choice: str) -> dict[str, str]:
    code, status = CHOICES[choice]
    success = choice == "success"
    callback = {
        "vnp_Amount": params["vnp_Amount"],
        "vnp_BankCode": params.get("vnp_BankCode") or "NCB",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": params.get("vnp_OrderInfo", ""),
        "vnp_PayDate": format_time(timezone.now()),
        "vnp_ResponseCode": code,
        "vnp_TmnCode": params["vnp_TmnCode"],
        # VNPay numbers every transaction it saw; an abandoned one carries 0.
        "vnp_TransactionNo": str(secrets.randbelow(90_000_000) + 10_000_000) if success else "0",
        "vnp_TransactionStatus": status,
        "vnp_TxnRef": params["vnp_TxnRef"],
    }
    if success:
        callback["vnp_BankTranNo"] = f"VNP{secrets.randbelow(90_000_000) + 10_000_000}"
    callback["vnp_SecureHash"] = gateway.sign(callback)
    return callback


def call_ipn(callback: dict[str, str]) -> dict | None:
    """GET the merchant's IPN URL with the signed callback; the reply, or None if it could not be read."""
    url = conf.simulator_ipn_url()
    if urlsplit(url).scheme not in ("http", "https"):
        logger.error("simulator: IPN URL %r is not http(s)", url)
        return None
    separator = "&" if "?" in url else "?"
    # No proxy: the simulator stands for a gateway reaching our server directly.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}{separator}{urlencode(callback)}", timeout=IPN_TIMEOUT_SECONDS) as response:
            return json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        # Like the real gateway, the citizen is still sent back; the IPN would be retried later.
        logger.warning("simulator: IPN call to %s failed: %s", url, exc)
        return None


@csrf_exempt  # it stands for another site, which never holds our CSRF cookie
@never_cache
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest) -> HttpResponse:
    """``/payments/simulator/paymentv2/vpcpay.html``: the sandbox's pay page."""
    if not conf.simulator_enabled():
        raise Http404
    gateway = VNPayGateway.from_settings()
    source = request.POST if request.method == "POST" else request.GET
    params = {k: v for k, v in source.dict().items() if k.startswith("vnp_")}
    error = _check_request(gateway, params)
    expire = parse_time(params.get("vnp_ExpireDate", ""))
    expired = bool(expire and expire < timezone.now())
    if error is None and request.method == "POST":
        choice = request.POST.get("choice", "")
        # Past vnp_ExpireDate the only way out is back to the merchant with "11" (window expired).
        offered = {"timeout"} if expired else set(CHOICES) - {"timeout"}
        if choice in offered:
            callback = _callback(gateway, params, choice)
            reply = call_ipn(callback)
            logger.info("simulator: IPN %s for %s answered %s", choice, params["vnp_TxnRef"], reply)
            target = params["vnp_ReturnUrl"]
            return HttpResponseRedirect(f"{target}{'&' if '?' in target else '?'}{urlencode(callback)}")
        error = _("Lựa chọn không hợp lệ.")
    amount = int(params["vnp_Amount"]) // 100 if error is None else 0
    context = {
        "error": error,
        "params": params,
        "expired": expired,
        "amount": format_vnd(amount),
        "amount_words": vnd_in_words(amount) if amount else "",
        "order_info": params.get("vnp_OrderInfo", ""),
        "txn_ref": params.get("vnp_TxnRef", ""),
        "expire": expire,
    }
    return render(request, "payments/simulator.html", context, status=400 if error else 200)
