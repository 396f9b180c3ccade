"""Catalog admin pages: procedures, their papers and processes, and the offerings of each agency.

Only officers holding ``agency_admin`` or ``province_admin`` somewhere may use them (others get 403,
anonymous users go to the login page). Every write goes through ``services.py`` (one transaction each);
a rule broken there is shown on the page with status 400, never as a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from egov.accounts.choices import Role
from egov.accounts.selectors import user_agency_ids
from egov.core.errors import DomainError
from egov.core.models import Agency

from .forms import (
    OfferingAddForm,
    ProcedureForm,
    ProcedureSearchForm,
    ProcessingTimeForm,
    ProcessStepFormSet,
    RequiredDocumentFormSet,
)
from .models import Procedure, ProcedureOffering
from .selectors import offerings_for_agency, procedure_search
from .services import (
    DocumentInput,
    StepInput,
    format_amount,
    offering_ensure,
    offering_set_active,
    procedure_save,
    process_template_create,
    process_template_replace_steps,
    required_documents_replace,
    time_label,
)

CATALOG_ADMIN_ROLES = (Role.AGENCY_ADMIN, Role.PROVINCE_ADMIN)


def catalog_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous -> login page; signed in without an admin role -> 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user_agency_ids(request.user, CATALOG_ADMIN_ROLES):
            raise PermissionDenied(
                _("Chỉ quản trị cơ quan hoặc quản trị cấp tỉnh được quản lý danh mục thủ tục.")
            )
        return view(request, *args, **kwargs)

    return wrapped


def managed_agencies(user) -> QuerySet[Agency]:
    """Agencies whose offerings ``user`` may manage: all for a province admin, their own for an agency admin."""
    if user_agency_ids(user, [Role.PROVINCE_ADMIN]):
        return Agency.objects.filter(is_active=True).order_by("name")
    return Agency.objects.filter(pk__in=user_agency_ids(user, [Role.AGENCY_ADMIN])).order_by("name")


def _procedure_or_404(code: str) -> Procedure:
    return get_object_or_404(Procedure.objects.select_related("field"), code=code)


# ---- procedures ---------------------------------------------------------------------------------------
@catalog_admin_required
@require_http_methods(["GET"])
def procedure_list(request: HttpRequest) -> HttpResponse:
    form = ProcedureSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    queryset = procedure_search(
        filters.get("q"),
        field=filters["field"].code if filters.get("field") else None,
        level=filters.get("level") or None,
        active_only=not filters.get("include_inactive"),
    ).prefetch_related("process_templates")
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    rows = [(p, time_label(p.processing_amount, p.processing_unit)) for p in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    querystring_base = f"{query.urlencode()}&" if query else ""
    return render(
        request,
        "catalog/procedure_list.html",
        {"form": form, "page": page, "rows": rows, "querystring_base": querystring_base},
    )


def _procedure_initial(procedure: Procedure) -> dict:
    return {
        "code": procedure.code,
        "name": procedure.name,
        "field": procedure.field,
        "level": procedure.level,
        "implementing_agency": procedure.implementing_agency,
        "offered_by": list(procedure.offered_by or []),
        "processing_amount": procedure.processing_amount,
        "processing_unit": procedure.processing_unit,
        "fee_in_person": procedure.fee_in_person,
        "fee_online": procedure.fee_online,
        "fee_note": procedure.fee_note,
        "online_level": procedure.online_level,
        "applicants": procedure.applicants,
        "conditions": procedure.conditions,
        "result": procedure.result,
        "legal_basis": procedure.legal_basis,
        "code_source": procedure.code_source,
        "data_note": procedure.data_note,
        "form_schema": procedure.form_schema or {},
        "is_active": procedure.is_active,
    }


@catalog_admin_required
@require_http_methods(["GET", "POST"])
def procedure_edit(request: HttpRequest, code: str | None = None) -> HttpResponse:
    procedure = _procedure_or_404(code) if code else None
    status = 200
    if request.method == "POST":
        form = ProcedureForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = procedure_save(
                    procedure=procedure, **{**data, "form_schema": data.get("form_schema") or {}}
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Đã lưu thủ tục %(code)s.") % {"code": saved.code})
                return redirect("catalog:procedure_edit", code=saved.code)
        status = 400
    else:
        form = ProcedureForm(initial=_procedure_initial(procedure) if procedure else None)
    return render(
        request, "catalog/procedure_form.html", {"form": form, "procedure": procedure}, status=status
    )


# ---- required documents -----------------------------------------------------------------------------
@catalog_admin_required
@require_http_methods(["GET", "POST"])
def documents_edit(request: HttpRequest, code: str) -> HttpResponse:
    procedure = _procedure_or_404(code)
    status = 200
    error = ""
    if request.method == "POST":
        formset = RequiredDocumentFormSet(request.POST, prefix="documents")
        if formset.is_valid():
            documents = [
                DocumentInput(
                    id=f.cleaned_data.get("id"),
                    name=f.cleaned_data["name"],
                    form=f.cleaned_data["form"],
                    quantity=f.cleaned_data["quantity"],
                    mandatory=f.cleaned_data["mandatory"],
                    template_name=f.cleaned_data.get("template_name") or "",
                )
                for f in formset.ordered_forms
            ]
            try:
                required_documents_replace(procedure=procedure, documents=documents)
            except DomainError as exc:
                error = exc.message
            else:
                messages.success(request, _("Đã lưu thành phần hồ sơ."))
                return redirect("catalog:documents_edit", code=procedure.code)
        status = 400
    else:
        formset = RequiredDocumentFormSet(
            prefix="documents",
            initial=[
                {
                    "id": d.pk,
                    "name": d.name,
                    "form": d.form,
                    "quantity": d.quantity,
                    "mandatory": d.mandatory,
                    "template_name": d.template_name,
                }
                for d in procedure.required_documents.order_by("position")
            ],
        )
    return render(
        request,
        "catalog/documents_form.html",
        {"procedure": procedure, "formset": formset, "error": error},
        status=status,
    )


# ---- process templates ------------------------------------------------------------------------------
@catalog_admin_required
@require_http_methods(["GET", "POST"])
def process_edit(request: HttpRequest, code: str, template_id: int | None = None) -> HttpResponse:
    """Edit the steps of a process, and the statutory time with them; the sum check is the service's."""
    procedure = _procedure_or_404(code)
    templates = list(procedure.process_templates.order_by("pk"))
    if template_id is None:
        template = templates[0] if templates else None
    else:
        template = next((t for t in templates if t.pk == template_id), None)
        if template is None:
            raise Http404
    status = 200
    error = ""
    if request.method == "POST":
        time_form = ProcessingTimeForm(request.POST, prefix="time")
        formset = ProcessStepFormSet(request.POST, prefix="steps")
        if time_form.is_valid() and formset.is_valid():
            steps = [
                StepInput(
                    id=f.cleaned_data.get("id"),
                    name=f.cleaned_data["name"],
                    role=f.cleaned_data["role"],
                    amount=f.cleaned_data["amount"],
                    is_decision=f.cleaned_data["is_decision"],
                )
                for f in formset.ordered_forms
            ]
            time = time_form.cleaned_data
            try:
                if template is None:
                    if (time["processing_amount"], time["processing_unit"]) != (
                        procedure.processing_amount,
                        procedure.processing_unit,
                    ):
                        raise DomainError(_("Hãy tạo quy trình trước, rồi mới đổi thời hạn giải quyết."))
                    template = process_template_create(
                        procedure=procedure, name=time["template_name"], steps=steps
                    )
                else:
                    process_template_replace_steps(
                        template=template,
                        steps=steps,
                        name=time["template_name"],
                        processing_amount=time["processing_amount"],
                        processing_unit=time["processing_unit"],
                    )
            except DomainError as exc:
                error = exc.message
            else:
                messages.success(request, _("Đã lưu quy trình “%(name)s”.") % {"name": template.name})
                return redirect("catalog:process_edit_template", code=procedure.code, template_id=template.pk)
        status = 400
    else:
        time_form = ProcessingTimeForm(
            prefix="time",
            initial={
                "template_name": template.name
                if template
                else _("Quy trình %(code)s") % {"code": procedure.code},
                "processing_amount": procedure.processing_amount,
                "processing_unit": procedure.processing_unit,
            },
        )
        formset = ProcessStepFormSet(
            prefix="steps",
            initial=[
                {"id": s.pk, "name": s.name, "role": s.role, "amount": s.amount, "is_decision": s.is_decision}
                for s in (template.steps.order_by("position") if template else [])
            ],
        )
    total = sum((s.amount for s in template.steps.all()), start=0) if template else 0
    return render(
        request,
        "catalog/process_form.html",
        {
            "procedure": procedure,
            "template": template,
            "templates": templates,
            "time_form": time_form,
            "formset": formset,
            "error": error,
            "current_total": format_amount(total),
            "statutory": time_label(procedure.processing_amount, procedure.processing_unit),
        },
        status=status,
    )


