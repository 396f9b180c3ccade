"""The citizen's own pages: account (sign-up, sign-in, password reset, registry link, business profile),
"Hồ sơ của tôi" (status, timeline, fee, supplement, withdrawal, result), the data vault, and the
officers' counter-assisted submission.

Seed 003 is the reason for most choices here: online services were hard to use, asked again for papers
the state already held, and were not trusted. So: one identifier people have (e-mail or mobile), every
refusal in plain Vietnamese next to the field to fix, a dossier page that says what is asked and what
to do next, results kept in the citizen's vault and reused, and an officer at the commune who can
submit for someone without a device, with their consent on record.

Every write goes through a service (``egov.accounts.citizen``, ``egov.dossiers.services``,
``egov.dossiers.vault``, ``egov.dossiers.assisted``); a ``DomainError`` is shown on the page with a 4xx.
A dossier, paper or vault item that is not the signed-in citizen's own is a 404 (its existence is not
revealed).
"""

from __future__ import annotations

import operator
import re
from functools import reduce, wraps
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import user_has_device

from egov.accounts import citizen as accounts
from egov.accounts.choices import Role
from egov.accounts.forms import LoginForm
from egov.accounts.models import VerificationPurpose
from egov.accounts.selectors import user_agency_ids
from egov.accounts.views import LoginView
from egov.catalog.models import ProcedureOffering
from egov.catalog.selectors import offerings_for_agency
from egov.core.errors import DomainError, NotFound
from egov.dossiers import services as dossier_services
from egov.dossiers import vault
from egov.dossiers.choices import DocumentOrigin, DossierAction, DossierStatus, ReturnMethod
from egov.dossiers.forms import DocumentChecklistMixin, ProcedureChoiceField
from egov.dossiers.models import AssistedConsent, ConsentMethod, Dossier, DossierEvent
from egov.dossiers.selectors import READS_SHOWN, dossier_reads
from egov.dossiers.transitions import is_allowed
from egov.payments.selectors import dossier_is_paid, payment_required

A = DossierAction
S = DossierStatus

SESSION_SIGN_UP = "citizen_sign_up_nonce"
SESSION_RESET = "citizen_reset_nonce"
SESSION_CONSENT_OTP = "assisted_otp_nonce"
SESSION_CONSENT_CONFIRMED = "assisted_otp_confirmed"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
INLINE_CONTENT_TYPES = {"application/pdf", "image/jpeg", "image/png"}
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"]
# The applicant's own timeline: what public_status shows, plus the fee.
TIMELINE_ACTIONS = (
    A.SUBMIT,
    A.RECEIVE,
    A.REQUEST_SUPPLEMENT,
    A.SUPPLEMENT,
    A.REFUSE,
    A.COMPLETE_STEP,
    A.CONSULT,
    A.ANSWER_CONSULTATION,
    A.APPROVE,
    A.DENY,
    A.RESULT_READY,
    A.RETURN,
    A.APOLOGIZE,
    A.WITHDRAW,
    A.PAY,
)
# Notes written for the applicant (reasons, what to supplement, receipts); officers' internal notes on
# hand-overs and consultations are not shown.
APPLICANT_NOTES = frozenset({A.REQUEST_SUPPLEMENT, A.REFUSE, A.DENY, A.APOLOGIZE, A.WITHDRAW, A.PAY})
RESULT_STATUSES = frozenset({S.RESULT_READY, S.RETURNED})


# ---- access ------------------------------------------------------------------------------------------------


def citizen_required(view):
    """Signed in (any account: an officer may also apply for themselves); otherwise the citizens' log-in."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url=reverse("citizen:login"))
        return view(request, *args, **kwargs)

    return wrapper


def reception_officer_required(view):
    """Officers holding the reception role somewhere, second factor checked if enrolled."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user_agency_ids(user, [Role.RECEPTION]):
            raise PermissionDenied
        if not user.is_verified() and user_has_device(user):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('accounts:two_factor_verify')}?{query}")
        return view(request, *args, **kwargs)

    return wrapper


def _error(form: forms.Form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _status(exc: DomainError) -> int:
    return exc.status if 400 <= exc.status < 500 else 400


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _no_store(response: HttpResponse) -> HttpResponse:
    # Pages and files with personal data: never kept by a browser or proxy cache.
    response["Cache-Control"] = "private, no-store"
    return response


# ---- forms -------------------------------------------------------------------------------------------------


class PasswordPairMixin:
    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("Hai mật khẩu không giống nhau."))
        return data


def _password_field(label, autocomplete: str = "new-password") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


