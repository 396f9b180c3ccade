"""Signing in and out, the axes lock-out page and the officers' TOTP second factor."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from egov.accounts.choices import Role
from egov.testing.factories import AgencyFactory, officer

pytestmark = pytest.mark.django_db

PASSWORD = "matkhau-Thu-nghiem-1"


@pytest.fixture
def clerk(db):
    return officer(AgencyFactory(), Role.RECEPTION, username="tiepnhan")


def token_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_login_page_is_vietnamese_with_bound_labels(client):
    response = client.get(reverse("accounts:login"))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_username">Tên đăng nhập' in body
    assert '<label for="id_password">Mật khẩu' in body
    assert 'data-testid="login-submit"' in body


def test_login_works_and_lands_on_the_worklist(client, clerk):
    # GIVEN an officer with a password
    # WHEN they sign in
    response = client.post(reverse("accounts:login"), {"username": "tiepnhan", "password": PASSWORD})
    # THEN they land on their worklist
    assert response.status_code == 302
    assert response["Location"] == reverse("dossiers:worklist")
    assert client.get(response["Location"]).status_code == 200


def test_wrong_password_shows_the_error(client, clerk):
    response = client.post(reverse("accounts:login"), {"username": "tiepnhan", "password": "sai"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in body
    assert 'value="tiepnhan"' in body


def test_logout_is_a_post_and_goes_home(client, clerk):
    client.force_login(clerk)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert "Bạn đã đăng xuất" in client.get(response["Location"]).content.decode()


@override_settings(
    AXES_ENABLED=True, AXES_FAILURE_LIMIT=2, AXES_LOCKOUT_CALLABLE="egov.accounts.views.lockout_response"
)
def test_lockout_message_is_vietnamese(client, clerk):
    # GIVEN two failed sign-ins
    for _ in range(2):
        client.post(reverse("accounts:login"), {"username": "tiepnhan", "password": "sai"})
    # WHEN the officer tries again, even with the right password
    response = client.post(reverse("accounts:login"), {"username": "tiepnhan", "password": PASSWORD})
    # THEN the log-in page explains the lock in Vietnamese and they are not signed in
    body = response.content.decode()
    assert response.status_code == 429
    assert "Tài khoản tạm bị khóa do đăng nhập sai quá 2 lần" in body
    assert 'data-testid="login-locked"' in body
    assert client.get(reverse("dossiers:worklist")).status_code == 302


def test_enrol_authenticator_shows_a_qr_code_and_confirms_with_a_code(client, clerk):
    # GIVEN a signed-in officer without 2FA
    client.force_login(clerk)
    # WHEN they open the 2FA page
    page = client.get(reverse("accounts:two_factor"))
    body = page.content.decode()
    device = TOTPDevice.objects.get(user=clerk)
    # THEN the otpauth URI is shown as an inline SVG QR code, with the secret for typing
    assert page.status_code == 200
    assert "<svg" in body and 'data-testid="two-factor-qr"' in body
    assert "otpauth://totp/" in body
    assert not device.confirmed
    # WHEN the code shown by the app is entered
    right = client.post(reverse("accounts:two_factor"), {"token": token_for(device)})
    # THEN 2FA is on and this session counts as verified
    assert right.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("dossiers:worklist")).status_code == 200


def test_wrong_code_is_refused_then_throttled(client, clerk):
    client.force_login(clerk)
    client.get(reverse("accounts:two_factor"))
    device = TOTPDevice.objects.get(user=clerk)
    wrong = "000000" if token_for(device) != "000000" else "111111"
    first = client.post(reverse("accounts:two_factor"), {"token": wrong})
    second = client.post(reverse("accounts:two_factor"), {"token": token_for(device)})
    assert first.status_code == 400
    assert "Mã xác thực không đúng" in first.content.decode()
    # right after a wrong code even the right one waits (django-otp throttling)
    assert second.status_code == 400
    assert "Đã nhập sai nhiều lần" in second.content.decode()
    device.refresh_from_db()
    assert not device.confirmed


def test_login_with_authenticator_asks_for_the_code(client, clerk):
    # GIVEN an officer with a confirmed authenticator
    device = TOTPDevice.objects.create(user=clerk, name="egov", confirmed=True)
    # WHEN they sign in with the password
    response = client.post(reverse("accounts:login"), {"username": "tiepnhan", "password": PASSWORD})
    # THEN they are asked for the code before the back office opens
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_verify"))
    assert client.get(reverse("dossiers:worklist")).status_code == 302
    verified = client.post(
        reverse("accounts:two_factor_verify"),
        {"token": token_for(device), "next": reverse("dossiers:worklist")},
    )
    assert verified.status_code == 302
    assert verified["Location"] == reverse("dossiers:worklist")
    assert client.get(reverse("dossiers:worklist")).status_code == 200
