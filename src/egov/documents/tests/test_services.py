"""Tests for ``documents/services.py``: registration and duplicates, exchange receipt, assignment and
deadlines, opinions, completion, recall, drafting to issue, hooks and reminders."""

from __future__ import annotations

import datetime as dt
import struct
import zlib

import pytest
from django.core.files.storage import default_storage

from egov.core.calendar import LOCAL_TZ
from egov.core.errors import PermissionDenied, ValidationFailed
from egov.documents import services as svc
from egov.documents.choices import (
    DeliveryChannel,
    ExchangeStatusCode,
    IncomingAction,
    IncomingSource,
    IncomingStatus,
    OpinionKind,
    OutgoingAction,
    OutgoingStatus,
    RecipientKind,
    Secrecy,
    Urgency,
    VersionKind,
)
from egov.documents.models import DocumentEvent, DocumentVersion, IncomingDocument
from egov.notifications.models import Notification

from .conftest import MONDAY_10, PDF, at, doc_type

pytestmark = pytest.mark.django_db

EDXML_METADATA = {
    "OrganId": "000.00.00.H26",
    "OrganName": "Ủy ban nhân dân tỉnh Phú Thọ",
    "CodeNumber": "120",
    "CodeNotation": "KH-UBND",
    "PromulgationDate": "2025/12/25",
    "TypeName": "Kế hoạch",
    "Subject": "Kế hoạch triển khai Đề án 06 năm 2026",
    "Priority": 1,
    "PageAmount": 4,
    "SignerInfo": {"Position": "Chủ tịch", "FullName": "Bùi Văn Quang"},
}


