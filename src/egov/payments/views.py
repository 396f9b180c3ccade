"""Pages of the payments app: the gateway's IPN and return, the applicant's pay page, receipts,
cash at the counter and the daily reconciliation.

The IPN is the gateway's server calling us: no session, no CSRF, answered in the gateway's JSON. Every
other page goes through a service or selector that checks who may act; a refused action is shown as a
message with a 4xx status, never a 500.
"""

from __future__ import annotations

import datetime as dt
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import user_has_device

from egov.accounts.selectors import user_agencies, user_has_role, user_is_officer
from egov.core.calendar import LOCAL_TZ
from egov.core.errors import DomainError, NotFound
from egov.dossiers.models import Dossier

from . import selectors, services
from .amounts import format_vnd, vnd_in_words
from .choices import PaymentStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def client_ip(request: HttpRequest) -> str:
    """The caller's address; behind the TLS proxy (settings.SECURE_PROXY_SSL_HEADER) the proxy's
    X-Forwarded-For names it. Used only as information (vnp_IpAddr, the event log), never to authorise."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[0].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR", "") or ""


def officer_required(view):
    """Back-office pages: signed in, holding a role somewhere, second factor checked if enrolled."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user_is_officer(user):
            raise PermissionDenied
        if not user.is_verified() and user_has_device(user):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('accounts:two_factor_verify')}?{query}")
        return view(request, *args, **kwargs)

    return wrapper


