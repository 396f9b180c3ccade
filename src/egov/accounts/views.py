"""Sign-in, sign-out and the officers' optional second factor (TOTP, django-otp).

Officers handle personal data, so an officer who has enrolled an authenticator must enter its code
after the password before any back-office page opens (DESIGN.md, "2FA, throttling").
"""

from __future__ import annotations

from base64 import b32encode
from urllib.parse import urlencode

import segno
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import mark_safe
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import user_has_device, verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from .forms import LoginForm, TokenForm


def _safe_next(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        url = super().get_success_url()
        # A user with an enrolled authenticator is not done until the second factor is checked.
        user = self.request.user
        # ``auth.login`` swapped in a plain user, not yet wrapped by the OTP middleware.
        verified = getattr(user, "is_verified", lambda: False)()
        if not verified and user_has_device(user):
            return f"{reverse('accounts:two_factor_verify')}?{urlencode({'next': url})}"
        return url


class LogoutView(auth_views.LogoutView):
    """Sign out (POST only, as Django requires) and say so on the next page."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("Bạn đã đăng xuất."))
        return response


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """What django-axes shows after too many failed sign-ins (``AXES_LOCKOUT_CALLABLE``).

    The log-in page again, with the reason and how long to wait, instead of axes' English text.
    """
    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    if minutes:
        message = _(
            "Tài khoản tạm bị khóa do đăng nhập sai quá %(limit)s lần. Vui lòng thử lại sau %(minutes)s phút "
            "hoặc liên hệ quản trị cơ quan."
        ) % {"limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    else:
        message = _(
            "Tài khoản bị khóa do đăng nhập sai quá %(limit)s lần. Vui lòng liên hệ quản trị cơ quan để mở khóa."
        ) % {"limit": settings.AXES_FAILURE_LIMIT}
    username = (credentials or {}).get("username", "") if isinstance(credentials, dict) else ""
    form = LoginForm(request, initial={"username": username})
    return render(
        request,
        "accounts/login.html",
        {"form": form, "locked_out_message": message, "next": _safe_next(request, "")},
        status=getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429),
    )


def _check_token(device: TOTPDevice, token: str) -> str | None:
    """``None`` when ``token`` is the device's current code; otherwise the reason, for the person."""
    allowed, _info = device.verify_is_allowed()
    if not allowed:
        # django-otp doubles the wait after each wrong code, so guessing the 6 digits is hopeless.
        return _("Đã nhập sai nhiều lần. Vui lòng đợi một lát rồi nhập mã mới nhất.")
    if verify_token(device.user, device.persistent_id, token) is None:
        return _("Mã xác thực không đúng hoặc đã hết hạn. Hãy nhập mã mới nhất.")
    return None


def _qr_svg(uri: str) -> str:
    # segno writes plain SVG markup from the URI alone; nothing user-typed goes into it.
    return mark_safe(  # noqa: S308
        segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff", title=_("Mã QR cài đặt"))
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: show its secret as a QR code, confirm with one code from the app."""
    confirmed = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if confirmed is not None:
        return render(
            request,
            "accounts/two_factor.html",
            {"device": confirmed, "enabled": True, "verified": request.user.is_verified()},
        )
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="egov", confirmed=False)
    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            problem = _check_token(device, form.cleaned_data["token"])
            if problem is None:
                device.refresh_from_db()
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                otp_login(request, device)
                messages.success(
                    request, _("Đã bật xác thực hai lớp. Từ lần đăng nhập sau, hãy nhập mã từ ứng dụng.")
                )
                return redirect(_safe_next(request, reverse(settings.LOGIN_REDIRECT_URL)))
            form.add_error("token", problem)
        status = 400
    context = {
        "form": form,
        "enabled": False,
        "qr_svg": _qr_svg(device.config_url),
        "secret": b32encode(device.bin_key).decode(),
        "otpauth_uri": device.config_url,
    }
    return render(request, "accounts/two_factor.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """Second step of signing in for a user with an enrolled authenticator."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).order_by("pk").first()
    if device is None:
        return redirect("accounts:two_factor")
    default_next = reverse(settings.LOGIN_REDIRECT_URL)
    if request.user.is_verified():
        return redirect(_safe_next(request, default_next))
    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            problem = _check_token(device, form.cleaned_data["token"])
            if problem is None:
                otp_login(request, device)
                return redirect(_safe_next(request, default_next))
            form.add_error("token", problem)
        status = 400
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": _safe_next(request, default_next)},
        status=status,
    )
