"""The dossier lifecycle through its services (real database; notifications queued, not sent)."""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from egov.core.calendar import LOCAL_TZ, get_calendar
from egov.core.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from egov.core.models import Sequence
from egov.dossiers import services as svc
from egov.dossiers.choices import DossierAction, DossierStatus
from egov.dossiers.models import Dossier, DossierDocument, DossierEvent, DossierTask
from egov.dossiers.selectors import (
    allowed_actions,
    control_sheet_rows,
    dossier_for_officer,
    public_status,
    worklist,
)
from egov.notifications.models import Notification, OutboundEmail

from .conftest import PDF

pytestmark = pytest.mark.django_db

MONDAY_10 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ)


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_counter_reception_issues_code_due_date_and_register_number(office):
    # GIVEN a complete paper dossier at the counter on Monday 10:00
    with at(MONDAY_10):
        # WHEN the reception officer receives it
        dossier = office.counter_dossier()
    # THEN it has a Circular 01/2018 code, a due date 4 working days later and is with the specialist
    assert re.fullmatch(r"000\.00\.01\.H26-260302-0001", dossier.code)
    assert dossier.status == DossierStatus.PROCESSING
    assert dossier.due_at == dt.datetime(2026, 3, 6, 17, 0, tzinfo=LOCAL_TZ)
    assert dossier.register_number == 1
    tasks = list(dossier.tasks.order_by("id"))
    assert [t.role for t in tasks] == ["reception", "specialist"]
    assert tasks[0].finished_at is not None and tasks[1].finished_at is None
    assert DossierEvent.objects.filter(dossier=dossier, action=DossierAction.RECEIVE).count() == 1
    assert OutboundEmail.objects.filter(to="binh@example.vn").exists()


def test_whole_lifecycle_to_return_and_control_sheet(office):
    with at(MONDAY_10):
        dossier = office.counter_dossier(next_assignee=office.specialist)
    with at(MONDAY_10 + dt.timedelta(hours=2)):
        svc.dossier_complete_step(
            dossier=dossier, actor=office.specialist, note="Đủ điều kiện", next_assignee=office.leader
        )
    with at(MONDAY_10 + dt.timedelta(days=1)):
        svc.dossier_approve(dossier=dossier, actor=office.leader, note="Đồng ý")
        svc.dossier_mark_result_ready(
            dossier=dossier, actor=office.reception, result_file=SimpleUploadedFile("kq.pdf", PDF)
        )
        svc.dossier_return(dossier=dossier, actor=office.reception)
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.RETURNED
    assert dossier.finished_at and dossier.returned_at
    assert DossierDocument.objects.filter(dossier=dossier, origin="result").count() == 1
    rows = control_sheet_rows(dossier)
    # The leader's step (1 working day from Monday 12:00) ends Tuesday 12:00; approved Tuesday 10:00.
    assert [r["timeliness"] for r in rows] == ["early", "early", "on_time", "early"]
    status = public_status(dossier.code)
    assert [s["action"] for s in status["steps"]] == [
        "receive",
        "complete_step",
        "approve",
        "result_ready",
        "return",
    ]
    assert "Trần Thị Bình" not in str(status)


def test_online_submission_then_reception_and_notifications(office):
    dossier = office.online_dossier()
    assert dossier.status == DossierStatus.SUBMITTED and dossier.due_at is None
    assert Notification.objects.filter(recipient=office.reception, event="dossier_submitted").exists()
    svc.dossier_receive(dossier=dossier, actor=office.reception)
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING and dossier.due_at is not None
    assert DossierDocument.objects.filter(dossier=dossier).exclude(checksum="").count() == 2


