"""``/api/v1/population``: officers only, a purpose for every read, exactly one log row per read."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from egov.accounts.models import ApiToken
from egov.accounts.services import api_token_issue
from egov.population.models import PersonAccessLog
from egov.population.services import person_read

from .conftest import make_person

pytestmark = pytest.mark.django_db


def auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=user)}"}


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body


@pytest.fixture
def person(province):
    father = make_person(full_name="Trần Văn Bình", dob=dt.date(1960, 1, 2))
    return make_person(
        full_name="Trần Thị Hoa",
        dob=dt.date(1991, 4, 5),
        sex="female",
        commune=province.commune,
        father=father,
        temporary_residence_commune=province.other_commune,
        temporary_residence_address="Tổ 3",
    )


def test_officer_reads_a_person_with_a_purpose_and_one_row_is_logged(client, province, person):
    response = client.get(
        f"/api/v1/population/people/{person.id_number}",
        {"purpose": "Giải quyết hồ sơ đăng ký kết hôn", "dossier_code": "000.00.01.H26-250101-0001"},
        **auth(province.officer),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id_number"] == person.id_number
    assert body["full_name"] == "Trần Thị Hoa"
    assert body["date_of_birth"] == "1991-04-05"
    assert body["sex_label"] == "Nữ" and body["ethnicity_label"] == "Kinh"
    assert body["permanent_residence"]["commune"] == {"code": "07909", "name": "Phường Việt Trì"}
    assert body["temporary_residence"] == {
        "commune": {"code": "07927", "name": "Xã Hy Cương"},
        "address": "Tổ 3",
    }
    assert body["father"]["full_name"] == "Trần Văn Bình" and body["mother"] is None
    log = PersonAccessLog.objects.get()
    assert (log.user, log.person, log.channel) == (province.officer, person, "api")
    assert log.purpose == "Giải quyết hồ sơ đăng ký kết hôn"
    assert log.dossier_code == "000.00.01.H26-250101-0001"


@pytest.mark.parametrize("query", [{}, {"purpose": ""}, {"purpose": "   "}])
def test_no_purpose_is_400_and_nothing_is_logged(client, province, person, query):
    response = client.get(f"/api/v1/population/people/{person.id_number}", query, **auth(province.officer))
    assert_error(response, 400, "purpose_required")
    assert not PersonAccessLog.objects.exists()


def test_unknown_person_is_404_in_the_error_shape(client, province):
    response = client.get(
        "/api/v1/population/people/025090999999", {"purpose": "Kiểm tra"}, **auth(province.officer)
    )
    assert_error(response, 404, "person_not_found")
    assert not PersonAccessLog.objects.exists()


def test_malformed_number_is_400(client, province):
    response = client.get(
        "/api/v1/population/people/12345", {"purpose": "Kiểm tra"}, **auth(province.officer)
    )
    assert_error(response, 400, "validation_error")


def test_citizens_and_anonymous_callers_are_refused(client, province, person):
    url = f"/api/v1/population/people/{person.id_number}"
    assert_error(client.get(url, {"purpose": "Tò mò"}), 401)
    assert_error(client.get(url, {"purpose": "Tò mò"}, HTTP_AUTHORIZATION="Bearer nope"), 401)
    assert_error(client.get(url, {"purpose": "Tò mò"}, **auth(province.citizen)), 403, "forbidden")
    assert not PersonAccessLog.objects.exists()


def test_lookup_query_count(client, province, person, django_assert_max_num_queries):
    headers = auth(province.officer)
    url = f"/api/v1/population/people/{person.id_number}"
    with django_assert_max_num_queries(7) as first:
        client.get(url, {"purpose": "Kiểm tra"}, **headers)
    assert first.captured_queries[0]["sql"].startswith("SELECT")  # the token, account and roles
    with django_assert_max_num_queries(5) as captured:
        response = client.get(url, {"purpose": "Kiểm tra"}, **headers)
    assert response.status_code == 200
    statements = [q["sql"].split()[0].upper() for q in captured.captured_queries]
    # The token is remembered for a few seconds; then, on PostgreSQL, one statement: the person, the
    # father's name (this person has a father) and the log row. Elsewhere SELECT + INSERT in a
    # transaction (here a savepoint of the test's transaction), then the father's name.
    if connection.vendor == "postgresql":
        assert statements == ["WITH"]
    else:
        assert statements == ["SAVEPOINT", "SELECT", "INSERT", "RELEASE", "SELECT"]


@override_settings(EGOV_REGISTRY_AUTH_CACHE_SECONDS=0)
def test_without_the_cache_a_revoked_token_stops_at_once(client, province, person):
    token = api_token_issue(user=province.officer)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = f"/api/v1/population/people/{person.id_number}"
    assert client.get(url, {"purpose": "Kiểm tra"}, **headers).status_code == 200
    ApiToken.objects.filter(user=province.officer).update(revoked_at=timezone.now())
    assert_error(client.get(url, {"purpose": "Kiểm tra"}, **headers), 401)


def test_a_withdrawn_role_stops_within_the_cache_time(client, province, person, monkeypatch):
    headers = auth(province.officer)
    url = f"/api/v1/population/people/{person.id_number}"
    assert client.get(url, {"purpose": "Kiểm tra"}, **headers).status_code == 200
    province.officer.roles.update(is_active=False)
    # Within the cache time the account is still taken as an officer...
    assert client.get(url, {"purpose": "Kiểm tra"}, **headers).status_code == 200
    # ...and once it has passed, it is not.
    clock = time.monotonic() + 60
    monkeypatch.setattr("egov.population.auth.time.monotonic", lambda: clock)
    assert_error(client.get(url, {"purpose": "Kiểm tra"}, **headers), 403)


def test_access_log_for_province_admins(client, province, person):
    for purpose in ("Lần 1", "Lần 2"):
        person_read(person_id_number=person.id_number, actor=province.officer, purpose=purpose)
    url = f"/api/v1/population/people/{person.id_number}/access-log"
    response = client.get(url, **auth(province.admin))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2
    assert [item["purpose"] for item in body["items"]] == ["Lần 2", "Lần 1"]
    assert body["items"][0]["officer"]["username"] == "motcua"
    assert "T" in body["items"][0]["at"] and "+" in body["items"][0]["at"]
    assert (
        client.get(url, {"limit": 1, "offset": 1}, **auth(province.admin)).json()["items"][0]["purpose"]
        == "Lần 1"
    )
    # Reading the log is not itself a read of the person's record.
    assert PersonAccessLog.objects.count() == 2


def test_access_log_refused_to_other_officers_and_unknown_people(client, province, person):
    assert_error(
        client.get(f"/api/v1/population/people/{person.id_number}/access-log", **auth(province.officer)), 403
    )
    assert_error(client.get("/api/v1/population/people/025090999999/access-log", **auth(province.admin)), 404)


def test_openapi_documents_the_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/population/people/{id_number}" in paths
    assert "/api/v1/population/people/{id_number}/access-log" in paths


def test_the_fast_route_and_the_documented_operation_answer_the_same(client, province, person, rf):
    # GIVEN the look-up served by the plain view (api_fast) and the ninja operation that documents it
    from egov.population import api as ninja_api

    query = {"purpose": "Giải quyết hồ sơ", "dossier_code": "X-1"}
    served = client.get(f"/api/v1/population/people/{person.id_number}", query, **auth(province.officer))
    request = rf.get("/", query)
    request.auth = province.officer
    documented = ninja_api.person_lookup(request, person.id_number, ninja_api.LookupQuery(**query))
    # THEN both give the same record, and both reads are logged
    assert served.status_code == documented.status_code == 200
    assert served.json() == json.loads(documented.content)
    assert PersonAccessLog.objects.filter(person=person).count() == 2


def test_the_fast_route_refuses_other_methods_and_missing_tokens_in_the_error_shape(client, province, person):
    path = f"/api/v1/population/people/{person.id_number}"
    assert_error(client.post(path, **auth(province.officer)), 405, "method_not_allowed")
    assert_error(client.get(path, {"purpose": "x"}), 401, "unauthorized")
    assert_error(client.get(path, {"purpose": "x"}, HTTP_AUTHORIZATION="Bearer wrong"), 401, "unauthorized")
    assert not PersonAccessLog.objects.exists()
