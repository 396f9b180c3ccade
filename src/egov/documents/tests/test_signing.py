"""Signing an outgoing document digitally through ``egov.signing`` (optional: skipped without that app)."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from egov.core.errors import ValidationFailed
from egov.documents import services as svc
from egov.documents.choices import OutgoingAction, OutgoingStatus, VersionKind

pytestmark = pytest.mark.django_db


def real_pdf(text: str = "QUYET DINH ve viec thanh lap To cong tac") -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.drawString(72, 760, text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def approved(office):
    document = office.draft(content=("du-thao.pdf", real_pdf(), "application/pdf"))
    svc.outgoing_submit_for_review(document=document, actor=office.specialist)
    return svc.outgoing_approve(document=document, actor=office.leader)


def test_signing_calls_the_signing_app_and_stores_the_signed_bytes(office, monkeypatch):
    signing = pytest.importorskip("egov.signing.services")
    if not hasattr(signing, "pdf_sign"):
        pytest.skip("egov.signing.services.pdf_sign is not there yet")
    document = approved(office)
    calls = []

    def fake_sign(*, pdf, certificate, field_name, visible, **kwargs):
        calls.append((certificate, field_name, visible))
        return real_pdf("QUYET DINH (chu ky so)")

    monkeypatch.setattr(signing, "pdf_sign", fake_sign)
    monkeypatch.setattr(svc, "digital_signing_certificate", lambda user: "certificate of the leader")
    signed = svc.outgoing_sign_digitally(document=document, actor=office.leader)
    assert signed.status == OutgoingStatus.SIGNED
    assert calls == [("certificate of the leader", f"egov-outgoing-{document.pk}-v1", True)]
    assert signed.signed_version.kind == VersionKind.SIGNED
    assert signed.signed_version.name == "du-thao-ky-so.pdf"
    assert signed.events.get(action=OutgoingAction.SIGN).data["method"] == "digital"


def test_signing_needs_a_certificate(office, monkeypatch):
    pytest.importorskip("egov.signing.services")
    document = approved(office)
    monkeypatch.setattr(svc, "digital_signing_certificate", lambda user: None)
    with pytest.raises(ValidationFailed, match="chứng thư"):
        svc.outgoing_sign_digitally(document=document, actor=office.leader)


def test_a_real_pades_signature_from_the_development_ca(office, settings, tmp_path):
    ca = pytest.importorskip("egov.signing.ca")
    signing = pytest.importorskip("egov.signing.services")
    verification = pytest.importorskip("egov.signing.verification")
    if not all(hasattr(signing, name) for name in ("certificate_issue", "pdf_sign")):
        pytest.skip("the signing app does not offer certificate_issue/pdf_sign yet")
    authority = ca.DevCertificateAuthority(tmp_path)
    authority.ensure(valid_from=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    settings.EGOV_SIGNING_DIR = str(tmp_path)
    signing.certificate_issue(user=office.leader)
    document = approved(office)
    signed = svc.outgoing_sign_digitally(document=document, actor=office.leader)
    with signed.signed_version.file.open("rb") as stored:
        content = stored.read()
    verify = getattr(verification, "pdf_verify", None) or getattr(signing, "pdf_verify", None)
    if verify is None:
        assert b"/ByteRange" in content
        return
    report = verify(content)
    assert len(report["signatures"]) == 1
    assert report["signatures"][0]["intact"] is True


# ---- visible leader signature and agency seal (Decree 30/2020 Appendix I §II.7(d), §II.8(a)) ---------------

LEADER_NAME = "Lê Thị Thu Hà"
ISO_LOCAL = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00"


def pdf_with_signature_block(*, pages: int = 2) -> bytes:
    """A letter whose last page ends with the signature block of Appendix I: "Nơi nhận" on the left, the
    position ("CHỦ TỊCH") at y=300 and the signer's name at y=200 in the right-hand column (DejaVu, so the
    Vietnamese text can be found again)."""
    from django.conf import settings
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    font = next(
        (f"{d}/DejaVuSerif.ttf" for d in settings.EGOV_PDF_FONT_DIRS if Path(d, "DejaVuSerif.ttf").is_file()),
        None,
    )
    if font is None:
        pytest.skip("DejaVuSerif.ttf not found (apt-get install fonts-dejavu-core)")
    pdfmetrics.registerFont(TTFont("DejaVuSerif", font))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for number in range(1, pages + 1):
        pdf.setFont("DejaVuSerif", 13)
        pdf.drawString(85, 760, f"CÔNG VĂN trả lời Sở Nội vụ (trang {number})")
        if number == pages:
            pdf.drawString(85, 300, "Nơi nhận:")
            pdf.drawString(85, 285, "- Như trên;")
            pdf.drawCentredString(425, 300, "CHỦ TỊCH")
            pdf.drawCentredString(425, 200, LEADER_NAME)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@pytest.fixture(scope="module")
def ca_dir(tmp_path_factory):
    """The development CA (two RSA-3072 keys), made once for this module."""
    ca = pytest.importorskip("egov.signing.ca")
    directory = tmp_path_factory.mktemp("signing")
    ca.DevCertificateAuthority(directory).ensure(valid_from=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    return directory


@pytest.fixture
def signing(settings, ca_dir, office):
    """The leader (named and titled as on the letter) holds a personal certificate from the dev CA."""
    from egov.signing import services as signing_services

    settings.EGOV_SIGNING_DIR = str(ca_dir)
    settings.EGOV_PUBLIC_URL = "http://egov.test"
    office.leader.full_name = LEADER_NAME
    office.leader.position = "Chủ tịch"
    office.leader.save(update_fields=["full_name", "position"])
    signing_services.certificate_issue(user=office.leader)
    return signing_services


def signed_digitally(office, content: bytes, **overrides):
    document = office.draft(content=("cong-van.pdf", content, "application/pdf"), **overrides)
    svc.outgoing_submit_for_review(document=document, actor=office.specialist)
    svc.outgoing_approve(document=document, actor=office.leader)
    return svc.outgoing_sign_digitally(document=document, actor=office.leader)


def read(version) -> bytes:
    with version.file.open("rb") as stored:
        return stored.read()


def sig_widgets(pdf: bytes) -> list[tuple[int, str, tuple[float, ...], object]]:
    """``(page, field name, rect, normal appearance)`` of each signature widget, read with pypdf."""
    from pypdf import PdfReader

    found = []
    for index, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):
        for annotation in page.get("/Annots", []) or []:
            widget = annotation.get_object()
            if widget.get("/FT") == "/Sig":
                appearance = widget.get("/AP", {}).get("/N")
                rect = tuple(float(v) for v in widget["/Rect"])
                found.append(
                    (index, str(widget["/T"]), rect, appearance.get_object() if appearance else None)
                )
    return found


def pyhanko_validate(pdf: bytes, ca_dir) -> list:
    """Validate every signature with pyHanko directly, trusting only the development root."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from egov.signing import ca

    root = load_cert_from_pemder(str(ca.DevCertificateAuthority(ca_dir).cert_path(ca.ROOT)))
    reader = PdfFileReader(io.BytesIO(pdf))
    context = ValidationContext(trust_roots=[root], allow_fetching=False, revocation_mode="soft-fail")
    return [validate_pdf_signature(embedded, context) for embedded in reader.embedded_signatures]


