"""The one-stop back-office pages through the Django test client (real database, real services)."""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from egov.accounts.choices import Role, UserKind
from egov.core.calendar import LOCAL_TZ
from egov.dossiers import services as svc
from egov.dossiers.choices import DossierAction, DossierStatus
from egov.dossiers.models import Dossier
from egov.testing.factories import UserFactory, officer, procedure_with_process

from .conftest import PDF

pytestmark = pytest.mark.django_db

MONDAY_10 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ)


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def detail_url(dossier) -> str:
    return reverse("dossiers:detail", kwargs={"code": dossier.code})


def action_url(dossier, action: str) -> str:
    return reverse("dossiers:action", kwargs={"code": dossier.code, "action": action})


def reception_post(office, *, tick_all: bool = True, with_file: bool = False) -> dict:
    data = {
        "offering": office.offering.pk,
        "applicant_name": "Phạm Thị Dung",
        "applicant_id_number": "025190000123",
        "applicant_phone": "0912 345 678",
        "applicant_email": "dung@example.vn",
        "applicant_address": "Số 5 đường Nguyễn Tất Thành, phường Việt Trì",
        "subject": "",
        "set_count": "1",
        "return_method": "counter",
        "next_assignee": office.specialist.pk,
    }
    mandatory = list(office.offering.procedure.required_documents.filter(mandatory=True).order_by("position"))
    for index, doc in enumerate(mandatory):
        if tick_all or index == 0:
            data[f"doc_{doc.pk}_received"] = "on"
            data[f"doc_{doc.pk}_quantity"] = "1"
    if with_file:
        data[f"doc_{mandatory[0].pk}_file"] = SimpleUploadedFile(
            "giay-to.pdf", PDF, content_type="application/pdf"
        )
    return data


# --- reception desk ---------------------------------------------------------------------------------------


def test_reception_desk_lists_procedures_and_shows_the_checklist(client, office):
    # GIVEN a reception officer
    client.force_login(office.reception)
    # WHEN they open the desk, then choose the procedure
    chooser = client.get(reverse("dossiers:reception"))
    form = client.get(reverse("dossiers:reception"), {"offering": office.offering.pk})
    # THEN the chooser lists the agency's procedure and the form shows its required documents
    assert chooser.status_code == 200
    assert office.offering.procedure.name in chooser.content.decode()
    body = form.content.decode()
    assert form.status_code == 200
    assert 'data-testid="reception-form"' in body
    for doc in office.offering.procedure.required_documents.all():
        assert doc.name in body
        assert f'name="doc_{doc.pk}_received"' in body
        assert f'name="doc_{doc.pk}_file"' in body


def test_reception_chooser_filters_without_diacritics(client, office):
    # GIVEN a second procedure with a Vietnamese name
    procedure_with_process(agency=office.agency, name="Đăng ký khai sinh")
    client.force_login(office.reception)
    # WHEN the officer searches without accents
    response = client.get(reverse("dossiers:reception"), {"q": "Đăng ký"})
    # THEN only the matching procedure is offered
    body = response.content.decode()
    assert "Đăng ký khai sinh" in body
    assert office.offering.procedure.name not in body


def test_reception_desk_creates_a_dossier_and_links_the_receipt(client, office):
    # GIVEN a reception officer with a complete paper dossier (one paper also scanned)
    client.force_login(office.reception)
    # WHEN they submit the reception form
    response = client.post(
        f"{reverse('dossiers:reception')}?offering={office.offering.pk}",
        reception_post(office, with_file=True),
    )
    # THEN the dossier exists, is processing, and the officer lands on its page with the receipt link
    dossier = Dossier.objects.get(applicant_name="Phạm Thị Dung")
    assert response.status_code == 302
    assert response["Location"] == detail_url(dossier)
    assert dossier.status == DossierStatus.PROCESSING
    assert dossier.applicant_id_number == "025190000123"
    assert dossier.documents.filter(origin="upload").count() == 1
    assert dossier.tasks.filter(assignee=office.specialist, finished_at__isnull=True).exists()
    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert dossier.code in body
    assert reverse("dossiers:print_form", kwargs={"code": dossier.code, "form": "01"}) in body
    assert 'data-testid="print-form-01"' in body
    assert "Đã tiếp nhận hồ sơ" in body


