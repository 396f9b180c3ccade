"""Official documents back office: inbox, incoming registration and handling, outgoing drafting to issue,
registers (print, export), search.

Every page resolves a document through ``selectors.*_for_officer`` (an officer sees only the documents of
the agencies where they hold a role; another agency's document is a 404), and every write goes through a
service that checks the role and the status. A refused action is shown as a message with a 4xx status,
never a 500. Classified content is shown only with clearance; a refused read is logged.
"""

from __future__ import annotations

import itertools

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from egov.accounts.choices import Role
from egov.accounts.selectors import user_agency_ids
from egov.core.calendar import LOCAL_TZ
from egov.core.errors import DomainError, NotFound
from egov.core.models import Agency
from egov.dossiers.views import officer_required

from . import registers as register_books
from . import selectors, services
from .choices import Direction, IncomingAction, IncomingStatus, OutgoingAction, SecretAttempt, Series
from .forms import (
    INCOMING_FORMS,
    OUTGOING_FORMS,
    IncomingRegisterForm,
    OutgoingDraftForm,
    RegisterForm,
    SearchForm,
)
from .models import IncomingDocument, OutgoingDocument

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INLINE_CONTENT_TYPES = {"application/pdf", "image/jpeg", "image/png"}
PAGE_SIZE = 20
REGISTER_PAGE_ROWS = 500

INCOMING_ORDER = [
    IncomingAction.ASSIGN,
    IncomingAction.ADD_OPINION,
    IncomingAction.COMPLETE,
    IncomingAction.RECALL,
]
OUTGOING_ORDER = [
    OutgoingAction.ADD_VERSION,
    OutgoingAction.SUBMIT,
    OutgoingAction.APPROVE,
    OutgoingAction.SIGN,
    OutgoingAction.ISSUE,
    OutgoingAction.LINK_REPLY,
    OutgoingAction.RETURN,
    OutgoingAction.RECALL,
]


def _agencies(user, roles: list[str] | None = None):
    return Agency.objects.filter(pk__in=user_agency_ids(user, roles)).order_by("name")


def _status_of(exc: DomainError) -> int:
    return exc.status if 400 <= exc.status < 500 else 400


def _attachment(upload) -> tuple[str, bytes, str]:
    from egov.dossiers.uploads import read_upload

    return (upload.name, read_upload(upload), getattr(upload, "content_type", "") or "")


def _file_response(version, filename: str) -> HttpResponse:
    inline = version.content_type in INLINE_CONTENT_TYPES
    response = FileResponse(
        version.file.open("rb"),
        as_attachment=not inline,
        filename=filename,
        content_type=version.content_type if inline else "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _record_refusal(request: HttpRequest, document, exc: DomainError, action: str) -> None:
    """A classified document's write refused inside its (rolled-back) transaction is recorded here."""
    if isinstance(exc, services.SecretDocumentRefused) and not exc.logged:
        attempt = SecretAttempt.SEND_ELECTRONIC if action == OutgoingAction.ISSUE else SecretAttempt.VIEW
        services.secret_attempt_log(user=request.user, document=document, attempt=attempt, detail=action)
        exc.logged = True


def _refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "documents/refused.html", {"message": exc.message}, status=_status_of(exc))


# --- inbox ------------------------------------------------------------------------------------------------


@officer_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """Documents waiting for the officer: incoming by deadline (overdue first), outgoing by age."""
    user = request.user
    incoming = selectors.incoming_inbox(user=user)
    context = {
        "incoming": incoming,
        "outgoing": selectors.outgoing_inbox(user=user),
        "counts": {
            "overdue": sum(1 for d in incoming if d.deadline_state == "overdue"),
            "due_soon": sum(1 for d in incoming if d.deadline_state == "due_soon"),
        },
        "can_register": bool(user_agency_ids(user, [Role.CLERK])),
        "can_draft": bool(user_agency_ids(user, [Role.SPECIALIST, Role.LEADER, Role.CLERK])),
        "year": timezone.now().astimezone(LOCAL_TZ).year,
    }
    return render(request, "documents/inbox.html", context)


# --- incoming ---------------------------------------------------------------------------------------------