def test_online_dossier_with_a_fee_is_received_only_once_paid(office):
    from egov.payments.services import payment_record_cash

    # GIVEN an online dossier whose procedure carries an online fee of 10.000 đồng
    office.offering.fee_online = 10000
    office.offering.save(update_fields=["fee_online"])
    dossier = office.online_dossier()
    # WHEN the one-stop shop receives it before the fee is paid THEN it is refused with the reason
    with pytest.raises(TransitionNotAllowed) as err:
        svc.dossier_receive(dossier=dossier, actor=office.reception)
    assert err.value.code == "payment_required" and "10.000 đồng" in err.value.message
    # WHEN the fee is paid THEN the history shows it, the status is unchanged, and the dossier is received
    payment_record_cash(dossier=dossier, actor=office.reception, amount=10000)
    event = DossierEvent.objects.get(dossier=dossier, action=DossierAction.PAY)
    assert event.from_status == event.to_status == DossierStatus.SUBMITTED
    assert event.data["amount"] == 10000 and event.data["receipt_number"] == "0000001"
    svc.dossier_receive(dossier=dossier, actor=office.reception)
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING


def test_counter_dossier_is_received_without_online_payment(office):
    # Counter dossiers pay at the counter: reception is never held back by the fee.
    dossier = office.counter_dossier()
    assert dossier.fee > 0 and dossier.status == DossierStatus.PROCESSING


def test_missing_documents_refused_and_nothing_written(office):
    papers = office.papers()[:1]
    with pytest.raises(ValidationFailed, match="thiếu giấy tờ bắt buộc"):
        svc.dossier_receive_at_counter(
            offering=office.offering,
            applicant=svc.ApplicantInput(name="A"),
            documents=papers,
            actor=office.reception,
        )
    assert (
        Dossier.objects.count() == 0
        and DossierDocument.objects.count() == 0
        and DossierEvent.objects.count() == 0
    )


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"MZ\x90\x00 not a pdf", "unsupported_file_type"),
        (b"<script>alert(1)</script>", "unsupported_file_type"),
        (b"", "empty_file"),
    ],
)
def test_wrongly_typed_files_refused(office, content, code):
    docs = office.papers(with_files=True)
    docs[0].file = SimpleUploadedFile("giay-to.pdf", content)
    with pytest.raises(ValidationFailed) as err:
        svc.dossier_submit(offering=office.offering, applicant=svc.ApplicantInput(name="A"), documents=docs)
    assert err.value.code == code
    assert Dossier.objects.count() == 0


@override_settings(EGOV_MAX_UPLOAD_BYTES=1000)
def test_oversized_file_refused(office):
    docs = office.papers(with_files=True)
    docs[0].file = SimpleUploadedFile("lon.pdf", PDF + b"0" * 2000 + b"%%EOF")
    with pytest.raises(ValidationFailed) as err:
        svc.dossier_submit(offering=office.offering, applicant=svc.ApplicantInput(name="A"), documents=docs)
    assert err.value.code == "file_too_large"
    assert Dossier.objects.count() == 0


def test_document_of_another_procedure_refused(office):
    docs = office.papers()
    docs[0].required_document_id = 999999
    with pytest.raises(ValidationFailed):
        svc.dossier_receive_at_counter(
            offering=office.offering,
            applicant=svc.ApplicantInput(name="A"),
            documents=docs,
            actor=office.reception,
        )
    assert Dossier.objects.count() == 0


