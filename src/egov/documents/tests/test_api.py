"""``/api/v1/documents``: search, detail, registration and issue with the platform's error shape."""

from __future__ import annotations

import base64

import pytest

from egov.accounts.services import api_token_issue
from egov.documents.choices import Secrecy
from egov.documents.models import IncomingDocument

from .conftest import MONDAY_10, PDF, at

pytestmark = pytest.mark.django_db

BASE = "/api/v1/documents"


def auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=user)}"}


def incoming_payload(office, **overrides) -> dict:
    payload = {
        "agency_code": office.agency.code,
        "issuer_name": "Sở Tài chính tỉnh Phú Thọ",
        "issuer_code": "000.00.12.H26",
        "code_number": "88",
        "code_notation": "STC-NS",
        "document_date": "2025-12-26",
        "document_type": "cong_van",
        "subject": "Về việc hướng dẫn lập dự toán",
        "attachments": [{"file_name": "cv.pdf", "content_base64": base64.b64encode(PDF).decode()}],
    }
    payload.update(overrides)
    return payload


def test_register_incoming_then_read_and_search_it(client, office):
    with at(MONDAY_10):
        response = client.post(
            f"{BASE}/incoming",
            incoming_payload(office),
            content_type="application/json",
            **auth(office.clerk),
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["arrival_number"] == 1 and body["number_notation"] == "88/STC-NS"
    assert body["files"][0]["checksum"] and body["events"][0]["action"] == "register"
    detail = client.get(f"{BASE}/incoming/{body['id']}", **auth(office.specialist)).json()
    assert detail["subject"] == "Về việc hướng dẫn lập dự toán"
    found = client.get(BASE, {"q": "du toan", "direction": "incoming"}, **auth(office.specialist)).json()
    assert found["count"] == 1 and found["items"][0]["id"] == body["id"]


def test_duplicate_is_a_409_with_the_error_shape(client, office):
    headers = auth(office.clerk)
    client.post(f"{BASE}/incoming", incoming_payload(office), content_type="application/json", **headers)
    response = client.post(
        f"{BASE}/incoming", incoming_payload(office), content_type="application/json", **headers
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_document"
    again = client.post(
        f"{BASE}/incoming",
        incoming_payload(office, confirm_duplicate=True),
        content_type="application/json",
        **headers,
    )
    assert again.status_code == 201


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"document_type": "khong_co"}, 400, "validation_error"),
        ({"agency_code": "000.00.99.H26"}, 400, "validation_error"),
        ({"attachments": [{"file_name": "x.pdf", "content_base64": "***"}]}, 400, "validation_error"),
        ({"subject": ""}, 400, "validation_error"),
        ({"urgency": "rat_khan"}, 400, "validation_error"),
    ],
)
def test_bad_registrations_answer_4xx(client, office, overrides, status, code):
    response = client.post(
        f"{BASE}/incoming",
        incoming_payload(office, **overrides),
        content_type="application/json",
        **auth(office.clerk),
    )
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert IncomingDocument.objects.count() == 0


def test_only_clerks_register_and_only_officers_of_the_agency_read(client, office):
    response = client.post(
        f"{BASE}/incoming",
        incoming_payload(office),
        content_type="application/json",
        **auth(office.specialist),
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    document = office.register()
    other = client.get(f"{BASE}/incoming/{document.pk}", **auth(office.other_officer))
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
    assert client.get(BASE).status_code == 401


def test_issue_outgoing_through_the_api(client, office):
    document = office.signed()
    with at(MONDAY_10):
        response = client.post(f"{BASE}/outgoing/{document.pk}/issue", **auth(office.clerk))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["number_notation"] == "01/QĐ-UBND" and body["status"] == "issued"
    again = client.post(f"{BASE}/outgoing/{document.pk}/issue", **auth(office.clerk))
    assert again.status_code == 409 and again.json()["error"]["code"] == "transition_not_allowed"


def test_secret_details_need_clearance(client, office):
    document = office.register(secrecy=Secrecy.CONFIDENTIAL)
    response = client.get(f"{BASE}/incoming/{document.pk}", **auth(office.leader))
    assert response.status_code == 403 and response.json()["error"]["code"] == "secret_document"
    listed = client.get(BASE, **auth(office.leader)).json()
    assert listed["count"] == 0
