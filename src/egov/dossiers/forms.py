"""Forms of the one-stop back office: the reception desk and one form per dossier action.

Forms only validate what a person typed; every rule of the procedure (mandatory papers, who may act,
which status allows what) is checked by the services, which raise ``DomainError``.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from egov.accounts.choices import Role
from egov.accounts.models import User
from egov.accounts.selectors import officers_with_role, user_agency_ids
from egov.core.models import Agency

from .choices import DocumentOrigin, DossierAction, DossierStatus, ReturnMethod
from .models import Dossier

A = DossierAction

ID_NUMBER_RE = re.compile(r"^\d{9}$|^\d{12}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 .]{7,18}$")
DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]


def _textarea(rows: int = 3, **attrs) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, **attrs})


class OfficerChoiceField(forms.ModelChoiceField):
    """A choice of officer shown by name and position, the way colleagues know each other."""

    def label_from_instance(self, obj: User) -> str:
        name = obj.display_name
        return f"{name} ({obj.position})" if obj.position else name


class ProcedureChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.procedure.name} ({obj.procedure.code}) · {obj.agency.name}"


class DocumentChecklistMixin:
    """The required-documents checklist of a procedure: received on paper, quantity, optional scan.

    Adds three fields per required document and turns the ticked ones into ``DocumentInput``s.
    """

    def add_document_fields(self, required_documents) -> None:
        self.required_documents = list(required_documents)
        for doc in self.required_documents:
            self.fields[f"doc_{doc.pk}_received"] = forms.BooleanField(required=False, label=doc.name)
            self.fields[f"doc_{doc.pk}_quantity"] = forms.IntegerField(
                label=_("Số lượng"), min_value=1, max_value=99, initial=doc.quantity or 1, required=False
            )
            self.fields[f"doc_{doc.pk}_file"] = forms.FileField(label=_("Tệp đính kèm"), required=False)

    def document_rows(self) -> list[dict]:
        missing = getattr(self, "missing_document_ids", set())
        return [
            {
                "doc": doc,
                "received": self[f"doc_{doc.pk}_received"],
                "quantity": self[f"doc_{doc.pk}_quantity"],
                "file": self[f"doc_{doc.pk}_file"],
                "missing": doc.pk in missing,
            }
            for doc in self.required_documents
        ]

    def flag_missing_documents(self) -> None:
        """Mark the mandatory papers neither ticked nor attached, so the clerk sees which rows to fix."""
        given = (
            {d.required_document_id for d in self.document_inputs()}
            if hasattr(self, "cleaned_data")
            else set()
        )
        self.missing_document_ids = {
            d.pk for d in self.required_documents if d.mandatory and d.pk not in given
        }

    def has_files(self) -> bool:
        return any(self.files.get(self.add_prefix(f"doc_{doc.pk}_file")) for doc in self.required_documents)

    def document_inputs(self) -> list:
        from .services import DocumentInput

        inputs = []
        for doc in self.required_documents:
            upload = self.cleaned_data.get(f"doc_{doc.pk}_file")
            if not (self.cleaned_data.get(f"doc_{doc.pk}_received") or upload):
                continue
            inputs.append(
                DocumentInput(
                    name=doc.name,
                    required_document_id=doc.pk,
                    origin=DocumentOrigin.UPLOAD if upload else DocumentOrigin.PAPER,
                    quantity=self.cleaned_data.get(f"doc_{doc.pk}_quantity") or doc.quantity or 1,
                    file=upload or None,
                )
            )
        return inputs


class ProcedureChooserForm(forms.Form):
    """Step 1 of the reception desk: find and choose the procedure (works without JavaScript)."""

    q = forms.CharField(label=_("Tìm thủ tục theo tên hoặc mã"), required=False, max_length=200)

    def __init__(self, *args, offerings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offering"] = ProcedureChoiceField(
            label=_("Thủ tục hành chính"),
            queryset=offerings,
            empty_label=_("— Chọn thủ tục —"),
            required=False,
        )
        self.fields["q"].widget.attrs.update({"data-filter-for": "id_offering", "type": "search"})


class ReceptionForm(DocumentChecklistMixin, forms.Form):
    """Step 2 of the reception desk: the applicant, the papers received and how the result is returned."""

    applicant_name = forms.CharField(label=_("Họ và tên người nộp"), max_length=150)
    applicant_id_number = forms.CharField(
        label=_("Số định danh cá nhân (CCCD)"),
        max_length=12,
        required=False,
        help_text=_("12 chữ số trên thẻ Căn cước (hoặc 9 số CMND cũ)."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    applicant_phone = forms.CharField(
        label=_("Số điện thoại"), max_length=20, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    applicant_email = forms.EmailField(label=_("Thư điện tử"), required=False)
    applicant_address = forms.CharField(label=_("Địa chỉ"), max_length=255, required=False)
    subject = forms.CharField(
        label=_("Nội dung yêu cầu"),
        max_length=500,
        required=False,
        widget=_textarea(2),
        help_text=_("Để trống nếu trùng với tên thủ tục."),
    )
    set_count = forms.IntegerField(label=_("Số bộ hồ sơ"), min_value=1, max_value=20, initial=1)
    return_method = forms.ChoiceField(
        label=_("Hình thức nhận kết quả"), choices=ReturnMethod.choices, initial=ReturnMethod.COUNTER
    )

    def __init__(self, *args, offering, **kwargs):
        super().__init__(*args, **kwargs)
        self.offering = offering
        self.fields["offering"] = forms.IntegerField(widget=forms.HiddenInput, initial=offering.pk)
        self.fields["next_assignee"] = OfficerChoiceField(
            label=_("Chuyển cho chuyên viên"),
            queryset=officers_with_role(offering.agency_id, Role.SPECIALIST),
            required=False,
            empty_label=_("— Chuyển vào việc chung của bộ phận chuyên môn —"),
        )
        self.add_document_fields(offering.procedure.required_documents.order_by("position"))

    def clean_applicant_id_number(self) -> str:
        value = self.cleaned_data["applicant_id_number"].strip().replace(" ", "")
        if value and not ID_NUMBER_RE.match(value):
            raise forms.ValidationError(_("Số định danh cá nhân gồm 12 chữ số (hoặc 9 chữ số với CMND cũ)."))
        return value

    def clean_applicant_phone(self) -> str:
        value = self.cleaned_data["applicant_phone"].strip()
        if value and not PHONE_RE.match(value):
            raise forms.ValidationError(_("Số điện thoại không hợp lệ, ví dụ 0912 345 678."))
        return value

    def applicant_input(self):
        from .services import ApplicantInput

        data = self.cleaned_data
        return ApplicantInput(
            name=data["applicant_name"].strip(),
            id_number=data["applicant_id_number"],
            phone=data["applicant_phone"],
            email=data["applicant_email"],
            address=data["applicant_address"].strip(),
        )


# --- One form per dossier action -------------------------------------------------------------------------


def _next_step_role(dossier: Dossier, after_position: int | None) -> str | None:
    """The role of the process step after ``after_position`` (the first step when ``None``)."""
    steps = list(dossier.offering.process_template.steps.order_by("position").values_list("position", "role"))
    for position, role in steps:
        if after_position is None or position > after_position:
            return role
    return None


def _officers(dossier: Dossier, role: str | None):
    if role:
        return officers_with_role(dossier.agency_id, role)
    return (
        User.objects.filter(roles__agency_id=dossier.agency_id, roles__is_active=True, is_active=True)
        .distinct()
        .order_by("full_name", "username")
    )


class ActionForm(forms.Form):
    """Base of the dossier action forms: knows the dossier and the acting officer."""

    action: str = ""
    button = ""
    danger = False

    def __init__(self, *args, dossier: Dossier, user: User, current_task=None, **kwargs):
        kwargs.setdefault("prefix", self.action)
        super().__init__(*args, **kwargs)
        self.dossier = dossier
        self.user = user
        self.current_task = current_task

    @property
    def label(self) -> str:
        return DossierAction(self.action).label


class ReceiveForm(ActionForm):
    action = A.RECEIVE
    button = _("Xác nhận tiếp nhận hồ sơ")

    note = forms.CharField(label=_("Ghi chú"), required=False, widget=_textarea(2))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        first_role = _next_step_role(self.dossier, None)
        second_role = _next_step_role(self.dossier, 1) if first_role else None
        self.fields["next_assignee"] = OfficerChoiceField(
            label=_("Chuyển cho"),
            queryset=_officers(self.dossier, second_role or Role.SPECIALIST),
            required=False,
            empty_label=_("— Chuyển vào việc chung của bộ phận —"),
        )
        self.order_fields(["next_assignee", "note"])


class RequestSupplementForm(ActionForm):
    action = A.REQUEST_SUPPLEMENT
    button = _("Gửi yêu cầu bổ sung")

    items = forms.CharField(
        label=_("Giấy tờ, nội dung cần bổ sung"),
        help_text=_("Mỗi dòng một nội dung. Ghi đầy đủ một lần (Nghị định 61/2018, Điều 17)."),
        widget=_textarea(4),
    )
    reason = forms.CharField(label=_("Lý do"), widget=_textarea(2))

    def clean_items(self) -> list[str]:
        lines = [line.strip(" \t-•") for line in self.cleaned_data["items"].splitlines()]
        lines = [line for line in lines if line]
        if not lines:
            raise forms.ValidationError(_("Ghi ít nhất một nội dung cần bổ sung."))
        return lines


class SupplementForm(DocumentChecklistMixin, ActionForm):
    action = A.SUPPLEMENT
    button = _("Ghi nhận hồ sơ bổ sung")

    note = forms.CharField(label=_("Ghi chú"), required=False, widget=_textarea(2))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_document_fields(self.dossier.procedure.required_documents.order_by("position"))

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.document_inputs():
            raise forms.ValidationError(_("Đánh dấu hoặc đính kèm ít nhất một giấy tờ bổ sung."))
        return cleaned


class RefuseForm(ActionForm):
    action = A.REFUSE
    button = _("Từ chối tiếp nhận hồ sơ")
    danger = True

    reason = forms.CharField(label=_("Lý do từ chối"), widget=_textarea(3))


class AssignForm(ActionForm):
    action = A.ASSIGN
    button = _("Phân công xử lý")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        role = self.current_task.role if self.current_task is not None else None
        self.fields["assignee"] = OfficerChoiceField(
            label=_("Cán bộ xử lý"), queryset=_officers(self.dossier, role)
        )


class CompleteStepForm(ActionForm):
    action = A.COMPLETE_STEP
    button = _("Hoàn thành bước, chuyển tiếp")

    note = forms.CharField(label=_("Ý kiến xử lý"), required=False, widget=_textarea(3))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        position = self.current_task.position if self.current_task is not None else None
        self.fields["next_assignee"] = OfficerChoiceField(
            label=_("Chuyển cho"),
            queryset=_officers(self.dossier, _next_step_role(self.dossier, position)),
            required=False,
            empty_label=_("— Chuyển vào việc chung của bước sau —"),
        )


class ConsultForm(ActionForm):
    action = A.CONSULT
    button = _("Gửi xin ý kiến")

    question = forms.CharField(label=_("Nội dung xin ý kiến"), widget=_textarea(3))
    amount = forms.DecimalField(
        label=_("Thời hạn trả lời (ngày làm việc)"),
        min_value=Decimal("0.5"),
        max_value=Decimal("30"),
        decimal_places=1,
        initial=Decimal("2"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"] = forms.ModelChoiceField(
            label=_("Cơ quan được xin ý kiến"),
            queryset=Agency.objects.filter(is_active=True)
            .exclude(pk=self.dossier.agency_id)
            .order_by("name"),
            empty_label=_("— Chọn cơ quan —"),
        )
        self.order_fields(["agency", "question", "amount"])


class AnswerConsultationForm(ActionForm):
    action = A.ANSWER_CONSULTATION
    button = _("Gửi ý kiến trả lời")

    answer = forms.CharField(label=_("Ý kiến trả lời"), widget=_textarea(3))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consultation"] = forms.ModelChoiceField(
            label=_("Trả lời cho yêu cầu"),
            queryset=self.dossier.consultations.filter(
                answered_at__isnull=True, agency_id__in=user_agency_ids(self.user)
            ).select_related("agency"),
            empty_label=None,
        )
        self.fields["consultation"].label_from_instance = lambda c: f"{c.agency.name}: {c.question[:80]}"
        self.order_fields(["consultation", "answer"])


class ApproveForm(ActionForm):
    action = A.APPROVE
    button = _("Phê duyệt hồ sơ")

    note = forms.CharField(label=_("Ý kiến phê duyệt"), required=False, widget=_textarea(2))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        position = self.current_task.position if self.current_task is not None else None
        self.fields["next_assignee"] = OfficerChoiceField(
            label=_("Chuyển trả kết quả cho"),
            queryset=_officers(self.dossier, _next_step_role(self.dossier, position)),
            required=False,
            empty_label=_("— Chuyển vào việc chung của bộ phận —"),
        )


class DenyForm(ActionForm):
    action = A.DENY
    button = _("Không giải quyết hồ sơ")
    danger = True

    reason = forms.CharField(label=_("Lý do không giải quyết"), widget=_textarea(3))


class ResultReadyForm(ActionForm):
    action = A.RESULT_READY
    button = _("Xác nhận đã có kết quả")

    result_file = forms.FileField(
        label=_("Tệp kết quả (PDF đã ký)"),
        required=False,
        help_text=_("Bắt buộc khi trả kết quả trực tuyến."),
    )
    note = forms.CharField(label=_("Ghi chú"), required=False, widget=_textarea(2))


class ReturnForm(ActionForm):
    action = A.RETURN
    button = _("Trả kết quả cho người nộp")

    method = forms.ChoiceField(label=_("Hình thức trả kết quả"), choices=ReturnMethod.choices)
    note = forms.CharField(label=_("Ghi chú"), required=False, widget=_textarea(2))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].initial = self.dossier.return_method


class ApologizeForm(ActionForm):
    action = A.APOLOGIZE
    button = _("Gửi phiếu xin lỗi, hẹn lại")

    reason = forms.CharField(label=_("Lý do chậm trả kết quả"), widget=_textarea(3))
    new_due_at = forms.DateTimeField(
        label=_("Hẹn lại ngày giờ trả kết quả"),
        input_formats=DATETIME_INPUT_FORMATS,
        help_text=_("Chỉ được hẹn lại một lần, chậm nhất 01 ngày trước hạn (Nghị định 61/2018, Điều 19.9)."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class WithdrawForm(ActionForm):
    action = A.WITHDRAW
    button = _("Rút hồ sơ theo đề nghị")
    danger = True

    reason = forms.CharField(label=_("Lý do rút hồ sơ"), widget=_textarea(2))


ACTION_FORMS: dict[str, type[ActionForm]] = {
    form.action: form
    for form in (
        ReceiveForm,
        RequestSupplementForm,
        SupplementForm,
        RefuseForm,
        AssignForm,
        CompleteStepForm,
        ConsultForm,
        AnswerConsultationForm,
        ApproveForm,
        DenyForm,
        ResultReadyForm,
        ReturnForm,
        ApologizeForm,
        WithdrawForm,
    )
}


class WorklistFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Trạng thái hồ sơ"), required=False, choices=[("", _("Tất cả"))] + list(DossierStatus.choices)
    )


class DossierSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Mã hồ sơ, tên, số định danh hoặc điện thoại người nộp"), required=False, max_length=100
    )
    status = forms.ChoiceField(
        label=_("Trạng thái"), required=False, choices=[("", _("Tất cả"))] + list(DossierStatus.choices)
    )
