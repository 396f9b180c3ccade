"""The document pages through the Django test client (real database, real services)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from egov.documents import services as svc
from egov.documents.choices import IncomingStatus, OutgoingStatus, Secrecy, SecretAttempt
from egov.documents.models import IncomingDocument, OutgoingDocument, SecretAccessAttempt

from .conftest import MONDAY_10, PDF, SIGNED_PDF, at, doc_type

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def register_post(office, **overrides) -> dict:
    data = {
        "agency": office.agency.pk,
        "issuer_name": "Sở Nội vụ tỉnh Phú Thọ",
        "issuer_code": "000.00.09.H26",
        "number_notation": "215/SNV-CCVC",
        "document_date": "2025-12-24",
        "document_type": doc_type("cong_van").pk,
        "subject": "Về việc báo cáo số lượng công chức cấp xã",
        "urgency": "normal",
        "secrecy": "none",
        "source": "paper",
        "page_count": "2",
        "files": SimpleUploadedFile("cong-van.pdf", PDF, content_type="application/pdf"),
    }
    data.update(overrides)
    return data


def test_pages_need_an_officer(client, office):
    response = client.get(reverse("documents:inbox"))
    assert response.status_code == 302
    from egov.testing.factories import UserFactory

    login(client, UserFactory(kind="citizen"))
    assert client.get(reverse("documents:inbox")).status_code == 403


def test_clerk_registers_an_incoming_document_on_the_page(client, office):
    login(client, office.clerk)
    assert client.get(reverse("documents:incoming_new")).status_code == 200
    with at(MONDAY_10):
        response = client.post(reverse("documents:incoming_new"), register_post(office))
    document = IncomingDocument.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("documents:incoming_detail", kwargs={"pk": document.pk})
    assert (document.code_number, document.code_notation) == ("215", "SNV-CCVC")
    page = client.get(response["Location"])
    content = page.content.decode()
    assert 'data-testid="arrival-number">1<' in content
    assert "215/SNV-CCVC" in content
    assert 'data-testid="trace-event" data-action="register"' in content


def test_a_duplicate_asks_for_confirmation(client, office):
    login(client, office.clerk)
    with at(MONDAY_10):
        client.post(reverse("documents:incoming_new"), register_post(office))
        response = client.post(reverse("documents:incoming_new"), register_post(office))
        assert response.status_code == 409
        assert 'data-testid="duplicate-warning"' in response.content.decode()
        assert IncomingDocument.objects.count() == 1
        confirmed = client.post(
            reverse("documents:incoming_new"), register_post(office, confirm_duplicate="on")
        )
    assert confirmed.status_code == 302
    assert IncomingDocument.objects.count() == 2


def test_only_clerks_open_the_registration_page(client, office):
    login(client, office.specialist)
    assert client.get(reverse("documents:incoming_new")).status_code == 403


def test_invalid_input_is_a_400_with_the_message(client, office):
    login(client, office.clerk)
    response = client.post(reverse("documents:incoming_new"), register_post(office, subject=""))
    assert response.status_code == 400
    assert 'data-testid="error-summary"' in response.content.decode()


def test_another_agencys_documents_are_404(client, office):
    document = office.register()
    draft = office.draft()
    login(client, office.other_officer)
    assert client.get(reverse("documents:incoming_detail", kwargs={"pk": document.pk})).status_code == 404
    assert client.get(reverse("documents:outgoing_detail", kwargs={"pk": draft.pk})).status_code == 404
    file_url = reverse("documents:incoming_file", kwargs={"pk": document.pk, "version": 1})
    assert client.get(file_url).status_code == 404
    action_url = reverse("documents:incoming_action", kwargs={"pk": document.pk, "action": "recall"})
    assert client.post(action_url, {"reason": "x"}).status_code == 404
    document.refresh_from_db()
    assert document.status == IncomingStatus.REGISTERED


def test_leader_assigns_and_the_handler_completes_through_the_pages(client, office):
    document = office.register()
    login(client, office.leader)
    url = reverse("documents:incoming_action", kwargs={"pk": document.pk, "action": "assign"})
    response = client.post(
        url,
        {
            "lead_department": office.culture_unit.pk,
            "assignees": [office.specialist.pk],
            "deadline_days": "3",
            "instructions": "Tham mưu trả lời",
        },
    )
    assert response.status_code == 302
    login(client, office.specialist)
    inbox = client.get(reverse("documents:inbox")).content.decode()
    assert f'data-pk="{document.pk}"' in inbox
    client.post(
        reverse("documents:incoming_action", kwargs={"pk": document.pk, "action": "add_opinion"}),
        {"kind": "opinion", "text": "Đã dự thảo công văn trả lời"},
    )
    client.post(
        reverse("documents:incoming_action", kwargs={"pk": document.pk, "action": "complete"}),
        {"result": "Xong"},
    )
    document.refresh_from_db()
    assert document.status == IncomingStatus.COMPLETED


def test_a_refused_action_shows_the_message_with_a_4xx(client, office):
    document = office.register()
    login(client, office.specialist)
    response = client.post(
        reverse("documents:incoming_action", kwargs={"pk": document.pk, "action": "assign"}),
        {"assignees": [office.specialist.pk]},
    )
    assert response.status_code == 403
    assert "không có quyền" in response.content.decode()


def test_outgoing_from_draft_to_issue_through_the_pages(client, office):
    login(client, office.specialist)
    response = client.post(
        reverse("documents:outgoing_new"),
        {
            "agency": office.agency.pk,
            "document_type": doc_type("cong_van").pk,
            "subject": "Về việc cử cán bộ dự tập huấn",
            "urgency": "normal",
            "secrecy": "none",
            "copies": "2",
            "drafting_department": office.culture_unit.pk,
            "recipient_agencies": [office.other_agency.pk],
            "other_recipients": "000.00.00.G09; Bộ Nội vụ; quoc-gia",
            "file": SimpleUploadedFile("du-thao.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    document = OutgoingDocument.objects.get()
    assert document.recipients.count() == 2

    def act(user, action, data=None):
        login(client, user)
        url = reverse("documents:outgoing_action", kwargs={"pk": document.pk, "action": action})
        # The session is opened outside the frozen clock, which only dates the issue.
        with at(MONDAY_10):
            return client.post(url, data or {})

    assert act(office.specialist, "submit").status_code == 302
    assert act(office.leader, "approve").status_code == 302
    signed = SimpleUploadedFile("da-ky.pdf", SIGNED_PDF, content_type="application/pdf")
    assert act(office.leader, "sign", {"file": signed}).status_code == 302
    assert act(office.clerk, "issue").status_code == 302
    document.refresh_from_db()
    assert document.status == OutgoingStatus.ISSUED
    assert document.number_notation == "01/UBND-VX"
    page = client.get(reverse("documents:outgoing_detail", kwargs={"pk": document.pk})).content.decode()
    assert "01/UBND-VX" in page
    version = client.get(reverse("documents:outgoing_file", kwargs={"pk": document.pk, "version": 2}))
    assert version.status_code == 200 and b"".join(version.streaming_content) == SIGNED_PDF


def test_secret_attachment_download_is_refused_and_logged(client, office):
    document = office.register(secrecy=Secrecy.CONFIDENTIAL)
    login(client, office.leader)
    page = client.get(reverse("documents:incoming_detail", kwargs={"pk": document.pk})).content.decode()
    assert 'data-testid="restricted"' in page and "chuyển đổi số" not in page
    response = client.get(reverse("documents:incoming_file", kwargs={"pk": document.pk, "version": 1}))
    assert response.status_code == 403
    attempts = list(SecretAccessAttempt.objects.values_list("attempt", flat=True).order_by("id"))
    assert attempts == [SecretAttempt.VIEW, SecretAttempt.DOWNLOAD]
    office.clear(office.leader, Secrecy.CONFIDENTIAL)
    response = client.get(reverse("documents:incoming_file", kwargs={"pk": document.pk, "version": 1}))
    assert response.status_code == 200


def test_issue_of_a_secret_document_by_network_shows_the_refusal(client, office):
    document = office.signed(secrecy=Secrecy.SECRET)
    login(client, office.clerk)
    response = client.post(
        reverse("documents:outgoing_action", kwargs={"pk": document.pk, "action": "issue"})
    )
    assert response.status_code == 403
    assert "không được gửi qua mạng" in response.content.decode()
    assert SecretAccessAttempt.objects.filter(attempt=SecretAttempt.SEND_ELECTRONIC).count() == 1


def test_search_page(client, office):
    office.register(subject="Về việc tổ chức Lễ hội Đền Hùng")
    login(client, office.specialist)
    response = client.get(reverse("documents:search"), {"q": "le hoi den hung"})
    content = response.content.decode()
    assert response.status_code == 200
    assert 'data-count="1"' in content and "Lễ hội Đền Hùng" in content
    assert 'data-testid="search-results"' not in client.get(reverse("documents:search")).content.decode()


def test_register_pages_print_and_export(client, office):
    with at(MONDAY_10):
        office.register()
    login(client, office.clerk)
    assert client.get(reverse("documents:registers")).status_code == 200
    page = client.get(reverse("documents:register", kwargs={"direction": "incoming", "year": 2026}))
    assert page.status_code == 200 and page.content.decode().count('data-testid="register-row"') == 1
    pdf = client.get(reverse("documents:register_pdf", kwargs={"direction": "incoming", "year": 2026}))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    xlsx = client.get(reverse("documents:register_xlsx", kwargs={"direction": "outgoing", "year": 2026}))
    assert xlsx.status_code == 200
    assert load_workbook(io.BytesIO(xlsx.content)).active["A2"].value == "SỔ ĐĂNG KÝ VĂN BẢN ĐI"


def test_the_secret_register_needs_clearance_and_refusals_are_logged(client, office):
    login(client, office.clerk)
    url = (
        reverse("documents:register_xlsx", kwargs={"direction": "incoming", "year": 2026}) + "?series=secret"
    )
    assert client.get(url).status_code == 403
    assert SecretAccessAttempt.objects.get().attempt == SecretAttempt.REGISTER_PRINT
    office.clear(office.clerk, Secrecy.CONFIDENTIAL)
    assert client.get(url).status_code == 200


def test_inbox_renders_for_every_role(client, office):
    office.register()
    svc.outgoing_submit_for_review(document=office.draft(), actor=office.specialist)
    for user in (office.clerk, office.leader, office.specialist):
        login(client, user)
        assert client.get(reverse("documents:inbox")).status_code == 200


def test_a_refused_write_on_a_secret_document_is_recorded_after_the_rollback(client, office):
    # GIVEN a Mật document handled by a cleared specialist, and a leader without clearance
    office.clear(office.specialist, Secrecy.CONFIDENTIAL)
    document = office.register(secrecy=Secrecy.CONFIDENTIAL)
    svc.incoming_assign(document=document, actor=office.leader, assignees=[office.specialist])
    login(client, office.leader)
    # WHEN the leader tries to write an opinion on it
    response = client.post(
        reverse("documents:incoming_action", kwargs={"pk": document.pk, "action": "add_opinion"}),
        {"kind": "opinion", "text": "Ý kiến"},
    )
    # THEN it is refused, nothing was written, and the attempt is on record
    assert response.status_code == 403
    assert not document.opinions.exists()
    assert SecretAccessAttempt.objects.filter(user=office.leader, detail="add_opinion").count() == 1


def test_a_draft_answers_a_recent_incoming_document(client, office):
    incoming = office.register()
    login(client, office.specialist)
    response = client.post(
        reverse("documents:outgoing_new"),
        {
            "agency": office.agency.pk,
            "document_type": doc_type("cong_van").pk,
            "subject": "Trả lời Quyết định 15",
            "urgency": "normal",
            "secrecy": "none",
            "copies": "1",
            "reply_to": incoming.pk,
        },
    )
    assert response.status_code == 302
    assert OutgoingDocument.objects.get().reply_to == incoming


def test_the_incoming_page_offers_a_reply_draft_with_the_document_preselected(client, office):
    # GIVEN an incoming document registered more than a year ago (beyond the reply choice list)
    with at(MONDAY_10.replace(year=2024)):
        incoming = office.register(document_date=dt.date(2024, 2, 26))
    # WHEN the specialist opens its page
    page = login(client, office.specialist).get(
        reverse("documents:incoming_detail", kwargs={"pk": incoming.pk})
    )
    # THEN a "draft a reply" button leads to the draft form with the document preselected
    html = page.content.decode()
    new_url = reverse("documents:outgoing_new") + f"?reply_to={incoming.pk}"
    assert 'data-testid="draft-reply"' in html and new_url in html
    form = client.get(new_url)
    assert form.status_code == 200
    assert form.context["form"]["reply_to"].value() == incoming.pk
    assert f'<option value="{incoming.pk}" selected>' in form.content.decode()
    # AND the draft posted from that form answers it
    response = client.post(
        reverse("documents:outgoing_new"),
        {
            "agency": office.agency.pk,
            "document_type": doc_type("cong_van").pk,
            "subject": "Trả lời Quyết định 15",
            "urgency": "normal",
            "secrecy": "none",
            "copies": "1",
            "reply_to": incoming.pk,
        },
    )
    assert response.status_code == 302
    assert OutgoingDocument.objects.get().reply_to == incoming


def test_no_reply_button_for_whoever_may_not_draft_or_a_recalled_document(client, office):
    from egov.accounts.choices import Role
    from egov.testing.factories import officer

    incoming = office.register()
    url = reverse("documents:incoming_detail", kwargs={"pk": incoming.pk})
    # an officer of the agency who may not draft (one-stop reception) sees the page but no button
    reception = officer(office.agency, Role.RECEPTION, username="motcua")
    page = login(client, reception).get(url)
    assert page.status_code == 200 and 'data-testid="draft-reply"' not in page.content.decode()
    # a recalled document is answered by nobody
    svc.incoming_recall(document=incoming, actor=office.clerk, reason="Gửi nhầm")
    assert 'data-testid="draft-reply"' not in login(client, office.specialist).get(url).content.decode()
