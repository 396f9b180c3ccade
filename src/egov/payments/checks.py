"""System checks of the payments app (``manage.py check --deploy``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register

from . import conf


@register(Tags.security, deploy=True)
def simulator_outside_development(app_configs, **kwargs):
    """The simulator signs "paid" callbacks with the merchant secret: in a deployment anyone could use it
    to mark a fee paid without paying."""
    if conf.simulator_enabled() and not (settings.DEBUG or getattr(settings, "TESTING", False)):
        return [
            Warning(
                "The payment simulator is enabled (EGOV_PAYMENT_SIMULATOR=1): anyone can mark a fee paid "
                "without paying.",
                hint="Unset EGOV_PAYMENT_SIMULATOR outside a demonstration.",
                id="payments.W001",
            )
        ]
    return []