@officer_required
@require_http_methods(["GET", "POST"])
def incoming_new(request: HttpRequest) -> HttpResponse:
    """Đăng ký văn bản đến (Decree 30/2020 art. 22), with the duplicate warning of Appendix VI."""
    agencies = _agencies(request.user, [Role.CLERK])
    if not agencies.exists():
        raise PermissionDenied
    form = IncomingRegisterForm(request.POST or None, request.FILES or None, agencies=agencies)
    status = 200
    duplicate = None
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                document = services.incoming_register(
                    agency=data["agency"],
                    actor=request.user,
                    issuer_name=data["issuer_name"],
                    issuer_code=data["issuer_code"],
                    code_number=data["code_number"],
                    code_notation=data["code_notation"],
                    document_date=data["document_date"],
                    document_type=data["document_type"],
                    subject=data["subject"],
                    urgency=data["urgency"],
                    secrecy=data["secrecy"],
                    source=data["source"],
                    page_count=data["page_count"] or 0,
                    signer_name=data["signer_name"],
                    signer_position=data["signer_position"],
                    arrival_at=data["arrival_at"],
                    deadline=data["deadline"],
                    linked_dossier_code=data["linked_dossier_code"],
                    attachments=[_attachment(f) for f in data["files"]],
                    confirm_duplicate=data["confirm_duplicate"],
                )
            except services.DuplicateDocument as exc:
                duplicate = exc.existing
                form.show_duplicate_confirmation()
                form.add_error(None, exc.message)
                status = exc.status
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = _status_of(exc)
            else:
                messages.success(
                    request,
                    _("Đã đăng ký văn bản đến, số đến %(n)s.") % {"n": document.arrival_number},
                )
                return redirect("documents:incoming_detail", pk=document.pk)
        else:
            status = 400
    context = {
        "form": form,
        "duplicate": duplicate,
        "files_lost": request.method == "POST" and bool(request.FILES),
    }
    return render(request, "documents/incoming_form.html", context, status=status)