def test_reception_with_missing_documents_keeps_the_input_and_answers_400(client, office):
    # GIVEN a reception officer who ticked only the first mandatory paper
    client.force_login(office.reception)
    # WHEN they submit
    response = client.post(
        f"{reverse('dossiers:reception')}?offering={office.offering.pk}",
        reception_post(office, tick_all=False),
    )
    # THEN nothing is created, the form comes back with 400, the Vietnamese error and what they typed
    body = response.content.decode()
    assert response.status_code == 400
    assert not Dossier.objects.exists()
    assert "Hồ sơ còn thiếu giấy tờ bắt buộc" in body
    assert "Giấy tờ số 2" in body
    assert 'value="Phạm Thị Dung"' in body
    assert 'value="025190000123"' in body
    assert 'data-testid="error-summary"' in body
    second = office.offering.procedure.required_documents.get(position=2)
    assert re.search(rf'data-testid="document-row-{second.pk}" class="row-overdue" data-missing="1"', body)


def test_reception_form_errors_answer_400(client, office):
    client.force_login(office.reception)
    data = reception_post(office)
    data["applicant_name"] = ""
    data["applicant_id_number"] = "12345"
    response = client.post(f"{reverse('dossiers:reception')}?offering={office.offering.pk}", data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "Số định danh cá nhân gồm 12 chữ số" in body
    assert 'href="#id_applicant_name"' in body
    assert not Dossier.objects.exists()


def test_reception_desk_needs_the_reception_role(client, office):
    client.force_login(office.specialist)
    assert client.get(reverse("dossiers:reception")).status_code == 403


def test_reception_desk_does_not_offer_another_agencys_procedure(client, office):
    # GIVEN a procedure offered only by the other agency
    foreign = procedure_with_process(agency=office.other_agency)
    client.force_login(office.reception)
    # WHEN the officer forges its id
    response = client.get(reverse("dossiers:reception"), {"offering": foreign.pk})
    # THEN they are back at the chooser, which does not list it
    assert response.status_code == 200
    assert 'data-testid="procedure-chooser"' in response.content.decode()
    assert foreign.procedure.name not in response.content.decode()


# --- access -----------------------------------------------------------------------------------------------


def test_back_office_needs_sign_in_and_an_officer(client, office):
    # GIVEN an anonymous visitor and a citizen account
    citizen = UserFactory(kind=UserKind.CITIZEN)
    # WHEN they open the worklist
    anonymous = client.get(reverse("dossiers:worklist"))
    client.force_login(citizen)
    as_citizen = client.get(reverse("dossiers:worklist"))
    # THEN the first is sent to the log-in page and the second is refused
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))
    assert as_citizen.status_code == 403


def test_officer_of_another_agency_gets_404_on_page_actions_and_files(client, office):
    # GIVEN a dossier of agency A and an officer of agency B (with every role there)
    dossier = office.counter_dossier()
    document = dossier.documents.first()
    client.force_login(office.other_officer)
    # WHEN the officer of B opens the page, posts actions, asks for a form or a file
    page = client.get(detail_url(dossier))
    refuse = client.post(action_url(dossier, "withdraw"), {"withdraw-reason": "Thử"})
    approve = client.post(action_url(dossier, "approve"), {})
    pdf = client.get(reverse("dossiers:print_form", kwargs={"code": dossier.code, "form": "01"}))
    file = client.get(reverse("dossiers:document", kwargs={"code": dossier.code, "pk": document.pk}))
    # THEN every answer is 404 and nothing changed
    assert [r.status_code for r in (page, refuse, approve, pdf, file)] == [404, 404, 404, 404, 404]
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING
    assert "Trần Thị Bình" not in page.content.decode()