IDENTIFIER_HELP = gettext_lazy("Mã xác thực sẽ được gửi tới địa chỉ thư hoặc số điện thoại này.")


class SignUpForm(PasswordPairMixin, forms.Form):
    identifier = forms.CharField(
        label=gettext_lazy("Thư điện tử hoặc số điện thoại di động"),
        max_length=254,
        help_text=IDENTIFIER_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    full_name = forms.CharField(
        label=gettext_lazy("Họ và tên"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = _password_field(gettext_lazy("Mật khẩu"))
    password2 = _password_field(gettext_lazy("Nhập lại mật khẩu"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].help_text = gettext_lazy(
            "Ít nhất 8 ký tự, không quá giống họ tên hoặc thư điện tử, không chỉ gồm chữ số."
        )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Mã xác thực (6 chữ số)"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )


class CitizenLoginForm(LoginForm):
    """The log-in form with the identifier normalized first, so that django-axes counts failures for
    "0912345678" whether it was typed "+84 912 345 678" or "0912.345.678"."""

    error_messages = {
        **LoginForm.error_messages,
        "invalid_login": gettext_lazy(
            "Thư điện tử, số điện thoại hoặc mật khẩu không đúng. Nếu bạn vừa đăng ký, hãy nhập mã xác thực "
            "đã nhận trước khi đăng nhập."
        ),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = gettext_lazy("Thư điện tử hoặc số điện thoại")

    def clean_username(self) -> str:
        raw = self.cleaned_data["username"]
        try:
            return accounts.parse_identifier(raw).value
        except DomainError:
            return raw  # an officer's user name: left to the model backend


class ResetRequestForm(forms.Form):
    identifier = forms.CharField(
        label=gettext_lazy("Thư điện tử hoặc số điện thoại đã đăng ký"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )


class ResetForm(PasswordPairMixin, CodeForm):
    password1 = _password_field(gettext_lazy("Mật khẩu mới"))
    password2 = _password_field(gettext_lazy("Nhập lại mật khẩu mới"))


class LinkForm(forms.Form):
    id_number = forms.CharField(
        label=gettext_lazy("Số định danh cá nhân (số Căn cước, 12 chữ số)"),
        max_length=14,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    date_of_birth = forms.DateField(
        label=gettext_lazy("Ngày, tháng, năm sinh"),
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    parent_name = forms.CharField(
        label=gettext_lazy("Họ và tên đầy đủ của cha hoặc mẹ"),
        max_length=100,
        help_text=gettext_lazy("Ghi như trên giấy khai sinh của bạn; có thể gõ không dấu."),
    )

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"].replace(" ", "")
        if not re.fullmatch(r"\d{12}", value):
            raise forms.ValidationError(_("Số định danh cá nhân gồm đúng 12 chữ số."))
        return value


class BusinessForm(forms.Form):
    tax_code = forms.CharField(
        label=gettext_lazy("Mã số thuế"),
        max_length=20,
        help_text=gettext_lazy("10 chữ số; chi nhánh, đơn vị phụ thuộc: 13 chữ số."),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    name = forms.CharField(label=gettext_lazy("Tên doanh nghiệp, tổ chức"), max_length=255)
    address = forms.CharField(label=gettext_lazy("Địa chỉ trụ sở chính"), max_length=255)
    legal_representative = forms.CharField(
        label=gettext_lazy("Họ và tên người đại diện theo pháp luật"), max_length=150
    )

    def clean_tax_code(self) -> str:
        problem = accounts.tax_code_problem(self.cleaned_data["tax_code"])
        if problem:
            raise forms.ValidationError(problem)
        return accounts.normalize_tax_code(self.cleaned_data["tax_code"])


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Lý do rút hồ sơ"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class SupplementForm(forms.Form):
    """One upload (or a vault item) per item the one-stop shop asked for, one extra file, and a note."""

    note = forms.CharField(
        label=gettext_lazy("Ghi chú gửi Bộ phận Một cửa"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    extra_file = forms.FileField(label=gettext_lazy("Giấy tờ khác (nếu có)"), required=False)

    def __init__(self, *args, items: list[str], vault_choices, required_documents, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        self.required_by_name = {_fold(doc.name): doc.pk for doc in required_documents}
        choices = [("", _("— Không dùng giấy tờ trong kho —")), *vault_choices]
        for index, item in enumerate(items):
            self.fields[f"item_{index}_file"] = forms.FileField(label=item, required=False)
            if vault_choices:
                self.fields[f"item_{index}_vault"] = forms.ChoiceField(
                    label=_("hoặc lấy từ Kho dữ liệu"), choices=choices, required=False
                )

    def rows(self) -> list[dict]:
        return [
            {
                "item": item,
                "file": self[f"item_{index}_file"],
                "vault": self[f"item_{index}_vault"] if f"item_{index}_vault" in self.fields else None,
            }
            for index, item in enumerate(self.items)
        ]

    def document_inputs(self, user) -> list:
        documents = []
        for index, item in enumerate(self.items):
            required_id = self.required_by_name.get(_fold(item))
            upload = self.cleaned_data.get(f"item_{index}_file")
            item_id = self.cleaned_data.get(f"item_{index}_vault")
            if upload:
                documents.append(
                    dossier_services.DocumentInput(name=item, required_document_id=required_id, file=upload)
                )
            elif item_id:
                document = vault.vault_document_input(
                    user=user, item_id=item_id, required_document_id=required_id
                )
                document.name = item
                documents.append(document)
        extra = self.cleaned_data.get("extra_file")
        if extra:
            documents.append(dossier_services.DocumentInput(name=_("Giấy tờ bổ sung khác"), file=extra))
        return documents


def _fold(text: str) -> str:
    return " ".join((text or "").casefold().split())


class AssistedForm(DocumentChecklistMixin, forms.Form):
    """The counter-assisted submission: the applicant (filled from the registry), the papers, the
    citizen's consent."""

    applicant_id_number = forms.CharField(
        label=gettext_lazy("Số định danh cá nhân của công dân"),
        max_length=14,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    applicant_name = forms.CharField(label=gettext_lazy("Họ và tên"), max_length=150, required=False)
    applicant_phone = forms.CharField(
        label=gettext_lazy("Số điện thoại di động"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    applicant_email = forms.EmailField(label=gettext_lazy("Thư điện tử"), required=False)
    applicant_address = forms.CharField(label=gettext_lazy("Địa chỉ"), max_length=255, required=False)
    subject = forms.CharField(
        label=gettext_lazy("Nội dung yêu cầu"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    return_method = forms.ChoiceField(
        label=gettext_lazy("Hình thức nhận kết quả"),
        choices=ReturnMethod.choices,
        initial=ReturnMethod.COUNTER,
    )
    consent_given = forms.BooleanField(
        label=gettext_lazy("Công dân đã được đọc (hoặc nghe đọc) và đồng ý với nội dung ủy quyền nộp hồ sơ"),
        required=False,
    )
    consent_method = forms.ChoiceField(
        label=gettext_lazy("Cách công dân thể hiện sự đồng ý"),
        choices=[("", gettext_lazy("— Chọn —")), *ConsentMethod.choices],
        required=False,
    )
    witness_name = forms.CharField(
        label=gettext_lazy("Họ tên người làm chứng (khi đồng ý bằng lời)"), max_length=150, required=False
    )
    otp_code = forms.CharField(
        label=gettext_lazy("Mã OTP công dân đọc lại"),
        max_length=8,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args, offering, **kwargs):
        super().__init__(*args, **kwargs)
        self.offering = offering
        self.fields["offering"] = forms.IntegerField(widget=forms.HiddenInput, initial=offering.pk)
        self.add_document_fields(offering.procedure.required_documents.order_by("position"))

    def clean_applicant_id_number(self) -> str:
        value = self.cleaned_data["applicant_id_number"].replace(" ", "")
        if not re.fullmatch(r"\d{12}", value):
            raise forms.ValidationError(_("Số định danh cá nhân gồm đúng 12 chữ số."))
        return value

    def applicant_input(self):
        data = self.cleaned_data
        return dossier_services.ApplicantInput(
            name=data["applicant_name"].strip(),
            id_number=data["applicant_id_number"],
            phone=accounts.normalize_phone(data["applicant_phone"]) or data["applicant_phone"].strip(),
            email=data["applicant_email"],
            address=data["applicant_address"].strip(),
        )


# ---- sign-up, sign-in, password reset -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    """Đăng ký tài khoản with an e-mail address or a mobile number; a code is sent to prove it."""
    if request.user.is_authenticated:
        return redirect("citizen:account")
    form = SignUpForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                _user, nonce = accounts.citizen_sign_up(
                    identifier=data["identifier"], full_name=data["full_name"], password=data["password1"]
                )
            except DomainError as exc:
                _error(form, exc)
                status = _status(exc)
            else:
                request.session[SESSION_SIGN_UP] = nonce
                return redirect("citizen:sign_up_verify")
        else:
            status = 400
    return render(request, "portal/citizen/sign_up.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def sign_up_verify(request: HttpRequest) -> HttpResponse:
    """Enter the code: the account is activated and signed in."""
    nonce = request.session.get(SESSION_SIGN_UP, "")
    if not nonce:
        messages.info(request, _("Phiên đăng ký đã hết hạn hoặc chưa bắt đầu. Vui lòng đăng ký."))
        return redirect("citizen:sign_up")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user = accounts.citizen_confirm_sign_up(nonce=nonce, code=form.cleaned_data["code"])
            except DomainError as exc:
                _error(form, exc)
                status = _status(exc)
            else:
                request.session.pop(SESSION_SIGN_UP, None)
                login(request, user, backend=MODEL_BACKEND)
                messages.success(
                    request,
                    _(
                        "Đã kích hoạt tài khoản. Hãy liên kết tài khoản với số định danh cá nhân để không phải khai "
                        "lại thông tin đã có trong Cơ sở dữ liệu dân cư."
                    ),
                )
                return redirect("citizen:account")
        else:
            status = 400
    context = {
        "form": form,
        "destination": accounts.code_destination(purpose=VerificationPurpose.SIGN_UP, nonce=nonce),
        "purpose": VerificationPurpose.SIGN_UP,
        "title": _("Xác thực đăng ký"),
    }
    return render(request, "portal/citizen/verify.html", context, status=status)


@require_POST
def resend_code(request: HttpRequest, purpose: str) -> HttpResponse:
    """Send a new code for the sign-up or the password reset in progress in this browser."""
    keys = {
        VerificationPurpose.SIGN_UP: (SESSION_SIGN_UP, "citizen:sign_up_verify", "citizen:sign_up"),
        VerificationPurpose.PASSWORD_RESET: (
            SESSION_RESET,
            "citizen:password_reset_confirm",
            "citizen:password_reset",
        ),
    }
    if purpose not in keys:
        raise Http404
    session_key, next_view, start_view = keys[purpose]
    try:
        nonce = accounts.citizen_resend_code(purpose=purpose, nonce=request.session.get(session_key, ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        if exc.code == "session_expired":
            return redirect(start_view)
    else:
        request.session[session_key] = nonce
        messages.success(request, _("Đã gửi mã xác thực mới."))
    return redirect(next_view)


class CitizenLoginView(LoginView):
    """Đăng nhập with e-mail or mobile number (officers may use their user name here too)."""

    template_name = "portal/citizen/login.html"
    authentication_form = CitizenLoginForm

    def get_default_redirect_url(self) -> str:
        return accounts.login_redirect_for(self.request.user)


login_view = CitizenLoginView.as_view()


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Quên mật khẩu: a code goes to the registered address or phone (the page says the same whether or
    not the account exists)."""
    form = ResetRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                nonce = accounts.citizen_password_reset_request(identifier=form.cleaned_data["identifier"])
            except DomainError as exc:
                _error(form, exc)
                status = _status(exc)
            else:
                request.session[SESSION_RESET] = nonce
                messages.info(
                    request,
                    _("Nếu thông tin trên đúng với một tài khoản, mã xác thực đã được gửi tới đó."),
                )
                return redirect("citizen:password_reset_confirm")
        else:
            status = 400
    return render(request, "portal/citizen/password_reset.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest) -> HttpResponse:
    nonce = request.session.get(SESSION_RESET, "")
    if not nonce:
        return redirect("citizen:password_reset")
    form = ResetForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                accounts.citizen_password_reset(
                    nonce=nonce, code=form.cleaned_data["code"], new_password=form.cleaned_data["password1"]
                )
            except DomainError as exc:
                _error(form, exc)
                status = _status(exc)
            else:
                request.session.pop(SESSION_RESET, None)
                messages.success(request, _("Đã đặt mật khẩu mới. Hãy đăng nhập bằng mật khẩu mới."))
                return redirect("citizen:login")
        else:
            status = 400
    context = {
        "form": form,
        "destination": accounts.code_destination(purpose=VerificationPurpose.PASSWORD_RESET, nonce=nonce),
        "purpose": VerificationPurpose.PASSWORD_RESET,
    }
    return render(request, "portal/citizen/password_reset_confirm.html", context, status=status)


# ---- the account: registry link, business profile ----------------------------------------------------------


@citizen_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    """Tài khoản: who the account is, whether it is linked to the registry, the business profile."""
    from egov.population.selectors import linked_person

    context = {
        "person": linked_person(user=request.user),
        "business": accounts.business_profile_of(request.user),
        "locked_until": accounts.link_locked_until(user=request.user),
    }
    return _no_store(render(request, "portal/citizen/account.html", context))


@citizen_required
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest) -> HttpResponse:
    """Liên kết với Cơ sở dữ liệu dân cư: ID number, date of birth and a parent's full name."""
    from egov.population.selectors import linked_person

    if linked_person(user=request.user) is not None:
        messages.info(request, _("Tài khoản đã được liên kết với Cơ sở dữ liệu dân cư."))
        return redirect("citizen:account")
    form = LinkForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                accounts.citizen_link_person(
                    user=request.user,
                    id_number=data["id_number"],
                    date_of_birth=data["date_of_birth"],
                    parent_name=data["parent_name"],
                    ip_address=_client_ip(request),
                )
            except DomainError as exc:
                # One message for the whole form: which answer was wrong is not told.
                form.add_error(None, exc.message)
                status = 429 if exc.code == "link_locked" else _status(exc)
            else:
                messages.success(
                    request,
                    _("Đã liên kết tài khoản. Thông tin của bạn sẽ được điền sẵn khi nộp hồ sơ trực tuyến."),
                )
                return redirect("citizen:account")
        else:
            status = 400
    context = {"form": form, "locked_until": accounts.link_locked_until(user=request.user)}
    return _no_store(render(request, "portal/citizen/link.html", context, status=status))


@citizen_required
@require_http_methods(["GET", "POST"])
def business(request: HttpRequest) -> HttpResponse:
    """Thông tin doanh nghiệp: so the account can apply for its organisation."""
    profile = accounts.business_profile_of(request.user)
    initial = (
        {
            "tax_code": profile.tax_code,
            "name": profile.name,
            "address": profile.address,
            "legal_representative": profile.legal_representative,
        }
        if profile
        else None
    )
    form = BusinessForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                accounts.business_profile_save(user=request.user, **form.cleaned_data)
            except DomainError as exc:
                _error(form, exc)
                status = _status(exc)
            else:
                messages.success(request, _("Đã lưu thông tin doanh nghiệp."))
                return redirect("citizen:account")
        else:
            status = 400
    return render(request, "portal/citizen/business.html", {"form": form, "profile": profile}, status=status)


# ---- Hồ sơ của tôi ----------------------------------------------------------------------------------------


def _my_dossier(request: HttpRequest, code: str) -> Dossier:
    """The signed-in user's own dossier, or 404 (another citizen's dossier does not exist for them)."""
    dossier = (
        Dossier.objects.select_related("agency", "procedure", "offering")
        .filter(code=code, applicant_user=request.user)
        .first()
    )
    if dossier is None:
        raise Http404(_("Không tìm thấy hồ sơ %(code)s trong hồ sơ của bạn.") % {"code": code})
    return dossier


def _fee_due(dossier: Dossier) -> bool:
    from egov.payments.services import PAYABLE_STATUSES

    return payment_required(dossier) and dossier.status in PAYABLE_STATUSES and not dossier_is_paid(dossier)


def _timeline(dossier: Dossier) -> list[dict]:
    steps = []
    events = DossierEvent.objects.filter(dossier=dossier, action__in=TIMELINE_ACTIONS).order_by(
        "created_at", "id"
    )
    for event in events.only("action", "created_at", "data", "note", "to_status"):
        label = A(event.action).label
        if event.action == A.COMPLETE_STEP and event.data.get("to_step"):
            label = _("Chuyển bước: %(step)s") % {"step": event.data["to_step"]}
        steps.append(
            {
                "action": event.action,
                "label": label,
                "at": event.created_at,
                "note": event.note if event.action in APPLICANT_NOTES else "",
                "items": event.data.get("items", []) if event.action == A.REQUEST_SUPPLEMENT else [],
            }
        )
    return steps


@citizen_required
@require_GET
def my_dossiers(request: HttpRequest) -> HttpResponse:
    """Hồ sơ của tôi: every dossier the account applied for, newest first, with what to do next."""
    dossiers = list(
        Dossier.objects.filter(applicant_user=request.user)
        .select_related("procedure", "agency")
        .order_by("-submitted_at", "-id")[:200]
    )
    for dossier in dossiers:
        dossier.fee_due = _fee_due(dossier)
        dossier.needs_supplement = dossier.status == S.SUPPLEMENT_REQUESTED
        dossier.has_result = dossier.status in RESULT_STATUSES
    return _no_store(render(request, "portal/citizen/dossiers.html", {"dossiers": dossiers}))


def _render_my_dossier(
    request: HttpRequest, dossier: Dossier, *, withdraw_form=None, status: int = 200
) -> HttpResponse:
    documents = list(dossier.documents.select_related("required_document").order_by("id"))
    context = {
        "dossier": dossier,
        "timeline": _timeline(dossier),
        "papers": [d for d in documents if d.origin != DocumentOrigin.RESULT],
        "results": [d for d in documents if d.origin == DocumentOrigin.RESULT and d.file]
        if dossier.status in RESULT_STATUSES
        else [],
        "open_request": dossier.supplement_requests.filter(fulfilled_at__isnull=True)
        .order_by("-requested_at")
        .first()
        if dossier.status == S.SUPPLEMENT_REQUESTED
        else None,
        "fee_required": payment_required(dossier),
        "fee_due": _fee_due(dossier),
        "fee_paid": payment_required(dossier) and dossier_is_paid(dossier),
        "can_withdraw": is_allowed(A.WITHDRAW, dossier.status),
        "withdraw_form": withdraw_form or WithdrawForm(),
        "consent": AssistedConsent.objects.filter(dossier=dossier).first(),
        "reads": dossier_reads(dossier)[:READS_SHOWN],
    }
    return _no_store(render(request, "portal/citizen/dossier.html", context, status=status))


@citizen_required
@require_GET
def my_dossier(request: HttpRequest, code: str) -> HttpResponse:
    return _render_my_dossier(request, _my_dossier(request, code))


@citizen_required
@require_POST
def withdraw(request: HttpRequest, code: str) -> HttpResponse:
    """Rút hồ sơ: the applicant may withdraw until a result exists (DESIGN.md domain rules; which
    statuses allow it is the state machine's table, ``dossiers/transitions.py``)."""
    dossier = _my_dossier(request, code)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Chưa rút hồ sơ: vui lòng nêu lý do."))
        return _render_my_dossier(request, dossier, withdraw_form=form, status=400)
    try:
        dossier_services.dossier_withdraw(
            dossier=dossier, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return _render_my_dossier(
            request, _my_dossier(request, code), withdraw_form=form, status=_status(exc)
        )
    messages.success(request, _("Đã rút hồ sơ %(code)s.") % {"code": dossier.code})
    return redirect("citizen:dossier", code=dossier.code)


@citizen_required
@require_http_methods(["GET", "POST"])
def supplement(request: HttpRequest, code: str) -> HttpResponse:
    """Bổ sung hồ sơ trực tuyến: one file (or a vault item) per item asked for (Mẫu 02); the processing
    time restarts on the complete dossier (Decree 61/2018 art. 19.4)."""
    dossier = _my_dossier(request, code)
    open_request = (
        dossier.supplement_requests.filter(fulfilled_at__isnull=True).order_by("-requested_at").first()
    )
    if dossier.status != S.SUPPLEMENT_REQUESTED or open_request is None:
        messages.info(request, _("Hồ sơ này hiện không có yêu cầu bổ sung."))
        return redirect("citizen:dossier", code=dossier.code)
    posted = request.method == "POST"
    form = SupplementForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        items=list(open_request.items),
        vault_choices=vault.vault_choices(user=request.user),
        required_documents=dossier.procedure.required_documents.all(),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                documents = form.document_inputs(request.user)
                dossier_services.dossier_supplement(
                    dossier=dossier, actor=request.user, documents=documents, note=form.cleaned_data["note"]
                )
            except DomainError as exc:
                _error(form, exc)
                status = _status(exc)
            else:
                messages.success(
                    request,
                    _("Đã gửi hồ sơ bổ sung. Bộ phận Một cửa sẽ kiểm tra và thông báo cho bạn."),
                )
                return redirect("citizen:dossier", code=dossier.code)
        else:
            status = 400
    context = {"dossier": dossier, "request_": open_request, "form": form, "files_lost": status >= 400}
    return _no_store(render(request, "portal/citizen/supplement.html", context, status=status))


def _file_response(file_field, *, content_type: str, filename: str) -> FileResponse:
    inline = content_type in INLINE_CONTENT_TYPES
    response = FileResponse(
        file_field.open("rb"),
        as_attachment=not inline,
        filename=filename,
        content_type=content_type if inline else "application/octet-stream",
    )
    return _no_store(response)


@citizen_required
@require_GET
def result_download(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """The result paper, only to the applicant and only once the result exists."""
    dossier = _my_dossier(request, code)
    if dossier.status not in RESULT_STATUSES:
        raise Http404
    document = dossier.documents.filter(pk=pk, origin=DocumentOrigin.RESULT).first()
    if document is None or not document.file:
        raise Http404
    extension = document.file.name.rsplit(".", 1)[-1] if "." in document.file.name else "bin"
    return _file_response(
        document.file, content_type=document.content_type, filename=f"ket-qua-{dossier.code}.{extension}"
    )


# ---- Kho dữ liệu ------------------------------------------------------------------------------------------


@citizen_required
@require_GET
def vault_list(request: HttpRequest) -> HttpResponse:
    """The citizen's vault: results issued to them, reusable in later dossiers."""
    return _no_store(
        render(request, "portal/citizen/vault.html", {"items": vault.vault_items(user=request.user)})
    )


@citizen_required
@require_GET
def vault_download(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        item = vault.vault_item_for(user=request.user, item_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    extension = item.file.name.rsplit(".", 1)[-1] if "." in item.file.name else "bin"
    return _file_response(
        item.file, content_type=item.content_type, filename=f"kho-du-lieu-{item.pk}.{extension}"
    )


# ---- counter-assisted submission ---------------------------------------------------------------------------


def _assisted_offerings(user):
    """Procedures offered by the agencies where the officer is on reception."""
    per_agency = [
        offerings_for_agency(agency_id, active_only=True)
        for agency_id in sorted(user_agency_ids(user, [Role.RECEPTION]))
    ]
    if not per_agency:
        return ProcedureOffering.objects.none()
    return (
        reduce(operator.or_, per_agency)
        .filter(procedure__is_active=True)
        .select_related("agency", "procedure")
        .order_by("procedure__name", "agency__name")
    )


class AssistedChooserForm(forms.Form):
    def __init__(self, *args, offerings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offering"] = ProcedureChoiceField(
            label=gettext_lazy("Thủ tục hành chính"),
            queryset=offerings,
            empty_label=gettext_lazy("— Chọn thủ tục —"),
        )


def _registry_fill(request: HttpRequest, offering) -> tuple[dict, int]:
    """Look the citizen up in the registry (logged: purpose "Hỗ trợ nộp hồ sơ") and fill the form."""
    from egov.population.services import person_read

    raw = (request.POST.get("applicant_id_number") or "").replace(" ", "")
    try:
        person = person_read(
            person_id_number=raw,
            actor=request.user,
            purpose=_("Hỗ trợ nộp hồ sơ (thủ tục %(code)s)") % {"code": offering.procedure.code},
            channel="assisted",
        )
    except DomainError as exc:
        return {"lookup_error": exc.message}, _status(exc)
    address = ", ".join(
        part
        for part in (
            person.permanent_residence_address,
            getattr(person.permanent_residence_commune, "name", ""),
        )
        if part
    )
    data = request.POST.copy()
    data["applicant_id_number"] = person.id_number
    data["applicant_name"] = person.full_name
    data["applicant_address"] = address
    linked = accounts.citizen_account_for_id_number(person.id_number)
    if linked is not None:
        if not data.get("applicant_phone") and linked.phone:
            data["applicant_phone"] = linked.phone
        if not data.get("applicant_email") and linked.email:
            data["applicant_email"] = linked.email
    return {"data": data, "person": person, "linked": linked}, 200


@reception_officer_required
@require_http_methods(["GET", "POST"])
def assisted(request: HttpRequest) -> HttpResponse:
    """Hỗ trợ nộp hồ sơ: an officer submits online for a citizen at the counter, with their consent.

    Three buttons on one form: look the citizen up in the registry, send the OTP to their phone, submit.
    """
    offerings = _assisted_offerings(request.user)
    raw_offering = request.POST.get("offering") or request.GET.get("offering") or ""
    offering = offerings.filter(pk=raw_offering).first() if raw_offering.isdigit() else None
    if offering is None:
        chooser = AssistedChooserForm(request.GET if "offering" in request.GET else None, offerings=offerings)
        return render(
            request,
            "portal/citizen/assisted_choose.html",
            {"chooser": chooser},
            status=400 if request.method == "POST" or "offering" in request.GET else 200,
        )

    action = request.POST.get("action", "")
    context: dict = {"offering": offering, "consent_version": _consent_version()}
    status = 200
    if request.method == "POST" and action == "lookup":
        filled, status = _registry_fill(request, offering)
        data = filled.pop("data", request.POST)
        context.update(filled)
        context["form"] = AssistedForm(initial=_initial_from(data), offering=offering)
        context["files_lost"] = bool(request.FILES)
        return _no_store(render(request, "portal/citizen/assisted.html", context, status=status))

    form = AssistedForm(request.POST or None, request.FILES or None, offering=offering)
    if request.method == "POST" and action == "send_otp":
        context["files_lost"] = bool(request.FILES)
        try:
            nonce = accounts.consent_code_send(
                officer=request.user, phone=request.POST.get("applicant_phone", "")
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            status = _status(exc)
        else:
            request.session[SESSION_CONSENT_OTP] = nonce
            messages.success(
                request,
                _("Đã gửi mã OTP tới điện thoại của công dân. Mời công dân đọc mã để xác nhận đồng ý."),
            )
        context["form"] = AssistedForm(initial=_initial_from(request.POST), offering=offering)
        return _no_store(render(request, "portal/citizen/assisted.html", context, status=status))

    if request.method == "POST":
        if form.is_valid():
            try:
                dossier = _assisted_submit(request, form, offering)
            except DomainError as exc:
                _error(form, exc)
                if exc.code == "missing_documents":
                    form.flag_missing_documents()
                status = _status(exc)
            else:
                request.session.pop(SESSION_CONSENT_CONFIRMED, None)
                request.session.pop(SESSION_CONSENT_OTP, None)
                messages.success(
                    request,
                    _("Đã nộp hồ sơ %(code)s thay công dân. In phiếu đồng ý để công dân giữ một bản.")
                    % {"code": dossier.code},
                )
                return redirect("citizen:assisted_consent", code=dossier.code)
        else:
            status = 400
        context["files_lost"] = form.has_files()
    context["form"] = form
    return _no_store(render(request, "portal/citizen/assisted.html", context, status=status))


def _initial_from(data) -> dict:
    fields = (
        "applicant_id_number",
        "applicant_name",
        "applicant_phone",
        "applicant_email",
        "applicant_address",
        "subject",
        "return_method",
        "consent_method",
        "witness_name",
    )
    return {name: data.get(name, "") for name in fields if data.get(name)}


def _consent_version() -> str:
    from egov.dossiers.assisted import CONSENT_TEXT_VERSION

    return CONSENT_TEXT_VERSION


def _assisted_submit(request: HttpRequest, form: AssistedForm, offering) -> Dossier:
    from egov.dossiers.assisted import ConsentInput, dossier_submit_assisted

    data = form.cleaned_data
    code_id = None
    if data["consent_method"] == ConsentMethod.OTP:
        phone = data["applicant_phone"]
        confirmed = request.session.get(SESSION_CONSENT_CONFIRMED) or {}
        code_id = confirmed.get(accounts.normalize_phone(phone) or "-")
        if accounts.consent_code_usable(officer=request.user, code_id=code_id, phone=phone) is None:
            row = accounts.consent_code_confirm(
                officer=request.user,
                nonce=request.session.get(SESSION_CONSENT_OTP, ""),
                code=data["otp_code"],
                phone=phone,
            )
            code_id = row.pk
            # Kept so that fixing another field does not need a new OTP.
            request.session[SESSION_CONSENT_CONFIRMED] = {row.destination: row.pk}
    consent = ConsentInput(
        given=data["consent_given"],
        method=data["consent_method"],
        witness_name=data["witness_name"],
        phone=data["applicant_phone"],
        otp_code_id=code_id,
    )
    return dossier_submit_assisted(
        offering=offering,
        officer=request.user,
        applicant=form.applicant_input(),
        documents=form.document_inputs(),
        consent=consent,
        return_method=data["return_method"],
        subject=data["subject"].strip(),
    )


@require_GET
def assisted_consent_blank(request: HttpRequest) -> HttpResponse:
    """The consent text to print before the citizen signs (no personal data in it)."""
    if not (request.user.is_authenticated and user_agency_ids(request.user, [Role.RECEPTION])):
        raise PermissionDenied
    return render(
        request,
        "portal/citizen/assisted_consent.html",
        {"consent": None, "dossier": None, "consent_version": _consent_version()},
    )


@require_GET
def assisted_consent(request: HttpRequest, code: str) -> HttpResponse:
    """The consent of one assisted dossier, printable: for the officers of the receiving agency and for
    the applicant themselves."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("citizen:login"))
    consent = (
        AssistedConsent.objects.select_related("dossier", "dossier__agency", "dossier__procedure", "officer")
        .filter(dossier__code=code)
        .first()
    )
    user = request.user
    if consent is None or not (
        consent.dossier.applicant_user_id == user.pk or consent.dossier.agency_id in user_agency_ids(user)
    ):
        raise Http404
    context = {"consent": consent, "dossier": consent.dossier, "consent_version": consent.text_version}
    return _no_store(render(request, "portal/citizen/assisted_consent.html", context))
