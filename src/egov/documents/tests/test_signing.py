"""Signing an outgoing document digitally through ``egov.signing`` (optional: skipped without that app)."""

from __future__ import annotations

import datetime as dt
import io

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
    assert calls == [("certificate of the leader", f"egov-outgoing-{document.pk}-v1", False)]
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
