"""The e-form editor for agency admins: change a procedure's form without code.

Two pages over the same definition (``Procedure.form_schema``, the JSON Schema subset of
``egov.portal.eforms``):

* ``/catalog/procedures/<code>/form/``: the definition as JSON in a text area, checked on every action
  (``eforms.check_schema``: every problem listed, in Vietnamese), with a preview rendered by the citizen
  portal's own engine and a "try it" action that validates sample answers exactly as submission will.
* ``/catalog/procedures/<code>/form/fields/``: a table of fields (key, label, type, required, choices,
  prefill path, group, help) for admins who do not write JSON; keywords the table does not show
  (``pattern``, ``maxLength``, ...) are kept.

Same permission as the other catalog pages (agency or province admin). Nothing is saved unless the whole
definition is valid, so the citizen's page never meets a broken form.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.forms import formset_factory
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from egov.core.errors import ValidationFailed
from egov.portal import eforms

from .models import Procedure
from .views import catalog_admin_required

MAX_SCHEMA_CHARS = 200_000


# ---- the write ---------------------------------------------------------------------------------------
@transaction.atomic
def procedure_form_schema_save(*, procedure: Procedure, schema: Mapping[str, Any]) -> Procedure:
    """Replace a procedure's e-form definition, refused (with every problem) unless it is valid.

    Dossiers keep the answers they were submitted with (``Dossier.form_data``), so a new definition only
    changes what later applicants see.
    """
    problems = eforms.check_schema(schema)
    if problems:
        raise ValidationFailed(" ".join(problems), code="invalid_form_schema", field="form_schema")
    schema = dict(schema)
    properties = schema.get("properties") or {}
    if properties and "x-order" not in schema and not any("x-order" in p for p in properties.values()):
        # PostgreSQL's jsonb does not keep the order of keys; a list does. Keep the order as written.
        schema["x-order"] = list(properties)
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    procedure.form_schema = schema
    procedure.save(update_fields=["form_schema", "updated_at"])
    return procedure


def _procedure_or_404(code: str) -> Procedure:
    return get_object_or_404(Procedure.objects.select_related("field"), code=code)


def _pretty(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2)


def parse_schema_text(text: str) -> tuple[dict[str, Any] | None, list[str]]:
    """(definition, problems) from the JSON typed into the editor; an empty text is "no e-form"."""
    text = (text or "").strip()
    if not text:
        return {}, []
    if len(text) > MAX_SCHEMA_CHARS:
        return None, [_("Biểu mẫu quá dài (tối đa %(n)d ký tự).") % {"n": MAX_SCHEMA_CHARS}]
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [
            _("JSON không hợp lệ ở dòng %(line)d, cột %(column)d (%(problem)s).")
            % {"line": exc.lineno, "column": exc.colno, "problem": exc.msg}
        ]
    return schema, eforms.check_schema(schema)


# ---- the JSON editor ---------------------------------------------------------------------------------
@catalog_admin_required
@require_http_methods(["GET", "POST"])
def form_schema_edit(request: HttpRequest, code: str) -> HttpResponse:
    procedure = _procedure_or_404(code)
    raw = procedure.form_schema or {}
    converted = bool(raw) and "properties" not in raw
    schema: dict[str, Any] | None = eforms.as_schema(raw)
    text = _pretty(schema) if schema else ""
    problems: list[str] = []
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    tried = False
    status = 200
    if request.method == "POST":
        text = request.POST.get("schema", "")
        schema, problems = parse_schema_text(text)
        action = request.POST.get("action", "preview")
        if not problems and action == "save":
            try:
                procedure_form_schema_save(procedure=procedure, schema=schema or {})
            except ValidationFailed as exc:
                problems = [exc.message]
            else:
                messages.success(
                    request, _("Đã lưu biểu mẫu điện tử của thủ tục %(code)s.") % {"code": procedure.code}
                )
                return redirect("catalog:form_schema_edit", code=procedure.code)
        elif not problems and action == "check":
            values = eforms.raw_values(schema, request.POST)
            _typed, errors = eforms.clean(schema, values)
            tried = True
        if problems:
            status = 400
    preview = eforms.bind(schema, values=values, errors=errors) if schema and not problems else None
    return render(
        request,
        "catalog/forms_admin/schema_form.html",
        {
            "procedure": procedure,
            "text": text,
            "problems": problems,
            "preview": preview,
            "tried": tried,
            "converted": converted,
            "prefill_paths": [(path, eforms.prefill_path_label(path)) for path in eforms.PREFILL_PATHS],
        },
        status=status,
    )


# ---- the field-list editor ---------------------------------------------------------------------------
KIND_CHOICES = [
    ("text", gettext_lazy("Văn bản một dòng")),
    ("textarea", gettext_lazy("Văn bản nhiều dòng")),
    ("date", gettext_lazy("Ngày tháng")),
    ("integer", gettext_lazy("Số nguyên")),
    ("choice", gettext_lazy("Chọn một trong danh sách")),
    ("boolean", gettext_lazy("Ô đánh dấu (cam đoan)")),
]
# Keywords that belong to one kind only; dropped when the admin changes the kind of a field.
_KIND_KEYWORDS = {
    "format",
    "enum",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "x-widget",
    "default",
}


def _kind_of(spec: eforms.FieldSpec) -> str:
    if spec.kind == "boolean":
        return "boolean"
    if spec.enum:
        return "choice"
    if spec.kind in ("date", "integer"):
        return spec.kind
    return "textarea" if spec.widget == "textarea" else "text"


class FieldRowForm(forms.Form):
    key = forms.CharField(
        label=gettext_lazy("Mã trường"),
        max_length=64,
        help_text=gettext_lazy("Chữ thường không dấu, chữ số, dấu gạch dưới; ví dụ ho_ten."),
    )
    label = forms.CharField(label=gettext_lazy("Nhãn hiển thị"), max_length=300)
    kind = forms.ChoiceField(label=gettext_lazy("Kiểu"), choices=KIND_CHOICES, initial="text")
    required = forms.BooleanField(label=gettext_lazy("Bắt buộc"), required=False)
    choices = forms.CharField(
        label=gettext_lazy("Các lựa chọn (mỗi dòng một giá trị)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    prefill = forms.ChoiceField(label=gettext_lazy("Điền sẵn từ CSDL dân cư"), required=False)
    group = forms.CharField(label=gettext_lazy("Nhóm (tiêu đề khung)"), max_length=200, required=False)
    help = forms.CharField(label=gettext_lazy("Hướng dẫn"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prefill"].choices = [("", _("Không điền sẵn"))] + [
            (path, eforms.prefill_path_label(path)) for path in eforms.PREFILL_PATHS
        ]
        # Rows of a table have no visible label per input: the column heading is read through aria-label.
        for field in self.fields.values():
            field.widget.attrs.setdefault("aria-label", str(field.label))


class _FieldRowBaseFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        for name, label in (("ORDER", _("Thứ tự")), ("DELETE", _("Xóa"))):
            if name in form.fields:
                form.fields[name].widget.attrs.setdefault("aria-label", label)


FieldRowFormSet = formset_factory(
    FieldRowForm, formset=_FieldRowBaseFormSet, extra=1, can_delete=True, can_order=True
)


class FormRootForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Tên tờ khai"), max_length=300, required=False)
    subject = forms.ChoiceField(
        label=gettext_lazy("Cha, mẹ điền sẵn là"),
        choices=[
            ("applicant", gettext_lazy("Cha, mẹ của người nộp")),
            ("child", gettext_lazy("Người nộp và vợ/chồng (tờ khai cho con, ví dụ khai sinh)")),
        ],
        initial="applicant",
    )


def fields_to_schema(base: Mapping[str, Any], root: Mapping[str, Any], rows: list[Mapping[str, Any]]) -> dict:
    """A definition from the table's rows, keeping what the table does not show of ``base``."""
    old_properties = base.get("properties") or {}
    schema: dict[str, Any] = {k: v for k, v in base.items() if k not in ("properties", "required", "x-order")}
    schema.setdefault("$schema", eforms.JSON_SCHEMA_DIALECT)
    schema["type"] = "object"
    if root.get("title"):
        schema["title"] = root["title"]
    else:
        schema.pop("title", None)
    if root.get("subject", "applicant") == "applicant":
        schema.pop("x-subject", None)
    else:
        schema["x-subject"] = root["subject"]
    properties: dict[str, Any] = {}
    required: list[str] = []
    for position, row in enumerate(rows, start=1):
        key = row["key"].strip()
        old = dict(old_properties.get(key) or {})
        old_kind = _kind_of(eforms._spec(key, old, required=False)) if old else None
        prop = {k: v for k, v in old.items() if old_kind == row["kind"] or k not in _KIND_KEYWORDS}
        kind = row["kind"]
        if kind in ("text", "textarea", "choice", "date"):
            prop["type"] = "string"
        else:
            prop["type"] = kind
        if kind == "date":
            prop["format"] = "date"
        if kind == "textarea":
            prop["x-widget"] = "textarea"
        if kind == "choice":
            prop["enum"] = [line.strip() for line in (row.get("choices") or "").splitlines() if line.strip()]
            if prop.get("x-widget") not in ("radio", "select"):
                prop["x-widget"] = "radio" if len(prop["enum"]) <= 4 else "select"
        for hint, value in (("x-label", row["label"]), ("x-group", row.get("group")), ("x-help", row.get("help")),
                            ("x-prefill", row.get("prefill"))):  # fmt: skip
            if value:
                prop[hint] = value.strip()
            else:
                prop.pop(hint, None)
        prop["x-order"] = position
        properties[key] = prop
        if row.get("required"):
            required.append(key)
    schema["properties"] = properties
    if required:
        schema["required"] = required
    return schema


