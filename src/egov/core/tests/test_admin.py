"""The Django admin pages of core and accounts open for a superuser (smoke test)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.urls import reverse

from egov.accounts.choices import Role
from egov.accounts.models import ApiToken, User
from egov.accounts.services import api_token_issue
from egov.core.calendar import get_calendar
from egov.core.choices import CalendarDayKind
from egov.core.models import Calendar, CalendarDay
from egov.core.services import calendar_ensure_default
from egov.testing.factories import AgencyFactory, UserFactory, officer

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("app_label", ["core", "accounts"])
def test_every_changelist_and_add_page_opens(superuser_client, app_label):
    # GIVEN one row of the main models
    officer(AgencyFactory(), Role.RECEPTION)
    calendar_ensure_default()
    models = [m for m in admin.site._registry if m._meta.app_label == app_label]
    assert models
    for model in models:
        opts = model._meta
        response = superuser_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert response.status_code == 200, opts.label
        first = model._default_manager.first()
        if first is not None:
            response = superuser_client.get(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
            )
            assert response.status_code == 200, opts.label


def test_user_page_shows_the_extra_fields_and_roles(superuser_client):
    user = officer(AgencyFactory(), Role.LEADER)
    html = superuser_client.get(reverse("admin:accounts_user_change", args=[user.pk])).content.decode()
    assert 'name="full_name"' in html
    assert 'name="position"' in html
    assert "roles-0-role" in html


def test_tokens_are_revoked_from_the_admin(superuser_client):
    api_token_issue(user=UserFactory())
    token = ApiToken.objects.get()
    response = superuser_client.post(
        reverse("admin:accounts_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_calendar_day_saved_in_the_admin_reaches_deadlines(
    superuser_client, django_capture_on_commit_callbacks
):
    calendar = calendar_ensure_default()[0]
    assert get_calendar().is_working_day(dt.date(2026, 3, 3))
    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(
            reverse("admin:core_calendarday_add"),
            {"calendar": calendar.pk, "date": "2026-03-03", "kind": CalendarDayKind.HOLIDAY, "note": "QĐ"},
        )
    assert response.status_code == 302, response.content
    assert CalendarDay.objects.get().updated_by == User.objects.get(username="root")
    assert not get_calendar().is_working_day(dt.date(2026, 3, 3))
    assert Calendar.objects.count() == 1
