"""Writes of the payments app: start an online payment, settle it from the gateway's IPN, take cash.

Online fees are paid through the one-stop system's payment function (Decree 61/2018 art. 22); the
gateway's server-to-server IPN decides the outcome, never the citizen's return to our site
(vn-standards §9.3). Each service runs in one transaction, locks the row it changes and writes one
``PaymentEvent``; notifications are queued in the same transaction (sent only if it commits).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from unidecode import unidecode

from egov.accounts.choices import Role
from egov.accounts.selectors import officers_with_role, user_has_role
from egov.core.calendar import LOCAL_TZ
from egov.core.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from egov.core.numbering import next_value
from egov.dossiers.choices import DossierStatus
from egov.dossiers.models import Dossier
from egov.notifications.services import notify_citizen, notify_users

from . import conf, receipts
from .adapters import PaymentGateway, get_gateway
from .adapters.base import CallbackResult
from .amounts import format_vnd, vnd_in_words
from .choices import CONFIRMED_STATUSES, Gateway, PaymentEventKind, PaymentStatus
from .models import Payment, PaymentEvent
from .selectors import dossier_is_paid
from .signals import payment_paid

logger = logging.getLogger(__name__)

# A fee can be paid while the dossier is alive; a refused, withdrawn, denied or closed dossier owes nothing.
PAYABLE_STATUSES = frozenset(
    {
        DossierStatus.SUBMITTED,
        DossierStatus.SUPPLEMENT_REQUESTED,
        DossierStatus.PROCESSING,
        DossierStatus.CONSULTING,
        DossierStatus.APPROVED,
        DossierStatus.RESULT_READY,
    }
)

# The IPN replies of VNPay 2.1.0 (vn-standards §9.3): protocol text read by the gateway, not by people.
IPN_REPLIES = {
    "00": "Confirm Success",
    "01": "Order not found",
    "02": "Order already confirmed",
    "04": "Invalid amount",
    "97": "Invalid signature",
    "99": "Unknown error",
}


def ipn_reply(code: str) -> dict[str, str]:
    return {"RspCode": code, "Message": IPN_REPLIES[code]}


# ---- helpers ---------------------------------------------------------------------------------------


def _lock_dossier(dossier: Dossier) -> Dossier:
    return (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("agency", "procedure", "applicant_user")
        .get(pk=dossier.pk)
    )


def _event(
    *,
    kind: str,
    payment: Payment | None = None,
    txn_ref: str = "",
    from_status: str = "",
    to_status: str = "",
    signature_valid: bool | None = None,
    reply_code: str = "",
    actor=None,
    client_ip: str | None = None,
    note: str = "",
    params: Mapping[str, str] | None = None,
    at: dt.datetime | None = None,
) -> PaymentEvent:
    return PaymentEvent.objects.create(
        payment=payment,
        txn_ref=(txn_ref or (payment.txn_ref if payment else ""))[:100],
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        signature_valid=signature_valid,
        reply_code=reply_code,
        actor=actor if actor is not None and actor.is_authenticated else None,
        client_ip=client_ip or None,
        note=note,
        params=dict(params or {}),
        created_at=at or timezone.now(),
    )


def _new_txn_ref(prefix: str, at: dt.datetime) -> str:
    """``<prefix><yymmdd><16 hex>``: unique without a counter, and no hint of how many payments exist."""
    return f"{prefix}{at.astimezone(LOCAL_TZ):%y%m%d}{secrets.token_hex(8).upper()}"


def _order_info(dossier: Dossier) -> str:
    """vnp_OrderInfo: Vietnamese without diacritics and without special characters, as VNPay asks."""
    text = unidecode(_("Nop phi, le phi ho so %(code)s") % {"code": dossier.code})
    return "".join(ch for ch in text if ch.isalnum() or ch in " .-")[:255]


def _configured_gateway() -> PaymentGateway:
    """The gateway, or a message a person can act on when the operator has not configured it."""
    try:
        return get_gateway(conf.GATEWAY_NAME)
    except ImproperlyConfigured:
        logger.exception("online payment is not configured")
        raise ValidationFailed(
            _("Chức năng thanh toán trực tuyến chưa sẵn sàng; vui lòng nộp phí tại Bộ phận Một cửa."),
            code="gateway_not_configured",
        ) from None


def _require_payable(dossier: Dossier) -> None:
    if int(dossier.fee or 0) <= 0:
        raise ValidationFailed(
            _("Hồ sơ %(code)s không phải nộp phí, lệ phí.") % {"code": dossier.code}, code="no_fee"
        )
    if dossier.status not in PAYABLE_STATUSES:
        raise TransitionNotAllowed(
            _("Hồ sơ %(code)s đang ở trạng thái “%(status)s”, không thể nộp phí.")
            % {"code": dossier.code, "status": dossier.get_status_display()}
        )
    if dossier_is_paid(dossier):
        raise TransitionNotAllowed(
            _("Hồ sơ %(code)s đã được thanh toán phí, lệ phí.") % {"code": dossier.code}, code="already_paid"
        )


def _issue_receipt(payment: Payment, saved_paths: list[str]) -> None:
    """Number the receipt (per collecting agency and year, never repeated) and store its PDF.

    The path is appended to ``saved_paths`` before the transaction commits, so the caller removes the
    file if the transaction rolls back.
    """
    year = payment.paid_at.astimezone(LOCAL_TZ).year
    payment.receipt_year = year
    payment.receipt_number = next_value(f"receipt:{payment.agency.code}:{year}")
    content = receipts.render_receipt(payment)
    path = default_storage.save(
        f"payments/receipts/{year}/{payment.agency.code}-{payment.receipt_label}-{payment.txn_ref}.pdf",
        ContentFile(content),
    )
    saved_paths.append(path)
    payment.receipt_file.name = path
    payment.receipt_checksum = hashlib.sha256(content).hexdigest()


def _notify_paid(payment: Payment) -> None:
    """Tell the applicant on every channel they gave (account, e-mail, SMS) and, for a dossier waiting for
    reception, the one-stop shop. Texts: ``templates/notifications/events/payment_paid_*.txt``."""
    dossier = payment.dossier
    key = f"payment:{payment.pk}:paid"
    notify_citizen(
        event="payment_paid",
        key=key,
        context={
            "code": dossier.code,
            "procedure": dossier.procedure.name,
            "agency": payment.agency.name,
            "amount": format_vnd(payment.amount),
            "amount_words": vnd_in_words(payment.amount),
            "receipt": payment.receipt_label,
            "method": receipts.method_label(payment),
            "url": conf.public_url() + reverse("payments:dossier", kwargs={"code": dossier.code}),
        },
        user=dossier.applicant_user if dossier.applicant_user_id else None,
        email=dossier.applicant_email,
        phone=dossier.applicant_phone,
        url=reverse("payments:receipt", kwargs={"txn_ref": payment.txn_ref}),
    )
    if dossier.status == DossierStatus.SUBMITTED:
        notify_users(
            users=officers_with_role(dossier.agency_id, Role.RECEPTION),
            event="payment_paid",
            key=f"{key}:reception",
            title=_("Hồ sơ %(code)s đã nộp phí, lệ phí") % {"code": dossier.code},
            body=_("Số tiền: %(amount)s đồng. Biên lai số %(number)s.")
            % {"amount": format_vnd(payment.amount), "number": payment.receipt_label},
            url=f"/one-stop/{dossier.code}/",
            email=False,
        )


def _settle_paid(payment: Payment, *, actor, saved_paths: list[str]) -> None:
    """The common end of a confirmed payment: receipt, hook for the dossier's history, notifications."""
    _issue_receipt(payment, saved_paths)
    payment_paid.send(sender=Payment, payment=payment, actor=actor)
    _notify_paid(payment)


