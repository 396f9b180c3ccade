"""Public catalog API: ``GET /api/v1/procedures`` and ``GET /api/v1/procedures/{code}``."""

from __future__ import annotations

import unicodedata

import pytest

from egov.catalog.models import Procedure
from egov.catalog.services import offering_ensure
from egov.testing.factories import AgencyFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/procedures"


def test_list_shape(client, bundled_catalog):
    # GIVEN the bundled catalog WHEN the list is requested without filters
    response = client.get(URL)
    # THEN it answers {"items": [...], "count": N} with the contract's keys
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == bundled_catalog.total
    assert len(body["items"]) == 20  # default page size
    item = next(i for i in client.get(URL, {"q": "1.004222"}).json()["items"])
    assert item == {
        "code": "1.004222",
        "name": "Đăng ký thường trú",
        "field": {"code": "CU", "name": "Đăng ký, quản lý cư trú"},
        "level": "commune",
        "implementing_agency": "Công an cấp xã",
        "processing_time": {"amount": 7, "unit": "working_days", "label": "7 ngày làm việc"},
        "fees": {"in_person": 20000, "online": 10000, "note": item["fees"]["note"]},
        "online_level": "full",
    }


def test_list_amounts_are_json_numbers(client, bundled_catalog):
    items = client.get(URL, {"limit": 100}).json()["items"]
    for item in items:
        assert isinstance(item["processing_time"]["amount"], int | float)
        assert isinstance(item["fees"]["in_person"], int)


@pytest.mark.parametrize(
    "q",
    ["dang ky khai sinh", "ĐĂNG KÝ KHAI SINH", unicodedata.normalize("NFD", "đăng ký khai sinh"), "khai si"],
)
def test_list_search_ignores_diacritics_and_case(client, bundled_catalog, q):
    codes = [i["code"] for i in client.get(URL, {"q": q}).json()["items"]]
    assert codes[0] == "1.001193"


def test_list_filters_by_field_and_level(client, bundled_catalog):
    body = client.get(URL, {"field": "CT"}).json()
    assert body["count"] == 3 and {i["field"]["code"] for i in body["items"]} == {"CT"}
    body = client.get(URL, {"level": "province"}).json()
    assert body["count"] > 0 and {i["level"] for i in body["items"]} == {"province"}


def test_paging(client, bundled_catalog):
    # GIVEN the catalog WHEN pages of 5 are requested
    first = client.get(URL, {"limit": 5}).json()
    second = client.get(URL, {"limit": 5, "offset": 5}).json()
    # THEN the pages are disjoint, in code order, and the count is the total
    assert len(first["items"]) == 5 and len(second["items"]) == 5
    assert first["count"] == second["count"] == bundled_catalog.total
    codes = [i["code"] for i in first["items"] + second["items"]]
    assert codes == sorted(codes) and len(set(codes)) == 10
    beyond = client.get(URL, {"offset": 1000}).json()
    assert beyond == {"items": [], "count": bundled_catalog.total}


def test_limit_is_capped_at_100(client, db):
    from egov.testing.factories import ProcedureFactory

    ProcedureFactory.create_batch(105)
    body = client.get(URL, {"limit": 500}).json()
    assert len(body["items"]) == 100 and body["count"] == 105


@pytest.mark.parametrize("params", [{"limit": 0}, {"offset": -1}, {"limit": "many"}, {"level": "district"}])
def test_bad_paging_or_filter_is_a_400_in_the_error_shape(client, bundled_catalog, params):
    response = client.get(URL, params)
    assert response.status_code == 400
    assert set(response.json()["error"]) >= {"code", "message"}


def test_detail(client, bundled_catalog):
    # GIVEN birth registration offered by one commune
    agency = AgencyFactory(name="Ủy ban nhân dân xã Hùng Lô", address="Xã Hùng Lô")
    offering_ensure(procedure=Procedure.objects.get(code="1.001193"), agency=agency)
    # WHEN its detail is requested
    response = client.get(f"{URL}/1.001193")
    # THEN it carries time, fees, papers, process, form schema and the offering agency
    assert response.status_code == 200
    body = response.json()
    assert body["processing_time"] == {"amount": 1, "unit": "same_day", "label": "Trong ngày"}
    assert body["fees"]["in_person"] == 0
    assert body["required_documents"][0]["name"] == "Tờ khai đăng ký khai sinh"
    assert body["required_documents"][0]["template_name"] == "Tờ khai đăng ký khai sinh"
    assert body["required_documents"][0]["form_label"] == "Bản chính"
    steps = body["process"]["steps"]
    assert sum(s["amount"] for s in steps) == 1 and [s["position"] for s in steps] == [1, 2, 3, 4]
    assert [s["is_decision"] for s in steps] == [False, False, True, False]
    assert body["form_schema"]["type"] == "object"
    assert body["form_schema"]["properties"]["child_full_name"]["x-order"] == 1
    assert body["agencies"] == [{"code": agency.code, "name": agency.name, "address": "Xã Hùng Lô"}]
    assert body["result"] and body["legal_basis"]


def test_detail_of_a_provincial_variant_code(client, bundled_catalog):
    response = client.get(f"{URL}/1.012753.H26")
    assert response.status_code == 200 and response.json()["field"]["code"] == "DD"


def test_unknown_or_inactive_code_is_404_in_the_error_shape(client, bundled_catalog):
    response = client.get(f"{URL}/9.999999")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "9.999999" in response.json()["error"]["message"]
    Procedure.objects.filter(code="1.001193").update(is_active=False)
    assert client.get(f"{URL}/1.001193").status_code == 404
    assert "1.001193" not in [i["code"] for i in client.get(URL, {"limit": 100}).json()["items"]]


def test_openapi_documents_the_catalog(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/procedures" in paths and "/api/v1/procedures/{code}" in paths
