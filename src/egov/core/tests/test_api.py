"""GET /api/v1/calendar/due (DESIGN.md integration contract)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest

from egov.accounts.choices import Role
from egov.core.choices import CalendarDayKind
from egov.core.services import calendar_day_set, calendar_ensure_default
from egov.testing.factories import AgencyFactory, officer

URL = "/api/v1/calendar/due"


def get(client, **params):
    return client.get(f"{URL}?{urlencode(params)}" if params else URL)


def assert_validation_error(response, field_hint: str):
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "validation_error"
    assert field_hint in body["error"]["message"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "amount", "unit", "due"),
    [
        # Friday before Tết 2026 -> first working day after it
        ("2026-02-13T10:00:00+07:00", "1", "working_days", "2026-02-23T17:00:00+07:00"),
        # naive = Asia/Ho_Chi_Minh
        ("2026-03-04T14:59:00", "0", "same_day", "2026-03-04T17:00:00+07:00"),
        # Z: 08:00Z = 15:00 local -> next working day
        ("2026-03-04T08:00:00Z", "1", "same_day", "2026-03-05T17:00:00+07:00"),
        ("2026-03-02T10:00:00+07:00", "5", "days", "2026-03-09T17:00:00+07:00"),
        ("2026-03-02T10:30:00+07:00", "2", "working_hours", "2026-03-02T14:00:00+07:00"),
        ("2026-03-02T09:00:00+07:00", "0.5", "working_days", "2026-03-03T11:30:00+07:00"),
        # another offset is converted
        ("2026-03-04T09:59:00+02:00", "0", "same_day", "2026-03-04T17:00:00+07:00"),
    ],
)
def test_due(client, start, amount, unit, due):
    # GIVEN a well-formed request WHEN it is sent THEN the due time comes back with the +07:00 offset
    response = get(client, start=start, amount=amount, unit=unit)
    assert response.status_code == 200, response.content
    assert response.json() == {"due": due}


@pytest.mark.django_db
def test_unencoded_plus_in_the_offset_is_understood(client):
    # GIVEN a client that forgot to encode "+" (it arrives as a space)
    response = client.get(f"{URL}?start=2026-02-13T10:00:00+07:00&amount=1&unit=working_days")
    assert response.status_code == 200
    assert response.json() == {"due": "2026-02-23T17:00:00+07:00"}


@pytest.mark.django_db
def test_same_day_needs_no_amount(client):
    response = get(client, start="2026-03-04T09:00:00+07:00", unit="same_day")
    assert response.json() == {"due": "2026-03-04T17:00:00+07:00"}


@pytest.mark.django_db
def test_fractional_hours_round_up_to_the_second(client):
    response = get(client, start="2026-03-02T08:00:00+07:00", amount="0.0001", unit="working_hours")
    # 0.36 s after 08:00 -> 08:00:01, never earlier than the exact deadline
    assert response.json() == {"due": "2026-03-02T08:00:01+07:00"}


@pytest.mark.django_db
def test_overrides_of_the_default_calendar_apply(client, django_capture_on_commit_callbacks):
    # GIVEN the province declares Tuesday 03/03/2026 a day off
    admin = officer(AgencyFactory(), Role.PROVINCE_ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_set(
            calendar=calendar_ensure_default()[0],
            date=dt.date(2026, 3, 3),
            kind=CalendarDayKind.HOLIDAY,
            note="Quyết định của tỉnh",
            actor=admin,
        )
    # THEN the API skips it
    response = get(client, start="2026-03-02T10:00:00+07:00", amount="1", unit="working_days")
    assert response.json() == {"due": "2026-03-04T17:00:00+07:00"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "start", ["yesterday", "2026-13-01T10:00:00", "2026-02-30", "1800-01-01T00:00:00", ""]
)
def test_malformed_start(client, start):
    assert_validation_error(get(client, start=start, amount="1", unit="working_days"), "start")


@pytest.mark.django_db
def test_missing_start(client):
    assert_validation_error(get(client, amount="1", unit="working_days"), "start")


@pytest.mark.django_db
@pytest.mark.parametrize("amount", ["-1", "-0.5", "abc", "NaN", "Infinity", "3650.01", "1e9", ""])
def test_bad_amount(client, amount):
    assert_validation_error(
        get(client, start="2026-03-02T10:00:00", amount=amount, unit="working_days"), "amount"
    )


@pytest.mark.django_db
def test_largest_amount_is_accepted(client):
    response = get(client, start="2026-03-02T10:00:00", amount="3650", unit="days")
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("unit", ["weeks", "WORKING_DAYS", ""])
def test_unknown_unit(client, unit):
    assert_validation_error(get(client, start="2026-03-02T10:00:00", amount="1", unit=unit), "unit")


@pytest.mark.django_db
def test_error_message_is_vietnamese(client):
    body = get(client, start="2026-03-02T10:00:00", amount="-1", unit="days").json()
    assert body["error"]["message"] == "Thời hạn (amount) không được âm."


@pytest.mark.django_db
def test_documented_in_openapi(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/calendar/due" in schema["paths"]


@pytest.mark.django_db
def test_the_openapi_document_has_no_duplicate_keys(client):
    # Swagger UI parses the document with a YAML parser, which refuses a key twice in one object (a
    # "200" string from openapi_extra next to ninja's own 200 once made the docs page blank).
    import json

    duplicates = []

    def no_duplicates(pairs):
        keys = [key for key, _value in pairs]
        duplicates.extend(key for key in set(keys) if keys.count(key) > 1)
        return dict(pairs)

    json.loads(client.get("/api/v1/openapi.json").content, object_pairs_hook=no_duplicates)
    assert duplicates == []
