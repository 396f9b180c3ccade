"""Calendar services (egov.core.services): who may change the calendar and what they must record."""

from __future__ import annotations

import datetime as dt

import pytest

from egov.accounts.choices import Role
from egov.core.choices import CalendarDayKind
from egov.core.errors import NotFound, PermissionDenied, ValidationFailed
from egov.core.models import Calendar, CalendarDay
from egov.core.services import calendar_day_clear, calendar_day_set, calendar_ensure_default, calendar_update
from egov.testing.factories import AgencyFactory, UserFactory, officer

pytestmark = pytest.mark.django_db


@pytest.fixture
def calendar():
    return calendar_ensure_default()[0]


def test_default_calendar_is_created_once_with_the_standard_hours():
    calendar, created = calendar_ensure_default()
    assert created
    assert (calendar.morning_start, calendar.morning_end) == (dt.time(7, 30), dt.time(11, 30))
    assert (calendar.afternoon_start, calendar.afternoon_end) == (dt.time(13, 0), dt.time(17, 0))
    assert calendar.cutoff == dt.time(15, 0)
    again, created_again = calendar_ensure_default()
    assert again == calendar and not created_again
    assert Calendar.objects.count() == 1


@pytest.mark.parametrize("role", [Role.AGENCY_ADMIN, Role.PROVINCE_ADMIN])
def test_admins_may_set_a_day(calendar, role):
    actor = officer(AgencyFactory(), role)
    day = calendar_day_set(
        calendar=calendar,
        date=dt.date(2026, 3, 3),
        kind=CalendarDayKind.HOLIDAY,
        note="  QĐ 1  ",
        actor=actor,
    )
    assert (day.note, day.updated_by) == ("QĐ 1", actor)


def test_setting_the_same_day_twice_updates_it(calendar):
    actor = officer(AgencyFactory(), Role.AGENCY_ADMIN)
    calendar_day_set(
        calendar=calendar, date=dt.date(2026, 3, 7), kind=CalendarDayKind.HOLIDAY, note="a", actor=actor
    )
    calendar_day_set(
        calendar=calendar, date=dt.date(2026, 3, 7), kind=CalendarDayKind.MORNING_ONLY, note="b", actor=actor
    )
    assert CalendarDay.objects.get().kind == CalendarDayKind.MORNING_ONLY


@pytest.mark.parametrize("role", [Role.RECEPTION, Role.SPECIALIST, Role.LEADER, Role.CLERK])
def test_other_roles_may_not(calendar, role):
    with pytest.raises(PermissionDenied):
        calendar_day_set(
            calendar=calendar,
            date=dt.date(2026, 3, 3),
            kind=CalendarDayKind.HOLIDAY,
            note="x",
            actor=officer(AgencyFactory(), role),
        )


def test_inactive_admin_role_does_not_count(calendar):
    actor = officer(AgencyFactory(), Role.AGENCY_ADMIN)
    actor.roles.update(is_active=False)
    with pytest.raises(PermissionDenied):
        calendar_day_clear(calendar=calendar, date=dt.date(2026, 3, 3), actor=actor)


def test_superuser_may(calendar):
    actor = UserFactory(is_superuser=True)
    calendar_day_set(
        calendar=calendar, date=dt.date(2026, 3, 3), kind=CalendarDayKind.HOLIDAY, note="x", actor=actor
    )


def test_note_and_kind_are_required(calendar):
    actor = officer(AgencyFactory(), Role.AGENCY_ADMIN)
    with pytest.raises(ValidationFailed):
        calendar_day_set(
            calendar=calendar, date=dt.date(2026, 3, 3), kind=CalendarDayKind.HOLIDAY, note=" ", actor=actor
        )
    with pytest.raises(ValidationFailed):
        calendar_day_set(calendar=calendar, date=dt.date(2026, 3, 3), kind="vacation", note="x", actor=actor)


def test_clearing_a_day_without_override(calendar):
    with pytest.raises(NotFound):
        calendar_day_clear(
            calendar=calendar, date=dt.date(2026, 3, 3), actor=officer(AgencyFactory(), Role.PROVINCE_ADMIN)
        )


@pytest.mark.parametrize(
    ("hours", "cutoff"),
    [
        ((dt.time(11, 30), dt.time(7, 30), dt.time(13), dt.time(17)), dt.time(15)),
        ((dt.time(7, 30), dt.time(13, 30), dt.time(13), dt.time(17)), dt.time(15)),
        ((dt.time(7, 30), dt.time(11, 30), dt.time(13), dt.time(17)), dt.time(18)),
        ((dt.time(7, 30), dt.time(11, 30), dt.time(13), dt.time(17)), dt.time(7)),
    ],
)
def test_working_hours_must_make_sense(calendar, hours, cutoff):
    with pytest.raises(ValidationFailed):
        calendar_update(
            calendar=calendar,
            actor=officer(AgencyFactory(), Role.PROVINCE_ADMIN),
            morning_start=hours[0],
            morning_end=hours[1],
            afternoon_start=hours[2],
            afternoon_end=hours[3],
            cutoff=cutoff,
            saturday_morning=False,
        )
