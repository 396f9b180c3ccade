"""The public verification journey in Debian's Chromium: upload a signed PDF, read the verdict."""

from __future__ import annotations

import pytest

from egov.signing import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_citizen_checks_a_signed_result(page, leader_cert, one_page_pdf, tmp_path):
    # GIVEN a result signed by the commune leader, saved by a citizen
    signed = services.pdf_sign(
        pdf=one_page_pdf,
        certificate=leader_cert,
        reason="Phê duyệt",
        location="Phú Thọ",
        field_name="LanhDao",
        visible=True,
    )
    path = tmp_path / "ket-qua.pdf"
    path.write_bytes(signed)
    # WHEN they open the public page and upload it
    page.goto("/verify/")
    page.set_input_files("input[type=file]", str(path))
    page.get_by_test_id("verify-submit").click()
    # THEN the page says the signature is valid and who signed, with the Vietnam time offset
    verdict = page.get_by_test_id("verify-verdict")
    verdict.wait_for()
    assert "Chữ ký số hợp lệ." in verdict.inner_text()
    row = page.get_by_test_id("signature-row").first
    assert "Nguyễn Thị Hằng" in row.inner_text()
    assert "+07:00" in row.inner_text()
    page.screenshot(path=str(tmp_path / "verify.png"), full_page=True)
