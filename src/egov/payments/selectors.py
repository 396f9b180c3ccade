"""Reads of the payments app: whether a dossier must pay and has paid, who may see a payment, reconciliation."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from egov.accounts.choices import Role
from egov.accounts.selectors import user_agency_ids, user_has_role
from egov.core.calendar import LOCAL_TZ
from egov.core.errors import NotFound

from .adapters.vnpay import REVIEW_CODES
from .choices import PaymentStatus
from .models import Payment

# Roles that see an agency's payments and reconcile them (the one-stop shop collects, the leader answers
# for the money).
RECONCILIATION_ROLES = (Role.RECEPTION, Role.LEADER)
STALE_PENDING_AFTER = dt.timedelta(minutes=15)


def payment_required(dossier) -> bool:
    """The dossier carries a fee (phí, lệ phí) fixed when it was submitted (Decree 61/2018 art. 22)."""
    return int(dossier.fee or 0) > 0


def paid_amount(dossier) -> int:
    total = Payment.objects.filter(dossier_id=dossier.pk, status=PaymentStatus.PAID).aggregate(
        total=Sum("amount")
    )["total"]
    return int(total or 0)


def dossier_is_paid(dossier) -> bool:
    """Confirmed payments cover the dossier's fee. Says nothing about whether a fee is due: see
    ``payment_required`` (a dossier without fee has paid nothing)."""
    paid = paid_amount(dossier)
    return paid > 0 and paid >= int(dossier.fee or 0)


def payments_of_dossier(dossier) -> QuerySet[Payment]:
    return Payment.objects.filter(dossier_id=dossier.pk).order_by("-created_at", "-id")


def payment_visible_to(payment: Payment, user) -> bool:
    """The applicant who owns the dossier, or an officer holding any role in the collecting agency."""
    if user is None or not user.is_authenticated:
        return False
    if payment.dossier.applicant_user_id == user.pk:
        return True
    return payment.agency_id in user_agency_ids(user)


def payment_for_user(*, user, txn_ref: str) -> Payment:
    """The payment if ``user`` may see it; otherwise NotFound (its existence is not revealed)."""
    payment = (
        Payment.objects.select_related("dossier", "dossier__procedure", "agency")
        .filter(txn_ref=txn_ref)
        .first()
    )
    if payment is None or not payment_visible_to(payment, user):
        raise NotFound(_("Không tìm thấy giao dịch %(ref)s.") % {"ref": txn_ref})
    return payment


def reconciliation_agency_ids(user) -> set[int]:
    return user_agency_ids(user, RECONCILIATION_ROLES)


def may_reconcile(user, agency_id: int) -> bool:
    return user_has_role(user, agency_id, *RECONCILIATION_ROLES)


@dataclass
class ReconciliationRow:
    payment: Payment
    stale_pending: bool = False
    needs_review: bool = False
    duplicate: bool = False

    @property
    def flags(self) -> list[str]:
        notes = []
        if self.stale_pending:
            notes.append(_("Chờ thanh toán quá 15 phút: kiểm tra với cổng thanh toán"))
        if self.needs_review:
            notes.append(_("Ngân hàng đã trừ tiền nhưng giao dịch bị nghi ngờ: cần xác minh"))
        if self.duplicate:
            notes.append(_("Hồ sơ đã được thanh toán nhiều lần: cần hoàn trả"))
        return notes


@dataclass
class StatusTotal:
    status: str
    label: str
    count: int = 0
    amount: int = 0


@dataclass
class Reconciliation:
    agency_id: int
    day: dt.date
    rows: list[ReconciliationRow] = field(default_factory=list)
    totals: list[StatusTotal] = field(default_factory=list)
    by_gateway: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def flagged(self) -> int:
        return sum(1 for r in self.rows if r.flags)

    def total(self, status: str) -> StatusTotal:
        return next(t for t in self.totals if t.status == status)


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=LOCAL_TZ)
    return start, start + dt.timedelta(days=1)


def reconciliation(*, agency_id: int, day: dt.date, now: dt.datetime | None = None) -> Reconciliation:
    """The agency's payments of ``day`` (Vietnam time) with totals by status.

    A paid payment belongs to the day it was paid (what the bank statement shows); any other to the day
    it was created. Pending payments older than 15 minutes (VNPay's payment window, vnp_ExpireDate) are
    flagged, as are payments the bank took money for without confirming (code 07) and dossiers paid twice.
    """
    now = now or timezone.now()
    start, end = _day_bounds(day)
    payments = list(
        Payment.objects.filter(agency_id=agency_id)
        .annotate(day_at=Coalesce("paid_at", "created_at"))
        .filter(day_at__gte=start, day_at__lt=end)
        .select_related("dossier", "dossier__procedure", "created_by")
        .order_by("day_at", "id")
    )
    dossier_ids = {p.dossier_id for p in payments}
    paid_twice = set(
        Payment.objects.filter(dossier_id__in=dossier_ids, status=PaymentStatus.PAID)
        .values("dossier_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("dossier_id", flat=True)
    )
    result = Reconciliation(agency_id=agency_id, day=day)
    totals = {s: StatusTotal(status=s, label=str(label)) for s, label in PaymentStatus.choices}
    gateways: Counter[str] = Counter()
    for payment in payments:
        result.rows.append(
            ReconciliationRow(
                payment=payment,
                stale_pending=payment.status == PaymentStatus.PENDING
                and payment.created_at <= now - STALE_PENDING_AFTER,
                needs_review=payment.response_code in REVIEW_CODES,
                duplicate=payment.status == PaymentStatus.PAID and payment.dossier_id in paid_twice,
            )
        )
        bucket = totals[payment.status]
        bucket.count += 1
        bucket.amount += payment.amount
        if payment.status == PaymentStatus.PAID:
            gateways[payment.gateway] += payment.amount
    result.totals = list(totals.values())
    result.by_gateway = dict(gateways)
    return result


def stale_pending_payments(*, now: dt.datetime | None = None) -> QuerySet[Payment]:
    """Pending payments whose payment window has closed (the expiry job marks them expired)."""
    now = now or timezone.now()
    return Payment.objects.filter(status=PaymentStatus.PENDING).filter(
        Q(expires_at__lte=now) | Q(expires_at__isnull=True, created_at__lte=now - STALE_PENDING_AFTER)
    )
