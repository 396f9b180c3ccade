"""A new citizen's whole journey on the public-service portal, in Debian's Chromium (issue #3): sign up
with a code received by e-mail, link the account to the population registry, find "Đăng ký thường trú"
typed without diacritics, submit the e-form prefilled from the registry with PDF papers, pay the online
fee through the VNPay simulator, and, once the commune police have returned the result, download it and
find it in the once-only vault (Decree 61/2018 arts. 17-22: online submission, notices, fees paid before
processing; Law on Residence 2020 arts. 20-22 for the procedure itself)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import re
import socket

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from egov.accounts.choices import Role
from egov.catalog.models import Procedure
from egov.catalog.services import DEFAULT_CATALOG_PATH, catalog_import, offering_ensure
from egov.core.choices import UnitLevel
from egov.core.models import AdministrativeUnit
from egov.population.choices import Ethnicity, Relationship, Sex
from egov.population.ids import issue_id_number
from egov.population.models import Household, HouseholdMember, Person
from egov.population.names import search_key
from egov.population.services import person_register_birth
from egov.testing.factories import AgencyFactory, officer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OFFICER_PASSWORD = "matkhau-Thu-nghiem-1"  # egov.testing.factories.UserFactory
CITIZEN_EMAIL = "minh.an@example.vn"
CITIZEN_PASSWORD = "Hoa-sen-no-2026"
CITIZEN_NAME = "Nguyễn Minh An"
CITIZEN_DOB = dt.date(1995, 8, 14)
HOME = "Số 12 đường Hùng Vương, tổ 5"
NEW_ADDRESS = "Số 48 đường Nguyễn Tất Thành, phường Việt Trì, tỉnh Phú Thọ"
PROCEDURE_CODE = "1.004222"  # Đăng ký thường trú, src/egov/catalog/data/procedures.yaml
# What the citizen's own timeline shows, in order: the fee is paid before the one-stop shop receives.
TIMELINE = ["submit", "pay", "receive", "complete_step", "approve", "result_ready", "return"]


def pdf(title: str) -> bytes:
    """A real one-page A4 PDF (uploads are parsed, not only sniffed)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# ---- a real SMTP server on loopback, as in egov/notifications/tests/test_delivery.py ---------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def mailbox(settings):
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    try:
        yield inbox
    finally:
        controller.stop()


def deliver_mail() -> None:
    """What the notifications worker does in production: send every queued e-mail and SMS."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", "--interval", "0")


# ---- the world the citizen lives in --------------------------------------------------------------------


@pytest.fixture
def world(settings, live_server, tmp_path):
    """The commune police offering "Đăng ký thường trú" with its three officers, and the citizen in the
    registry: born in Phường Việt Trì, in her father's household, both parents on record."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # The gateway simulator sends the browser back and calls the IPN on this very server.
    settings.EGOV_PUBLIC_URL = live_server.url
    settings.EGOV_PAYMENT_SIMULATOR_IPN_URL = live_server.url + "/payments/ipn"

    catalog_import(stream_or_path=DEFAULT_CATALOG_PATH)
    police = AgencyFactory(
        code="000.02.25.H26", name="Công an phường Việt Trì", address="Số 2 đường Hùng Vương, phường Việt Trì"
    )
    offering_ensure(procedure=Procedure.objects.get(code=PROCEDURE_CODE), agency=police)

    province, _ = AdministrativeUnit.objects.get_or_create(
        level=UnitLevel.PROVINCE, code="25", defaults={"name": "Tỉnh Phú Thọ"}
    )
    commune, _ = AdministrativeUnit.objects.get_or_create(
        level=UnitLevel.COMMUNE, code="07909", defaults={"name": "Phường Việt Trì", "parent": province}
    )
    parents = {}
    for key, name, born, sex in (
        ("father", "Nguyễn Văn Hùng", dt.date(1965, 3, 2), Sex.MALE),
        ("mother", "Trần Thị Hoa", dt.date(1968, 7, 9), Sex.FEMALE),
    ):
        parents[key] = Person.objects.create(
            id_number=issue_id_number(province_code="25", date_of_birth=born, sex=sex),
            full_name=name,
            full_name_search=search_key(name),
            date_of_birth=born,
            sex=sex,
            ethnicity=Ethnicity.KINH,
            permanent_residence_commune=commune,
            permanent_residence_address=HOME,
        )
    household = Household.objects.create(
        code="HK0790900001", head=parents["father"], address=HOME, commune=commune
    )
    HouseholdMember.objects.create(
        household=household, person=parents["father"], relationship=Relationship.HEAD
    )
    HouseholdMember.objects.create(
        household=household, person=parents["mother"], relationship=Relationship.WIFE
    )
    # The birth registered at the commune's civil-status desk: the registry issues her ID number.
    civil_status = officer(
        AgencyFactory(name="Ủy ban nhân dân phường Việt Trì"), Role.SPECIALIST, username="hotich"
    )
    citizen = person_register_birth(
        full_name=CITIZEN_NAME,
        date_of_birth=CITIZEN_DOB,
        sex=Sex.FEMALE,
        ethnicity=Ethnicity.KINH,
        place_of_birth_commune=commune,
        father=parents["father"],
        mother=parents["mother"],
        household=household,
        actor=civil_status,
    )
    return {
        "person": citizen,
        "address": f"{HOME}, Phường Việt Trì",
        "reception": officer(police, Role.RECEPTION, username="motcua"),
        "specialist": officer(police, Role.SPECIALIST, username="chuyenvien"),
        "leader": officer(police, Role.LEADER, username="truongcongan"),
    }


