"""Per-event Vietnamese templates and the SMS channel."""

from __future__ import annotations

import pytest

from egov.dossiers.choices import DossierAction
from egov.notifications.adapters.sms import LogSmsBackend
from egov.notifications.models import OutboundEmail, OutboundSms
from egov.notifications.services import notify_citizen, render_event
from egov.notifications.tasks import deliver_sms

APPLICANT_EVENTS = [
    DossierAction.SUBMIT,
    DossierAction.RECEIVE,
    DossierAction.REQUEST_SUPPLEMENT,
    DossierAction.SUPPLEMENT,
    DossierAction.REFUSE,
    DossierAction.DENY,
    DossierAction.RESULT_READY,
    DossierAction.RETURN,
    DossierAction.APOLOGIZE,
    DossierAction.WITHDRAW,
]
CONTEXT = {
    "code": "000.00.01.H26-260302-0001",
    "procedure": "Đăng ký khai sinh",
    "agency": "UBND phường Việt Trì",
    "status": "Đang giải quyết",
    "url": "http://127.0.0.1:8000/tra-cuu/?code=X",
    "due": "17:00 06/03/2026",
    "new_due": "17:00 12/03/2026",
    "reason": "Thiếu chữ ký",
    "items": ["Tờ khai", "Giấy chứng sinh"],
    "where": "Tại quầy",
}


@pytest.mark.parametrize("event", APPLICANT_EVENTS)
def test_each_applicant_event_has_its_own_texts(event):
    subject, body, sms = render_event(event, CONTEXT)
    generic = render_event("no_such_event", CONTEXT)
    assert subject and body and sms
    assert CONTEXT["code"] in subject + body + sms
    assert (subject, body) != generic[:2]
    assert len(sms) <= 480


def test_supplement_request_lists_every_item_at_once():
    _subject, body, _sms = render_event(DossierAction.REQUEST_SUPPLEMENT, CONTEXT)
    assert "- Tờ khai" in body and "- Giấy chứng sinh" in body and "Thiếu chữ ký" in body


@pytest.mark.django_db
def test_citizen_gets_email_and_sms_once_and_sms_is_delivered():
    LogSmsBackend.outbox.clear()
    for _ in range(2):
        notify_citizen(
            event=DossierAction.RECEIVE,
            key="dossier:1:event:7",
            context=CONTEXT,
            email="dan@example.vn",
            phone="0912 345 678",
        )
    assert OutboundEmail.objects.count() == 1 and OutboundSms.objects.count() == 1
    sms = OutboundSms.objects.get()
    assert sms.to == "0912345678"
    assert deliver_sms.call(message_id=sms.pk) is True
    assert deliver_sms.call(message_id=sms.pk) is False
    assert LogSmsBackend.outbox == [("0912345678", sms.body)]


@pytest.mark.django_db
def test_dossier_reception_texts_the_applicant(office):
    dossier = office.counter_dossier()
    assert not OutboundSms.objects.exists()  # the fixture gives no phone
    dossier.applicant_phone = "0987654321"
    dossier.save(update_fields=["applicant_phone"])
    from egov.dossiers.services import dossier_withdraw

    dossier_withdraw(dossier=dossier, actor=office.reception, reason="Công dân đề nghị")
    assert OutboundSms.objects.filter(to="0987654321").count() == 1
