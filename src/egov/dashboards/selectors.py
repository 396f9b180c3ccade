"""Published statistics of the one-stop shop per agency (read only).

The measures are those the provinces publish and the national ranking uses (DESIGN.md "Statistics";
Decree 61/2018 art. 19 for deadlines and apologies): dossiers received, finished early / on time /
late, still in progress and overdue, the online share, the average time used as a share of the
statutory time, rescheduled (apologies), refused and withdrawn dossiers, the procedures with at
least one online dossier, and the applicants' satisfaction. Counts are conditional aggregates grouped
by agency in SQL, so the cost is a few queries whatever the number of dossiers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, DateTimeField, F, Q
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from egov.core.calendar import LOCAL_TZ, WorkingCalendar, get_calendar
from egov.core.models import Agency
from egov.dossiers.choices import Channel, DossierAction, DossierStatus
from egov.dossiers.models import Dossier, DossierEvent

# The per-dossier rule; ``agency_stats`` applies the same rule in SQL (local days via ``TruncDate``).
from egov.dossiers.selectors import timeliness  # noqa: F401  (re-exported for the dashboards)
from egov.feedback.selectors import satisfaction_by_agency

# Assisted submissions are filed online by the counter staff for the applicant: they count as online.
ONLINE_CHANNELS = (Channel.ONLINE, Channel.ASSISTED)

COUNT_KEYS = (
    "received",
    "received_online",
    "finished",
    "finished_early",
    "finished_on_time",
    "finished_late",
    "in_progress",
    "overdue",
    "rescheduled",
    "refused",
    "withdrawn",
    "procedures_with_online",
)


def period_bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The local-day bounds of a period: from 00:00 of ``date_from`` to 00:00 after ``date_to`` (exclusive)."""
    start = dt.datetime.combine(date_from, dt.time(0), tzinfo=LOCAL_TZ)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(0), tzinfo=LOCAL_TZ)
    return start, end


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The current calendar year, in Vietnam time."""
    today = today or timezone.now().astimezone(LOCAL_TZ).date()
    return dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)


def _ratio(numerator: float | int | Decimal, denominator: float | int | Decimal) -> float | None:
    return round(float(numerator) / float(denominator), 4) if denominator else None


def agency_stats(
    *,
    date_from: dt.date,
    date_to: dt.date,
    agency_ids: Iterable[int] | None = None,
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """One row per agency for the period ``date_from``-``date_to`` (local days, both included).

    * ``received``: received in the period; ``online_share``: of those, submitted online or assisted.
    * ``finished_*``: a result (approved/denied) in the period, compared with the effective due time
      (the rescheduled one after an apology): early on an earlier local day, on time on the due day
      and not after the due time, late after it (``egov.dossiers.selectors.timeliness``).
    * ``in_progress``: received by the end of the period and neither finished nor closed then;
      ``overdue``: of those, past the effective due time at the end of the period (or now, if earlier).
    * ``avg_time_share``: mean of working hours used / statutory working hours, from the start of the
      clock (receipt or complete supplement, Decree 61/2018 art. 19.4) over the finished dossiers.
    * ``rescheduled``, ``refused``, ``withdrawn``: apologies, refusals and withdrawals made in the period.
    * ``procedures_with_online``: distinct procedures with at least one online dossier in the period.
    * ``satisfaction_avg``: mean service score (1-5) of the ratings given in the period on the agency's
      dossiers, ``satisfaction_count`` their number (``egov.feedback``).

    Ratios are fractions (0-1) rounded to 4 places, ``None`` when there is nothing to divide by.
    """
    start, end = period_bounds(date_from, date_to)
    reference = min(now or timezone.now(), end)
    agency_ids = list(agency_ids) if agency_ids is not None else None

    dossiers = Dossier.objects.all()
    events = DossierEvent.objects.all()
    if agency_ids is not None:
        dossiers = dossiers.filter(agency_id__in=agency_ids)
        events = events.filter(dossier__agency_id__in=agency_ids)

    # Only rows that can count: received before the end and not already finished before the start,
    # or submitted in the period (online dossiers not yet received still show the online offer).
    relevant = Q(received_at__lt=end) & (
        Q(received_at__gte=start) | Q(finished_at__gte=start) | Q(finished_at__isnull=True)
    )
    submitted_in_period = Q(submitted_at__gte=start, submitted_at__lt=end)
    effective_due = Coalesce("rescheduled_due_at", "due_at", output_field=DateTimeField())
    received_in_period = Q(received_at__gte=start, received_at__lt=end)
    finished_in_period = Q(finished_at__gte=start, finished_at__lt=end, effective_due__isnull=False) & ~Q(
        status__in=[DossierStatus.REFUSED, DossierStatus.WITHDRAWN]
    )
    late = Q(finished_at__gt=F("effective_due"))
    early = Q(finished_day__lt=F("due_day")) & ~late
    in_progress = (
        Q(received_at__lt=end)
        & (Q(finished_at__isnull=True) | Q(finished_at__gte=end))
        & (Q(closed_at__isnull=True) | Q(closed_at__gte=end))
        # Refused or withdrawn is an end even if the service that closed it left ``closed_at`` empty.
        & ~Q(status__in=[DossierStatus.REFUSED, DossierStatus.WITHDRAWN], closed_at__isnull=True)
    )
    online = Q(channel__in=ONLINE_CHANNELS) & (received_in_period | submitted_in_period)

    counted = (
        dossiers.filter(relevant | submitted_in_period)
        .annotate(
            effective_due=effective_due,
            finished_day=TruncDate("finished_at", tzinfo=LOCAL_TZ),
            due_day=TruncDate(effective_due, tzinfo=LOCAL_TZ),
        )
        .values("agency_id")
        .order_by("agency_id")
        .annotate(
            received=Count("pk", filter=received_in_period),
            received_online=Count("pk", filter=received_in_period & Q(channel__in=ONLINE_CHANNELS)),
            finished=Count("pk", filter=finished_in_period),
            finished_early=Count("pk", filter=finished_in_period & early),
            finished_on_time=Count("pk", filter=finished_in_period & ~early & ~late),
            finished_late=Count("pk", filter=finished_in_period & late),
            in_progress=Count("pk", filter=in_progress),
            overdue=Count("pk", filter=in_progress & Q(effective_due__lt=reference)),
            procedures_with_online=Count("procedure_id", filter=online, distinct=True),
        )
    )
    rows: dict[int, dict[str, Any]] = defaultdict(lambda: dict.fromkeys(COUNT_KEYS, 0))
    for row in counted:
        rows[row.pop("agency_id")].update(row)

    actions = {
        "rescheduled": DossierAction.APOLOGIZE,
        "refused": DossierAction.REFUSE,
        "withdrawn": DossierAction.WITHDRAW,
    }
    event_counts = (
        events.filter(created_at__gte=start, created_at__lt=end, action__in=actions.values())
        .values("dossier__agency_id")
        .order_by("dossier__agency_id")
        .annotate(
            **{
                key: Count("dossier_id", filter=Q(action=action), distinct=True)
                for key, action in actions.items()
            }
        )
    )
    for row in event_counts:
        rows[row.pop("dossier__agency_id")].update(row)

    shares = _time_shares(
        dossiers.filter(
            finished_at__gte=start,
            finished_at__lt=end,
            clock_started_at__isnull=False,
            due_at__isnull=False,
        )
        .exclude(status__in=[DossierStatus.REFUSED, DossierStatus.WITHDRAWN])
        .values_list("agency_id", "clock_started_at", "finished_at", "due_at")
        .iterator(chunk_size=2000),
        get_calendar(),
    )

    satisfaction = satisfaction_by_agency(start=start, end=end, agency_ids=agency_ids)
    for agency_id, (score_sum, score_n) in satisfaction.items():
        rows[agency_id]["_satisfaction_sum"] = score_sum
        rows[agency_id]["satisfaction_count"] = score_n

    wanted = set(rows) | set(shares)
    if agency_ids is not None:
        wanted |= set(agency_ids)
    else:
        # Agencies that offer procedures appear even in a quiet period: a zero is a published fact too.
        wanted |= set(
            Agency.objects.filter(is_active=True, offerings__is_active=True)
            .values_list("pk", flat=True)
            .distinct()
        )
    agencies = Agency.objects.filter(pk__in=wanted).values("pk", "code", "name")

    result = []
    for agency in agencies:
        counts = dict(rows[agency["pk"]])
        total, n = shares.get(agency["pk"], (0.0, 0))
        result.append(_finish_row(agency, counts, total, n))
    result.sort(key=lambda r: (r["agency_name"], r["agency_code"]))
    return result


def _finish_row(
    agency: dict[str, Any], counts: dict[str, Any], time_share_sum: float, time_share_n: int
) -> dict:
    row: dict[str, Any] = {
        "agency_id": agency["pk"],
        "agency_code": agency["code"],
        "agency_name": agency["name"],
    }
    row.update({key: int(counts.get(key, 0)) for key in COUNT_KEYS})
    row["online_share"] = _ratio(row["received_online"], row["received"])
    row["on_time_share"] = _ratio(row["finished_early"] + row["finished_on_time"], row["finished"])
    row["avg_time_share"] = round(time_share_sum / time_share_n, 4) if time_share_n else None
    row["satisfaction_count"] = int(counts.get("satisfaction_count", 0))
    row["_satisfaction_sum"] = int(counts.get("_satisfaction_sum", 0))
    row["satisfaction_avg"] = (
        round(row["_satisfaction_sum"] / row["satisfaction_count"], 2) if row["satisfaction_count"] else None
    )
    # Kept for the totals line (a weighted mean); not part of the published API schema.
    row["_time_share_sum"] = time_share_sum
    row["_time_share_n"] = time_share_n
    return row


def stats_totals(
    rows: list[dict[str, Any]],
    *,
    date_from: dt.date,
    date_to: dt.date,
    agency_ids: Iterable[int] | None = None,
) -> dict[str, Any]:
    """The "all agencies" line: summed counts, ratios recomputed from the sums (a weighted mean for the
    time share), and procedures with online dossiers counted once even when several agencies offer them."""
    counts = {key: sum(r[key] for r in rows) for key in COUNT_KEYS}
    start, end = period_bounds(date_from, date_to)
    online = Dossier.objects.filter(channel__in=ONLINE_CHANNELS).filter(
        Q(received_at__gte=start, received_at__lt=end) | Q(submitted_at__gte=start, submitted_at__lt=end)
    )
    if agency_ids is not None:
        online = online.filter(agency_id__in=list(agency_ids))
    counts["procedures_with_online"] = online.values("procedure_id").distinct().count()
    counts["satisfaction_count"] = sum(r["satisfaction_count"] for r in rows)
    counts["_satisfaction_sum"] = sum(r["_satisfaction_sum"] for r in rows)
    total = sum(r["_time_share_sum"] for r in rows)
    n = sum(r["_time_share_n"] for r in rows)
    return _finish_row({"pk": None, "code": "", "name": ""}, counts, total, n)


class _WorkingClock:
    """Cumulative working hours since an origin day, so that hours between two moments is a subtraction.

    ``WorkingCalendar.working_hours_between`` walks every day of each interval; over tens of thousands
    of dossiers that is millions of day steps. Here each calendar day is looked at once.
    """

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self._prefix: dict[dt.date, float] = {}
        self._low: dt.date | None = None
        self._high: dt.date | None = None

    def _day_hours(self, day: dt.date) -> float:
        return sum(_span(day, begin, end) for begin, end in self.calendar.periods(day))

    def _start_of(self, day: dt.date) -> float:
        """Working hours from the origin to 00:00 of ``day`` (negative before the origin)."""
        if self._low is None or self._high is None:
            self._low = self._high = day
            self._prefix[day] = 0.0
        while day > self._high:
            self._prefix[self._high + dt.timedelta(days=1)] = self._prefix[self._high] + self._day_hours(
                self._high
            )
            self._high += dt.timedelta(days=1)
        while day < self._low:
            previous = self._low - dt.timedelta(days=1)
            self._prefix[previous] = self._prefix[self._low] - self._day_hours(previous)
            self._low = previous
        return self._prefix[day]

    def at(self, moment: dt.datetime) -> float:
        local = moment.astimezone(LOCAL_TZ)
        day = local.date()
        hours = self._start_of(day)
        for begin, end in self.calendar.periods(day):
            period_start = dt.datetime.combine(day, begin, tzinfo=LOCAL_TZ)
            period_end = dt.datetime.combine(day, end, tzinfo=LOCAL_TZ)
            if local > period_start:
                hours += (min(local, period_end) - period_start).total_seconds() / 3600
        return hours

    def between(self, start: dt.datetime, end: dt.datetime) -> float:
        return self.at(end) - self.at(start)


def _span(day: dt.date, begin: dt.time, end: dt.time) -> float:
    return (
        dt.datetime.combine(day, end, tzinfo=LOCAL_TZ) - dt.datetime.combine(day, begin, tzinfo=LOCAL_TZ)
    ).total_seconds() / 3600


def _time_shares(
    rows: Iterable[tuple[int, dt.datetime, dt.datetime, dt.datetime]], calendar: WorkingCalendar
) -> dict[int, tuple[float, int]]:
    """Per agency: (sum of used/statutory working hours, number of dossiers), in one pass."""
    clock = _WorkingClock(calendar)
    sums: dict[int, tuple[float, int]] = {}
    for agency_id, started, finished, due in rows:
        statutory = clock.between(started, due)
        if statutory <= 0:
            # A "same day" dossier received at closing time has no statutory hours to divide by.
            continue
        used = max(clock.between(started, finished), 0.0)
        total, n = sums.get(agency_id, (0.0, 0))
        sums[agency_id] = (total + used / statutory, n + 1)
    return sums