# ---- online payment -------------------------------------------------------------------------------


@transaction.atomic
def payment_start(
    *,
    dossier: Dossier,
    actor,
    client_ip: str,
    gateway: PaymentGateway | None = None,
    locale: str = "vn",
) -> tuple[Payment, str]:
    """The applicant pays the dossier's fee online (Decree 61/2018 art. 22): a new attempt with its own
    reference, valid for 15 minutes (vnp_ExpireDate), and the signed URL of the gateway's pay page."""
    dossier = _lock_dossier(dossier)
    if actor is None or not actor.is_authenticated or dossier.applicant_user_id != actor.pk:
        raise PermissionDenied(_("Chỉ người nộp hồ sơ mới thanh toán được phí, lệ phí của hồ sơ này."))
    _require_payable(dossier)
    gateway = gateway or _configured_gateway()
    now = timezone.now()
    payment = Payment.objects.create(
        dossier=dossier,
        agency=dossier.agency,
        amount=int(dossier.fee),
        txn_ref=_new_txn_ref("", now),
        gateway=gateway.name,
        status=PaymentStatus.PENDING,
        payer_name=dossier.applicant_name,
        order_info=_order_info(dossier),
        client_ip=client_ip or None,
        created_by=actor,
        created_at=now,
        expires_at=now + dt.timedelta(minutes=conf.expire_minutes()),
    )
    url = gateway.build_payment_url(payment, return_url=conf.return_url(), client_ip=client_ip, locale=locale)
    _event(
        kind=PaymentEventKind.CREATED,
        payment=payment,
        to_status=PaymentStatus.PENDING,
        actor=actor,
        client_ip=client_ip,
        params={"url": url},
        at=now,
    )
    return payment, url