def tiny_png() -> bytes:
    """A valid 1x1 white PNG (uploads are parsed, not only sniffed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.fixture
def hooks():
    """Record the hook calls the exchange app will receive."""
    calls = {"status": [], "delivery": [], "recall": []}
    status_hook = lambda document, code: calls["status"].append((document.pk, code))  # noqa: E731
    delivery_hook = lambda document, recipient: calls["delivery"].append((document.pk, recipient.organ_id))  # noqa: E731
    recall_hook = lambda document, recipient: calls["recall"].append((document.pk, recipient.organ_id))  # noqa: E731
    svc.STATUS_HOOKS.append(status_hook)
    svc.DELIVERY_HOOKS.append(delivery_hook)
    svc.RECALL_HOOKS.append(recall_hook)
    yield calls
    svc.STATUS_HOOKS.remove(status_hook)
    svc.DELIVERY_HOOKS.remove(delivery_hook)
    svc.RECALL_HOOKS.remove(recall_hook)


# ---- registration -----------------------------------------------------------------------------------


def test_registration_numbers_stores_files_and_tells_the_leaders(office):
    # GIVEN the clerk registers a decision received on paper, with its scan
    with at(MONDAY_10):
        document = office.register()
    # THEN it has the first incoming number, a stored version with its checksum and one event
    assert document.status == IncomingStatus.REGISTERED
    assert document.arrival_number == 1
    assert document.register.name == "Sổ đăng ký văn bản đến năm 2026"
    version = document.versions.get()
    assert version.kind == VersionKind.ATTACHMENT and version.size == len(PDF)
    assert default_storage.open(version.file.name).read() == PDF
    assert [e.action for e in document.events.all()] == [IncomingAction.REGISTER]
    assert "ke hoach chuyen doi so" in document.search_text
    assert Notification.objects.filter(recipient=office.leader, event="document_incoming").exists()


def test_only_the_clerk_registers(office):
    with pytest.raises(PermissionDenied):
        office.register(actor=office.specialist)
    with pytest.raises(PermissionDenied):
        office.register(actor=office.other_officer)


def test_same_issuer_number_notation_and_date_raises_a_duplicate_warning(office):
    # GIVEN a registered decision 15/QĐ-UBND of 26/12/2025 from the province
    first = office.register()
    # WHEN the same document is registered again (the paper copy of an electronic one, written "015")
    with pytest.raises(svc.DuplicateDocument) as caught:
        office.register(code_number="015", subject="Bản giấy")
    # THEN the clerk is warned with the existing entry, and nothing was numbered
    assert caught.value.existing == first
    assert caught.value.status == 409 and caught.value.code == "duplicate_document"
    assert IncomingDocument.objects.count() == 1
    # WHEN the clerk confirms
    second = office.register(code_number="015", confirm_duplicate=True)
    # THEN it is registered with the next number and the event points at the first one
    assert second.arrival_number == 2
    assert second.events.get().data["duplicate_of"] == first.pk


@pytest.mark.parametrize(
    "change",
    [
        {"code_number": "16"},
        {"code_notation": "CT-UBND"},
        {"document_date": dt.date(2025, 12, 25)},
        {"issuer_code": "000.00.00.G09", "issuer_name": "Bộ Nội vụ"},
    ],
)
def test_a_different_issuer_number_notation_or_date_is_not_a_duplicate(office, change):
    office.register()
    assert office.register(**change).arrival_number == 2


def test_a_recalled_document_is_no_longer_a_duplicate(office):
    first = office.register()
    svc.incoming_recall(document=first, actor=office.clerk, reason="Bên gửi lấy lại")
    assert office.register().arrival_number == 2


def test_registration_refuses_what_a_person_can_fix(office):
    with pytest.raises(ValidationFailed):
        office.register(subject="  ")
    with pytest.raises(ValidationFailed):
        office.register(issuer_code="sai mã")
    with pytest.raises(ValidationFailed):
        office.register(attachments=[("virus.exe", b"MZ\x90\x00", "application/octet-stream")])
    with pytest.raises(svc.SecretDocumentRefused):
        office.register(secrecy=Secrecy.CONFIDENTIAL, source=IncomingSource.ELECTRONIC)
    assert IncomingDocument.objects.count() == 0


# ---- exchange ---------------------------------------------------------------------------------------


def test_exchange_receipt_is_idempotent_and_reports_accepted(
    office, hooks, django_capture_on_commit_callbacks
):
    # GIVEN a document delivered through the exchange
    with django_capture_on_commit_callbacks(execute=True):
        first = svc.incoming_register_from_exchange(
            agency=office.agency,
            metadata=EDXML_METADATA,
            attachments=[("ke-hoach.pdf", PDF, "application/pdf")],
            exchange_document_id="000.00.00.H26,2025/12/25,120/KH-UBND",
        )
    # WHEN the same DocumentId is delivered again
    with django_capture_on_commit_callbacks(execute=True):
        again = svc.incoming_register_from_exchange(
            agency=office.agency,
            metadata=EDXML_METADATA,
            attachments=[("ke-hoach.pdf", PDF, "application/pdf")],
            exchange_document_id="000.00.00.H26,2025/12/25,120/KH-UBND",
        )
    # THEN there is one document, registered by the system, with the metadata mapped from edXML
    assert again.pk == first.pk
    assert IncomingDocument.objects.count() == 1
    assert first.source == IncomingSource.EXCHANGE and first.registered_by is None
    assert first.document_type.code == "ke_hoach"
    assert first.number_notation == "120/KH-UBND"
    assert first.document_date == dt.date(2025, 12, 25)
    assert first.urgency == Urgency.URGENT and first.page_count == 4
    assert first.signer_name == "Bùi Văn Quang"
    assert first.events.get().actor is None
    # AND status 03 (accepted) was reported once
    assert hooks["status"] == [(first.pk, ExchangeStatusCode.ACCEPTED)]


def test_exchange_receipt_per_agency_and_type_fallbacks(office):
    metadata = {**EDXML_METADATA, "TypeName": "", "CodeNotation": "UBND-VX"}
    ours = svc.incoming_register_from_exchange(
        agency=office.agency, metadata=metadata, attachments=[], exchange_document_id="X-1"
    )
    theirs = svc.incoming_register_from_exchange(
        agency=office.other_agency, metadata=metadata, attachments=[], exchange_document_id="X-1"
    )
    assert ours.pk != theirs.pk
    assert ours.document_type.code == "cong_van"
    by_abbreviation = svc.incoming_register_from_exchange(
        agency=office.agency,
        metadata={**EDXML_METADATA, "TypeName": "", "CodeNotation": "QĐ-UBND", "CodeNumber": "7"},
        attachments=[],
        exchange_document_id="X-2",
    )
    assert by_abbreviation.document_type.code == "quyet_dinh"


def test_exchange_accepts_office_attachments_and_refuses_classified_documents(office):
    docx = b"PK\x03\x04" + b"\x00" * 64
    document = svc.incoming_register_from_exchange(
        agency=office.agency,
        metadata=EDXML_METADATA,
        attachments=[("phu-luc.docx", docx, "")],
        exchange_document_id="D-1",
    )
    assert document.versions.get().content_type.endswith("wordprocessingml.document")
    with pytest.raises(svc.SecretDocumentRefused):
        svc.incoming_register_from_exchange(
            agency=office.agency,
            metadata={**EDXML_METADATA, "Secrecy": Secrecy.SECRET, "CodeNumber": "121"},
            attachments=[],
            exchange_document_id="D-2",
        )


def test_exchange_document_status_is_reported_through_its_life(
    office, hooks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        document = svc.incoming_register_from_exchange(
            agency=office.agency, metadata=EDXML_METADATA, attachments=[], exchange_document_id="S-1"
        )
        svc.incoming_assign(document=document, actor=office.leader, assignees=[office.specialist])
        svc.incoming_add_opinion(document=document, actor=office.specialist, text="Đang xây dựng kế hoạch")
        svc.incoming_add_opinion(document=document, actor=office.specialist, text="Đã xin ý kiến")
        svc.incoming_complete(document=document, actor=office.specialist, result="Đã ban hành kế hoạch")
    assert [code for _pk, code in hooks["status"]] == ["03", "04", "05", "06"]


def test_paper_documents_report_no_exchange_status(office, hooks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        office.register()
    assert hooks["status"] == []


# ---- assignment, opinions, completion ------------------------------------------------------------------


def test_assignment_sets_units_people_deadline_and_notifies(office):
    # GIVEN a registered document
    with at(MONDAY_10):
        document = office.register()
        deadline = svc.deadline_after_working_days(5)
        # WHEN the leader assigns it to the culture unit, with a coordinating unit, a handler and a reader
        assignment = svc.incoming_assign(
            document=document,
            actor=office.leader,
            lead_department=office.culture_unit,
            coordinating_departments=[office.office_unit],
            assignees=[office.specialist],
            readers=[office.colleague],
            deadline=deadline,
            instructions="Tham mưu kế hoạch triển khai",
        )
    # THEN 5 working days after Monday 02/03/2026 (the first day not counted) is Monday 09/03 17:00
    assert deadline == dt.datetime(2026, 3, 9, 17, 0, tzinfo=LOCAL_TZ)
    document.refresh_from_db()
    assert document.status == IncomingStatus.ASSIGNED and document.deadline == deadline
    assert list(assignment.assignees.all()) == [office.specialist]
    assert list(assignment.readers.all()) == [office.colleague]
    assert Notification.objects.filter(recipient=office.specialist, event="document_assigned").exists()
    assert Notification.objects.filter(recipient=office.colleague, event="document_for_information").exists()
    event = document.events.get(action=IncomingAction.ASSIGN)
    assert event.data["lead_department"] == "Phòng Văn hóa - Xã hội"


def test_a_new_assignment_replaces_the_previous_one(office):
    document = office.register()
    first = svc.incoming_assign(document=document, actor=office.leader, assignees=[office.specialist])
    second = svc.incoming_assign(document=document, actor=office.leader, assignees=[office.colleague])
    first.refresh_from_db()
    assert not first.is_current and second.is_current
    with pytest.raises(PermissionDenied):
        svc.incoming_add_opinion(document=document, actor=office.specialist, text="Tôi không còn được giao")


def test_assignment_rules(office):
    document = office.register()
    with pytest.raises(PermissionDenied):
        svc.incoming_assign(document=document, actor=office.clerk, assignees=[office.specialist])
    with pytest.raises(ValidationFailed, match="đơn vị chủ trì hoặc người xử lý"):
        svc.incoming_assign(document=document, actor=office.leader)
    with pytest.raises(ValidationFailed, match="không phải cán bộ"):
        svc.incoming_assign(document=document, actor=office.leader, assignees=[office.other_officer])
    with pytest.raises(ValidationFailed, match="Hạn xử lý"):
        svc.incoming_assign(
            document=document,
            actor=office.leader,
            assignees=[office.specialist],
            deadline=dt.datetime(2020, 1, 1, tzinfo=LOCAL_TZ),
        )


def test_unit_officers_handle_a_document_assigned_to_their_unit(office):
    # GIVEN a document assigned to the culture unit only (the specialist works there)
    document = office.register()
    svc.incoming_assign(document=document, actor=office.leader, lead_department=office.culture_unit)
    # THEN the unit's specialist may give an opinion, a colleague of another unit may not
    opinion = svc.incoming_add_opinion(
        document=document, actor=office.specialist, text="Đề xuất giao Tổ công tác", kind=OpinionKind.PROPOSAL
    )
    document.refresh_from_db()
    assert opinion.kind == OpinionKind.PROPOSAL and document.status == IncomingStatus.IN_PROGRESS
    with pytest.raises(PermissionDenied):
        svc.incoming_add_opinion(document=document, actor=office.colleague, text="?")


def test_completion_records_the_result_and_whether_it_was_on_time(office):
    with at(MONDAY_10):
        document = office.register()
        svc.incoming_assign(
            document=document,
            actor=office.leader,
            assignees=[office.specialist],
            deadline=dt.date(2026, 3, 4),
        )
    with at(MONDAY_10 + dt.timedelta(days=5)):
        svc.incoming_complete(document=document, actor=office.specialist, result="Đã báo cáo")
    document.refresh_from_db()
    assert document.status == IncomingStatus.COMPLETED
    assert document.opinions.get().kind == OpinionKind.COMPLETION
    assert document.events.get(action=IncomingAction.COMPLETE).data == {"on_time": False}
    assert Notification.objects.filter(recipient=office.leader, event="document_completed").exists()


# ---- recall ------------------------------------------------------------------------------------------


def test_recall_deletes_content_and_files_and_keeps_a_tombstone_and_the_trace(
    office, django_capture_on_commit_callbacks
):
    # GIVEN an assigned document with an attachment
    document = office.register(linked_dossier_code="000.00.01.H26-260302-0001")
    svc.incoming_assign(document=document, actor=office.leader, assignees=[office.specialist])
    version = document.versions.get()
    path = version.file.name
    # WHEN the sender recalls it (the exchange: no officer)
    with django_capture_on_commit_callbacks(execute=True):
        svc.incoming_recall(document=document, reason="Bên gửi lấy lại văn bản (gói tin 13)")
    # THEN the row stays as a tombstone: register line kept, content and search key removed
    document.refresh_from_db()
    assert document.status == IncomingStatus.RECALLED and document.recalled_at
    assert (document.arrival_number, document.number_notation) == (1, "15/QĐ-UBND")
    assert document.subject == "" and document.search_text == "" and document.linked_dossier_code == ""
    assert not DocumentVersion.objects.filter(incoming=document).exists()
    assert not default_storage.exists(path)
    # AND the trace is complete, with what was removed
    actions = list(document.events.values_list("action", flat=True))
    assert actions == [IncomingAction.REGISTER, IncomingAction.ASSIGN, IncomingAction.RECALL]
    recall = document.events.get(action=IncomingAction.RECALL)
    assert recall.actor is None and recall.data["removed_files"][0]["checksum"] == version.checksum
    assert not document.assignments.filter(is_current=True).exists()


def test_recall_keeps_a_file_another_document_still_uses(office, django_capture_on_commit_callbacks):
    first = office.register()
    second = office.register(code_number="16")  # the same bytes attached
    path = first.versions.get().file.name
    assert second.versions.get().file.name == path
    with django_capture_on_commit_callbacks(execute=True):
        svc.incoming_recall(document=first, actor=office.clerk, reason="Thu hồi")
    assert default_storage.exists(path)


def test_only_clerks_and_leaders_recall(office):
    document = office.register()
    with pytest.raises(PermissionDenied):
        svc.incoming_recall(document=document, actor=office.specialist, reason="?")


# ---- outgoing ----------------------------------------------------------------------------------------


def test_drafting_review_signature_and_issue(office, hooks, django_capture_on_commit_callbacks):
    # GIVEN a draft with its first version
    document = office.draft()
    assert document.status == OutgoingStatus.DRAFT and document.number is None
    # WHEN a second version is added, it is reviewed, approved, signed and issued
    v2 = svc.outgoing_add_version(
        document=document, actor=office.specialist, attachment=("v2.pdf", PDF + b" ", ""), note="Sửa Điều 2"
    )
    svc.outgoing_submit_for_review(document=document, actor=office.specialist)
    svc.outgoing_approve(document=document, actor=office.leader)
    svc.outgoing_mark_signed(document=document, actor=office.leader, version=v2)
    with django_capture_on_commit_callbacks(execute=True):
        issued = svc.outgoing_issue(document=document, actor=office.clerk)
    # THEN every step is in the trace, the signed version is recorded and the signer filled from the leader
    assert [e.action for e in issued.events.all()] == [
        OutgoingAction.CREATE,
        OutgoingAction.ADD_VERSION,
        OutgoingAction.SUBMIT,
        OutgoingAction.APPROVE,
        OutgoingAction.SIGN,
        OutgoingAction.ISSUE,
    ]
    assert issued.signed_version == v2 and v2.number == 2
    assert issued.signer_name == office.leader.display_name
    # AND only the external electronic recipient went to the delivery hook; the unit got a notification
    assert hooks["delivery"] == [(issued.pk, office.other_agency.code)]
    assert issued.recipients.get(kind=RecipientKind.AGENCY).enqueued_at == issued.issued_at
    assert Notification.objects.filter(recipient=office.specialist, event="document_issued_internal").exists()


def test_versions_are_never_edited(office):
    document = office.draft()
    version = document.versions.get()
    version.name = "đổi tên"
    with pytest.raises(ValueError, match="append-only"):
        version.save()
    with pytest.raises(ValueError, match="append-only"):
        DocumentEvent.objects.first().delete()


def test_submission_needs_a_draft_and_signature_a_pdf(office):
    document = office.draft(content=None)
    with pytest.raises(ValidationFailed, match="dự thảo"):
        svc.outgoing_submit_for_review(document=document, actor=office.specialist)
    svc.outgoing_add_version(
        document=document,
        actor=office.specialist,
        attachment=("du-thao.docx", b"PK\x03\x04" + b"\0" * 30, ""),
    )
    svc.outgoing_submit_for_review(document=document, actor=office.specialist)
    svc.outgoing_approve(document=document, actor=office.leader)
    with pytest.raises(ValidationFailed, match="PDF"):
        svc.outgoing_mark_signed(document=document, actor=office.leader, version=document.versions.get())
    with pytest.raises(ValidationFailed, match="PDF"):
        svc.outgoing_mark_signed(
            document=document, actor=office.leader, signed_file=("a.png", tiny_png(), "")
        )


def test_roles_of_the_outgoing_workflow(office):
    document = office.draft()
    svc.outgoing_submit_for_review(document=document, actor=office.specialist)
    with pytest.raises(PermissionDenied):
        svc.outgoing_approve(document=document, actor=office.specialist)
    svc.outgoing_return_for_revision(document=document, actor=office.leader, reason="Bổ sung căn cứ")
    assert Notification.objects.filter(recipient=office.specialist, event="document_returned").exists()
    svc.outgoing_submit_for_review(document=document, actor=office.specialist)
    svc.outgoing_approve(document=document, actor=office.leader)
    svc.outgoing_mark_signed(document=document, actor=office.leader, signed_file=("k.pdf", PDF, ""))
    with pytest.raises(PermissionDenied):
        svc.outgoing_issue(document=document, actor=office.leader)


def test_recall_of_an_issued_document_freezes_it_and_tells_the_exchange(
    office, hooks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        document = office.issued()
        svc.outgoing_recall(document=document, actor=office.leader, reason="Sai thẩm quyền")
    document.refresh_from_db()
    assert document.status == OutgoingStatus.RECALLED and document.number == 1
    assert hooks["recall"] == [(document.pk, office.other_agency.code)]


def test_a_reply_is_linked_to_the_incoming_document(office):
    incoming = office.register()
    reply = office.draft(document_type=doc_type("cong_van"))
    svc.outgoing_link_reply(document=reply, incoming=incoming, actor=office.specialist)
    assert list(incoming.replies.all()) == [reply]
    other_agency_doc = svc.incoming_register(
        agency=office.other_agency,
        actor=office.other_officer,
        issuer_name="Sở Nội vụ",
        document_type=doc_type("cong_van"),
        subject="Công văn",
    )
    with pytest.raises(ValidationFailed):
        svc.outgoing_link_reply(document=reply, incoming=other_agency_doc, actor=office.specialist)


def test_recipient_codes_are_checked(office):
    with pytest.raises(ValidationFailed, match="Mã định danh"):
        office.draft(recipients=[svc.RecipientInput(kind=RecipientKind.AGENCY, organ_id="bad code")])
    with pytest.raises(ValidationFailed, match="hệ thống nhận"):
        office.draft(recipients=[svc.RecipientInput(kind=RecipientKind.INSTANCE, organ_id="000.00.00.H01")])
    paper = office.draft(
        recipients=[
            svc.RecipientInput(
                kind=RecipientKind.AGENCY, organ_id="000.00.00.G09", channel=DeliveryChannel.PAPER
            )
        ]
    )
    assert paper.recipients.get().name == "000.00.00.G09"


# ---- reminders ---------------------------------------------------------------------------------------


def test_deadline_reminders_go_once_before_and_once_after(office):
    # GIVEN a document due at the close of Wednesday 04/03/2026
    with at(MONDAY_10):
        document = office.register()
        svc.incoming_assign(
            document=document,
            actor=office.leader,
            assignees=[office.specialist],
            deadline=dt.date(2026, 3, 4),
        )
    monday_scan = svc.documents_scan_deadlines(now=MONDAY_10)
    # WHEN the scan runs at Tuesday's close (one working day left) and again an hour later
    tuesday = dt.datetime(2026, 3, 3, 17, 0, tzinfo=LOCAL_TZ)
    first = svc.documents_scan_deadlines(now=tuesday)
    second = svc.documents_scan_deadlines(now=tuesday + dt.timedelta(hours=1))
    # THEN the due-soon notice went once; nothing on Monday (two days left)
    assert monday_scan == {"due_soon": 0, "overdue": 0}
    assert first == {"due_soon": 1, "overdue": 0}
    assert second == {"due_soon": 0, "overdue": 0}
    # WHEN the deadline passes
    thursday = dt.datetime(2026, 3, 5, 8, 0, tzinfo=LOCAL_TZ)
    assert svc.documents_scan_deadlines(now=thursday) == {"due_soon": 0, "overdue": 1}
    assert svc.documents_scan_deadlines(now=thursday + dt.timedelta(days=1)) == {"due_soon": 0, "overdue": 0}
    # THEN the handler and the leader each got one notice of each kind, and the trace shows both
    for user in (office.specialist, office.leader):
        assert Notification.objects.filter(recipient=user, event="document_due_soon").count() == 1
        assert Notification.objects.filter(recipient=user, event="document_overdue").count() == 1
    actions = list(document.events.values_list("action", flat=True))
    assert actions[-2:] == [IncomingAction.DUE_SOON, IncomingAction.OVERDUE]


def test_completed_documents_are_not_reminded(office):
    with at(MONDAY_10):
        document = office.register()
        svc.incoming_assign(
            document=document,
            actor=office.leader,
            assignees=[office.specialist],
            deadline=dt.date(2026, 3, 3),
        )
        svc.incoming_complete(document=document, actor=office.specialist)
    assert svc.documents_scan_deadlines(now=MONDAY_10 + dt.timedelta(days=3)) == {"due_soon": 0, "overdue": 0}


def test_management_command_runs_the_scan(office, capsys):
    from django.core.management import call_command

    call_command("scan_document_deadlines")
    assert "quá hạn: 0" in capsys.readouterr().out