def login_required_here(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


# ---- the gateway ----------------------------------------------------------------------------------


@csrf_exempt
@never_cache
@require_GET
def ipn(request: HttpRequest) -> JsonResponse:
    """VNPay's IPN (server-to-server GET): the JSON reply {"RspCode", "Message"} of vn-standards §9.3."""
    reply = services.payment_handle_ipn(request.GET.dict(), client_ip=client_ip(request))
    return JsonResponse(reply)


@never_cache
@require_GET
def payment_return(request: HttpRequest) -> HttpResponse:
    """The citizen's browser back from the gateway: what we recorded, in Vietnamese."""
    try:
        outcome = services.payment_handle_return(request.GET.dict(), client_ip=client_ip(request))
    except DomainError as exc:
        return render(request, "payments/return.html", {"error": exc.message}, status=exc.status)
    status = 200 if outcome.signature_valid and outcome.payment else 400
    payment = outcome.payment
    context = {
        "outcome": outcome,
        "payment": payment,
        "amount": format_vnd(payment.amount) if payment else "",
        "amount_words": vnd_in_words(payment.amount) if payment else "",
        "can_see_dossier": bool(
            payment and request.user.is_authenticated and payment.dossier.applicant_user_id == request.user.pk
        ),
    }
    return render(request, "payments/return.html", context, status=status)


# ---- the applicant -----------------------------------------------------------------------------------


def _applicant_dossier(request: HttpRequest, code: str) -> Dossier:
    dossier = Dossier.objects.select_related("agency", "procedure").filter(code=code).first()
    if dossier is None or dossier.applicant_user_id != request.user.pk:
        raise Http404(_("Không tìm thấy hồ sơ %(code)s.") % {"code": code})
    return dossier


def _render_dossier(request: HttpRequest, dossier: Dossier, *, status: int = 200) -> HttpResponse:
    context = {
        "dossier": dossier,
        "payments": selectors.payments_of_dossier(dossier),
        "required": selectors.payment_required(dossier),
        "paid": selectors.dossier_is_paid(dossier),
        "payable": dossier.status in services.PAYABLE_STATUSES,
        "fee": format_vnd(dossier.fee),
        "fee_words": vnd_in_words(dossier.fee),
    }
    return render(request, "payments/dossier.html", context, status=status)


@login_required_here
@require_GET
def dossier_payments(request: HttpRequest, code: str) -> HttpResponse:
    """The applicant's page for the fee of one dossier: amount, attempts, receipts, the pay button."""
    return _render_dossier(request, _applicant_dossier(request, code))


@login_required_here
@require_POST
def start(request: HttpRequest, code: str) -> HttpResponse:
    """The applicant starts an online payment and is sent to the gateway's pay page."""
    dossier = _applicant_dossier(request, code)
    try:
        _payment, url = services.payment_start(
            dossier=dossier, actor=request.user, client_ip=client_ip(request)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return _render_dossier(request, dossier, status=exc.status if 400 <= exc.status < 500 else 400)
    # The gateway is another site: a plain redirect (not Django's redirect(), which would resolve names).
    return HttpResponseRedirect(url)


@login_required_here
@require_GET
def receipt(request: HttpRequest, txn_ref: str) -> HttpResponse:
    """The receipt PDF (biên lai điện tử), for the applicant and the collecting agency's officers."""
    try:
        payment = selectors.payment_for_user(user=request.user, txn_ref=txn_ref)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if payment.status != PaymentStatus.PAID:
        raise Http404(_("Giao dịch chưa được thanh toán nên chưa có biên lai."))
    content = None
    if payment.receipt_file:
        try:
            with payment.receipt_file.open("rb") as handle:
                content = handle.read()
        except OSError:
            content = None
    if content is None:
        # The stored copy is missing (storage lost or moved): render the same receipt again from the row.
        from .receipts import render_receipt

        content = render_receipt(payment)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="bien-lai-{payment.receipt_label}-{payment.txn_ref}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


# ---- the counter -------------------------------------------------------------------------------------


@officer_required
@require_http_methods(["GET", "POST"])
def cash(request: HttpRequest, code: str) -> HttpResponse:
    """The reception officer takes the fee in cash and issues the receipt."""
    dossier = Dossier.objects.select_related("agency", "procedure").filter(code=code).first()
    if dossier is None or not user_has_role(request.user, dossier.agency_id, *selectors.RECONCILIATION_ROLES):
        raise Http404(_("Không tìm thấy hồ sơ %(code)s.") % {"code": code})
    status = 200
    if request.method == "POST":
        try:
            payment = services.payment_record_cash(
                dossier=dossier, actor=request.user, amount=request.POST.get("amount", "")
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status if 400 <= exc.status < 500 else 400
        else:
            messages.success(
                request,
                _("Đã thu %(amount)s đồng, biên lai số %(number)s.")
                % {"amount": format_vnd(payment.amount), "number": payment.receipt_label},
            )
            return redirect("payments:cash", code=dossier.code)
    context = {
        "dossier": dossier,
        "payments": selectors.payments_of_dossier(dossier),
        "paid": selectors.dossier_is_paid(dossier),
        "required": selectors.payment_required(dossier),
        "fee": format_vnd(dossier.fee),
        "fee_words": vnd_in_words(dossier.fee),
    }
    return render(request, "payments/cash.html", context, status=status)


# ---- reconciliation ----------------------------------------------------------------------------------


def _parse_day(raw: str) -> dt.date | None:
    if not raw:
        return timezone.now().astimezone(LOCAL_TZ).date()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


@officer_required
@require_GET
def reconciliation(request: HttpRequest) -> HttpResponse:
    """Đối soát: one agency's payments of one day, totals by status, stale and doubtful ones flagged;
    ``?format=csv`` or ``?format=xlsx`` downloads the same list."""
    allowed = selectors.reconciliation_agency_ids(request.user)
    if not allowed:
        raise PermissionDenied
    agencies = [a for a in user_agencies(request.user) if a.pk in allowed]
    wanted = request.GET.get("agency", "")
    agency = next((a for a in agencies if str(a.pk) == wanted), agencies[0])
    day = _parse_day(request.GET.get("date", "").strip())
    status = 200
    if day is None:
        messages.error(request, _("Ngày không hợp lệ; hãy nhập theo dạng năm-tháng-ngày."))
        day = timezone.now().astimezone(LOCAL_TZ).date()
        status = 400
    data = selectors.reconciliation(agency_id=agency.pk, day=day)
    export = request.GET.get("format", "")
    if export in ("csv", "xlsx") and status == 200:
        from .exports import reconciliation_csv, reconciliation_xlsx

        name = f"doi-soat-{agency.code}-{day:%Y%m%d}"
        if export == "csv":
            response = HttpResponse(
                reconciliation_csv(data, agency=agency), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        else:
            response = HttpResponse(reconciliation_xlsx(data, agency=agency), content_type=XLSX)
            response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        response["Cache-Control"] = "private, no-store"
        return response
    context = {
        "agencies": agencies,
        "agency": agency,
        "day": day,
        "data": data,
        "paid_total": format_vnd(data.total(PaymentStatus.PAID).amount),
    }
    return render(request, "payments/reconciliation.html", context, status=status)