def payment_handle_ipn(
    params: Mapping[str, str], *, gateway: PaymentGateway | None = None, client_ip: str | None = None
) -> dict[str, str]:
    """The gateway's IPN (server-to-server, GET): the only call that settles an online payment.

    Answers exactly VNPay's reply (vn-standards §9.3): 97 bad signature (only the call is logged), 01
    unknown order, 04 amount differs, 02 already confirmed (a repeated IPN changes nothing), 00 once the
    result is recorded, paid (``00``/``00``) or not (24 cancelled, any other code failed), 99 when
    anything unexpected happens (nothing is kept, so the gateway's retry finds the payment unchanged).
    """
    params = {str(k): "" if v is None else str(v) for k, v in params.items()}
    saved_paths: list[str] = []
    try:
        gateway = gateway or get_gateway(conf.GATEWAY_NAME)
        result = gateway.verify_callback(params)
        if not result.signature_valid:
            return _reject_ipn(params, client_ip=client_ip)
        return _apply_ipn(result, params, client_ip=client_ip, saved_paths=saved_paths)
    except Exception:
        logger.exception("IPN %s failed", params.get("vnp_TxnRef", ""))
        for path in saved_paths:
            default_storage.delete(path)
        _log_ipn_error(params, client_ip=client_ip)
        return ipn_reply("99")


@transaction.atomic
def _reject_ipn(params: dict[str, str], *, client_ip: str | None) -> dict[str, str]:
    logger.warning("IPN with an invalid signature for %r from %s", params.get("vnp_TxnRef", ""), client_ip)
    _event(
        kind=PaymentEventKind.IPN_RECEIVED,
        txn_ref=params.get("vnp_TxnRef", ""),
        signature_valid=False,
        reply_code="97",
        client_ip=client_ip,
        note=_("Chữ ký không hợp lệ: không ghi nhận kết quả."),
        params=params,
    )
    return ipn_reply("97")


def _log_ipn_error(params: dict[str, str], *, client_ip: str | None) -> None:
    """Best effort: the failure itself may be the database."""
    try:
        with transaction.atomic():
            _event(
                kind=PaymentEventKind.IPN_RECEIVED,
                txn_ref=params.get("vnp_TxnRef", ""),
                reply_code="99",
                client_ip=client_ip,
                note=_("Lỗi khi xử lý IPN; cổng thanh toán sẽ gửi lại."),
                params=params,
            )
    except Exception:
        logger.exception("could not log the failed IPN")