def test_supplement_during_processing_restarts_the_clock(office):
    with at(MONDAY_10):
        dossier = office.counter_dossier(next_assignee=office.specialist)
    with at(MONDAY_10 + dt.timedelta(days=1)):
        svc.dossier_request_supplement(
            dossier=dossier, actor=office.specialist, items=["Bản sao sổ hộ khẩu"], reason="Thiếu"
        )
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.SUPPLEMENT_REQUESTED
    # Supplied the next Monday at 09:00: 4 working days from then, counting from Tuesday.
    supplied = dt.datetime(2026, 3, 9, 9, 0, tzinfo=LOCAL_TZ)
    with at(supplied):
        svc.dossier_supplement(dossier=dossier, actor=office.reception, documents=[], note="Đã nộp bản sao")
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING
    assert dossier.clock_started_at == supplied
    assert dossier.due_at == dt.datetime(2026, 3, 13, 17, 0, tzinfo=LOCAL_TZ)
    open_task = DossierTask.objects.get(dossier=dossier, finished_at__isnull=True)
    assert open_task.role == "specialist" and open_task.assignee == office.specialist
    # A second request restarts the clock again (repeated supplements).
    with at(supplied + dt.timedelta(hours=1)):
        svc.dossier_request_supplement(dossier=dossier, actor=office.specialist, items=["Ảnh"], reason="Mờ")
    with at(dt.datetime(2026, 3, 12, 16, 0, tzinfo=LOCAL_TZ)):  # after 15:00: counts from Friday
        svc.dossier_supplement(dossier=dossier, actor=office.reception, documents=[], note="Ảnh mới")
    dossier.refresh_from_db()
    assert dossier.due_at == dt.datetime(2026, 3, 19, 17, 0, tzinfo=LOCAL_TZ)


def test_supplement_after_window_is_refused(office):
    with at(MONDAY_10):
        dossier = office.counter_dossier(next_assignee=office.specialist)
    with at(MONDAY_10 + dt.timedelta(days=7)), pytest.raises(TransitionNotAllowed, match="3 ngày làm việc"):
        svc.dossier_request_supplement(dossier=dossier, actor=office.specialist, items=["x"], reason="y")


def test_supplement_before_receipt_returns_to_reception_queue(office):
    dossier = office.online_dossier()
    svc.dossier_request_supplement(
        dossier=dossier, actor=office.reception, items=["Tờ khai có chữ ký"], reason="Chưa ký"
    )
    svc.dossier_supplement(dossier=dossier, actor=office.reception, documents=[], note="Đã ký")
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.SUBMITTED and dossier.received_at is None


def test_apology_once_and_at_least_one_day_before(office):
    with at(MONDAY_10):
        dossier = office.counter_dossier()
    new_due = dt.datetime(2026, 3, 12, 17, 0, tzinfo=LOCAL_TZ)
    # Thursday: the due date is Friday, so Thursday is the last day an apology may be sent.
    with at(dt.datetime(2026, 3, 5, 9, 0, tzinfo=LOCAL_TZ)):
        svc.dossier_apologize(dossier=dossier, actor=office.leader, reason="Chờ xác minh", new_due_at=new_due)
    dossier.refresh_from_db()
    assert dossier.rescheduled_due_at == new_due and dossier.effective_due_at == new_due
    with (
        at(dt.datetime(2026, 3, 5, 10, 0, tzinfo=LOCAL_TZ)),
        pytest.raises(TransitionNotAllowed, match="một lần"),
    ):
        svc.dossier_apologize(
            dossier=dossier, actor=office.leader, reason="Lần hai", new_due_at=new_due + dt.timedelta(days=3)
        )


def test_apology_on_the_due_day_is_refused(office):
    with at(MONDAY_10):
        dossier = office.counter_dossier()
    with (
        at(dt.datetime(2026, 3, 6, 8, 0, tzinfo=LOCAL_TZ)),
        pytest.raises(TransitionNotAllowed, match="01 ngày"),
    ):
        svc.dossier_apologize(
            dossier=dossier,
            actor=office.leader,
            reason="Muộn",
            new_due_at=dt.datetime(2026, 3, 12, 17, tzinfo=LOCAL_TZ),
        )


def test_apology_new_date_must_be_later(office):
    with at(MONDAY_10):
        dossier = office.counter_dossier()
        with pytest.raises(ValidationFailed):
            svc.dossier_apologize(dossier=dossier, actor=office.leader, reason="x", new_due_at=MONDAY_10)


