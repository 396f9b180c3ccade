"""Official documents end to end in Debian's Chromium (issue #4): the clerk registers an incoming document,
the leader assigns it, the specialist drafts the reply from its page, the leader approves and signs it
digitally (a visible signature), the clerk numbers and issues it, which adds the agency's seal signature
(Decree 30/2020 arts. 10-24, Appendix I §II.7-8), and the specialist completes the incoming document; the
issued PDF is then checked by an independent validator, poppler's ``pdfsig``, trusting only the development
CA's root: two valid signatures, the leader's and the agency's."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import os
import re
import shutil
import subprocess

import pytest
from playwright.sync_api import Page, expect
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from egov.accounts.choices import Role
from egov.accounts.models import RoleAssignment
from egov.core.calendar import LOCAL_TZ
from egov.core.models import Department
from egov.documents.models import DocumentType
from egov.testing.factories import AgencyFactory, officer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "matkhau-Thu-nghiem-1"  # egov.testing.factories.UserFactory
LEADER_NAME = "Lê Thị Thu Hà"
SUBJECT_IN = "Về việc báo cáo số lượng công chức cấp xã năm 2026"
SUBJECT_OUT = "V/v báo cáo số lượng công chức cấp xã năm 2026"
INCOMING_STEPS = ["register", "assign", "complete"]
OUTGOING_STEPS = ["create", "submit", "approve", "sign", "issue"]


def make_pdf(path, text: str):
    """A real one-page A4 PDF (uploads are parsed, not only sniffed)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.drawString(72, 760, text)
    pdf.showPage()
    pdf.save()
    path.write_bytes(buffer.getvalue())
    return path


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


def open_inbox(page: Page) -> None:
    page.get_by_test_id("nav-documents").click()
    expect(page.get_by_test_id("inbox-incoming")).to_be_visible()


def status_of(page: Page):
    return page.get_by_test_id("document-status")


def trace_actions(page: Page) -> list[str]:
    events = page.get_by_test_id("trace-event")
    return [events.nth(i).get_attribute("data-action") for i in range(events.count())]


def need(name: str, package: str) -> str:
    """The tool's path; without it the test is skipped, except in CI, where a check that never ran fails."""
    tool = shutil.which(name)
    if tool:
        return tool
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"{name} not found: install {package} (scripts/system-deps.sh)", pytrace=False)
    pytest.skip(f"{name} not found (apt-get install {package})")


def pdfsig(path, *args) -> str:
    result = subprocess.run(
        [need("pdfsig", "poppler-utils"), *args, str(path)], capture_output=True, text=True, timeout=60
    )
    return result.stdout + result.stderr


def nss_db_trusting(root_pem, directory) -> str:
    """An NSS database for ``pdfsig`` that trusts only ``root_pem`` (as egov.signing's interop tests do)."""
    certutil = need("certutil", "libnss3-tools")
    directory.mkdir(parents=True, exist_ok=True)
    db = f"sql:{directory}"
    subprocess.run([certutil, "-N", "-d", db, "--empty-password"], check=True, capture_output=True)
    subprocess.run(
        [certutil, "-A", "-d", db, "-n", "egov-dev-root", "-t", "CT,C,C", "-i", str(root_pem)],
        check=True,
        capture_output=True,
    )
    return db


