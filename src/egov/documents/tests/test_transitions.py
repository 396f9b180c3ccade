"""Every (status, action) pair of both state machines through the real services: the table's forbidden pairs
are refused with the state machine's message; the allowed ones are never refused by it."""

from __future__ import annotations

import pytest

from egov.accounts.choices import Role
from egov.core.errors import DomainError, TransitionNotAllowed
from egov.documents import services as svc
from egov.documents.choices import IncomingAction as IA
from egov.documents.choices import IncomingStatus as IS
from egov.documents.choices import OutgoingAction as OA
from egov.documents.choices import OutgoingStatus as OS
from egov.documents.models import IncomingDocument, OutgoingDocument
from egov.documents.transitions import INCOMING_TRANSITIONS, NEW, OUTGOING_TRANSITIONS, check, is_allowed
from egov.testing.factories import officer

from .conftest import PDF, SIGNED_PDF

pytestmark = pytest.mark.django_db

TABLE_REFUSAL = "khi văn bản đang ở trạng thái"


@pytest.fixture
def boss(office):
    user = officer(office.agency, Role.CLERK, Role.LEADER, Role.SPECIALIST, username="toanquyen")
    office.clear(user)
    return user


def incoming_in(office, boss, status: str) -> IncomingDocument:
    document = office.register(actor=boss)
    if status in (IS.ASSIGNED, IS.IN_PROGRESS, IS.COMPLETED):
        svc.incoming_assign(document=document, actor=boss, assignees=[boss])
    if status in (IS.IN_PROGRESS, IS.COMPLETED):
        svc.incoming_add_opinion(document=document, actor=boss, text="Đề xuất xử lý")
    if status == IS.COMPLETED:
        svc.incoming_complete(document=document, actor=boss)
    if status == IS.RECALLED:
        svc.incoming_recall(document=document, actor=boss, reason="Bên gửi thu hồi")
    document.refresh_from_db()
    assert document.status == status
    return document


def run_incoming(action: str, document: IncomingDocument, boss) -> None:
    if action == IA.ASSIGN:
        svc.incoming_assign(document=document, actor=boss, assignees=[boss])
    elif action == IA.ADD_OPINION:
        svc.incoming_add_opinion(document=document, actor=boss, text="Ý kiến")
    elif action == IA.COMPLETE:
        svc.incoming_complete(document=document, actor=boss, result="Xong")
    elif action == IA.RECALL:
        svc.incoming_recall(document=document, actor=boss, reason="Thu hồi")
    else:  # the scan's actions have no service of their own
        check(document, action)


def outgoing_in(office, boss, status: str) -> OutgoingDocument:
    document = office.draft(actor=boss)
    if status != OS.DRAFT:
        svc.outgoing_submit_for_review(document=document, actor=boss)
    if status in (OS.APPROVED, OS.SIGNED, OS.ISSUED, OS.RECALLED):
        svc.outgoing_approve(document=document, actor=boss)
    if status in (OS.SIGNED, OS.ISSUED, OS.RECALLED):
        svc.outgoing_mark_signed(document=document, actor=boss, signed_file=("ky.pdf", SIGNED_PDF, ""))
    if status in (OS.ISSUED, OS.RECALLED):
        svc.outgoing_issue(document=document, actor=boss)
    if status == OS.RECALLED:
        svc.outgoing_recall(document=document, actor=boss, reason="Sai sót")
    document.refresh_from_db()
    assert document.status == status
    return document


def run_outgoing(action: str, document: OutgoingDocument, boss, office) -> None:
    if action == OA.ADD_VERSION:
        svc.outgoing_add_version(document=document, actor=boss, attachment=("v.pdf", PDF, ""))
    elif action == OA.SUBMIT:
        svc.outgoing_submit_for_review(document=document, actor=boss)
    elif action == OA.RETURN:
        svc.outgoing_return_for_revision(document=document, actor=boss, reason="Sửa trích yếu")
    elif action == OA.APPROVE:
        svc.outgoing_approve(document=document, actor=boss)
    elif action == OA.SIGN:
        svc.outgoing_mark_signed(document=document, actor=boss, signed_file=("ky.pdf", SIGNED_PDF, ""))
    elif action == OA.ISSUE:
        svc.outgoing_issue(document=document, actor=boss)
    elif action == OA.RECALL:
        svc.outgoing_recall(document=document, actor=boss, reason="Thu hồi")
    elif action == OA.LINK_REPLY:
        svc.outgoing_link_reply(
            document=document, incoming=office.register(actor=boss, code_number="99"), actor=boss
        )
    else:
        check(document, action)


INCOMING_PAIRS = [(s, a) for s in IS.values for a in IA.values if a != IA.REGISTER]
OUTGOING_PAIRS = [(s, a) for s in OS.values for a in OA.values if a != OA.CREATE]


@pytest.mark.parametrize(("status", "action"), INCOMING_PAIRS)
def test_incoming_pair(office, boss, status, action):
    # GIVEN an incoming document brought to ``status`` through the services
    document = incoming_in(office, boss, status)
    # WHEN ``action`` is attempted by an officer holding every role
    if is_allowed(INCOMING_TRANSITIONS, action, status):
        # THEN an allowed pair is never refused by the state machine
        try:
            run_incoming(action, document, boss)
        except TransitionNotAllowed as exc:  # pragma: no cover - the failure message explains
            pytest.fail(f"{action} from {status} refused: {exc.message}")
    else:
        # THEN a forbidden pair is refused with the table's message
        with pytest.raises(TransitionNotAllowed, match=TABLE_REFUSAL):
            run_incoming(action, document, boss)


@pytest.mark.parametrize(("status", "action"), OUTGOING_PAIRS)
def test_outgoing_pair(office, boss, status, action):
    document = outgoing_in(office, boss, status)
    if is_allowed(OUTGOING_TRANSITIONS, action, status):
        try:
            run_outgoing(action, document, boss, office)
        except TransitionNotAllowed as exc:  # pragma: no cover
            pytest.fail(f"{action} from {status} refused: {exc.message}")
    else:
        with pytest.raises(TransitionNotAllowed, match=TABLE_REFUSAL):
            run_outgoing(action, document, boss, office)


def test_creation_actions_start_only_from_nothing():
    assert INCOMING_TRANSITIONS[IA.REGISTER].sources == {NEW}
    assert OUTGOING_TRANSITIONS[OA.CREATE].sources == {NEW}
    # Recalled documents are frozen: nothing leaves that status.
    assert not any(is_allowed(INCOMING_TRANSITIONS, a, IS.RECALLED) for a in IA.values)
    assert not any(is_allowed(OUTGOING_TRANSITIONS, a, OS.RECALLED) for a in OA.values)


def test_every_target_is_a_known_status():
    for rule in INCOMING_TRANSITIONS.values():
        assert rule.targets <= set(IS.values)
    for rule in OUTGOING_TRANSITIONS.values():
        assert rule.targets <= set(OS.values)


def test_a_refusal_is_a_domain_error_with_a_409(office, boss):
    document = incoming_in(office, boss, IS.COMPLETED)
    with pytest.raises(DomainError) as caught:
        svc.incoming_complete(document=document, actor=boss)
    assert caught.value.status == 409