def _rows_initial(schema: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "key": spec.key,
            "label": spec.label,
            "kind": _kind_of(spec),
            "required": spec.required,
            "choices": "\n".join(str(v) for v in spec.enum),
            "prefill": spec.prefill,
            "group": spec.group,
            "help": spec.help,
        }
        for spec in eforms.form_fields(schema)
    ]


@catalog_admin_required
@require_http_methods(["GET", "POST"])
def form_fields_edit(request: HttpRequest, code: str) -> HttpResponse:
    procedure = _procedure_or_404(code)
    base = eforms.as_schema(procedure.form_schema)
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        root = FormRootForm(request.POST, prefix="root")
        formset = FieldRowFormSet(request.POST, prefix="fields")
        if root.is_valid() and formset.is_valid():
            rows = [f.cleaned_data for f in formset.ordered_forms if f.cleaned_data.get("key")]
            keys = [r["key"].strip() for r in rows]
            if len(set(keys)) != len(keys):
                problems.append(_("Mỗi trường cần một mã riêng; có mã bị lặp."))
            schema = fields_to_schema(base, root.cleaned_data, rows) if rows else {}
            problems.extend(eforms.check_schema(schema))
            if not problems:
                procedure_form_schema_save(procedure=procedure, schema=schema)
                messages.success(
                    request, _("Đã lưu biểu mẫu điện tử của thủ tục %(code)s.") % {"code": procedure.code}
                )
                return redirect("catalog:form_fields_edit", code=procedure.code)
        status = 400
    else:
        root = FormRootForm(
            prefix="root",
            initial={"title": base.get("title", ""), "subject": base.get("x-subject", "applicant")},
        )
        formset = FieldRowFormSet(prefix="fields", initial=_rows_initial(base))
    return render(
        request,
        "catalog/forms_admin/fields_form.html",
        {
            "procedure": procedure,
            "root": root,
            "formset": formset,
            "problems": problems,
            "preview": eforms.bind(base) if base else None,
        },
        status=status,
    )
