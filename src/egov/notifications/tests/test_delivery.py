"""Notifications reach a real SMTP server on loopback, once, through the task queue."""

from __future__ import annotations

import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.test import override_settings

from egov.notifications.models import Notification, OutboundEmail
from egov.notifications.services import email_queue, notify_users
from egov.notifications.tasks import deliver_email
from egov.testing.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
        ):
            yield inbox
    finally:
        controller.stop()


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", "--interval", "0")


def test_notification_email_delivered_once(smtp):
    # GIVEN an officer notified twice about the same event (a retried transaction)
    user = UserFactory(email="chuyenvien@example.vn")
    for _ in range(2):
        notify_users(
            users=[user], event="task_assigned", key="task:1", title="Hồ sơ chờ xử lý", body="Hạn: 17:00"
        )
    # WHEN the worker runs (twice, as after a restart)
    run_worker()
    run_worker()
    # THEN one in-app notification and one e-mail, with the Vietnamese subject intact
    assert Notification.objects.filter(recipient=user).count() == 1
    assert len(smtp.messages) == 1
    recipients, content = smtp.messages[0]
    assert recipients == ["chuyenvien@example.vn"]
    message = email.message_from_bytes(content, policy=email.policy.default)
    assert message["Subject"] == "Hồ sơ chờ xử lý"
    assert "Hạn: 17:00" in message.get_content()
    assert OutboundEmail.objects.get().sent_at is not None


def test_task_retry_does_not_resend(smtp):
    message_id = email_queue(to="dan@example.vn", subject="Đã tiếp nhận", body="Mã hồ sơ X", key="k1")
    assert deliver_email.call(message_id=message_id) is True
    assert deliver_email.call(message_id=message_id) is False
    assert len(smtp.messages) == 1


def test_smtp_down_records_error_and_keeps_message_pending():
    message_id = email_queue(to="dan@example.vn", subject="S", body="B", key="k2")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    dead = override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=dead_port,
    )
    with dead, pytest.raises(OSError):
        deliver_email.call(message_id=message_id)
    message = OutboundEmail.objects.get(pk=message_id)
    assert message.sent_at is None and message.attempts == 1 and message.last_error


def test_citizen_notice_is_one_task_and_a_retry_sends_only_what_failed(smtp):
    from django_tasks_db.models import DBTaskResult

    from egov.notifications.models import OutboundSms
    from egov.notifications.services import notify_citizen

    # GIVEN a citizen notice by e-mail and SMS while the SMTP server refuses connections
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    notify_citizen(
        event="receive",
        key="dossier:1:event:1",
        context={"code": "X-1", "procedure": "Đăng ký khai sinh", "agency": "UBND", "status": "Đang xử lý"},
        email="dan@example.vn",
        phone="0912345678",
    )
    # THEN one delivery task carries both messages
    assert DBTaskResult.objects.count() == 1
    with override_settings(EMAIL_PORT=dead_port):
        run_worker()
    # AND the SMS went out although the e-mail failed
    assert OutboundSms.objects.get().sent_at is not None
    assert OutboundEmail.objects.get().sent_at is None
    # WHEN the task is retried with the server back
    from egov.notifications.tasks import deliver_messages

    email_id, sms_id = OutboundEmail.objects.get().pk, OutboundSms.objects.get().pk
    assert deliver_messages.call(email_ids=[email_id], sms_ids=[sms_id]) == 1
    # THEN only the e-mail is sent, once
    assert len(smtp.messages) == 1
    assert OutboundEmail.objects.get().sent_at is not None


def test_a_repeated_citizen_notice_queues_only_what_is_new():
    from django_tasks_db.models import DBTaskResult

    from egov.notifications.models import OutboundSms
    from egov.notifications.services import notify_citizen

    context = {"code": "X-1", "procedure": "Đăng ký khai sinh", "agency": "UBND", "status": "Đang xử lý"}
    # GIVEN a notice by e-mail only, then the same notice (same key) by e-mail and SMS
    notify_citizen(event="receive", key="dossier:1:event:1", context=context, email="dan@example.vn")
    notify_citizen(
        event="receive", key="dossier:1:event:1", context=context, email="dan@example.vn", phone="0912345678"
    )
    # THEN the e-mail is queued once, the SMS once, and the second task carries only the SMS
    email, sms = OutboundEmail.objects.get(), OutboundSms.objects.get()
    tasks = [t.args_kwargs["kwargs"] for t in DBTaskResult.objects.order_by("enqueued_at")]
    assert tasks == [{"email_ids": [email.pk], "sms_ids": []}, {"email_ids": [], "sms_ids": [sms.pk]}]
    # AND a third time nothing is queued at all
    notify_citizen(
        event="receive", key="dossier:1:event:1", context=context, email="dan@example.vn", phone="0912345678"
    )
    assert (OutboundEmail.objects.count(), OutboundSms.objects.count(), DBTaskResult.objects.count()) == (
        1,
        1,
        2,
    )