def test_unknown_action_is_404(client, office):
    dossier = office.counter_dossier()
    client.force_login(office.reception)
    assert client.post(action_url(dossier, "explode"), {}).status_code == 404
    assert client.get(action_url(dossier, "withdraw")).status_code == 405


# --- worklist ---------------------------------------------------------------------------------------------


def test_worklist_sorts_by_deadline_and_marks_overdue_and_due_soon(client, office):
    # GIVEN three dossiers with the specialist: one received four weeks ago (overdue), one this morning on a
    # 4-day procedure (its step ends tomorrow: due soon), one this morning on a 20-day procedure
    slow = procedure_with_process(agency=office.agency, amount="20")
    with at(MONDAY_10):
        normal = svc.dossier_receive_at_counter(
            offering=slow,
            applicant=svc.ApplicantInput(name="Người nộp thong thả"),
            documents=[
                svc.DocumentInput(required_document_id=r.pk, origin="paper")
                for r in slow.procedure.required_documents.filter(mandatory=True)
            ],
            actor=office.reception,
            next_assignee=office.specialist,
        )
        soon = office.counter_dossier(next_assignee=office.specialist)
    with at(MONDAY_10 - dt.timedelta(days=28)):
        late = office.counter_dossier(next_assignee=office.specialist)
    client.force_login(office.specialist)
    # WHEN the specialist opens the worklist a minute later
    with at(MONDAY_10 + dt.timedelta(minutes=1)):
        response = client.get(reverse("dossiers:worklist"))
    # THEN the rows come earliest deadline first, marked overdue / due soon / normal
    body = response.content.decode()
    assert response.status_code == 200
    rows = re.findall(r'data-testid="worklist-row" data-code="([^"]+)" data-urgency="([^"]+)"', body)
    assert rows == [(late.code, "overdue"), (soon.code, "due_soon"), (normal.code, "normal")]
    assert body.count(">Quá hạn<") == 1
    assert body.count(">Sắp đến hạn<") == 1
    assert 'class="row-overdue"' in body
    # and the due time is shown as dd/mm/yyyy HH:MM in Vietnam time
    task = late.tasks.get(finished_at__isnull=True)
    assert task.due_at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M") in body


def test_worklist_filters_by_status(client, office):
    dossier = office.counter_dossier(next_assignee=office.specialist)
    client.force_login(office.specialist)
    processing = client.get(reverse("dossiers:worklist"), {"status": "processing"}).content.decode()
    approved = client.get(reverse("dossiers:worklist"), {"status": "approved"}).content.decode()
    assert dossier.code in processing
    assert dossier.code not in approved
    assert 'data-testid="worklist-empty"' in approved


# --- dossier page and actions -----------------------------------------------------------------------------


def test_dossier_page_shows_facts_timeline_control_sheet_and_allowed_actions(client, office):
    dossier = office.counter_dossier(next_assignee=office.specialist)
    client.force_login(office.specialist)
    body = client.get(detail_url(dossier)).content.decode()
    assert "Trần Thị Bình" in body
    assert 'data-testid="timeline"' in body and 'data-action="receive"' in body
    assert 'data-testid="control-sheet"' in body
    assert 'data-testid="action-complete_step"' in body
    assert 'data-testid="form-complete_step"' in body
    # an action the specialist may not take has no form
    assert 'data-testid="action-approve"' not in body


def test_action_success_redirects_back_with_a_message(client, office):
    # GIVEN a dossier with the specialist
    dossier = office.counter_dossier(next_assignee=office.specialist)
    client.force_login(office.specialist)
    # WHEN the specialist completes the step and hands it to the leader
    response = client.post(
        action_url(dossier, "complete_step"),
        {"complete_step-note": "Đủ điều kiện", "complete_step-next_assignee": office.leader.pk},
    )
    # THEN the page reloads (PRG) with a confirmation and the leader holds the dossier
    assert response.status_code == 302
    assert response["Location"] == detail_url(dossier)
    assert "Đã hoàn thành bước" in client.get(response["Location"]).content.decode()
    assert dossier.tasks.get(finished_at__isnull=True).assignee == office.leader


