"""A citizen finds a procedure, saves a draft, comes back and submits, in Chromium with JavaScript off:
the pages must work without it (seed 003: people with old phones and no help at hand)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from egov.accounts.choices import UserKind
from egov.catalog.models import Procedure
from egov.catalog.services import DEFAULT_CATALOG_PATH, catalog_import, offering_ensure
from egov.dossiers.models import Dossier
from egov.testing.factories import AgencyFactory, UserFactory

from .test_procedures import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "matkhau-Thu-nghiem-1"  # egov.testing.factories.UserFactory


@pytest.fixture
def no_js_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        java_script_enabled=False,
        viewport={"width": 390, "height": 844},  # a phone
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_find_draft_resume_and_submit_without_javascript(no_js_page):
    page = no_js_page
    catalog_import(stream_or_path=DEFAULT_CATALOG_PATH)
    police = AgencyFactory(code="000.02.25.H26", name="Công an phường Việt Trì", address="Số 2 Hùng Vương")
    offering_ensure(procedure=Procedure.objects.get(code="1.004222"), agency=police)
    UserFactory(username="congdan", kind=UserKind.CITIZEN, full_name="Lê Thị Mai", email="mai@example.vn")

    # GIVEN a signed-in citizen
    page.goto("/accounts/login/")
    page.locator("#id_username").fill("congdan")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("logout")).to_be_visible()

    # WHEN she searches without diacritics and with a typo, and opens the procedure
    page.goto("/thu-tuc/")
    page.get_by_label("Tên thủ tục hoặc từ khóa").fill("dang ki thuong truu")
    page.get_by_test_id("procedure-search-submit").click()
    page.get_by_test_id("procedure-result").first.get_by_role("link").click()
    expect(page.get_by_test_id("procedure-name")).to_have_text("Đăng ký thường trú")
    expect(page.get_by_test_id("expected-due-value")).to_have_text(
        re.compile(r"\d{2}:\d{2} ngày \d{2}/\d{2}/\d{4}")
    )

    # AND starts the online submission, types part of it and saves a draft
    page.get_by_test_id("submit-online").click()
    page.get_by_label("Địa chỉ đề nghị đăng ký thường trú").fill("Số 10 đường Hùng Vương, phường Việt Trì")
    page.get_by_test_id("save-draft").click()
    expect(page.get_by_test_id("message-success")).to_contain_text("Đã lưu bản nháp")

    # AND comes back later
    page.goto("/thu-tuc/1.004222/nop-ho-so/")
    expect(page.get_by_test_id("draft-resumed")).to_be_visible()
    expect(page.get_by_label("Địa chỉ đề nghị đăng ký thường trú")).to_have_value(
        "Số 10 đường Hùng Vương, phường Việt Trì"
    )

    # AND submits without the papers: the errors are listed at the top and link to the fields
    page.get_by_test_id("submit-dossier").click()
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Vui lòng nhập Họ, chữ đệm và tên.")
    expect(summary).to_contain_text("Vui lòng đính kèm Tờ khai thay đổi thông tin cư trú (Mẫu CT01).")

    # THEN with the form completed and the papers attached, the dossier is submitted
    page.locator("#id_applicant-id_number").fill("025190000123")
    page.locator("#id_f-full_name").fill("Lê Thị Mai")
    page.locator("#id_f-id_number").fill("025190000123")
    page.get_by_label("Tôi cam đoan những nội dung khai trên đây là đúng sự thật.", exact=False).check()
    papers = page.get_by_test_id("paper")
    for index in range(2):
        papers.nth(index).locator('input[type="file"]').set_input_files(
            {"name": f"giay-to-{index}.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
    page.get_by_test_id("submit-dossier").click()
    expect(page.get_by_test_id("submitted")).to_be_visible()
    dossier = Dossier.objects.get()
    expect(page.get_by_test_id("dossier-code")).to_have_text(dossier.code)
    expect(page.get_by_test_id("pay-link")).to_be_visible()
    assert dossier.form_data["new_address"] == "Số 10 đường Hùng Vương, phường Việt Trì"
    assert dossier.documents.count() == 2
