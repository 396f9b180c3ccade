"""Public catalog API (``/api/v1/procedures``): search and procedure details, no authentication.

Contract (DESIGN.md "Integration contract"): lists answer ``{"items": [...], "count": N}`` and page with
``?limit=&offset=``; a procedure item has at least ``code``, ``name``, ``field``, ``level``,
``processing_time`` (``amount``, ``unit``), ``fees`` and ``online_level``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field as SchemaField
from ninja import Query, Router, Schema

from egov.core.errors import NotFound, ValidationFailed

from .choices import GovernmentLevel
from .models import Procedure
from .selectors import procedure_agencies, procedure_default_template, procedure_get, procedure_search
from .services import time_label

router = Router(tags=["procedures"])

MAX_LIMIT = 100


# ---- input ------------------------------------------------------------------------------------------
class ProcedureFilterIn(Schema):
    q: str | None = SchemaField(None, description="Từ khóa, không phân biệt dấu và hoa thường")
    field: str | None = SchemaField(None, description="Mã lĩnh vực, ví dụ HT")
    level: str | None = SchemaField(None, description="commune | province | central")
    limit: int = SchemaField(20, ge=1, description="Số mục mỗi trang (tối đa 100)")
    offset: int = SchemaField(0, ge=0)


# ---- output -----------------------------------------------------------------------------------------
class FieldOut(Schema):
    code: str
    name: str


class ProcessingTimeOut(Schema):
    amount: int | float
    unit: str
    label: str


class FeesOut(Schema):
    in_person: int
    online: int
    note: str


class ProcedureItemOut(Schema):
    code: str
    name: str
    field: FieldOut
    level: str
    implementing_agency: str
    processing_time: ProcessingTimeOut
    fees: FeesOut
    online_level: str


class ProcedureListOut(Schema):
    items: list[ProcedureItemOut]
    count: int


class RequiredDocumentOut(Schema):
    position: int
    name: str
    form: str
    form_label: str
    quantity: int
    mandatory: bool
    template_name: str


class ProcessStepOut(Schema):
    position: int
    name: str
    role: str
    role_label: str
    amount: int | float
    is_decision: bool


class ProcessOut(Schema):
    name: str
    steps: list[ProcessStepOut]


class AgencyOut(Schema):
    code: str
    name: str
    address: str


class ProcedureDetailOut(ProcedureItemOut):
    applicants: str
    conditions: str
    result: str
    legal_basis: str
    required_documents: list[RequiredDocumentOut]
    process: ProcessOut | None
    form_schema: dict[str, Any]
    agencies: list[AgencyOut]
    note: str


class ErrorBodyOut(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorBodyOut


# ---- mapping ----------------------------------------------------------------------------------------
def _number(amount: Decimal) -> int | float:
    amount = Decimal(amount)
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _item(procedure: Procedure) -> dict[str, Any]:
    return {
        "code": procedure.code,
        "name": procedure.name,
        "field": {"code": procedure.field.code, "name": procedure.field.name},
        "level": procedure.level,
        "implementing_agency": procedure.implementing_agency,
        "processing_time": {
            "amount": _number(procedure.processing_amount),
            "unit": procedure.processing_unit,
            "label": time_label(procedure.processing_amount, procedure.processing_unit),
        },
        "fees": {
            "in_person": procedure.fee_in_person,
            "online": procedure.fee_online,
            "note": procedure.fee_note,
        },
        "online_level": procedure.online_level,
    }


def _detail(procedure: Procedure) -> dict[str, Any]:
    template = procedure_default_template(procedure)
    return {
        **_item(procedure),
        "applicants": procedure.applicants,
        "conditions": procedure.conditions,
        "result": procedure.result,
        "legal_basis": procedure.legal_basis,
        "note": procedure.data_note,
        "required_documents": [
            {
                "position": d.position,
                "name": d.name,
                "form": d.form,
                "form_label": str(d.get_form_display()),
                "quantity": d.quantity,
                "mandatory": d.mandatory,
                "template_name": d.template_name,
            }
            for d in sorted(procedure.required_documents.all(), key=lambda d: d.position)
        ],
        "process": None
        if template is None
        else {
            "name": template.name,
            "steps": [
                {
                    "position": s.position,
                    "name": s.name,
                    "role": s.role,
                    "role_label": str(s.get_role_display()),
                    "amount": _number(s.amount),
                    "is_decision": s.is_decision,
                }
                for s in template.steps.all()
            ],
        },
        "form_schema": procedure.form_schema or {},
        "agencies": [
            {"code": a.code, "name": a.name, "address": a.address} for a in procedure_agencies(procedure)
        ],
    }


# ---- endpoints --------------------------------------------------------------------------------------
@router.get("", response={200: ProcedureListOut, 400: ErrorOut}, summary="Tìm thủ tục hành chính", auth=None)
def list_procedures(request: HttpRequest, filters: Query[ProcedureFilterIn]):
    """Search the catalog, diacritic- and case-insensitive; ``limit`` above 100 is reduced to 100."""
    if filters.level and filters.level not in GovernmentLevel.values:
        raise ValidationFailed(
            _("Cấp thực hiện “%(level)s” không hợp lệ (commune, province, central).")
            % {"level": filters.level}
        )
    queryset = procedure_search(filters.q, field=filters.field, level=filters.level)
    limit = min(filters.limit, MAX_LIMIT)
    page = queryset[filters.offset : filters.offset + limit]
    return {"items": [_item(p) for p in page], "count": queryset.count()}


@router.get(
    "/{code}", response={200: ProcedureDetailOut, 404: ErrorOut}, summary="Chi tiết thủ tục", auth=None
)
def get_procedure(request: HttpRequest, code: str):
    """One procedure: processing time, fees, required documents, process steps, form schema, agencies."""
    procedure = procedure_get(code)
    if procedure is None:
        raise NotFound(_("Không tìm thấy thủ tục có mã %(code)s.") % {"code": code})
    return _detail(procedure)
