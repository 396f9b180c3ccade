"""``POST /api/v1/verify``: public, multipart field ``file``, the contract's answer and error shapes."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from egov.signing import services

pytestmark = pytest.mark.django_db
URL = "/api/v1/verify"


def post(client, data: bytes, name: str = "van-ban.pdf"):
    return client.post(URL, {"file": SimpleUploadedFile(name, data, content_type="application/pdf")})


def test_verify_a_signed_pdf_without_authentication(client, leader_cert, one_page_pdf):
    # GIVEN a signed PDF and no credentials at all
    signed = services.pdf_sign(
        pdf=one_page_pdf,
        certificate=leader_cert,
        reason="Phê duyệt",
        location="Phú Thọ",
        field_name="LanhDao",
        visible=True,
    )
    # WHEN it is posted to the public endpoint
    response = post(client, signed)
    # THEN the answer lists the signature with the contract's fields
    assert response.status_code == 200
    body = response.json()
    assert body["verdict"] == "valid"
    (signature,) = body["signatures"]
    for key in (
        "signer",
        "signed_at",
        "intact",
        "trusted",
        "valid_at_signing",
        "revoked",
        "covers_whole_document",
    ):
        assert key in signature
    assert signature["signer"]["common_name"] == "Nguyễn Thị Hằng"
    assert signature["signed_at"].endswith("+07:00")
    assert signature["intact"] is True and signature["trusted"] is True
    assert body["document"]["size"] == len(signed)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\x00\x01garbage\xff" * 50, "not_pdf"),
        (b"%PDF-1.7\nthis is not really a pdf\n%%EOF", "invalid_pdf"),
        (b"", "empty_file"),
    ],
)
def test_garbage_is_a_400_with_the_error_shape(client, data, code):
    response = post(client, data)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"] and not error["message"].isascii()


def test_missing_file_field_is_a_400(client):
    response = client.post(URL, {})
    assert response.status_code == 400
    assert "error" in response.json()


def test_too_large_is_a_400(client, settings, one_page_pdf):
    settings.EGOV_MAX_UPLOAD_BYTES = 500
    response = post(client, one_page_pdf)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "file_too_large"


def test_endpoint_is_in_the_openapi_document(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "post" in schema["paths"]["/api/v1/verify"]
