"""An independent validator: poppler's ``pdfsig`` must accept our signatures and trust our root.

Skipped with the reason when ``pdfsig`` (poppler-utils) or ``certutil`` (libnss3-tools) is missing on
a developer's machine; in CI (``CI`` set) a missing tool is a failure, so a green build never hides a
check that did not run.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from egov.signing import ca, services, stamp

from .conftest import CERTUTIL, PDFSIG, nss_db_trusting

pytestmark = pytest.mark.django_db


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def need(tool: str | None, name: str, package: str) -> str:
    if tool:
        return tool
    if in_ci():
        pytest.fail(f"{name} not found: install {package} (scripts/system-deps.sh)", pytrace=False)
    pytest.skip(f"{name} not found (apt-get install {package})")


def pdfsig(path, *args) -> str:
    result = subprocess.run(
        [need(PDFSIG, "pdfsig", "poppler-utils"), *args, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout + result.stderr


@pytest.fixture
def leader_and_seal(leader_cert, seal_cert, one_page_pdf) -> bytes:
    box = (330.0, 470.0, 530.0, 580.0)
    signed = services.pdf_sign(
        pdf=one_page_pdf,
        certificate=leader_cert,
        reason="Phê duyệt",
        location="Phú Thọ",
        field_name="LanhDao",
        visible=True,
        box=box,
    )
    return services.pdf_sign(
        pdf=signed,
        certificate=seal_cert,
        reason="Đóng dấu",
        location="Phú Thọ",
        field_name="ConDau",
        visible=True,
        stamp_text="",
        box=stamp.seal_box(box),
    )


def test_pdfsig_reports_both_signatures_valid(tmp_path, leader_and_seal):
    path = tmp_path / "signed.pdf"
    path.write_bytes(leader_and_seal)
    output = pdfsig(path, "-nocert")
    assert output.count("Signature is Valid.") == 2, output
    assert "Nguyễn Thị Hằng" in output
    assert "ETSI.CAdES.detached" in output
    assert "Total document signed" in output  # the last signature covers the whole file


def test_pdfsig_trusts_the_chain_to_our_root(tmp_path, leader_and_seal, dev_ca):
    need(CERTUTIL, "certutil", "libnss3-tools")
    path = tmp_path / "signed.pdf"
    path.write_bytes(leader_and_seal)
    db = nss_db_trusting(dev_ca.cert_path(ca.ROOT), tmp_path / "nss")
    # Not -no-ocsp: poppler 22.12 then reports "Unknown issue" for any chain (our certificates name no
    # OCSP responder, so nothing is fetched either way).
    output = pdfsig(path, "-nssdir", db)
    assert output.count("Signature is Valid.") == 2, output
    assert output.count("Certificate is Trusted.") == 2, output


def test_pdfsig_detects_tampering(tmp_path, leader_cert, one_page_pdf):
    signed = services.pdf_sign(
        pdf=one_page_pdf, certificate=leader_cert, reason="", location="", field_name="S", visible=False
    )
    path = tmp_path / "tampered.pdf"
    path.write_bytes(signed.replace(b"15/QD-UBND", b"16/QD-UBND"))
    output = pdfsig(path, "-nocert")
    assert "Signature is Valid." not in output
    assert "Digest Mismatch" in output, output