@transaction.atomic
def _apply_ipn(
    result: CallbackResult, params: dict[str, str], *, client_ip: str | None, saved_paths: list[str]
) -> dict[str, str]:
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related(
            "dossier", "dossier__procedure", "dossier__applicant_user", "agency", "agency__parent"
        )
        .filter(txn_ref=result.txn_ref)
        .first()
        if result.txn_ref
        else None
    )
    common = {"kind": PaymentEventKind.IPN_RECEIVED, "signature_valid": True, "client_ip": client_ip}
    if payment is None:
        _event(
            **common,
            txn_ref=result.txn_ref,
            reply_code="01",
            note=_("Không có giao dịch này."),
            params=params,
        )
        return ipn_reply("01")
    if result.amount is None or result.amount != payment.amount:
        _event(
            **common,
            payment=payment,
            reply_code="04",
            note=_("Số tiền không khớp: cổng thanh toán báo %(got)s, giao dịch là %(want)s đồng.")
            % {"got": params.get("vnp_Amount", "?"), "want": format_vnd(payment.amount)},
            params=params,
        )
        return ipn_reply("04")
    if payment.status in CONFIRMED_STATUSES:
        _event(
            **common,
            payment=payment,
            reply_code="02",
            note=_("Giao dịch đã được xác nhận trước đó; không thay đổi."),
            params=params,
        )
        return ipn_reply("02")

    now = timezone.now()
    from_status = payment.status
    payment.status = {"paid": PaymentStatus.PAID, "cancelled": PaymentStatus.CANCELLED}.get(
        result.outcome, PaymentStatus.FAILED
    )
    payment.confirmed_at = now
    payment.response_code = result.response_code[:10]
    payment.transaction_status = result.transaction_status[:10]
    payment.response_message = result.message[:255]
    payment.gateway_transaction_no = result.transaction_no[:50]
    payment.bank_code = result.bank_code[:20]
    payment.bank_transaction_no = result.bank_transaction_no[:50]
    payment.card_type = result.card_type[:20]
    payment.ipn_params = params
    fields = [
        "status",
        "confirmed_at",
        "response_code",
        "transaction_status",
        "response_message",
        "gateway_transaction_no",
        "bank_code",
        "bank_transaction_no",
        "card_type",
        "ipn_params",
        "updated_at",
    ]
    if payment.status == PaymentStatus.PAID:
        payment.paid_at = result.paid_at or now
        _settle_paid(payment, actor=None, saved_paths=saved_paths)
        fields += ["paid_at", "receipt_year", "receipt_number", "receipt_file", "receipt_checksum"]
    payment.save(update_fields=fields)
    _event(
        **common,
        payment=payment,
        from_status=from_status,
        to_status=payment.status,
        reply_code="00",
        note=f"{result.response_code}: {result.message}",
        params=params,
        at=now,
    )
    return ipn_reply("00")


@dataclass(frozen=True)
class ReturnOutcome:
    """What the return page shows. ``payment`` is what we recorded; ``reported`` what the gateway says."""

    signature_valid: bool
    payment: Payment | None
    reported_outcome: str
    reported_message: str

    @property
    def status(self) -> str:
        return self.payment.status if self.payment else ""

    @property
    def awaiting_confirmation(self) -> bool:
        """The gateway says paid but its IPN has not reached us yet."""
        return bool(
            self.payment and self.payment.status == PaymentStatus.PENDING and self.reported_outcome == "paid"
        )


