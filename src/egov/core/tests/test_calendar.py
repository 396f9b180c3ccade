"""The working-day calendar (egov.core.calendar), against the rules of reference §8:
Labour Code art. 111-112 (holidays, moved days), Civil Code art. 147-148 (counting), Decree 61/2018
art. 18 (the 15:00 cut-off)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from egov.accounts.choices import Role
from egov.core.calendar import LOCAL_TZ, WorkingCalendar, get_calendar, national_days
from egov.core.choices import CalendarDayKind, TimeUnit
from egov.core.services import calendar_day_clear, calendar_day_set, calendar_ensure_default, calendar_update
from egov.testing.factories import AgencyFactory, officer

CAL = WorkingCalendar()
UTC = dt.UTC


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)


# ---- holidays and moved days ---------------------------------------------------------------------
def test_tet_2026_is_five_days_off():
    # GIVEN the Lunar New Year 2026 (Mon 16 to Fri 20 February)
    # THEN those days are off and the Friday before and the Monday after are worked
    assert all(not CAL.is_working_day(dt.date(2026, 2, day)) for day in range(16, 21))
    assert CAL.is_working_day(dt.date(2026, 2, 13))
    assert CAL.is_working_day(dt.date(2026, 2, 23))


def test_one_working_day_over_tet():
    # GIVEN a dossier received on the Friday morning before Tết
    # WHEN it has 1 working day
    # THEN it is due at the close of the first working day after Tết
    assert CAL.due(at(2026, 2, 13, 10), 1, TimeUnit.WORKING_DAYS) == at(2026, 2, 23, 17)


def test_2025_compensatory_saturday_is_worked_and_the_friday_is_off():
    # GIVEN the 2025 swap: Saturday 26/04 worked, Friday 02/05 off
    assert CAL.is_working_day(dt.date(2025, 4, 26))
    assert not CAL.is_working_day(dt.date(2025, 5, 2))
    # WHEN a dossier received on Friday 25/04 has 1 working day THEN it is due on the worked Saturday
    assert CAL.due(at(2025, 4, 25, 10), 1, TimeUnit.WORKING_DAYS) == at(2025, 4, 26, 17)
    # WHEN received on Tuesday 29/04 THEN 30/04, 01/05, 02/05 and the weekend are skipped
    assert CAL.due(at(2025, 4, 29, 10), 1, TimeUnit.WORKING_DAYS) == at(2025, 5, 5, 17)


def test_2026_compensatory_saturday_before_national_day():
    # GIVEN the 2026 swap: Saturday 22/08 worked, Monday 31/08 off, then National Day 01-02/09
    assert CAL.is_working_day(dt.date(2026, 8, 22))
    assert not CAL.is_working_day(dt.date(2026, 8, 31))
    assert CAL.due(at(2026, 8, 21, 10), 1, TimeUnit.WORKING_DAYS) == at(2026, 8, 22, 17)
    assert CAL.due(at(2026, 8, 28, 10), 1, TimeUnit.WORKING_DAYS) == at(2026, 9, 3, 17)


def test_holiday_on_a_weekend_is_taken_on_the_next_working_day():
    # GIVEN Hùng Kings' Day 2026 falls on Sunday 26/04 (Labour Code art. 111.3)
    # THEN Monday 27/04 is off
    assert not CAL.is_working_day(dt.date(2026, 4, 27))
    assert CAL.due(at(2026, 4, 24, 10), 1, TimeUnit.WORKING_DAYS) == at(2026, 4, 28, 17)


@pytest.mark.parametrize(
    ("worked_saturday", "day_off"),
    [(dt.date(2014, 12, 27), dt.date(2015, 1, 2)), (dt.date(2019, 1, 5), dt.date(2018, 12, 31))],
)
def test_a_swap_across_new_year_is_honoured(worked_saturday, day_off):
    # GIVEN a day off whose compensatory Saturday lies in the neighbouring year
    # THEN the Saturday is a working day and the day off is not
    assert CAL.is_working_day(worked_saturday)
    assert not CAL.is_working_day(day_off)
    assert worked_saturday in national_days(worked_saturday.year)[1]


# ---- the 15:00 cut-off ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("hour", "minute", "receipt_day", "same_day_due", "one_day_due"),
    [
        (14, 59, dt.date(2026, 3, 4), at(2026, 3, 4, 17), at(2026, 3, 5, 17)),
        (15, 0, dt.date(2026, 3, 5), at(2026, 3, 5, 17), at(2026, 3, 6, 17)),
        (16, 0, dt.date(2026, 3, 5), at(2026, 3, 5, 17), at(2026, 3, 6, 17)),
    ],
)
def test_cutoff_at_15_00(hour, minute, receipt_day, same_day_due, one_day_due):
    # GIVEN a dossier received on Wednesday 04/03/2026 at hour:minute
    received = at(2026, 3, 4, hour, minute)
    # THEN before 15:00 it counts from that day, from 15:00 on from the next working day
    assert CAL.receipt_day(received) == receipt_day
    assert CAL.due(received, 1, TimeUnit.SAME_DAY) == same_day_due
    assert CAL.due(received, 1, TimeUnit.WORKING_DAYS) == one_day_due


def test_received_after_15_00_on_the_friday_before_tet():
    # GIVEN a dossier received at 15:30 on Friday 13/02/2026, the last working day before Tết
    received = at(2026, 2, 13, 15, 30)
    # THEN it counts as received on Monday 23/02
    assert CAL.receipt_day(received) == dt.date(2026, 2, 23)
    assert CAL.due(received, 1, TimeUnit.SAME_DAY) == at(2026, 2, 23, 17)
    assert CAL.due(received, 1, TimeUnit.WORKING_DAYS) == at(2026, 2, 24, 17)


def test_received_after_15_00_before_the_april_holidays():
    # GIVEN Wednesday 29/04/2026 15:30; 30/04 and 01/05 are off, then the weekend
    assert CAL.receipt_day(at(2026, 4, 29, 15, 30)) == dt.date(2026, 5, 4)


def test_cutoff_with_times_in_utc():
    # GIVEN times in UTC (07:59Z = 14:59 in Hà Nội, 08:00Z = 15:00)
    assert CAL.receipt_day(dt.datetime(2026, 3, 4, 7, 59, tzinfo=UTC)) == dt.date(2026, 3, 4)
    assert CAL.receipt_day(dt.datetime(2026, 3, 4, 8, 0, tzinfo=UTC)) == dt.date(2026, 3, 5)


def test_naive_times_are_local():
    assert CAL.due(dt.datetime(2026, 3, 4, 14, 59), 0, TimeUnit.SAME_DAY) == at(2026, 3, 4, 17)


def test_received_on_a_day_off_counts_from_the_next_working_day():
    # GIVEN an online submission on Saturday morning
    assert CAL.receipt_day(at(2026, 3, 7, 9)) == dt.date(2026, 3, 9)
    assert CAL.due(at(2026, 3, 7, 9), 1, TimeUnit.SAME_DAY) == at(2026, 3, 9, 17)


# ---- units ---------------------------------------------------------------------------------------
def test_working_days_skip_the_weekend():
    # Civil Code art. 147: the day of receipt is not counted
    assert CAL.due(at(2026, 3, 4, 10), 3, TimeUnit.WORKING_DAYS) == at(2026, 3, 9, 17)


def test_zero_working_days_is_the_close_of_the_receipt_day():
    assert CAL.due(at(2026, 3, 4, 10), 0, TimeUnit.WORKING_DAYS) == at(2026, 3, 4, 17)


def test_calendar_days_end_on_the_nth_day():
    assert CAL.due(at(2026, 3, 2, 10), 3, TimeUnit.DAYS) == at(2026, 3, 5, 17)


def test_calendar_days_ending_on_a_weekend_move_to_monday():
    # GIVEN 5 days from Monday 02/03/2026 end on Saturday 07/03
    # THEN the period ends at the close of the next working day (Civil Code art. 148.5)
    assert CAL.due(at(2026, 3, 2, 10), 5, TimeUnit.DAYS) == at(2026, 3, 9, 17)


def test_calendar_days_ending_on_a_holiday_move_past_it():
    # GIVEN 7 days from Tuesday 10/02/2026 end on Tuesday 17/02 (Tết)
    assert CAL.due(at(2026, 2, 10, 10), 7, TimeUnit.DAYS) == at(2026, 2, 23, 17)


def test_part_of_a_calendar_day_counts_as_a_whole_day():
    assert CAL.due(at(2026, 3, 2, 10), "2.5", TimeUnit.DAYS) == at(2026, 3, 5, 17)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (at(2026, 3, 2, 10, 30), 2, at(2026, 3, 2, 14)),  # across lunch
        (at(2026, 3, 2, 16), 2, at(2026, 3, 3, 8, 30)),  # overnight
        (at(2026, 3, 6, 16), 4, at(2026, 3, 9, 10, 30)),  # over the weekend
        (at(2026, 3, 2, 12), 1, at(2026, 3, 2, 14)),  # starting in the lunch break
        (at(2026, 3, 2, 6), 1, at(2026, 3, 2, 8, 30)),  # starting before opening
        (at(2026, 3, 2, 7, 30), 4, at(2026, 3, 2, 11, 30)),  # ends exactly at the break, not after it
        (at(2026, 3, 2, 13), "1.5", at(2026, 3, 2, 14, 30)),
        (at(2026, 2, 13, 16), 2, at(2026, 2, 23, 8, 30)),  # over Tết
    ],
)
def test_working_hours(start, hours, expected):
    assert CAL.due(start, hours, TimeUnit.WORKING_HOURS) == expected


def test_working_hours_ignore_the_cutoff():
    # Hours run from the moment of receipt: the 15:00 rule is about days.
    assert CAL.due(at(2026, 3, 4, 16), 1, TimeUnit.WORKING_HOURS) == at(2026, 3, 4, 17)


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (at(2026, 3, 4, 9), at(2026, 3, 4, 17)),
        (at(2026, 3, 4, 15, 1), at(2026, 3, 5, 17)),
        (at(2026, 3, 6, 16), at(2026, 3, 9, 17)),  # Friday after 15:00 -> Monday
        (at(2026, 3, 8, 10), at(2026, 3, 9, 17)),  # Sunday -> Monday
    ],
)
def test_same_day(received, expected):
    assert CAL.due(received, 1, TimeUnit.SAME_DAY) == expected


# ---- the year boundary ---------------------------------------------------------------------------
def test_one_working_day_from_new_years_eve():
    # GIVEN Wednesday 31/12/2025; 01/01/2026 is New Year's Day
    assert CAL.due(at(2025, 12, 31, 10), 1, TimeUnit.WORKING_DAYS) == at(2026, 1, 2, 17)


def test_same_day_after_15_00_on_new_years_eve():
    assert CAL.due(at(2025, 12, 31, 16), 0, TimeUnit.SAME_DAY) == at(2026, 1, 2, 17)


def test_calendar_days_ending_on_new_years_day():
    assert CAL.due(at(2025, 12, 30, 10), 2, TimeUnit.DAYS) == at(2026, 1, 2, 17)


def test_working_hours_across_new_year():
    assert CAL.due(at(2025, 12, 31, 16), 2, TimeUnit.WORKING_HOURS) == at(2026, 1, 2, 8, 30)


def test_working_days_across_new_year_and_into_january():
    # 31/12 (receipt), then 02/01, 05/01, 06/01, 07/01, 08/01
    assert CAL.due(at(2025, 12, 31, 10), 5, TimeUnit.WORKING_DAYS) == at(2026, 1, 8, 17)


# ---- fractional working days ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0.5", at(2026, 3, 3, 11, 30)),  # half of the next working day
        (Decimal("0.75"), at(2026, 3, 3, 15)),
        (1.5, at(2026, 3, 4, 11, 30)),
        ("2.25", at(2026, 3, 5, 9, 30)),
    ],
)
def test_fractional_working_days(amount, expected):
    assert CAL.due(at(2026, 3, 2, 9), amount, TimeUnit.WORKING_DAYS) == expected


def test_half_a_working_day_from_a_friday():
    assert CAL.due(at(2026, 3, 6, 10), "0.5", TimeUnit.WORKING_DAYS) == at(2026, 3, 9, 11, 30)


# ---- working_hours_between -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (at(2026, 3, 2, 10), at(2026, 3, 2, 14), Decimal("2.5")),
        (at(2026, 3, 6, 16), at(2026, 3, 9, 8, 30), Decimal(2)),
        (at(2026, 2, 13, 16), at(2026, 2, 23, 8, 30), Decimal(2)),
        (at(2026, 3, 7, 8), at(2026, 3, 8, 12), Decimal(0)),  # a weekend has no working time
        (at(2026, 3, 2, 0), at(2026, 3, 7, 0), Decimal(40)),  # one working week
    ],
)
def test_working_hours_between(start, end, hours):
    assert CAL.working_hours_between(start, end) == hours
    assert CAL.working_hours_between(end, start) == -hours


# ---- Saturday mornings ---------------------------------------------------------------------------
def test_saturday_morning_calendar():
    # GIVEN a one-stop shop that also works on Saturday mornings
    cal = WorkingCalendar(saturday_morning=True)
    # WHEN a dossier arrives on Friday at 16:00 THEN it is received on Saturday, due at its close (11:30)
    assert cal.receipt_day(at(2026, 3, 6, 16)) == dt.date(2026, 3, 7)
    assert cal.due(at(2026, 3, 6, 16), 0, TimeUnit.SAME_DAY) == at(2026, 3, 7, 11, 30)
    # AND working hours continue on Saturday morning
    assert cal.due(at(2026, 3, 6, 16), 3, TimeUnit.WORKING_HOURS) == at(2026, 3, 7, 9, 30)


def test_received_after_the_saturday_close_counts_from_monday():
    # GIVEN a Saturday-morning office closed at 11:30
    # WHEN a dossier arrives online at 12:00 (before the 15:00 cut-off, but after the close)
    # THEN it is not "due today" at a time already past: it counts from Monday
    cal = WorkingCalendar(saturday_morning=True)
    assert cal.receipt_day(at(2026, 3, 7, 12)) == dt.date(2026, 3, 9)
    assert cal.due(at(2026, 3, 7, 12), 0, TimeUnit.SAME_DAY) == at(2026, 3, 9, 17)


def test_unknown_unit_and_negative_amount_are_rejected():
    with pytest.raises(ValueError):
        CAL.due(at(2026, 3, 2, 9), 1, "fortnights")
    with pytest.raises(ValueError):
        CAL.due(at(2026, 3, 2, 9), -1, TimeUnit.WORKING_DAYS)


# ---- admin overrides through the database --------------------------------------------------------
@pytest.fixture
def admin_user(db):
    return officer(AgencyFactory(), Role.AGENCY_ADMIN)


@pytest.fixture
def default_calendar(db):
    return calendar_ensure_default()[0]


@pytest.mark.django_db
def test_extra_holiday_moves_the_deadline(admin_user, default_calendar, django_capture_on_commit_callbacks):
    # GIVEN Tuesday 03/03/2026 declared a day off by the province
    assert get_calendar().due(at(2026, 3, 2, 10), 1, TimeUnit.WORKING_DAYS) == at(2026, 3, 3, 17)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_set(
            calendar=default_calendar,
            date=dt.date(2026, 3, 3),
            kind=CalendarDayKind.HOLIDAY,
            note="Quyết định của Chủ tịch UBND tỉnh",
            actor=admin_user,
        )
    # THEN a 1-working-day dossier received on Monday is due on Wednesday
    assert get_calendar().due(at(2026, 3, 2, 10), 1, TimeUnit.WORKING_DAYS) == at(2026, 3, 4, 17)
    # AND clearing the override restores the weekly pattern
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_clear(calendar=default_calendar, date=dt.date(2026, 3, 3), actor=admin_user)
    assert get_calendar().due(at(2026, 3, 2, 10), 1, TimeUnit.WORKING_DAYS) == at(2026, 3, 3, 17)


@pytest.mark.django_db
def test_compensatory_working_sunday(admin_user, default_calendar, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_set(
            calendar=default_calendar,
            date=dt.date(2026, 3, 8),
            kind=CalendarDayKind.WORKING_DAY,
            note="Làm bù",
            actor=admin_user,
        )
    assert get_calendar().due(at(2026, 3, 6, 10), 1, TimeUnit.WORKING_DAYS) == at(2026, 3, 8, 17)


@pytest.mark.django_db
def test_override_beats_the_national_holiday(
    admin_user, default_calendar, django_capture_on_commit_callbacks
):
    # GIVEN the last day of Tết 2026 turned into a working day by a (hypothetical) decision
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_set(
            calendar=default_calendar,
            date=dt.date(2026, 2, 20),
            kind=CalendarDayKind.WORKING_DAY,
            note="Thử nghiệm",
            actor=admin_user,
        )
    assert get_calendar().due(at(2026, 2, 13, 10), 1, TimeUnit.WORKING_DAYS) == at(2026, 2, 20, 17)


@pytest.mark.django_db
def test_one_saturday_morning(admin_user, default_calendar, django_capture_on_commit_callbacks):
    # GIVEN Saturday 07/03/2026 worked in the morning only
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_set(
            calendar=default_calendar,
            date=dt.date(2026, 3, 7),
            kind=CalendarDayKind.MORNING_ONLY,
            note="Tiếp nhận sáng thứ Bảy",
            actor=admin_user,
        )
    cal = get_calendar()
    assert cal.due(at(2026, 3, 6, 16), 3, TimeUnit.WORKING_HOURS) == at(2026, 3, 7, 9, 30)
    assert cal.due(at(2026, 3, 7, 10), 0, TimeUnit.SAME_DAY) == at(2026, 3, 7, 11, 30)
    # AND the next Saturday is still a day off
    assert not cal.is_working_day(dt.date(2026, 3, 14))


@pytest.mark.django_db
def test_saturday_morning_policy_and_hours(admin_user, default_calendar, django_capture_on_commit_callbacks):
    # GIVEN the admin turns on Saturday mornings and a 16:00 cut-off
    with django_capture_on_commit_callbacks(execute=True):
        calendar_update(
            calendar=default_calendar,
            actor=admin_user,
            morning_start=dt.time(7, 30),
            morning_end=dt.time(11, 30),
            afternoon_start=dt.time(13, 0),
            afternoon_end=dt.time(17, 0),
            cutoff=dt.time(16, 0),
            saturday_morning=True,
        )
    cal = get_calendar()
    assert cal.receipt_day(at(2026, 3, 4, 15, 30)) == dt.date(2026, 3, 4)
    assert cal.is_working_day(dt.date(2026, 3, 14))


@pytest.mark.django_db
def test_change_is_invisible_until_commit(admin_user, default_calendar, django_capture_on_commit_callbacks):
    # GIVEN a cached calendar
    assert get_calendar().is_working_day(dt.date(2026, 3, 3))
    # WHEN an override is written but its transaction has not committed
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        calendar_day_set(
            calendar=default_calendar,
            date=dt.date(2026, 3, 3),
            kind=CalendarDayKind.HOLIDAY,
            note="Chờ",
            actor=admin_user,
        )
        # THEN the cached snapshot still answers
        assert get_calendar().is_working_day(dt.date(2026, 3, 3))
    # AND on commit the cache is dropped
    for callback in callbacks:
        callback()
    assert not get_calendar().is_working_day(dt.date(2026, 3, 3))


# ---- properties ----------------------------------------------------------------------------------
starts = st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2027, 12, 31)).map(
    lambda moment: moment.replace(tzinfo=LOCAL_TZ)
)
amounts = st.decimals(min_value=0, max_value=40, places=2)
units = st.sampled_from(TimeUnit.values)
override_days = st.dictionaries(
    st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2028, 6, 30)),
    st.sampled_from(CalendarDayKind.values),
    max_size=20,
)
calendars = st.builds(WorkingCalendar, saturday_morning=st.booleans(), overrides=override_days)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendar=calendars, start=starts, amount=amounts, unit=units)
def test_due_is_never_before_start_and_lands_on_a_working_day(calendar, start, amount, unit):
    due = calendar.due(start, amount, unit)
    assert due >= start
    assert calendar.is_working_day(due.date())
    periods = calendar.periods(due.date())
    # The deadline is inside the working time of its day (or at its close).
    assert periods[0][0] <= due.timetz().replace(tzinfo=None) <= periods[-1][1]
    whole_days = unit in (TimeUnit.DAYS, TimeUnit.SAME_DAY) or (
        unit == TimeUnit.WORKING_DAYS and amount == amount.to_integral_value()
    )
    if whole_days:
        assert due == calendar.close_of(due.date())


@settings(max_examples=200, deadline=None, database=None)
@given(calendar=calendars, start=starts, amount=amounts, unit=units)
def test_a_longer_period_never_ends_earlier(calendar, start, amount, unit):
    assert calendar.due(start, amount + 1, unit) >= calendar.due(start, amount, unit)


@settings(max_examples=200, deadline=None, database=None)
@given(calendar=calendars, start=starts, hours=amounts)
def test_working_hours_between_inverts_add_working_hours(calendar, start, hours):
    end = calendar.add_working_hours(start, hours)
    assert abs(calendar.working_hours_between(start, end) - hours) < Decimal("0.001")
