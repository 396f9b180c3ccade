"""Verification: integrity, trust, validity at the signing time, revocation, later changes, bad input."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from egov.core.errors import ValidationFailed
from egov.signing import providers, services
from egov.signing.choices import SignatureLevel
from egov.signing.verification import NO_SIGNATURES, SEVERITY, pdf_verify

from .conftest import make_pdf

pytestmark = pytest.mark.django_db


def sign(pdf: bytes, certificate, **kwargs) -> bytes:
    defaults = {"reason": "Phê duyệt", "location": "Phú Thọ", "field_name": "LanhDao", "visible": False}
    return services.pdf_sign(pdf=pdf, certificate=certificate, **{**defaults, **kwargs})


def sign_unchecked(pdf: bytes, certificate, *, signed_at: dt.datetime) -> bytes:
    """A signature ``pdf_sign`` would refuse (expired or revoked certificate, a past time): PAdES B-B."""
    return services.sign_with_signer(
        pdf=pdf,
        signer=providers.default_provider().signer_for(certificate),
        reason="Phê duyệt",
        location="Phú Thọ",
        field_name="LanhDao",
        visible=False,
        level=SignatureLevel.B_B,
        signed_at=signed_at,
    )


# ---- integrity -------------------------------------------------------------------------------------
def test_a_flipped_byte_inside_the_signed_range_breaks_integrity(leader_cert, one_page_pdf):
    # GIVEN a signed PDF whose content stream holds the document number in clear
    signed = sign(one_page_pdf, leader_cert)
    assert signed.count(b"15/QD-UBND") == 1
    # WHEN one byte of the signed content is changed (same length, so the file still parses)
    tampered = signed.replace(b"15/QD-UBND", b"16/QD-UBND")
    # THEN the signature is reported as not intact, and the document as tampered
    result = pdf_verify(tampered)
    (signature,) = result["signatures"]
    assert signature["intact"] is False
    assert signature["valid_at_signing"] is False
    assert signature["verdict"] == result["verdict"] == "tampered"


def test_a_damaged_signature_container_is_reported_not_raised(leader_cert, one_page_pdf):
    signed = sign(one_page_pdf, leader_cert)
    # The CMS sits in the /Contents hex string, outside the signed ranges; overwrite its start.
    match = re.search(rb"/Contents <([0-9a-fA-F]{64})", signed)
    assert match
    broken = signed[: match.start(1)] + b"0" * 64 + signed[match.end(1) :]
    result = pdf_verify(broken)
    assert result["verdict"] == "tampered"
    assert result["signatures"][0]["intact"] is False


def test_an_incremental_update_that_changes_content_is_reported(leader_cert, one_page_pdf):
    # GIVEN a signed PDF
    signed = sign(one_page_pdf, leader_cert)
    # WHEN someone appends an incremental update that draws new text on the page
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page_ref, _resources = writer.find_page_for_modification(0)
    stream = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 700 Td (DA SUA DOI) Tj ET"))
    writer.add_stream_to_page(0, stream)
    out = io.BytesIO()
    writer.write(out)
    # THEN the bytes that were signed are still intact, but the signature no longer covers the document
    result = pdf_verify(out.getvalue())
    (signature,) = result["signatures"]
    assert signature["intact"] is True
    assert signature["covers_whole_document"] is False
    assert signature["coverage"] == "entire_revision"
    assert signature["changes_after_signing"] == "content"
    assert signature["verdict"] == result["verdict"] == "modified"
    assert "sửa đổi" in result["message"]


# ---- trust and validity ----------------------------------------------------------------------------------
def test_expired_now_but_valid_when_signed(leader, one_page_pdf):
    # GIVEN a certificate valid for the last 30 days up to yesterday, used 10 days ago
    now = timezone.now()
    certificate = services.certificate_issue(
        user=leader, not_before=now - dt.timedelta(days=30), not_after=now - dt.timedelta(days=1)
    )
    signed = sign_unchecked(one_page_pdf, certificate, signed_at=now - dt.timedelta(days=10))
    # THEN the signature is valid (made while the certificate was valid), with a warning that it expired
    (signature,) = pdf_verify(signed)["signatures"]
    assert signature["valid_at_signing"] is True
    assert signature["certificate"]["expired_now"] is True
    assert signature["verdict"] == "valid"
    assert any("hết hạn" in w for w in signature["warnings"])


def test_signed_with_an_expired_certificate(leader, one_page_pdf):
    # GIVEN a certificate that expired yesterday, used today
    now = timezone.now()
    certificate = services.certificate_issue(
        user=leader, not_before=now - dt.timedelta(days=30), not_after=now - dt.timedelta(days=1)
    )
    signed = sign_unchecked(one_page_pdf, certificate, signed_at=now)
    # THEN it still chains to our root, but was not valid when it signed
    result = pdf_verify(signed)
    (signature,) = result["signatures"]
    assert signature["intact"] is True
    assert signature["trusted"] is True
    assert signature["valid_at_signing"] is False
    assert signature["verdict"] == result["verdict"] == "not_valid_at_signing"


def test_revoked_after_signing_is_reported(leader_cert, one_page_pdf, django_capture_on_commit_callbacks):
    # GIVEN a document signed now
    signed = sign(one_page_pdf, leader_cert)
    # WHEN the certificate is revoked afterwards (the CRL is re-published on commit)
    with django_capture_on_commit_callbacks(execute=True):
        services.certificate_revoke(certificate=leader_cert, at=timezone.now() + dt.timedelta(seconds=5))
    # THEN the verifier reports the revocation with its time
    result = pdf_verify(signed)
    (signature,) = result["signatures"]
    assert signature["revoked"] is True
    assert re.fullmatch(r".+\+07:00", signature["revoked_at"])
    assert signature["valid_at_signing"] is True
    # AND, with no timestamp to prove the signature came first, the verdict is "revoked"
    assert signature["verdict"] == result["verdict"] == "revoked"
    assert "thu hồi" in signature["message"]


def test_revoked_before_signing(leader_cert, one_page_pdf, django_capture_on_commit_callbacks):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        services.certificate_revoke(certificate=leader_cert, at=now - dt.timedelta(hours=1))
    signed = sign_unchecked(one_page_pdf, leader_cert, signed_at=now)
    (signature,) = pdf_verify(signed)["signatures"]
    assert signature["revoked"] is True
    assert signature["valid_at_signing"] is False
    assert signature["verdict"] == "revoked"


def test_a_certificate_from_another_ca_is_untrusted(one_page_pdf):
    # GIVEN a self-signed certificate that has nothing to do with our CA
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kẻ Mạo Danh")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    bundle = pkcs12.serialize_key_and_certificates(b"x", key, cert, None, serialization.NoEncryption())
    signer = providers.load_pkcs12_signer(bundle, b"")
    signed = services.sign_with_signer(
        pdf=one_page_pdf, signer=signer, reason="", location="", field_name="Gia", visible=False
    )
    # THEN the bytes are intact but the signer is not trusted
    result = pdf_verify(signed)
    (signature,) = result["signatures"]
    assert signature["signer"]["common_name"] == "Kẻ Mạo Danh"
    assert signature["intact"] is True
    assert signature["trusted"] is False
    assert signature["revocation_checked"] is False
    assert signature["verdict"] == result["verdict"] == "untrusted"


# ---- input ---------------------------------------------------------------------------------------------
def test_unsigned_pdf_has_no_signatures(one_page_pdf):
    result = pdf_verify(one_page_pdf)
    assert result["signatures"] == []
    assert result["verdict"] == "no_signatures"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (b"GIF89a not a pdf at all", "not_pdf"),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage\n%%EOF", "invalid_pdf"),
        (b"%PDF-1.4\n" + bytes(range(256)) * 8, "invalid_pdf"),
    ],
)
def test_garbage_gives_a_clear_vietnamese_error(data, code):
    with pytest.raises(ValidationFailed) as error:
        pdf_verify(data)
    assert error.value.code == code
    assert error.value.message and error.value.message.isascii() is False


def test_too_large_is_refused(settings):
    settings.EGOV_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(ValidationFailed) as error:
        pdf_verify(make_pdf() + b" " * 1000)
    assert error.value.code == "file_too_large"


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.floats(min_value=0, max_value=0.999), value=st.integers(min_value=0, max_value=255))
def test_any_damaged_byte_gives_a_result_or_a_clear_error(leader_cert, one_page_pdf, position, value):
    # GIVEN a signed PDF with one byte replaced anywhere (the fixtures are only read, never changed)
    data = bytearray(sign(one_page_pdf, leader_cert))
    data[int(position * len(data))] = value
    # THEN verification answers or raises ValidationFailed with a message, never anything else
    try:
        result = pdf_verify(bytes(data))
    except ValidationFailed as error:
        assert error.code and error.message
    else:
        # Any verdict the page can explain: a byte in the unsigned validation data (a CRL or an OCSP
        # answer kept for long-term validation) can leave the signature intact but its certificate's
        # status at signing time unprovable (not_valid_at_signing), which is an answer, not a failure.
        assert result["verdict"] in {*SEVERITY, NO_SIGNATURES}
        assert result["message"]