def test_whole_journey_through_the_pages(client, office):
    dossier = office.counter_dossier(next_assignee=office.specialist)
    client.force_login(office.specialist)
    client.post(action_url(dossier, "complete_step"), {"complete_step-next_assignee": office.leader.pk})
    client.force_login(office.leader)
    assert 'data-testid="action-approve"' in client.get(detail_url(dossier)).content.decode()
    assert client.post(action_url(dossier, "approve"), {"approve-note": "Đồng ý"}).status_code == 302
    client.force_login(office.reception)
    response = client.post(
        action_url(dossier, "result_ready"), {"result_ready-result_file": SimpleUploadedFile("kq.pdf", PDF)}
    )
    assert response.status_code == 302
    assert client.post(action_url(dossier, "return"), {"return-method": "counter"}).status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.RETURNED
    result = dossier.documents.get(origin="result")
    download = client.get(reverse("dossiers:document", kwargs={"code": dossier.code, "pk": result.pk}))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_action_forbidden_in_the_current_status_shows_a_message_with_409(client, office):
    # GIVEN a dossier already received (processing)
    dossier = office.counter_dossier()
    client.force_login(office.reception)
    # WHEN the reception officer tries to refuse it (only allowed before processing)
    response = client.post(action_url(dossier, "refuse"), {"refuse-reason": "Không đủ điều kiện"})
    # THEN the page comes back with 409 and the reason, and nothing changed
    body = response.content.decode()
    assert response.status_code == 409
    assert "Không thể thực hiện" in body
    assert 'data-testid="message-error"' in body
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING


def test_action_by_the_wrong_role_is_403(client, office):
    # GIVEN an online dossier waiting for reception, and a specialist of the same agency
    dossier = office.online_dossier()
    client.force_login(office.specialist)
    # WHEN the specialist tries to receive it
    response = client.post(action_url(dossier, "receive"), {})
    # THEN the service refuses with 403, shown on the page
    assert response.status_code == 403
    assert "không có quyền" in response.content.decode()


def test_invalid_action_form_re_renders_with_400(client, office):
    dossier = office.online_dossier()
    client.force_login(office.reception)
    response = client.post(action_url(dossier, "refuse"), {"refuse-reason": "  "})
    body = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="error-summary-refuse"' in body
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.SUBMITTED


def test_request_supplement_splits_lines(client, office):
    dossier = office.online_dossier()
    client.force_login(office.reception)
    response = client.post(
        action_url(dossier, "request_supplement"),
        {
            "request_supplement-items": "Bản sao giấy khai sinh\n\n- Ảnh 4x6\n",
            "request_supplement-reason": "Thiếu giấy tờ",
        },
    )
    assert response.status_code == 302
    request = dossier.supplement_requests.get()
    assert request.items == ["Bản sao giấy khai sinh", "Ảnh 4x6"]


def test_incoming_queue_lists_online_dossiers_and_receives_them(client, office):
    # GIVEN an online dossier of the agency and one of another agency
    dossier = office.online_dossier()
    foreign = procedure_with_process(agency=office.other_agency)
    other = svc.dossier_submit(
        offering=foreign,
        applicant=svc.ApplicantInput(name="Người nơi khác"),
        documents=[
            svc.DocumentInput(required_document_id=r.pk, file=SimpleUploadedFile("a.pdf", PDF))
            for r in foreign.procedure.required_documents.filter(mandatory=True)
        ],
    )
    client.force_login(office.reception)
    # WHEN the reception officer opens the queue and receives from it
    body = client.get(reverse("dossiers:incoming")).content.decode()
    response = client.post(action_url(dossier, "receive"), {"next": reverse("dossiers:incoming")})
    # THEN only the own agency's dossier is listed, and receiving returns to the queue
    assert dossier.code in body and other.code not in body
    assert f'data-testid="incoming-receive-{dossier.code}"' in body
    assert response.status_code == 302 and response["Location"] == reverse("dossiers:incoming")
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING


