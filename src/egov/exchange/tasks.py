"""Background jobs of the exchange. A task loads an id and calls the service that does the work."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from . import services


@task()
def send_message(*, message_id: int) -> str:
    """Deliver one outbox message; on failure the service schedules the next attempt with back-off."""
    return services.message_send(message_id=message_id)


@task()
def register_received(*, message_id: int) -> str:
    """Register a document acknowledged on arrival (``EGOV_EXCHANGE_REGISTER_ASYNC``)."""
    return services.inbox_register(message_id=message_id)


@task()
def report_status(*, incoming_document_id: int, status_code: str, at: str = "") -> int | None:
    """Build, sign and queue the status message telling a sender what became of its document."""
    moment = dt.datetime.fromisoformat(at) if at else None
    message = services.status_report(
        incoming_document_id=incoming_document_id, status_code=status_code, at=moment
    )
    return message.pk if message is not None else None


@task()
def requeue_due() -> dict[str, int]:
    """Same as ``manage.py exchange_retry``, for deployments that schedule tasks instead of cron."""
    return {"reconciled": services.outbox_reconcile(), "requeued": services.messages_requeue_due()}