def test_withdrawal_allowed_until_a_result_exists(office):
    dossier = office.counter_dossier(next_assignee=office.specialist)
    svc.dossier_withdraw(dossier=dossier, actor=office.reception, reason="Công dân rút")
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.WITHDRAWN and dossier.closed_at
    assert not DossierTask.objects.filter(dossier=dossier, finished_at__isnull=True).exists()

    other = office.counter_dossier(next_assignee=office.specialist)
    svc.dossier_complete_step(dossier=other, actor=office.specialist, next_assignee=office.leader)
    svc.dossier_approve(dossier=other, actor=office.leader)
    with pytest.raises(TransitionNotAllowed):
        svc.dossier_withdraw(dossier=other, actor=office.reception, reason="Muộn rồi")


def test_consultation_round_trip(office):
    dossier = office.counter_dossier(next_assignee=office.specialist)
    consultation = svc.dossier_consult(
        dossier=dossier, actor=office.specialist, agency=office.other_agency, question="Xác minh cư trú?"
    )
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.CONSULTING
    # The consulted agency sees the dossier (to answer) but the original agency's rules still apply.
    assert dossier_for_officer(user=office.other_officer, code=dossier.code) == dossier
    assert DossierAction.ANSWER_CONSULTATION in allowed_actions(dossier=dossier, user=office.other_officer)
    svc.dossier_answer_consultation(
        consultation=consultation, actor=office.other_officer, answer="Đúng địa chỉ"
    )
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING
    with pytest.raises(PermissionDenied):
        svc.dossier_complete_step(dossier=dossier, actor=office.other_officer)


def test_deny_then_return(office):
    dossier = office.counter_dossier(next_assignee=office.specialist)
    svc.dossier_complete_step(dossier=dossier, actor=office.specialist)
    with pytest.raises(ValidationFailed):
        svc.dossier_deny(dossier=dossier, actor=office.leader, reason=" ")
    svc.dossier_deny(dossier=dossier, actor=office.leader, reason="Không đủ điều kiện theo Điều 5")
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.DENIED and dossier.finished_at
    svc.dossier_return(dossier=dossier, actor=office.reception)
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.RETURNED


def test_officer_of_another_agency_can_neither_see_nor_act(office):
    dossier = office.counter_dossier()
    with pytest.raises(NotFound):
        dossier_for_officer(user=office.other_officer, code=dossier.code)
    for call in (
        lambda: svc.dossier_complete_step(dossier=dossier, actor=office.other_officer),
        lambda: svc.dossier_withdraw(dossier=dossier, actor=office.other_officer, reason="x"),
        lambda: svc.dossier_apologize(
            dossier=dossier,
            actor=office.other_officer,
            reason="x",
            new_due_at=dossier.due_at + dt.timedelta(days=5),
        ),
    ):
        with pytest.raises(PermissionDenied):
            call()
    with pytest.raises(PermissionDenied):
        svc.dossier_receive_at_counter(
            offering=office.offering,
            applicant=svc.ApplicantInput(name="A"),
            documents=office.papers(),
            actor=office.other_officer,
        )


def test_decision_step_needs_a_leader(office):
    dossier = office.counter_dossier(next_assignee=office.specialist)
    svc.dossier_complete_step(dossier=dossier, actor=office.specialist)
    with pytest.raises(PermissionDenied):
        svc.dossier_approve(dossier=dossier, actor=office.specialist)
    with pytest.raises(TransitionNotAllowed):
        svc.dossier_complete_step(dossier=dossier, actor=office.leader)


def test_next_assignee_must_hold_the_role(office):
    with pytest.raises(ValidationFailed):
        office.counter_dossier(next_assignee=office.leader)
    assert Dossier.objects.count() == 0


def test_codes_run_per_agency_per_day(office):
    with at(MONDAY_10):
        codes = [office.counter_dossier().code for _ in range(3)]
    with at(MONDAY_10 + dt.timedelta(days=1)):
        codes.append(office.counter_dossier().code)
    assert [c[-11:] for c in codes] == ["260302-0001", "260302-0002", "260302-0003", "260303-0001"]