def test_next_must_stay_on_this_site(client, office):
    dossier = office.online_dossier()
    client.force_login(office.reception)
    response = client.post(action_url(dossier, "receive"), {"next": "https://evil.example/"})
    assert response["Location"] == detail_url(dossier)


def test_print_form_is_an_inline_pdf(client, office):
    dossier = office.counter_dossier()
    client.force_login(office.reception)
    response = client.get(reverse("dossiers:print_form", kwargs={"code": dossier.code, "form": "01"}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert response.content.startswith(b"%PDF")


def test_print_form_the_dossier_does_not_have_is_a_message_not_a_500(client, office):
    dossier = office.counter_dossier()
    client.force_login(office.reception)
    response = client.get(reverse("dossiers:print_form", kwargs={"code": dossier.code, "form": "03"}))
    assert 400 <= response.status_code < 500
    assert 'data-testid="message-error"' in response.content.decode()


def test_register_export_is_a_spreadsheet_of_the_officers_agency(client, office):
    with at(MONDAY_10):
        office.counter_dossier()
    client.force_login(office.reception)
    response = client.get(reverse("dossiers:register_export", kwargs={"year": 2026}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert office.agency.code in response["Content-Disposition"]
    assert response.content[:2] == b"PK"


def test_search_finds_own_dossiers_only(client, office):
    dossier = office.counter_dossier()
    client.force_login(office.other_officer)
    assert dossier.code not in client.get(reverse("dossiers:search"), {"q": "Bình"}).content.decode()
    client.force_login(office.reception)
    body = client.get(reverse("dossiers:search"), {"q": "Bình"}).content.decode()
    assert f'data-code="{dossier.code}"' in body


def test_officer_with_enrolled_authenticator_must_verify_first(client, office):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=office.reception, name="egov", confirmed=True)
    client.force_login(office.reception)
    response = client.get(reverse("dossiers:worklist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_verify"))


def test_nav_shows_officer_links(client, office):
    client.force_login(officer(office.agency, Role.RECEPTION))
    body = client.get(reverse("dossiers:worklist")).content.decode()
    for testid in ("nav-reception", "nav-worklist", "nav-search", "nav-stats", "nav-catalog", "logout"):
        assert f'data-testid="{testid}"' in body
    assert '<html lang="vi">' in body


def test_apologize_reschedules_and_offers_form_04(client, office):
    # GIVEN a dossier received on Monday (due Friday 17:00) and the leader on Tuesday
    with at(MONDAY_10):
        dossier = office.counter_dossier()
    client.force_login(office.leader)
    # WHEN the leader sends the apology with a new date typed in the browser's date-time field
    with at(MONDAY_10 + dt.timedelta(days=1)):
        response = client.post(
            action_url(dossier, "apologize"),
            {"apologize-reason": "Cần xác minh thêm", "apologize-new_due_at": "2026-03-10T16:30"},
        )
    # THEN the new date is stored in Vietnam time and Mẫu 04 can be printed
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.rescheduled_due_at == dt.datetime(2026, 3, 10, 16, 30, tzinfo=LOCAL_TZ)
    body = client.get(detail_url(dossier)).content.decode()
    assert 'data-testid="print-form-04"' in body
    assert "10/03/2026 16:30" in body


def test_every_action_button_has_its_own_text():
    # Browser tests find buttons by their text: no two action buttons, and no button and heading, may share it.
    from egov.dossiers.forms import ACTION_FORMS

    buttons = [str(form.button) for form in ACTION_FORMS.values()]
    headings = {str(DossierAction(action).label) for action in ACTION_FORMS}
    assert len(set(buttons)) == len(buttons)
    assert not set(buttons) & headings
