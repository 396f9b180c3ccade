"""One-stop back office (Bộ phận Một cửa): reception desk, queues, worklist, the dossier page and its actions.

Every page resolves the dossier through ``selectors.dossier_for_officer`` (an officer sees only the
dossiers of their agencies, or those their agency was consulted on), and every write goes through a
service that checks the role and the status. A refused action is shown as a message with a 4xx
status, never a 500 (Decree 61/2018 arts. 17-19 for the steps themselves).
"""

from __future__ import annotations

import operator
from functools import reduce, wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import user_has_device

from egov.accounts.choices import Role
from egov.accounts.selectors import user_agencies, user_agency_ids, user_is_officer
from egov.catalog.models import ProcedureOffering
from egov.catalog.search import normalize
from egov.catalog.selectors import offerings_for_agency
from egov.core.errors import DomainError, NotFound
from egov.payments.selectors import dossier_is_paid, payment_required

from . import selectors, services
from .choices import DossierAction, DossierStatus, Timeliness
from .forms import (
    ACTION_FORMS,
    ActionForm,
    DossierSearchForm,
    ProcedureChooserForm,
    ReceptionForm,
    WorklistFilterForm,
)
from .models import Dossier, DossierReadChannel

A = DossierAction

# Printable one-stop forms (Circular 01/2018/TT-VPCP art. 9), in the order a dossier meets them.
PRINT_FORMS = {
    "01": gettext_lazy("Giấy tiếp nhận hồ sơ và hẹn trả kết quả (Mẫu 01)"),
    "02": gettext_lazy("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02)"),
    "03": gettext_lazy("Phiếu từ chối tiếp nhận giải quyết hồ sơ (Mẫu 03)"),
    "04": gettext_lazy("Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)"),
    "05": gettext_lazy("Phiếu kiểm soát quá trình giải quyết hồ sơ (Mẫu 05)"),
}
# The forward path first, then side tasks, then the actions that end a dossier early.
ACTION_ORDER = [
    A.RECEIVE,
    A.COMPLETE_STEP,
    A.APPROVE,
    A.RESULT_READY,
    A.RETURN,
    A.SUPPLEMENT,
    A.ASSIGN,
    A.ANSWER_CONSULTATION,
    A.CONSULT,
    A.REQUEST_SUPPLEMENT,
    A.APOLOGIZE,
    A.REFUSE,
    A.DENY,
    A.WITHDRAW,
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INLINE_CONTENT_TYPES = {"application/pdf", "image/jpeg", "image/png"}


def officer_required(view):
    """Back-office pages: signed in, holding a role in some agency, second factor checked if enrolled."""

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


def _dossier_or_404(request: HttpRequest, code: str) -> Dossier:
    try:
        return selectors.dossier_for_officer(user=request.user, code=code)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _safe_next(request: HttpRequest) -> str | None:
    candidate = request.POST.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None


# --- Reception desk ---------------------------------------------------------------------------------------


def _reception_offerings(user):
    """Procedures the officer's agencies offer at the counter (only where the officer is on reception)."""
    per_agency = [
        offerings_for_agency(agency_id, active_only=True)
        for agency_id in sorted(user_agency_ids(user, [Role.RECEPTION]))
    ]
    if not per_agency:
        return ProcedureOffering.objects.none()
    return (
        reduce(operator.or_, per_agency)
        .filter(procedure__is_active=True)
        .select_related("agency")
        .order_by("procedure__name", "agency__name")
    )


def _filter_offerings(offerings, q: str):
    """Every word must match, with or without diacritics ("dang ky" finds "Đăng ký")."""
    for word in q.split():
        term = normalize(word)
        offerings = offerings.filter(
            Q(procedure__search_text__contains=term)
            | Q(procedure__name__icontains=word)
            | Q(procedure__code__icontains=word)
        )
    return offerings


@officer_required
@require_http_methods(["GET", "POST"])
def reception(request: HttpRequest) -> HttpResponse:
    """Receive a paper dossier at the counter and issue the receipt (Decree 61/2018 art. 17.1.c)."""
    if not user_agency_ids(request.user, [Role.RECEPTION]):
        raise PermissionDenied
    offerings = _reception_offerings(request.user)
    # "Tìm thủ tục" only narrows the list: an option pre-selected by the type-to-filter script is not a choice.
    searching = request.method == "GET" and "search" in request.GET
    raw_offering = request.POST.get("offering") or ("" if searching else request.GET.get("offering")) or ""
    offering = offerings.filter(pk=raw_offering).first() if raw_offering.isdigit() else None

    if offering is None:
        chooser = ProcedureChooserForm(
            request.GET or None, offerings=_filter_offerings(offerings, request.GET.get("q", ""))
        )
        status = 400 if request.method == "POST" else 200
        if request.method == "POST":
            messages.error(request, _("Vui lòng chọn thủ tục hành chính trước khi tiếp nhận."))
        return render(request, "dossiers/reception_choose.html", {"chooser": chooser}, status=status)

    form = ReceptionForm(request.POST or None, request.FILES or None, offering=offering)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                dossier = services.dossier_receive_at_counter(
                    offering=offering,
                    applicant=form.applicant_input(),
                    documents=form.document_inputs(),
                    actor=request.user,
                    return_method=data["return_method"],
                    subject=data["subject"].strip(),
                    set_count=data["set_count"],
                    next_assignee=data.get("next_assignee"),
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                if exc.code == "missing_documents":
                    form.flag_missing_documents()
                status = exc.status
            else:
                messages.success(
                    request,
                    _(
                        "Đã tiếp nhận hồ sơ %(code)s. In Giấy tiếp nhận và hẹn trả kết quả (Mẫu 01) để giao người nộp."
                    )
                    % {"code": dossier.code},
                )
                return redirect("dossiers:detail", code=dossier.code)
        else:
            status = 400
    context = {
        "form": form,
        "offering": offering,
        "files_lost": request.method == "POST" and form.has_files(),
    }
    return render(request, "dossiers/reception.html", context, status=status)


# --- Queues and lists -------------------------------------------------------------------------------------


@officer_required
@require_GET
def incoming(request: HttpRequest) -> HttpResponse:
    """Dossiers submitted online and waiting to be checked by the one-stop shop of the officer's agencies."""
    dossiers = (
        selectors.dossiers_visible_to(request.user)
        .filter(status=DossierStatus.SUBMITTED, agency_id__in=user_agency_ids(request.user))
        .select_related("procedure", "agency")
        .order_by("submitted_at", "pk")
    )
    can_receive = bool(user_agency_ids(request.user, [Role.RECEPTION]))
    return render(request, "dossiers/incoming.html", {"dossiers": dossiers, "can_receive": can_receive})


@officer_required
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    """The officer's open steps, earliest deadline first; overdue and due-soon rows stand out."""
    filter_form = WorklistFilterForm(request.GET or None)
    tasks = selectors.worklist(user=request.user)
    status = filter_form.cleaned_data.get("status") if filter_form.is_valid() else ""
    if status:
        tasks = [task for task in tasks if task.dossier.status == status]
    counts = {
        "total": len(tasks),
        "overdue": sum(1 for task in tasks if getattr(task, "urgency", "") == "overdue"),
        "due_soon": sum(1 for task in tasks if getattr(task, "urgency", "") == "due_soon"),
    }
    return render(
        request, "dossiers/worklist.html", {"tasks": tasks, "filter_form": filter_form, "counts": counts}
    )


@officer_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Find a dossier of the officer's agencies by code, applicant name, ID number or phone."""
    form = DossierSearchForm(request.GET or None)
    results = None
    if form.is_valid() and (form.cleaned_data["q"] or form.cleaned_data["status"]):
        q = form.cleaned_data["q"].strip()
        results = selectors.dossiers_visible_to(request.user).select_related("procedure", "agency")
        if q:
            results = results.filter(
                Q(code__icontains=q)
                | Q(applicant_name__icontains=q)
                | Q(applicant_id_number=q)
                | Q(applicant_phone__icontains=q)
            )
        if form.cleaned_data["status"]:
            results = results.filter(status=form.cleaned_data["status"])
        results = list(results.order_by("-received_at", "-pk")[:100])
    return render(request, "dossiers/search.html", {"form": form, "results": results})


# --- Dossier page and actions -----------------------------------------------------------------------------


def _print_forms(dossier: Dossier) -> list[tuple[str, str]]:
    """The printable forms that exist for this dossier now."""
    wanted = []
    if dossier.received_at:
        wanted.append("01")
    if dossier.supplement_requests.exists():
        wanted.append("02")
    if dossier.status == DossierStatus.REFUSED:
        wanted.append("03")
    if dossier.rescheduled_due_at:
        wanted.append("04")
    if dossier.received_at:
        wanted.append("05")
    return [(number, PRINT_FORMS[number]) for number in wanted]


def _render_dossier(
    request: HttpRequest, dossier: Dossier, *, bound: ActionForm | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    task = selectors.current_task(dossier)
    permitted = set(selectors.allowed_actions(dossier=dossier, user=user))
    allowed = [a for a in ACTION_ORDER if a in permitted]
    action_forms = []
    for action in allowed:
        if bound is not None and bound.action == action:
            action_forms.append(bound)
        else:
            action_forms.append(ACTION_FORMS[action](dossier=dossier, user=user, current_task=task))
    control_rows = [
        {**row, "timeliness_label": Timeliness(row["timeliness"]).label if row.get("timeliness") else ""}
        for row in selectors.control_sheet_rows(dossier)
    ]
    context = {
        "dossier": dossier,
        "current_task": task,
        "documents": dossier.documents.select_related("required_document"),
        "events": selectors.dossier_timeline(dossier),
        "control_rows": control_rows,
        "consultations": dossier.consultations.select_related("agency", "requested_by", "answered_by"),
        "supplement_requests": dossier.supplement_requests.all(),
        "action_forms": action_forms,
        "print_forms": _print_forms(dossier),
        "open_action": bound.action if bound is not None else "",
        "fee_due": payment_required(dossier),
        "fee_paid": dossier_is_paid(dossier) if payment_required(dossier) else True,
        "reads": selectors.dossier_reads(dossier)[: selectors.READS_SHOWN],
    }
    return render(request, "dossiers/detail.html", context, status=status)


@officer_required
@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _dossier_or_404(request, code)
    services.dossier_record_read(dossier=dossier, user=request.user, channel=DossierReadChannel.WEB)
    return _render_dossier(request, dossier)


def _perform(action: str, *, dossier: Dossier, user, data: dict) -> str:
    """Call the service behind ``action`` and return the confirmation for the officer."""
    if action == A.RECEIVE:
        services.dossier_receive(
            dossier=dossier, actor=user, next_assignee=data.get("next_assignee"), note=data.get("note", "")
        )
        return _("Đã tiếp nhận hồ sơ. Có thể in Giấy tiếp nhận và hẹn trả kết quả (Mẫu 01).")
    if action == A.REQUEST_SUPPLEMENT:
        services.dossier_request_supplement(
            dossier=dossier, actor=user, items=data["items"], reason=data["reason"]
        )
        return _("Đã gửi yêu cầu bổ sung hồ sơ (Mẫu 02).")
    if action == A.SUPPLEMENT:
        services.dossier_supplement(
            dossier=dossier, actor=user, documents=data["documents"], note=data.get("note", "")
        )
        return _("Đã ghi nhận hồ sơ bổ sung.")
    if action == A.REFUSE:
        services.dossier_refuse(dossier=dossier, actor=user, reason=data["reason"])
        return _("Đã từ chối tiếp nhận hồ sơ (Mẫu 03).")
    if action == A.ASSIGN:
        task = services.dossier_assign(dossier=dossier, actor=user, assignee=data["assignee"])
        return _("Đã phân công cho %(name)s.") % {"name": task.assignee.display_name if task.assignee else ""}
    if action == A.COMPLETE_STEP:
        services.dossier_complete_step(
            dossier=dossier, actor=user, note=data.get("note", ""), next_assignee=data.get("next_assignee")
        )
        return _("Đã hoàn thành bước và chuyển tiếp hồ sơ.")
    if action == A.CONSULT:
        services.dossier_consult(
            dossier=dossier,
            actor=user,
            agency=data["agency"],
            question=data["question"],
            amount=data["amount"],
        )
        return _("Đã gửi xin ý kiến %(agency)s.") % {"agency": data["agency"].name}
    if action == A.ANSWER_CONSULTATION:
        services.dossier_answer_consultation(
            consultation=data["consultation"], actor=user, answer=data["answer"]
        )
        return _("Đã gửi ý kiến trả lời.")
    if action == A.APPROVE:
        services.dossier_approve(
            dossier=dossier, actor=user, note=data.get("note", ""), next_assignee=data.get("next_assignee")
        )
        return _("Đã phê duyệt hồ sơ.")
    if action == A.DENY:
        services.dossier_deny(dossier=dossier, actor=user, reason=data["reason"])
        return _("Đã ghi nhận không giải quyết hồ sơ.")
    if action == A.RESULT_READY:
        services.dossier_mark_result_ready(
            dossier=dossier, actor=user, result_file=data.get("result_file"), note=data.get("note", "")
        )
        return _("Đã ghi nhận có kết quả, chờ trả cho người nộp.")
    if action == A.RETURN:
        services.dossier_return(dossier=dossier, actor=user, method=data["method"], note=data.get("note", ""))
        return _("Đã trả kết quả cho người nộp.")
    if action == A.APOLOGIZE:
        services.dossier_apologize(
            dossier=dossier, actor=user, reason=data["reason"], new_due_at=data["new_due_at"]
        )
        return _("Đã lập Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04).")
    if action == A.WITHDRAW:
        services.dossier_withdraw(dossier=dossier, actor=user, reason=data["reason"])
        return _("Đã rút hồ sơ.")
    raise Http404


@officer_required
@require_POST
def action(request: HttpRequest, code: str, action: str) -> HttpResponse:
    """One action on one dossier (POST, then redirect back: post/redirect/get)."""
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        raise Http404
    dossier = _dossier_or_404(request, code)
    form = form_class(
        request.POST,
        request.FILES,
        dossier=dossier,
        user=request.user,
        current_task=selectors.current_task(dossier),
    )
    if not form.is_valid():
        messages.error(
            request,
            _("Chưa thực hiện “%(action)s”: vui lòng kiểm tra lại thông tin.") % {"action": form.label},
        )
        return _render_dossier(request, dossier, bound=form, status=400)
    data = dict(form.cleaned_data)
    if hasattr(form, "document_inputs"):
        data["documents"] = form.document_inputs()
    try:
        done = _perform(action, dossier=dossier, user=request.user, data=data)
    except DomainError as exc:
        messages.error(request, exc.message)
        # Reload: the service may have found the dossier in another state than the page showed.
        dossier = _dossier_or_404(request, code)
        return _render_dossier(
            request, dossier, bound=form, status=exc.status if 400 <= exc.status < 500 else 400
        )
    messages.success(request, done)
    return redirect(_safe_next(request) or reverse("dossiers:detail", kwargs={"code": dossier.code}))


@officer_required
@require_GET
def document_download(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """A paper of the dossier, only for officers who may see the dossier (files hold personal data)."""
    dossier = _dossier_or_404(request, code)
    document = dossier.documents.filter(pk=pk).first()
    if document is None or not document.file:
        raise Http404
    services.dossier_record_read(
        dossier=dossier, user=request.user, channel=DossierReadChannel.FILE, document=document
    )
    inline = document.content_type in INLINE_CONTENT_TYPES
    extension = document.file.name.rsplit(".", 1)[-1] if "." in document.file.name else "bin"
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=not inline,
        filename=f"{dossier.code}-{document.pk}.{extension}",
        content_type=document.content_type if inline else "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@officer_required
@require_GET
def print_form(request: HttpRequest, code: str, form: str) -> HttpResponse:
    """Mẫu 01-05 as PDF (Circular 01/2018/TT-VPCP art. 9), shown in the browser for printing."""
    if form not in PRINT_FORMS:
        raise Http404
    dossier = _dossier_or_404(request, code)
    from .printing import render_form

    try:
        pdf = render_form(dossier, form)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _render_dossier(request, dossier, status=exc.status if 400 <= exc.status < 500 else 400)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="mau-{form}-{dossier.code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@officer_required
@require_GET
def register_export(request: HttpRequest, year: int) -> HttpResponse:
    """Sổ theo dõi hồ sơ (Mẫu 06) of one of the officer's agencies for one year, as a spreadsheet."""
    agencies = list(user_agencies(request.user))
    wanted = request.GET.get("agency", "")
    agency = next((a for a in agencies if str(a.pk) == wanted), agencies[0] if agencies else None)
    if agency is None or not 2000 <= year <= 2100:
        raise Http404
    from .exports import register_xlsx

    try:
        content = register_xlsx(agency=agency, year=year)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("dossiers:worklist")
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="so-theo-doi-ho-so-{agency.code}-{year}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response