def test_counter_codes_past_9999_keep_every_digit_and_the_row_matches_the_answer(office):
    # GIVEN a day whose counter is at 9998 and a year register at 41
    Sequence.objects.create(scope="dossier:000.00.01.H26:260302", value=9998)
    Sequence.objects.create(scope="register:000.00.01.H26:2026", value=41)
    with at(MONDAY_10):
        # WHEN two dossiers are received at the counter
        first, second = office.counter_dossier(), office.counter_dossier()
    # THEN the codes are drawn as ``_dossier_code`` writes them (4 digits at least, never cut)
    assert [first.code, second.code] == ["000.00.01.H26-260302-9999", "000.00.01.H26-260302-10000"]
    assert [first.register_number, second.register_number] == [42, 43]
    # AND the stored rows hold them, received, with no provisional code left anywhere
    stored = Dossier.objects.get(pk=second.pk)
    assert (stored.code, stored.register_number, stored.status) == (second.code, 43, DossierStatus.PROCESSING)
    assert not Dossier.objects.filter(code__startswith="~").exists()
    event = DossierEvent.objects.get(dossier=stored)
    assert (event.from_status, event.to_status, event.data["register_number"]) == ("", "processing", 43)
    assert Notification.objects.filter(title__contains=second.code).exists()


def test_worklist_sorted_by_deadline_with_urgency(office):
    with at(MONDAY_10):
        first = office.counter_dossier(next_assignee=office.specialist)
    with at(MONDAY_10 + dt.timedelta(days=1)):
        second = office.counter_dossier(next_assignee=office.specialist)
    with at(dt.datetime(2026, 3, 20, 9, 0, tzinfo=LOCAL_TZ)):
        tasks = worklist(user=office.specialist)
    assert [t.dossier.code for t in tasks] == [first.code, second.code]
    assert {t.urgency for t in tasks} == {"overdue"}


def test_scan_deadlines_notifies_once(office):
    with at(MONDAY_10):
        dossier = office.counter_dossier(next_assignee=office.specialist)
    later = dt.datetime(2026, 3, 9, 9, 0, tzinfo=LOCAL_TZ)
    first = svc.dossier_scan_deadlines(now=later)
    second = svc.dossier_scan_deadlines(now=later + dt.timedelta(hours=1))
    assert first["overdue"] == 1 and first["overdue_steps"] == 1
    assert second == {"overdue": 0, "due_soon": 0, "overdue_steps": 0}
    assert Notification.objects.filter(event="dossier_overdue", recipient=office.specialist).count() == 1
    assert Notification.objects.filter(event="dossier_overdue", recipient=office.leader).count() == 1
    assert DossierEvent.objects.filter(dossier=dossier, action=DossierAction.OVERDUE).count() == 1


def test_scan_deadlines_due_soon(office):
    with at(MONDAY_10):
        office.counter_dossier(next_assignee=office.specialist)
    counts = svc.dossier_scan_deadlines(now=dt.datetime(2026, 3, 6, 10, 0, tzinfo=LOCAL_TZ))
    assert counts["due_soon"] == 1


def test_events_are_append_only(office):
    dossier = office.counter_dossier()
    event = dossier.events.first()
    event.note = "sửa"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_calendar_used_for_due_is_the_default(office):
    with at(dt.datetime(2026, 2, 13, 16, 0, tzinfo=LOCAL_TZ)):  # Friday after 15:00, Tết the week after
        dossier = office.counter_dossier()
    assert dossier.due_at == get_calendar().due(
        dt.datetime(2026, 2, 13, 16, 0, tzinfo=LOCAL_TZ), 4, "working_days"
    )
    assert dossier.due_at == dt.datetime(2026, 2, 27, 17, 0, tzinfo=LOCAL_TZ)
