from django.db import models
from django.utils.translation import gettext_lazy as _


class DossierStatus(models.TextChoices):
    """Dossier lifecycle (Decree 61/2018 arts. 17-19; kept as data so Decree 118/2025 changes stay local)."""

    SUBMITTED = "submitted", _("Đã nộp, chờ tiếp nhận")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Yêu cầu bổ sung hồ sơ")
    REFUSED = "refused", _("Từ chối tiếp nhận")
    PROCESSING = "processing", _("Đang giải quyết")
    CONSULTING = "consulting", _("Chờ ý kiến cơ quan phối hợp")
    APPROVED = "approved", _("Đã phê duyệt")
    DENIED = "denied", _("Không giải quyết")
    RESULT_READY = "result_ready", _("Có kết quả, chờ trả")
    RETURNED = "returned", _("Đã trả kết quả")
    WITHDRAWN = "withdrawn", _("Đã rút hồ sơ")


class DossierAction(models.TextChoices):
    """Every action that writes a ``DossierEvent``."""

    SUBMIT = "submit", _("Nộp hồ sơ trực tuyến")
    RECEIVE = "receive", _("Tiếp nhận hồ sơ")
    REQUEST_SUPPLEMENT = "request_supplement", _("Yêu cầu bổ sung")
    SUPPLEMENT = "supplement", _("Bổ sung hồ sơ")
    REFUSE = "refuse", _("Từ chối tiếp nhận")
    ASSIGN = "assign", _("Phân công")
    COMPLETE_STEP = "complete_step", _("Chuyển bước")
    CONSULT = "consult", _("Xin ý kiến")
    ANSWER_CONSULTATION = "answer_consultation", _("Trả lời xin ý kiến")
    APPROVE = "approve", _("Phê duyệt")
    DENY = "deny", _("Không giải quyết")
    RESULT_READY = "result_ready", _("Có kết quả")
    RETURN = "return", _("Trả kết quả")
    APOLOGIZE = "apologize", _("Xin lỗi, hẹn lại ngày trả")
    WITHDRAW = "withdraw", _("Rút hồ sơ")
    OVERDUE = "overdue", _("Quá hạn")
    PAY = "pay", _("Nộp phí, lệ phí")


class Channel(models.TextChoices):
    ONLINE = "online", _("Trực tuyến")
    COUNTER = "counter", _("Trực tiếp")
    ASSISTED = "assisted", _("Hỗ trợ tại quầy")
    POST = "post", _("Bưu chính")


class ReturnMethod(models.TextChoices):
    COUNTER = "counter", _("Tại Bộ phận Một cửa")
    POST = "post", _("Qua dịch vụ bưu chính")
    ONLINE = "online", _("Trực tuyến")


class DocumentOrigin(models.TextChoices):
    UPLOAD = "upload", _("Tải lên")
    PAPER = "paper", _("Bản giấy")
    VAULT = "vault", _("Kho dữ liệu")
    REGISTRY = "registry", _("Cơ sở dữ liệu")
    RESULT = "result", _("Kết quả giải quyết")


class Timeliness(models.TextChoices):
    EARLY = "early", _("Trước hạn")
    ON_TIME = "on_time", _("Đúng hạn")
    LATE = "late", _("Trễ hạn")