# ---- page helpers --------------------------------------------------------------------------------------


def citizen_log_in(page: Page, identifier: str) -> None:
    page.goto("/dang-nhap/")
    form = page.get_by_test_id("citizen-login-form")
    form.locator("#id_username").fill(identifier)
    form.locator("#id_password").fill(CITIZEN_PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("logout")).to_be_visible()


def officer_log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    form = page.get_by_test_id("login-form")
    form.locator("#id_username").fill(username)
    form.locator("#id_password").fill(OFFICER_PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("logout")).to_be_visible()


def log_out(page: Page) -> None:
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-link")).to_be_visible()


def open_from_worklist(page: Page, code: str) -> None:
    page.get_by_test_id("nav-worklist").click()
    page.locator(f'[data-testid="worklist-row"][data-code="{code}"]').get_by_role("link", name=code).click()
    expect(page.get_by_test_id("dossier-code")).to_have_text(code)


def eform_field(page: Page, key: str):
    return page.locator(f'[data-testid="eform-field"][data-key="{key}"]')


def test_new_citizen_signs_up_submits_pays_and_gets_the_result_in_the_vault(
    page, browser, live_server, mailbox, world, tmp_path
):
    person = world["person"]
    reception, specialist, leader = world["reception"], world["specialist"], world["leader"]

    # --- WHEN a new user signs up with her e-mail address
    page.goto("/")
    page.get_by_test_id("sign-up-link").click()
    form = page.get_by_test_id("sign-up-form")
    form.locator("#id_identifier").fill(CITIZEN_EMAIL.upper())
    form.locator("#id_full_name").fill(CITIZEN_NAME)
    form.locator("#id_password1").fill(CITIZEN_PASSWORD)
    form.locator("#id_password2").fill(CITIZEN_PASSWORD)
    page.get_by_test_id("sign-up-submit").click()
    expect(page.get_by_test_id("code-destination")).to_contain_text("mi***@example.vn")

    # THEN the 6-digit code reaches her mailbox through the SMTP server
    deliver_mail()
    letters = mailbox.to(CITIZEN_EMAIL)
    assert len(letters) == 1, [m["Subject"] for m in mailbox.messages]
    code = re.search(r"\b(\d{6})\b", letters[0].get_content()).group(1)

    # AND with it the account is verified and signed in
    page.get_by_test_id("verify-form").locator("#id_code").fill(code)
    page.get_by_test_id("verify-submit").click()
    expect(page.get_by_test_id("message-success")).to_contain_text("Đã kích hoạt tài khoản")
    expect(page.get_by_test_id("logout")).to_be_visible()

    # AND she can log in again with her address, typed in any case
    log_out(page)
    citizen_log_in(page, f"  {CITIZEN_EMAIL.title()} ")
    expect(page.get_by_test_id("no-dossiers")).to_be_visible()

    # --- WHEN she links the account to the registry, first with a wrong parent's name
    page.get_by_test_id("nav-account").click()
    expect(page.get_by_test_id("link-status").locator("[data-linked]")).to_have_attribute("data-linked", "0")
    page.get_by_test_id("to-link").click()
    link = page.get_by_test_id("link-form")
    link.locator("#id_id_number").fill(person.id_number)
    link.locator("#id_date_of_birth").fill(CITIZEN_DOB.isoformat())
    link.locator("#id_parent_name").fill("Lê Văn Tám")
    page.get_by_test_id("link-submit").click()
    # THEN she is refused without being told which answer was wrong
    expect(page.get_by_test_id("error-summary")).to_contain_text("Thông tin không khớp")
    expect(page.get_by_test_id("error-summary")).to_contain_text("Còn 4 lần thử.")

    # WHEN she gives her mother's full name (without diacritics, as she would type on a phone)
    link = page.get_by_test_id("link-form")
    link.locator("#id_id_number").fill(person.id_number)
    link.locator("#id_date_of_birth").fill(CITIZEN_DOB.isoformat())
    link.locator("#id_parent_name").fill("tran thi hoa")
    page.get_by_test_id("link-submit").click()
    # THEN the account is linked to her record
    expect(page.get_by_test_id("linked")).to_contain_text(person.id_number)
    expect(page.get_by_test_id("linked")).to_contain_text(CITIZEN_NAME)

    # --- WHEN she looks for the procedure typed without diacritics
    page.get_by_test_id("nav-procedures").click()
    page.get_by_label("Tên thủ tục hoặc từ khóa").fill("dang ky thuong tru")
    page.get_by_test_id("procedure-search-submit").click()
    first = page.get_by_test_id("procedure-result").first
    # THEN "Đăng ký thường trú" comes first, and she opens it
    expect(first).to_have_attribute("data-code", PROCEDURE_CODE)
    first.get_by_role("link", name="Đăng ký thường trú", exact=True).click()
    expect(page.get_by_test_id("procedure-name")).to_have_text("Đăng ký thường trú")
    expect(page.get_by_test_id("procedure-fees")).to_contain_text("10.000")

    # --- WHEN she opens the e-form
    page.get_by_test_id("submit-online").click()
    # THEN what the registry holds is already filled in, and marked as such
    expect(page.get_by_test_id("prefill-note")).to_be_visible()
    expected = {
        "full_name": CITIZEN_NAME,
        "id_number": person.id_number,
        "date_of_birth": CITIZEN_DOB.isoformat(),
        "current_residence": world["address"],
    }
    for key, value in expected.items():
        field = eform_field(page, key)
        expect(field.locator("input")).to_have_value(value)
        expect(field.get_by_test_id("prefilled")).to_be_visible()
    expect(eform_field(page, "sex").locator('input[value="Nữ"]')).to_be_checked()
    applicant = page.get_by_test_id("applicant")
    expect(applicant.locator("#id_applicant-name")).to_have_value(CITIZEN_NAME)
    expect(applicant.locator("#id_applicant-id_number")).to_have_value(person.id_number)
    expect(applicant.locator("#id_applicant-email")).to_have_value(CITIZEN_EMAIL)
    expect(applicant.locator("#id_applicant-address")).to_have_value(world["address"])

    # WHEN she fills in the rest, attaches a PDF for each mandatory paper and submits
    eform_field(page, "new_address").locator("textarea").fill(NEW_ADDRESS)
    eform_field(page, "pledge").locator('input[type="checkbox"]').check()
    papers = page.get_by_test_id("paper")
    attached = 0
    for index in range(papers.count()):
        paper = papers.nth(index)
        if paper.get_by_text("(bắt buộc)", exact=True).count():
            scan = tmp_path / f"giay-to-{index + 1}.pdf"
            scan.write_bytes(pdf(f"Giấy tờ {index + 1}"))
            paper.locator('input[type="file"]').set_input_files(str(scan))
            attached += 1
    assert attached == 2
    expect(page.get_by_test_id("fee-note")).to_contain_text("10.000 đồng")
    page.get_by_test_id("submit-dossier").click()

    # THEN the dossier is submitted, to be received only once the fee is paid
    expect(page.get_by_test_id("submitted")).to_be_visible()
    code = page.get_by_test_id("dossier-code").inner_text().strip()
    assert re.fullmatch(r"000\.02\.25\.H26-\d{6}-\d{4}", code), code

    # --- WHEN the one-stop shop tries to receive it before the fee is paid
    officers = browser.new_context(
        base_url=live_server.url,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        viewport={"width": 1280, "height": 900},
    )
    officers.set_default_timeout(10_000)
    desk = officers.new_page()
    try:
        officer_log_in(desk, reception.username)
        desk.get_by_test_id("nav-incoming").click()
        row = desk.locator(f'[data-testid="incoming-row"][data-code="{code}"]')
        expect(row).to_contain_text(CITIZEN_NAME)
        desk.get_by_test_id(f"incoming-receive-{code}").click()
        # THEN it is refused and the dossier waits
        expect(desk.get_by_test_id("message-error")).to_contain_text("chưa nộp phí")
        expect(desk.get_by_test_id("dossier-status")).to_have_attribute("data-status", "submitted")

        # --- WHEN the citizen pays through the VNPay simulator
        page.get_by_test_id("pay-link").click()
        expect(page.get_by_test_id("fee")).to_contain_text("10.000")
        page.get_by_test_id("pay-button").click()
        expect(page.get_by_test_id("vnpay-simulator")).to_be_visible()
        expect(page.get_by_test_id("simulator-amount")).to_have_text("10.000 VND")
        expect(page.get_by_test_id("simulator-order-info")).to_contain_text(code)
        page.get_by_test_id("simulator-success").click()

        # THEN she is back on the portal's return page, paid (the IPN confirmed it server to server)
        page.wait_for_url(re.compile(r"/payments/return\?"))
        expect(page.get_by_test_id("return-result")).to_have_attribute("data-status", "paid")
        expect(page.get_by_test_id("return-message")).to_contain_text("Thanh toán thành công")
        receipt = page.request.get(page.get_by_test_id("return-receipt").get_attribute("href"))
        assert receipt.status == 200 and receipt.body()[:4] == b"%PDF"

        # --- WHEN the one-stop shop now receives it and hands it to the specialist
        desk.get_by_test_id("nav-incoming").click()
        desk.get_by_test_id(f"incoming-open-{code}").click()
        expect(desk.get_by_test_id("fee-paid")).to_be_visible()
        desk.locator("#id_receive-next_assignee").select_option(str(specialist.pk))
        desk.get_by_test_id("action-receive").click()
        expect(desk.get_by_test_id("dossier-status")).to_have_attribute("data-status", "processing")
        log_out(desk)

        # AND the specialist appraises it and hands it to the head of the police station
        officer_log_in(desk, specialist.username)
        open_from_worklist(desk, code)
        desk.locator("#id_complete_step-next_assignee").select_option(str(leader.pk))
        desk.get_by_test_id("action-complete_step").click()
        expect(desk.locator('[data-testid="timeline-event"][data-action="complete_step"]')).to_be_visible()
        log_out(desk)

        # AND the head approves, handing the result back to the one-stop shop
        officer_log_in(desk, leader.username)
        open_from_worklist(desk, code)
        desk.locator("#id_approve-next_assignee").select_option(str(reception.pk))
        desk.get_by_test_id("action-approve").click()
        expect(desk.get_by_test_id("dossier-status")).to_have_attribute("data-status", "approved")
        log_out(desk)

        # AND the one-stop shop attaches the signed result and returns it online
        result = pdf("Thông báo kết quả giải quyết đăng ký thường trú")
        result_path = tmp_path / "thong-bao-ket-qua.pdf"
        result_path.write_bytes(result)
        officer_log_in(desk, reception.username)
        open_from_worklist(desk, code)
        desk.locator("#id_result_ready-result_file").set_input_files(str(result_path))
        desk.get_by_test_id("action-result_ready").click()
        expect(desk.get_by_test_id("dossier-status")).to_have_attribute("data-status", "result_ready")
        expect(desk.locator("#id_return-method")).to_have_value("online")
        desk.get_by_test_id("action-return").click()
        expect(desk.get_by_test_id("dossier-status")).to_have_attribute("data-status", "returned")
    finally:
        officers.close()

    # THEN the citizen was told by e-mail of every step that concerns her
    deliver_mail()
    subjects = [m["Subject"].strip() for m in mailbox.to(CITIZEN_EMAIL)[1:]]
    assert subjects == [
        f"Đã nộp hồ sơ {code}",
        f"Đã nộp phí, lệ phí hồ sơ {code}",
        f"Đã tiếp nhận hồ sơ {code}",
        f"Hồ sơ {code} đã có kết quả",
        f"Đã trả kết quả hồ sơ {code}",
    ], subjects

    # --- WHEN the citizen logs in again
    log_out(page)
    citizen_log_in(page, CITIZEN_EMAIL)
    # THEN "my dossiers" shows the dossier as returned, with its result
    row = page.locator(f'[data-testid="my-dossier"][data-code="{code}"]')
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "returned")
    row.get_by_test_id("todo-result").click()
    expect(page.get_by_test_id("dossier-status")).to_have_attribute("data-status", "returned")

    # AND the timeline shows every step, in order, the fee before the reception
    steps = page.get_by_test_id("timeline-step")
    expect(steps).to_have_count(len(TIMELINE))
    assert [steps.nth(i).get_attribute("data-action") for i in range(len(TIMELINE))] == TIMELINE

    # AND the result downloads as the very PDF the officer attached
    download = page.request.get(page.get_by_test_id("result-download").first.get_attribute("href"))
    assert download.status == 200
    assert download.headers["content-type"] == "application/pdf"
    assert download.body()[:4] == b"%PDF"
    assert download.body() == result

    # AND the result is kept in her vault, ready for a later dossier
    page.get_by_test_id("nav-vault").click()
    item = page.get_by_test_id("vault-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(code)
    kept = page.request.get(item.get_by_test_id("vault-download").get_attribute("href"))
    assert kept.status == 200 and kept.body() == result
