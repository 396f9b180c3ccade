"""The applicant's satisfaction page for a returned dossier (``/feedback/danh-gia/<code>/``).

Only the applicant sees it (anyone else gets 404, as on the payment page, so a code reveals nothing);
the form shows only after the return and only once; the rules are the service's.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from egov.core.errors import DomainError, NotFound
from egov.dossiers.services import dossier_get

from .forms import SatisfactionForm
from .selectors import can_rate, rating_of, satisfaction_officer
from .services import satisfaction_rate


@login_required
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, code: str) -> HttpResponse:
    try:
        dossier = dossier_get(code=code.strip().upper())
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if dossier.applicant_user_id != request.user.pk:
        raise Http404(_("Không tìm thấy hồ sơ %(code)s.") % {"code": code})
    status = 200
    error = ""
    form = SatisfactionForm()
    if request.method == "POST":
        form = SatisfactionForm(request.POST)
        if form.is_valid():
            try:
                satisfaction_rate(
                    dossier=dossier,
                    actor=request.user,
                    service_score=form.cleaned_data["service_score"],
                    officer_score=form.cleaned_data["officer_score"],
                    comment=form.cleaned_data["comment"],
                )
            except DomainError as exc:
                error = exc.message
                status = exc.status if 400 <= exc.status < 500 else 400
            else:
                messages.success(
                    request, _("Cảm ơn bạn đã đánh giá. Ý kiến của bạn giúp cơ quan phục vụ tốt hơn.")
                )
                return redirect("feedback:rate", code=dossier.code)
        else:
            status = 400
    rating = rating_of(dossier)
    allowed = can_rate(dossier=dossier, user=request.user)
    officer = satisfaction_officer(dossier) if allowed else None
    return render(
        request,
        "feedback/rate.html",
        {
            "dossier": dossier,
            "form": form,
            "rating": rating,
            "allowed": allowed,
            "officer": officer,
            "error": error,
        },
        status=status,
    )
