"""Forms of the document pages. They only validate what a person typed; every rule (who may act, which
status allows what, numbering, secrecy) is checked by the services, which raise ``DomainError``."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from egov.accounts.choices import Role
from egov.accounts.models import User
from egov.accounts.selectors import user_has_role
from egov.core.calendar import LOCAL_TZ, get_calendar
from egov.core.models import Agency, Department

from .choices import (
    DeliveryChannel,
    Direction,
    IncomingAction,
    IncomingSource,
    IncomingStatus,
    OpinionKind,
    OutgoingAction,
    OutgoingStatus,
    RecipientKind,
    Secrecy,
    Series,
    Urgency,
)
from .models import DocumentType, IncomingDocument, OutgoingDocument

DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
NUMBER_NOTATION_RE = re.compile(
    r"^\s*(?:Số:?\s*)?(?P<number>[^/\s]{0,11})\s*/\s*(?P<notation>\S{1,30})\s*$", re.I
)


def split_number_notation(value: str) -> tuple[str, str]:
    """``"15/QĐ-UBND"`` -> ``("15", "QĐ-UBND")``; a value without "/" is a bare number or notation."""
    value = (value or "").strip()
    match = NUMBER_NOTATION_RE.match(value)
    if match:
        return match.group("number"), match.group("notation")
    return (value, "") if value.isdigit() else ("", value.replace(" ", ""))


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class OfficerChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name} ({obj.position})" if obj.position else obj.display_name


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def _agency_choice(agencies) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(label=_("Cơ quan"), queryset=agencies, empty_label=None)


def _types() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Loại văn bản"),
        queryset=DocumentType.objects.filter(is_active=True),
        empty_label=_("— Chọn loại —"),
    )


class IncomingRegisterForm(forms.Form):
    """Đăng ký văn bản đến (Decree 30/2020 art. 22): the metadata of Appendix VI and the scanned files."""

    issuer_name = forms.CharField(label=_("Cơ quan ban hành"), max_length=200)
    issuer_code = forms.CharField(
        label=_("Mã định danh cơ quan ban hành"),
        max_length=35,
        required=False,
        help_text=_("Ví dụ 000.00.00.H26."),
    )
    number_notation = forms.CharField(
        label=_("Số, ký hiệu văn bản"), max_length=45, required=False, help_text=_("Ví dụ 15/QĐ-UBND.")
    )
    document_date = forms.DateField(
        label=_("Ngày văn bản"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    subject = forms.CharField(label=_("Trích yếu nội dung"), max_length=500, widget=_textarea(2))
    urgency = forms.ChoiceField(label=_("Độ khẩn"), choices=Urgency.choices, initial=Urgency.NORMAL)
    secrecy = forms.ChoiceField(label=_("Độ mật"), choices=Secrecy.choices, initial=Secrecy.NONE)
    source = forms.ChoiceField(
        label=_("Hình thức nhận"),
        choices=[
            (IncomingSource.PAPER, IncomingSource.PAPER.label),
            (IncomingSource.ELECTRONIC, IncomingSource.ELECTRONIC.label),
        ],
        initial=IncomingSource.PAPER,
    )
    page_count = forms.IntegerField(
        label=_("Số trang"), min_value=0, max_value=999, initial=1, required=False
    )
    signer_name = forms.CharField(label=_("Người ký"), max_length=50, required=False)
    signer_position = forms.CharField(label=_("Chức vụ người ký"), max_length=100, required=False)
    arrival_at = forms.DateTimeField(
        label=_("Thời điểm đến"),
        required=False,
        input_formats=DATETIME_INPUT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Để trống: thời điểm đăng ký."),
    )
    deadline = forms.DateField(
        label=_("Hạn xử lý (nếu có)"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    linked_dossier_code = forms.CharField(
        label=_("Mã hồ sơ một cửa liên quan"), max_length=40, required=False
    )
    files = MultipleFileField(label=_("Tệp văn bản (PDF, JPEG, PNG)"), required=False)
    confirm_duplicate = forms.BooleanField(
        label=_("Tôi đã kiểm tra: vẫn đăng ký văn bản này"), required=False, widget=forms.HiddenInput()
    )

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"agency": _agency_choice(agencies), "document_type": _types(), **self.fields}
        if agencies.count() == 1:
            self.fields["agency"].widget = forms.HiddenInput()
            self.fields["agency"].initial = agencies.first().pk

    def show_duplicate_confirmation(self) -> None:
        self.fields["confirm_duplicate"].widget = forms.CheckboxInput()

    def clean(self):
        data = super().clean()
        data["code_number"], data["code_notation"] = split_number_notation(data.get("number_notation", ""))
        if data.get("arrival_at") is not None and timezone.is_naive(data["arrival_at"]):
            data["arrival_at"] = data["arrival_at"].replace(tzinfo=LOCAL_TZ)
        return data


# ---- incoming actions --------------------------------------------------------------------------------


class IncomingActionForm(forms.Form):
    action: str = ""
    label = ""
    button = _("Thực hiện")
    danger = False

    def __init__(self, *args, document: IncomingDocument, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.document = document
        self.user = user


def _officers_of(agency_id: int):
    return (
        User.objects.filter(roles__agency_id=agency_id, roles__is_active=True, is_active=True)
        .distinct()
        .order_by("full_name", "username")
    )


class AssignForm(IncomingActionForm):
    action = IncomingAction.ASSIGN
    label = _("Phân công xử lý")
    button = _("Phân công")

    instructions = forms.CharField(
        label=_("Ý kiến chỉ đạo"), max_length=4000, required=False, widget=_textarea()
    )
    deadline_days = forms.IntegerField(
        label=_("Hạn xử lý (số ngày làm việc)"),
        min_value=1,
        max_value=365,
        required=False,
        help_text=_("Hoặc chọn ngày cụ thể bên dưới."),
    )
    deadline_date = forms.DateField(
        label=_("Hạn xử lý (ngày)"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        agency_id = self.document.agency_id
        departments = Department.objects.filter(agency_id=agency_id).order_by("name")
        officers = _officers_of(agency_id)
        self.fields = {
            "lead_department": forms.ModelChoiceField(
                label=_("Đơn vị chủ trì"), queryset=departments, required=False, empty_label=_("— Không —")
            ),
            "coordinating_departments": forms.ModelMultipleChoiceField(
                label=_("Đơn vị phối hợp"),
                queryset=departments,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            ),
            "assignees": OfficerChoiceField(label=_("Người xử lý"), queryset=officers, required=False),
            "readers": OfficerChoiceField(label=_("Người nhận để biết"), queryset=officers, required=False),
            **self.fields,
        }

    def clean(self):
        data = super().clean()
        if data.get("deadline_days"):
            from .services import deadline_after_working_days

            data["deadline"] = deadline_after_working_days(data["deadline_days"])
        elif data.get("deadline_date"):
            data["deadline"] = get_calendar().close_of(data["deadline_date"])
        else:
            data["deadline"] = None
        return data


class OpinionForm(IncomingActionForm):
    action = IncomingAction.ADD_OPINION
    label = _("Cho ý kiến xử lý")
    button = _("Gửi ý kiến")

    kind = forms.ChoiceField(
        label=_("Loại ý kiến"),
        choices=[
            (OpinionKind.OPINION, OpinionKind.OPINION.label),
            (OpinionKind.PROPOSAL, OpinionKind.PROPOSAL.label),
        ],
    )
    text = forms.CharField(label=_("Nội dung"), max_length=4000, widget=_textarea())


class CompleteForm(IncomingActionForm):
    action = IncomingAction.COMPLETE
    label = _("Hoàn thành xử lý")
    button = _("Hoàn thành")

    result = forms.CharField(label=_("Kết quả xử lý"), max_length=4000, required=False, widget=_textarea())


class IncomingRecallForm(IncomingActionForm):
    action = IncomingAction.RECALL
    label = _("Thu hồi (bên gửi lấy lại)")
    button = _("Thu hồi, xóa nội dung")
    danger = True

    reason = forms.CharField(label=_("Căn cứ thu hồi"), max_length=4000, widget=_textarea(2))


INCOMING_FORMS: dict[str, type[IncomingActionForm]] = {
    f.action: f for f in (AssignForm, OpinionForm, CompleteForm, IncomingRecallForm)
}


# ---- outgoing ------------------------------------------------------------------------------------------


def _replyable(agency_ids):
    """Incoming documents a reply may answer: not recalled, from the last twelve months (a choice list, not
    a search: older ones are linked from their own page)."""
    since = timezone.now() - dt.timedelta(days=366)
    return (
        IncomingDocument.objects.filter(agency_id__in=agency_ids, arrival_at__gte=since)
        .exclude(status=IncomingStatus.RECALLED)
        .order_by("-arrival_at")
    )


class OutgoingDraftForm(forms.Form):
    """Soạn thảo văn bản đi (Decree 30/2020 art. 10): metadata, recipients and the first draft."""

    subject = forms.CharField(label=_("Trích yếu nội dung"), max_length=500, widget=_textarea(2))
    urgency = forms.ChoiceField(label=_("Độ khẩn"), choices=Urgency.choices, initial=Urgency.NORMAL)
    secrecy = forms.ChoiceField(
        label=_("Độ mật"),
        choices=Secrecy.choices,
        initial=Secrecy.NONE,
        help_text=_("Văn bản mật chỉ được gửi bản giấy, không gửi qua mạng."),
    )
    signer_competence = forms.ChoiceField(
        label=_("Quyền hạn ký"),
        required=False,
        choices=[
            ("", _("Trực tiếp")),
            ("TM.", "TM."),
            ("KT.", "KT."),
            ("Q.", "Q."),
            ("TL.", "TL."),
            ("TUQ.", "TUQ."),
        ],
    )
    signer_name = forms.CharField(label=_("Người ký"), max_length=50, required=False)
    signer_position = forms.CharField(label=_("Chức vụ người ký"), max_length=100, required=False)
    page_count = forms.IntegerField(
        label=_("Số trang"), min_value=0, max_value=999, initial=1, required=False
    )
    copies = forms.IntegerField(label=_("Số lượng bản"), min_value=1, max_value=999, initial=1)
    other_recipients = forms.CharField(
        label=_("Nơi nhận khác"),
        required=False,
        widget=_textarea(2),
        help_text=_("Mỗi dòng: mã định danh; tên cơ quan; hệ thống nhận (nếu khác tỉnh)."),
    )
    paper = forms.BooleanField(
        label=_("Gửi bản giấy cho nơi nhận bên ngoài (không gửi qua mạng)"), required=False
    )
    linked_dossier_code = forms.CharField(
        label=_("Mã hồ sơ một cửa liên quan"), max_length=40, required=False
    )
    file = forms.FileField(label=_("Dự thảo (PDF, DOCX…)"), required=False)

    def __init__(self, *args, agencies, reply_to: IncomingDocument | None = None, **kwargs):
        """``reply_to``: the incoming document the draft answers, preselected (the reply button of its page),
        offered even when it is older than the choice list reaches."""
        super().__init__(*args, **kwargs)
        agency_ids = list(agencies.values_list("pk", flat=True))
        departments = (
            Department.objects.filter(agency_id__in=agency_ids).select_related("agency").order_by("name")
        )
        self.fields = {
            "agency": _agency_choice(agencies),
            "document_type": _types(),
            **self.fields,
        }
        self.fields["drafting_department"] = forms.ModelChoiceField(
            label=_("Đơn vị soạn thảo"), queryset=departments, required=False
        )
        self.fields["internal_recipients"] = forms.ModelMultipleChoiceField(
            label=_("Đơn vị nhận trong cơ quan"),
            queryset=departments,
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        self.fields["recipient_agencies"] = forms.ModelMultipleChoiceField(
            label=_("Cơ quan nhận"),
            queryset=Agency.objects.filter(is_active=True).exclude(pk__in=agency_ids).order_by("name"),
            required=False,
        )
        replyable = _replyable(agency_ids)
        if reply_to is not None:
            replyable = replyable | IncomingDocument.objects.filter(pk=reply_to.pk, agency_id__in=agency_ids)
        self.fields["reply_to"] = forms.ModelChoiceField(
            label=_("Trả lời văn bản đến"),
            queryset=replyable.distinct(),
            required=False,
        )
        if len(agency_ids) == 1:
            self.fields["agency"].widget = forms.HiddenInput()
            self.fields["agency"].initial = agency_ids[0]
        if reply_to is not None:
            self.fields["reply_to"].initial = reply_to.pk
            self.fields["agency"].initial = reply_to.agency_id

    def clean_other_recipients(self) -> list[tuple[str, str, str]]:
        lines = []
        for raw in (self.cleaned_data.get("other_recipients") or "").splitlines():
            if not raw.strip():
                continue
            parts = [p.strip() for p in raw.split(";")]
            code = parts[0].upper()
            if not re.fullmatch(r"[0-9A-Z.]{1,35}", code):
                raise forms.ValidationError(_("Mã định danh “%(c)s” không hợp lệ."), params={"c": parts[0]})
            lines.append((code, parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else ""))
        return lines

    def recipient_inputs(self) -> list:
        from .services import RecipientInput

        data = self.cleaned_data
        channel = DeliveryChannel.PAPER if data.get("paper") else DeliveryChannel.ELECTRONIC
        rows = [
            RecipientInput(kind=RecipientKind.INTERNAL, department=d)
            for d in data.get("internal_recipients") or []
        ]
        rows += [
            RecipientInput(kind=RecipientKind.AGENCY, organ_id=a.code, name=a.name, channel=channel)
            for a in data.get("recipient_agencies") or []
        ]
        for code, name, instance in data.get("other_recipients") or []:
            kind = RecipientKind.INSTANCE if instance else RecipientKind.AGENCY
            rows.append(
                RecipientInput(kind=kind, organ_id=code, name=name, instance=instance, channel=channel)
            )
        return rows


class OutgoingActionForm(forms.Form):
    action: str = ""
    label = ""
    button = _("Thực hiện")
    danger = False
    multipart = False

    def __init__(self, *args, document: OutgoingDocument, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.document = document
        self.user = user


class VersionForm(OutgoingActionForm):
    action = OutgoingAction.ADD_VERSION
    label = _("Tải lên dự thảo mới")
    button = _("Lưu phiên bản mới")
    multipart = True

    file = forms.FileField(label=_("Tệp dự thảo"))
    note = forms.CharField(label=_("Nội dung chỉnh sửa"), max_length=500, required=False)


class SubmitForm(OutgoingActionForm):
    action = OutgoingAction.SUBMIT
    label = _("Trình lãnh đạo duyệt")
    button = _("Trình duyệt")

    note = forms.CharField(label=_("Ghi chú"), max_length=4000, required=False, widget=_textarea(2))


class ApproveForm(OutgoingActionForm):
    action = OutgoingAction.APPROVE
    label = _("Duyệt dự thảo")
    button = _("Duyệt")

    note = forms.CharField(label=_("Ý kiến"), max_length=4000, required=False, widget=_textarea(2))


class ReturnForm(OutgoingActionForm):
    action = OutgoingAction.RETURN
    label = _("Trả lại để chỉnh sửa")
    button = _("Trả lại")
    danger = True

    reason = forms.CharField(label=_("Nội dung cần chỉnh sửa"), max_length=4000, widget=_textarea(2))


class SignForm(OutgoingActionForm):
    action = OutgoingAction.SIGN
    label = _("Cập nhật bản đã ký")
    button = _("Xác nhận đã ký")
    multipart = True

    file = forms.FileField(label=_("Bản PDF đã ký số (hoặc bản quét đã ký)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"] = forms.ModelChoiceField(
            label=_("Hoặc chọn phiên bản PDF đã có"),
            queryset=self.document.versions.filter(content_type="application/pdf").order_by("-number"),
            required=False,
            empty_label=_("— Không —"),
        )
        from .services import digital_signing_certificate

        if user_has_role(self.user, self.document.agency_id, Role.LEADER) and digital_signing_certificate(
            self.user
        ):
            self.fields["sign_digitally"] = forms.BooleanField(
                label=_("Ký số phiên bản PDF đã chọn (hoặc mới nhất) bằng chứng thư số của tôi"),
                required=False,
            )

    def clean(self):
        data = super().clean()
        if not data.get("file") and not data.get("version") and not data.get("sign_digitally"):
            raise forms.ValidationError(_("Cần tải lên bản PDF đã ký, chọn một phiên bản PDF hoặc ký số."))
        return data


class IssueForm(OutgoingActionForm):
    action = OutgoingAction.ISSUE
    label = _("Cấp số và phát hành")
    button = _("Cấp số, phát hành")


class OutgoingRecallForm(OutgoingActionForm):
    action = OutgoingAction.RECALL
    label = _("Thu hồi văn bản đã phát hành")
    button = _("Thu hồi")
    danger = True

    reason = forms.CharField(label=_("Lý do thu hồi"), max_length=4000, widget=_textarea(2))


class LinkReplyForm(OutgoingActionForm):
    action = OutgoingAction.LINK_REPLY
    label = _("Gắn văn bản đến được trả lời")
    button = _("Gắn")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["incoming"] = forms.ModelChoiceField(
            label=_("Văn bản đến"),
            queryset=_replyable([self.document.agency_id]),
        )


OUTGOING_FORMS: dict[str, type[OutgoingActionForm]] = {
    f.action: f
    for f in (
        VersionForm,
        SubmitForm,
        ApproveForm,
        ReturnForm,
        SignForm,
        IssueForm,
        OutgoingRecallForm,
        LinkReplyForm,
    )
}


# ---- search and registers -----------------------------------------------------------------------------


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Từ khóa"), max_length=200, required=False, help_text=_("Có dấu hoặc không dấu.")
    )
    direction = forms.ChoiceField(
        label=_("Loại"), choices=[("", _("Tất cả")), *Direction.choices], required=False
    )
    document_type = forms.ModelChoiceField(
        label=_("Loại văn bản"),
        queryset=DocumentType.objects.filter(is_active=True),
        required=False,
        empty_label=_("Tất cả"),
    )
    date_from = forms.DateField(
        label=_("Ngày văn bản từ"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=_("đến"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    issuer = forms.CharField(label=_("Cơ quan ban hành"), max_length=200, required=False)
    status = forms.ChoiceField(
        label=_("Trạng thái"),
        required=False,
        choices=[
            ("", _("Tất cả")),
            *IncomingStatus.choices,
            *[c for c in OutgoingStatus.choices if c[0] not in IncomingStatus.values],
        ],
    )
    urgency = forms.ChoiceField(
        label=_("Độ khẩn"), choices=[("", _("Tất cả")), *Urgency.choices], required=False
    )
    page = forms.IntegerField(min_value=1, max_value=500, required=False, widget=forms.HiddenInput())

    def has_criteria(self) -> bool:
        data = self.cleaned_data
        return any(
            data.get(k)
            for k in (
                "q",
                "direction",
                "document_type",
                "date_from",
                "date_to",
                "issuer",
                "status",
                "urgency",
            )
        )


class RegisterForm(forms.Form):
    series = forms.ChoiceField(label=_("Dãy số"), choices=Series.choices, required=False)

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"agency": _agency_choice(agencies), **self.fields}
        self.fields["agency"].required = False
