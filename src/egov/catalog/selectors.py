"""Reads for the catalog: search, one procedure with its papers and process, offerings."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from egov.core.compiled import CompiledQuery
from egov.core.models import Agency

from .models import Field, Procedure, ProcedureOffering, ProcessStep, ProcessTemplate, RequiredDocument
from .search import query_terms


def procedure_search(
    q: str | None = None, *, field: str | None = None, level: str | None = None, active_only: bool = True
) -> QuerySet[Procedure]:
    """Procedures matching every word of ``q``, ignoring diacritics and case.

    Each word is matched as a substring of ``Procedure.search_text`` (normalized code, name and field),
    so "dang ky khai sinh", "ĐĂNG KÝ khai sinh", an NFD-encoded query and "khai si" all find
    "Đăng ký khai sinh". ``field`` is a field code, ``level`` a ``GovernmentLevel`` value.
    """
    queryset = Procedure.objects.select_related("field")
    if active_only:
        queryset = queryset.filter(is_active=True)
    for term in query_terms(q):
        queryset = queryset.filter(search_text__contains=term)
    if field:
        queryset = queryset.filter(field__code=field)
    if level:
        queryset = queryset.filter(level=level)
    return queryset.order_by("code")


def procedure_get(code: str, *, active_only: bool = True) -> Procedure | None:
    """One procedure with its papers and processes (steps in order) loaded, or None."""
    queryset = Procedure.objects.select_related("field").prefetch_related(
        "required_documents",
        Prefetch(
            "process_templates",
            queryset=ProcessTemplate.objects.order_by("pk").prefetch_related(
                Prefetch("steps", queryset=ProcessStep.objects.order_by("position"))
            ),
        ),
    )
    if active_only:
        queryset = queryset.filter(is_active=True)
    return queryset.filter(code=code).first()


def procedure_default_template(procedure: Procedure) -> ProcessTemplate | None:
    """The process used when an agency does not choose another one: the procedure's first template."""
    templates = list(procedure.process_templates.all())
    if templates:
        return min(templates, key=lambda t: t.pk)
    return None


def procedure_agencies(procedure: Procedure) -> QuerySet[Agency]:
    """Agencies currently receiving dossiers for ``procedure``."""
    return Agency.objects.filter(
        is_active=True, offerings__procedure=procedure, offerings__is_active=True
    ).order_by("name")


def offerings_for_agency(agency_id: int, *, active_only: bool = False) -> QuerySet[ProcedureOffering]:
    queryset = ProcedureOffering.objects.filter(agency_id=agency_id).select_related(
        "procedure", "procedure__field", "process_template"
    )
    if active_only:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("procedure__code")


def offering_for(procedure_code: str, agency_id: int) -> ProcedureOffering | None:
    """The active offering of a procedure at an agency, or None."""
    return (
        ProcedureOffering.objects.select_related("procedure", "process_template", "agency")
        .filter(
            procedure__code=procedure_code, agency_id=agency_id, is_active=True, procedure__is_active=True
        )
        .first()
    )


def procedures_offered_by(kind: str) -> list[Procedure]:
    """Active procedures whose ``offered_by`` names the agency kind ``kind`` (an ``OfferingAgencyKind``)."""
    # Filtered in Python: JSON "contains" lookups are not available on SQLite, and the catalog is small.
    return [
        p for p in Procedure.objects.filter(is_active=True).order_by("code") if kind in (p.offered_by or [])
    ]


def fields_list() -> QuerySet[Field]:
    return Field.objects.order_by("name")


# ---- compiled once: counter reception reads these on every dossier ---------------------------------


def _offering_by_codes(procedure_code: str, agency_code: str) -> QuerySet[ProcedureOffering]:
    return ProcedureOffering.objects.select_related("procedure", "agency", "process_template").filter(
        procedure__code=procedure_code, agency__code=agency_code
    )


OFFERING_BY_CODES = CompiledQuery(
    _offering_by_codes, "egov-procedure-code-placeholder", "egov-agency-code-placeholder"
)


def offering_by_codes(procedure_code: str, agency_code: str) -> ProcedureOffering | None:
    """The offering of procedure ``procedure_code`` at the agency coded ``agency_code`` (its procedure,
    agency and process template loaded), active or not: the caller says why an inactive one is refused."""
    found = OFFERING_BY_CODES.objects(procedure_code, agency_code)
    return found[0] if found else None


REQUIRED_DOCUMENTS = CompiledQuery(
    lambda procedure_id: RequiredDocument.objects.filter(procedure_id=procedure_id), -1_000_000_007
)


def required_documents(procedure_id: int) -> list[RequiredDocument]:
    """The papers of a procedure, in their order."""
    return REQUIRED_DOCUMENTS.objects(procedure_id)


PROCESS_STEPS = CompiledQuery(
    lambda template_id: ProcessStep.objects.filter(template_id=template_id).order_by("position"),
    -1_000_000_007,
)


def process_steps(template_id: int) -> list[ProcessStep]:
    """The steps of a process template, in their order."""
    return PROCESS_STEPS.objects(template_id)