def test_the_leader_signature_is_visible_between_position_and_name_on_the_last_page(office, signing):
    from egov.signing.tests.conftest import stamp_texts

    # GIVEN an approved two-page letter whose last page holds the signature block
    # WHEN the leader signs it digitally
    signed = signed_digitally(office, pdf_with_signature_block(pages=2))
    content = read(signed.signed_version)
    # THEN its one signature widget is on the last page, with a box and a drawn appearance ...
    ((page, field, rect, appearance),) = sig_widgets(content)
    assert page == 1 and field.startswith(f"egov-outgoing-{signed.pk}-v")
    x1, y1, x2, y2 = rect
    assert x2 - x1 > 100 and y2 - y1 > 50
    assert appearance is not None and appearance.get_data()
    # ... centred between the position line (y=300) and the name (y=200), in the name's column (§II.7(d))
    assert 200 + 13 <= y1 < y2 <= 300
    assert x1 < 425 < x2 and abs((x1 + x2) / 2 - 425) < 20
    # AND it shows the signer, position, agency and the signing time in ISO 8601 with +07:00
    text = stamp_texts(content)[field]
    assert LEADER_NAME in text and "Chủ tịch" in text and office.agency.name in text, text
    assert re.search(r"Thời gian ký: " + ISO_LOCAL, text), text
    # AND it is a PAdES signature with its validation data embedded (B-LT)
    from egov.signing.verification import pdf_verify

    (report,) = pdf_verify(content)["signatures"]
    assert report["verdict"] == "valid" and report["level"] == "B-LT", report


def test_without_a_signature_block_the_stamp_goes_where_the_block_usually_sits(office, signing):
    # GIVEN a one-page draft that does not print the signer's name
    signed = signed_digitally(office, real_pdf())
    # THEN the visible signature is on that page, in the right half, above the bottom margin
    ((page, _field, (x1, y1, x2, y2), appearance),) = sig_widgets(read(signed.signed_version))
    assert page == 0 and appearance is not None
    assert x1 > 595 / 2 - 20 and x2 < 595 - 40 and 60 < y1 < y2 < 300


