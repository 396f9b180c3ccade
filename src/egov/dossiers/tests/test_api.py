"""The dossier API: submission, each officer action, errors in the contract's shape, agency isolation."""

from __future__ import annotations

import base64

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils.dateparse import parse_datetime

from egov.accounts.services import api_token_issue
from egov.dossiers.models import Dossier, DossierDocument, DossierEvent

from .conftest import PDF

pytestmark = pytest.mark.django_db


def auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=user)}"}


def submission(office, **overrides) -> dict:
    body = {
        "procedure_code": office.offering.procedure.code,
        "agency_code": office.agency.code,
        "applicant": {"name": "Phạm Thị Dung", "id_number": "025190000999", "email": "dung@example.vn"},
        "documents": [
            {
                "required_document_id": r.pk,
                "file_name": f"{r.pk}.pdf",
                "content_base64": base64.b64encode(PDF).decode(),
            }
            for r in office.offering.procedure.required_documents.filter(mandatory=True)
        ],
    }
    body.update(overrides)
    return body


def assert_error(response, status: int, code: str | None = None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code


def test_submit_receive_process_return_through_the_api(client, office):
    citizen_headers = auth(office.other_officer)  # any account may submit on its own behalf
    response = client.post(
        "/api/v1/dossiers", submission(office), content_type="application/json", **citizen_headers
    )
    assert response.status_code == 201, response.content
    code = response.json()["code"]
    assert response.json()["status"] == "submitted"

    reception, specialist, leader = auth(office.reception), auth(office.specialist), auth(office.leader)
    steps = [
        (reception, "receive", {"next_assignee": "chuyenvien"}, "processing"),
        (specialist, "complete-step", {"note": "Đủ điều kiện", "next_assignee": "lanhdao"}, "processing"),
        (leader, "approve", {"note": "Đồng ý"}, "approved"),
        (
            reception,
            "result-ready",
            {"file_name": "kq.pdf", "content_base64": base64.b64encode(PDF).decode()},
            "result_ready",
        ),
        (reception, "return", {"method": "online"}, "returned"),
    ]
    for headers, action, body, status in steps:
        response = client.post(
            f"/api/v1/dossiers/{code}/{action}", body, content_type="application/json", **headers
        )
        assert response.status_code == 200, (action, response.content)
        assert response.json()["status"] == status

    public = client.get(f"/api/v1/dossiers/{code}/status")
    assert public.status_code == 200
    data = public.json()
    assert [s["action"] for s in data["steps"]] == [
        "submit",
        "receive",
        "complete_step",
        "approve",
        "result_ready",
        "return",
    ]
    assert "Phạm Thị Dung" not in public.content.decode() and "025190000999" not in public.content.decode()
    assert data["received_at"].endswith("+07:00") or data["received_at"].endswith("Z")


def test_forbidden_transition_is_409(client, office):
    dossier = office.counter_dossier()
    response = client.post(
        f"/api/v1/dossiers/{dossier.code}/return",
        {},
        content_type="application/json",
        **auth(office.reception),
    )
    assert_error(response, 409, "transition_not_allowed")
    assert "Đang giải quyết" in response.json()["error"]["message"]


def test_other_agency_cannot_read_or_act(client, office):
    dossier = office.counter_dossier()
    headers = auth(office.other_officer)
    assert_error(client.get(f"/api/v1/dossiers/{dossier.code}", **headers), 404, "not_found")
    assert_error(
        client.post(
            f"/api/v1/dossiers/{dossier.code}/withdraw",
            {"reason": "x"},
            content_type="application/json",
            **headers,
        ),
        404,
    )
    listing = client.get("/api/v1/dossiers", **headers).json()
    assert listing == {"items": [], "count": 0}
    assert client.get("/api/v1/dossiers", **auth(office.reception)).json()["count"] == 1


def test_unauthenticated_is_401(client, office):
    assert_error(client.get("/api/v1/dossiers"), 401, "unauthorized")
    assert_error(client.get("/api/v1/dossiers", HTTP_AUTHORIZATION="Bearer wrong"), 401)


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"procedure_code": "9.999999"}, 404, "unknown_procedure"),
        ({"documents": []}, 400, "missing_documents"),
        ({"applicant": {"name": ""}}, 400, "validation_error"),
        ({"return_method": "pigeon"}, 400, "validation_error"),
        ({"set_count": 0}, 400, "validation_error"),
    ],
)
def test_bad_submissions_are_4xx_and_write_nothing(client, office, change, status, code):
    response = client.post(
        "/api/v1/dossiers",
        submission(office, **change),
        content_type="application/json",
        **auth(office.reception),
    )
    assert_error(response, status, code)
    assert Dossier.objects.count() == 0 and DossierEvent.objects.count() == 0