@transaction.atomic
def payment_handle_return(
    params: Mapping[str, str], *, gateway: PaymentGateway | None = None, client_ip: str | None = None
) -> ReturnOutcome:
    """The citizen's browser comes back from the gateway (vnp_ReturnUrl): show, never decide.

    Only the visit is logged; the payment changes only through the IPN (vn-standards §9.3).
    """
    params = {str(k): "" if v is None else str(v) for k, v in params.items()}
    gateway = gateway or _configured_gateway()
    result = gateway.verify_callback(params)
    payment = None
    if result.signature_valid and result.txn_ref:
        payment = (
            Payment.objects.select_related("dossier", "dossier__procedure", "agency")
            .filter(txn_ref=result.txn_ref)
            .first()
        )
    _event(
        kind=PaymentEventKind.RETURN_VISITED,
        payment=payment,
        txn_ref=result.txn_ref,
        signature_valid=result.signature_valid,
        client_ip=client_ip,
        note=f"{result.response_code}: {result.message}" if result.signature_valid else "",
        params=params,
    )
    return ReturnOutcome(
        signature_valid=result.signature_valid,
        payment=payment,
        reported_outcome=result.outcome,
        reported_message=result.message,
    )


# ---- at the counter ------------------------------------------------------------------------------


@transaction.atomic
def payment_record_cash(*, dossier: Dossier, actor, amount: int) -> Payment:
    """The reception officer takes the fee in cash at the counter and issues the receipt
    (Decree 61/2018 art. 22: payment in person)."""
    dossier = _lock_dossier(dossier)
    if (
        actor is None
        or not actor.is_authenticated
        or not user_has_role(actor, dossier.agency_id, Role.RECEPTION)
    ):
        raise PermissionDenied(_("Chỉ cán bộ một cửa của cơ quan tiếp nhận mới được thu phí, lệ phí."))
    _require_payable(dossier)
    try:
        amount = int(amount)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Số tiền không hợp lệ."), field="amount") from None
    if amount != int(dossier.fee):
        raise ValidationFailed(
            _("Số tiền thu phải đúng bằng phí, lệ phí của hồ sơ: %(fee)s đồng.")
            % {"fee": format_vnd(dossier.fee)},
            field="amount",
        )
    now = timezone.now()
    payment = Payment(
        dossier=dossier,
        agency=dossier.agency,
        amount=amount,
        txn_ref=_new_txn_ref("TM", now),
        gateway=Gateway.CASH,
        status=PaymentStatus.PAID,
        payer_name=dossier.applicant_name,
        order_info=_order_info(dossier),
        created_by=actor,
        created_at=now,
        confirmed_at=now,
        paid_at=now,
    )
    saved_paths: list[str] = []
    try:
        payment.save()
        _settle_paid(payment, actor=actor, saved_paths=saved_paths)
        payment.save(update_fields=["receipt_year", "receipt_number", "receipt_file", "receipt_checksum"])
        _event(
            kind=PaymentEventKind.CASH_RECEIVED,
            payment=payment,
            to_status=PaymentStatus.PAID,
            actor=actor,
            note=_("Thu tiền mặt %(amount)s đồng, biên lai số %(number)s.")
            % {"amount": format_vnd(amount), "number": payment.receipt_label},
            at=now,
        )
    except Exception:
        for path in saved_paths:
            default_storage.delete(path)
        raise
    return payment


# ---- housekeeping ----------------------------------------------------------------------------------


def payment_expire_stale(*, now: dt.datetime | None = None) -> int:
    """Mark pending payments whose window (vnp_ExpireDate) has closed as expired; each in its own short
    transaction. A late IPN still settles an expired payment: the bank's word outranks our clock."""
    from .selectors import stale_pending_payments

    now = now or timezone.now()
    count = 0
    for pk in stale_pending_payments(now=now).values_list("pk", flat=True).iterator():
        with transaction.atomic():
            payment = (
                Payment.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=PaymentStatus.PENDING)
                .first()
            )
            if payment is None:
                continue
            payment.status = PaymentStatus.EXPIRED
            payment.save(update_fields=["status", "updated_at"])
            _event(
                kind=PaymentEventKind.STATUS_CHANGED,
                payment=payment,
                from_status=PaymentStatus.PENDING,
                to_status=PaymentStatus.EXPIRED,
                note=_("Quá thời hạn thanh toán."),
                at=now,
            )
            count += 1
    return count
