"""Every (status, action) pair through the real services: the table's forbidden pairs are refused with
the state machine's message; the allowed ones are never refused by it."""

from __future__ import annotations

import datetime as dt

import pytest

from egov.accounts.choices import Role
from egov.core.errors import DomainError
from egov.dossiers import services as svc
from egov.dossiers.choices import DossierAction as A
from egov.dossiers.choices import DossierStatus as S
from egov.dossiers.models import Consultation
from egov.dossiers.transitions import TRANSITIONS, is_allowed
from egov.testing.factories import officer

pytestmark = pytest.mark.django_db

TABLE_REFUSAL = "khi hồ sơ đang ở trạng thái"


def build(office, boss, status: str):
    """A dossier brought to ``status`` through the services."""
    if status in (S.SUBMITTED, S.SUPPLEMENT_REQUESTED, S.REFUSED):
        dossier = office.online_dossier()
        if status == S.SUPPLEMENT_REQUESTED:
            svc.dossier_request_supplement(
                dossier=dossier, actor=boss, items=["Tờ khai"], reason="Thiếu chữ ký"
            )
        if status == S.REFUSED:
            svc.dossier_refuse(dossier=dossier, actor=boss, reason="Không thuộc thẩm quyền")
        return dossier
    dossier = office.counter_dossier(next_assignee=office.specialist)
    if status == S.CONSULTING:
        svc.dossier_consult(dossier=dossier, actor=boss, agency=office.other_agency, question="Ý kiến?")
    if status in (S.APPROVED, S.DENIED, S.RESULT_READY, S.RETURNED):
        svc.dossier_complete_step(dossier=dossier, actor=boss, next_assignee=office.leader)
        if status == S.DENIED:
            svc.dossier_deny(dossier=dossier, actor=boss, reason="Không đủ điều kiện")
        else:
            svc.dossier_approve(dossier=dossier, actor=boss)
    if status in (S.RESULT_READY, S.RETURNED):
        svc.dossier_mark_result_ready(dossier=dossier, actor=boss)
    if status == S.RETURNED:
        svc.dossier_return(dossier=dossier, actor=boss)
    if status == S.WITHDRAWN:
        svc.dossier_withdraw(dossier=dossier, actor=boss, reason="Rút")
    dossier.refresh_from_db()
    assert dossier.status == status
    return dossier


def call(action: str, dossier, office, boss):
    due = (dossier.due_at or dossier.created_at) + dt.timedelta(days=10)
    calls = {
        A.RECEIVE: lambda: svc.dossier_receive(dossier=dossier, actor=boss),
        A.REQUEST_SUPPLEMENT: lambda: svc.dossier_request_supplement(
            dossier=dossier, actor=boss, items=["x"], reason="y"
        ),
        A.SUPPLEMENT: lambda: svc.dossier_supplement(
            dossier=dossier, actor=boss, documents=[], note="Đã bổ sung"
        ),
        A.REFUSE: lambda: svc.dossier_refuse(dossier=dossier, actor=boss, reason="z"),
        A.ASSIGN: lambda: svc.dossier_assign(dossier=dossier, actor=boss, assignee=boss),
        A.COMPLETE_STEP: lambda: svc.dossier_complete_step(dossier=dossier, actor=boss),
        A.CONSULT: lambda: svc.dossier_consult(
            dossier=dossier, actor=boss, agency=office.other_agency, question="?"
        ),
        A.ANSWER_CONSULTATION: lambda: answer(dossier, office),
        A.APPROVE: lambda: svc.dossier_approve(dossier=dossier, actor=boss),
        A.DENY: lambda: svc.dossier_deny(dossier=dossier, actor=boss, reason="r"),
        A.RESULT_READY: lambda: svc.dossier_mark_result_ready(dossier=dossier, actor=boss),
        A.RETURN: lambda: svc.dossier_return(dossier=dossier, actor=boss),
        A.APOLOGIZE: lambda: svc.dossier_apologize(
            dossier=dossier, actor=boss, reason="Chậm", new_due_at=due
        ),
        A.WITHDRAW: lambda: svc.dossier_withdraw(dossier=dossier, actor=boss, reason="Rút"),
    }
    return calls[action]()


def answer(dossier, office):
    consultation = dossier.consultations.filter(answered_at__isnull=True).first()
    if consultation is None:  # none open: an unsaved one, so only the status decides the answer
        consultation = Consultation(dossier=dossier, agency=office.other_agency)
    return svc.dossier_answer_consultation(
        consultation=consultation, actor=office.other_officer, answer="Đồng ý"
    )


# Done by the system, not by a person: submission, the deadline scan, a payment confirmed by the gateway.
USER_ACTIONS = [a for a in TRANSITIONS if a not in (A.SUBMIT, A.OVERDUE, A.PAY)]
STATUSES = list(S.values)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", USER_ACTIONS)
def test_every_pair(office, status, action):
    boss = officer(office.agency, Role.RECEPTION, Role.SPECIALIST, Role.LEADER, username="truongbophan")
    dossier = build(office, boss, status)
    try:
        call(action, dossier, office, boss)
    except DomainError as exc:
        refused_by_table = TABLE_REFUSAL in exc.message
    else:
        refused_by_table = False
    assert refused_by_table == (not is_allowed(action, status)), (status, action)