def test_bad_files_are_refused(client, office):
    body = submission(office)
    body["documents"][0]["content_base64"] = base64.b64encode(b"GIF89a....").decode()
    assert_error(
        client.post("/api/v1/dossiers", body, content_type="application/json", **auth(office.reception)),
        400,
        "unsupported_file_type",
    )
    body["documents"][0]["content_base64"] = "***not base64***"
    assert_error(
        client.post("/api/v1/dossiers", body, content_type="application/json", **auth(office.reception)), 400
    )
    assert Dossier.objects.count() == 0 and DossierDocument.objects.count() == 0


@override_settings(EGOV_MAX_UPLOAD_BYTES=200)
def test_oversized_file_is_refused(client, office):
    body = submission(office)
    body["documents"][0]["content_base64"] = base64.b64encode(PDF + b" " * 400 + b"%%EOF").decode()
    assert_error(
        client.post("/api/v1/dossiers", body, content_type="application/json", **auth(office.reception)),
        400,
        "file_too_large",
    )
    assert Dossier.objects.count() == 0


def test_malformed_json_and_dates(client, office):
    assert_error(
        client.post(
            "/api/v1/dossiers", "{not json", content_type="application/json", **auth(office.reception)
        ),
        400,
    )
    dossier = office.counter_dossier()
    response = client.post(
        f"/api/v1/dossiers/{dossier.code}/apologize",
        {"reason": "x", "new_due_at": "31/02/2026"},
        content_type="application/json",
        **auth(office.leader),
    )
    assert_error(response, 400, "validation_error")


def test_public_status_unknown_and_malformed(client):
    assert_error(client.get("/api/v1/dossiers/000.00.01.H26-260302-9999/status"), 404, "not_found")
    assert_error(client.get("/api/v1/dossiers/" + "x" * 60 + "/status"), 400)


def test_counter_reception_via_api(client, office):
    body = submission(office)
    for doc in body["documents"]:
        doc.pop("content_base64")
    body["next_assignee"] = "chuyenvien"
    response = client.post(
        "/api/v1/dossiers/counter", body, content_type="application/json", **auth(office.reception)
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "processing" and data["due_at"] and data["register_number"] == 1
    assert {d["origin"] for d in data["documents"]} == {"paper"}
    assert_error(
        client.post(
            "/api/v1/dossiers/counter", body, content_type="application/json", **auth(office.other_officer)
        ),
        403,
        "forbidden",
    )


def _instants(value):
    """The body with every ISO date-time parsed: the same instant may be written in UTC or +07:00."""
    if isinstance(value, dict):
        return {k: _instants(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_instants(v) for v in value]
    if isinstance(value, str) and len(value) >= 20 and value[4] == "-" and value[10] == "T":
        return parse_datetime(value)
    return value


@pytest.mark.parametrize("next_assignee", [None, "chuyenvien"])
def test_counter_answer_is_built_from_the_rows_written_and_equals_a_later_read(client, office, next_assignee):
    # GIVEN a counter reception through the API
    body = submission(office)
    for doc in body["documents"]:
        doc.pop("content_base64")
    if next_assignee:
        body["next_assignee"] = next_assignee
    headers = auth(office.reception)
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/dossiers/counter", body, content_type="application/json", **headers)
    assert response.status_code == 201, response.content
    # THEN nothing is read back after the commit: the answer comes from the rows just written
    statements = [q["sql"] for q in queries.captured_queries]
    assert statements[-1] == "COMMIT" or "RELEASE SAVEPOINT" in statements[-1], statements[-3:]
    # AND it is exactly what reading the dossier afterwards gives
    written = response.json()
    read = client.get(f"/api/v1/dossiers/{written['code']}", **headers)
    assert read.status_code == 200
    assert _instants(written) == _instants(read.json())
    assert [t["position"] for t in written["tasks"]] == [1, 2]
    assert written["tasks"][1]["assignee"] == next_assignee
    assert len(written["documents"]) == 2 and all(d["id"] for d in written["documents"])
    assert [e["action"] for e in written["events"]] == ["receive"]


def test_openapi_document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/dossiers/{code}/status" in paths and "/api/v1/dossiers/{code}/approve" in paths
