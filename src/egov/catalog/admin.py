"""Django admin for the catalog (for operators; agency admins use the pages in ``views.py``).

The admin keeps the catalog's rules: the search key is refreshed on save and a process's steps must add
up exactly to the statutory time.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .models import Field, Procedure, ProcedureOffering, ProcessStep, ProcessTemplate, RequiredDocument
from .search import procedure_search_text
from .services import format_amount, time_label


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        for procedure in obj.procedures.select_related("field"):
            text = procedure_search_text(procedure)
            if text != procedure.search_text:
                Procedure.objects.filter(pk=procedure.pk).update(search_text=text)


class RequiredDocumentInline(admin.TabularInline):
    model = RequiredDocument
    extra = 0
    fields = ("position", "name", "form", "quantity", "mandatory", "template_name")


class ProcessTemplateInline(admin.TabularInline):
    model = ProcessTemplate
    extra = 0
    fields = ("name",)
    show_change_link = True


class OfferingInline(admin.TabularInline):
    model = ProcedureOffering
    extra = 0
    fields = ("agency", "process_template", "fee_in_person", "fee_online", "is_active")
    raw_id_fields = ("agency",)


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "field", "level", "processing", "online_level", "is_active")
    list_filter = ("field", "level", "online_level", "processing_unit", "code_source", "is_active")
    search_fields = ("code", "name", "search_text")
    readonly_fields = ("search_text", "updated_at")
    inlines = (RequiredDocumentInline, ProcessTemplateInline, OfferingInline)

    @admin.display(description=_lazy("thời hạn giải quyết"))
    def processing(self, obj: Procedure) -> str:
        return time_label(obj.processing_amount, obj.processing_unit)

    def save_model(self, request, obj, form, change):
        obj.search_text = procedure_search_text(obj)
        super().save_model(request, obj, form, change)


class ProcessStepFormSet(forms.BaseInlineFormSet):
    """The steps' budgets must add up exactly to the procedure's statutory time."""

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        amounts = [
            form.cleaned_data.get("amount") or Decimal(0)
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if not amounts or not self.instance.procedure_id:
            return
        procedure = self.instance.procedure
        total = sum(amounts, Decimal(0))
        if total != procedure.processing_amount:
            raise forms.ValidationError(
                _("Tổng thời gian các bước (%(total)s) phải bằng đúng thời hạn giải quyết (%(statutory)s).")
                % {
                    "total": format_amount(total),
                    "statutory": time_label(procedure.processing_amount, procedure.processing_unit),
                }
            )


class ProcessStepInline(admin.TabularInline):
    model = ProcessStep
    formset = ProcessStepFormSet
    extra = 0
    fields = ("position", "name", "role", "amount", "is_decision")


@admin.register(ProcessTemplate)
class ProcessTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "procedure")
    search_fields = ("name", "procedure__code", "procedure__name")
    autocomplete_fields = ("procedure",)
    inlines = (ProcessStepInline,)


@admin.register(ProcedureOffering)
class ProcedureOfferingAdmin(admin.ModelAdmin):
    list_display = ("procedure", "agency", "process_template", "is_active")
    list_filter = ("is_active", "procedure__field")
    search_fields = ("procedure__code", "procedure__name", "agency__name", "agency__code")
    autocomplete_fields = ("procedure", "process_template")
    raw_id_fields = ("agency",)
