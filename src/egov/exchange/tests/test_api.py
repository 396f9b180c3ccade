"""``POST /api/v1/exchange/edxml``: authentication, media type, signed answers."""

from __future__ import annotations

import pytest

from egov.documents.models import IncomingDocument
from egov.exchange import edxml

from .conftest import document_xml

URL = "/api/v1/exchange/edxml"


def _post(client, data: bytes, token: str | None, content_type: str = "application/xml"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.generic("POST", URL, data=data, content_type=content_type, **headers)


@pytest.mark.django_db
def test_peer_posts_a_signed_document_and_gets_a_signed_01(client, world, remote_signer, api_token):
    response = _post(client, remote_signer.sign(document_xml()), api_token)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert edxml.parse_status_message(response.content).status_code == "01"
    assert IncomingDocument.objects.count() == 1
    # AND the same POST again (a retry after a lost answer) gets the same bytes and creates nothing
    again = _post(client, remote_signer.sign(document_xml()), api_token)
    assert again.content == response.content
    assert IncomingDocument.objects.count() == 1


@pytest.mark.django_db
def test_unsigned_post_gets_02_with_http_403(client, world, api_token):
    response = _post(client, document_xml(), api_token)
    assert response.status_code == 403
    assert edxml.parse_status_message(response.content).status_code == "02"
    assert IncomingDocument.objects.count() == 0


@pytest.mark.django_db
def test_without_a_token_the_call_is_refused(client, world, remote_signer):
    response = _post(client, remote_signer.sign(document_xml()), None)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert _post(client, b"x", "egov_not-a-token").status_code == 401


@pytest.mark.django_db
def test_a_token_of_a_user_who_is_not_a_peer_is_refused(client, world, remote_signer):
    from egov.accounts.services import api_token_issue

    token = api_token_issue(user=world.clerk)
    response = _post(client, remote_signer.sign(document_xml()), token)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_a_peer"


@pytest.mark.django_db
def test_json_body_is_refused_with_415(client, world, api_token):
    response = _post(client, b"{}", api_token, content_type="application/json")
    assert response.status_code == 415


@pytest.mark.django_db
def test_endpoint_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json()
    operation = spec["paths"]["/api/v1/exchange/edxml"]["post"]
    assert "application/xml" in operation["requestBody"]["content"]
