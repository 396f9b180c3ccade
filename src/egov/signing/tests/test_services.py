"""Signing: PAdES signatures, visible stamps, the seal next to the leader's signature, refusals, speed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from django.utils import timezone

from egov.core.errors import TransitionNotAllowed, ValidationFailed
from egov.signing import ca, providers, services, stamp
from egov.signing.choices import CertificateKind, CertificateStatus, RevocationReason, SignatureLevel
from egov.signing.verification import pdf_verify

from .conftest import stamp_texts, widget_rects

ISO_LOCAL = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00")
pytestmark = pytest.mark.django_db


# ---- certificates ----------------------------------------------------------------------------------
def test_issue_personal_certificate_for_an_official(leader, agency, dev_ca):
    # GIVEN a leader of a commune People's Committee
    # WHEN the development CA issues them a certificate
    certificate = services.certificate_issue(user=leader)
    # THEN it is a personal certificate in their name and agency, valid now, issued by our issuing CA
    assert certificate.kind == CertificateKind.PERSONAL
    assert certificate.common_name == "Nguyễn Thị Hằng"
    assert certificate.organization == agency.name
    assert certificate.status == CertificateStatus.ACTIVE
    assert certificate.not_before <= timezone.now() <= certificate.not_after
    cert = x509.load_pem_x509_certificate(certificate.certificate_pem.encode())
    assert cert.issuer == dev_ca.certificate(ca.ISSUING).subject
    # AND it carries non-repudiation and a CRL distribution point built from EGOV_PUBLIC_URL
    assert cert.extensions.get_extension_for_class(x509.KeyUsage).value.content_commitment
    points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name[0].value == "http://egov.test/verify/crl/issuing.crl"
    # AND the key is stored only inside a passphrase-protected PKCS#12 bundle
    assert b"PRIVATE KEY" not in bytes(certificate.pkcs12)
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(bytes(certificate.pkcs12), None)


def test_issue_seal_certificate_for_an_agency(agency):
    certificate = services.certificate_issue(agency=agency)
    assert certificate.kind == CertificateKind.AGENCY_SEAL
    assert certificate.common_name == agency.name
    assert certificate.user is None
    assert bytes(certificate.image_png).startswith(b"\x89PNG")


def test_issue_needs_exactly_one_owner(leader, agency):
    with pytest.raises(ValidationFailed):
        services.certificate_issue(user=leader, agency=agency)
    with pytest.raises(ValidationFailed):
        services.certificate_issue()


def test_revoke_publishes_the_serial_on_the_crl(leader_cert, django_capture_on_commit_callbacks, dev_ca):
    # WHEN a certificate is revoked
    with django_capture_on_commit_callbacks(execute=True):
        services.certificate_revoke(certificate=leader_cert, reason=RevocationReason.KEY_COMPROMISE)
    # THEN the row says so and the issuing CA's CRL lists its serial with the reason
    leader_cert.refresh_from_db()
    assert leader_cert.status == CertificateStatus.REVOKED
    assert leader_cert.revoked_at is not None
    crl = x509.load_der_x509_crl(dev_ca.crl_path(ca.ISSUING).read_bytes())
    entry = crl.get_revoked_certificate_by_serial_number(int(leader_cert.serial_number, 16))
    assert entry is not None
    assert (
        entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        == x509.ReasonFlags.key_compromise
    )
    # AND revoking twice is refused
    with pytest.raises(TransitionNotAllowed):
        services.certificate_revoke(certificate=leader_cert)


# ---- signing -----------------------------------------------------------------------------------------
def test_sign_and_verify_round_trip(leader_cert, one_page_pdf):
    # GIVEN a one-page PDF and the leader's certificate
    # WHEN it is signed invisibly
    signed = services.pdf_sign(
        pdf=one_page_pdf,
        certificate=leader_cert,
        reason="Phê duyệt kết quả",
        location="Phú Thọ",
        field_name="LanhDao",
        visible=False,
    )
    # THEN the original bytes are untouched at the start (an incremental update) and the signature verifies
    assert signed.startswith(one_page_pdf)
    result = pdf_verify(signed)
    assert result["verdict"] == "valid"
    (signature,) = result["signatures"]
    assert signature["signer"]["common_name"] == "Nguyễn Thị Hằng"
    assert signature["signer"]["organization"] == "Ủy ban nhân dân xã Thanh Sơn"
    assert ISO_LOCAL.fullmatch(signature["signed_at"])
    assert signature["reason"] == "Phê duyệt kết quả"
    assert signature["intact"] and signature["trusted"] and signature["valid_at_signing"]
    assert signature["revoked"] is False and signature["revocation_checked"] is True
    assert signature["covers_whole_document"] is True
    # AND with our CA's CRL available locally, the signature is PAdES B-LT (CRLs in the DSS)
    assert signature["level"] == "B-LT"


def test_b_b_level_embeds_no_validation_data(leader_cert, one_page_pdf):
    signed = services.pdf_sign(
        pdf=one_page_pdf,
        certificate=leader_cert,
        reason="",
        location="",
        field_name="Sig",
        visible=False,
        level=SignatureLevel.B_B,
    )
    (signature,) = pdf_verify(signed)["signatures"]
    assert signature["level"] == "B-B"
    assert signature["verdict"] == "valid"
    assert b"/DSS" not in signed[len(one_page_pdf) :]


def test_visible_stamp_shows_iso_time_with_vietnam_offset(leader_cert, one_page_pdf):
    # WHEN the leader signs visibly with the default stamp text
    signed = services.pdf_sign(
        pdf=one_page_pdf,
        certificate=leader_cert,
        reason="Phê duyệt",
        location="Phú Thọ",
        field_name="LanhDao",
        visible=True,
        box=(330, 480, 530, 580),
    )
    # THEN the stamp text (extracted with pypdf) holds the signing time in ISO 8601 with +07:00 ...
    text = stamp_texts(signed)["LanhDao"]
    match = ISO_LOCAL.search(text)
    assert match, text
    # ... the same instant the verifier reads from the signature
    (signature,) = pdf_verify(signed)["signatures"]
    assert signature["signed_at"] == match.group(0)
    assert widget_rects(signed)["LanhDao"] == (330.0, 480.0, 530.0, 580.0)


def test_vietnamese_stamp_text_extracts_correctly(leader_cert, one_page_pdf):
    # GIVEN a stamp text full of Vietnamese diacritics, with placeholders and a literal percent sign
    text = "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH {signer}\nỦy ban nhân dân xã Thanh Sơn – đạt 100%\nKý lúc {signed_at}"
    signed = services.pdf_sign(
        pdf=one_page_pdf,
        certificate=leader_cert,
        reason="Ban hành",
        location="Phú Thọ",
        field_name="LanhDao",
        visible=True,
        stamp_text=text,
        image=b"",
        box=(300, 480, 560, 560),
    )
    # THEN the text copied out of the PDF is exactly what was written, diacritics and all
    lines = stamp_texts(signed)["LanhDao"].splitlines()
    assert lines[:3] == [
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH Nguyễn Thị Hằng",
        "Ủy ban nhân dân xã Thanh Sơn – đạt 100%",
    ]
    assert ISO_LOCAL.fullmatch(lines[3].removeprefix("Ký lúc "))
    # AND the time line is the only one added: the template already had {signed_at}
    assert len(lines) == 4


def test_stamp_text_without_time_gets_the_time_line(leader_cert, one_page_pdf):
    signed = services.pdf_sign(
        pdf=one_page_pdf,
        certificate=leader_cert,
        reason="",
        location="",
        field_name="PhuLuc",
        visible=True,
        stamp_text="Số: 15/QĐ-UBND",
        image=b"",
    )
    lines = stamp_texts(signed)["PhuLuc"].splitlines()
    assert lines[0] == "Số: 15/QĐ-UBND"
    assert lines[1].startswith("Thời gian ký: ") and ISO_LOCAL.fullmatch(lines[1].split(": ", 1)[1])


def test_default_box_is_top_right_of_first_page(seal_cert, one_page_pdf):
    # Decree 30/2020 App. I §II.8(b): the agency signature on an attachment sits top right, no image.
    signed = services.pdf_sign(
        pdf=one_page_pdf,
        certificate=seal_cert,
        reason="",
        location="",
        field_name="VanThu",
        visible=True,
        image=b"",
    )
    x1, y1, x2, y2 = widget_rects(signed)["VanThu"]
    assert x2 > 595 * 0.85 and y2 > 842 * 0.9
    assert ISO_LOCAL.search(stamp_texts(signed)["VanThu"])


def test_leader_then_agency_seal_overlapping_a_third(leader_cert, seal_cert, one_page_pdf):
    # GIVEN the leader's visible signature
    leader_box = (330.0, 470.0, 530.0, 580.0)
    signed = services.pdf_sign(
        pdf=one_page_pdf,
        certificate=leader_cert,
        reason="Phê duyệt",
        location="Phú Thọ",
        field_name="LanhDao",
        visible=True,
        box=leader_box,
    )
    # WHEN the clerk adds the agency seal, image only, placed by seal_box
    signed = services.pdf_sign(
        pdf=signed,
        certificate=seal_cert,
        reason="Đóng dấu",
        location="Phú Thọ",
        field_name="ConDau",
        visible=True,
        stamp_text="",
        box=stamp.seal_box(leader_box),
    )
    # THEN the seal's right edge is one third into the signature, on its left side (§II.8(a))
    rects = widget_rects(signed)
    sx1, sy1, sx2, sy2 = rects["ConDau"]
    assert sx2 == pytest.approx(leader_box[0] + (leader_box[2] - leader_box[0]) / 3)
    assert sx1 < leader_box[0] < sx2
    assert sy1 < leader_box[3] and sy2 > leader_box[1]
    # AND both signatures verify; the leader's is followed only by a signature, which is harmless
    result = pdf_verify(signed)
    assert result["verdict"] == "valid"
    first, second = result["signatures"]
    assert first["field_name"] == "LanhDao" and first["changes_after_signing"] == "form_filling"
    assert second["field_name"] == "ConDau" and second["covers_whole_document"] is True
    assert stamp_texts(signed)["ConDau"] == ""


def test_refuses_revoked_certificate(leader_cert, one_page_pdf):
    services.certificate_revoke(certificate=leader_cert)
    with pytest.raises(ValidationFailed) as error:
        services.pdf_sign(
            pdf=one_page_pdf, certificate=leader_cert, reason="", location="", field_name="S", visible=False
        )
    assert error.value.code == "certificate_revoked"


def test_refuses_expired_certificate(leader, one_page_pdf):
    now = timezone.now()
    expired = services.certificate_issue(
        user=leader, not_before=now - dt.timedelta(days=30), not_after=now - dt.timedelta(days=1)
    )
    with pytest.raises(ValidationFailed) as error:
        services.pdf_sign(
            pdf=one_page_pdf, certificate=expired, reason="", location="", field_name="S", visible=False
        )
    assert error.value.code == "certificate_expired"
    assert "hết hạn" in error.value.message


def test_refuses_what_is_not_a_pdf(leader_cert):
    with pytest.raises(ValidationFailed) as error:
        services.pdf_sign(
            pdf=b"not a pdf", certificate=leader_cert, reason="", location="", field_name="S", visible=False
        )
    assert error.value.code == "invalid_pdf"


def test_refuses_to_sign_the_same_field_twice(leader_cert, one_page_pdf):
    signed = services.pdf_sign(
        pdf=one_page_pdf, certificate=leader_cert, reason="", location="", field_name="S", visible=False
    )
    with pytest.raises(ValidationFailed):
        services.pdf_sign(
            pdf=signed, certificate=leader_cert, reason="", location="", field_name="S", visible=False
        )


def test_refuses_an_image_that_is_not_png(leader_cert, one_page_pdf):
    with pytest.raises(ValidationFailed) as error:
        services.pdf_sign(
            pdf=one_page_pdf,
            certificate=leader_cert,
            reason="",
            location="",
            field_name="S",
            visible=True,
            image=b"GIF89a....",
        )
    assert error.value.code == "bad_image"


# ---- the fast path (performance.md §3b.7) ----------------------------------------------------------------
def test_key_is_parsed_once_and_no_dry_run_signature(leader_cert, one_page_pdf, monkeypatch):
    # GIVEN a signer already loaded for the certificate
    provider = providers.default_provider()
    signer = provider.signer_for(leader_cert)
    assert provider.signer_for(leader_cert) is signer

    # WHEN signing while key parsing and the container-size dry run are made to fail
    def no_parse(*args, **kwargs):
        raise AssertionError("the private key was parsed again")

    def no_dry_run(*args, **kwargs):
        raise AssertionError("a dry-run signature was made to size the container")

    monkeypatch.setattr(providers.serialization, "load_der_private_key", no_parse)
    monkeypatch.setattr("pyhanko.sign.signers.pdf_cms.serialization.load_der_private_key", no_parse)
    monkeypatch.setattr(
        "pyhanko.sign.signers.pdf_signer.PdfSigningSession.estimate_signature_container_size", no_dry_run
    )
    signed = services.pdf_sign(
        pdf=one_page_pdf, certificate=leader_cert, reason="", location="", field_name="S", visible=False
    )
    # THEN signing still works: it used the cached, parsed key and the reserved size
    assert pdf_verify(signed)["verdict"] == "valid"


def test_a_crl_about_to_expire_is_reissued(dev_ca, monkeypatch):
    # GIVEN an issuing-CA CRL that expires in an hour
    monkeypatch.setattr(ca, "CRL_DAYS", 1 / 24)
    dev_ca.publish_crl(ca.ISSUING, [])
    assert dev_ca.crl_needs_refresh(ca.ISSUING)
    monkeypatch.setattr(ca, "CRL_DAYS", 7)
    # WHEN signing or verification next checks (the once-a-minute throttle reset for the test)
    monkeypatch.setattr(services, "_crl_checked_at", 0.0)
    services.crls_refresh_if_due()
    # THEN a fresh CRL, valid a week, is published
    assert not dev_ca.crl_needs_refresh(ca.ISSUING)
    crl = x509.load_der_x509_crl(dev_ca.crl_path(ca.ISSUING).read_bytes())
    assert crl.next_update_utc - dt.datetime.now(dt.UTC) > dt.timedelta(days=6)
