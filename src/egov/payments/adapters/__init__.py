"""Payment gateways behind one interface (``base.PaymentGateway``)."""

from __future__ import annotations

from .base import CallbackResult, PaymentGateway
from .vnpay import VNPayGateway

__all__ = ["CallbackResult", "PaymentGateway", "VNPayGateway", "get_gateway"]


def get_gateway(name: str = "vnpay") -> PaymentGateway:
    """The configured gateway called ``name`` (VNPay is the only one until PayGov's API is published)."""
    if name == VNPayGateway.name:
        return VNPayGateway.from_settings()
    raise LookupError(f"unknown payment gateway {name!r}")
