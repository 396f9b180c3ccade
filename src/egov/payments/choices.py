from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentStatus(models.TextChoices):
    """Where one payment attempt stands. Only the gateway's IPN (or the cashier) moves it out of pending."""

    PENDING = "pending", _("Chờ thanh toán")
    PAID = "paid", _("Đã thanh toán")
    FAILED = "failed", _("Thanh toán không thành công")
    CANCELLED = "cancelled", _("Đã hủy giao dịch")
    EXPIRED = "expired", _("Hết thời gian thanh toán")


# Statuses the gateway has confirmed through its IPN: a second IPN for them is answered "02" and ignored.
# ``expired`` is our own bookkeeping, not the gateway's word, so a late IPN may still settle it.
CONFIRMED_STATUSES = frozenset({PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.CANCELLED})


class Gateway(models.TextChoices):
    VNPAY = "vnpay", _("Cổng thanh toán VNPay")
    CASH = "cash", _("Tiền mặt tại Bộ phận Một cửa")


class PaymentEventKind(models.TextChoices):
    """Every kind of row in the append-only payment history."""

    CREATED = "created", _("Tạo giao dịch, chuyển sang cổng thanh toán")
    IPN_RECEIVED = "ipn_received", _("Nhận thông báo kết quả từ cổng thanh toán (IPN)")
    RETURN_VISITED = "return_visited", _("Người nộp quay lại từ cổng thanh toán")
    STATUS_CHANGED = "status_changed", _("Chuyển trạng thái")
    CASH_RECEIVED = "cash_received", _("Thu tiền mặt tại quầy")
