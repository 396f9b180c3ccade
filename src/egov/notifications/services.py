"""Queue notifications inside the caller's transaction (nothing lost, nothing sent for a rollback).

Every row carries a ``dedupe_key`` with a unique index and is written with ``ON CONFLICT DO NOTHING``,
so a retried transaction or task never notifies twice.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import connection

from egov.core.compiled import insert

from .models import Notification, OutboundEmail, OutboundSms


def notify_users(
    *, users: Iterable, event: str, key: str, title: str, body: str = "", url: str = "", email: bool = True
) -> None:
    """In-app notification for each user, once per ``key``; with ``email``, a copy to each user's address.

    Pool notices (a step waiting for anyone holding a role) pass ``email=False``: they show in the
    officers' worklists and in-app; a personal assignment also goes by e-mail.
    """
    recipients = {u.pk: u for u in users if u is not None}.values()
    rows = [
        Notification(
            recipient=user,
            event=event,
            title=title[:255],
            body=body,
            url=url,
            dedupe_key=f"{key}:u{user.pk}"[:200],
        )
        for user in recipients
    ]
    if not rows:
        return
    insert(rows, ignore_conflicts=True)
    if email:
        for user in recipients:
            if user.email:
                email_queue(to=user.email, subject=title, body=_with_link(body, url), key=f"{key}:u{user.pk}")


_EMAIL_TABLE = OutboundEmail._meta.db_table
_EMAIL_INSERT = (
    f'INSERT INTO {_EMAIL_TABLE} ("to", subject, body, dedupe_key, created_at, attempts, last_error) '  # noqa: S608
    "VALUES (%s, %s, %s, %s, %s, 0, '') ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
)


def _email_row(*, to: str, subject: str, body: str, key: str) -> tuple[str, list]:
    from django.utils import timezone

    return _EMAIL_INSERT, [to, subject[:255], body, key[:200], timezone.now()]


def _insert_ids(statements: list[tuple[str, list]]) -> list[int | None]:
    """Run ``INSERT ... RETURNING id`` statements in the current transaction and return each new id, or
    None for a row not written (its ``dedupe_key`` was queued before). On PostgreSQL several go in one
    round trip, each in its own ``WITH`` part (each runs exactly once); elsewhere one after the other."""
    with connection.cursor() as cursor:
        if len(statements) > 1 and connection.vendor == "postgresql":
            parts = ", ".join(f"q{i} AS ({sql})" for i, (sql, _params) in enumerate(statements))
            ids = ", ".join(f"(SELECT id FROM q{i})" for i in range(len(statements)))  # noqa: S608 - our statements
            cursor.execute(f"WITH {parts} SELECT {ids}", [p for _sql, params in statements for p in params])
            return list(cursor.fetchone())
        out: list[int | None] = []
        for sql, params in statements:
            cursor.execute(sql, params)
            row = cursor.fetchone()
            out.append(row[0] if row else None)
        return out


def email_queue(*, to: str, subject: str, body: str, key: str, enqueue: bool = True) -> int | None:
    """Write the e-mail row and enqueue its delivery task, both in the current transaction.

    Returns the message id, or None when the same ``key`` was queued before (nothing new is sent).
    ``enqueue=False``: the caller enqueues one task for several messages (``deliver_messages``).
    """
    from .tasks import deliver_email

    if not to:
        return None
    message_id = _insert_ids([_email_row(to=to, subject=subject, body=body, key=key)])[0]
    if message_id is not None and enqueue:
        deliver_email.enqueue(message_id=message_id)
    return message_id


def _with_link(body: str, url: str) -> str:
    if not url:
        return body
    return f"{body}\n\n{settings.EGOV_PUBLIC_URL}{url}"


def notifications_mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications (all, or ``ids``) as read; another user's rows are never touched."""
    from django.utils import timezone

    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


_SMS_TABLE = OutboundSms._meta.db_table


_SMS_INSERT = (
    f'INSERT INTO {_SMS_TABLE} ("to", body, dedupe_key, created_at, provider_id, attempts, last_error) '  # noqa: S608
    "VALUES (%s, %s, %s, %s, '', 0, '') ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
)


def _sms_row(*, to: str, body: str, key: str) -> tuple[str, list] | None:
    """The statement of a text message, or None for a number too short to be a phone number."""
    from django.utils import timezone

    to = "".join(ch for ch in (to or "") if ch.isdigit() or ch == "+")
    if len(to) < 9:
        return None
    return _SMS_INSERT, [to[:20], body[:480], key[:200], timezone.now()]


def sms_queue(*, to: str, body: str, key: str, enqueue: bool = True) -> int | None:
    """Queue a text message in the current transaction; None when ``key`` was queued before."""
    from .tasks import deliver_sms

    row = _sms_row(to=to, body=body, key=key)
    if row is None:
        return None
    message_id = _insert_ids([row])[0]
    if message_id is not None and enqueue:
        deliver_sms.enqueue(message_id=message_id)
    return message_id


def render_event(event: str, context: dict) -> tuple[str, str, str]:
    """Subject, e-mail body and SMS text of ``event`` from ``notifications/events/<event>_*.txt``.

    Each event has its own Vietnamese templates an administrator can override in a template directory;
    ``generic_*`` serves events without their own.
    """
    from django.template import TemplateDoesNotExist
    from django.template.loader import render_to_string

    def one(part: str) -> str:
        try:
            text = render_to_string(f"notifications/events/{event}_{part}.txt", context)
        except TemplateDoesNotExist:
            text = render_to_string(f"notifications/events/generic_{part}.txt", context)
        return text.strip()

    return one("subject"), one("body"), one("sms")


def notify_citizen(
    *, event: str, key: str, context: dict, user=None, email: str = "", phone: str = "", url: str = ""
) -> None:
    """Tell an applicant about ``event`` on every channel they have: in-app, e-mail and SMS, once per ``key``."""
    subject, body, sms = render_event(event, context)
    if user is not None:
        notify_users(users=[user], event=event, key=key, title=subject, body=body, url=url, email=False)
        email = email or user.email
    from .tasks import deliver_messages

    # Both messages in one statement and one delivery task for both: the notice is written with the
    # change that causes it (one transaction), and a reception pays for one round trip and one queued
    # task instead of two each.
    rows = {}
    if email:
        rows["email"] = _email_row(to=email, subject=subject, body=_with_link(body, url), key=f"{key}:email")
    sms_row = _sms_row(to=phone, body=sms, key=f"{key}:sms") if phone else None
    if sms_row is not None:
        rows["sms"] = sms_row
    ids = dict(zip(rows, _insert_ids(list(rows.values())), strict=True)) if rows else {}
    email_id, sms_id = ids.get("email"), ids.get("sms")
    if email_id is not None or sms_id is not None:
        deliver_messages.enqueue(email_ids=[email_id] if email_id else [], sms_ids=[sms_id] if sms_id else [])
