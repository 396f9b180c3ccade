"""The calendar page (core:calendar) for agency and province admins."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from egov.accounts.choices import Role
from egov.core.calendar import get_calendar
from egov.core.choices import CalendarDayKind
from egov.core.models import Calendar, CalendarDay
from egov.testing.factories import AgencyFactory, officer

pytestmark = [pytest.mark.django_db, pytest.mark.urls("egov.core.tests.urls")]


@pytest.fixture
def admin_client(client):
    client.force_login(officer(AgencyFactory(), Role.AGENCY_ADMIN))
    return client


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("core:calendar"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_officer_without_admin_role_is_refused(client):
    # GIVEN a specialist WHEN they open the calendar page THEN they get a 403 page with the reason
    client.force_login(officer(AgencyFactory(), Role.SPECIALIST))
    response = client.get(reverse("core:calendar"))
    assert response.status_code == 403
    assert "quản trị" in response.content.decode()


def test_page_lists_national_days_and_overrides(admin_client):
    # GIVEN an override in 2026
    admin_client.get(reverse("core:calendar"))
    CalendarDay.objects.create(
        calendar=Calendar.objects.get(is_default=True),
        date=dt.date(2026, 3, 3),
        kind=CalendarDayKind.HOLIDAY,
        note="Quyết định số 1/QĐ-UBND",
    )
    # WHEN the 2026 page is shown
    response = admin_client.get(reverse("core:calendar"), {"year": 2026})
    html = response.content.decode()
    # THEN it shows the override, the national holidays and the compensatory Saturday
    assert response.status_code == 200
    assert "Quyết định số 1/QĐ-UBND" in html
    assert "Tết Nguyên Đán" in html
    assert "22/08/2026" in html


def test_add_then_remove_an_override(admin_client, django_capture_on_commit_callbacks):
    # WHEN the admin declares Tuesday 03/03/2026 a day off
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("core:calendar_day_save"),
            {"date": "2026-03-03", "kind": CalendarDayKind.HOLIDAY, "note": "Quyết định số 2/QĐ-UBND"},
        )
    assert response.status_code == 302
    # THEN deadlines skip it at once
    assert not get_calendar().is_working_day(dt.date(2026, 3, 3))
    day = CalendarDay.objects.get(date=dt.date(2026, 3, 3))
    assert day.updated_by is not None
    # WHEN it is removed THEN the day is worked again
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("core:calendar_day_delete", args=["2026-03-03"]))
    assert not CalendarDay.objects.exists()
    assert get_calendar().is_working_day(dt.date(2026, 3, 3))


def test_override_needs_a_note(admin_client):
    response = admin_client.post(
        reverse("core:calendar_day_save"), {"date": "2026-03-03", "kind": CalendarDayKind.HOLIDAY, "note": ""}
    )
    assert response.status_code == 400
    assert not CalendarDay.objects.exists()


def test_change_working_hours_and_saturday_mornings(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("core:calendar_settings"),
            {
                "morning_start": "07:00",
                "morning_end": "11:30",
                "afternoon_start": "13:30",
                "afternoon_end": "17:00",
                "cutoff": "15:00",
                "saturday_morning": "on",
                "use_national_holidays": "on",
            },
        )
    assert response.status_code == 302
    calendar = Calendar.objects.get(is_default=True)
    assert calendar.saturday_morning
    assert calendar.morning_start == dt.time(7, 0)
    assert get_calendar().is_working_day(dt.date(2026, 3, 7))


def test_working_hours_out_of_order_are_refused(admin_client):
    response = admin_client.post(
        reverse("core:calendar_settings"),
        {
            "morning_start": "11:30",
            "morning_end": "07:30",
            "afternoon_start": "13:00",
            "afternoon_end": "17:00",
            "cutoff": "15:00",
            "use_national_holidays": "on",
        },
    )
    assert response.status_code == 400
    assert "thứ tự" in response.content.decode()
    assert Calendar.objects.get(is_default=True).morning_start == dt.time(7, 30)


def test_removing_a_missing_override_shows_a_message(admin_client):
    response = admin_client.post(reverse("core:calendar_day_delete", args=["2026-03-03"]), follow=True)
    assert response.status_code == 200
    assert "không có điều chỉnh" in response.content.decode()


def test_trial_deadline(admin_client):
    response = admin_client.get(
        reverse("core:calendar"),
        {"try_start": "2026-02-13T15:30", "try_amount": "1", "try_unit": "working_days"},
    )
    assert "24/02/2026" in response.content.decode()
