"""Forms of the catalog admin pages. They only check shapes; the rules live in ``services.py``."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from egov.accounts.choices import Role
from egov.core.choices import TimeUnit

from .choices import CodeSource, DocumentForm, GovernmentLevel, OfferingAgencyKind, OnlineLevel
from .models import Field
from .services import PROCESS_ROLES


class TimeAmountField(forms.DecimalField):
    """A time amount typed the Vietnamese way ("0,5") or with a dot ("0.5"); shown without trailing zeros."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", Decimal("0.01"))
        kwargs.setdefault("max_digits", 6)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "size": 6}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        return value


class ProcedureSearchForm(forms.Form):
    q = forms.CharField(label=_("Từ khóa"), required=False)
    field = forms.ModelChoiceField(
        label=_("Lĩnh vực"), queryset=Field.objects.order_by("name"), required=False, to_field_name="code"
    )
    level = forms.ChoiceField(
        label=_("Cấp thực hiện"), choices=[("", "---"), *GovernmentLevel.choices], required=False
    )
    include_inactive = forms.BooleanField(label=_("Gồm cả thủ tục ngừng áp dụng"), required=False)


class ProcedureForm(forms.Form):
    code = forms.CharField(label=_("Mã thủ tục"), max_length=40, help_text=_("Ví dụ 1.001193"))
    name = forms.CharField(label=_("Tên thủ tục"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    field = forms.ModelChoiceField(label=_("Lĩnh vực"), queryset=Field.objects.order_by("name"))
    level = forms.ChoiceField(label=_("Cấp thực hiện"), choices=GovernmentLevel.choices)
    implementing_agency = forms.CharField(label=_("Cơ quan thực hiện"), max_length=255)
    offered_by = forms.MultipleChoiceField(
        label=_("Loại cơ quan tiếp nhận"),
        choices=OfferingAgencyKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    processing_amount = TimeAmountField(
        label=_("Thời hạn giải quyết"), help_text=_("Thủ tục giải quyết trong ngày: nhập 1.")
    )
    processing_unit = forms.ChoiceField(label=_("Đơn vị thời hạn"), choices=TimeUnit.choices)
    fee_in_person = forms.IntegerField(label=_("Phí, lệ phí nộp trực tiếp (đồng)"), min_value=0, initial=0)
    fee_online = forms.IntegerField(label=_("Phí, lệ phí nộp trực tuyến (đồng)"), min_value=0, initial=0)
    fee_note = forms.CharField(label=_("Ghi chú phí, lệ phí"), max_length=500, required=False)
    online_level = forms.ChoiceField(label=_("Mức độ trực tuyến"), choices=OnlineLevel.choices)
    applicants = forms.CharField(label=_("Đối tượng thực hiện"), max_length=255, required=False)
    conditions = forms.CharField(
        label=_("Yêu cầu, điều kiện"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    result = forms.CharField(label=_("Kết quả"), max_length=500)
    legal_basis = forms.CharField(
        label=_("Căn cứ pháp lý"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    code_source = forms.ChoiceField(label=_("Nguồn mã thủ tục"), choices=CodeSource.choices)
    data_note = forms.CharField(
        label=_("Ghi chú về số liệu chưa xác nhận"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    form_schema = forms.JSONField(
        label=_("Biểu mẫu điện tử (JSON)"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    is_active = forms.BooleanField(label=_("Đang áp dụng"), required=False, initial=True)


class _RowForm(forms.Form):
    """A row of an editable table: inputs have no visible label of their own, so they get an aria-label."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if field.label:
                field.widget.attrs.setdefault("aria-label", str(field.label))


class RequiredDocumentForm(_RowForm):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Tên giấy tờ"), max_length=500)
    form = forms.ChoiceField(
        label=_("Hình thức"), choices=DocumentForm.choices, initial=DocumentForm.ORIGINAL
    )
    quantity = forms.IntegerField(label=_("Số lượng"), min_value=1, initial=1)
    mandatory = forms.BooleanField(label=_("Bắt buộc"), required=False, initial=True)
    template_name = forms.CharField(label=_("Mẫu đơn, tờ khai"), max_length=200, required=False)


RequiredDocumentFormSet = formset_factory(RequiredDocumentForm, extra=1, can_delete=True, can_order=True)


class ProcessStepForm(_RowForm):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Tên bước"), max_length=255)
    role = forms.ChoiceField(
        label=_("Vai trò thực hiện"),
        choices=[(r.value, r.label) for r in PROCESS_ROLES],
        initial=Role.SPECIALIST,
    )
    amount = TimeAmountField(label=_("Thời gian"))
    is_decision = forms.BooleanField(label=_("Bước phê duyệt"), required=False)


ProcessStepFormSet = formset_factory(ProcessStepForm, extra=1, can_delete=True, can_order=True)


class ProcessingTimeForm(forms.Form):
    template_name = forms.CharField(label=_("Tên quy trình"), max_length=255)
    processing_amount = TimeAmountField(label=_("Thời hạn giải quyết"))
    processing_unit = forms.ChoiceField(label=_("Đơn vị thời hạn"), choices=TimeUnit.choices)


class OfferingAddForm(forms.Form):
    procedure_code = forms.CharField(label=_("Mã thủ tục"), max_length=40)
