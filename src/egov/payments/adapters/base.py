"""The payment gateway interface the services depend on; VNPay (and fakes in tests) implement it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from egov.payments.models import Payment


@dataclass(frozen=True)
class CallbackResult:
    """What a gateway callback (IPN or return) says, once its signature has been checked.

    ``amount`` is in whole VND, or None when the callback's amount is missing or not a whole number of
    đồng (which can only mismatch). ``outcome`` is the payment status the callback asks for:
    ``paid``, ``cancelled`` or ``failed``.
    """

    signature_valid: bool
    txn_ref: str
    amount: int | None
    response_code: str
    transaction_status: str
    outcome: str
    message: str
    transaction_no: str = ""
    bank_code: str = ""
    bank_transaction_no: str = ""
    card_type: str = ""
    paid_at: dt.datetime | None = None
    params: dict[str, str] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.signature_valid and self.outcome == "paid"


@runtime_checkable
class PaymentGateway(Protocol):
    """A payment intermediary reached by redirecting the citizen and confirmed by a signed callback."""

    name: str

    def build_payment_url(
        self, payment: Payment, *, return_url: str, client_ip: str, locale: str = "vn"
    ) -> str:
        """The signed URL of the gateway's pay page for ``payment``."""
        ...

    def verify_callback(self, params: Mapping[str, str]) -> CallbackResult:
        """Check the signature of a callback and read its reference, amount and result codes."""
        ...

    def response_message(self, code: str) -> str:
        """The meaning of a gateway result code, in Vietnamese, for people."""
        ...
