"""SMS adapters. A carrier's API (Viettel, VNPT, MobiFone brandname SMS) plugs in behind ``SmsBackend``;
the development backend writes each message to the log so nothing leaves the machine."""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("egov.sms")


class SmsBackend(Protocol):
    def send(self, *, to: str, body: str) -> str:
        """Send one message and return the carrier's message id; raise on failure (the task retries)."""


class LogSmsBackend:
    """Development and tests: the message goes to the ``egov.sms`` logger and to ``outbox``."""

    outbox: list[tuple[str, str]] = []

    def send(self, *, to: str, body: str) -> str:
        logger.info("SMS to %s: %s", to, body)
        LogSmsBackend.outbox.append((to, body))
        return f"log-{len(LogSmsBackend.outbox)}"


def get_backend() -> SmsBackend:
    return import_string(settings.EGOV_SMS_BACKEND)()
