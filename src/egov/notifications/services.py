"""Queue notifications inside the caller's transaction (nothing lost, nothing sent for a rollback)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from .models import Notification, OutboundEmail


def notify_users(
    *, users: Iterable, event: str, key: str, title: str, body: str = "", url: str = ""
) -> list[Notification]:
    """In-app notification (and an e-mail copy where the user has an address) for each user, once per ``key``."""
    created: list[Notification] = []
    for user in {u.pk: u for u in users if u is not None}.values():
        dedupe = f"{key}:u{user.pk}"[:200]
        notification, is_new = Notification.objects.get_or_create(
            dedupe_key=dedupe,
            defaults={"recipient": user, "event": event, "title": title, "body": body, "url": url},
        )
        if is_new:
            created.append(notification)
            if user.email:
                email_queue(to=user.email, subject=title, body=_with_link(body, url), key=dedupe)
    return created


def email_queue(*, to: str, subject: str, body: str, key: str) -> OutboundEmail | None:
    """Write the e-mail row and enqueue its delivery task, both in the current transaction."""
    from .tasks import deliver_email

    if not to:
        return None
    try:
        with transaction.atomic():
            message = OutboundEmail.objects.create(
                to=to, subject=subject[:255], body=body, dedupe_key=key[:200]
            )
    except IntegrityError:
        return None  # the same event already queued this message
    deliver_email.enqueue(message_id=message.pk)
    return message


def _with_link(body: str, url: str) -> str:
    if not url:
        return body
    from django.conf import settings

    return f"{body}\n\n{settings.EGOV_PUBLIC_URL}{url}"
