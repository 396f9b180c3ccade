"""Choices of the exchange (liên thông văn bản, edXML QCVN 102:2016)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageDirection(models.TextChoices):
    """The outbox (messages we send) and the inbox (messages we receive) are one table."""

    OUT = "out", _("Gửi đi")
    IN = "in", _("Nhận về")


class MessageKind(models.TextChoices):
    """edXML carries documents (ElectronicDocument) and status messages (StatusDocument), §4.4."""

    DOCUMENT = "document", _("Gói tin văn bản")
    STATUS = "status", _("Gói tin trạng thái")


class MessageState(models.TextChoices):
    """Outbox: queued -> sending -> sent -> acknowledged, or failed; inbox: received -> registered, or rejected."""

    QUEUED = "queued", _("Chờ gửi")
    SENDING = "sending", _("Đang gửi")
    SENT = "sent", _("Đã gửi")
    ACKNOWLEDGED = "acknowledged", _("Bên nhận đã xác nhận")
    FAILED = "failed", _("Gửi thất bại")
    RECEIVED = "received", _("Đã nhận")
    REGISTERED = "registered", _("Đã xử lý, vào sổ")
    REJECTED = "rejected", _("Từ chối tiếp nhận")


OUTBOX_STATES = (
    MessageState.QUEUED,
    MessageState.SENDING,
    MessageState.SENT,
    MessageState.ACKNOWLEDGED,
    MessageState.FAILED,
)
INBOX_STATES = (MessageState.RECEIVED, MessageState.REGISTERED, MessageState.REJECTED)


class BusinessDocType(models.IntegerChoices):
    """Bussiness/BussinessDocType (2.2.1): what the message does to the document."""

    NEW = 0, _("Văn bản mới")
    REVOKE = 1, _("Thu hồi")
    UPDATE = 2, _("Cập nhật")
    REPLACE = 3, _("Thay thế")


class StatusCode(models.TextChoices):
    """Status codes of QCVN 102:2016 status messages (reference §4.3 [S]); 07-12 and 14 were not seen."""

    DELIVERED = "01", _("Đã đến")
    REJECTED = "02", _("Từ chối tiếp nhận")
    ACCEPTED = "03", _("Đã tiếp nhận")
    ASSIGNED = "04", _("Phân công")
    IN_PROGRESS = "05", _("Đang xử lý")
    COMPLETED = "06", _("Hoàn thành")
    RECALL_REQUESTED = "13", _("Lấy lại")
    AGREED = "15", _("Đồng ý cập nhật, lấy lại, thu hồi")
    REFUSED = "16", _("Từ chối cập nhật, lấy lại, thu hồi")


class StatusDirection(models.TextChoices):
    SENT = "sent", _("Đã báo cho bên gửi")
    RECEIVED = "received", _("Bên nhận báo về")
