"""The one-stop shop end to end in Debian's Chromium: counter reception, hand-overs, decision, return,
then the public status look-up (Decree 61/2018 arts. 17-20; Circular 22/2019 art. 4: the portal shows
the processing status at every step, never the applicant's personal data)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from egov.accounts.choices import Role
from egov.testing.factories import AgencyFactory, officer, procedure_with_process

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "matkhau-Thu-nghiem-1"  # egov.testing.factories.UserFactory
APPLICANT = "Trần Thị Ngọc Ánh"
PUBLIC_STEPS = ["receive", "complete_step", "approve", "result_ready", "return"]
LOCAL_TIME_RE = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$")


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    form = page.get_by_test_id("login-form")
    form.locator("#id_username").fill(username)
    form.locator("#id_password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("logout")).to_be_visible()


def log_out(page: Page) -> None:
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-link")).to_be_visible()


def open_from_worklist(page: Page, code: str) -> None:
    page.get_by_test_id("nav-worklist").click()
    page.locator(f'[data-testid="worklist-row"][data-code="{code}"]').get_by_role("link", name=code).click()
    expect(page.get_by_test_id("dossier-code")).to_have_text(code)


def status_of(page: Page):
    return page.get_by_test_id("dossier-status")


@pytest.fixture
def one_stop():
    """A commune with a 4-step procedure (reception, appraisal, decision, return) and its three officers."""
    agency = AgencyFactory()
    offering = procedure_with_process(agency=agency, amount="5", name="Đăng ký khai sinh (thử nghiệm)")
    return {
        "agency": agency,
        "offering": offering,
        "mandatory": list(offering.procedure.required_documents.filter(mandatory=True).order_by("position")),
        "reception": officer(agency, Role.RECEPTION, username="motcua"),
        "specialist": officer(agency, Role.SPECIALIST, username="chuyenvien"),
        "leader": officer(agency, Role.LEADER, username="lanhdao"),
    }


def test_counter_dossier_goes_from_reception_to_return_and_shows_on_the_public_page(
    page, browser, live_server, one_stop
):
    offering = one_stop["offering"]
    reception, specialist, leader = one_stop["reception"], one_stop["specialist"], one_stop["leader"]

    # --- WHEN the reception officer receives a paper dossier at the counter
    log_in(page, reception.username)
    page.get_by_test_id("nav-reception").click()
    # Type-to-filter (site.js) narrows the list; the clerk then confirms the procedure explicitly.
    page.get_by_test_id("procedure-chooser").locator("#id_q").fill("khai sinh")
    page.locator("#id_offering").select_option(str(offering.pk))
    page.get_by_test_id("procedure-choose").click()

    form = page.get_by_test_id("reception-form")
    expect(form).to_be_visible()
    form.locator("#id_applicant_name").fill(APPLICANT)
    for document in one_stop["mandatory"]:
        form.locator(f"#id_doc_{document.pk}_received").check()
    form.locator("#id_next_assignee").select_option(str(specialist.pk))
    page.get_by_test_id("reception-submit").click()

    # THEN the dossier page shows its code and that it is being processed
    expect(status_of(page)).to_have_attribute("data-status", "processing")
    code = page.get_by_test_id("dossier-code").inner_text().strip()
    assert re.fullmatch(rf"{re.escape(one_stop['agency'].code)}-\d{{6}}-\d{{4}}", code), code
    expect(page.get_by_test_id("applicant")).to_contain_text(APPLICANT)

    # AND the receipt (Mẫu 01) answers a PDF to the signed-in officer
    receipt_href = page.get_by_test_id("print-form-01").get_attribute("href")
    receipt = page.request.get(receipt_href)
    assert receipt.status == 200
    assert receipt.headers["content-type"].startswith("application/pdf")
    assert receipt.body()[:4] == b"%PDF"
    log_out(page)

    # --- WHEN the specialist, told by a notification, completes the appraisal and hands to the leader
    log_in(page, specialist.username)
    notifications = page.get_by_test_id("nav-notifications")
    expect(notifications).to_have_attribute("data-unread", re.compile(r"^[1-9]\d*$"))
    expect(notifications).to_have_text(re.compile(r"^\s*Thông báo \([1-9]\d*\)\s*$"))
    open_from_worklist(page, code)
    page.locator("#id_complete_step-next_assignee").select_option(str(leader.pk))
    page.get_by_test_id("action-complete_step").click()
    expect(page.locator('[data-testid="timeline-event"][data-action="complete_step"]')).to_be_visible()
    expect(status_of(page)).to_have_attribute("data-status", "processing")
    log_out(page)

    # --- WHEN the leader approves, handing the result back to the reception officer
    log_in(page, leader.username)
    open_from_worklist(page, code)
    page.locator("#id_approve-next_assignee").select_option(str(reception.pk))
    page.get_by_test_id("action-approve").click()
    expect(status_of(page)).to_have_attribute("data-status", "approved")
    log_out(page)

    # --- WHEN the reception officer records the result and hands it over at the counter
    log_in(page, reception.username)
    open_from_worklist(page, code)
    page.get_by_test_id("action-result_ready").click()
    expect(status_of(page)).to_have_attribute("data-status", "result_ready")
    expect(page.locator("#id_return-method")).to_have_value("counter")
    page.get_by_test_id("action-return").click()
    expect(status_of(page)).to_have_attribute("data-status", "returned")
    log_out(page)

    # --- THEN an anonymous visitor (no cookies at all) finds every step on the public status page
    visitor = browser.new_context(base_url=live_server.url, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    try:
        public = visitor.new_page()
        public.goto("/tra-cuu/")
        public.get_by_test_id("status-form").locator("#id_code").fill(code)
        public.get_by_test_id("status-submit").click()
        expect(public.get_by_test_id("status-label")).to_have_attribute("data-status", "returned")

        steps = public.get_by_test_id("status-step")
        expect(steps).to_have_count(len(PUBLIC_STEPS))
        assert [steps.nth(i).get_attribute("data-action") for i in range(len(PUBLIC_STEPS))] == PUBLIC_STEPS
        stamps = []
        for i in range(len(PUBLIC_STEPS)):
            time = steps.nth(i).locator("time")
            assert LOCAL_TIME_RE.match(time.inner_text().strip()), time.inner_text()
            stamps.append(time.get_attribute("datetime"))
        assert all(stamps) and stamps == sorted(stamps), stamps  # ISO 8601, same offset: sorts as time

        # AND nothing on the page names the applicant (no personal data, Decree 13/2023)
        html = public.content()
        assert APPLICANT not in html
        assert "Ngọc Ánh" not in html
        assert APPLICANT not in public.locator("body").inner_text()
    finally:
        visitor.close()


def test_searching_for_a_procedure_lists_the_matches_without_choosing_one(page, one_stop):
    # GIVEN two procedures whose names both contain "khai sinh"
    procedure_with_process(agency=one_stop["agency"], name="Cấp bản sao trích lục khai sinh (thử nghiệm)")
    log_in(page, one_stop["reception"].username)

    # WHEN the clerk types "khai sinh" and presses "Tìm thủ tục"
    page.get_by_test_id("nav-reception").click()
    page.get_by_test_id("procedure-chooser").locator("#id_q").fill("khai sinh")
    page.get_by_test_id("procedure-search").click()

    # THEN the chooser lists both matches, and no reception form opens for a procedure nobody chose
    expect(page.get_by_test_id("procedure-chooser")).to_be_visible(timeout=3_000)
    expect(page.get_by_test_id("reception-form")).to_have_count(0)