@pytest.fixture(scope="module")
def dev_ca_dir(tmp_path_factory):
    """The development CA (two RSA-3072 keys), made once for this module."""
    from egov.signing import ca

    directory = tmp_path_factory.mktemp("signing")
    ca.DevCertificateAuthority(directory).ensure(valid_from=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    return directory


@pytest.fixture
def office(settings, tmp_path, dev_ca_dir):
    """A ward People's Committee holding a seal certificate from the development CA: its office and culture
    unit, a clerk, a leader holding a personal signing certificate, and a specialist of the culture unit."""
    from egov.signing import services as signing

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EGOV_SIGNING_DIR = str(dev_ca_dir)
    settings.EGOV_PUBLIC_URL = "http://egov.test"
    # The 29 document types come from a data migration, which a transactional test's flush removes.
    seed = importlib.import_module("egov.documents.migrations.0002_document_types")
    for position, (code, name, abbreviation) in enumerate(seed.TYPES, start=1):
        DocumentType.objects.update_or_create(
            code=code, defaults={"name": name, "abbreviation": abbreviation, "position": position}
        )
    agency = AgencyFactory(code="000.00.01.H26", name="Ủy ban nhân dân phường Việt Trì", abbreviation="UBND")
    Department.objects.create(agency=agency, name="Văn phòng", abbreviation="VP")
    culture = Department.objects.create(agency=agency, name="Phòng Văn hóa - Xã hội", abbreviation="VX")
    specialist = officer(agency, Role.SPECIALIST, username="chuyenvien")
    RoleAssignment.objects.filter(user=specialist).update(department=culture)
    leader = officer(agency, Role.LEADER, username="lanhdao")
    leader.full_name = LEADER_NAME
    leader.position = "Chủ tịch"
    leader.save(update_fields=["full_name", "position"])
    certificate = signing.certificate_issue(user=leader)
    seal = signing.certificate_issue(agency=agency)
    return {
        "agency": agency,
        "culture": culture,
        "clerk": officer(agency, Role.CLERK, username="vanthu"),
        "leader": leader,
        "specialist": specialist,
        "certificate": certificate,
        "seal": seal,
        "ca_dir": dev_ca_dir,
    }


def test_incoming_document_is_assigned_answered_signed_and_issued(page, office, tmp_path):
    # GIVEN the independent validator (checked first: without it the journey proves less than it claims)
    need("pdfsig", "poppler-utils")
    need("certutil", "libnss3-tools")
    clerk, leader, specialist = office["clerk"], office["leader"], office["specialist"]
    today = dt.datetime.now(LOCAL_TZ).date()  # registers and numbers follow the year in Vietnam
    year = today.year
    scan = make_pdf(tmp_path / "cong-van-215.pdf", "CONG VAN so 215/SNV-CCVC")
    draft = make_pdf(tmp_path / "du-thao-tra-loi.pdf", "CONG VAN tra loi So Noi vu")

    # --- WHEN the clerk registers an urgent official letter received on paper, with its scan
    log_in(page, clerk.username)
    open_inbox(page)
    page.get_by_test_id("incoming-new").click()
    form = page.get_by_test_id("incoming-form")
    form.locator("#id_issuer_name").fill("Sở Nội vụ tỉnh Phú Thọ")
    form.locator("#id_issuer_code").fill("000.00.09.H26")
    form.locator("#id_number_notation").fill("215/SNV-CCVC")
    form.locator("#id_document_date").fill((today - dt.timedelta(days=3)).isoformat())
    form.locator("#id_document_type").select_option(label="Công văn")
    form.locator("#id_subject").fill(SUBJECT_IN)
    form.locator("#id_urgency").select_option("urgent")
    form.locator("#id_files").set_input_files(str(scan))
    page.get_by_test_id("incoming-submit").click()

    # THEN the document page shows its incoming number, the facts typed and the attachment
    expect(status_of(page)).to_have_attribute("data-status", "registered")
    arrival_number = page.get_by_test_id("arrival-number").inner_text().strip()
    assert arrival_number == "1", arrival_number
    expect(page.get_by_test_id("number-notation")).to_have_text("215/SNV-CCVC")
    expect(page.get_by_test_id("subject")).to_have_text(SUBJECT_IN)
    expect(page.get_by_test_id("file-1")).to_have_text("cong-van-215.pdf")
    incoming_url = page.url
    incoming_pk = re.search(r"/incoming/(\d+)/", incoming_url).group(1)

    # AND the incoming register of the year lists it under that number
    page.get_by_test_id("documents-nav-registers").click()
    page.get_by_test_id(f"register-incoming-{year}").click()
    row = page.get_by_test_id("register-row").filter(has_text=SUBJECT_IN)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text(arrival_number)
    expect(row.locator("td").nth(3)).to_have_text("215/SNV-CCVC")
    log_out(page)

    # --- WHEN the leader finds it among the documents to handle and assigns it with a deadline
    log_in(page, leader.username)
    open_inbox(page)
    leader_row = page.locator(f'[data-testid="inbox-row"][data-pk="{incoming_pk}"]')
    expect(leader_row).to_contain_text(SUBJECT_IN)
    leader_row.get_by_role("link", name=arrival_number, exact=True).click()
    assign = page.get_by_test_id("form-assign")
    assign.locator("#id_lead_department").select_option(str(office["culture"].pk))
    assign.locator("#id_assignees").select_option(str(specialist.pk))
    assign.locator("#id_deadline_days").fill("5")
    assign.locator("#id_instructions").fill("Phòng VX tham mưu văn bản trả lời, trình trước hạn.")
    page.get_by_test_id("action-assign").click()

    # THEN the handling slip names the unit and the specialist, and the deadline is set
    expect(status_of(page)).to_have_attribute("data-status", "assigned")
    expect(page.get_by_test_id("assignment")).to_contain_text("Phòng Văn hóa - Xã hội")
    expect(page.get_by_test_id("assignees")).to_have_text(specialist.display_name)
    expect(page.get_by_test_id("deadline")).to_have_text(re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$"))
    log_out(page)

    # --- WHEN the specialist finds it in their inbox and drafts the reply from its page, with a PDF draft
    log_in(page, specialist.username)
    open_inbox(page)
    mine = page.locator(f'[data-testid="inbox-row"][data-pk="{incoming_pk}"]')
    expect(mine).to_contain_text(SUBJECT_IN)
    mine.get_by_role("link", name=arrival_number, exact=True).click()
    expect(page.get_by_test_id("subject")).to_have_text(SUBJECT_IN)
    page.get_by_test_id("draft-reply").click()
    draft_form = page.get_by_test_id("outgoing-form")
    # THEN the draft form already answers the incoming document
    expect(draft_form.locator("#id_reply_to")).to_have_value(incoming_pk)
    draft_form.locator("#id_document_type").select_option(label="Công văn")
    draft_form.locator("#id_drafting_department").select_option(str(office["culture"].pk))
    draft_form.locator("#id_subject").fill(SUBJECT_OUT)
    draft_form.locator("#id_other_recipients").fill("000.00.09.H26; Sở Nội vụ tỉnh Phú Thọ")
    draft_form.locator("#id_paper").check()
    draft_form.locator("#id_file").set_input_files(str(draft))
    page.get_by_test_id("outgoing-submit").click()
    expect(status_of(page)).to_have_attribute("data-status", "draft")
    expect(page.get_by_test_id("reply-to")).to_have_attribute("data-pk", incoming_pk)
    outgoing_pk = re.search(r"/outgoing/(\d+)/", page.url).group(1)

    # AND submits it to the leader for review
    page.get_by_test_id("action-submit").click()
    expect(status_of(page)).to_have_attribute("data-status", "in_review")
    log_out(page)

    # --- WHEN the leader approves the draft and signs it with their signing certificate
    log_in(page, leader.username)
    open_inbox(page)
    page.locator(f'[data-testid="inbox-outgoing-row"][data-pk="{outgoing_pk}"]').get_by_role("link").click()
    page.get_by_test_id("action-approve").click()
    expect(status_of(page)).to_have_attribute("data-status", "approved")
    page.get_by_test_id("form-sign").locator("#id_sign_digitally").check()
    page.get_by_test_id("action-sign").click()

    # THEN the signed PDF is a new version of its own, marked as the signed one
    expect(status_of(page)).to_have_attribute("data-status", "signed")
    signed_row = page.locator('[data-testid="version-row"][data-signed="true"]')
    expect(signed_row).to_have_attribute("data-kind", "signed")
    expect(signed_row).to_contain_text("du-thao-tra-loi-ky-so.pdf")
    log_out(page)

    # --- WHEN the clerk numbers and issues it
    log_in(page, clerk.username)
    open_inbox(page)
    page.locator(f'[data-testid="inbox-outgoing-row"][data-pk="{outgoing_pk}"]').get_by_role("link").click()
    page.get_by_test_id("action-issue").click()

    # THEN the page shows the number and notation of the agency's first document this year (công văn:
    # <number>/<agency>-<drafting unit>, numbers below 10 with a leading 0)
    expect(status_of(page)).to_have_attribute("data-status", "issued")
    expect(page.get_by_test_id("number-notation")).to_have_text("01/UBND-VX")
    expect(page.get_by_test_id("document-title")).to_contain_text("01/UBND-VX")
    outgoing_url = page.url

    # AND the agency's seal signature was applied: the issued file is a new signed version
    expect(page.get_by_test_id("seal")).to_have_attribute("data-applied", "true")
    expect(page.get_by_test_id("seal-missing")).to_have_count(0)
    sealed_row = page.locator('[data-testid="version-row"][data-signed="true"]')
    expect(sealed_row).to_contain_text("du-thao-tra-loi-ky-so-dong-dau.pdf")

    # AND the outgoing document's trace lists each step, in order, with local times
    assert trace_actions(page) == OUTGOING_STEPS
    stamps = [t.get_attribute("datetime") for t in page.get_by_test_id("trace-event").locator("time").all()]
    assert all(s.endswith("+07:00") for s in stamps) and stamps == sorted(stamps), stamps

    # AND the issued PDF downloaded from the page carries two signatures, the leader's then the agency's,
    # both valid and trusted by pdfsig
    href = page.locator('[data-testid="version-row"][data-signed="true"] a').get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/pdf")
    issued_pdf = tmp_path / "van-ban-di.pdf"
    issued_pdf.write_bytes(response.body())
    assert issued_pdf.read_bytes()[:5] == b"%PDF-"
    from egov.signing import ca

    nss = nss_db_trusting(ca.DevCertificateAuthority(office["ca_dir"]).cert_path(ca.ROOT), tmp_path / "nss")
    report = pdfsig(issued_pdf, "-nssdir", nss)
    signatures = len(re.findall(r"^Signature #\d+:", report, flags=re.M))
    assert signatures == 2, report
    assert report.count("Signature is Valid.") == 2, report
    assert report.count("Certificate is Trusted.") == 2, report
    leader_part, seal_part = re.split(r"^Signature #2:", report, flags=re.M)
    assert f"Signer Certificate Common Name: {LEADER_NAME}" in leader_part, report
    assert f"Signer Certificate Common Name: {office['agency'].name}" in seal_part, report
    assert "ETSI.CAdES.detached" in report, report
    assert "Total document signed" in report, report  # the last signature covers the whole file

    log_out(page)

    # --- WHEN the specialist, the reply issued, completes the incoming document
    log_in(page, specialist.username)
    page.goto(incoming_url)
    reply = page.get_by_test_id("reply-link")
    expect(reply).to_have_text("01/UBND-VX")
    expect(reply).to_have_attribute("data-pk", outgoing_pk)
    complete = page.get_by_test_id("form-complete")
    complete.locator("#id_result").fill("Đã trả lời bằng Công văn số 01/UBND-VX.")
    page.get_by_test_id("action-complete").click()

    # THEN it is completed, and its trace ends with the completion
    expect(status_of(page)).to_have_attribute("data-status", "completed")
    assert trace_actions(page) == INCOMING_STEPS
    page.get_by_test_id("reply-link").click()
    expect(page).to_have_url(outgoing_url)
