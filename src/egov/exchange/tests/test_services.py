"""Inbox, outbox, statuses and retries of the exchange (QCVN 102:2016; Decree 30/2020 arts. 18, 21.2)."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from lxml import etree

from egov.documents import services as documents
from egov.documents.choices import IncomingStatus, RecipientKind, Secrecy
from egov.documents.models import DocumentType, IncomingDocument, SecretAccessAttempt
from egov.exchange import edxml, services
from egov.exchange.adapters.transport import FakeTransport, TransportError, TransportResponse, set_transport
from egov.exchange.choices import (
    BusinessDocType,
    MessageDirection,
    MessageKind,
    MessageState,
    StatusDirection,
)
from egov.exchange.models import ExchangeMessage, ExchangeStatus
from egov.exchange.selectors import deliveries_for, exchange_summary, statuses_for

from .conftest import NEIGHBOUR_CODE, OUR_CODE, PDF, REMOTE_CODE, document_xml, signer_from

DOCUMENT_ID = "000.00.07.H25,2026/03/02,27/SNV-VP"


def _status_of(body: bytes) -> edxml.StatusMessage:
    return edxml.parse_status_message(body)


def _inbox():
    return ExchangeMessage.objects.filter(direction=MessageDirection.IN)


# ---- back-off ------------------------------------------------------------------------------------------------


def test_backoff_doubles_from_30_seconds_up_to_one_hour():
    delays = [services.backoff_delay(n).total_seconds() for n in range(1, 11)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


def test_backoff_base_and_cap_are_settings(settings):
    settings.EGOV_EXCHANGE_RETRY_BASE_SECONDS = 1
    settings.EGOV_EXCHANGE_RETRY_MAX_SECONDS = 5
    assert [services.backoff_delay(n).total_seconds() for n in range(1, 6)] == [1, 2, 4, 5, 5]


# ---- inbox ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_signed_document_from_a_peer_is_registered_and_answered_with_a_signed_01(
    world, remote_signer, dev_ca
):
    # GIVEN a document signed by the remote agency, for our agency
    data = remote_signer.sign(document_xml())
    # WHEN it is received from the peer serving that agency
    result = services.message_receive(data=data, peer=world.peer)
    # THEN it is registered as an incoming document of our agency, from the exchange, with its file
    assert result.http_status == 200
    incoming = IncomingDocument.objects.get()
    assert incoming.agency == world.agency
    assert incoming.exchange_document_id == DOCUMENT_ID
    assert incoming.issuer_code == REMOTE_CODE
    assert incoming.subject == "Về việc triển khai liên thông văn bản điện tử năm 2026"
    assert incoming.status == IncomingStatus.REGISTERED
    assert incoming.versions.get().checksum == __import__("hashlib").sha256(PDF).hexdigest()
    # AND the answer is a status 01 signed by our agency, verifiable with our CA
    sender = edxml.verify_message(result.body, trusted=edxml.TrustStore.from_pem(_our_ca_pem(dev_ca)))
    status = edxml.parse_status_message(sender.signed_root)
    assert (sender.organ_id, status.status_code) == (OUR_CODE, "01")
    assert status.response_for.document_id == DOCUMENT_ID
    # AND the inbox holds the exact bytes, registered, linked to the document
    row = _inbox().get()
    assert (row.state, row.kind, bytes(row.edxml), row.incoming_document) == (
        MessageState.REGISTERED,
        MessageKind.DOCUMENT,
        data,
        incoming,
    )
    assert list(statuses_for(incoming).values_list("status_code", flat=True)) == ["01"]


def _our_ca_pem(dev_ca) -> str:
    from egov.signing import ca

    return "".join(dev_ca.cert_path(n).read_text() for n in ca.CA_NAMES)


@pytest.mark.django_db
def test_the_same_message_twice_registers_one_document_and_gets_the_same_answer(world, remote_signer):
    data = remote_signer.sign(document_xml())
    first = services.message_receive(data=data, peer=world.peer)
    second = services.message_receive(data=data, peer=world.peer)
    assert first.body == second.body
    assert IncomingDocument.objects.count() == 1
    assert _inbox().count() == 1
    # AND a re-signed copy (new bytes, same DocumentId) is still the same delivery
    third = services.message_receive(data=remote_signer.sign(document_xml()), peer=world.peer)
    assert third.body == first.body
    assert IncomingDocument.objects.count() == 1


def _assert_rejected(result, *, code: str, http: int) -> edxml.StatusMessage:
    assert result.http_status == http
    status = _status_of(result.body)
    assert status.status_code == "02"
    assert status.description
    assert IncomingDocument.objects.count() == 0
    row = _inbox().get()
    assert row.state == MessageState.REJECTED
    assert code in row.last_error
    assert ExchangeStatus.objects.filter(
        message=row, status_code="02", direction=StatusDirection.SENT
    ).exists()
    return status


@pytest.mark.django_db
def test_unsigned_message_is_rejected_with_02(world):
    result = services.message_receive(data=document_xml(), peer=world.peer)
    status = _assert_rejected(result, code="edxml_unsigned", http=403)
    assert status.response_for.document_id == DOCUMENT_ID


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["subject", "attachment"])
def test_message_changed_after_signing_is_rejected_with_02(world, remote_signer, target):
    root = etree.fromstring(remote_signer.sign(document_xml()))
    if target == "subject":
        element = next(root.iter(f"{{{edxml.NS}}}Subject"))
        element.text += "."
    else:
        element = next(root.iter(f"{{{edxml.NS}}}ContentTransferEncoded"))
        data = bytearray(base64.b64decode(element.text))
        data[-3] ^= 0x20
        element.text = base64.b64encode(bytes(data)).decode()
    result = services.message_receive(data=etree.tostring(root), peer=world.peer)
    _assert_rejected(result, code="edxml_bad_signature", http=403)


@pytest.mark.django_db
def test_signer_not_trusted_for_the_peer_is_rejected_with_02(world, stranger_ca):
    forger = signer_from(stranger_ca, REMOTE_CODE)
    result = services.message_receive(data=forger.sign(document_xml()), peer=world.peer)
    _assert_rejected(result, code="edxml_untrusted", http=403)


@pytest.mark.django_db
def test_peer_cannot_speak_for_an_agency_it_does_not_serve(world, remote_ca):
    # GIVEN a certificate of the peer's CA for an agency the peer was not registered for
    other = signer_from(remote_ca, "000.00.09.H25")
    data = other.sign(document_xml(sender="000.00.09.H25"))
    result = services.message_receive(data=data, peer=world.peer)
    _assert_rejected(result, code="edxml_signer_mismatch", http=403)


@pytest.mark.django_db
def test_message_for_an_agency_we_do_not_serve_is_returned_with_02(world, remote_signer):
    result = services.message_receive(
        data=remote_signer.sign(document_xml(receivers=("000.00.05.H30",))), peer=world.peer
    )
    _assert_rejected(result, code="edxml_misaddressed", http=422)


@pytest.mark.django_db
def test_malformed_message_is_rejected_and_a_corrected_resend_is_accepted(world, remote_signer):
    result = services.message_receive(data=b"<edXML>not edxml", peer=world.peer)
    assert result.http_status == 400
    assert _status_of(result.body).status_code == "02"
    # The rejected row does not hold the DocumentId: the corrected message goes through.
    ok = services.message_receive(data=remote_signer.sign(document_xml()), peer=world.peer)
    assert ok.http_status == 200
    assert IncomingDocument.objects.count() == 1


@pytest.mark.django_db
def test_a_failure_while_registering_leaves_nothing_half_imported(world, remote_signer):
    # GIVEN a message whose attachment the documents app refuses (not a PDF, image or office file)
    data = remote_signer.sign(
        document_xml(
            attachments=[
                edxml.Attachment(name="virus.exe", content_type="application/x-msdownload", data=b"MZ")
            ]
        )
    )
    result = services.message_receive(data=data, peer=world.peer)
    # THEN it is returned with 02 and neither an inbox row in "registered" nor a document remains
    assert result.http_status == 400
    assert _status_of(result.body).status_code == "02"
    assert IncomingDocument.objects.count() == 0
    assert not _inbox().filter(state=MessageState.REGISTERED).exists()


@pytest.mark.django_db
def test_recall_by_the_sender_is_agreed_with_15_and_unknown_recall_refused_with_16(world, remote_signer):
    services.message_receive(data=remote_signer.sign(document_xml()), peer=world.peer)
    # WHEN the sender revokes it
    revoke = remote_signer.sign(
        document_xml(business_doc_type=BusinessDocType.REVOKE, business_doc_reason="Ban hành nhầm")
    )
    result = services.message_receive(data=revoke, peer=world.peer)
    # THEN the incoming document is recalled and the answer is 15
    assert _status_of(result.body).status_code == "15"
    assert IncomingDocument.objects.get().status == IncomingStatus.RECALLED
    # AND revoking a document we never received is refused with 16
    unknown = remote_signer.sign(document_xml(number="99", business_doc_type=BusinessDocType.REVOKE))
    assert _status_of(services.message_receive(data=unknown, peer=world.peer).body).status_code == "16"


@pytest.mark.django_db
def test_replacement_is_registered_and_linked_to_the_original(world, remote_signer):
    services.message_receive(data=remote_signer.sign(document_xml()), peer=world.peer)
    replacement = remote_signer.sign(
        document_xml(
            number="28",
            business_doc_type=BusinessDocType.REPLACE,
            replacement_info=[edxml.ReplacementInfo(document_id=DOCUMENT_ID, organ_ids=(OUR_CODE,))],
        )
    )
    result = services.message_receive(data=replacement, peer=world.peer)
    assert _status_of(result.body).status_code == "15"
    assert IncomingDocument.objects.count() == 2
    row = _inbox().get(business_doc_type=BusinessDocType.REPLACE)
    assert row.related.document_id == DOCUMENT_ID
    assert row.incoming_document.code_number == "28"


# ---- outbox --------------------------------------------------------------------------------------------------


def _issued(
    world, django_capture_on_commit_callbacks, *, organ_id=REMOTE_CODE, kind=RecipientKind.AGENCY, **extra
):
    draft = documents.outgoing_create_draft(
        agency=world.agency,
        actor=world.specialist,
        document_type=DocumentType.objects.get(code="quyet_dinh"),
        subject="Về việc thành lập Tổ công tác chuyển đổi số",
        drafting_department=world.unit,
        recipients=[documents.RecipientInput(kind=kind, organ_id=organ_id, **extra)],
        content=("du-thao.pdf", PDF, "application/pdf"),
    )
    documents.outgoing_submit_for_review(document=draft, actor=world.specialist)
    documents.outgoing_approve(document=draft, actor=world.leader)
    documents.outgoing_mark_signed(
        document=draft, actor=world.leader, signed_file=("da-ky.pdf", PDF, "application/pdf")
    )
    with django_capture_on_commit_callbacks(execute=True):
        return documents.outgoing_issue(document=draft, actor=world.clerk)


def _answer_as_remote(remote_signer, code: str = "01", http: int = 200):
    def handler(url, data, token):
        parsed = edxml.parse_document_message(data)
        xml = edxml.build_status_message(
            response_for=edxml.ResponseFor(organ_id=parsed.sender.organ_id, document_id=parsed.document_id),
            sender=edxml.Organ(organ_id=REMOTE_CODE, organ_name="Sở Nội vụ"),
            status_code=code,
            description="Từ chối" if code == "02" else "Đã đến",
        )
        return TransportResponse(status=http, body=remote_signer.sign(xml), content_type="application/xml")

    return handler


@pytest.fixture
def fake_transport():
    fake = FakeTransport()
    previous = set_transport(fake)
    yield fake
    set_transport(previous)


@pytest.mark.django_db
def test_issue_queues_one_signed_message_with_its_send_task(
    world, django_capture_on_commit_callbacks, dev_ca
):
    document = _issued(world, django_capture_on_commit_callbacks)
    message = deliveries_for(document).get()
    assert (message.state, message.peer, message.receiver_organ_id) == (
        MessageState.QUEUED,
        world.peer,
        REMOTE_CODE,
    )
    assert message.document_id == f"{OUR_CODE},{document.document_date:%Y/%m/%d},{document.number_notation}"
    sender = edxml.verify_message(
        bytes(message.edxml), trusted=edxml.TrustStore.from_pem(_our_ca_pem(dev_ca))
    )
    parsed = edxml.parse_document_message(sender.signed_root)
    # The attachment is the issued file: the signed PDF with the agency's seal signature added at issue
    # (an incremental update after the signed bytes, Decree 30/2020 Appendix I §II.8(a)).
    with document.signed_version.file.open("rb") as issued_file:
        assert parsed.attachments[0].data == issued_file.read()
    assert parsed.attachments[0].data.startswith(PDF) and len(parsed.attachments[0].data) > len(PDF)
    assert parsed.code_notation == document.notation
    task = DBTaskResult.objects.get(task_path="egov.exchange.tasks.send_message")
    assert task.args_kwargs["kwargs"] == {"message_id": message.pk}
    # AND a second hook call for the same recipient changes nothing (idempotent by DocumentId)
    again = services.document_message_enqueue(document=document, recipient=document.recipients.get())
    assert again.pk == message.pk


@pytest.mark.django_db
def test_send_records_the_peers_signed_answer(
    world, django_capture_on_commit_callbacks, remote_signer, fake_transport
):
    document = _issued(world, django_capture_on_commit_callbacks)
    message = deliveries_for(document).get()
    fake_transport.handler = _answer_as_remote(remote_signer)
    assert services.message_send(message_id=message.pk) == MessageState.ACKNOWLEDGED
    url, data, token = fake_transport.calls[0]
    assert (url, data, token) == (
        "http://peer.test/api/v1/exchange/edxml",
        bytes(message.edxml),
        "token-to-call-them",
    )
    assert list(statuses_for(document).values_list("status_code", "organ_id")) == [("01", REMOTE_CODE)]
    # AND sending again does nothing: the message is no longer due
    assert services.message_send(message_id=message.pk) == "skipped"


@pytest.mark.django_db
def test_failed_send_is_retried_with_exponential_backoff(
    world, django_capture_on_commit_callbacks, fake_transport, remote_signer
):
    document = _issued(world, django_capture_on_commit_callbacks)
    message = deliveries_for(document).get()

    def down(url, data, token):
        raise TransportError("ConnectionRefusedError: [Errno 111] Connection refused")

    fake_transport.handler = down
    delays = []
    for _attempt in range(3):
        before = timezone.now()
        assert services.message_send(message_id=message.pk) == MessageState.QUEUED
        message.refresh_from_db()
        delays.append(round((message.next_attempt_at - before).total_seconds()))
        # Not due yet: a second worker (or the re-queue command) does not send it early.
        assert services.message_send(message_id=message.pk) == "skipped"
        ExchangeMessage.objects.filter(pk=message.pk).update(
            next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
        )
    assert delays == [30, 60, 120]
    assert message.attempts == 3
    assert "Connection refused" in message.last_error
    # django-tasks stores "no run_after" as year 9999: the three retries are the ones with a real time.
    retries = DBTaskResult.objects.filter(
        task_path="egov.exchange.tasks.send_message", run_after__year__lt=9000
    )
    assert retries.count() == 3
    # WHEN the peer is back  THEN the next attempt delivers it
    fake_transport.handler = _answer_as_remote(remote_signer)
    assert services.message_send(message_id=message.pk) == MessageState.ACKNOWLEDGED


@pytest.mark.django_db
def test_requeue_command_picks_due_messages_only(world, django_capture_on_commit_callbacks):
    document = _issued(world, django_capture_on_commit_callbacks)
    message = deliveries_for(document).get()
    ExchangeMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() + dt.timedelta(minutes=5)
    )
    assert services.messages_requeue_due() == 0
    ExchangeMessage.objects.filter(pk=message.pk).update(
        state=MessageState.SENDING, next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert services.messages_requeue_due() == 1


@pytest.mark.django_db
def test_rejection_by_the_peer_is_final_and_shown_on_the_document(
    world, django_capture_on_commit_callbacks, remote_signer, fake_transport
):
    document = _issued(world, django_capture_on_commit_callbacks)
    message = deliveries_for(document).get()
    fake_transport.handler = _answer_as_remote(remote_signer, code="02", http=403)
    assert services.message_send(message_id=message.pk) == MessageState.FAILED
    assert list(statuses_for(document).values_list("status_code", flat=True)) == ["02"]


@pytest.mark.django_db
def test_an_answer_not_signed_by_the_peer_is_not_trusted(
    world, django_capture_on_commit_callbacks, stranger_ca, fake_transport
):
    document = _issued(world, django_capture_on_commit_callbacks)
    message = deliveries_for(document).get()
    fake_transport.handler = _answer_as_remote(signer_from(stranger_ca, REMOTE_CODE))
    assert services.message_send(message_id=message.pk) == MessageState.SENT
    assert not statuses_for(document).exists()


@pytest.mark.django_db
def test_recipient_nobody_serves_gets_a_failed_row_then_is_sent_once_a_peer_is_added(
    world, django_capture_on_commit_callbacks, remote_ca
):
    document = _issued(world, django_capture_on_commit_callbacks, organ_id="000.00.04.H40")
    message = deliveries_for(document).get()
    assert message.state == MessageState.FAILED
    assert "000.00.04.H40" in message.last_error
    services.peer_save(
        name="nghe-an", agencies=[("000.00.04.H40", "")], base_url="http://na.test", ca_pem=_pem(remote_ca)
    )
    assert services.outbox_reconcile() == 1
    message.refresh_from_db()
    assert message.state == MessageState.QUEUED
    assert message.edxml


def _pem(authority):
    from egov.signing import ca

    return "".join(authority.cert_path(n).read_text() for n in ca.CA_NAMES)


@pytest.mark.django_db
def test_classified_document_never_leaves_even_if_asked_directly(world, django_capture_on_commit_callbacks):
    document = _issued(world, django_capture_on_commit_callbacks)
    ExchangeMessage.objects.all().delete()
    type(document).objects.filter(pk=document.pk).update(secrecy=Secrecy.SECRET)
    document.refresh_from_db()
    assert services.document_message_enqueue(document=document, recipient=document.recipients.get()) is None
    assert not ExchangeMessage.objects.exists()
    assert SecretAccessAttempt.objects.filter(outgoing=document, attempt="send_electronic").exists()


# ---- between two agencies of this instance, with every status -------------------------------------------------


def _run_status_tasks(django_capture_on_commit_callbacks) -> int:
    """Run the queued ``report_status`` tasks as the worker would (the test database has no worker)."""
    from egov.exchange.tasks import report_status

    ran = 0
    for row in DBTaskResult.objects.filter(task_path="egov.exchange.tasks.report_status").order_by(
        "enqueued_at"
    ):
        kwargs = row.args_kwargs["kwargs"]
        row.delete()
        with django_capture_on_commit_callbacks(execute=True):
            report_status.call(**kwargs)
        ran += 1
    return ran


def _drain(django_capture_on_commit_callbacks, limit: int = 20) -> None:
    """Run every due outbox message and status task (what the task worker does), including those queued
    meanwhile."""
    for _round in range(limit):
        ran = _run_status_tasks(django_capture_on_commit_callbacks)
        due = list(
            ExchangeMessage.objects.filter(direction=MessageDirection.OUT, state=MessageState.QUEUED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not due and not ran:
            return
        for pk in due:
            with django_capture_on_commit_callbacks(execute=True):
                services.message_send(message_id=pk)
    raise AssertionError("outbox did not drain")


@pytest.mark.django_db
def test_local_delivery_and_every_status_back_to_the_sender(world, django_capture_on_commit_callbacks):
    # GIVEN a document issued by our agency to the neighbouring agency served by this same instance
    outgoing = _issued(world, django_capture_on_commit_callbacks, organ_id=NEIGHBOUR_CODE)
    _drain(django_capture_on_commit_callbacks)
    incoming = IncomingDocument.objects.get(agency=world.neighbour)
    assert incoming.status == IncomingStatus.REGISTERED
    # WHEN the neighbour assigns, handles and completes it
    with django_capture_on_commit_callbacks(execute=True):
        documents.incoming_assign(
            document=incoming, actor=world.neighbour_leader, assignees=[world.neighbour_leader]
        )
    with django_capture_on_commit_callbacks(execute=True):
        documents.incoming_add_opinion(
            document=incoming, actor=world.neighbour_leader, text="Đang triển khai"
        )
    with django_capture_on_commit_callbacks(execute=True):
        documents.incoming_add_opinion(document=incoming, actor=world.neighbour_leader, text="Ý kiến thứ hai")
    with django_capture_on_commit_callbacks(execute=True):
        documents.incoming_complete(document=incoming, actor=world.neighbour_leader, result="Đã xong")
    _drain(django_capture_on_commit_callbacks)
    # THEN the sender's document shows 01, 03, 04, 05, 06 once each, in order
    assert list(statuses_for(outgoing).values_list("status_code", flat=True)) == [
        "01",
        "03",
        "04",
        "05",
        "06",
    ]
    assert deliveries_for(outgoing).get().state == MessageState.ACKNOWLEDGED
    summary = exchange_summary(outgoing)
    assert summary["latest"][NEIGHBOUR_CODE].status_code == "06"
    # AND the receiver's side lists the same statuses it reported
    assert list(statuses_for(incoming).values_list("status_code", flat=True)) == [
        "01",
        "03",
        "04",
        "05",
        "06",
    ]
    # AND the block for the document page shows them in Vietnamese
    html = render_to_string("exchange/_statuses.html", {"exchange": summary})
    assert "Hoàn thành" in html
    assert "Bên nhận đã xác nhận" in html
    assert NEIGHBOUR_CODE in html
    # AND both document pages carry it, for their own agency's officers
    client = Client()
    client.force_login(world.clerk)
    page = client.get(reverse("documents:outgoing_detail", kwargs={"pk": outgoing.pk})).content.decode()
    assert "Liên thông văn bản điện tử" in page and "Hoàn thành" in page
    client.force_login(world.neighbour_clerk)
    page = client.get(reverse("documents:incoming_detail", kwargs={"pk": incoming.pk})).content.decode()
    assert "Liên thông văn bản điện tử" in page and "Hoàn thành" in page


@pytest.mark.django_db
def test_recall_of_an_issued_document_reaches_the_recipient(world, django_capture_on_commit_callbacks):
    outgoing = _issued(world, django_capture_on_commit_callbacks, organ_id=NEIGHBOUR_CODE)
    _drain(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        documents.outgoing_recall(document=outgoing, actor=world.clerk, reason="Phát hành nhầm nơi nhận")
    _drain(django_capture_on_commit_callbacks)
    assert IncomingDocument.objects.get(agency=world.neighbour).status == IncomingStatus.RECALLED
    revoke = deliveries_for(outgoing).get(business_doc_type=BusinessDocType.REVOKE)
    assert revoke.state == MessageState.ACKNOWLEDGED
    assert "15" in statuses_for(outgoing).values_list("status_code", flat=True)


@pytest.mark.django_db
def test_failed_messages_can_be_sent_again_once_the_cause_is_fixed(
    world, django_capture_on_commit_callbacks, remote_signer, fake_transport
):
    document = _issued(world, django_capture_on_commit_callbacks)
    message = deliveries_for(document).get()
    fake_transport.handler = _answer_as_remote(remote_signer, code="02", http=403)
    assert services.message_send(message_id=message.pk) == MessageState.FAILED
    assert services.messages_resend_failed(peer=world.peer) == 1
    fake_transport.handler = _answer_as_remote(remote_signer)
    assert services.message_send(message_id=message.pk) == MessageState.ACKNOWLEDGED
    assert sorted(statuses_for(document).values_list("status_code", flat=True)) == ["01", "02"]


# ---- deferred registration (EGOV_EXCHANGE_REGISTER_ASYNC) ---------------------------------------------------


@pytest.mark.django_db
def test_deferred_mode_acknowledges_on_arrival_and_registers_in_a_task(
    settings, world, remote_signer, django_capture_on_commit_callbacks
):
    settings.EGOV_EXCHANGE_REGISTER_ASYNC = "1"
    data = remote_signer.sign(document_xml())
    # WHEN the message arrives  THEN it is answered 01 at once, stored, not yet registered
    with django_capture_on_commit_callbacks(execute=True):
        result = services.message_receive(data=data, peer=world.peer)
    assert _status_of(result.body).status_code == "01"
    row = _inbox().get()
    assert row.state == MessageState.RECEIVED
    assert not IncomingDocument.objects.exists()
    task = DBTaskResult.objects.get(task_path="egov.exchange.tasks.register_received")
    # AND a repeat meanwhile gets the same answer
    assert services.message_receive(data=data, peer=world.peer).body == result.body
    # WHEN the task runs  THEN the document is registered and 03 is reported to the sender
    with django_capture_on_commit_callbacks(execute=True):
        assert services.inbox_register(**task.args_kwargs["kwargs"]) == MessageState.REGISTERED
    assert IncomingDocument.objects.get().exchange_document_id == DOCUMENT_ID
    _run_status_tasks(django_capture_on_commit_callbacks)
    status = ExchangeMessage.objects.get(direction=MessageDirection.OUT, kind=MessageKind.STATUS)
    assert (status.status_code, status.peer, status.receiver_organ_id) == ("03", world.peer, REMOTE_CODE)
    assert services.inbox_register(**task.args_kwargs["kwargs"]) == "skipped"


@pytest.mark.django_db
def test_deferred_mode_reports_02_when_the_document_cannot_be_registered(settings, world, remote_signer):
    settings.EGOV_EXCHANGE_REGISTER_ASYNC = "1"
    data = remote_signer.sign(
        document_xml(
            attachments=[edxml.Attachment(name="x.exe", content_type="application/x-msdownload", data=b"MZ")]
        )
    )
    assert _status_of(services.message_receive(data=data, peer=world.peer).body).status_code == "01"
    row = _inbox().get()
    assert services.inbox_register(message_id=row.pk) == MessageState.REJECTED
    assert not IncomingDocument.objects.exists()
    status = ExchangeMessage.objects.get(direction=MessageDirection.OUT, kind=MessageKind.STATUS)
    assert status.status_code == "02"
    assert edxml.parse_status_message(bytes(status.edxml)).description
