"""Delivery tasks. A task loads an id and calls the code that does the work (HackSoft style)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from .models import OutboundEmail, OutboundSms


@task(queue_name="notifications")
def deliver_email(*, message_id: int) -> bool:
    """Send one queued e-mail. Idempotent: a message already marked sent is not sent again."""
    error: Exception | None = None
    with transaction.atomic():
        message = (
            OutboundEmail.objects.select_for_update().filter(pk=message_id, sent_at__isnull=True).first()
        )
        if message is None:
            return False
        message.attempts += 1
        try:
            send_mail(
                message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.to], fail_silently=False
            )
        except (
            Exception
        ) as exc:  # the SMTP server's answer is recorded, then the task fails and may be retried
            error = exc
            message.last_error = str(exc)[:2000]
            message.save(update_fields=["attempts", "last_error"])
        else:
            message.sent_at = timezone.now()
            message.save(update_fields=["attempts", "sent_at"])
    if error is not None:
        raise error
    return True


@task(queue_name="notifications")
def deliver_sms(*, message_id: int) -> bool:
    """Send one queued SMS through the configured backend, once."""
    from .adapters.sms import get_backend

    error: Exception | None = None
    with transaction.atomic():
        message = OutboundSms.objects.select_for_update().filter(pk=message_id, sent_at__isnull=True).first()
        if message is None:
            return False
        message.attempts += 1
        try:
            message.provider_id = get_backend().send(to=message.to, body=message.body)[:100]
        except Exception as exc:  # recorded, then the task fails and may be retried
            error = exc
            message.last_error = str(exc)[:2000]
            message.save(update_fields=["attempts", "last_error"])
        else:
            message.sent_at = timezone.now()
            message.save(update_fields=["attempts", "sent_at", "provider_id"])
    if error is not None:
        raise error
    return True


@task(queue_name="notifications")
def deliver_messages(*, email_ids: list[int], sms_ids: list[int]) -> int:
    """Send several queued messages (a citizen's e-mail and SMS about one event). Each is sent once
    (``deliver_email``/``deliver_sms`` skip a message already sent), so a retry after a partial failure
    sends only what is left; the first failure is raised after every message has been tried."""
    sent = 0
    errors: list[Exception] = []
    for send, ids in ((deliver_email, email_ids), (deliver_sms, sms_ids)):
        for message_id in ids:
            try:
                sent += bool(send.call(message_id=message_id))
            except Exception as exc:  # recorded on the message by deliver_*; the others still go out
                errors.append(exc)
    if errors:
        raise errors[0]
    return sent