def _incoming_or_404(request: HttpRequest, pk: int) -> IncomingDocument:
    try:
        return selectors.incoming_for_officer(user=request.user, pk=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


# Sections other apps add to the document pages (the exchange app adds deliveries and statuses):
# callables ``section(document) -> (template_name, context) | None``, appended in their AppConfig.ready().
PAGE_SECTIONS: list = []


def _extra_sections(document) -> list[dict]:
    sections = []
    for section in PAGE_SECTIONS:
        found = section(document)
        if found is not None:
            template_name, context = found
            sections.append({"template": template_name, "context": context})
    return sections


def _render_incoming(request: HttpRequest, document: IncomingDocument, *, bound=None, status: int = 200):
    user = request.user
    readable = selectors.can_read_content(user, document)
    if not readable:
        services.secret_attempt_log(user=user, document=document, attempt=SecretAttempt.VIEW)
    allowed = set(selectors.allowed_incoming_actions(document=document, user=user))
    action_forms = []
    for action in INCOMING_ORDER:
        if action not in allowed:
            continue
        if bound is not None and bound.action == action:
            action_forms.append(bound)
        else:
            action_forms.append(INCOMING_FORMS[action](document=document, user=user))
    context = {
        "document": document,
        "readable": readable,
        "assignment": selectors.current_assignment(document),
        "versions": document.versions.order_by("number") if readable else [],
        "opinions": document.opinions.select_related("author") if readable else [],
        "events": selectors.document_trace(document),
        "replies": document.replies.all(),
        "can_draft_reply": readable
        and document.status != IncomingStatus.RECALLED
        and document.agency_id in user_agency_ids(user, [Role.SPECIALIST, Role.LEADER, Role.CLERK]),
        "sections": _extra_sections(document),
        "action_forms": action_forms,
        "open_action": bound.action if bound is not None else "",
    }
    return render(request, "documents/incoming_detail.html", context, status=status)


@officer_required
@require_GET
def incoming_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_incoming(request, _incoming_or_404(request, pk))


def _perform_incoming(action: str, *, document: IncomingDocument, user, data: dict) -> str:
    if action == IncomingAction.ASSIGN:
        services.incoming_assign(
            document=document,
            actor=user,
            lead_department=data.get("lead_department"),
            coordinating_departments=data.get("coordinating_departments") or [],
            readers=data.get("readers") or [],
            assignees=data.get("assignees") or [],
            deadline=data.get("deadline"),
            instructions=data.get("instructions", ""),
        )
        return _("Đã phân công xử lý văn bản.")
    if action == IncomingAction.ADD_OPINION:
        services.incoming_add_opinion(document=document, actor=user, text=data["text"], kind=data["kind"])
        return _("Đã ghi ý kiến.")
    if action == IncomingAction.COMPLETE:
        services.incoming_complete(document=document, actor=user, result=data.get("result", ""))
        return _("Đã hoàn thành xử lý văn bản.")
    if action == IncomingAction.RECALL:
        services.incoming_recall(document=document, actor=user, reason=data["reason"])
        return _("Đã thu hồi văn bản: nội dung và tệp đã được xóa, nhật ký được giữ lại.")
    raise Http404


def _run_action(request: HttpRequest, pk: int, action: str, *, forms, load, perform, render, detail: str):
    """One POST of a document page's action form: validate, run the service, show the outcome. A refused
    action re-renders the page with the form and its message (4xx), after logging the refusal."""
    form_class = forms.get(action)
    if form_class is None:
        raise Http404
    document = load(request, pk)
    form = form_class(request.POST, request.FILES, document=document, user=request.user)
    if not form.is_valid():
        messages.error(
            request, _("Chưa thực hiện “%(a)s”: vui lòng kiểm tra lại thông tin.") % {"a": form.label}
        )
        return render(request, document, bound=form, status=400)
    try:
        done = perform(action, document=document, user=request.user, data=dict(form.cleaned_data))
    except DomainError as exc:
        _record_refusal(request, document, exc, action)
        messages.error(request, exc.message)
        return render(request, load(request, pk), bound=form, status=_status_of(exc))
    messages.success(request, done)
    return redirect(detail, pk=document.pk)


@officer_required
@require_POST
def incoming_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return _run_action(
        request,
        pk,
        action,
        forms=INCOMING_FORMS,
        load=_incoming_or_404,
        perform=_perform_incoming,
        render=_render_incoming,
        detail="documents:incoming_detail",
    )


@officer_required
@require_GET
def incoming_file(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    """An attachment, only with clearance for a classified document (every refusal is logged)."""
    document = _incoming_or_404(request, pk)
    stored = document.versions.filter(number=version).first()
    if stored is None:
        raise Http404
    try:
        services.secret_read_check(user=request.user, document=document, attempt=SecretAttempt.DOWNLOAD)
    except services.SecretDocumentRefused as exc:
        return _refused(request, exc)
    return _file_response(stored, f"van-ban-den-{document.arrival_number}-{stored.number}{_ext(stored)}")


def _ext(version) -> str:
    name = version.file.name
    return "." + name.rsplit(".", 1)[-1] if "." in name else ""


# --- outgoing ---------------------------------------------------------------------------------------------


def _reply_target(request: HttpRequest, agencies) -> IncomingDocument | None:
    """The incoming document named by ``?reply_to=`` (or the posted choice), if the drafter may answer it."""
    raw = request.POST.get("reply_to") or request.GET.get("reply_to") or ""
    if not raw.isdigit():
        return None
    return (
        IncomingDocument.objects.filter(pk=int(raw), agency__in=agencies)
        .exclude(status=IncomingStatus.RECALLED)
        .first()
    )


@officer_required
@require_http_methods(["GET", "POST"])
def outgoing_new(request: HttpRequest) -> HttpResponse:
    """Soạn thảo văn bản đi (Decree 30/2020 art. 10)."""
    agencies = _agencies(request.user, [Role.SPECIALIST, Role.LEADER, Role.CLERK])
    if not agencies.exists():
        raise PermissionDenied
    form = OutgoingDraftForm(
        request.POST or None,
        request.FILES or None,
        agencies=agencies,
        reply_to=_reply_target(request, agencies),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                document = services.outgoing_create_draft(
                    agency=data["agency"],
                    actor=request.user,
                    document_type=data["document_type"],
                    subject=data["subject"],
                    recipients=form.recipient_inputs(),
                    urgency=data["urgency"],
                    secrecy=data["secrecy"],
                    drafting_department=data.get("drafting_department"),
                    signer_name=data["signer_name"],
                    signer_position=data["signer_position"],
                    signer_competence=data["signer_competence"],
                    page_count=data["page_count"] or 0,
                    copies=data["copies"],
                    reply_to=data.get("reply_to"),
                    linked_dossier_code=data["linked_dossier_code"],
                    content=_attachment(data["file"]) if data.get("file") else None,
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = _status_of(exc)
            else:
                messages.success(request, _("Đã tạo dự thảo văn bản đi."))
                return redirect("documents:outgoing_detail", pk=document.pk)
        else:
            status = 400
    return render(request, "documents/outgoing_form.html", {"form": form}, status=status)


def _outgoing_or_404(request: HttpRequest, pk: int) -> OutgoingDocument:
    try:
        return selectors.outgoing_for_officer(user=request.user, pk=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _render_outgoing(request: HttpRequest, document: OutgoingDocument, *, bound=None, status: int = 200):
    user = request.user
    readable = selectors.can_read_content(user, document)
    if not readable:
        services.secret_attempt_log(user=user, document=document, attempt=SecretAttempt.VIEW)
    allowed = set(selectors.allowed_outgoing_actions(document=document, user=user))
    action_forms = []
    for action in OUTGOING_ORDER:
        if action not in allowed:
            continue
        if bound is not None and bound.action == action:
            action_forms.append(bound)
        else:
            action_forms.append(OUTGOING_FORMS[action](document=document, user=user))
    context = {
        "document": document,
        "readable": readable,
        "versions": document.versions.select_related("created_by").order_by("number") if readable else [],
        "recipients": document.recipients.select_related("department"),
        "seal_applied": selectors.seal_applied(document),
        "events": selectors.document_trace(document),
        "sections": _extra_sections(document),
        "action_forms": action_forms,
        "open_action": bound.action if bound is not None else "",
    }
    return render(request, "documents/outgoing_detail.html", context, status=status)


@officer_required
@require_GET
def outgoing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_outgoing(request, _outgoing_or_404(request, pk))


def _perform_outgoing(action: str, *, document: OutgoingDocument, user, data: dict) -> str:
    if action == OutgoingAction.ADD_VERSION:
        version = services.outgoing_add_version(
            document=document, actor=user, attachment=_attachment(data["file"]), note=data.get("note", "")
        )
        return _("Đã lưu phiên bản %(n)s.") % {"n": version.number}
    if action == OutgoingAction.SUBMIT:
        services.outgoing_submit_for_review(document=document, actor=user, note=data.get("note", ""))
        return _("Đã trình lãnh đạo duyệt.")
    if action == OutgoingAction.APPROVE:
        services.outgoing_approve(document=document, actor=user, note=data.get("note", ""))
        return _("Đã duyệt dự thảo.")
    if action == OutgoingAction.RETURN:
        services.outgoing_return_for_revision(document=document, actor=user, reason=data["reason"])
        return _("Đã trả lại dự thảo để chỉnh sửa.")
    if action == OutgoingAction.SIGN and data.get("sign_digitally"):
        services.outgoing_sign_digitally(document=document, actor=user, version=data.get("version"))
        return _("Đã ký số văn bản; văn thư cấp số và phát hành.")
    if action == OutgoingAction.SIGN:
        services.outgoing_mark_signed(
            document=document,
            actor=user,
            version=data.get("version"),
            signed_file=_attachment(data["file"]) if data.get("file") else None,
        )
        return _("Đã cập nhật bản đã ký; văn thư cấp số và phát hành.")
    if action == OutgoingAction.ISSUE:
        issued = services.outgoing_issue(document=document, actor=user)
        if selectors.seal_applied(issued):
            return _("Đã cấp số %(code)s, ký số của cơ quan (đóng dấu) và phát hành.") % {
                "code": issued.number_notation
            }
        return _(
            "Đã cấp số %(code)s và phát hành. Chưa đóng dấu chữ ký số của cơ quan: cơ quan chưa có chứng thư "
            "số con dấu còn hiệu lực."
        ) % {"code": issued.number_notation}
    if action == OutgoingAction.RECALL:
        services.outgoing_recall(document=document, actor=user, reason=data["reason"])
        return _("Đã thu hồi văn bản.")
    if action == OutgoingAction.LINK_REPLY:
        services.outgoing_link_reply(document=document, incoming=data["incoming"], actor=user)
        return _("Đã gắn văn bản đến được trả lời.")
    raise Http404


@officer_required
@require_POST
def outgoing_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return _run_action(
        request,
        pk,
        action,
        forms=OUTGOING_FORMS,
        load=_outgoing_or_404,
        perform=_perform_outgoing,
        render=_render_outgoing,
        detail="documents:outgoing_detail",
    )


@officer_required
@require_GET
def outgoing_file(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    document = _outgoing_or_404(request, pk)
    stored = document.versions.filter(number=version).first()
    if stored is None:
        raise Http404
    try:
        services.secret_read_check(user=request.user, document=document, attempt=SecretAttempt.DOWNLOAD)
    except services.SecretDocumentRefused as exc:
        return _refused(request, exc)
    return _file_response(stored, f"van-ban-di-{document.pk}-v{stored.number}{_ext(stored)}")


# --- search -----------------------------------------------------------------------------------------------


@officer_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Search across metadata and text, diacritics ignored (Appendix VI, Part I §III)."""
    form = SearchForm(request.GET or None)
    page = None
    page_number = 1
    if form.is_valid() and form.has_criteria():
        data = form.cleaned_data
        page_number = data.get("page") or 1
        page = selectors.documents_search(
            user=request.user,
            filters=selectors.SearchFilters(
                q=data["q"],
                direction=data["direction"],
                document_type_id=data["document_type"].pk if data["document_type"] else None,
                date_from=data["date_from"],
                date_to=data["date_to"],
                issuer=data["issuer"],
                status=data["status"],
                urgency=data["urgency"],
            ),
            limit=PAGE_SIZE,
            offset=(page_number - 1) * PAGE_SIZE,
        )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "page_number": page_number,
        "has_next": page is not None
        and (page.count > page_number * PAGE_SIZE or not page.count_exact)
        and (page_number + 1) * PAGE_SIZE <= selectors.SEARCH_MAX_WINDOW,
        "query": query.urlencode(),
    }
    return render(request, "documents/search.html", context)


# --- registers --------------------------------------------------------------------------------------------


@officer_required
@require_GET
def registers(request: HttpRequest) -> HttpResponse:
    """The registers of the officer's agencies, per year, direction and series."""
    agencies = list(_agencies(request.user))
    rows = [
        {
            "agency": agency,
            "years": selectors.register_years(agency_id=agency.pk),
            "secret": selectors.clearance_rank(request.user, agency.pk) >= 1,
        }
        for agency in agencies
    ]
    return render(request, "documents/registers.html", {"rows": rows})


def _register_params(request: HttpRequest, direction: str, year: int):
    if direction not in Direction.values or not 2000 <= int(year) <= 2100:
        raise Http404
    agencies = _agencies(request.user)
    form = RegisterForm(request.GET or None, agencies=agencies)
    agency = None
    series = Series.NORMAL
    if form.is_valid():
        agency = form.cleaned_data.get("agency")
        series = form.cleaned_data.get("series") or Series.NORMAL
    agency = agency or agencies.first()
    if agency is None:
        raise Http404
    if not selectors.may_open_register(request.user, agency.pk, series):
        services.secret_attempt_log(
            user=request.user,
            agency_id=agency.pk,
            attempt=SecretAttempt.REGISTER_PRINT,
            detail=f"{direction} {year}",
        )
        raise PermissionDenied
    return agency, int(year), series


@officer_required
@require_GET
def register_page(request: HttpRequest, direction: str, year: str) -> HttpResponse:
    agency, year_number, series = _register_params(request, direction, year)
    if direction == Direction.INCOMING:
        columns = register_books.incoming_columns()
        rows_iter = register_books.incoming_rows(
            register_books.register_for(agency=agency, year=year_number, direction=direction, series=series),
            user=request.user,
        )
    else:
        columns = register_books.outgoing_columns()
        rows_iter = register_books.outgoing_rows(
            register_books.register_for(agency=agency, year=year_number, direction=direction, series=series),
            user=request.user,
        )
    rows = list(itertools.islice(rows_iter, REGISTER_PAGE_ROWS + 1))
    query = f"agency={agency.pk}&series={series}"
    context = {
        "agency": agency,
        "year": year_number,
        "direction": direction,
        "direction_label": Direction(direction).label,
        "series": series,
        "series_label": Series(series).label,
        "columns": [name for name, _ in columns],
        "rows": rows[:REGISTER_PAGE_ROWS],
        "truncated": len(rows) > REGISTER_PAGE_ROWS,
        "query": query,
        "pdf_url": reverse("documents:register_pdf", kwargs={"direction": direction, "year": year_number})
        + f"?{query}",
        "xlsx_url": reverse("documents:register_xlsx", kwargs={"direction": direction, "year": year_number})
        + f"?{query}",
    }
    return render(request, "documents/register.html", context)


@officer_required
@require_GET
def register_pdf(request: HttpRequest, direction: str, year: str) -> HttpResponse:
    """The register printed for binding (Decree 30/2020 arts. 16.2.b, 22.3.b), A4 landscape."""
    agency, year_number, series = _register_params(request, direction, year)
    content = register_books.register_pdf(
        agency=agency, year=year_number, direction=direction, series=series, user=request.user
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="so-van-ban-{direction}-{agency.code}-{year_number}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@officer_required
@require_GET
def register_xlsx(request: HttpRequest, direction: str, year: str) -> HttpResponse:
    agency, year_number, series = _register_params(request, direction, year)
    content = register_books.register_xlsx(
        agency=agency, year=year_number, direction=direction, series=series, user=request.user
    )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="so-van-ban-{direction}-{agency.code}-{year_number}.xlsx"'
    )
    response["Cache-Control"] = "private, no-store"
    return response
