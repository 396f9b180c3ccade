"""Tests for ``dashboards/api.py``: ``GET /api/v1/stats/agencies``."""

from __future__ import annotations

import pytest

from egov.dossiers.choices import Channel, DossierStatus
from egov.testing.factories import AgencyFactory, procedure_with_process

from .conftest import local, make_dossier

URL = "/api/v1/stats/agencies"


@pytest.fixture
def two_agencies():
    a = AgencyFactory(name="Ủy ban nhân dân xã An Bình")
    b = AgencyFactory(name="Ủy ban nhân dân xã Bình Minh")
    offering = procedure_with_process(agency=a)
    procedure_with_process(agency=b)
    make_dossier(
        offering,
        channel=Channel.ONLINE,
        received_at=local("2025-07-14"),
        due_at=local("2025-07-18", "17:00"),
        finished_at=local("2025-07-16"),
        status=DossierStatus.RETURNED,
    )
    make_dossier(offering, received_at=local("2025-07-15"), due_at=local("2025-07-18", "17:00"))
    return a, b


@pytest.mark.django_db
def test_shape_and_counts(client, two_agencies):
    # GIVEN two agencies, one with two July dossiers WHEN July is asked for
    response = client.get(URL, {"from": "2025-07-01", "to": "2025-07-31"})
    # THEN the answer is the list shape of the integration contract
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "count"}
    assert body["count"] == 2 == len(body["items"])
    first = body["items"][0]
    assert first["agency_name"] == "Ủy ban nhân dân xã An Bình"
    assert first["agency_code"] == two_agencies[0].code
    counts = (first["received"], first["finished_early"], first["in_progress"], first["overdue"])
    assert counts == (2, 1, 1, 1)
    assert first["online_share"] == 0.5
    assert "_time_share_n" not in first
    assert body["items"][1]["received"] == 0


@pytest.mark.django_db
def test_paging(client, two_agencies):
    body = client.get(URL, {"from": "2025-07-01", "to": "2025-07-31", "limit": 1, "offset": 1}).json()
    assert body["count"] == 2
    assert [item["agency_name"] for item in body["items"]] == ["Ủy ban nhân dân xã Bình Minh"]


@pytest.mark.django_db
def test_default_period_is_this_year(client, two_agencies):
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json()["count"] == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"from": "2025-13-01"},
        {"from": "01/07/2025"},
        {"to": "hôm qua"},
        {"from": "2025-08-01", "to": "2025-07-01"},
    ],
)
def test_bad_dates_answer_400_in_the_error_shape(client, query):
    response = client.get(URL, query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"]


@pytest.mark.django_db
def test_openapi_documents_the_from_and_to_parameters(client):
    spec = client.get("/api/v1/openapi.json").json()
    names = {p["name"] for p in spec["paths"][URL]["get"]["parameters"]}
    assert {"from", "to"} <= names
