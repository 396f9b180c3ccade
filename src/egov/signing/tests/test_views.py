"""The public verification page and the CA's published CRLs and certificates."""

from __future__ import annotations

import pytest
from cryptography import x509
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from egov.signing import ca, services

pytestmark = pytest.mark.django_db


def test_page_shows_the_upload_form(client):
    response = client.get(reverse("signing:verify"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Kiểm tra chữ ký số" in content
    assert 'enctype="multipart/form-data"' in content


def test_upload_shows_results_in_vietnamese(client, leader_cert, one_page_pdf):
    signed = services.pdf_sign(
        pdf=one_page_pdf,
        certificate=leader_cert,
        reason="Phê duyệt",
        location="Phú Thọ",
        field_name="LanhDao",
        visible=False,
    )
    response = client.post(
        reverse("signing:verify"),
        {"file": SimpleUploadedFile("qd.pdf", signed, content_type="application/pdf")},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-verdict="valid"' in content
    assert "Chữ ký số hợp lệ." in content
    assert "Nguyễn Thị Hằng" in content
    assert "+07:00" in content
    assert "Nội dung nguyên vẹn" in content


def test_garbage_upload_shows_a_message_not_a_500(client):
    response = client.post(
        reverse("signing:verify"),
        {"file": SimpleUploadedFile("x.pdf", b"not a pdf", content_type="application/pdf")},
    )
    assert response.status_code == 400
    assert "Tệp không phải PDF." in response.content.decode()


def test_missing_file_shows_the_form_error(client):
    response = client.post(reverse("signing:verify"), {})
    assert response.status_code == 400
    assert "Vui lòng chọn tệp PDF cần kiểm tra." in response.content.decode()


def test_upload_over_the_limit_is_refused(client, settings, one_page_pdf):
    settings.EGOV_MAX_UPLOAD_BYTES = 500
    response = client.post(
        reverse("signing:verify"),
        {"file": SimpleUploadedFile("qd.pdf", one_page_pdf, content_type="application/pdf")},
    )
    assert response.status_code == 400
    assert "Tệp quá lớn" in response.content.decode()


def test_crl_is_served_in_der(client, dev_ca):
    response = client.get("/verify/crl/issuing.crl")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(response.content)
    assert crl.issuer == dev_ca.certificate(ca.ISSUING).subject
    assert crl.is_signature_valid(dev_ca.certificate(ca.ISSUING).public_key())


def test_unknown_crl_is_404(client):
    assert client.get("/verify/crl/nothing.crl").status_code == 404


def test_root_certificate_download(client, dev_ca):
    response = client.get("/verify/ca/root.crt")
    assert response.status_code == 200
    assert x509.load_der_x509_certificate(response.content) == dev_ca.certificate(ca.ROOT)
