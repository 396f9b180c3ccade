"""Choices of official documents (công văn, văn bản đi/đến): Decree 30/2020/NĐ-CP and QCVN 102:2016."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    """Văn bản đến / văn bản đi: each has its own register and number series (Decree 30/2020 arts. 15, 22)."""

    INCOMING = "incoming", _("Văn bản đến")
    OUTGOING = "outgoing", _("Văn bản đi")


class Series(models.TextChoices):
    """Classified documents are numbered in a separate series (Decree 30/2020 art. 15.2)."""

    NORMAL = "normal", _("Thường")
    SECRET = "secret", _("Mật")


class Urgency(models.TextChoices):
    """Mức độ khẩn (Decree 30/2020 Appendix I, Part I §III.2); values follow edXML Priority 0-3."""

    NORMAL = "normal", _("Thường")
    URGENT = "urgent", _("Khẩn")
    VERY_URGENT = "very_urgent", _("Thượng khẩn")
    EXPRESS = "express", _("Hỏa tốc")


URGENT_LEVELS = frozenset({Urgency.URGENT, Urgency.VERY_URGENT, Urgency.EXPRESS})
"""Handled at once, not "the same day at the latest" (Decree 30/2020 arts. 18.1, 23.1)."""


class Secrecy(models.TextChoices):
    """Độ mật (Decree 30/2020 Appendix I §III.2; Law on Protection of State Secrets 29/2018/QH14)."""

    NONE = "none", _("Không mật")
    CONFIDENTIAL = "confidential", _("Mật")
    SECRET = "secret", _("Tối mật")
    TOP_SECRET = "top_secret", _("Tuyệt mật")


SECRECY_RANK = {Secrecy.NONE: 0, Secrecy.CONFIDENTIAL: 1, Secrecy.SECRET: 2, Secrecy.TOP_SECRET: 3}
SECRET_LEVELS = frozenset({Secrecy.CONFIDENTIAL, Secrecy.SECRET, Secrecy.TOP_SECRET})


class IncomingStatus(models.TextChoices):
    """Incoming document lifecycle (Decree 30/2020 arts. 20-24)."""

    REGISTERED = "registered", _("Đã đăng ký")
    ASSIGNED = "assigned", _("Đã phân công")
    IN_PROGRESS = "in_progress", _("Đang xử lý")
    COMPLETED = "completed", _("Hoàn thành")
    RECALLED = "recalled", _("Đã thu hồi")


class OutgoingStatus(models.TextChoices):
    """Outgoing document lifecycle (Decree 30/2020 arts. 10-19)."""

    DRAFT = "draft", _("Dự thảo")
    IN_REVIEW = "in_review", _("Trình duyệt")
    APPROVED = "approved", _("Đã duyệt")
    SIGNED = "signed", _("Đã ký")
    ISSUED = "issued", _("Đã phát hành")
    RECALLED = "recalled", _("Đã thu hồi")


class IncomingSource(models.TextChoices):
    PAPER = "paper", _("Bản giấy")
    ELECTRONIC = "electronic", _("Điện tử (thư điện tử, tải lên)")
    EXCHANGE = "exchange", _("Trục liên thông văn bản")


class IncomingAction(models.TextChoices):
    """Every action that writes a ``DocumentEvent`` on an incoming document."""

    REGISTER = "register", _("Đăng ký văn bản đến")
    ASSIGN = "assign", _("Phân công xử lý")
    ADD_OPINION = "add_opinion", _("Cho ý kiến xử lý")
    COMPLETE = "complete", _("Hoàn thành xử lý")
    RECALL = "recall", _("Thu hồi (bên gửi lấy lại)")
    DUE_SOON = "due_soon", _("Sắp đến hạn xử lý")
    OVERDUE = "overdue", _("Quá hạn xử lý")


class OutgoingAction(models.TextChoices):
    """Every action that writes a ``DocumentEvent`` on an outgoing document."""

    CREATE = "create", _("Tạo dự thảo")
    ADD_VERSION = "add_version", _("Cập nhật dự thảo (phiên bản mới)")
    SUBMIT = "submit", _("Trình duyệt")
    RETURN = "return", _("Trả lại để chỉnh sửa")
    APPROVE = "approve", _("Duyệt")
    SIGN = "sign", _("Ký ban hành")
    ISSUE = "issue", _("Cấp số, phát hành")
    RECALL = "recall", _("Thu hồi")
    LINK_REPLY = "link_reply", _("Gắn văn bản đến được trả lời")


class RecipientKind(models.TextChoices):
    """Nơi nhận: a unit of our agency, another agency by its code (OrganId), or another instance."""

    INTERNAL = "internal", _("Đơn vị trong cơ quan")
    AGENCY = "agency", _("Cơ quan khác (mã định danh)")
    INSTANCE = "instance", _("Hệ thống khác (liên thông)")


class DeliveryChannel(models.TextChoices):
    ELECTRONIC = "electronic", _("Điện tử")
    PAPER = "paper", _("Bản giấy")


class VersionKind(models.TextChoices):
    ATTACHMENT = "attachment", _("Tệp văn bản đến")
    DRAFT = "draft", _("Dự thảo")
    SIGNED = "signed", _("Bản đã ký")


class OpinionKind(models.TextChoices):
    """The three opinions of the handling slip (Phiếu giải quyết văn bản đến, Decree 30/2020 Appendix IV)."""

    OPINION = "opinion", _("Ý kiến")
    PROPOSAL = "proposal", _("Đề xuất của người xử lý")
    COMPLETION = "completion", _("Kết quả xử lý")


class SecretAttempt(models.TextChoices):
    """What a refused access to a classified document tried to do."""

    VIEW = "view", _("Xem nội dung")
    DOWNLOAD = "download", _("Tải tệp")
    SEND_ELECTRONIC = "send_electronic", _("Gửi qua mạng")
    REGISTER_PRINT = "register_print", _("In, xuất sổ mật")


class ExchangeStatusCode(models.TextChoices):
    """Status messages of the exchange (QCVN 102:2016, edXML status; reference §4.3 [S])."""

    DELIVERED = "01", _("Đã đến")
    REJECTED = "02", _("Từ chối tiếp nhận")
    ACCEPTED = "03", _("Đã tiếp nhận")
    ASSIGNED = "04", _("Phân công")
    IN_PROGRESS = "05", _("Đang xử lý")
    COMPLETED = "06", _("Hoàn thành")
    RECALL_REQUESTED = "13", _("Lấy lại")
    RECALL_AGREED = "15", _("Đồng ý cập nhật, lấy lại, thu hồi")
    RECALL_REFUSED = "16", _("Từ chối cập nhật, lấy lại, thu hồi")