def test_issue_applies_the_agency_seal_as_a_second_signature(office, signing, tmp_path, ca_dir):
    from egov.signing.verification import pdf_verify

    # GIVEN a letter the leader signed, and an agency holding a seal certificate
    signing.certificate_issue(agency=office.agency)
    signed = signed_digitally(office, pdf_with_signature_block(pages=1))
    leader_version = signed.signed_version
    # WHEN the clerk issues it
    issued = svc.outgoing_issue(document=signed, actor=office.clerk)
    # THEN the issued file is a new signed version over the leader-signed bytes, and the one sent
    sealed = issued.signed_version
    assert sealed.number == leader_version.number + 1 and sealed.kind == VersionKind.SIGNED
    assert sealed.name == "cong-van-ky-so-dong-dau.pdf"
    assert issued.number_notation in sealed.note
    leader_bytes, content = read(leader_version), read(sealed)
    assert content.startswith(leader_bytes)  # an incremental update: the leader's revision is untouched
    event = issued.events.get(action=OutgoingAction.ISSUE)
    assert event.data["seal"] == {"version": sealed.number, "checksum": sealed.checksum}
    # AND the seal is visible, at 36 mm, over the left third of the leader's signature (§II.8(a))
    (leader_page, _, leader_rect, _), (seal_page, seal_field, seal_rect, seal_ap) = sig_widgets(content)
    assert seal_field == f"egov-outgoing-{issued.pk}-seal" and seal_page == leader_page
    assert seal_ap is not None and seal_ap.get_data()
    assert seal_rect[2] == pytest.approx(leader_rect[0] + (leader_rect[2] - leader_rect[0]) / 3)
    assert seal_rect[2] - seal_rect[0] == pytest.approx(36 * 72 / 25.4)
    # AND both signatures are valid for egov's verifier, for pyHanko trusting only our root ...
    report = pdf_verify(content)
    assert report["verdict"] == "valid", report
    leader_report, seal_report = report["signatures"]
    assert leader_report["signer"]["common_name"] == LEADER_NAME
    assert leader_report["changes_after_signing"] == "form_filling"  # only the seal was added after it
    assert seal_report["signer"]["common_name"] == office.agency.name
    assert seal_report["covers_whole_document"] is True
    assert seal_report["reason"] == f"Phát hành văn bản số {issued.number_notation}"
    assert all(r["level"] == "B-LT" for r in report["signatures"]), report
    statuses = pyhanko_validate(content, ca_dir)
    assert len(statuses) == 2
    assert all(s.intact and s.valid and s.trusted for s in statuses), [s.summary() for s in statuses]
    assert statuses[1].coverage.name == "ENTIRE_FILE"
    assert office.agency.name in statuses[1].signing_cert.subject.human_friendly
    # ... and for poppler's pdfsig
    signing_conftest = pytest.importorskip("egov.signing.tests.conftest")
    if not (signing_conftest.PDFSIG and signing_conftest.CERTUTIL):
        pytest.skip("pdfsig/certutil not installed (poppler-utils, libnss3-tools)")
    from egov.signing import ca

    path = tmp_path / "issued.pdf"
    path.write_bytes(content)
    nss = signing_conftest.nss_db_trusting(
        ca.DevCertificateAuthority(ca_dir).cert_path(ca.ROOT), tmp_path / "nss"
    )
    result = subprocess.run(
        [signing_conftest.PDFSIG, "-nssdir", nss, str(path)], capture_output=True, text=True, timeout=60
    )
    output = result.stdout + result.stderr
    assert output.count("Signature is Valid.") == 2, output
    assert output.count("Certificate is Trusted.") == 2, output
    assert f"Signer Certificate Common Name: {LEADER_NAME}" in output, output
    assert f"Signer Certificate Common Name: {office.agency.name}" in output, output
    assert "Total document signed" in output, output


def test_issue_without_a_seal_certificate_issues_and_records_the_missing_seal(office, signing, client):
    from egov.documents import selectors

    # GIVEN a letter the leader signed, in an agency without a seal certificate
    signed = signed_digitally(office, real_pdf())
    leader_version = signed.signed_version
    # WHEN the clerk issues it from the page
    client.force_login(office.clerk)
    response = client.post(f"/documents/outgoing/{signed.pk}/actions/issue/", follow=True)
    # THEN it is numbered and issued with the leader's signature only, and the page says so in Vietnamese
    signed.refresh_from_db()
    assert signed.status == OutgoingStatus.ISSUED and signed.signed_version == leader_version
    assert signed.events.get(action=OutgoingAction.ISSUE).data["seal"] is None
    assert selectors.seal_applied(signed) is False
    page = response.content.decode()
    assert "Chưa đóng dấu chữ ký số của cơ quan" in page
    assert 'data-testid="seal-missing"' in page
    assert len(sig_widgets(read(signed.signed_version))) == 1


def test_a_seal_that_cannot_be_applied_refuses_the_issue_and_uses_no_number(office, signing, monkeypatch):
    from egov.signing import services as signing_services

    # GIVEN a signed letter and a seal certificate, but a seal signature the signing app refuses
    signing.certificate_issue(agency=office.agency)
    signed = signed_digitally(office, real_pdf())

    def refuse(**kwargs):
        raise ValidationFailed("Không ký được tệp PDF đã mã hóa.", code="encrypted_pdf")

    monkeypatch.setattr(signing_services, "pdf_sign", refuse)
    # WHEN the clerk issues it THEN the issue is refused and nothing changed
    with pytest.raises(ValidationFailed):
        svc.outgoing_issue(document=signed, actor=office.clerk)
    signed.refresh_from_db()
    assert signed.status == OutgoingStatus.SIGNED and signed.number is None
