"""Settings of the payments app, read with safe defaults.

``EGOV_VNPAY_TMN_CODE``, ``EGOV_VNPAY_HASH_SECRET`` and ``EGOV_VNPAY_URL`` come from the environment
(through ``settings``, or straight from the environment while settings.py does not name them). Only
with ``DEBUG`` or ``TESTING`` on do they default to publicly known values that point at the built-in
simulator; a deployment that forgets them gets a clear message instead of payments signed with a
known secret. An operator who turns the simulator on for a demonstration (``EGOV_PAYMENT_SIMULATOR=1``)
gets the same defaults.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

GATEWAY_NAME = "vnpay"
DEV_TMN_CODE = "EGOVSIM1"
DEV_HASH_SECRET = "EGOVDEVONLYNOTASECRETSIMULATOR01"
SIMULATOR_PATH = "/payments/simulator/paymentv2/vpcpay.html"
DEFAULT_EXPIRE_MINUTES = 15


def _development() -> bool:
    return bool(settings.DEBUG or getattr(settings, "TESTING", False))


def _setting(name: str) -> str:
    value = getattr(settings, name, None)
    if value in (None, ""):
        value = os.environ.get(name, "")
    return str(value).strip()


def _env_bool(name: str) -> bool:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, "")
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _required(name: str, dev_default: str) -> str:
    value = _setting(name)
    if value:
        return value
    # With the simulator on, nothing real can be paid anyway: its known defaults are the right ones.
    if simulator_enabled():
        return dev_default
    raise ImproperlyConfigured(
        f"{name} must be set for online payment (VNPay merchant settings); "
        "EGOV_DEBUG=1 or EGOV_PAYMENT_SIMULATOR=1 uses the built-in simulator instead."
    )


def vnpay_tmn_code() -> str:
    return _required("EGOV_VNPAY_TMN_CODE", DEV_TMN_CODE)


def vnpay_hash_secret() -> str:
    return _required("EGOV_VNPAY_HASH_SECRET", DEV_HASH_SECRET)


def vnpay_url() -> str:
    """The pay page. In development a path on this site (the simulator), so any host and port work."""
    return _required("EGOV_VNPAY_URL", SIMULATOR_PATH)


def expire_minutes() -> int:
    return int(_setting("EGOV_PAYMENT_EXPIRE_MINUTES") or DEFAULT_EXPIRE_MINUTES)


def simulator_enabled() -> bool:
    """The simulator signs callbacks with the merchant secret, so it would let anyone "pay" for free:
    only in development and tests, or where an operator turns it on explicitly (a demo)."""
    return _development() or _env_bool("EGOV_PAYMENT_SIMULATOR")


def public_url() -> str:
    return str(getattr(settings, "EGOV_PUBLIC_URL", "http://127.0.0.1:8000")).rstrip("/")


def return_url() -> str:
    """Where the gateway sends the citizen's browser back (vnp_ReturnUrl)."""
    return public_url() + reverse("payments:return")


def simulator_ipn_url() -> str:
    """The IPN URL the simulator calls, as the merchant registers it with VNPay. Tests point it at the
    live server through ``EGOV_PAYMENT_SIMULATOR_IPN_URL`` (or ``EGOV_PUBLIC_URL``)."""
    return _setting("EGOV_PAYMENT_SIMULATOR_IPN_URL") or public_url() + reverse("payments:ipn")