# ---- offerings --------------------------------------------------------------------------------------
@catalog_admin_required
@require_http_methods(["GET", "POST"])
def offering_list(request: HttpRequest) -> HttpResponse:
    """The procedures an agency receives, with a form to add one and to stop or resume receiving."""
    agencies = list(managed_agencies(request.user))
    if not agencies:
        raise PermissionDenied(_("Bạn không quản trị cơ quan nào."))
    agency_id = request.POST.get("agency") or request.GET.get("agency")
    agency = next((a for a in agencies if str(a.pk) == str(agency_id)), None) if agency_id else agencies[0]
    if agency is None:
        raise PermissionDenied(_("Bạn không quản trị cơ quan này."))
    add_form = OfferingAddForm()
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "add":
                add_form = OfferingAddForm(request.POST)
                if not add_form.is_valid():
                    raise DomainError(_("Hãy nhập mã thủ tục."))
                code = add_form.cleaned_data["procedure_code"].strip()
                procedure = Procedure.objects.filter(code=code, is_active=True).first()
                if procedure is None:
                    raise DomainError(_("Không tìm thấy thủ tục có mã %(code)s.") % {"code": code})
                offering_ensure(procedure=procedure, agency=agency)
                messages.success(request, _("Đã áp dụng thủ tục %(code)s tại cơ quan.") % {"code": code})
            elif request.POST.get("action") in ("activate", "deactivate"):
                offering = get_object_or_404(
                    ProcedureOffering, pk=request.POST.get("offering"), agency=agency
                )
                offering_set_active(offering=offering, is_active=request.POST["action"] == "activate")
                messages.success(
                    request, _("Đã cập nhật thủ tục %(code)s.") % {"code": offering.procedure.code}
                )
            else:
                raise DomainError(_("Thao tác không hợp lệ."))
        except DomainError as exc:
            messages.error(request, exc.message)
            status = 400
        else:
            return redirect(f"{request.path}?agency={agency.pk}")
    return render(
        request,
        "catalog/offering_list.html",
        {
            "agencies": agencies,
            "agency": agency,
            "rows": [
                (o, time_label(o.procedure.processing_amount, o.procedure.processing_unit))
                for o in offerings_for_agency(agency.pk)
            ],
            "add_form": add_form,
        },
        status=status,
    )
