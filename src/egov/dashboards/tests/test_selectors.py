"""Tests for ``dashboards/selectors.py``: the published per-agency statistics."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from egov.core.calendar import LOCAL_TZ, WorkingCalendar
from egov.dashboards.selectors import _WorkingClock, agency_stats, default_period, stats_totals, timeliness
from egov.dossiers.choices import Channel, DossierAction, DossierStatus
from egov.testing.factories import AgencyFactory, procedure_with_process

from .conftest import local, make_dossier, make_event

JULY = {"date_from": dt.date(2025, 7, 1), "date_to": dt.date(2025, 7, 31)}
LATER = local("2025-08-15", "10:00")


@pytest.fixture
def july():
    """Agency A with every kind of dossier, agency B with one, agency C offering a procedure but quiet."""
    a = AgencyFactory(name="A. Ủy ban nhân dân xã An Bình")
    b = AgencyFactory(name="B. Ủy ban nhân dân xã Bình Minh")
    c = AgencyFactory(name="C. Ủy ban nhân dân xã Cát Tiên")
    birth = procedure_with_process(agency=a)
    residence = procedure_with_process(agency=a)
    other = procedure_with_process(agency=b)
    procedure_with_process(agency=c)
    due = local("2025-07-18", "17:00")
    made = {
        # finished in July: early, on time, late (same day, after the hour), early against the new date
        "early": make_dossier(
            birth,
            channel=Channel.ONLINE,
            received_at=local("2025-07-14", "08:00"),
            due_at=due,
            finished_at=local("2025-07-17", "10:00"),
            status=DossierStatus.RETURNED,
        ),
        "on_time": make_dossier(
            birth,
            received_at=local("2025-07-14", "09:00"),
            due_at=due,
            finished_at=local("2025-07-18", "16:00"),
            status=DossierStatus.RESULT_READY,
        ),
        "late": make_dossier(
            birth,
            channel=Channel.ASSISTED,
            received_at=local("2025-07-14", "10:00"),
            due_at=due,
            finished_at=local("2025-07-18", "17:30"),
            status=DossierStatus.DENIED,
        ),
        "rescheduled": make_dossier(
            birth,
            received_at=local("2025-07-15"),
            due_at=due,
            rescheduled_due_at=local("2025-07-23", "17:00"),
            finished_at=local("2025-07-22", "10:00"),
            status=DossierStatus.APPROVED,
        ),
        # still open at the end of July
        "open": make_dossier(birth, received_at=local("2025-07-28"), due_at=local("2025-08-04", "17:00")),
        "overdue": make_dossier(birth, received_at=local("2025-07-10"), due_at=local("2025-07-17", "17:00")),
        "old_open": make_dossier(birth, received_at=local("2025-06-20"), due_at=local("2025-06-30", "17:00")),
        "finished_in_august": make_dossier(
            birth,
            received_at=local("2025-07-25"),
            due_at=local("2025-07-31", "17:00"),
            finished_at=local("2025-08-05"),
            status=DossierStatus.RETURNED,
        ),
        # not counted in July at all
        "june": make_dossier(
            birth,
            received_at=local("2025-06-20"),
            due_at=local("2025-06-27", "17:00"),
            finished_at=local("2025-06-25"),
            status=DossierStatus.RETURNED,
        ),
        # refused before receipt (online), withdrawn after receipt
        "refused": make_dossier(
            residence,
            channel=Channel.ONLINE,
            submitted_at=local("2025-07-02"),
            received_at=None,
            status=DossierStatus.REFUSED,
            closed_at=local("2025-07-03"),
        ),
        "withdrawn": make_dossier(
            birth,
            received_at=local("2025-07-07"),
            due_at=local("2025-07-14", "17:00"),
            status=DossierStatus.WITHDRAWN,
            closed_at=local("2025-07-08"),
        ),
        # agency B: finished at 00:30 on the due day (17:30 UTC the day before): on time, not early
        "b_midnight": make_dossier(
            other,
            channel=Channel.ONLINE,
            received_at=local("2025-07-14"),
            due_at=due,
            finished_at=local("2025-07-18", "00:30"),
            status=DossierStatus.RETURNED,
        ),
    }
    make_event(made["rescheduled"], DossierAction.APOLOGIZE, local("2025-07-16"), "Cần xác minh")
    make_event(made["refused"], DossierAction.REFUSE, local("2025-07-03"), "Không thuộc thẩm quyền")
    make_event(made["withdrawn"], DossierAction.WITHDRAW, local("2025-07-08"), "Người nộp rút")
    make_event(made["june"], DossierAction.APOLOGIZE, local("2025-06-24"))  # outside the period
    return {"a": a, "b": b, "c": c, **made}


def by_agency(rows):
    return {row["agency_id"]: row for row in rows}


@pytest.mark.django_db
class TestAgencyStats:
    def test_counts_per_agency(self, july):
        # GIVEN the July dossiers WHEN the July statistics are read well after the month
        rows = by_agency(agency_stats(**JULY, now=LATER))
        a = rows[july["a"].pk]
        # THEN agency A's counts follow the published definitions:
        # early, on time, late, rescheduled, open, overdue, finished in August, withdrawn
        assert a["received"] == 8
        assert a["received_online"] == 2  # online + assisted
        assert a["online_share"] == 0.25
        assert (a["finished"], a["finished_early"], a["finished_on_time"], a["finished_late"]) == (4, 2, 1, 1)
        assert a["on_time_share"] == 0.75
        assert a["in_progress"] == 4  # open, overdue, June's open one, finished in August
        assert a["overdue"] == 3  # all but "open" (due 4 August)
        assert (a["rescheduled"], a["refused"], a["withdrawn"]) == (1, 1, 1)
        assert a["procedures_with_online"] == 2  # the birth procedure and the refused online one
        assert a["agency_name"] == "A. Ủy ban nhân dân xã An Bình"

    def test_early_and_on_time_are_decided_by_the_local_day(self, july):
        b = by_agency(agency_stats(**JULY, now=LATER))[july["b"].pk]
        assert (b["finished_early"], b["finished_on_time"], b["finished_late"]) == (0, 1, 0)
        assert b["online_share"] == 1.0

    def test_quiet_agency_offering_procedures_is_listed_with_zeros(self, july):
        c = by_agency(agency_stats(**JULY, now=LATER))[july["c"].pk]
        assert c["received"] == 0
        assert c["online_share"] is None
        assert c["avg_time_share"] is None

    def test_overdue_is_measured_now_when_the_period_has_not_ended(self, july):
        # GIVEN "now" is 29 July, before the end of the period
        rows = by_agency(agency_stats(**JULY, now=local("2025-07-29", "12:00")))
        # THEN the dossier due on 31 July is not overdue yet
        assert rows[july["a"].pk]["overdue"] == 2

    def test_in_progress_is_a_snapshot_at_the_end_of_the_period(self, july):
        # GIVEN the period 1-20 July WHEN read later
        row = by_agency(agency_stats(date_from=dt.date(2025, 7, 1), date_to=dt.date(2025, 7, 20), now=LATER))[
            july["a"].pk
        ]
        # THEN what was open on 20 July counts: "overdue" and June's; the rescheduled one finished on 22 July
        assert row["in_progress"] == 3
        assert row["overdue"] == 2  # the rescheduled one is due 23 July, not overdue on 20 July
        assert row["finished"] == 3

    def test_filter_by_agency(self, july):
        rows = agency_stats(**JULY, agency_ids=[july["b"].pk], now=LATER)
        assert [r["agency_id"] for r in rows] == [july["b"].pk]

    def test_counting_takes_a_fixed_number_of_queries(self, july):
        # GIVEN many more dossiers WHEN the statistics are read THEN the number of queries does not grow
        with CaptureQueriesContext(connection) as before:
            agency_stats(**JULY, now=LATER)
        birth = july["early"].offering
        for day in range(1, 20):
            make_dossier(
                birth,
                received_at=local(f"2025-07-{day:02d}"),
                due_at=local("2025-07-25", "17:00"),
                finished_at=local("2025-07-24"),
                status=DossierStatus.RETURNED,
            )
        with CaptureQueriesContext(connection) as after:
            agency_stats(**JULY, now=LATER)
        assert len(after) == len(before)

    def test_totals(self, july):
        rows = agency_stats(**JULY, now=LATER)
        totals = stats_totals(rows, **JULY)
        assert totals["received"] == 9
        assert totals["finished"] == 5
        assert totals["on_time_share"] == 0.8
        assert totals["procedures_with_online"] == 3


@pytest.mark.django_db
def test_avg_time_share_uses_working_hours_from_the_clock_start():
    # GIVEN two dossiers with 5 working days (40 working hours) from Monday 07:30 to Friday 17:00:
    # one finished on Wednesday 07:30 (16 h used: 40 %), one at the deadline (100 %)
    agency = AgencyFactory()
    offering = procedure_with_process(agency=agency)
    start, due = local("2025-07-14", "07:30"), local("2025-07-18", "17:00")
    make_dossier(offering, received_at=start, due_at=due, finished_at=local("2025-07-16", "07:30"))
    make_dossier(offering, received_at=start, due_at=due, finished_at=due)
    # WHEN the statistics are read THEN the mean share is 70 %
    (row,) = agency_stats(**JULY, agency_ids=[agency.pk], now=LATER)
    assert row["avg_time_share"] == 0.7


def test_default_period_is_the_current_year():
    assert default_period(dt.date(2026, 3, 5)) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def test_timeliness_helper():
    due = local("2025-07-18", "17:00")
    assert timeliness(local("2025-07-17", "23:59"), due) == "early"
    assert timeliness(local("2025-07-18", "00:30"), due) == "on_time"
    assert timeliness(due, due) == "on_time"
    assert timeliness(local("2025-07-18", "17:01"), due) == "late"
    assert timeliness(None, due) is None


moments = st.datetimes(min_value=dt.datetime(2025, 12, 20), max_value=dt.datetime(2026, 5, 10)).map(
    lambda d: d.replace(tzinfo=LOCAL_TZ)
)


@settings(max_examples=200, deadline=None)
@given(a=moments, b=moments)
def test_working_clock_agrees_with_the_calendar(a, b):
    # Across Tết 2026 and the 30/4-1/5 holidays, the prefix-sum clock gives the calendar's own answer.
    calendar = WorkingCalendar()
    expected = float(calendar.working_hours_between(a, b))
    assert _WorkingClock(calendar).between(a, b) == pytest.approx(expected, abs=1e-6)


@pytest.mark.django_db
def test_satisfaction_is_the_mean_service_score_of_the_period():
    from egov.feedback.models import SatisfactionRating
    from egov.testing.factories import UserFactory

    # GIVEN agency A with two ratings in July (5 and 2) and one in August, agency B with none
    a = AgencyFactory(name="A. Ủy ban nhân dân xã An Bình")
    b = AgencyFactory(name="B. Ủy ban nhân dân xã Bình Minh")
    offering = procedure_with_process(agency=a)
    procedure_with_process(agency=b)
    rater = UserFactory()
    for score, when in ((5, "2025-07-10"), (2, "2025-07-20"), (1, "2025-08-02")):
        dossier = make_dossier(
            offering,
            received_at=local("2025-07-01"),
            due_at=local("2025-07-08", "17:00"),
            finished_at=local("2025-07-07"),
            status=DossierStatus.RETURNED,
        )
        rating = SatisfactionRating.objects.create(
            dossier=dossier, rater=rater, service_score=score, officer_score=5
        )
        SatisfactionRating.objects.filter(pk=rating.pk).update(created_at=local(when))
    # WHEN July is read
    rows = by_agency(agency_stats(**JULY, now=LATER))
    # THEN A's mean is 3.5 over 2 ratings, B has none, and the totals line agrees
    assert (rows[a.pk]["satisfaction_avg"], rows[a.pk]["satisfaction_count"]) == (3.5, 2)
    assert (rows[b.pk]["satisfaction_avg"], rows[b.pk]["satisfaction_count"]) == (None, 0)
    totals = stats_totals(list(rows.values()), **JULY)
    assert (totals["satisfaction_avg"], totals["satisfaction_count"]) == (3.5, 2)
