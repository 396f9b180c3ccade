"""Classified documents (Mật, Tối mật, Tuyệt mật): their own series, never sent electronically, never in
search results without clearance, attachments refused without clearance, every refusal logged."""

from __future__ import annotations

import pytest

from egov.documents import selectors
from egov.documents import services as svc
from egov.documents.choices import OutgoingStatus, Secrecy, SecretAttempt, Series
from egov.documents.models import SecretAccessAttempt

from .conftest import MONDAY_10, at

pytestmark = pytest.mark.django_db


def test_a_secret_document_is_never_sent_electronically_and_the_attempt_is_logged(
    office, django_capture_on_commit_callbacks
):
    # GIVEN a signed Mật document addressed electronically to another agency
    delivered = []
    svc.DELIVERY_HOOKS.append(lambda document, recipient: delivered.append(recipient))
    try:
        with at(MONDAY_10):
            document = office.signed(secrecy=Secrecy.CONFIDENTIAL)
            # WHEN the clerk tries to issue it
            with (
                django_capture_on_commit_callbacks(execute=True),
                pytest.raises(svc.SecretDocumentRefused) as caught,
            ):
                svc.outgoing_issue(document=document, actor=office.clerk)
    finally:
        svc.DELIVERY_HOOKS.pop()
    # THEN it is refused, not numbered, nothing was handed to the exchange, and the attempt is on record
    assert caught.value.status == 403
    document.refresh_from_db()
    assert document.status == OutgoingStatus.SIGNED and document.number is None
    assert delivered == []
    attempt = SecretAccessAttempt.objects.get()
    assert (attempt.user, attempt.outgoing, attempt.attempt) == (
        office.clerk,
        document,
        SecretAttempt.SEND_ELECTRONIC,
    )
    assert office.other_agency.code in attempt.detail


def test_a_secret_document_sent_on_paper_is_issued_in_the_secret_series(
    office, paper_only, django_capture_on_commit_callbacks
):
    delivered = []
    svc.DELIVERY_HOOKS.append(lambda document, recipient: delivered.append(recipient))
    try:
        with at(MONDAY_10), django_capture_on_commit_callbacks(execute=True):
            document = office.issued(secrecy=Secrecy.TOP_SECRET, recipients=paper_only)
    finally:
        svc.DELIVERY_HOOKS.pop()
    assert document.status == OutgoingStatus.ISSUED
    assert document.register.series == Series.SECRET
    assert delivered == []


def test_secret_subjects_never_enter_the_search_index_and_notifications(office):
    document = office.register(secrecy=Secrecy.SECRET, subject="Phương án bảo vệ mục tiêu quan trọng")
    assert "phuong an" not in document.search_text
    assert "15/qd-ubnd" in document.search_text  # the register line's identity stays findable
    from egov.notifications.models import Notification

    assert all("bảo vệ" not in n.body for n in Notification.objects.all())


def test_secret_documents_are_left_out_of_search_without_clearance(office):
    normal = office.register(subject="Kế hoạch tổ chức hội nghị")
    office.register(code_number="7", secrecy=Secrecy.CONFIDENTIAL, subject="Kế hoạch mật")
    by_notation = selectors.SearchFilters(q="qd-ubnd")
    # WHEN an officer without clearance searches by the notation both share
    page = selectors.documents_search(user=office.specialist, filters=by_notation)
    # THEN only the normal document is found
    assert [hit.document.pk for hit in page.items] == [normal.pk]
    assert page.count == 1
    # WHEN the officer is cleared for Mật, both are found
    office.clear(office.specialist, Secrecy.CONFIDENTIAL)
    assert selectors.documents_search(user=office.specialist, filters=by_notation).count == 2
    # AND a Tối mật document stays hidden from a Mật clearance
    office.register(code_number="8", secrecy=Secrecy.SECRET)
    assert selectors.documents_search(user=office.specialist, filters=by_notation).count == 2


def test_attachment_download_is_refused_and_logged_without_clearance(office):
    document = office.register(secrecy=Secrecy.CONFIDENTIAL)
    with pytest.raises(svc.SecretDocumentRefused):
        svc.secret_read_check(user=office.leader, document=document)
    attempt = SecretAccessAttempt.objects.get()
    assert (attempt.user, attempt.incoming, attempt.attempt) == (
        office.leader,
        document,
        SecretAttempt.DOWNLOAD,
    )
    office.clear(office.leader, Secrecy.CONFIDENTIAL)
    svc.secret_read_check(user=office.leader, document=document)
    assert SecretAccessAttempt.objects.count() == 1


def test_secret_documents_go_only_to_cleared_handlers(office):
    document = office.register(secrecy=Secrecy.CONFIDENTIAL)
    with pytest.raises(Exception, match="chưa được cấp quyền"):
        svc.incoming_assign(document=document, actor=office.leader, assignees=[office.specialist])
    office.clear(office.specialist, Secrecy.CONFIDENTIAL)
    svc.incoming_assign(document=document, actor=office.leader, assignees=[office.specialist])


def test_refusal_records_are_append_only(office):
    document = office.register(secrecy=Secrecy.CONFIDENTIAL)
    attempt = svc.secret_attempt_log(user=office.clerk, document=document, attempt=SecretAttempt.VIEW)
    with pytest.raises(ValueError):
        attempt.delete()


def test_clearance_is_granted_by_a_leader_of_the_agency(office):
    with pytest.raises(Exception, match="quyền"):
        svc.secret_clearance_grant(
            user=office.specialist, agency=office.agency, level=Secrecy.SECRET, actor=office.specialist
        )
    clearance = svc.secret_clearance_grant(
        user=office.specialist, agency=office.agency, level=Secrecy.SECRET, actor=office.leader
    )
    assert clearance.level == Secrecy.SECRET
    assert selectors.clearance_rank(office.specialist, office.agency.pk) == 2
