"""In-app notifications; e-mail copies are sent by a task that marks the row, so retries never send twice."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người nhận"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    event = models.CharField(_("sự kiện"), max_length=50)
    title = models.CharField(_("tiêu đề"), max_length=255)
    body = models.TextField(_("nội dung"), blank=True)
    url = models.CharField(_("đường dẫn"), max_length=255, blank=True)
    dedupe_key = models.CharField(_("khóa chống trùng"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("thời điểm"), auto_now_add=True)
    read_at = models.DateTimeField(_("đã đọc"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("đã gửi thư"), null=True, blank=True)

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title


class OutboundEmail(models.Model):
    """An e-mail to send, written in the same transaction as the change that causes it.

    The delivery task sends it only while ``sent_at`` is empty and marks it, so a retried task does
    not send twice; ``dedupe_key`` stops the same event from queueing two messages.
    """

    to = models.EmailField(_("người nhận"))
    subject = models.CharField(_("tiêu đề"), max_length=255)
    body = models.TextField(_("nội dung"))
    dedupe_key = models.CharField(_("khóa chống trùng"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("thời điểm"), auto_now_add=True)
    sent_at = models.DateTimeField(_("đã gửi"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("số lần gửi"), default=0)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)

    class Meta:
        verbose_name = _("thư điện tử gửi đi")
        verbose_name_plural = _("thư điện tử gửi đi")

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class OutboundSms(models.Model):
    """A text message to send, queued like ``OutboundEmail`` (same transaction, sent once)."""

    to = models.CharField(_("số điện thoại"), max_length=20)
    body = models.CharField(_("nội dung"), max_length=480)
    dedupe_key = models.CharField(_("khóa chống trùng"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("thời điểm"), auto_now_add=True)
    sent_at = models.DateTimeField(_("đã gửi"), null=True, blank=True)
    provider_id = models.CharField(_("mã nhà mạng"), max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(_("số lần gửi"), default=0)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)

    class Meta:
        verbose_name = _("tin nhắn SMS gửi đi")
        verbose_name_plural = _("tin nhắn SMS gửi đi")

    def __str__(self) -> str:
        return f"{self.to}: {self.body[:40]}"
